-- CAST and ::, conversions in every direction, and the casts that must fail.

-- @name cast_001
SELECT CAST(quantity AS DOUBLE PRECISION) AS q, CAST(quantity AS DECIMAL(12,2)) AS d, CAST(quantity AS TEXT) AS t FROM trades WHERE trade_id <= 10;

-- @name cast_002
SELECT CAST(price AS INTEGER) AS p, CAST(price AS DOUBLE PRECISION) AS f, CAST(price AS TEXT) AS t FROM trades WHERE trade_id <= 30;

-- @name cast_003
SELECT CAST(price AS DECIMAL(10,1)) AS p1, CAST(price AS DECIMAL(14,2)) AS p2, CAST(fee AS DECIMAL(12,4)) AS f4 FROM trades WHERE trade_id <= 40;

-- @name cast_004
SELECT CAST(beta AS DECIMAL(6,2)) AS b, CAST(beta AS INTEGER) AS i, CAST(volatility AS DECIMAL(8,3)) AS v FROM risk_scores;

-- @name cast_005
SELECT CAST('42' AS INTEGER) AS a, CAST(' -7 ' AS INTEGER) AS b, CAST('+13' AS INTEGER) AS c;

-- @name cast_006
SELECT CAST('1.5' AS DOUBLE PRECISION) AS a, CAST('-2e3' AS DOUBLE PRECISION) AS b, CAST('.25' AS DOUBLE PRECISION) AS c;

-- @name cast_007
SELECT CAST('12.345' AS DECIMAL(10,2)) AS a, CAST('-0.005' AS DECIMAL(10,2)) AS b, CAST('99.995' AS DECIMAL(10,2)) AS c;

-- @name cast_008
SELECT CAST('true' AS BOOLEAN) AS a, CAST('f' AS BOOLEAN) AS b, CAST('yes' AS BOOLEAN) AS c, CAST('off' AS BOOLEAN) AS d;

-- @name cast_009
SELECT CAST('2026-05-20' AS DATE) AS d, CAST('2026-05-20 16:30:00' AS TIMESTAMP) AS t;

-- @name cast_010
SELECT CAST(DATE '2026-05-20' AS TIMESTAMP) AS t, CAST(TIMESTAMP '2026-05-20 23:59:59' AS DATE) AS d;

-- @name cast_011
SELECT trade_id, CAST(executed_at AS DATE) AS d FROM trades WHERE trade_id % 20 = 0;

-- @name cast_012
SELECT customer_id, CAST(birth_date AS TIMESTAMP) AS t FROM customers WHERE customer_id < 6;

-- @name cast_013
SELECT CAST(is_algo AS INTEGER) AS i, COUNT(*) AS n FROM trades GROUP BY CAST(is_algo AS INTEGER);

-- @name cast_014
SELECT CAST(1 AS BOOLEAN) AS t, CAST(0 AS BOOLEAN) AS f;

-- @name cast_015
SELECT CAST(2.5 AS INTEGER) AS a, CAST(-2.5 AS INTEGER) AS b, CAST(3.49 AS INTEGER) AS c;

-- @name cast_016
SELECT CAST(2.5e0 AS INTEGER) AS a, CAST(-3.5e0 AS INTEGER) AS b;

-- @name cast_017
SELECT CAST(1.005 AS DECIMAL(5,2)) AS a, CAST(-1.005 AS DECIMAL(5,2)) AS b, CAST(123.456 AS DECIMAL(6,1)) AS c;

-- @name cast_018
SELECT CAST(10 AS DECIMAL(5,2)) / 3 AS q;

-- @name cast_019
SELECT quantity::DOUBLE PRECISION / 7 AS q FROM trades WHERE trade_id < 6;

-- @name cast_020
SELECT price::INTEGER AS p, fee::TEXT AS f FROM trades WHERE trade_id < 12;

-- @name cast_021
SELECT '123'::INTEGER + 1 AS n, '2.50'::DECIMAL(6,2) * 2 AS d;

-- @name cast_022
SELECT CAST(volume AS DECIMAL(20,0)) * close AS turnover FROM prices WHERE symbol = 'AAPL';

-- @name cast_023
SELECT CAST(CAST(price AS DOUBLE PRECISION) AS DECIMAL(12,2)) AS p FROM trades WHERE trade_id < 20;

-- @name cast_024
SELECT CAST(customer_id AS TEXT) || '-' || name AS tag FROM customers;

-- @name cast_025
SELECT CAST(ts AS TEXT) AS t FROM prices WHERE symbol = 'AAPL' AND volume > 60000000;

-- @name cast_026
SELECT CAST(opened AS TEXT) AS t FROM accounts;

-- @name cast_027
SELECT CAST(is_algo AS TEXT) AS t FROM trades WHERE trade_id < 5;

-- @name cast_028
SELECT CAST(NULL AS INTEGER) AS a, CAST(NULL AS TEXT) AS b, CAST(NULL AS DATE) AS c;

-- @name cast_029
-- @error
SELECT CAST('abc' AS INTEGER) AS bad;

-- @name cast_030
-- @error
SELECT CAST('12abc' AS INTEGER) AS bad;

-- @name cast_031
-- @error
SELECT CAST('' AS INTEGER) AS bad;

-- @name cast_032
-- @error
SELECT CAST('3.7' AS INTEGER) AS bad;

-- @name cast_033
-- @error
SELECT CAST(1e20 AS INTEGER) AS bad;

-- @name cast_034
-- @error
SELECT CAST('maybe' AS BOOLEAN) AS bad;

-- @name cast_035
-- @error
SELECT CAST(1e30 AS DECIMAL(10,2)) AS bad;

-- @name cast_036
-- @error
SELECT CAST('2026-13-01' AS DATE) AS bad;

-- @name cast_037
SELECT CAST(quantity AS DECIMAL(3,0)) AS q FROM trades WHERE quantity < 1000;

-- @name cast_038
SELECT SUM(CAST(quantity AS DOUBLE PRECISION)) AS q, SUM(CAST(price AS DOUBLE PRECISION)) AS p FROM trades;

-- @name cast_039
SELECT CAST(SUM(quantity) AS DECIMAL(18,2)) / COUNT(*) AS mean_qty FROM trades;

-- @name cast_040
SELECT CAST(AVG(quantity) AS INTEGER) AS mean_qty FROM trades;
