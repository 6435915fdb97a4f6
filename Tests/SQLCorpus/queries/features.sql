-- Constructs of issue 21, item 2: IS [NOT] DISTINCT FROM, IS [NOT] TRUE/FALSE, FETCH FIRST, MOD and DECIMAL %, SIGN, REPLACE, LTRIM, RTRIM, LOG10, POSITION, GREATEST, LEAST.

-- @name feat_001
SELECT trade_id, fee FROM trades WHERE fee IS DISTINCT FROM 4.95;

-- @name feat_002
SELECT trade_id, fee FROM trades WHERE fee IS NOT DISTINCT FROM NULL;

-- @name feat_003
SELECT customer_id, country FROM customers WHERE country IS DISTINCT FROM 'US';

-- @name feat_004
SELECT x, y, x IS DISTINCT FROM y AS d, x IS NOT DISTINCT FROM y AS nd FROM (VALUES (1, 1), (1, 2), (1, NULL), (NULL, NULL)) AS t(x, y);

-- @name feat_005
SELECT a.account_id, b.account_id AS other FROM accounts a JOIN accounts b ON a.strategy IS NOT DISTINCT FROM b.strategy AND a.account_id < b.account_id WHERE a.customer_id < 6;

-- @name feat_006
SELECT trade_id FROM trades WHERE is_algo IS TRUE AND trade_id < 30;

-- @name feat_007
SELECT trade_id FROM trades WHERE is_algo IS NOT TRUE AND trade_id < 30;

-- @name feat_008
SELECT trade_id FROM trades WHERE is_algo IS FALSE AND trade_id < 30;

-- @name feat_009
SELECT x, x IS TRUE AS t, x IS NOT TRUE AS nt, x IS FALSE AS f, x IS NOT FALSE AS nf FROM (VALUES (TRUE), (FALSE), (NULL)) AS v(x);

-- @name feat_010
SELECT account_id, symbol, (risk_score > 0.8) IS NOT FALSE AS maybe_risky FROM positions;

-- @name feat_011
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id FETCH FIRST 5 ROWS ONLY;

-- @name feat_012
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id OFFSET 10 ROWS FETCH NEXT 3 ROWS ONLY;

-- @name feat_013
-- @ordered
SELECT trade_id FROM trades ORDER BY price DESC, trade_id FETCH FIRST ROW ONLY;

-- @name feat_014
SELECT MOD(quantity, 7) AS m, MOD(-quantity, 7) AS n FROM trades WHERE trade_id <= 20;

-- @name feat_015
SELECT MOD(7, 0) AS z, MOD(-7, 3) AS a, MOD(7, -3) AS b;

-- @name feat_016
SELECT trade_id, price % 1 AS cents, price % 5 AS m5, MOD(fee, 1.00) AS f FROM trades WHERE trade_id <= 30;

-- @name feat_017
SELECT 7.5 % 2 AS a, -7.5 % 2 AS b, 10.25 % 0.5 AS c, 7 % 2.5 AS d;

-- @name feat_018
SELECT SIGN(quantity) AS s, COUNT(*) AS n FROM positions GROUP BY SIGN(quantity);

-- @name feat_019
SELECT SIGN(-2.5) AS a, SIGN(0) AS b, SIGN(3e0) AS c, SIGN(close - open) AS d FROM prices WHERE symbol = 'AAPL';

-- @name feat_020
SELECT REPLACE(account_id, 'ACC-', 'A') AS a, REPLACE(strategy, ', ', '+') AS s FROM accounts;

-- @name feat_021
SELECT REPLACE(name, 'a', '') AS n FROM customers WHERE customer_id < 10;

-- @name feat_022
SELECT LTRIM('  x  ') AS l, RTRIM('  x  ') AS r, LENGTH(LTRIM('  x  ')) AS nl, LENGTH(RTRIM('  x  ')) AS nr;

-- @name feat_023
SELECT LOG10(volume) AS l FROM prices WHERE symbol = 'NVDA';

-- @name feat_024
SELECT LOG10(1000) AS a, LOG10(2.5) AS b;

-- @name feat_025
SELECT email, POSITION('@' IN email) AS at_sign FROM customers;

-- @name feat_026
SELECT POSITION('x' IN 'abc') AS none, POSITION('' IN 'abc') AS empty, POSITION('é' IN 'José') AS accent;

-- @name feat_027
SELECT SUBSTR(email, POSITION('@' IN email) + 1) AS domain, COUNT(*) AS n FROM customers GROUP BY SUBSTR(email, POSITION('@' IN email) + 1);

-- @name feat_028
SELECT trade_id, GREATEST(price, 300) AS floor_, LEAST(price, 300) AS cap FROM trades WHERE trade_id <= 30;

-- @name feat_029
SELECT GREATEST(1, 2.5, NULL) AS g, LEAST(1, 2.5, NULL) AS l, GREATEST(NULL, NULL) AS n;

-- @name feat_030
SELECT symbol, ts, GREATEST(open, close) - LEAST(open, close) AS body FROM prices WHERE symbol = 'TSLA';

-- @name feat_031
SELECT trade_id, GREATEST(fee, 5.00) AS min_fee FROM trades WHERE trade_id IN (1, 2, 42, 119);

-- @name feat_032
SELECT GREATEST('apple', 'banana', 'cherry') AS g, LEAST(DATE '2026-01-01', DATE '2025-06-30') AS d;

-- @name feat_033
SELECT customer_id, LEAST(birth_date, DATE '1960-01-01') AS d FROM customers;
-- @name feat_034
SELECT trade_id, NTILE(4) OVER (ORDER BY trade_id) AS quartile FROM trades;

-- @name feat_035
SELECT symbol, ts, NTILE(3) OVER (PARTITION BY symbol ORDER BY close DESC, ts) AS tercile FROM prices;

-- @name feat_036
SELECT symbol, ts, PERCENT_RANK() OVER (PARTITION BY symbol ORDER BY close) AS pr, CUME_DIST() OVER (PARTITION BY symbol ORDER BY close) AS cd FROM prices;

-- @name feat_037
SELECT trade_id, side, PERCENT_RANK() OVER (ORDER BY side) AS pr, CUME_DIST() OVER (ORDER BY side) AS cd FROM trades WHERE trade_id <= 20;

-- @name feat_038
SELECT symbol, ts, NTH_VALUE(close, 2) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_close FROM prices;

-- @name feat_039
SELECT symbol, ts, NTH_VALUE(close, 3) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS third_so_far FROM prices;

-- @name feat_040
SELECT sector, symbol, NTILE(2) OVER (PARTITION BY sector ORDER BY beta, symbol) AS half FROM risk_scores;

-- @name feat_041
SELECT symbol, COUNT(*) FILTER (WHERE side = 'buy') AS buys, COUNT(*) FILTER (WHERE side = 'sell') AS sells FROM trades GROUP BY symbol;

-- @name feat_042
SELECT symbol, SUM(quantity * price) FILTER (WHERE is_algo) AS algo_notional, AVG(price) FILTER (WHERE quantity > 100) AS big_avg FROM trades GROUP BY symbol;

-- @name feat_043
SELECT COUNT(DISTINCT account_id) FILTER (WHERE fee IS NULL) AS unbooked, MAX(fee) FILTER (WHERE side = 'sell') AS top_sell_fee FROM trades;

-- @name feat_044
SELECT trade_id, SUM(quantity) FILTER (WHERE side = 'buy') OVER (PARTITION BY symbol ORDER BY trade_id ROWS UNBOUNDED PRECEDING) AS bought_so_far FROM trades;

-- @name feat_045
SELECT symbol, sector, COUNT(*) AS holders FROM positions NATURAL JOIN risk_scores GROUP BY symbol, sector;

-- @name feat_046
SELECT trade_id, strategy, base_currency FROM trades NATURAL JOIN accounts WHERE trade_id <= 40;

-- @name feat_047
SELECT trade_id, account_id, symbol, quantity, p.avg_cost FROM trades NATURAL JOIN (SELECT account_id, symbol, avg_cost FROM positions) p;

-- @name feat_048
SELECT a.account_id, t.trade_id FROM accounts a NATURAL LEFT JOIN trades t WHERE a.account_id > 'ACC-1050';

-- @name feat_049
SELECT x, y, z FROM (VALUES (1, 'a'), (2, 'b')) AS l(x, y) NATURAL JOIN (VALUES (10), (20)) AS r(z);

-- @name feat_050
SELECT * FROM risk_scores NATURAL FULL JOIN (SELECT symbol, COUNT(*) AS n FROM positions WHERE quantity < 0 GROUP BY symbol) s;

-- @name feat_051
SELECT trade_id FROM trades WHERE (symbol, side) IN (('AAPL', 'buy'), ('NVDA', 'sell'));

-- @name feat_052
SELECT trade_id FROM trades WHERE (symbol, side) NOT IN (('AAPL', 'buy'), ('NVDA', 'sell')) AND trade_id < 40;

-- @name feat_053
SELECT account_id, symbol FROM positions WHERE (account_id, symbol) = ('ACC-1001', 'JPM') OR (account_id, symbol) <> ('ACC-1002', symbol) AND quantity < 0;

-- @name feat_054
SELECT x, y, (x, y) IN ((1, 2), (3, NULL)) AS hit, (x, y) = (1, 2) AS eq FROM (VALUES (1, 2), (3, 4), (3, NULL), (NULL, 2)) AS t(x, y);

-- @name feat_055
SELECT account_id, opened + INTERVAL '1 year 2 months' AS a, opened - INTERVAL '1 month 3 days' AS b FROM accounts;

-- @name feat_056
SELECT trade_id, executed_at + INTERVAL '1 day 2 hours 30 minutes' AS t, executed_at - INTERVAL '2 hours 1 day' AS u FROM trades WHERE trade_id <= 20;

-- @name feat_057
SELECT DATE '2026-01-31' + INTERVAL '1 month 1 day' AS a, DATE '2026-01-31' + INTERVAL '1 day 1 month' AS b, DATE '2026-05-20' + INTERVAL '1 day 6 hours' AS c;

-- @name feat_058
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id LIMIT 2 * 3 OFFSET 10 - 4;

-- @name feat_059
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id DESC OFFSET ((1 + 1) * 2) ROWS FETCH FIRST (7 % 4) ROWS ONLY;

-- @name feat_060
SELECT trade_id, ROUND(price, -1) AS tens, ROUND(price, -2) AS hundreds, ROUND(quantity, -1) AS q10, ROUND(quantity * 10, -2) AS q100 FROM trades WHERE trade_id <= 40;

-- @name feat_061
SELECT ROUND(1250, -2) AS a, ROUND(-1250, -2) AS b, ROUND(1249.99, -2) AS c, ROUND(-5.5, -1) AS d, ROUND(95, -1) AS e;

-- @name feat_062
SELECT symbol, ROUND(SUM(volume), -6) AS volume_millions, ROUND(AVG(close), -1) AS close_tens FROM prices GROUP BY symbol;

-- @name feat_063
SELECT trade_id, TRUNC(price) AS t0, TRUNC(price, 1) AS t1, TRUNC(-price, 2) AS t2, TRUNC(fee * 0.333, 3) AS f3 FROM trades WHERE trade_id <= 40;

-- @name feat_064
SELECT TRUNC(-2.789) AS a, TRUNC(2.789, 2) AS b, TRUNC(-2.5e0) AS c, TRUNC(17) AS d, TRUNC(beta) AS e FROM risk_scores;

-- @name feat_065
SELECT trade_id, side, SUM(quantity) OVER (ORDER BY side RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s, COUNT(*) OVER (ORDER BY side RANGE UNBOUNDED PRECEDING) AS n FROM trades;

-- @name feat_066
SELECT symbol, ts, LAST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_close FROM prices;

-- @name feat_067
SELECT trade_id, side, MAX(price) OVER (PARTITION BY symbol ORDER BY side RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS m FROM trades;
