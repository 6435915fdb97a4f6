-- Statements that write: their result columns, targets and lineage. CREATE
-- TABLE AS and INSERT ... SELECT compare the rows their query produces.

-- @name ctas_daily_returns
-- @target daily_returns
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, ret DECIMAL(21,8)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage ret = prices.close transformation, prices.symbol window, prices.ts window
CREATE TABLE daily_returns AS
SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM prices;

-- @name ctas_or_replace_exposure
-- @target sector_exposure
-- @columns sector TEXT, cost DECIMAL(38,4)
-- @lineage sector = risk_scores.sector identity
-- @lineage cost = positions.quantity aggregation, positions.avg_cost aggregation
-- @dataset risk_scores.symbol join, positions.symbol join, risk_scores.sector groupBy
CREATE OR REPLACE TABLE sector_exposure AS
SELECT r.sector, SUM(p.quantity * p.avg_cost) AS cost FROM positions p JOIN risk_scores r ON r.symbol = p.symbol GROUP BY r.sector;

-- @name ctas_customer_report
-- @target customer_report
-- @columns customer_id INTEGER NOT NULL, name TEXT, email TEXT, accounts INTEGER NOT NULL
-- @lineage customer_id = customers.customer_id identity
-- @lineage name = customers.name identity
-- @lineage email = customers.email identity
-- @lineage accounts = accounts.account_id aggregation
-- @dataset accounts.customer_id join, customers.customer_id join, customers.customer_id groupBy, customers.name groupBy, customers.email groupBy
CREATE TABLE customer_report AS
SELECT c.customer_id, c.name, c.email, COUNT(a.account_id) AS accounts
FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id GROUP BY c.customer_id, c.name, c.email;

-- @name insert_select
-- @target positions
-- @lineage account_id = trades.account_id identity
-- @lineage symbol = trades.symbol identity
-- @lineage quantity = trades.side conditional, trades.quantity aggregation
-- @lineage avg_cost = trades.price aggregation
-- @lineage risk_score = (none)
-- @dataset trades.account_id filter, trades.account_id groupBy, trades.symbol groupBy
INSERT INTO positions (account_id, symbol, quantity, avg_cost, risk_score)
SELECT account_id, symbol, SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END), AVG(price), NULL
FROM trades WHERE account_id = 'ACC-1059' GROUP BY account_id, symbol;

-- @name insert_values
-- @target risk_scores
-- @lineage symbol = (none)
-- @lineage sector = (none)
-- @lineage beta = (none)
-- @lineage volatility = (none)
-- @lineage var_95 = (none)
-- @lineage rating = (none)
-- @compare skip
INSERT INTO risk_scores VALUES ('IBM', 'Technology', 0.9, 0.21, 0.031, 'A'), ('KO', 'Consumer Staples', 0.6, 0.15, 0.02, NULL);

-- @name insert_columns_subset
-- @target trades
-- @lineage trade_id = (none)
-- @lineage account_id = (none)
-- @lineage symbol = (none)
-- @lineage side = (none)
-- @lineage quantity = (none)
-- @lineage price = (none)
-- @lineage executed_at = (none)
-- @lineage is_algo = (none)
-- @compare skip
INSERT INTO trades (trade_id, account_id, symbol, side, quantity, price, executed_at, is_algo)
VALUES (201, 'ACC-1001', 'AAPL', 'buy', 10, 210.5, '2026-05-29 19:00:00', false);

-- @name update_risk
-- @target positions
-- @lineage risk_score = positions.risk_score transformation
-- @dataset risk_scores.beta filter, positions.symbol filter, risk_scores.symbol filter
-- @compare skip
UPDATE positions SET risk_score = risk_score * 1.1 WHERE symbol IN (SELECT symbol FROM risk_scores WHERE beta > 1.3);

-- @name update_avg_cost
-- @target positions
-- @lineage avg_cost = positions.avg_cost transformation
-- @lineage quantity = positions.quantity transformation
-- @dataset positions.account_id filter
-- @compare skip
UPDATE positions SET avg_cost = ROUND(avg_cost, 2), quantity = quantity + 1 WHERE account_id = 'ACC-1001';

-- @name delete_old_prices
-- @target prices
-- @dataset prices.ts filter
-- @compare skip
DELETE FROM prices WHERE ts < TIMESTAMP '2026-05-06 00:00:00';

-- @name delete_closed_positions
-- @target positions
-- @dataset positions.quantity filter, positions.account_id filter, accounts.account_id filter
-- @compare skip
DELETE FROM positions WHERE quantity = 0 OR account_id NOT IN (SELECT account_id FROM accounts);

-- @name create_table
-- @target watchlist
-- @compare skip
CREATE TABLE watchlist (symbol TEXT NOT NULL, added DATE, target DECIMAL(12,4), note TEXT, PRIMARY KEY (symbol));

-- @name alter_add_column
-- @target positions
-- @compare skip
ALTER TABLE positions ADD COLUMN target_weight DECIMAL(6,4);

-- @name alter_rename_column
-- @target risk_scores
-- @compare skip
ALTER TABLE risk_scores RENAME COLUMN rating TO credit_rating;

-- @name drop_table_if_exists
-- @target scratch
-- @compare skip
DROP TABLE IF EXISTS scratch;
