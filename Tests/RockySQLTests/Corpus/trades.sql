-- Trade analytics: fees, algo share, timing.

-- @name fees_by_account
-- @columns account_id TEXT, fees DECIMAL(38,2), avg_fee DECIMAL(14,6), booked INTEGER NOT NULL
-- @lineage account_id = trades.account_id identity
-- @lineage fees = trades.fee aggregation
-- @lineage avg_fee = trades.fee aggregation
-- @lineage booked = trades.fee aggregation
-- @dataset trades.account_id groupBy
SELECT account_id, SUM(fee) AS fees, AVG(fee) AS avg_fee, COUNT(fee) AS booked FROM trades GROUP BY account_id;

-- @name unbooked_fees
-- @columns trade_id INTEGER NOT NULL, account_id TEXT
-- @lineage trade_id = trades.trade_id identity
-- @lineage account_id = trades.account_id identity
-- @dataset trades.fee filter
SELECT trade_id, account_id FROM trades WHERE fee IS NULL;

-- @name fee_rate_bps
-- @columns trade_id INTEGER NOT NULL, fee_bps DECIMAL(20,2)
-- @lineage trade_id = trades.trade_id identity
-- @lineage fee_bps = trades.fee transformation, trades.quantity transformation, trades.price transformation
-- @dataset trades.fee filter
SELECT trade_id, ROUND(fee / (quantity * price) * 10000, 2) AS fee_bps FROM trades WHERE fee IS NOT NULL;

-- @name algo_share
-- @columns symbol TEXT, algo_share DECIMAL(26,6)
-- @lineage symbol = trades.symbol identity
-- @lineage algo_share = trades.is_algo conditional
-- @dataset trades.symbol groupBy
SELECT symbol, SUM(CASE WHEN is_algo THEN 1 ELSE 0 END) * 1.0 / COUNT(*) AS algo_share FROM trades GROUP BY symbol;

-- @name algo_flag_text
-- @columns trade_id INTEGER NOT NULL, algo_text TEXT, manual BOOLEAN
-- @lineage trade_id = trades.trade_id identity
-- @lineage algo_text = trades.is_algo transformation
-- @lineage manual = trades.is_algo transformation
-- @dataset trades.trade_id filter
SELECT trade_id, CAST(is_algo AS TEXT) AS algo_text, NOT is_algo AS manual FROM trades WHERE trade_id <= 10;

-- @name trades_per_day
-- @columns trade_date DATE, trades INTEGER NOT NULL, notional DECIMAL(38,4)
-- @lineage trade_date = trades.executed_at transformation
-- @lineage trades = (none)
-- @lineage notional = trades.quantity aggregation, trades.price aggregation
-- @dataset trades.executed_at groupBy
SELECT CAST(executed_at AS DATE) AS trade_date, COUNT(*) AS trades, SUM(quantity * price) AS notional
FROM trades GROUP BY CAST(executed_at AS DATE);

-- @name trades_per_hour
-- @columns hour INTEGER, trades INTEGER NOT NULL
-- @lineage hour = trades.executed_at transformation
-- @lineage trades = (none)
-- @dataset trades.executed_at groupBy
SELECT EXTRACT(HOUR FROM executed_at) AS hour, COUNT(*) AS trades FROM trades GROUP BY EXTRACT(HOUR FROM executed_at);

-- @name trade_seconds
-- @columns trade_id INTEGER NOT NULL, second INTEGER, minute INTEGER, epoch INTEGER
-- @lineage trade_id = trades.trade_id identity
-- @lineage second = trades.executed_at transformation
-- @lineage minute = trades.executed_at transformation
-- @lineage epoch = trades.executed_at transformation
-- @dataset trades.trade_id filter
SELECT trade_id, EXTRACT(SECOND FROM executed_at) AS second, EXTRACT(MINUTE FROM executed_at) AS minute, EXTRACT(EPOCH FROM executed_at) AS epoch
FROM trades WHERE trade_id < 20;

-- @name trade_hour_bucket
-- @columns hour TIMESTAMP, trades INTEGER NOT NULL
-- @lineage hour = trades.executed_at transformation
-- @lineage trades = (none)
-- @dataset trades.executed_at groupBy
SELECT DATE_TRUNC('hour', executed_at) AS hour, COUNT(*) AS trades FROM trades GROUP BY DATE_TRUNC('hour', executed_at);

-- @name trade_minute_bucket
-- @columns trade_id INTEGER NOT NULL, minute TIMESTAMP, second TIMESTAMP
-- @lineage trade_id = trades.trade_id identity
-- @lineage minute = trades.executed_at transformation
-- @lineage second = trades.executed_at transformation
SELECT trade_id, DATE_TRUNC('minute', executed_at) AS minute, DATE_TRUNC('second', executed_at) AS second FROM trades;

-- @name buy_sell_ratio
-- @columns account_id TEXT, bought DECIMAL(38,4), sold DECIMAL(38,4)
-- @lineage account_id = trades.account_id identity
-- @lineage bought = trades.side conditional, trades.quantity aggregation, trades.price aggregation
-- @lineage sold = trades.side conditional, trades.quantity aggregation, trades.price aggregation
-- @dataset trades.account_id groupBy
SELECT account_id,
       SUM(CASE WHEN side = 'buy' THEN quantity * price ELSE 0 END) AS bought,
       SUM(CASE WHEN side = 'sell' THEN quantity * price ELSE 0 END) AS sold
FROM trades GROUP BY account_id;

-- @name largest_trade_per_symbol
-- @columns symbol TEXT, trade_id INTEGER NOT NULL, notional DECIMAL(31,4)
-- @lineage symbol = trades.symbol identity via ranked.symbol
-- @lineage trade_id = trades.trade_id identity via ranked.trade_id
-- @lineage notional = trades.quantity transformation via ranked.notional, trades.price transformation via ranked.notional
-- @dataset trades.symbol filter via ranked.rn, trades.quantity filter via ranked.rn, trades.price filter via ranked.rn, trades.trade_id filter via ranked.rn
WITH ranked AS (
  SELECT trade_id, symbol, quantity * price AS notional, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY quantity * price DESC, trade_id) AS rn FROM trades
)
SELECT symbol, trade_id, notional FROM ranked WHERE rn = 1;

-- @name time_between_trades
-- @columns trade_id INTEGER NOT NULL, account_id TEXT, executed_at TIMESTAMP, previous_trade TIMESTAMP
-- @lineage trade_id = trades.trade_id identity
-- @lineage account_id = trades.account_id identity
-- @lineage executed_at = trades.executed_at identity
-- @lineage previous_trade = trades.executed_at transformation, trades.account_id window, trades.executed_at window, trades.trade_id window
SELECT trade_id, account_id, executed_at, LAG(executed_at) OVER (PARTITION BY account_id ORDER BY executed_at, trade_id) AS previous_trade FROM trades;

-- @name trade_sequence
-- @columns trade_id INTEGER NOT NULL, account_id TEXT, seq INTEGER NOT NULL
-- @lineage trade_id = trades.trade_id identity
-- @lineage account_id = trades.account_id identity
-- @lineage seq = trades.account_id window, trades.executed_at window, trades.trade_id window
SELECT trade_id, account_id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY executed_at, trade_id) AS seq FROM trades;

-- @name running_fees
-- @columns trade_id INTEGER NOT NULL, account_id TEXT, cumulative_fees DECIMAL(38,2)
-- @lineage trade_id = trades.trade_id identity
-- @lineage account_id = trades.account_id identity
-- @lineage cumulative_fees = trades.fee aggregation, trades.account_id window, trades.trade_id window
SELECT trade_id, account_id, SUM(fee) OVER (PARTITION BY account_id ORDER BY trade_id ROWS UNBOUNDED PRECEDING) AS cumulative_fees FROM trades;

-- @name fee_after_rounding
-- @columns trade_id INTEGER NOT NULL, fee_1 DECIMAL(10,1), fee_floor DECIMAL(9,0), fee_ceil DECIMAL(9,0)
-- @lineage trade_id = trades.trade_id identity
-- @lineage fee_1 = trades.fee transformation
-- @lineage fee_floor = trades.fee transformation
-- @lineage fee_ceil = trades.fee transformation
-- @dataset trades.fee filter
SELECT trade_id, ROUND(fee, 1) AS fee_1, FLOOR(fee) AS fee_floor, CEIL(fee) AS fee_ceil FROM trades WHERE fee IS NOT NULL;

-- @name notional_with_fee
-- @columns trade_id INTEGER NOT NULL, total_cost DECIMAL(32,4)
-- @lineage trade_id = trades.trade_id identity
-- @lineage total_cost = trades.quantity transformation, trades.price transformation, trades.fee transformation
-- @dataset trades.side filter
SELECT trade_id, quantity * price + COALESCE(fee, 0) AS total_cost FROM trades WHERE side = 'buy';

-- @name trades_last_week
-- @columns trade_id INTEGER NOT NULL, executed_at TIMESTAMP
-- @lineage trade_id = trades.trade_id identity
-- @lineage executed_at = trades.executed_at identity
-- @dataset trades.executed_at filter
SELECT trade_id, executed_at FROM trades WHERE executed_at >= TIMESTAMP '2026-05-29 00:00:00' - INTERVAL '7' DAY;

-- @name trades_after_open_days
-- @columns trade_id INTEGER NOT NULL, days_since_open INTEGER
-- @lineage trade_id = trades.trade_id identity
-- @lineage days_since_open = trades.executed_at transformation, accounts.opened transformation
-- @dataset accounts.account_id join, trades.account_id join
SELECT t.trade_id, CAST(t.executed_at AS DATE) - a.opened AS days_since_open
FROM trades t JOIN accounts a ON a.account_id = t.account_id;

-- @name weekday_trades
-- @columns weekday INTEGER, trades INTEGER NOT NULL
-- @lineage weekday = trades.executed_at transformation
-- @lineage trades = (none)
-- @dataset trades.executed_at groupBy
SELECT EXTRACT(DOW FROM executed_at) AS weekday, COUNT(*) AS trades FROM trades GROUP BY 1;
