-- Exposure and concentration: positions valued at the latest prices.

-- @name latest_prices
-- @columns symbol TEXT NOT NULL, close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage close = prices.close identity
-- @dataset prices.ts filter
SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices);

-- @name market_value
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, market_value DECIMAL(31,4)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage market_value = positions.quantity transformation, prices.close transformation via latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, p.symbol, p.quantity * l.close AS market_value
FROM positions p JOIN latest l ON l.symbol = p.symbol;

-- @name exposure_by_sector
-- @columns sector TEXT, exposure DECIMAL(38,4)
-- @lineage sector = risk_scores.sector identity
-- @lineage exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join, risk_scores.sector groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT r.sector, SUM(p.quantity * l.close) AS exposure
FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol
GROUP BY r.sector;

-- @name gross_and_net_exposure
-- @columns account_id TEXT NOT NULL, net_exposure DECIMAL(38,4), gross_exposure DECIMAL(38,4)
-- @lineage account_id = positions.account_id identity
-- @lineage net_exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @lineage gross_exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset prices.ts filter, positions.symbol join, prices.symbol join via latest.symbol, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id,
       SUM(p.quantity * l.close) AS net_exposure,
       SUM(ABS(p.quantity) * l.close) AS gross_exposure
FROM positions p JOIN latest l USING (symbol)
GROUP BY p.account_id;

-- @name long_short_split
-- @columns account_id TEXT NOT NULL, long_value DECIMAL(38,4), short_value DECIMAL(38,4)
-- @lineage account_id = positions.account_id identity
-- @lineage long_value = positions.quantity conditional, positions.quantity aggregation, prices.close aggregation via latest.close
-- @lineage short_value = positions.quantity conditional, positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset prices.ts filter, positions.symbol join, prices.symbol join via latest.symbol, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT account_id,
       SUM(CASE WHEN quantity > 0 THEN quantity * close ELSE 0 END) AS long_value,
       SUM(CASE WHEN quantity < 0 THEN -quantity * close ELSE 0 END) AS short_value
FROM positions JOIN latest USING (symbol)
GROUP BY account_id;

-- @name sector_weights
-- @columns sector TEXT, exposure DECIMAL(38,4), weight_pct DECIMAL(35,2)
-- @lineage sector = risk_scores.sector identity via values_by_sector.sector
-- @lineage exposure = positions.quantity aggregation via values_by_sector.exposure, prices.close aggregation via values_by_sector.exposure latest.close
-- @lineage weight_pct = positions.quantity aggregation via values_by_sector.exposure, prices.close aggregation via values_by_sector.exposure latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join, risk_scores.sector groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
values_by_sector AS (
  SELECT r.sector, SUM(p.quantity * l.close) AS exposure
  FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol
  GROUP BY r.sector
)
SELECT sector, exposure, ROUND(exposure / (SELECT SUM(exposure) FROM values_by_sector) * 100, 2) AS weight_pct
FROM values_by_sector;

-- @name top_positions
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, value DECIMAL(31,4)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage value = positions.quantity transformation, prices.close transformation via latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.quantity sort, prices.close sort via latest.close, positions.account_id sort, positions.symbol sort
-- @compare ordered
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, p.symbol, p.quantity * l.close AS value
FROM positions p JOIN latest l ON l.symbol = p.symbol
ORDER BY value DESC, p.account_id, p.symbol
LIMIT 10;

-- @name unrealized_pnl
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, unrealized_pnl DECIMAL(32,4)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage unrealized_pnl = prices.close transformation via latest.close, positions.avg_cost transformation, positions.quantity transformation
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, p.symbol, (l.close - p.avg_cost) * p.quantity AS unrealized_pnl
FROM positions p JOIN latest l ON l.symbol = p.symbol;

-- @name pnl_by_account
-- @columns account_id TEXT NOT NULL, pnl DECIMAL(38,4), positions INTEGER NOT NULL
-- @lineage account_id = positions.account_id identity
-- @lineage pnl = prices.close aggregation via latest.close, positions.avg_cost aggregation, positions.quantity aggregation
-- @lineage positions = (none)
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, SUM((l.close - p.avg_cost) * p.quantity) AS pnl, COUNT(*) AS positions
FROM positions p JOIN latest l ON l.symbol = p.symbol
GROUP BY p.account_id
HAVING COUNT(*) > 1;

-- @name pnl_percent
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, pnl_pct DECIMAL(19,2)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage pnl_pct = prices.close transformation via latest.close, positions.avg_cost transformation
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, p.symbol, ROUND((l.close / p.avg_cost - 1) * 100, 2) AS pnl_pct
FROM positions p JOIN latest l ON l.symbol = p.symbol;

-- @name cost_basis
-- @columns account_id TEXT NOT NULL, cost_basis DECIMAL(38,4), shares INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage cost_basis = positions.quantity aggregation, positions.avg_cost aggregation
-- @lineage shares = positions.quantity aggregation
-- @dataset positions.account_id groupBy
SELECT account_id, SUM(quantity * avg_cost) AS cost_basis, SUM(quantity) AS shares FROM positions GROUP BY account_id;

-- @name concentration_top_holding
-- @columns account_id TEXT NOT NULL, top_share DECIMAL(38,7)
-- @lineage account_id = positions.account_id identity via vals.account_id
-- @lineage top_share = positions.quantity aggregation via vals.value, prices.close aggregation via vals.value latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.account_id groupBy via vals.account_id
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
vals AS (
  SELECT p.account_id, p.symbol, ABS(p.quantity * l.close) AS value
  FROM positions p JOIN latest l ON l.symbol = p.symbol
)
SELECT account_id, MAX(value) / SUM(value) AS top_share FROM vals GROUP BY account_id;

-- @name exposure_by_strategy
-- @columns strategy TEXT, exposure DECIMAL(38,4)
-- @lineage strategy = accounts.strategy identity
-- @lineage exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset accounts.account_id join, positions.account_id join, prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, accounts.strategy groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT a.strategy, SUM(p.quantity * l.close) AS exposure
FROM positions p JOIN accounts a ON a.account_id = p.account_id JOIN latest l ON l.symbol = p.symbol
GROUP BY a.strategy;

-- @name exposure_by_currency
-- @columns base_currency TEXT, accounts INTEGER NOT NULL, exposure DECIMAL(38,4)
-- @lineage base_currency = accounts.base_currency identity
-- @lineage accounts = accounts.account_id aggregation
-- @lineage exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset accounts.account_id join, positions.account_id join, prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, accounts.base_currency groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT a.base_currency, COUNT(DISTINCT a.account_id) AS accounts, SUM(p.quantity * l.close) AS exposure
FROM positions p JOIN accounts a ON a.account_id = p.account_id JOIN latest l ON l.symbol = p.symbol
GROUP BY a.base_currency;

-- @name exposure_by_country
-- @columns country TEXT, exposure DECIMAL(38,4)
-- @lineage country = customers.country identity
-- @lineage exposure = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset accounts.account_id join, positions.account_id join, customers.customer_id join, accounts.customer_id join, prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, customers.country groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT c.country, SUM(p.quantity * l.close) AS exposure
FROM positions p
JOIN accounts a ON a.account_id = p.account_id
JOIN customers c ON c.customer_id = a.customer_id
JOIN latest l ON l.symbol = p.symbol
GROUP BY c.country;

-- @name beta_weighted_exposure
-- @columns account_id TEXT NOT NULL, beta_exposure DOUBLE
-- @lineage account_id = positions.account_id identity
-- @lineage beta_exposure = positions.quantity aggregation, prices.close aggregation via latest.close, risk_scores.beta aggregation
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, SUM(p.quantity * l.close * r.beta) AS beta_exposure
FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol
GROUP BY p.account_id;

-- @name high_risk_positions
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, risk_score DOUBLE
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @lineage risk_score = positions.risk_score identity
-- @dataset positions.risk_score filter
SELECT account_id, symbol, quantity, risk_score FROM positions WHERE risk_score >= 0.8;

-- @name risk_score_buckets
-- @columns bucket TEXT NOT NULL, positions INTEGER NOT NULL
-- @lineage bucket = positions.risk_score conditional
-- @lineage positions = (none)
-- @dataset positions.risk_score groupBy
SELECT CASE WHEN risk_score IS NULL THEN 'unscored' WHEN risk_score < 0.3 THEN 'low' WHEN risk_score < 0.8 THEN 'medium' ELSE 'high' END AS bucket,
       COUNT(*) AS positions
FROM positions GROUP BY 1;

-- @name symbols_held_count
-- @columns symbol TEXT NOT NULL, holders INTEGER NOT NULL, net_shares INTEGER
-- @lineage symbol = positions.symbol identity
-- @lineage holders = (none)
-- @lineage net_shares = positions.quantity aggregation
-- @dataset positions.symbol groupBy
SELECT symbol, COUNT(*) AS holders, SUM(quantity) AS net_shares FROM positions GROUP BY symbol;

-- @name short_positions
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @dataset positions.quantity filter
SELECT account_id, symbol, quantity FROM positions WHERE quantity < 0;

-- @name accounts_without_positions
-- @columns account_id TEXT NOT NULL
-- @lineage account_id = accounts.account_id identity
-- @dataset positions.account_id filter, accounts.account_id filter, positions.symbol filter
SELECT account_id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = a.account_id AND p.symbol = 'AAPL');

-- @name accounts_holding_tech
-- @columns account_id TEXT NOT NULL
-- @lineage account_id = positions.account_id identity
-- @dataset risk_scores.sector filter, positions.symbol filter, risk_scores.symbol filter
SELECT DISTINCT account_id FROM positions WHERE symbol IN (SELECT symbol FROM risk_scores WHERE sector = 'Technology');

-- @name unrated_exposure
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @dataset risk_scores.symbol join, positions.symbol join, risk_scores.rating filter
SELECT p.account_id, p.symbol, p.quantity FROM positions p JOIN risk_scores r ON r.symbol = p.symbol WHERE r.rating IS NULL;

-- @name sector_position_counts
-- @columns sector TEXT, positions INTEGER NOT NULL, avg_risk DOUBLE
-- @lineage sector = risk_scores.sector identity
-- @lineage positions = positions.symbol aggregation
-- @lineage avg_risk = positions.risk_score aggregation
-- @dataset positions.symbol join, risk_scores.symbol join, risk_scores.sector groupBy
SELECT r.sector, COUNT(p.symbol) AS positions, AVG(p.risk_score) AS avg_risk
FROM risk_scores r LEFT JOIN positions p ON p.symbol = r.symbol
GROUP BY r.sector;

-- @name exposure_rank_within_sector
-- @columns sector TEXT, symbol TEXT NOT NULL, exposure DECIMAL(38,4), rank_in_sector INTEGER NOT NULL
-- @lineage sector = risk_scores.sector identity
-- @lineage symbol = positions.symbol identity via by_symbol.symbol
-- @lineage exposure = positions.quantity aggregation via by_symbol.exposure, prices.close aggregation via by_symbol.exposure latest.close
-- @lineage rank_in_sector = risk_scores.sector window, positions.quantity window via by_symbol.exposure, prices.close window via by_symbol.exposure latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.symbol groupBy, risk_scores.symbol join, positions.symbol join via by_symbol.symbol
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
by_symbol AS (
  SELECT p.symbol, SUM(p.quantity * l.close) AS exposure FROM positions p JOIN latest l ON l.symbol = p.symbol GROUP BY p.symbol
)
SELECT r.sector, b.symbol, b.exposure, RANK() OVER (PARTITION BY r.sector ORDER BY b.exposure DESC) AS rank_in_sector
FROM by_symbol b JOIN risk_scores r ON r.symbol = b.symbol;
