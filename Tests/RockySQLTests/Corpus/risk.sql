-- Volatility, VaR-style windows and drawdowns.

-- @name rolling_volatility
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, vol_10d DOUBLE
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage ts = prices.ts identity via r.ts
-- @lineage vol_10d = prices.close aggregation via r.lr, prices.symbol window via r.lr, prices.ts window via r.lr, prices.symbol window via r.symbol, prices.ts window via r.ts
WITH r AS (
  SELECT symbol, ts, LN(CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts)) AS lr FROM prices
)
SELECT symbol, ts, STDDEV(lr) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS vol_10d FROM r;

-- @name annualized_volatility
-- @columns symbol TEXT NOT NULL, annual_vol DOUBLE
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage annual_vol = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset prices.symbol groupBy via r.symbol
WITH r AS (
  SELECT symbol, CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT symbol, STDDEV_SAMP(ret) * SQRT(252) AS annual_vol FROM r GROUP BY symbol;

-- @name population_stddev
-- @columns symbol TEXT NOT NULL, sd_pop DOUBLE
-- @lineage symbol = prices.symbol identity
-- @lineage sd_pop = prices.close aggregation
-- @dataset prices.symbol groupBy
SELECT symbol, STDDEV_POP(CAST(close AS DOUBLE)) AS sd_pop FROM prices GROUP BY symbol;

-- @name historical_var_rank
-- @columns symbol TEXT NOT NULL, var_95 DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via ranked.symbol r.symbol
-- @lineage var_95 = prices.close transformation via ranked.ret r.ret, prices.symbol window via ranked.ret r.ret, prices.ts window via ranked.ret r.ret
-- @dataset prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, prices.symbol filter via ranked.rn r.symbol, prices.close filter via ranked.rn r.ret, prices.symbol filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ts
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), ranked AS (
  SELECT symbol, ts, ret, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ret, ts) AS rn, COUNT(ret) OVER (PARTITION BY symbol) AS n
  FROM r WHERE ret IS NOT NULL
)
SELECT symbol, ret AS var_95 FROM ranked WHERE rn = 1;

-- @name worst_n_returns
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ret DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via ranked.symbol r.symbol
-- @lineage ts = prices.ts identity via ranked.ts r.ts
-- @lineage ret = prices.close transformation via ranked.ret r.ret, prices.symbol window via ranked.ret r.ret, prices.ts window via ranked.ret r.ret
-- @dataset prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, prices.symbol filter via ranked.worst r.symbol, prices.close filter via ranked.worst r.ret, prices.symbol filter via ranked.worst r.ret, prices.ts filter via ranked.worst r.ret
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), ranked AS (
  SELECT symbol, ts, ret, RANK() OVER (PARTITION BY symbol ORDER BY ret) AS worst FROM r WHERE ret IS NOT NULL
)
SELECT symbol, ts, ret FROM ranked WHERE worst <= 3;

-- @name expected_shortfall
-- @columns symbol TEXT NOT NULL, es_worst2 DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via ranked.symbol r.symbol
-- @lineage es_worst2 = prices.close aggregation via ranked.ret r.ret, prices.symbol window via ranked.ret r.ret, prices.ts window via ranked.ret r.ret
-- @dataset prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, prices.symbol filter via ranked.rn r.symbol, prices.close filter via ranked.rn r.ret, prices.symbol filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ret, prices.ts filter via ranked.rn r.ts, prices.symbol groupBy via ranked.symbol r.symbol
WITH r AS (
  SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), ranked AS (
  SELECT symbol, ret, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ret, ts) AS rn FROM r WHERE ret IS NOT NULL
)
SELECT symbol, AVG(ret) AS es_worst2 FROM ranked WHERE rn <= 2 GROUP BY symbol;

-- @name parametric_var
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, var_units DECIMAL(29,4)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage var_units = positions.quantity transformation, risk_scores.var_95 transformation
-- @dataset risk_scores.symbol join, positions.symbol join
SELECT p.account_id, p.symbol, ABS(p.quantity) * r.var_95 AS var_units FROM positions p JOIN risk_scores r ON r.symbol = p.symbol;

-- @name parametric_var_value
-- @columns account_id TEXT NOT NULL, var_value DECIMAL(38,6)
-- @lineage account_id = positions.account_id identity
-- @lineage var_value = positions.quantity aggregation, prices.close aggregation via latest.close, risk_scores.var_95 aggregation
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, SUM(ABS(p.quantity) * l.close * r.var_95) AS var_value
FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol
GROUP BY p.account_id;

-- @name drawdown
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, drawdown DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage drawdown = prices.close transformation, prices.close aggregation, prices.symbol window, prices.ts window
SELECT symbol, ts, close / MAX(close) OVER (PARTITION BY symbol ORDER BY ts ROWS UNBOUNDED PRECEDING) - 1 AS drawdown FROM prices;

-- @name max_drawdown
-- @columns symbol TEXT NOT NULL, max_drawdown DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via dd.symbol
-- @lineage max_drawdown = prices.close aggregation via dd.drawdown, prices.symbol window via dd.drawdown, prices.ts window via dd.drawdown
-- @dataset prices.symbol groupBy via dd.symbol
WITH dd AS (
  SELECT symbol, close / MAX(close) OVER (PARTITION BY symbol ORDER BY ts ROWS UNBOUNDED PRECEDING) - 1 AS drawdown FROM prices
)
SELECT symbol, MIN(drawdown) AS max_drawdown FROM dd GROUP BY symbol;

-- @name volatility_vs_declared
-- @columns symbol TEXT NOT NULL, volatility DOUBLE, realized_vol DOUBLE, diff DOUBLE
-- @lineage symbol = risk_scores.symbol identity
-- @lineage volatility = risk_scores.volatility identity
-- @lineage realized_vol = prices.close aggregation via realized.realized_vol r.ret, prices.symbol window via realized.realized_vol r.ret, prices.ts window via realized.realized_vol r.ret
-- @lineage diff = prices.close aggregation via realized.realized_vol r.ret, prices.symbol window via realized.realized_vol r.ret, prices.ts window via realized.realized_vol r.ret, risk_scores.volatility transformation
-- @dataset prices.symbol groupBy via r.symbol, prices.symbol join via realized.symbol r.symbol, risk_scores.symbol join
WITH r AS (
  SELECT symbol, CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
), realized AS (
  SELECT symbol, STDDEV(ret) * SQRT(252) AS realized_vol FROM r GROUP BY symbol
)
SELECT s.symbol, s.volatility, z.realized_vol, z.realized_vol - s.volatility AS diff
FROM risk_scores s JOIN realized z ON z.symbol = s.symbol;

-- @name high_beta_symbols
-- @columns symbol TEXT NOT NULL, sector TEXT, beta DOUBLE
-- @lineage symbol = risk_scores.symbol identity
-- @lineage sector = risk_scores.sector identity
-- @lineage beta = risk_scores.beta identity
-- @dataset risk_scores.beta filter, risk_scores.rating filter
SELECT symbol, sector, beta FROM risk_scores WHERE beta > 1.2 AND rating LIKE 'A%';

-- @name rating_groups
-- @columns rating TEXT NOT NULL, symbols INTEGER NOT NULL, avg_beta DOUBLE
-- @lineage rating = risk_scores.rating transformation
-- @lineage symbols = (none)
-- @lineage avg_beta = risk_scores.beta aggregation
-- @dataset risk_scores.rating groupBy
SELECT COALESCE(rating, 'unrated') AS rating, COUNT(*) AS symbols, AVG(beta) AS avg_beta FROM risk_scores GROUP BY COALESCE(rating, 'unrated');

-- @name risk_adjusted_return
-- @columns symbol TEXT NOT NULL, sharpe_daily DOUBLE
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage sharpe_daily = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset prices.symbol groupBy via r.symbol
WITH r AS (
  SELECT symbol, CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT symbol, AVG(ret) / NULLIF(STDDEV(ret), 0) AS sharpe_daily FROM r GROUP BY symbol;


-- @name downside_days
-- @columns symbol TEXT NOT NULL, down_days INTEGER NOT NULL, worst DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage down_days = (none)
-- @lineage worst = prices.close aggregation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, prices.symbol groupBy via r.symbol
WITH r AS (
  SELECT symbol, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT symbol, COUNT(*) AS down_days, MIN(ret) AS worst FROM r WHERE ret < 0 GROUP BY symbol HAVING COUNT(*) >= 3;

-- @name var_breach
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ret DECIMAL(21,8), var_95 DECIMAL(10,4)
-- @lineage symbol = prices.symbol identity via r.symbol
-- @lineage ts = prices.ts identity via r.ts
-- @lineage ret = prices.close transformation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @lineage var_95 = risk_scores.var_95 identity
-- @dataset risk_scores.symbol join, prices.symbol join via r.symbol, prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret, risk_scores.var_95 filter
WITH r AS (
  SELECT p.symbol, p.ts, p.close / LAG(p.close) OVER (PARTITION BY p.symbol ORDER BY p.ts) - 1 AS ret FROM prices p
)
SELECT r.symbol, r.ts, r.ret, s.var_95 FROM r JOIN risk_scores s ON s.symbol = r.symbol WHERE r.ret < -s.var_95 / 4;

-- @name sector_volatility
-- @columns sector TEXT, avg_vol DOUBLE, max_vol DOUBLE, min_beta DOUBLE
-- @lineage sector = risk_scores.sector identity
-- @lineage avg_vol = risk_scores.volatility aggregation
-- @lineage max_vol = risk_scores.volatility aggregation
-- @lineage min_beta = risk_scores.beta aggregation
-- @dataset risk_scores.sector groupBy
SELECT sector, AVG(volatility) AS avg_vol, MAX(volatility) AS max_vol, MIN(beta) AS min_beta FROM risk_scores GROUP BY sector;

-- @name price_dispersion
-- @columns ts TIMESTAMP NOT NULL, dispersion DECIMAL(13,4), symbols INTEGER NOT NULL
-- @lineage ts = prices.ts identity
-- @lineage dispersion = prices.close aggregation
-- @lineage symbols = prices.symbol aggregation
-- @dataset prices.ts groupBy
SELECT ts, MAX(close) - MIN(close) AS dispersion, COUNT(DISTINCT symbol) AS symbols FROM prices GROUP BY ts;

-- @name rolling_correlation_inputs
-- @columns ts TIMESTAMP NOT NULL, aapl DOUBLE, msft DOUBLE, product DOUBLE
-- @lineage ts = prices.ts identity via r.ts
-- @lineage aapl = prices.close transformation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @lineage msft = prices.close transformation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @lineage product = prices.close transformation via r.ret, prices.symbol window via r.ret, prices.ts window via r.ret
-- @dataset prices.ts join via r.ts, prices.symbol filter via r.symbol, prices.close filter via r.ret, prices.symbol filter via r.ret, prices.ts filter via r.ret
WITH r AS (
  SELECT symbol, ts, CAST(close AS DOUBLE) / LAG(CAST(close AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices
)
SELECT a.ts, a.ret AS aapl, b.ret AS msft, a.ret * b.ret AS product
FROM r a JOIN r b ON a.ts = b.ts WHERE a.symbol = 'AAPL' AND b.symbol = 'MSFT' AND a.ret IS NOT NULL;
