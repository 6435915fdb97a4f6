-- Rebalancing: targets, drift and orders.

-- @name current_weights
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, weight DECIMAL(38,7)
-- @lineage account_id = positions.account_id identity via v.account_id
-- @lineage symbol = positions.symbol identity via v.symbol
-- @lineage weight = positions.quantity transformation via v.value, prices.close transformation via v.value latest.close, positions.quantity aggregation via v.value, prices.close aggregation via v.value latest.close, positions.account_id window via v.account_id
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol)
SELECT account_id, symbol, value / SUM(value) OVER (PARTITION BY account_id) AS weight FROM v;

-- @name equal_weight_target
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, target_weight DECIMAL(7,6)
-- @lineage account_id = positions.account_id identity via v.account_id
-- @lineage symbol = positions.symbol identity via v.symbol
-- @lineage target_weight = positions.account_id window via v.account_id
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol)
SELECT account_id, symbol, 1.0 / COUNT(*) OVER (PARTITION BY account_id) AS target_weight FROM v;

-- @name drift_from_equal_weight
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, drift DECIMAL(38,7)
-- @lineage account_id = positions.account_id identity via w.account_id v.account_id
-- @lineage symbol = positions.symbol identity via w.symbol v.symbol
-- @lineage drift = positions.quantity transformation via w.weight v.value, prices.close transformation via w.weight v.value latest.close, positions.quantity aggregation via w.weight v.value, prices.close aggregation via w.weight v.value latest.close, positions.account_id window via w.weight v.account_id, positions.account_id window via w.n v.account_id
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol),
w AS (
  SELECT account_id, symbol, value, value / SUM(value) OVER (PARTITION BY account_id) AS weight,
         COUNT(*) OVER (PARTITION BY account_id) AS n
  FROM v
)
SELECT account_id, symbol, weight - 1.0 / n AS drift FROM w;

-- @name rebalance_orders
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, order_qty INTEGER
-- @lineage account_id = positions.account_id identity via t.account_id v.account_id
-- @lineage symbol = positions.symbol identity via t.symbol v.symbol
-- @lineage order_qty = positions.quantity aggregation via t.target_value v.value, prices.close aggregation via t.target_value v.value latest.close, positions.account_id window via t.target_value v.account_id, prices.close transformation via t.close v.close latest.close, positions.quantity transformation via t.quantity v.quantity
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity, l.close, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol),
t AS (SELECT account_id, symbol, quantity, close, SUM(value) OVER (PARTITION BY account_id) / COUNT(*) OVER (PARTITION BY account_id) AS target_value FROM v)
SELECT account_id, symbol, CAST(ROUND(target_value / close, 0) AS INTEGER) - quantity AS order_qty FROM t;

-- @name orders_side
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, qty INTEGER
-- @lineage account_id = positions.account_id identity via o.account_id t.account_id v.account_id
-- @lineage symbol = positions.symbol identity via o.symbol t.symbol v.symbol
-- @lineage side = positions.quantity conditional via o.order_qty t.target_value v.value, prices.close conditional via o.order_qty t.target_value v.value latest.close, positions.account_id conditional via o.order_qty t.target_value v.account_id, prices.close conditional via o.order_qty t.close v.close latest.close, positions.quantity conditional via o.order_qty t.quantity v.quantity
-- @lineage qty = positions.quantity aggregation via o.order_qty t.target_value v.value, prices.close aggregation via o.order_qty t.target_value v.value latest.close, positions.account_id window via o.order_qty t.target_value v.account_id, prices.close transformation via o.order_qty t.close v.close latest.close, positions.quantity transformation via o.order_qty t.quantity v.quantity
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity, l.close, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol),
t AS (SELECT account_id, symbol, quantity, close, SUM(value) OVER (PARTITION BY account_id) / COUNT(*) OVER (PARTITION BY account_id) AS target_value FROM v),
o AS (SELECT account_id, symbol, CAST(ROUND(target_value / close, 0) AS INTEGER) - quantity AS order_qty FROM t)
SELECT account_id, symbol, CASE WHEN order_qty > 0 THEN 'buy' WHEN order_qty < 0 THEN 'sell' ELSE 'hold' END AS side, ABS(order_qty) AS qty FROM o;

-- @name sector_target_gap
-- @columns sector TEXT, actual DECIMAL(38,6), target DECIMAL(2,2)
-- @lineage sector = risk_scores.sector identity via s.sector
-- @lineage actual = positions.quantity aggregation via s.exposure, prices.close aggregation via s.exposure latest.close
-- @lineage target = (none)
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join, risk_scores.sector groupBy, risk_scores.sector join via s.sector
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
s AS (
  SELECT r.sector, SUM(p.quantity * l.close) AS exposure
  FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol
  GROUP BY r.sector
),
targets AS (SELECT column1 AS sector, column2 AS target FROM (VALUES ('Technology', 0.40), ('Financials', 0.20), ('Energy', 0.10)) AS tv)
SELECT s.sector, s.exposure / (SELECT SUM(exposure) FROM s) AS actual, t.target
FROM s LEFT JOIN targets t ON t.sector = s.sector;

-- @name cash_needed
-- @columns account_id TEXT NOT NULL, cover_cost DECIMAL(38,4)
-- @lineage account_id = positions.account_id identity
-- @lineage cover_cost = positions.quantity conditional, positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.account_id groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, SUM(CASE WHEN p.quantity < 0 THEN -p.quantity * l.close ELSE 0 END) AS cover_cost
FROM positions p JOIN latest l ON l.symbol = p.symbol GROUP BY p.account_id;

-- @name round_lots
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, round_lot INTEGER, odd_lot INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @lineage round_lot = positions.quantity transformation
-- @lineage odd_lot = positions.quantity transformation
SELECT account_id, symbol, quantity, (quantity / 100) * 100 AS round_lot, quantity % 100 AS odd_lot FROM positions;

-- @name risk_budget
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, risk_contribution DOUBLE
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage risk_contribution = positions.quantity transformation, prices.close transformation via latest.close, risk_scores.volatility transformation
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, risk_scores.symbol join
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT p.account_id, p.symbol, p.quantity * l.close * r.volatility AS risk_contribution
FROM positions p JOIN latest l ON l.symbol = p.symbol JOIN risk_scores r ON r.symbol = p.symbol;

-- @name risk_parity_weights
-- @columns symbol TEXT NOT NULL, rp_weight DOUBLE
-- @lineage symbol = risk_scores.symbol identity via inv.symbol
-- @lineage rp_weight = risk_scores.volatility transformation via inv.inv_vol, risk_scores.volatility aggregation via inv.inv_vol
WITH inv AS (SELECT symbol, 1 / volatility AS inv_vol FROM risk_scores)
SELECT symbol, inv_vol / SUM(inv_vol) OVER () AS rp_weight FROM inv;

-- @name turnover_by_account
-- @columns account_id TEXT, traded_notional DECIMAL(38,4), trades INTEGER NOT NULL
-- @lineage account_id = trades.account_id identity
-- @lineage traded_notional = trades.quantity aggregation, trades.price aggregation
-- @lineage trades = (none)
-- @dataset trades.account_id groupBy
SELECT account_id, SUM(quantity * price) AS traded_notional, COUNT(*) AS trades FROM trades GROUP BY account_id;

-- @name net_flow_by_symbol
-- @columns symbol TEXT, net_shares INTEGER
-- @lineage symbol = trades.symbol identity
-- @lineage net_shares = trades.side conditional, trades.quantity aggregation
-- @dataset trades.symbol groupBy
SELECT symbol, SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS net_shares FROM trades GROUP BY symbol;

-- @name position_after_trades
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, traded INTEGER NOT NULL, before_trades INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @lineage traded = trades.side conditional via flow.traded, trades.quantity aggregation via flow.traded
-- @lineage before_trades = positions.quantity transformation, trades.side conditional via flow.traded, trades.quantity aggregation via flow.traded
-- @dataset trades.account_id groupBy, trades.symbol groupBy, trades.account_id join via flow.account_id, positions.account_id join, trades.symbol join via flow.symbol, positions.symbol join
WITH flow AS (
  SELECT account_id, symbol, SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS traded FROM trades GROUP BY account_id, symbol
)
SELECT p.account_id, p.symbol, p.quantity, COALESCE(f.traded, 0) AS traded, p.quantity - COALESCE(f.traded, 0) AS before_trades
FROM positions p LEFT JOIN flow f ON f.account_id = p.account_id AND f.symbol = p.symbol;

-- @name new_symbols_traded
-- @columns account_id TEXT, symbol TEXT
-- @lineage account_id = trades.account_id identity
-- @lineage symbol = trades.symbol identity
-- @dataset positions.account_id filter, trades.account_id filter, positions.symbol filter, trades.symbol filter
SELECT DISTINCT t.account_id, t.symbol FROM trades t
WHERE NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = t.account_id AND p.symbol = t.symbol);

-- @name rebalance_threshold
-- @columns account_id TEXT NOT NULL, drifted INTEGER NOT NULL
-- @lineage account_id = positions.account_id identity via w.account_id v.account_id
-- @lineage drifted = (none)
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.quantity filter via w.weight v.value, prices.close filter via w.weight v.value latest.close, positions.account_id filter via w.weight v.account_id, positions.account_id filter via w.n v.account_id, positions.account_id groupBy via w.account_id v.account_id
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol),
w AS (SELECT account_id, symbol, value / SUM(value) OVER (PARTITION BY account_id) AS weight, COUNT(*) OVER (PARTITION BY account_id) AS n FROM v)
SELECT account_id, COUNT(*) AS drifted FROM w WHERE ABS(weight - 1.0 / n) > 0.05 GROUP BY account_id;

-- @name average_cost_update
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, new_avg_cost DECIMAL(38,6)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage new_avg_cost = positions.quantity transformation, positions.avg_cost transformation, trades.quantity aggregation, trades.price aggregation
-- @dataset trades.account_id join, positions.account_id join, trades.symbol join, positions.symbol join, trades.side join, positions.account_id groupBy, positions.symbol groupBy, positions.quantity groupBy, positions.avg_cost groupBy
SELECT p.account_id, p.symbol,
       (p.quantity * p.avg_cost + COALESCE(SUM(t.quantity * t.price), 0)) / NULLIF(p.quantity + COALESCE(SUM(t.quantity), 0), 0) AS new_avg_cost
FROM positions p LEFT JOIN trades t ON t.account_id = p.account_id AND t.symbol = p.symbol AND t.side = 'buy'
GROUP BY p.account_id, p.symbol, p.quantity, p.avg_cost;

-- @name weights_sum_check
-- @columns account_id TEXT NOT NULL, one DECIMAL(38,6)
-- @lineage account_id = positions.account_id identity via v.account_id
-- @lineage one = positions.quantity aggregation via v.value, prices.close aggregation via v.value latest.close
-- @dataset prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, positions.account_id groupBy via v.account_id, positions.quantity filter via v.value, prices.close filter via v.value latest.close
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
v AS (SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol)
SELECT account_id, ROUND(SUM(value) / SUM(value), 6) AS one FROM v GROUP BY account_id HAVING SUM(value) <> 0;

-- @name strategy_allocation
-- @columns strategy TEXT, sector TEXT, positions INTEGER NOT NULL
-- @lineage strategy = accounts.strategy identity
-- @lineage sector = risk_scores.sector identity
-- @lineage positions = (none)
-- @dataset accounts.account_id join, positions.account_id join, risk_scores.symbol join, positions.symbol join, accounts.strategy groupBy, risk_scores.sector groupBy
SELECT a.strategy, r.sector, COUNT(*) AS positions
FROM positions p JOIN accounts a ON a.account_id = p.account_id JOIN risk_scores r ON r.symbol = p.symbol
GROUP BY a.strategy, r.sector;
