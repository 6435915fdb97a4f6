-- Constructs of issue 21, item 2: their types and lineage, and (through
-- DialectExecutionTests) their SQLite and DuckDB SQL on the fixtures.

-- @name is_distinct_from_and_is_true
-- @columns trade_id INTEGER NOT NULL, changed BOOLEAN, manual BOOLEAN NOT NULL
-- @lineage trade_id = trades.trade_id identity
-- @lineage changed = trades.fee conditional, trades.fee transformation
-- @lineage manual = trades.is_algo transformation
-- @dataset trades.fee filter, trades.is_algo filter
SELECT trade_id, fee IS DISTINCT FROM 4.95 AS changed, is_algo IS NOT TRUE AS manual
FROM trades WHERE fee IS NOT DISTINCT FROM NULL OR is_algo IS FALSE;

-- @name fetch_first
-- @columns trade_id INTEGER NOT NULL, price DECIMAL(12,4)
-- @lineage trade_id = trades.trade_id identity
-- @lineage price = trades.price identity
-- @dataset trades.price sort, trades.trade_id sort
-- @compare ordered
SELECT trade_id, price FROM trades ORDER BY price DESC, trade_id OFFSET 1 ROWS FETCH FIRST 5 ROWS ONLY;

-- @name text_functions
-- @columns customer_id INTEGER NOT NULL, handle TEXT, at_sign INTEGER, l TEXT, r TEXT
-- @lineage customer_id = customers.customer_id identity
-- @lineage handle = customers.email transformation
-- @lineage at_sign = customers.email transformation
-- @lineage l = customers.name transformation
-- @lineage r = customers.name transformation
SELECT customer_id, REPLACE(email, '@example.com', '') AS handle, POSITION('@' IN email) AS at_sign,
       LTRIM(' ' || name) AS l, RTRIM(name || ' ') AS r
FROM customers;

-- @name number_functions
-- @columns trade_id INTEGER NOT NULL, m INTEGER, cents DECIMAL(5,4), s INTEGER, l DOUBLE, floor_300 DECIMAL(12,4) NOT NULL, capped DECIMAL(12,4) NOT NULL
-- @lineage trade_id = trades.trade_id identity
-- @lineage m = trades.quantity transformation
-- @lineage cents = trades.price transformation
-- @lineage s = trades.quantity transformation
-- @lineage l = trades.quantity transformation
-- @lineage floor_300 = trades.price transformation
-- @lineage capped = trades.fee transformation, trades.price transformation
SELECT trade_id, MOD(quantity, 7) AS m, price % 1 AS cents, SIGN(quantity - 250) AS s, LOG10(quantity) AS l,
       GREATEST(price, 300) AS floor_300, LEAST(fee, 5.00, price) AS capped
FROM trades;

-- @name ranking_windows
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, quartile INTEGER NOT NULL, pr DOUBLE NOT NULL, cd DOUBLE NOT NULL, second_close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage quartile = prices.symbol window, prices.close window, prices.ts window
-- @lineage pr = prices.symbol window, prices.close window, prices.ts window
-- @lineage cd = prices.symbol window, prices.close window, prices.ts window
-- @lineage second_close = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, NTILE(4) OVER (PARTITION BY symbol ORDER BY close, ts) AS quartile,
       PERCENT_RANK() OVER (PARTITION BY symbol ORDER BY close, ts) AS pr,
       CUME_DIST() OVER (PARTITION BY symbol ORDER BY close, ts) AS cd,
       NTH_VALUE(close, 2) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_close
FROM prices;

-- @name aggregate_filter
-- @columns symbol TEXT, buys INTEGER NOT NULL, algo_notional DECIMAL(38,4)
-- @lineage symbol = trades.symbol identity
-- @lineage buys = trades.side conditional
-- @lineage algo_notional = trades.is_algo conditional, trades.quantity aggregation, trades.price aggregation
-- @dataset trades.symbol groupBy
SELECT symbol, COUNT(*) FILTER (WHERE side = 'buy') AS buys, SUM(quantity * price) FILTER (WHERE is_algo) AS algo_notional
FROM trades GROUP BY symbol;

-- @name natural_join
-- @columns symbol TEXT NOT NULL, sector TEXT, net INTEGER
-- @lineage symbol = positions.symbol identity
-- @lineage sector = risk_scores.sector identity
-- @lineage net = positions.quantity aggregation
-- @dataset positions.symbol join, risk_scores.symbol join, positions.symbol groupBy, risk_scores.sector groupBy
SELECT symbol, sector, SUM(quantity) AS net FROM positions NATURAL JOIN risk_scores GROUP BY symbol, sector;
