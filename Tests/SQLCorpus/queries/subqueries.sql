-- CTEs and subqueries: FROM, IN, EXISTS, scalar, correlated.

-- @name sub_001
WITH b AS (SELECT symbol, SUM(quantity) AS q FROM trades WHERE side = 'buy' GROUP BY symbol) SELECT symbol, q FROM b WHERE q > 2000;

-- @name sub_002
WITH b AS (SELECT symbol, SUM(quantity) AS q FROM trades WHERE side = 'buy' GROUP BY symbol), s AS (SELECT symbol, SUM(quantity) AS q FROM trades WHERE side = 'sell' GROUP BY symbol) SELECT b.symbol, b.q - s.q AS net FROM b JOIN s ON s.symbol = b.symbol;

-- @name sub_003
WITH r(sym, n) AS (SELECT symbol, COUNT(*) FROM trades GROUP BY symbol) SELECT sym, n FROM r;

-- @name sub_004
WITH last AS (SELECT symbol, MAX(ts) AS ts FROM prices GROUP BY symbol) SELECT p.symbol, p.close FROM prices p JOIN last l ON l.symbol = p.symbol AND l.ts = p.ts;

-- @name sub_005
WITH returns AS (SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS r FROM prices) SELECT symbol, COUNT(*) AS n, MAX(r) AS best FROM returns WHERE r IS NOT NULL GROUP BY symbol;

-- @name sub_006
WITH returns AS (SELECT symbol, ts, CAST(close AS DOUBLE PRECISION) / CAST(LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS DOUBLE PRECISION) - 1 AS r FROM prices) SELECT symbol, STDDEV(r) AS vol FROM returns GROUP BY symbol;

-- @name sub_007
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT x, y FROM a, b;

-- @name sub_008
WITH trades AS (SELECT * FROM trades WHERE symbol = 'AAPL') SELECT COUNT(*) AS n FROM trades;

-- @name sub_009
WITH m AS (SELECT account_id, SUM(quantity * price) AS notional FROM trades GROUP BY account_id) SELECT a.strategy, SUM(m.notional) AS notional FROM m JOIN accounts a ON a.account_id = m.account_id GROUP BY a.strategy;

-- @name sub_010
WITH x AS (SELECT symbol, close FROM prices WHERE ts = TIMESTAMP '2026-05-29 20:00:00'), y AS (SELECT symbol, close FROM prices WHERE ts = TIMESTAMP '2026-05-04 20:00:00') SELECT x.symbol, x.close - y.close AS month_change, ROUND((x.close - y.close) / y.close * 100, 2) AS pct FROM x JOIN y ON x.symbol = y.symbol;

-- @name sub_011
WITH v AS (SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS t(k, label)) SELECT k, label FROM v;

-- @name sub_012
WITH c AS (SELECT country, COUNT(*) AS n FROM customers GROUP BY country) SELECT country, n FROM c WHERE n = (SELECT MAX(n) FROM c);

-- @name sub_013
SELECT trade_id FROM trades WHERE symbol IN (SELECT symbol FROM risk_scores WHERE sector = 'Technology');

-- @name sub_014
SELECT trade_id FROM trades WHERE symbol NOT IN (SELECT symbol FROM risk_scores WHERE beta > 1.2);

-- @name sub_015
SELECT customer_id FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM accounts WHERE strategy = 'growth');

-- @name sub_016
SELECT account_id FROM accounts a WHERE EXISTS (SELECT 1 FROM trades t WHERE t.account_id = a.account_id AND t.quantity > 450);

-- @name sub_017
SELECT account_id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = a.account_id AND p.quantity < 0);

-- @name sub_018
SELECT trade_id, price, (SELECT AVG(price) FROM trades t2 WHERE t2.symbol = t.symbol) AS avg_price FROM trades t WHERE trade_id <= 25;

-- @name sub_019
SELECT trade_id FROM trades t WHERE price > (SELECT AVG(price) FROM trades t2 WHERE t2.symbol = t.symbol);

-- @name sub_020
SELECT symbol, close FROM prices WHERE close = (SELECT MAX(close) FROM prices);

-- @name sub_021
SELECT symbol, (SELECT COUNT(*) FROM positions p WHERE p.symbol = r.symbol) AS holders FROM risk_scores r;

-- @name sub_022
SELECT symbol, (SELECT MAX(quantity) FROM trades t WHERE t.symbol = r.symbol AND t.side = 'sell') AS biggest_sell FROM risk_scores r;

-- @name sub_023
SELECT a.account_id, (SELECT c.name FROM customers c WHERE c.customer_id = a.customer_id) AS owner FROM accounts a;

-- @name sub_024
SELECT c.name, (SELECT COUNT(*) FROM accounts a WHERE a.customer_id = c.customer_id) AS n FROM customers c;

-- @name sub_025
SELECT trade_id, EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id AND p.symbol = t.symbol) AS held FROM trades t;

-- @name sub_026
SELECT trade_id, CASE WHEN EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id AND p.symbol = t.symbol) THEN 'held' ELSE 'not held' END AS h FROM trades t;

-- @name sub_027
SELECT symbol, avg_close FROM (SELECT symbol, AVG(close) AS avg_close FROM prices GROUP BY symbol) x WHERE avg_close > 200;

-- @name sub_028
SELECT s, n FROM (SELECT symbol AS s, COUNT(*) AS n FROM trades GROUP BY symbol) AS t(s, n) WHERE n > 15;

-- @name sub_029
SELECT AVG(n) AS avg_trades FROM (SELECT account_id, COUNT(*) AS n FROM trades GROUP BY account_id) x;

-- @name sub_030
SELECT MAX(q) AS m FROM (SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol) x;

-- @name sub_031
SELECT x.sector, x.n FROM (SELECT sector, COUNT(*) AS n FROM risk_scores GROUP BY sector) x WHERE x.n > 1;

-- @name sub_032
SELECT * FROM (SELECT * FROM (SELECT trade_id, quantity FROM trades WHERE quantity > 100) a WHERE quantity < 200) b WHERE trade_id > 50;

-- @name sub_033
SELECT (SELECT COUNT(*) FROM trades) AS trades, (SELECT COUNT(*) FROM prices) AS prices, (SELECT COUNT(*) FROM customers) AS customers;

-- @name sub_034
SELECT (SELECT MAX(close) FROM prices WHERE symbol = 'NVDA') - (SELECT MIN(close) FROM prices WHERE symbol = 'NVDA') AS range_;

-- @name sub_035
SELECT trade_id FROM trades WHERE account_id IN (SELECT account_id FROM accounts WHERE customer_id IN (SELECT customer_id FROM customers WHERE segment = 'private'));

-- @name sub_036
SELECT symbol FROM risk_scores WHERE beta > (SELECT AVG(beta) FROM risk_scores);

-- @name sub_037
SELECT symbol FROM risk_scores r WHERE beta > (SELECT AVG(beta) FROM risk_scores r2 WHERE r2.sector = r.sector);

-- @name sub_038
SELECT customer_id, name FROM customers c WHERE (SELECT COUNT(*) FROM accounts a WHERE a.customer_id = c.customer_id) = 2;

-- @name sub_039
SELECT account_id, symbol FROM positions p WHERE quantity = (SELECT MAX(quantity) FROM positions p2 WHERE p2.account_id = p.account_id);

-- @name sub_040
SELECT trade_id FROM trades WHERE symbol = 'AAPL' AND side = 'buy';

-- @name sub_041
SELECT trade_id FROM trades WHERE quantity > (SELECT MAX(quantity) FROM positions WHERE quantity < 300);

-- @name sub_042
SELECT symbol, COUNT(*) AS n FROM trades WHERE symbol IN (SELECT symbol FROM positions GROUP BY symbol HAVING COUNT(*) > 15) GROUP BY symbol;

-- @name sub_043
WITH daily AS (SELECT DATE_TRUNC('day', executed_at) AS d, COUNT(*) AS n, SUM(quantity * price) AS notional FROM trades GROUP BY DATE_TRUNC('day', executed_at)) SELECT d, n, notional FROM daily;

-- @name sub_044
WITH daily AS (SELECT CAST(executed_at AS DATE) AS d, SUM(quantity) AS q FROM trades GROUP BY CAST(executed_at AS DATE)) SELECT d, q, SUM(q) OVER (ORDER BY d) AS running FROM daily;

-- @name sub_045
WITH ranked AS (SELECT account_id, symbol, quantity, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY ABS(quantity) DESC, symbol) AS rn FROM positions) SELECT account_id, symbol, quantity FROM ranked WHERE rn = 1;

-- @name sub_046
WITH t AS (SELECT symbol, side, COUNT(*) AS n FROM trades GROUP BY symbol, side) SELECT symbol, SUM(CASE WHEN side = 'buy' THEN n ELSE 0 END) AS buys, SUM(CASE WHEN side = 'sell' THEN n ELSE 0 END) AS sells FROM t GROUP BY symbol;

-- @name sub_047
WITH big AS (SELECT * FROM trades WHERE quantity * price > 50000) SELECT symbol, COUNT(*) AS n FROM big GROUP BY symbol;

-- @name sub_048
WITH acct AS (SELECT a.account_id, c.country FROM accounts a JOIN customers c ON c.customer_id = a.customer_id) SELECT country, COUNT(*) AS n FROM acct GROUP BY country;

-- @name sub_049
SELECT trade_id FROM trades WHERE price > (SELECT close FROM prices WHERE symbol = 'MSFT' AND ts = TIMESTAMP '2026-05-04 20:00:00');

-- @name sub_050
SELECT customer_id FROM customers WHERE customer_id IN (1, 2) AND EXISTS (SELECT 1 FROM accounts);

-- @name sub_051
SELECT symbol FROM risk_scores WHERE symbol NOT IN (SELECT symbol FROM trades WHERE quantity > 490);

-- @name sub_052
SELECT symbol FROM risk_scores WHERE rating NOT IN (SELECT rating FROM risk_scores WHERE sector = 'Energy');

-- @name sub_053
-- @empty
SELECT symbol FROM risk_scores WHERE symbol NOT IN (SELECT rating FROM risk_scores);

-- @name sub_054
SELECT r.symbol, t.n FROM risk_scores r, (SELECT COUNT(*) AS n FROM trades) t;

-- @name sub_055
WITH s AS (SELECT DISTINCT symbol FROM trades) SELECT COUNT(*) AS n FROM s;

-- @name sub_056
WITH x AS (SELECT trade_id, quantity FROM trades) SELECT a.trade_id FROM x a JOIN x b ON b.trade_id = a.trade_id + 1 WHERE b.quantity > a.quantity * 5;
