-- Returns: simple, log, cumulative, period-over-period.

-- @name daily_return
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, daily_return DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage daily_return = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS daily_return
FROM prices;

-- @name daily_change
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, change DECIMAL(13,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage change = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, close - LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS change
FROM prices;

-- @name log_return
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, log_return DOUBLE
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage log_return = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, LN(CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts)) AS log_return
FROM prices;

-- @name intraday_return
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, intraday_return DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage intraday_return = prices.close transformation, prices.open transformation
SELECT symbol, ts, (close - open) / open AS intraday_return FROM prices;

-- @name intraday_range_pct
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, range_pct DECIMAL(21,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage range_pct = prices.high transformation, prices.low transformation, prices.close transformation
SELECT symbol, ts, ROUND((high - low) / close * 100, 4) AS range_pct FROM prices;

-- @name return_since_start
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, cumulative_return DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage cumulative_return = prices.close transformation, prices.close transformation via f.first_close
-- @dataset prices.symbol groupBy, prices.symbol join via s.symbol, prices.symbol join, prices.symbol join via f.symbol, prices.ts join via f.ts, prices.ts join via s.first_ts
SELECT p.symbol, p.ts, p.close / f.first_close - 1 AS cumulative_return
FROM prices p
JOIN (SELECT symbol, MIN(ts) AS first_ts FROM prices GROUP BY symbol) s ON s.symbol = p.symbol
JOIN (SELECT symbol, ts, close AS first_close FROM prices) f ON f.symbol = s.symbol AND f.ts = s.first_ts;

-- @name first_last_close
-- @columns symbol TEXT NOT NULL, first_close DECIMAL(12,4), last_close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage first_close = prices.close transformation, prices.symbol window, prices.ts window
-- @lineage last_close = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol,
       FIRST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_close,
       LAST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_close
FROM prices;

-- @name period_return
-- @columns symbol TEXT NOT NULL, period_return DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via bounds.symbol
-- @lineage period_return = prices.close transformation via bounds.last_close, prices.symbol window via bounds.last_close, prices.ts window via bounds.last_close, prices.close transformation via bounds.first_close, prices.symbol window via bounds.first_close, prices.ts window via bounds.first_close
WITH bounds AS (
  SELECT DISTINCT symbol,
         FIRST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_close,
         LAST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_close
  FROM prices
)
SELECT symbol, last_close / first_close - 1 AS period_return FROM bounds;

-- @name weekly_close
-- @columns symbol TEXT NOT NULL, week TIMESTAMP NOT NULL, week_high DECIMAL(12,4), week_low DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage week = prices.ts transformation
-- @lineage week_high = prices.close aggregation
-- @lineage week_low = prices.close aggregation
-- @dataset prices.symbol groupBy, prices.ts groupBy
SELECT symbol, DATE_TRUNC('week', ts) AS week, MAX(close) AS week_high, MIN(close) AS week_low
FROM prices GROUP BY symbol, DATE_TRUNC('week', ts);

-- @name weekly_return
-- @columns symbol TEXT NOT NULL, week TIMESTAMP NOT NULL, weekly_return DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via closes.symbol weekly.symbol
-- @lineage week = prices.ts transformation via closes.week weekly.week
-- @lineage weekly_return = prices.close transformation via closes.close, prices.symbol window via closes.symbol weekly.symbol, prices.ts window via closes.week weekly.week
-- @dataset prices.symbol groupBy, prices.ts groupBy, prices.symbol join, prices.symbol join via weekly.symbol, prices.ts join, prices.ts join via weekly.last_ts
WITH weekly AS (
  SELECT symbol, DATE_TRUNC('week', ts) AS week, MAX(ts) AS last_ts
  FROM prices GROUP BY symbol, DATE_TRUNC('week', ts)
), closes AS (
  SELECT w.symbol, w.week, p.close FROM weekly w JOIN prices p ON p.symbol = w.symbol AND p.ts = w.last_ts
)
SELECT symbol, week, close / LAG(close) OVER (PARTITION BY symbol ORDER BY week) - 1 AS weekly_return FROM closes;

-- @name monthly_average_close
-- @columns symbol TEXT NOT NULL, month TIMESTAMP NOT NULL, avg_close DECIMAL(14,6), days INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage month = prices.ts transformation
-- @lineage avg_close = prices.close aggregation
-- @lineage days = (none)
-- @dataset prices.symbol groupBy, prices.ts groupBy
SELECT symbol, DATE_TRUNC('month', ts) AS month, AVG(close) AS avg_close, COUNT(*) AS days
FROM prices GROUP BY symbol, DATE_TRUNC('month', ts);

-- @name best_day_per_symbol
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ret DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via ranked.symbol r.symbol
-- @lineage ts = prices.ts identity via ranked.ts r.ts
-- @lineage ret = prices.close transformation via ranked.ret r.ret, prices.symbol window via ranked.ret r.ret, prices.ts window via ranked.ret r.ret
-- @dataset prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, prices.symbol filter via ranked.rn r.symbol, prices.close filter via ranked.rn r.ret, prices.symbol filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ts
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), ranked AS (
  SELECT symbol, ts, ret, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ret DESC, ts) AS rn FROM r WHERE ret IS NOT NULL
)
SELECT symbol, ts, ret FROM ranked WHERE rn = 1;

-- @name worst_day_per_symbol
-- @columns symbol TEXT NOT NULL, worst_change DECIMAL(13,4)
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage worst_change = prices.close aggregation via r.change, prices.symbol window via r.change, prices.ts window via r.change
-- @dataset prices.symbol groupBy via r.symbol
WITH r AS (
  SELECT symbol, ts, close - LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS change FROM prices
)
SELECT symbol, MIN(change) AS worst_change FROM r GROUP BY symbol;

-- @name up_days
-- @columns symbol TEXT NOT NULL, up_days INTEGER, down_days INTEGER
-- @lineage symbol = prices.symbol identity
-- @lineage up_days = prices.close conditional, prices.open conditional
-- @lineage down_days = prices.close conditional, prices.open conditional
-- @dataset prices.symbol groupBy
SELECT symbol,
       SUM(CASE WHEN close > open THEN 1 ELSE 0 END) AS up_days,
       SUM(CASE WHEN close < open THEN 1 ELSE 0 END) AS down_days
FROM prices GROUP BY symbol;

-- @name gap_open
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, gap DECIMAL(13,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage gap = prices.open transformation, prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, open - LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS gap FROM prices;

-- @name return_percent_rounded
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, return_pct DECIMAL(19,2)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage return_pct = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, ROUND((close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1) * 100, 2) AS return_pct FROM prices;

-- @name average_daily_return
-- @columns symbol TEXT NOT NULL, avg_return DECIMAL(21,8), observations INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage avg_return = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @lineage observations = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset prices.symbol groupBy via r.symbol
WITH r AS (
  SELECT symbol, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT symbol, AVG(ret) AS avg_return, COUNT(ret) AS observations FROM r GROUP BY symbol;

-- @name total_return_ranking
-- @columns symbol TEXT NOT NULL, total_return DECIMAL(21,8), rank INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity via perf.symbol bounds.symbol
-- @lineage total_return = prices.close transformation via perf.total_return
-- @lineage rank = prices.close window via perf.total_return
-- @dataset prices.symbol groupBy, prices.symbol join, prices.symbol join via bounds.symbol, prices.ts join, prices.ts join via bounds.first_ts, prices.ts join via bounds.last_ts
WITH bounds AS (
  SELECT symbol, MIN(ts) AS first_ts, MAX(ts) AS last_ts FROM prices GROUP BY symbol
), perf AS (
  SELECT b.symbol, l.close / f.close - 1 AS total_return
  FROM bounds b
  JOIN prices f ON f.symbol = b.symbol AND f.ts = b.first_ts
  JOIN prices l ON l.symbol = b.symbol AND l.ts = b.last_ts
)
SELECT symbol, total_return, RANK() OVER (ORDER BY total_return DESC) AS rank FROM perf;

-- @name volume_weighted_price
-- @columns symbol TEXT NOT NULL, vwap DECIMAL(38,6)
-- @lineage symbol = prices.symbol identity
-- @lineage vwap = prices.close aggregation, prices.volume aggregation
-- @dataset prices.symbol groupBy
SELECT symbol, SUM(close * volume) / SUM(volume) AS vwap FROM prices GROUP BY symbol;

-- @name typical_price
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, typical_price DECIMAL(16,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage typical_price = prices.high transformation, prices.low transformation, prices.close transformation
SELECT symbol, ts, (high + low + close) / 3 AS typical_price FROM prices;

-- @name true_range
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, true_range DECIMAL(13,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage true_range = prices.high conditional, prices.low conditional, prices.close conditional, prices.symbol conditional, prices.ts conditional, prices.high transformation, prices.low transformation, prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts,
       CASE WHEN high - low >= ABS(high - LAG(close) OVER (PARTITION BY symbol ORDER BY ts))
            THEN high - low ELSE ABS(high - LAG(close) OVER (PARTITION BY symbol ORDER BY ts)) END AS true_range
FROM prices;

-- @name returns_by_sector
-- @columns sector TEXT, ts TIMESTAMP NOT NULL, sector_return DECIMAL(21,8)
-- @lineage sector = risk_scores.sector identity
-- @lineage ts = prices.ts identity via r.ts
-- @lineage sector_return = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset risk_scores.symbol join, prices.symbol join via r.symbol, prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, risk_scores.sector groupBy, prices.ts groupBy via r.ts
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT s.sector, r.ts, AVG(r.ret) AS sector_return
FROM r JOIN risk_scores s ON s.symbol = r.symbol
WHERE r.ret IS NOT NULL
GROUP BY s.sector, r.ts;

-- @name excess_return_vs_market
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, excess DECIMAL(22,8)
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage ts = prices.ts identity via r.ts
-- @lineage excess = prices.close transformation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret, prices.close aggregation via market.market_ret r.ret, prices.symbol window via market.market_ret r.ret, prices.ts window via market.market_ret r.ret
-- @dataset prices.ts groupBy via r.ts, prices.ts join via market.ts r.ts, prices.ts join via r.ts, prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), market AS (
  SELECT ts, AVG(ret) AS market_ret FROM r GROUP BY ts
)
SELECT r.symbol, r.ts, r.ret - m.market_ret AS excess FROM r JOIN market m ON m.ts = r.ts WHERE r.ret IS NOT NULL;

-- @name price_on_date
-- @columns symbol TEXT NOT NULL, close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage close = prices.close identity
-- @dataset prices.ts filter
SELECT symbol, close FROM prices WHERE ts = TIMESTAMP '2026-05-15 20:00:00';

-- @name prices_in_window
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage close = prices.close identity
-- @dataset prices.ts filter, prices.symbol filter
SELECT symbol, ts, close FROM prices WHERE ts BETWEEN '2026-05-11' AND '2026-05-16' AND symbol IN ('AAPL', 'MSFT');

-- @name daily_dollar_volume
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, dollar_volume DECIMAL(31,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage dollar_volume = prices.close transformation, prices.volume transformation
SELECT symbol, ts, close * volume AS dollar_volume FROM prices;

-- @name extract_calendar_fields
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, y INTEGER NOT NULL, m INTEGER NOT NULL, d INTEGER NOT NULL, dow INTEGER NOT NULL, doy INTEGER NOT NULL, h INTEGER NOT NULL, q INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage y = prices.ts transformation
-- @lineage m = prices.ts transformation
-- @lineage d = prices.ts transformation
-- @lineage dow = prices.ts transformation
-- @lineage doy = prices.ts transformation
-- @lineage h = prices.ts transformation
-- @lineage q = prices.ts transformation
-- @dataset prices.symbol filter
SELECT symbol, ts, EXTRACT(YEAR FROM ts) AS y, EXTRACT(MONTH FROM ts) AS m, EXTRACT(DAY FROM ts) AS d,
       EXTRACT(DOW FROM ts) AS dow, EXTRACT(DOY FROM ts) AS doy, EXTRACT(HOUR FROM ts) AS h, EXTRACT(QUARTER FROM ts) AS q
FROM prices WHERE symbol = 'AAPL';
