-- NULL: three-valued logic, IS NULL, COALESCE, NULLIF, NULL ordering and aggregation.

-- @name null_001
SELECT trade_id, fee FROM trades WHERE fee IS NULL;

-- @name null_002
SELECT COUNT(*) AS n FROM trades WHERE fee IS NOT NULL;

-- @name null_003
SELECT customer_id FROM customers WHERE birth_date IS NULL OR country IS NULL OR segment IS NULL;

-- @name null_004
SELECT customer_id, COALESCE(country, 'unknown') AS country FROM customers;

-- @name null_005
SELECT customer_id, COALESCE(segment, country, 'none') AS s FROM customers;

-- @name null_006
SELECT account_id, COALESCE(strategy, 'unassigned') AS strategy FROM accounts;

-- @name null_007
SELECT symbol, COALESCE(rating, 'NR') AS rating FROM risk_scores;

-- @name null_008
SELECT NULL IS NULL AS a, NULL = NULL AS b, NULL <> 1 AS c, 1 + NULL AS d;

-- @name null_009
SELECT NULL AND FALSE AS a, NULL AND TRUE AS b, NULL OR TRUE AS c, NULL OR FALSE AS d, NOT NULL AS e;

-- @name null_010
SELECT customer_id FROM customers WHERE country = 'US' OR country <> 'US';

-- @name null_011
SELECT customer_id FROM customers WHERE NOT (country = 'US');

-- @name null_012
SELECT customer_id FROM customers WHERE country IN ('US', NULL);

-- @name null_013
-- @empty
SELECT customer_id FROM customers WHERE country NOT IN ('US', NULL);

-- @name null_014
SELECT 1 IN (1, NULL) AS a, 2 IN (1, NULL) AS b, 2 NOT IN (1, NULL) AS c, NULL IN (1) AS d;

-- @name null_015
SELECT NULL BETWEEN 1 AND 2 AS a, 1 BETWEEN NULL AND 2 AS b, 3 BETWEEN NULL AND 2 AS c;

-- @name null_016
SELECT NULL LIKE 'a%' AS a, 'abc' LIKE NULL AS b;

-- @name null_017
SELECT CASE WHEN NULL THEN 'yes' ELSE 'no' END AS a, CASE NULL WHEN NULL THEN 'match' ELSE 'no match' END AS b;

-- @name null_018
SELECT customer_id, CASE country WHEN 'US' THEN 'domestic' WHEN NULL THEN 'never' ELSE 'foreign' END AS k FROM customers;

-- @name null_019
SELECT customer_id, CASE WHEN country IS NULL THEN 'unknown' WHEN country = 'US' THEN 'domestic' ELSE 'foreign' END AS k FROM customers;

-- @name null_020
SELECT NULLIF(country, 'US') AS c, COUNT(*) AS n FROM customers GROUP BY NULLIF(country, 'US');

-- @name null_021
SELECT NULLIF(1, 1) AS a, NULLIF(1, 2) AS b, NULLIF(NULL, 1) AS c;

-- @name null_022
SELECT COALESCE(NULL, NULL, 3) AS a, COALESCE(NULL, 2.5, 3) AS b;

-- @name null_023
SELECT segment, COUNT(*) AS n, COUNT(segment) AS m FROM customers GROUP BY segment;

-- @name null_024
SELECT country, COUNT(*) AS n FROM customers GROUP BY country HAVING country IS NULL OR COUNT(*) > 3;

-- @name null_025
SELECT SUM(fee) AS s, AVG(fee) AS a, MIN(fee) AS mn, MAX(fee) AS mx FROM trades WHERE trade_id IN (42, 119, 188);

-- @name null_026
SELECT COUNT(*) AS n, COUNT(fee) AS f FROM trades WHERE trade_id IN (42, 119, 188);

-- @name null_027
-- @ordered
SELECT customer_id, birth_date FROM customers ORDER BY birth_date, customer_id;

-- @name null_028
-- @ordered
SELECT customer_id, birth_date FROM customers ORDER BY birth_date DESC, customer_id;

-- @name null_029
-- @ordered
SELECT customer_id, birth_date FROM customers ORDER BY birth_date NULLS FIRST, customer_id;

-- @name null_030
-- @ordered
SELECT customer_id, birth_date FROM customers ORDER BY birth_date DESC NULLS LAST, customer_id;

-- @name null_031
-- @ordered
SELECT account_id, strategy FROM accounts ORDER BY strategy, account_id;

-- @name null_032
-- @ordered
SELECT account_id, symbol, risk_score FROM positions ORDER BY risk_score DESC, account_id, symbol LIMIT 5;

-- @name null_033
SELECT account_id, symbol, risk_score FROM positions WHERE risk_score < 0.8;

-- @name null_034
SELECT account_id, symbol, risk_score FROM positions WHERE NOT (risk_score < 0.8);

-- @name null_035
SELECT x, y, x = y AS eq FROM (VALUES (1, 1), (1, NULL), (NULL, NULL)) AS t(x, y);

-- @name null_036
SELECT MAX(x) AS m, COUNT(x) AS n, SUM(x) AS s FROM (VALUES (CAST(NULL AS INTEGER)), (NULL)) AS t(x);

-- @name null_037
SELECT DISTINCT country FROM customers;

-- @name null_038
SELECT country FROM customers UNION SELECT NULL;

-- @name null_039
SELECT fee + 1 AS f, fee * 2 AS g, -fee AS h FROM trades WHERE trade_id IN (41, 42);

-- @name null_040
SELECT c.customer_id, a.account_id FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id AND a.strategy IS NULL;

-- @name null_041
SELECT LENGTH(NULL) AS a, UPPER(NULL) AS b, ABS(NULL) AS c, ROUND(NULL) AS d;

-- @name null_042
SELECT trade_id, COALESCE(fee, ROUND(price * quantity * 0.0005, 2)) AS fee_or_est FROM trades WHERE trade_id IN (42, 119, 188, 1);
