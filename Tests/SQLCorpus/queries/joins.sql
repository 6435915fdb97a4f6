-- Joins: inner, outer, cross, USING, self-joins, joins to derived tables and VALUES.

-- @name join_001
SELECT t.trade_id, a.strategy FROM trades t JOIN accounts a ON a.account_id = t.account_id;

-- @name join_002
SELECT t.trade_id, c.name FROM trades t JOIN accounts a ON a.account_id = t.account_id JOIN customers c ON c.customer_id = a.customer_id WHERE t.trade_id <= 30;

-- @name join_003
SELECT p.account_id, p.symbol, r.sector FROM positions p JOIN risk_scores r ON r.symbol = p.symbol;

-- @name join_004
SELECT p.account_id, p.symbol, r.rating FROM positions p LEFT JOIN risk_scores r ON r.symbol = p.symbol AND r.rating LIKE 'A%';

-- @name join_005
SELECT c.customer_id, a.account_id FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id;

-- @name join_006
SELECT c.customer_id, COUNT(a.account_id) AS n FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id GROUP BY c.customer_id;

-- @name join_007
SELECT a.account_id, COUNT(t.trade_id) AS trades FROM accounts a LEFT JOIN trades t ON t.account_id = a.account_id GROUP BY a.account_id;

-- @name join_008
SELECT a.account_id FROM accounts a LEFT JOIN trades t ON t.account_id = a.account_id WHERE t.trade_id IS NULL;

-- @name join_009
SELECT t.trade_id, r.symbol FROM risk_scores r RIGHT JOIN trades t ON t.symbol = r.symbol AND r.beta > 1.3;

-- @name join_010
SELECT a.account_id, p.symbol FROM positions p RIGHT JOIN accounts a ON a.account_id = p.account_id AND p.quantity > 400;

-- @name join_011
SELECT a.x, b.y FROM (VALUES (1), (2), (3)) AS a(x) FULL JOIN (VALUES (2), (3), (4)) AS b(y) ON a.x = b.y;

-- @name join_012
SELECT r.symbol, p.account_id FROM risk_scores r FULL JOIN positions p ON p.symbol = r.symbol AND p.quantity > 500;

-- @name join_013
SELECT COALESCE(a.symbol, b.symbol) AS symbol, a.n AS buys, b.n AS sells FROM (SELECT symbol, COUNT(*) AS n FROM trades WHERE side = 'buy' GROUP BY symbol) a FULL OUTER JOIN (SELECT symbol, COUNT(*) AS n FROM trades WHERE side = 'sell' GROUP BY symbol) b ON a.symbol = b.symbol;

-- @name join_014
SELECT r.symbol, s.sector FROM risk_scores r CROSS JOIN (SELECT DISTINCT sector FROM risk_scores) s WHERE r.sector <> s.sector;

-- @name join_015
SELECT COUNT(*) AS n FROM risk_scores a CROSS JOIN risk_scores b;

-- @name join_016
SELECT a.symbol, b.symbol AS other FROM risk_scores a, risk_scores b WHERE a.beta < b.beta AND a.sector = b.sector;

-- @name join_017
SELECT t.trade_id, p.close FROM trades t, prices p WHERE p.symbol = t.symbol AND DATE_TRUNC('day', p.ts) = DATE_TRUNC('day', t.executed_at) AND t.trade_id <= 40;

-- @name join_018
SELECT p.symbol, p.ts, r.beta FROM prices p JOIN risk_scores r USING (symbol) WHERE p.volume > 150000000;

-- @name join_019
SELECT symbol, p.account_id, r.sector FROM positions p JOIN risk_scores r USING (symbol);

-- @name join_020
SELECT account_id, a.strategy, t.trade_id FROM accounts a JOIN trades t USING (account_id) WHERE t.quantity > 450;

-- @name join_021
SELECT symbol, COUNT(*) AS n FROM trades JOIN risk_scores USING (symbol) GROUP BY symbol;

-- @name join_022
SELECT p.account_id, p.symbol, p.quantity * pr.close AS market_value FROM positions p JOIN prices pr ON pr.symbol = p.symbol AND pr.ts = TIMESTAMP '2026-05-29 20:00:00';

-- @name join_023
SELECT p.account_id, SUM(p.quantity * pr.close) AS mv FROM positions p JOIN prices pr ON pr.symbol = p.symbol WHERE pr.ts = TIMESTAMP '2026-05-29 20:00:00' GROUP BY p.account_id;

-- @name join_024
SELECT p.account_id, p.symbol, p.quantity * (pr.close - p.avg_cost) AS pnl FROM positions p JOIN prices pr ON pr.symbol = p.symbol AND pr.ts = TIMESTAMP '2026-05-29 20:00:00';

-- @name join_025
SELECT c.country, SUM(t.quantity * t.price) AS notional FROM trades t JOIN accounts a ON a.account_id = t.account_id JOIN customers c ON c.customer_id = a.customer_id GROUP BY c.country;

-- @name join_026
SELECT c.segment, COUNT(DISTINCT t.account_id) AS active FROM trades t JOIN accounts a ON a.account_id = t.account_id JOIN customers c ON c.customer_id = a.customer_id GROUP BY c.segment;

-- @name join_027
SELECT r.sector, SUM(p.quantity * p.avg_cost) AS exposure FROM positions p JOIN risk_scores r ON r.symbol = p.symbol GROUP BY r.sector;

-- @name join_028
SELECT r.sector, SUM(p.quantity * r.beta) AS beta_exposure FROM positions p JOIN risk_scores r ON r.symbol = p.symbol GROUP BY r.sector;

-- @name join_029
SELECT a.strategy, r.sector, COUNT(*) AS n FROM positions p JOIN accounts a ON a.account_id = p.account_id JOIN risk_scores r ON r.symbol = p.symbol GROUP BY a.strategy, r.sector;

-- @name join_030
-- @empty
SELECT t.trade_id, t.price, pr.low, pr.high FROM trades t JOIN prices pr ON pr.symbol = t.symbol AND pr.ts = DATE_TRUNC('day', t.executed_at) + INTERVAL '20 hours' WHERE t.price < pr.low OR t.price > pr.high;

-- @name join_031
SELECT t.trade_id FROM trades t JOIN prices pr ON pr.symbol = t.symbol AND pr.ts = DATE_TRUNC('day', t.executed_at) + INTERVAL '20 hours' WHERE t.price BETWEEN pr.low AND pr.high AND t.trade_id < 30;

-- @name join_032
SELECT a.symbol, a.ts, b.ts AS next_ts FROM prices a JOIN prices b ON b.symbol = a.symbol AND b.ts > a.ts AND b.ts <= a.ts + INTERVAL '1 day' WHERE a.symbol = 'JPM';

-- @name join_033
SELECT a.trade_id, b.trade_id AS other FROM trades a JOIN trades b ON a.account_id = b.account_id AND a.symbol = b.symbol AND a.trade_id < b.trade_id AND a.side <> b.side;

-- @name join_034
SELECT c.name, a.account_id, p.symbol FROM customers c JOIN accounts a ON a.customer_id = c.customer_id LEFT JOIN positions p ON p.account_id = a.account_id AND p.quantity < 0;

-- @name join_035
SELECT c.customer_id, c.name FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id AND a.strategy = 'growth' WHERE a.account_id IS NULL;

-- @name join_036
SELECT a.account_id, a.strategy, COALESCE(SUM(t.quantity), 0) AS traded FROM accounts a LEFT JOIN trades t ON t.account_id = a.account_id AND t.is_algo GROUP BY a.account_id, a.strategy;

-- @name join_037
SELECT x.symbol, x.n, y.sector FROM (SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol) x JOIN risk_scores y ON y.symbol = x.symbol;

-- @name join_038
SELECT r.symbol, m.max_close FROM risk_scores r JOIN (SELECT symbol, MAX(close) AS max_close FROM prices GROUP BY symbol) m ON m.symbol = r.symbol WHERE r.beta > 1;

-- @name join_039
SELECT v.code, v.label, r.symbol FROM (VALUES ('AA', 'high'), ('A', 'mid'), ('BBB', 'low')) AS v(code, label) JOIN risk_scores r ON r.rating = v.code;

-- @name join_040
SELECT v.code, r.symbol FROM (VALUES ('AA'), ('ZZ')) AS v(code) LEFT JOIN risk_scores r ON r.rating = v.code;

-- @name join_041
SELECT t.trade_id, a.account_id FROM trades t INNER JOIN accounts a ON t.account_id = a.account_id AND a.opened > DATE '2022-01-01';

-- @name join_042
SELECT t.trade_id FROM trades t JOIN accounts a ON t.account_id = a.account_id JOIN customers c ON a.customer_id = c.customer_id WHERE c.country IS NULL;

-- @name join_043
SELECT c.country, a.base_currency, COUNT(*) AS n FROM customers c JOIN accounts a ON a.customer_id = c.customer_id GROUP BY c.country, a.base_currency;

-- @name join_044
SELECT p1.symbol, p1.ts, p1.close - p2.close AS change FROM prices p1 JOIN prices p2 ON p2.symbol = p1.symbol AND p2.ts = p1.ts - INTERVAL '1 day' WHERE p1.symbol IN ('AAPL', 'MSFT');

-- @name join_045
SELECT r1.symbol, r2.symbol AS peer FROM risk_scores r1 JOIN risk_scores r2 ON r1.sector = r2.sector AND r1.symbol < r2.symbol;

-- @name join_046
SELECT a.account_id, b.account_id AS other FROM accounts a JOIN accounts b ON a.customer_id = b.customer_id AND a.account_id < b.account_id;

-- @name join_047
SELECT p.symbol, COUNT(*) AS holders, SUM(CASE WHEN p.quantity < 0 THEN 1 ELSE 0 END) AS shorts FROM positions p LEFT JOIN trades t ON t.account_id = p.account_id AND t.symbol = p.symbol GROUP BY p.symbol;

-- @name join_048
SELECT r.symbol, r.rating, x.n FROM risk_scores r LEFT JOIN (SELECT symbol, COUNT(*) AS n FROM positions WHERE risk_score > 0.9 GROUP BY symbol) x ON x.symbol = r.symbol;

-- @name join_049
SELECT a.x, b.y FROM (VALUES (1), (NULL)) AS a(x) JOIN (VALUES (1), (NULL)) AS b(y) ON a.x = b.y;

-- @name join_050
SELECT a.x, b.y FROM (VALUES (1), (NULL)) AS a(x) LEFT JOIN (VALUES (1), (NULL)) AS b(y) ON a.x = b.y;
