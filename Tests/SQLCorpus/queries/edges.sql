-- Edge cases: window peers, text forms, literals, overflow, mixed types, shadowed names.

-- @name edge_001
SELECT trade_id, side, SUM(quantity) OVER (ORDER BY side) AS s FROM trades;

-- @name edge_002
SELECT trade_id, side, COUNT(*) OVER (ORDER BY side) AS n, MAX(trade_id) OVER (ORDER BY side) AS mx FROM trades WHERE trade_id <= 20;

-- @name edge_003
SELECT symbol, quantity, SUM(quantity) OVER (PARTITION BY symbol ORDER BY quantity) AS s FROM positions;

-- @name edge_004
SELECT customer_id, birth_date, RANK() OVER (ORDER BY birth_date DESC) AS r FROM customers;

-- @name edge_005
SELECT customer_id, country, ROW_NUMBER() OVER (PARTITION BY country ORDER BY birth_date NULLS FIRST, customer_id) AS r FROM customers;

-- @name edge_006
SELECT COUNT(DISTINCT country) AS c, COUNT(DISTINCT segment) AS s, COUNT(DISTINCT birth_date) AS b FROM customers;

-- @name edge_007
SELECT CAST(0.10 AS TEXT) AS a, CAST(-0.5 AS TEXT) AS b, CAST(price AS TEXT) AS c FROM trades WHERE trade_id = 1;

-- @name edge_008
SELECT CAST(beta AS TEXT) AS t FROM risk_scores;

-- @name edge_009
SELECT CAST(volume AS TEXT) AS t FROM prices WHERE symbol = 'NVDA' AND volume > 250000000;

-- @name edge_010
SELECT LENGTH('王芳 é 😀') AS n, UPPER('王芳') AS u;

-- @name edge_011
SELECT SUBSTR('abcdef', 2, 3) AS a, SUBSTR('abcdef', 5) AS b, SUBSTR('abcdef', 4, 100) AS c;

-- @name edge_012
SELECT ROUND(price, 6) AS p FROM trades WHERE trade_id <= 5;

-- @name edge_013
SELECT trade_id FROM trades WHERE price = 206.27;

-- @name edge_014
SELECT trade_id FROM trades WHERE price IN (206.27, 612.38, 1);

-- @name edge_015
SELECT trade_id FROM trades WHERE quantity IN (48.0, 29);

-- @name edge_016
SELECT is_algo, COUNT(*) AS n FROM trades GROUP BY is_algo ORDER BY is_algo;

-- @name edge_017
SELECT x FROM (VALUES (1.5), (1.50), (2)) AS t(x) UNION SELECT 1.500;

-- @name edge_018
SELECT DISTINCT x FROM (VALUES (1.5), (1.50), (2.0), (2)) AS t(x);

-- @name edge_019
SELECT DATE_TRUNC('week', DATE '2026-05-24') AS sun, DATE_TRUNC('week', DATE '2026-05-25') AS mon;

-- @name edge_020
SELECT EXTRACT(EPOCH FROM TIMESTAMP '2026-05-04 16:39:25.456') AS e, EXTRACT(EPOCH FROM TIMESTAMP '1969-12-31 23:59:59.5') AS neg;

-- @name edge_021
SELECT trade_id FROM trades WHERE executed_at = TIMESTAMP '2026-05-04 16:39:25.456';

-- @name edge_022
SELECT CASE WHEN quantity > 100 THEN 1 ELSE 2.5 END AS v FROM trades WHERE trade_id <= 6;

-- @name edge_023
SELECT COALESCE(quantity, 1.25) AS v, COALESCE(fee, quantity) AS w FROM trades WHERE trade_id IN (1, 42);

-- @name edge_024
SELECT trade_id, LAG(quantity, 1, 0.5) OVER (ORDER BY trade_id) AS prev FROM trades WHERE trade_id <= 5;

-- @name edge_025
SELECT COUNT(*) AS n, SUM(quantity) AS q FROM trades HAVING COUNT(*) > 10;

-- @name edge_026
SELECT SUM(CASE WHEN side = 'buy' THEN quantity END) AS buys, MAX(CASE WHEN is_algo THEN price END) AS top_algo FROM trades;

-- @name edge_027
SELECT symbol, (SELECT close FROM prices p WHERE p.symbol = r.symbol AND p.ts = TIMESTAMP '2026-06-01 20:00:00') AS none_ FROM risk_scores r;

-- @name edge_028
SELECT symbol, SUM((SELECT COUNT(*) FROM positions p WHERE p.symbol = t.symbol)) AS s FROM trades t GROUP BY symbol;

-- @name edge_029
-- @empty
SELECT trade_id FROM trades LIMIT 0;

-- @name edge_030
-- @ordered
SELECT trade_id FROM trades ORDER BY quantity * price DESC, trade_id LIMIT 5;

-- @name edge_031
-- @ordered
SELECT trade_id, -quantity AS quantity FROM trades WHERE trade_id <= 10 ORDER BY quantity, trade_id;

-- @name edge_032
-- @ordered
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol ORDER BY COUNT(*) DESC, symbol;

-- @name edge_033
-- @ordered
SELECT side, symbol FROM trades GROUP BY side, symbol ORDER BY side DESC, symbol;

-- @name edge_034
SELECT * FROM positions p JOIN risk_scores r USING (symbol) WHERE p.quantity > 400;

-- @name edge_035
SELECT r.* FROM risk_scores r WHERE r.beta < 1;

-- @name edge_036
SELECT t.*, a.strategy FROM trades t JOIN accounts a ON a.account_id = t.account_id WHERE t.trade_id <= 3;

-- @name edge_037
WITH a AS (SELECT symbol, close FROM prices), b AS (SELECT symbol, MAX(close) AS m FROM a GROUP BY symbol), c AS (SELECT a.symbol, COUNT(*) AS n FROM a JOIN b ON a.symbol = b.symbol AND a.close > b.m * 0.98 GROUP BY a.symbol) SELECT * FROM c;

-- @name edge_038
SELECT CAST(' 12.345 ' AS DECIMAL(8,2)) AS a, CAST('-12.345' AS DECIMAL(8,2)) AS b, CAST('1e2' AS DECIMAL(8,2)) AS c;

-- @name edge_039
SELECT SUM(fee) AS s FROM trades WHERE fee IS NULL OR trade_id < 3;

-- @name edge_040
SELECT account_id, MIN(executed_at) OVER (PARTITION BY account_id) AS first_at FROM trades WHERE trade_id <= 60;

-- @name edge_041
SELECT name FROM customers WHERE name > 'Z' OR name < 'B';

-- @name edge_042
SELECT 'abc' < 'abd' AS a, 'Z' < 'a' AS b, 'é' > 'z' AS c, '' < 'a' AS d;

-- @name edge_043
SELECT 2 = 2.0 AS a, 1.10 = 1.1 AS b, 0.1e0 = 0.1 AS c;

-- @name edge_044
SELECT 9223372036854775807 + 0 AS a, -9223372036854775807 - 1 AS b;

-- @name edge_045
SELECT 3000000000 * 3 AS a, 2147483647 + 1 AS b;

-- @name edge_046
SELECT ABS(-9223372036854775807) AS a;

-- @name edge_047
SELECT ROUND(123.456, 0) AS a, ROUND(-123.456, 1) AS b, ROUND(0.0049, 2) AS c, ROUND(99.995, 2) AS d;

-- @name edge_048
SELECT FLOOR(close) AS f, CEIL(close) AS c FROM prices WHERE symbol = 'AMZN';

-- @name edge_049
SELECT FLOOR(beta) AS f, CEIL(beta) AS c, ROUND(beta) AS r FROM risk_scores;

-- @name edge_050
SELECT FLOOR(-0.5e0) AS a, CEIL(-0.5e0) AS b, FLOOR(7 / 2) AS c;

-- @name edge_051
SELECT quantity / 2 * 2 AS a, quantity - quantity / 2 * 2 AS b FROM trades WHERE trade_id <= 9;

-- @name edge_052
SELECT -quantity / 7 AS a, -quantity % 7 AS b FROM trades WHERE trade_id <= 9;

-- @name edge_053
SELECT trade_id, quantity FROM trades WHERE quantity % 2 = 1 AND quantity % 3 = 0;

-- @name edge_054
SELECT SUM(quantity) / COUNT(*) AS int_mean, AVG(quantity) AS mean FROM trades;

-- @name edge_055
SELECT symbol, MAX(close) AS m FROM prices GROUP BY symbol;

-- @name edge_056
SELECT a.symbol, a.n, b.n AS m FROM (SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol) a LEFT JOIN (SELECT symbol, COUNT(*) AS n FROM positions WHERE quantity < 0 GROUP BY symbol) b ON a.symbol = b.symbol;

-- @name edge_057
SELECT NOT (quantity > 100 AND side = 'buy') AS x, COUNT(*) AS n FROM trades GROUP BY NOT (quantity > 100 AND side = 'buy');

-- @name edge_058
SELECT quantity > 100 AND fee IS NULL AS x, COUNT(*) AS n FROM trades GROUP BY quantity > 100 AND fee IS NULL;

-- @name edge_059
SELECT CASE WHEN fee > 10 THEN 'high' WHEN fee > 5 THEN 'mid' WHEN fee IS NULL THEN 'unbooked' ELSE 'low' END AS band, COUNT(*) AS n FROM trades GROUP BY 1;

-- @name edge_060
SELECT account_id, SUM(quantity) AS q FROM positions GROUP BY account_id HAVING SUM(quantity) < 0 OR MIN(quantity) < -500;
