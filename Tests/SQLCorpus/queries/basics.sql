-- Projections, filters, ordering, limits, literals.

-- @name basic_001
-- @ordered
SELECT trade_id, symbol, side, quantity FROM trades WHERE quantity > 400 ORDER BY trade_id;

-- @name basic_002
-- @ordered
SELECT * FROM risk_scores ORDER BY symbol;

-- @name basic_003
-- @ordered
SELECT symbol, close FROM prices WHERE symbol = 'AAPL' ORDER BY ts;

-- @name basic_004
SELECT symbol, ts, high - low AS spread FROM prices WHERE volume > 100000000;

-- @name basic_005
SELECT DISTINCT symbol FROM trades;

-- @name basic_006
SELECT DISTINCT side, is_algo FROM trades;

-- @name basic_007
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id LIMIT 5;

-- @name basic_008
-- @ordered
SELECT trade_id FROM trades ORDER BY trade_id DESC LIMIT 5 OFFSET 10;

-- @name basic_009
-- @ordered
SELECT trade_id, price FROM trades ORDER BY price DESC, trade_id LIMIT 10;

-- @name basic_010
-- @ordered
SELECT customer_id, name FROM customers WHERE country = 'US' ORDER BY 1;

-- @name basic_011
-- @ordered
SELECT customer_id AS id, name AS who FROM customers ORDER BY who, id;

-- @name basic_012
SELECT account_id, symbol FROM positions WHERE quantity < 0;

-- @name basic_013
SELECT account_id, symbol, quantity FROM positions WHERE quantity BETWEEN 100 AND 200;

-- @name basic_014
SELECT account_id, symbol FROM positions WHERE quantity NOT BETWEEN -100 AND 300;

-- @name basic_015
SELECT symbol, sector FROM risk_scores WHERE sector IN ('Technology', 'Energy');

-- @name basic_016
SELECT symbol FROM risk_scores WHERE sector NOT IN ('Technology', 'Energy');

-- @name basic_017
SELECT trade_id FROM trades WHERE symbol = 'NVDA' AND side = 'sell' AND quantity >= 50;

-- @name basic_018
SELECT trade_id FROM trades WHERE symbol = 'NVDA' OR (symbol = 'TSLA' AND is_algo);

-- @name basic_019
SELECT trade_id FROM trades WHERE NOT is_algo AND quantity < 20;

-- @name basic_020
SELECT trade_id, is_algo FROM trades WHERE is_algo = TRUE AND trade_id < 40;

-- @name basic_021
SELECT 1 AS one, 2 + 3 AS five, 7 * 6 AS answer, 10 - 15 AS neg;

-- @name basic_022
SELECT 7 / 2 AS q, -7 / 2 AS nq, 7 % 3 AS r, -7 % 3 AS nr, 7 % -3 AS rn;

-- @name basic_023
SELECT 1.5 + 2.25 AS a, 3.00 * 1.5 AS b, 10.0 - 0.001 AS c;

-- @name basic_024
SELECT 'abc' AS t, 'it''s' AS q, '' AS e;

-- @name basic_025
SELECT TRUE AS t, FALSE AS f, NOT TRUE AS nt, TRUE AND FALSE AS tf, TRUE OR FALSE AS tof;

-- @name basic_026
SELECT trade_id, quantity * price AS notional FROM trades WHERE trade_id <= 20;

-- @name basic_027
SELECT trade_id, quantity * price + fee AS gross FROM trades WHERE trade_id <= 50;

-- @name basic_028
SELECT trade_id, -quantity AS negq, ABS(-quantity) AS absq FROM trades WHERE trade_id % 10 = 0;

-- @name basic_029
-- @ordered
SELECT symbol, ts, volume FROM prices ORDER BY volume DESC, symbol, ts LIMIT 15;

-- @name basic_030
-- @ordered
SELECT symbol, ts, close FROM prices ORDER BY close, symbol, ts LIMIT 7 OFFSET 3;

-- @name basic_031
SELECT symbol, ts FROM prices WHERE close > open AND volume > 50000000;

-- @name basic_032
SELECT symbol, ts FROM prices WHERE high - close < 0.10;

-- @name basic_033
SELECT symbol, ts FROM prices WHERE low >= open - 0.10 OR high <= close + 0.10;

-- @name basic_034
SELECT account_id FROM accounts WHERE strategy = 'value, dividend';

-- @name basic_035
SELECT account_id, strategy FROM accounts WHERE strategy LIKE '%growth%';

-- @name basic_036
SELECT account_id FROM accounts WHERE strategy NOT LIKE 'b%';

-- @name basic_037
SELECT name FROM customers WHERE name LIKE '_o%';

-- @name basic_038
SELECT name FROM customers WHERE email LIKE '%.m%@example.com';

-- @name basic_039
SELECT name, segment FROM customers WHERE segment <> 'retail';

-- @name basic_040
SELECT name FROM customers WHERE customer_id IN (1, 3, 5, 7, 9, 11);

-- @name basic_041
SELECT name FROM customers WHERE customer_id NOT IN (1, 2, 3) AND customer_id < 10;

-- @name basic_042
-- @ordered
SELECT customer_id, name FROM customers ORDER BY name DESC LIMIT 10;

-- @name basic_043
-- @ordered
SELECT trade_id, executed_at FROM trades ORDER BY executed_at DESC LIMIT 10;

-- @name basic_044
SELECT trade_id, price, fee FROM trades WHERE fee > 10.00;

-- @name basic_045
SELECT trade_id FROM trades WHERE price > 500 AND price < 600;

-- @name basic_046
SELECT trade_id FROM trades WHERE price >= 500.5;

-- @name basic_047
SELECT symbol, beta FROM risk_scores WHERE beta > 1.0;

-- @name basic_048
SELECT symbol, beta * 2 AS b2, beta + volatility AS bv FROM risk_scores;

-- @name basic_049
SELECT account_id, symbol, risk_score FROM positions WHERE risk_score < 0.1;

-- @name basic_050
SELECT account_id, symbol FROM positions WHERE risk_score >= 0.8 AND quantity > 0;

-- @name basic_051
-- @ordered
SELECT symbol, ts, open FROM prices p WHERE p.symbol = 'XOM' ORDER BY p.ts DESC;

-- @name basic_052
SELECT t.trade_id, t.symbol FROM trades AS t WHERE t.quantity = 1 OR t.quantity = 500;

-- @name basic_053
SELECT customer_id, customer_id * 1000 + 7 AS code FROM customers;

-- @name basic_054
SELECT 2 + 3 * 4 AS a, (2 + 3) * 4 AS b, 2 - 3 - 4 AS c, 100 / 10 / 5 AS d;

-- @name basic_055
SELECT 9223372036854775807 AS big, -9223372036854775807 AS small;

-- @name basic_056
SELECT 12345678901234567890 AS huge;

-- @name basic_057
SELECT 1e3 AS e, 2.5e-2 AS f;
