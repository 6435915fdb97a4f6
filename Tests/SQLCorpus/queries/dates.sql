-- DATE and TIMESTAMP: literals, comparisons, arithmetic, intervals, DATE_TRUNC, EXTRACT.

-- @name date_001
SELECT trade_id, DATE_TRUNC('day', executed_at) AS d FROM trades WHERE trade_id % 10 = 1;

-- @name date_002
SELECT trade_id, DATE_TRUNC('hour', executed_at) AS h, DATE_TRUNC('minute', executed_at) AS m, DATE_TRUNC('second', executed_at) AS s FROM trades WHERE trade_id <= 30;

-- @name date_003
SELECT DATE_TRUNC('week', ts) AS w, COUNT(*) AS n FROM prices GROUP BY DATE_TRUNC('week', ts);

-- @name date_004
SELECT DATE_TRUNC('month', birth_date) AS m, COUNT(*) AS n FROM customers GROUP BY DATE_TRUNC('month', birth_date);

-- @name date_005
SELECT DATE_TRUNC('year', opened) AS y, COUNT(*) AS n FROM accounts GROUP BY DATE_TRUNC('year', opened);

-- @name date_006
SELECT DATE_TRUNC('quarter', opened) AS q, COUNT(*) AS n FROM accounts GROUP BY DATE_TRUNC('quarter', opened);

-- @name date_007
SELECT customer_id, EXTRACT(YEAR FROM birth_date) AS y, EXTRACT(MONTH FROM birth_date) AS m, EXTRACT(DAY FROM birth_date) AS d FROM customers;

-- @name date_008
SELECT trade_id, EXTRACT(HOUR FROM executed_at) AS h, EXTRACT(MINUTE FROM executed_at) AS m FROM trades WHERE trade_id <= 40;

-- @name date_009
SELECT trade_id, EXTRACT(SECOND FROM executed_at) AS s FROM trades WHERE NOT is_algo AND trade_id <= 40;

-- @name date_010
SELECT trade_id, EXTRACT(SECOND FROM executed_at) AS s FROM trades WHERE is_algo AND trade_id <= 40;

-- @name date_011
SELECT EXTRACT(DOW FROM ts) AS dow, COUNT(*) AS n FROM prices GROUP BY EXTRACT(DOW FROM ts);

-- @name date_012
SELECT EXTRACT(DOY FROM ts) AS doy FROM prices WHERE symbol = 'AAPL';

-- @name date_013
SELECT EXTRACT(QUARTER FROM opened) AS q, COUNT(*) AS n FROM accounts GROUP BY EXTRACT(QUARTER FROM opened);

-- @name date_014
SELECT EXTRACT(EPOCH FROM ts) AS e FROM prices WHERE symbol = 'XOM';

-- @name date_015
SELECT DATE_PART('year', opened) AS y, DATE_PART('month', opened) AS m FROM accounts;

-- @name date_016
SELECT DATE_PART('hour', executed_at) AS h, COUNT(*) AS n FROM trades GROUP BY DATE_PART('hour', executed_at);

-- @name date_017
SELECT account_id, opened + 30 AS plus30, opened - 1 AS minus1 FROM accounts;

-- @name date_018
SELECT account_id, DATE '2026-05-20' - opened AS age_days FROM accounts;

-- @name date_019
SELECT customer_id, (DATE '2026-05-20' - birth_date) / 365 AS approx_age FROM customers;

-- @name date_020
SELECT account_id, opened + INTERVAL '1 month' AS m, opened + INTERVAL '1 year' AS y, opened - INTERVAL '7 days' AS w FROM accounts;

-- @name date_021
SELECT account_id, opened + INTERVAL '3' MONTH AS q FROM accounts;

-- @name date_022
SELECT DATE '2026-01-31' + INTERVAL '1 month' AS a, DATE '2024-02-29' + INTERVAL '1 year' AS b, DATE '2026-03-31' - INTERVAL '1 month' AS c;

-- @name date_023
SELECT ts + INTERVAL '2 hours' AS later, ts - INTERVAL '30 minutes' AS earlier FROM prices WHERE symbol = 'JNJ';

-- @name date_024
SELECT trade_id, executed_at + INTERVAL '1 day' AS next_day, executed_at + INTERVAL '90 seconds' AS s FROM trades WHERE trade_id <= 20;

-- @name date_025
SELECT DATE '2026-05-20' + INTERVAL '5 hours' AS t;

-- @name date_026
SELECT account_id FROM accounts WHERE opened BETWEEN DATE '2020-01-01' AND DATE '2021-12-31';

-- @name date_027
SELECT account_id FROM accounts WHERE opened >= '2023-01-01';

-- @name date_028
SELECT trade_id FROM trades WHERE executed_at >= '2026-05-20' AND executed_at < '2026-05-21';

-- @name date_029
SELECT trade_id FROM trades WHERE executed_at > TIMESTAMP '2026-05-28 18:00:00';

-- @name date_030
SELECT trade_id FROM trades WHERE executed_at < DATE '2026-05-05';

-- @name date_031
SELECT symbol, ts FROM prices WHERE ts = '2026-05-14 20:00:00' AND symbol = 'JPM';

-- @name date_032
SELECT symbol, ts, close FROM prices WHERE ts >= TIMESTAMP '2026-05-26 00:00:00' AND symbol = 'MSFT';

-- @name date_033
SELECT CAST(executed_at AS DATE) AS d, COUNT(*) AS n FROM trades GROUP BY CAST(executed_at AS DATE);

-- @name date_034
SELECT CAST(executed_at AS DATE) - DATE '2026-05-01' AS day_no, COUNT(*) AS n FROM trades GROUP BY CAST(executed_at AS DATE) - DATE '2026-05-01';

-- @name date_035
SELECT MIN(opened) AS first_opened, MAX(opened) AS last_opened, MAX(opened) - MIN(opened) AS span FROM accounts;

-- @name date_036
SELECT MIN(birth_date) AS b FROM customers;

-- @name date_037
SELECT DATE '2026-05-20' AS d, TIMESTAMP '2026-05-20 16:00:00' AS t, TIMESTAMP '2026-05-20 16:00:00.123456' AS tu;

-- @name date_038
SELECT DATE '2024-02-29' + 365 AS d, DATE '2026-01-01' - DATE '2025-01-01' AS n;

-- @name date_039
SELECT EXTRACT(YEAR FROM DATE '2026-05-20') AS y, EXTRACT(MONTH FROM TIMESTAMP '2026-12-31 23:59:59') AS m;

-- @name date_040
SELECT DATE_TRUNC('month', TIMESTAMP '2026-05-20 16:30:00') AS m, DATE_TRUNC('week', DATE '2026-05-24') AS w;

-- @name date_041
SELECT c.customer_id, a.opened - c.birth_date AS days_old FROM customers c JOIN accounts a ON a.customer_id = c.customer_id;

-- @name date_042
SELECT EXTRACT(YEAR FROM opened) - EXTRACT(YEAR FROM birth_date) AS age_at_open FROM accounts a JOIN customers c ON c.customer_id = a.customer_id;

-- @name date_043
SELECT trade_id, executed_at FROM trades WHERE EXTRACT(HOUR FROM executed_at) = 13 AND EXTRACT(MINUTE FROM executed_at) >= 30;

-- @name date_044
SELECT DATE_TRUNC('day', executed_at) AS d, MIN(executed_at) AS first_trade, MAX(executed_at) AS last_trade FROM trades GROUP BY DATE_TRUNC('day', executed_at);

-- @name date_045
-- @ordered
SELECT symbol, ts FROM prices WHERE symbol = 'GOOGL' ORDER BY ts DESC LIMIT 3;

-- @name date_046
SELECT CAST('2026-05-04T16:39:25.456Z' AS TIMESTAMP) AS t;

-- @name date_047
SELECT trade_id, EXTRACT(EPOCH FROM executed_at - TIMESTAMP '2026-05-01 00:00:00') AS secs FROM trades WHERE trade_id <= 40;

-- @name date_048
SELECT trade_id, EXTRACT(DAY FROM executed_at - TIMESTAMP '2026-05-01 09:30:00') AS d, EXTRACT(HOUR FROM executed_at - TIMESTAMP '2026-05-01 09:30:00') AS h, EXTRACT(MINUTE FROM executed_at - TIMESTAMP '2026-05-01 09:30:00') AS m FROM trades WHERE trade_id <= 60;

-- @name date_049
SELECT trade_id, EXTRACT(SECOND FROM executed_at - TIMESTAMP '2026-05-01 09:30:00.25') AS s FROM trades WHERE trade_id <= 60;

-- @name date_050
SELECT trade_id, EXTRACT(DAY FROM TIMESTAMP '2026-05-01 09:30:00' - executed_at) AS d, EXTRACT(HOUR FROM TIMESTAMP '2026-05-01 09:30:00' - executed_at) AS h, EXTRACT(MINUTE FROM TIMESTAMP '2026-05-01 09:30:00' - executed_at) AS m, EXTRACT(EPOCH FROM TIMESTAMP '2026-05-01 09:30:00' - executed_at) AS e FROM trades WHERE trade_id <= 60;

-- @name date_051
SELECT t.trade_id, EXTRACT(EPOCH FROM t.executed_at - p.ts) AS since_close FROM trades t JOIN prices p ON p.symbol = t.symbol AND CAST(p.ts AS DATE) = CAST(t.executed_at AS DATE) - 1 WHERE t.trade_id <= 50;

-- @name date_052
SELECT trade_id, EXTRACT(EPOCH FROM executed_at - LAG(executed_at) OVER (ORDER BY trade_id)) AS gap FROM trades WHERE trade_id <= 50;

-- @name date_053
SELECT trade_id, executed_at + (executed_at - TIMESTAMP '2026-05-01 00:00:00') AS doubled, executed_at - (executed_at - TIMESTAMP '2026-05-01 00:00:00') AS origin FROM trades WHERE trade_id <= 30;

-- @name date_054
SELECT trade_id FROM trades WHERE executed_at - TIMESTAMP '2026-05-20 00:00:00' > TIMESTAMP '2026-05-21 00:00:00' - executed_at;

-- @name date_055
SELECT trade_id, EXTRACT(EPOCH FROM (executed_at - TIMESTAMP '2026-05-01 00:00:00') + (executed_at - TIMESTAMP '2026-05-02 12:00:00')) AS s, EXTRACT(EPOCH FROM (executed_at - TIMESTAMP '2026-05-01 00:00:00') - INTERVAL '1 day 2 hours') AS t FROM trades WHERE trade_id <= 30;

-- @name date_056
SELECT trade_id, EXTRACT(EPOCH FROM (executed_at - TIMESTAMP '2026-05-01 00:00:00') * 3) AS tripled FROM trades WHERE trade_id <= 30;

-- @name date_057
SELECT COUNT(*) AS n FROM trades t JOIN prices p ON p.symbol = t.symbol WHERE t.executed_at - p.ts BETWEEN INTERVAL '0 seconds' AND INTERVAL '1 day';

-- @name date_058
SELECT a.account_id, EXTRACT(EPOCH FROM MAX(t.executed_at) - a.opened) AS since_open FROM accounts a JOIN trades t ON t.account_id = a.account_id GROUP BY a.account_id, a.opened;

-- @name date_059
SELECT trade_id, opened + (executed_at - TIMESTAMP '2026-05-01 00:00:00') AS shifted FROM trades t JOIN accounts a ON a.account_id = t.account_id WHERE trade_id <= 30;

-- @name date_060
-- @ordered
SELECT trade_id FROM trades WHERE trade_id <= 40 ORDER BY EXTRACT(EPOCH FROM executed_at - TIMESTAMP '2026-05-15 12:00:00') DESC, trade_id LIMIT 10;

-- @name date_061
SELECT symbol, EXTRACT(EPOCH FROM MAX(ts) - MIN(ts)) AS span, EXTRACT(DAY FROM MAX(ts) - MIN(ts)) AS days FROM prices GROUP BY symbol;

-- @name date_062
SELECT trade_id, EXTRACT(EPOCH FROM -(executed_at - TIMESTAMP '2026-05-01 00:00:00')) AS neg FROM trades WHERE trade_id <= 10;
