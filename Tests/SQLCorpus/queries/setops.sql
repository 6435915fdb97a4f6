-- Set operations and VALUES.

-- @name set_001
SELECT symbol FROM trades WHERE side = 'buy' UNION SELECT symbol FROM positions WHERE quantity < 0;

-- @name set_002
SELECT symbol FROM trades WHERE quantity > 450 UNION ALL SELECT symbol FROM positions WHERE quantity > 450;

-- @name set_003
SELECT symbol FROM trades INTERSECT SELECT symbol FROM positions WHERE quantity < 0;

-- @name set_004
SELECT account_id FROM accounts EXCEPT SELECT account_id FROM trades;

-- @name set_005
SELECT account_id FROM positions EXCEPT ALL SELECT account_id FROM trades;

-- @name set_006
SELECT symbol FROM trades INTERSECT ALL SELECT symbol FROM positions;

-- @name set_007
SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) AS a(x) EXCEPT ALL SELECT x FROM (VALUES (1), (2), (NULL)) AS b(x);

-- @name set_008
SELECT x FROM (VALUES (1), (1), (2), (NULL), (NULL)) AS a(x) INTERSECT ALL SELECT x FROM (VALUES (1), (1), (1), (NULL)) AS b(x);

-- @name set_009
SELECT x FROM (VALUES (1), (NULL), (2)) AS a(x) UNION SELECT x FROM (VALUES (NULL), (3)) AS b(x);

-- @name set_010
SELECT x FROM (VALUES (1), (NULL), (2)) AS a(x) EXCEPT SELECT x FROM (VALUES (NULL), (2)) AS b(x);

-- @name set_011
SELECT symbol, 'trade' AS source FROM trades WHERE trade_id < 5 UNION ALL SELECT symbol, 'position' FROM positions WHERE account_id = 'ACC-1001';

-- @name set_012
SELECT trade_id AS id, price AS amount FROM trades WHERE trade_id < 4 UNION ALL SELECT customer_id, 1.5 FROM customers WHERE customer_id < 3;

-- @name set_013
SELECT quantity AS v FROM trades WHERE trade_id < 4 UNION ALL SELECT avg_cost FROM positions WHERE account_id = 'ACC-1001';

-- @name set_014
SELECT fee AS v FROM trades WHERE trade_id < 4 UNION SELECT var_95 FROM risk_scores;

-- @name set_015
SELECT beta AS v FROM risk_scores UNION ALL SELECT risk_score FROM positions WHERE account_id = 'ACC-1002';

-- @name set_016
SELECT symbol FROM risk_scores WHERE beta > 1.2 UNION SELECT symbol FROM risk_scores WHERE volatility > 0.3 EXCEPT SELECT symbol FROM risk_scores WHERE sector = 'Technology';

-- @name set_017
-- @ordered
SELECT symbol FROM trades UNION SELECT symbol FROM positions ORDER BY symbol;

-- @name set_018
-- @ordered
SELECT symbol AS s FROM trades UNION SELECT sector FROM risk_scores ORDER BY 1 DESC LIMIT 5;

-- @name set_019
SELECT COUNT(*) AS n FROM (SELECT account_id FROM trades UNION SELECT account_id FROM positions) u;

-- @name set_020
SELECT COUNT(*) AS n FROM (SELECT account_id FROM trades UNION ALL SELECT account_id FROM positions) u;

-- @name set_021
SELECT side, COUNT(*) AS n FROM (SELECT side FROM trades UNION ALL SELECT 'hold' FROM positions) u GROUP BY side;

-- @name set_022
WITH u AS (SELECT symbol, quantity FROM trades UNION ALL SELECT symbol, quantity FROM positions) SELECT symbol, SUM(quantity) AS q FROM u GROUP BY symbol;

-- @name set_023
SELECT CAST(opened AS TIMESTAMP) AS t FROM accounts WHERE account_id = 'ACC-1001' UNION ALL SELECT executed_at FROM trades WHERE trade_id = 1;

-- @name set_024
SELECT opened AS d FROM accounts WHERE account_id < 'ACC-1005' UNION SELECT birth_date FROM customers WHERE customer_id < 4;

-- @name set_025
SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y' UNION ALL SELECT 3, NULL;

-- @name set_026
SELECT * FROM (VALUES (1, 2.50, 'a'), (2, NULL, 'b'), (3, 0.125, NULL)) AS v(k, amount, label);

-- @name set_027
SELECT k, amount * 2 AS doubled FROM (VALUES (1, 2.50), (2, 1.25)) AS v(k, amount);

-- @name set_028
SELECT name FROM customers WHERE customer_id < 5 INTERSECT SELECT name FROM customers WHERE customer_id > 2;

-- @name set_029
SELECT account_id, symbol FROM positions EXCEPT SELECT account_id, symbol FROM trades;

-- @name set_030
SELECT account_id, symbol FROM trades INTERSECT SELECT account_id, symbol FROM positions;

-- @name set_031
SELECT is_algo FROM trades UNION SELECT quantity > 400 FROM positions;

-- @name set_032
SELECT DATE '2026-01-01' AS d UNION ALL SELECT DATE '2026-12-31';
