-- Expression constructs of issue 21, item 2: LIKE ... ESCAPE, STRING_AGG, TIMESTAMP - TIMESTAMP and compound intervals.

-- @name expr_001
SELECT x, x LIKE 'a!%b' ESCAPE '!' AS m FROM (VALUES ('a%b'), ('axb'), ('a!%b'), (NULL)) AS v(x);

-- @name expr_002
SELECT x, x LIKE '%\_%' ESCAPE '\' AS m, x NOT LIKE '%\_%' ESCAPE '\' AS n FROM (VALUES ('a_b'), ('ab'), ('_'), ('a\b')) AS v(x);

-- @name expr_003
SELECT x, x LIKE '50#%%' ESCAPE '#' AS m FROM (VALUES ('50%'), ('50% off'), ('500'), ('50#%')) AS v(x);

-- @name expr_004
SELECT x, x LIKE 'a**b' ESCAPE '*' AS m, x LIKE 'a*%' ESCAPE '*' AS n FROM (VALUES ('a*b'), ('a**b'), ('a%'), ('a%x')) AS v(x);

-- @name expr_005
SELECT x, p, x LIKE p ESCAPE '!' AS m FROM (VALUES ('a%b', 'a!%b'), ('axb', 'a!%b'), ('a_c', '_!_%'), ('Ab', 'a%')) AS v(x, p);

-- @name expr_006
SELECT symbol FROM risk_scores WHERE rating LIKE 'A!+' ESCAPE '!' OR sector LIKE 'Tech%' ESCAPE '!';

-- @name expr_007
SELECT x, x LIKE '[a]*?' ESCAPE '!' AS m FROM (VALUES ('[a]*?'), ('[a]xy'), ('a')) AS v(x);

-- @name expr_008
SELECT x, x LIKE '%%a' ESCAPE '%' AS m FROM (VALUES ('%a'), ('a'), ('%%a'), ('xa')) AS v(x);

-- @name expr_009
SELECT account_id, STRING_AGG(symbol, ',' ORDER BY symbol) AS symbols FROM positions GROUP BY account_id;

-- @name expr_010
SELECT account_id, STRING_AGG(symbol, ' / ' ORDER BY quantity DESC, symbol) AS by_size FROM positions GROUP BY account_id;

-- @name expr_011
SELECT STRING_AGG(DISTINCT sector, ' | ' ORDER BY sector) AS sectors, STRING_AGG(DISTINCT rating, ',' ORDER BY rating DESC) AS ratings FROM risk_scores;

-- @name expr_012
SELECT sector, STRING_AGG(symbol, '' ORDER BY symbol) AS s FROM risk_scores GROUP BY sector;

-- @name expr_013
SELECT STRING_AGG(x, '-' ORDER BY k NULLS FIRST) AS joined, STRING_AGG(x, '-' ORDER BY k DESC NULLS LAST) AS back FROM (VALUES ('a', 2), ('b', NULL), (NULL, 1), ('c', 3)) AS v(x, k);

-- @name expr_014
SELECT STRING_AGG(x, ',') AS none FROM (VALUES ('a'), ('b')) AS v(x) WHERE x = 'z';

-- @name expr_015
SELECT side, STRING_AGG(CAST(trade_id AS TEXT), ',' ORDER BY trade_id) AS ids FROM trades WHERE trade_id <= 20 GROUP BY side;

-- @name expr_016
SELECT c.country, STRING_AGG(a.account_id, ',' ORDER BY a.opened DESC, a.account_id) AS newest_first FROM customers c JOIN accounts a ON a.customer_id = c.customer_id GROUP BY c.country HAVING COUNT(*) > 1;

-- @name expr_017
SELECT symbol, STRING_AGG(side || ':' || CAST(quantity AS TEXT), ' ' ORDER BY executed_at, trade_id) AS flow FROM trades WHERE symbol IN ('AAPL', 'MSFT') AND trade_id < 60 GROUP BY symbol;

-- @name expr_018
SELECT trade_id FROM trades WHERE executed_at - TIMESTAMP '2026-05-04 00:00:00' > INTERVAL '1 day 2 hours' AND trade_id < 80;

-- @name expr_019
SELECT a.trade_id, b.trade_id AS next_id FROM trades a JOIN trades b ON b.trade_id = a.trade_id + 1 WHERE b.executed_at - a.executed_at <= INTERVAL '5 minutes' AND a.trade_id < 100;

-- @name expr_020
SELECT trade_id FROM trades WHERE INTERVAL '2 days' > executed_at - DATE '2026-05-04' AND trade_id < 120;
