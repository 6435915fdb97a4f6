-- Moving averages, bands and momentum.

-- @name sma_5
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, sma_5 DECIMAL(14,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage sma_5 = prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS sma_5
FROM prices;

-- @name sma_10
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, sma_10 DECIMAL(14,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage sma_10 = prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS 9 PRECEDING) AS sma_10 FROM prices;

-- @name sma_crossover
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, fast DECIMAL(14,6), slow DECIMAL(14,6), signal TEXT NOT NULL
-- @lineage symbol = prices.symbol identity via ma.symbol
-- @lineage ts = prices.ts identity via ma.ts
-- @lineage fast = prices.close aggregation via ma.fast, prices.symbol window via ma.fast, prices.ts window via ma.fast
-- @lineage slow = prices.close aggregation via ma.slow, prices.symbol window via ma.slow, prices.ts window via ma.slow
-- @lineage signal = prices.close conditional via ma.fast, prices.symbol conditional via ma.fast, prices.ts conditional via ma.fast, prices.close conditional via ma.slow, prices.symbol conditional via ma.slow, prices.ts conditional via ma.slow
WITH ma AS (
  SELECT symbol, ts,
         AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS fast,
         AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS slow
  FROM prices
)
SELECT symbol, ts, fast, slow, CASE WHEN fast > slow THEN 'bullish' ELSE 'bearish' END AS signal FROM ma;

-- @name crossover_events
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL
-- @lineage symbol = prices.symbol identity via flagged.symbol ma.symbol
-- @lineage ts = prices.ts identity via flagged.ts ma.ts
-- @dataset prices.close filter via flagged.spread ma.spread, prices.symbol filter via flagged.spread ma.spread, prices.ts filter via flagged.spread ma.spread, prices.close filter via flagged.prev_spread ma.spread, prices.symbol filter via flagged.prev_spread ma.spread, prices.ts filter via flagged.prev_spread ma.spread, prices.symbol filter via flagged.prev_spread ma.symbol, prices.ts filter via flagged.prev_spread ma.ts
WITH ma AS (
  SELECT symbol, ts,
         AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
       - AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS spread
  FROM prices
), flagged AS (
  SELECT symbol, ts, spread, LAG(spread) OVER (PARTITION BY symbol ORDER BY ts) AS prev_spread FROM ma
)
SELECT symbol, ts FROM flagged WHERE spread > 0 AND prev_spread <= 0;

-- @name rolling_sum_volume
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, volume_5d INTEGER
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage volume_5d = prices.volume aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS volume_5d
FROM prices;

-- @name rolling_high_low
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, high_10d DECIMAL(12,4), low_10d DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage high_10d = prices.high aggregation, prices.symbol window, prices.ts window
-- @lineage low_10d = prices.low aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts,
       MAX(high) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS high_10d,
       MIN(low) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS low_10d
FROM prices;

-- @name stochastic_oscillator
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, k_pct DECIMAL(19,2)
-- @lineage symbol = prices.symbol identity via w.symbol
-- @lineage ts = prices.ts identity via w.ts
-- @lineage k_pct = prices.close transformation via w.close, prices.low aggregation via w.ll, prices.symbol window via w.ll, prices.ts window via w.ll, prices.high aggregation via w.hh, prices.symbol window via w.hh, prices.ts window via w.hh
WITH w AS (
  SELECT symbol, ts, close,
         MAX(high) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS hh,
         MIN(low) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ll
  FROM prices
)
SELECT symbol, ts, ROUND((close - ll) / NULLIF(hh - ll, 0) * 100, 2) AS k_pct FROM w;

-- @name bollinger_bands
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, mid DOUBLE, upper_band DOUBLE, lower_band DOUBLE
-- @lineage symbol = prices.symbol identity via stats.symbol
-- @lineage ts = prices.ts identity via stats.ts
-- @lineage mid = prices.close aggregation via stats.mid, prices.symbol window via stats.mid, prices.ts window via stats.mid
-- @lineage upper_band = prices.close aggregation via stats.mid, prices.symbol window via stats.mid, prices.ts window via stats.mid, prices.close aggregation via stats.sd, prices.symbol window via stats.sd, prices.ts window via stats.sd
-- @lineage lower_band = prices.close aggregation via stats.mid, prices.symbol window via stats.mid, prices.ts window via stats.mid, prices.close aggregation via stats.sd, prices.symbol window via stats.sd, prices.ts window via stats.sd
WITH stats AS (
  SELECT symbol, ts, CAST(close AS DOUBLE) AS px,
         AVG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS mid,
         STDDEV(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS sd
  FROM prices
)
SELECT symbol, ts, mid, mid + 2 * sd AS upper_band, mid - 2 * sd AS lower_band FROM stats;

-- @name momentum_5
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, momentum_5 DECIMAL(13,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage momentum_5 = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, close - LAG(close, 5) OVER (PARTITION BY symbol ORDER BY ts) AS momentum_5 FROM prices;

-- @name rate_of_change
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, roc_5 DECIMAL(20,3)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage roc_5 = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, ROUND((close / LAG(close, 5) OVER (PARTITION BY symbol ORDER BY ts) - 1) * 100, 3) AS roc_5 FROM prices;

-- @name lead_next_close
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, next_close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage next_close = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, LEAD(close) OVER (PARTITION BY symbol ORDER BY ts) AS next_close FROM prices;

-- @name lag_with_default
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, prev_close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage prev_close = prices.close transformation, prices.symbol window, prices.ts window
SELECT symbol, ts, LAG(close, 1, close) OVER (PARTITION BY symbol ORDER BY ts) AS prev_close FROM prices;

-- @name cumulative_volume
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, cum_volume INTEGER
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage cum_volume = prices.volume aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_volume
FROM prices;

-- @name running_max_close
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, running_max DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage running_max = prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, MAX(close) OVER (PARTITION BY symbol ORDER BY ts ROWS UNBOUNDED PRECEDING) AS running_max FROM prices;

-- @name centered_average
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, centered DECIMAL(14,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage centered = prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS centered
FROM prices;

-- @name forward_window_max
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, next_week_high DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage next_week_high = prices.high aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, MAX(high) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND 5 FOLLOWING) AS next_week_high
FROM prices;

-- @name count_in_window
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, n INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage n = prices.symbol window, prices.ts window
SELECT symbol, ts, COUNT(*) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS n FROM prices;

-- @name price_vs_average
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, deviation DECIMAL(15,6)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage deviation = prices.close transformation, prices.close aggregation, prices.symbol window
SELECT symbol, ts, close - AVG(close) OVER (PARTITION BY symbol) AS deviation FROM prices;

-- @name volume_spike
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ratio DOUBLE
-- @lineage symbol = prices.symbol identity via v.symbol
-- @lineage ts = prices.ts identity via v.ts
-- @lineage ratio = prices.volume transformation via v.volume, prices.volume aggregation via v.avg_prev, prices.symbol window via v.avg_prev, prices.ts window via v.avg_prev
-- @dataset prices.volume filter via v.volume, prices.volume filter via v.avg_prev, prices.symbol filter via v.avg_prev, prices.ts filter via v.avg_prev
WITH v AS (
  SELECT symbol, ts, volume, AVG(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING) AS avg_prev
  FROM prices
)
SELECT symbol, ts, volume / avg_prev AS ratio FROM v WHERE volume > 1.5 * avg_prev;

-- @name dense_rank_closes
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, close_rank INTEGER NOT NULL
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage close_rank = prices.symbol window, prices.close window
SELECT symbol, ts, DENSE_RANK() OVER (PARTITION BY symbol ORDER BY close DESC) AS close_rank FROM prices;

-- @name ema_seed
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, close DECIMAL(12,4), smoothed DECIMAL(14,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage close = prices.close identity
-- @lineage smoothed = prices.close transformation, prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, close,
       ROUND(0.3 * close + 0.7 * AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING), 4) AS smoothed
FROM prices;
