-- Query shapes of issue 21, item 2: named windows, QUALIFY, DISTINCT ON,
-- GROUPING SETS / ROLLUP / CUBE and GROUPING(), RANGE and GROUPS frames,
-- WITH RECURSIVE: their types and lineage, and (through
-- DialectExecutionTests) their SQLite and DuckDB SQL on the fixtures.

-- @name named_window
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, v3 INTEGER, rn INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage v3 = prices.volume aggregation, prices.symbol window, prices.ts window
-- @lineage rn = prices.symbol window, prices.ts window
SELECT symbol, ts, SUM(volume) OVER w AS v3, ROW_NUMBER() OVER (p ORDER BY ts) AS rn
FROM prices WINDOW p AS (PARTITION BY symbol), w AS (PARTITION BY symbol ORDER BY ts ROWS 2 PRECEDING);

-- @name qualify_by_alias
-- @columns symbol TEXT NOT NULL, close DECIMAL(12,4), rn INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage close = prices.close identity
-- @lineage rn = prices.symbol window, prices.ts window
-- @dataset prices.symbol filter, prices.ts filter
SELECT symbol, close, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) AS rn
FROM prices QUALIFY rn = 1;

-- @name qualify_sorted_by_other_column
-- @columns trade_id INTEGER NOT NULL, symbol TEXT
-- @lineage trade_id = trades.trade_id identity
-- @lineage symbol = trades.symbol identity
-- @dataset trades.symbol filter, trades.quantity filter, trades.trade_id filter, trades.price sort, trades.trade_id sort
-- @compare ordered
SELECT trade_id, symbol FROM trades
QUALIFY RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC, trade_id) = 1 ORDER BY price DESC, trade_id;

-- @name distinct_on_latest
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage close = prices.close identity
-- @dataset prices.symbol groupBy, prices.symbol sort, prices.ts sort
-- @compare ordered
SELECT DISTINCT ON (symbol) symbol, ts, close FROM prices ORDER BY symbol, ts DESC;

-- @name rollup_with_grouping
-- @columns symbol TEXT, side TEXT, q INTEGER, g INTEGER NOT NULL
-- @lineage symbol = trades.symbol identity
-- @lineage side = trades.side identity
-- @lineage q = trades.quantity aggregation
-- @lineage g = (none)
-- @dataset trades.symbol groupBy, trades.side groupBy
SELECT symbol, side, SUM(quantity) AS q, GROUPING(symbol, side) AS g FROM trades GROUP BY ROLLUP (symbol, side);

-- @name cube_sorted_by_aggregate
-- @columns symbol TEXT, side TEXT, n INTEGER NOT NULL
-- @lineage symbol = trades.symbol identity
-- @lineage side = trades.side identity
-- @lineage n = (none)
-- @dataset trades.symbol groupBy, trades.side groupBy, trades.quantity sort, trades.symbol sort, trades.side sort
-- @compare ordered
SELECT symbol, side, COUNT(*) AS n FROM trades GROUP BY CUBE (symbol, side)
ORDER BY SUM(quantity) DESC, symbol NULLS LAST, side NULLS LAST;

-- @name grouping_sets_grand_total_of_nothing
-- @columns symbol TEXT, n INTEGER NOT NULL
-- @lineage symbol = trades.symbol identity
-- @lineage n = (none)
-- @dataset trades.quantity filter, trades.symbol groupBy
SELECT symbol, COUNT(*) AS n FROM trades WHERE quantity < 0 GROUP BY GROUPING SETS ((symbol), ());

-- @name range_interval_frame
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ma3d DECIMAL(14,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage ma3d = prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts RANGE BETWEEN INTERVAL '3 days' PRECEDING AND CURRENT ROW) AS ma3d
FROM prices;

-- @name range_decimal_frame
-- @columns trade_id INTEGER NOT NULL, near INTEGER NOT NULL
-- @lineage trade_id = trades.trade_id identity
-- @lineage near = trades.symbol window, trades.price window
SELECT trade_id, COUNT(*) OVER (PARTITION BY symbol ORDER BY price RANGE BETWEEN 1.5 PRECEDING AND 1.5 FOLLOWING) AS near
FROM trades;

-- @name groups_frame
-- @columns trade_id INTEGER NOT NULL, s INTEGER
-- @lineage trade_id = trades.trade_id identity
-- @lineage s = trades.quantity aggregation, trades.quantity window
SELECT trade_id, SUM(quantity) OVER (ORDER BY quantity GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s FROM trades;

-- @name recursive_chain
-- @columns trade_id INTEGER NOT NULL, n INTEGER NOT NULL, q INTEGER
-- @lineage trade_id = trades.trade_id identity via chain.trade_id
-- @lineage n = (none)
-- @lineage q = trades.quantity identity via chain.q, trades.quantity transformation via chain.q chain.q
-- @dataset trades.trade_id filter, trades.trade_id join
WITH RECURSIVE chain(trade_id, n, q) AS (
  SELECT trade_id, 1, quantity FROM trades WHERE trade_id <= 3
  UNION ALL
  SELECT c.trade_id, c.n + 1, c.q + t.quantity FROM chain c JOIN trades t ON t.trade_id = c.trade_id + c.n WHERE c.n < 4)
SELECT trade_id, n, q FROM chain;

-- @name recursive_series
-- @columns d DATE NOT NULL, n INTEGER
-- @lineage d = (none)
-- @lineage n = trades.executed_at conditional
WITH RECURSIVE days(d) AS (SELECT DATE '2026-05-01' UNION ALL SELECT d + 1 FROM days WHERE d < DATE '2026-05-10')
SELECT d, (SELECT COUNT(*) FROM trades WHERE CAST(executed_at AS DATE) = d) AS n FROM days;
