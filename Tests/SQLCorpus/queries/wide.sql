-- DECIMALs of more than 18 digits (up to 38): arithmetic, sums past 64 bits,
-- ordering, grouping, joins and casts. In SQLite these are 16-byte BLOBs
-- computed by the rocky_dec_* helpers (Docs/sql.md).

-- @name wide_001
SELECT trade_id, price * 123456789012345678901 AS big, quantity * 99999999999999999999 AS q FROM trades WHERE trade_id <= 30;

-- @name wide_002
SELECT symbol, SUM(price * quantity * 1000000000000000) AS s, COUNT(*) AS n FROM trades GROUP BY symbol;

-- @name wide_003
-- @ordered
SELECT trade_id, CAST(price AS DECIMAL(38,4)) * 10000000000000000000000 AS v FROM trades WHERE trade_id <= 40 ORDER BY v DESC, trade_id;

-- @name wide_004
SELECT symbol, ROUND(AVG(CAST(price AS DECIMAL(38,4)) * 1000000000000000000), 4) AS a, MIN(price * 100000000000000000000) AS mn,
       MAX(price * 100000000000000000000) AS mx FROM trades GROUP BY symbol;

-- @name wide_005
SELECT trade_id, ROUND(price * 1000000000000000000000 / 7, 4) AS r, ROUND(price * 1000000000000000000000 / quantity, 4) AS q
FROM trades WHERE trade_id <= 30;

-- @name wide_006
SELECT trade_id, CAST('12345678901234567890123.5' AS DECIMAL(38,2)) + price AS p,
       CAST(price * 100000000000000000000 AS DOUBLE PRECISION) AS d, CAST(price * 100000000000000000000 AS DECIMAL(38,1)) AS c1
FROM trades WHERE trade_id <= 30;

-- @name wide_007
-- @ordered
SELECT DISTINCT price * 100000000000000000000 AS v FROM trades ORDER BY v LIMIT 15;

-- @name wide_008
SELECT a.trade_id AS a_id, b.trade_id AS b_id FROM trades a JOIN trades b
  ON a.price * 100000000000000000000 = b.price * 100000000000000000000 AND a.trade_id < b.trade_id
WHERE a.trade_id <= 40 AND b.trade_id <= 80;

-- @name wide_009
SELECT trade_id, (price * 100000000000000000000) % 7 AS m, -(price * 100000000000000000000) AS n,
       ABS(-(price * 100000000000000000000)) AS ab, FLOOR(price * 1000000000000000000000 / 7) AS f,
       CEIL(-(price * 1000000000000000000000) / 7) AS c, TRUNC(-(price * 100000000000000000000) * 0.001) AS t,
       SIGN(-(price * 100000000000000000000)) AS sg
FROM trades WHERE trade_id <= 30;

-- @name wide_010
SELECT trade_id, SUM(price * quantity * 1000000000000000) OVER (PARTITION BY symbol ORDER BY trade_id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s
FROM trades WHERE trade_id <= 60;

-- @name wide_011
SELECT symbol, SUM(price * quantity * 1000000000000000) AS s FROM trades GROUP BY symbol
HAVING SUM(price * quantity * 1000000000000000) > 100000000000000000000 ORDER BY s DESC;

-- @name wide_012
SELECT trade_id, CASE WHEN price > 300 THEN price * 100000000000000000000 ELSE fee END AS v,
       COALESCE(NULL, price * 100000000000000000000) AS co, GREATEST(price * 100000000000000000000, fee) AS g
FROM trades WHERE trade_id <= 30;

-- @name wide_013
SELECT COUNT(*) AS n, SUM(CAST(quantity AS DECIMAL(38,0)) * 100000000000000000) AS s,
       SUM(DISTINCT price * 100000000000000000000) AS sd FROM trades;

-- @name wide_014
SELECT trade_id, price * 100000000000000000000 - fee * 100000000000000000000 AS d, price * 100000000000000000000 + 0.5 AS p
FROM trades WHERE trade_id <= 30 AND price * 100000000000000000000 BETWEEN 10000000000000000000000 AND 40000000000000000000000;
