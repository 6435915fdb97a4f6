-- Text: functions, concatenation, LIKE, Unicode, ordering.

-- @name str_001
SELECT customer_id, UPPER(name) AS u, LOWER(name) AS l FROM customers;

-- @name str_002
SELECT customer_id, LENGTH(name) AS n, LENGTH(email) AS e FROM customers;

-- @name str_003
SELECT customer_id, SUBSTR(email, 1, 5) AS head, SUBSTRING(ssn, 8, 4) AS last4 FROM customers;

-- @name str_004
SELECT customer_id, SUBSTR(name, 3) AS tail FROM customers;

-- @name str_005
SELECT customer_id, name || ' <' || email || '>' AS contact FROM customers;

-- @name str_006
SELECT customer_id, CONCAT(name, ' (', country, ')') AS c FROM customers;

-- @name str_007
SELECT CONCAT('a', NULL, 'b') AS c, 'a' || NULL AS d;

-- @name str_008
SELECT TRIM('  padded  ') AS t, LENGTH(TRIM('  x ')) AS n;

-- @name str_009
SELECT account_id, SUBSTR(account_id, 5) AS num, CAST(SUBSTR(account_id, 5) AS INTEGER) AS n FROM accounts;

-- @name str_010
SELECT symbol || '/' || side AS pair, COUNT(*) AS n FROM trades GROUP BY symbol || '/' || side;

-- @name str_011
SELECT LOWER(symbol) AS s FROM risk_scores;

-- @name str_012
SELECT UPPER('héllo') AS u, LOWER('ÄRGER') AS l, UPPER('straße') AS s2;

-- @name str_013
SELECT name FROM customers WHERE LOWER(name) LIKE '%an%';

-- @name str_014
SELECT name FROM customers WHERE name LIKE '%é%' OR name LIKE '%ö%';

-- @name str_015
SELECT name, LENGTH(name) AS n FROM customers WHERE customer_id IN (9, 18, 19, 24);

-- @name str_016
SELECT name FROM customers WHERE name LIKE 'A%';

-- @name str_017
-- @empty
SELECT name FROM customers WHERE name LIKE 'a%';

-- @name str_018
SELECT email FROM customers WHERE email LIKE '%son@%';

-- @name str_019
SELECT name FROM customers WHERE name LIKE '%,%' OR name LIKE '%"%';

-- @name str_020
SELECT 'x' || 1 AS a, 1 || 'x' AS b, 'p' || 2.50 AS c;

-- @name str_021
SELECT symbol || CAST(quantity AS TEXT) AS k FROM trades WHERE trade_id < 10;

-- @name str_022
SELECT name < 'M' AS first_half, COUNT(*) AS n FROM customers GROUP BY name < 'M';

-- @name str_023
-- @ordered
SELECT name FROM customers ORDER BY name;

-- @name str_024
-- @ordered
SELECT country, segment FROM customers WHERE country IS NOT NULL AND segment IS NOT NULL GROUP BY country, segment ORDER BY country DESC, segment;

-- @name str_025
SELECT MAX(LENGTH(name)) AS longest, MIN(LENGTH(name)) AS shortest FROM customers;

-- @name str_026
SELECT SUBSTR(name, 1, 1) AS initial, COUNT(*) AS n FROM customers GROUP BY SUBSTR(name, 1, 1);

-- @name str_027
SELECT SUBSTR(email, LENGTH(email) - 10) AS domain FROM customers WHERE customer_id < 5;

-- @name str_028
SELECT CASE WHEN LENGTH(name) > 12 THEN SUBSTR(name, 1, 12) || '...' ELSE name END AS short FROM customers;

-- @name str_029
SELECT strategy, LENGTH(strategy) AS n FROM accounts WHERE strategy IS NOT NULL GROUP BY strategy;

-- @name str_030
SELECT UPPER(SUBSTR(side, 1, 1)) || SUBSTR(side, 2) AS side_ FROM trades GROUP BY side;

-- @name str_031
SELECT account_id FROM accounts WHERE account_id > 'ACC-1050';

-- @name str_032
SELECT TRIM(name) = name AS clean, COUNT(*) AS n FROM customers GROUP BY TRIM(name) = name;

-- @name str_033
SELECT '' = '' AS a, '' IS NULL AS b, LENGTH('') AS c;

-- @name str_034
SELECT 'O''Brien' AS q, LENGTH('O''Brien') AS n;

-- @name str_035
SELECT rating, COUNT(*) AS n FROM risk_scores WHERE rating LIKE 'A_' GROUP BY rating;

-- @name str_036
SELECT symbol FROM risk_scores WHERE sector LIKE 'Consumer%';

-- @name str_037
SELECT CONCAT(symbol, '-', CAST(ts AS DATE)) AS k FROM prices WHERE symbol = 'AAPL' AND volume > 60000000;

-- @name str_038
SELECT name FROM customers WHERE name LIKE '王%';
