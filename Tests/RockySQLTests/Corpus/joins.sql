-- Joins of positions, prices, trades, accounts and customers.

-- @name positions_with_prices
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, ts TIMESTAMP NOT NULL, close DECIMAL(12,4)
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @lineage ts = prices.ts identity
-- @lineage close = prices.close identity
-- @dataset prices.symbol join, positions.symbol join, prices.ts filter
SELECT p.account_id, p.symbol, p.quantity, pr.ts, pr.close
FROM positions p JOIN prices pr ON pr.symbol = p.symbol
WHERE pr.ts >= TIMESTAMP '2026-05-27 00:00:00';

-- @name positions_using
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity INTEGER, avg_cost DECIMAL(12,4), risk_score DOUBLE, sector TEXT, beta DOUBLE, volatility DOUBLE, var_95 DECIMAL(10,4), rating TEXT
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage quantity = positions.quantity identity
-- @lineage avg_cost = positions.avg_cost identity
-- @lineage risk_score = positions.risk_score identity
-- @lineage sector = risk_scores.sector identity
-- @lineage beta = risk_scores.beta identity
-- @lineage volatility = risk_scores.volatility identity
-- @lineage var_95 = risk_scores.var_95 identity
-- @lineage rating = risk_scores.rating identity
-- @dataset positions.symbol join, risk_scores.symbol join, risk_scores.beta filter
SELECT * FROM positions JOIN risk_scores USING (symbol) WHERE beta < 1;

-- @name left_join_rating
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, rating TEXT
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage rating = risk_scores.rating identity
-- @dataset risk_scores.symbol join, positions.symbol join, risk_scores.rating join
SELECT p.account_id, p.symbol, r.rating FROM positions p LEFT JOIN risk_scores r ON r.symbol = p.symbol AND r.rating IS NOT NULL;

-- @name full_join_using
-- @columns symbol TEXT NOT NULL, quantity INTEGER, var_95 DECIMAL(10,4)
-- @lineage symbol = positions.symbol transformation via a.symbol, risk_scores.symbol transformation via b.symbol
-- @lineage quantity = positions.quantity aggregation via a.quantity
-- @lineage var_95 = risk_scores.var_95 identity via b.var_95
-- @dataset positions.account_id filter, positions.symbol groupBy, risk_scores.sector filter, positions.symbol join via a.symbol, risk_scores.symbol join via b.symbol
SELECT symbol, a.quantity, b.var_95
FROM (SELECT symbol, SUM(quantity) AS quantity FROM positions WHERE account_id = 'ACC-1001' GROUP BY symbol) a
FULL JOIN (SELECT symbol, var_95 FROM risk_scores WHERE sector = 'Technology') b USING (symbol);

-- @name right_join
-- @columns symbol TEXT NOT NULL, account_id TEXT
-- @lineage symbol = risk_scores.symbol identity
-- @lineage account_id = positions.account_id identity
-- @dataset risk_scores.symbol join, positions.symbol join, positions.quantity join
SELECT r.symbol, p.account_id FROM positions p RIGHT JOIN risk_scores r ON r.symbol = p.symbol AND p.quantity > 500;

-- @name cross_join_calendar
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL
-- @lineage symbol = prices.symbol identity via s.symbol
-- @lineage ts = prices.ts identity via d.ts
-- @dataset prices.ts filter
SELECT s.symbol, d.ts FROM (SELECT DISTINCT symbol FROM prices) s CROSS JOIN (SELECT DISTINCT ts FROM prices WHERE ts < TIMESTAMP '2026-05-07 00:00:00') d;

-- @name comma_join
-- @columns account_id TEXT NOT NULL, name TEXT
-- @lineage account_id = accounts.account_id identity
-- @lineage name = customers.name identity
-- @dataset accounts.customer_id filter, customers.customer_id filter, customers.country filter
SELECT a.account_id, c.name FROM accounts a, customers c WHERE a.customer_id = c.customer_id AND c.country = 'DE';

-- @name trades_with_accounts
-- @columns trade_id INTEGER NOT NULL, symbol TEXT, strategy TEXT, notional DECIMAL(31,4)
-- @lineage trade_id = trades.trade_id identity
-- @lineage symbol = trades.symbol identity
-- @lineage strategy = accounts.strategy identity
-- @lineage notional = trades.quantity transformation, trades.price transformation
-- @dataset accounts.account_id join, trades.account_id join
SELECT t.trade_id, t.symbol, a.strategy, t.quantity * t.price AS notional
FROM trades t JOIN accounts a ON a.account_id = t.account_id;

-- @name trade_vs_close
-- @columns trade_id INTEGER NOT NULL, symbol TEXT, price DECIMAL(12,4), close DECIMAL(12,4), slippage DECIMAL(13,4)
-- @lineage trade_id = trades.trade_id identity
-- @lineage symbol = trades.symbol identity
-- @lineage price = trades.price identity
-- @lineage close = prices.close identity
-- @lineage slippage = trades.price transformation, prices.close transformation
-- @dataset prices.symbol join, trades.symbol join, prices.ts join, trades.executed_at join
SELECT t.trade_id, t.symbol, t.price, p.close, t.price - p.close AS slippage
FROM trades t JOIN prices p ON p.symbol = t.symbol AND DATE_TRUNC('day', p.ts) = DATE_TRUNC('day', t.executed_at);

-- @name trade_within_range
-- @columns trade_id INTEGER NOT NULL, within_range BOOLEAN
-- @lineage trade_id = trades.trade_id identity
-- @lineage within_range = trades.price transformation, prices.low transformation, prices.high transformation
-- @dataset prices.symbol join, trades.symbol join, prices.ts join, trades.executed_at join
SELECT t.trade_id, t.price BETWEEN p.low AND p.high AS within_range
FROM trades t JOIN prices p ON p.symbol = t.symbol AND CAST(p.ts AS DATE) = CAST(t.executed_at AS DATE);

-- @name customer_accounts
-- @columns customer_id INTEGER NOT NULL, segment TEXT, accounts INTEGER NOT NULL
-- @lineage customer_id = customers.customer_id identity
-- @lineage segment = customers.segment identity
-- @lineage accounts = accounts.account_id aggregation
-- @dataset accounts.customer_id join, customers.customer_id join, customers.customer_id groupBy, customers.segment groupBy
SELECT c.customer_id, c.segment, COUNT(a.account_id) AS accounts
FROM customers c LEFT JOIN accounts a ON a.customer_id = c.customer_id
GROUP BY c.customer_id, c.segment;

-- @name customer_positions_value
-- @columns customer_id INTEGER NOT NULL, segment TEXT, value DECIMAL(38,4)
-- @lineage customer_id = customers.customer_id identity
-- @lineage segment = customers.segment identity
-- @lineage value = positions.quantity aggregation, prices.close aggregation via latest.close
-- @dataset accounts.customer_id join, customers.customer_id join, positions.account_id join, accounts.account_id join, prices.ts filter, prices.symbol join via latest.symbol, positions.symbol join, customers.customer_id groupBy, customers.segment groupBy
WITH latest AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices))
SELECT c.customer_id, c.segment, SUM(p.quantity * l.close) AS value
FROM customers c
JOIN accounts a ON a.customer_id = c.customer_id
JOIN positions p ON p.account_id = a.account_id
JOIN latest l ON l.symbol = p.symbol
GROUP BY c.customer_id, c.segment;

-- @name trades_per_customer
-- @columns customer_id INTEGER NOT NULL, trades INTEGER NOT NULL, fees DECIMAL(38,2)
-- @lineage customer_id = customers.customer_id identity
-- @lineage trades = trades.trade_id aggregation
-- @lineage fees = trades.fee aggregation
-- @dataset accounts.customer_id join, customers.customer_id join, trades.account_id join, accounts.account_id join, customers.customer_id groupBy
SELECT c.customer_id, COUNT(t.trade_id) AS trades, SUM(t.fee) AS fees
FROM customers c JOIN accounts a ON a.customer_id = c.customer_id LEFT JOIN trades t ON t.account_id = a.account_id
GROUP BY c.customer_id;

-- @name self_join_prev_day
-- @columns symbol TEXT NOT NULL, ts TIMESTAMP NOT NULL, close DECIMAL(12,4), prev_close DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity
-- @lineage ts = prices.ts identity
-- @lineage close = prices.close identity
-- @lineage prev_close = prices.close identity
-- @dataset prices.symbol filter, prices.ts filter, prices.symbol join, prices.ts join
SELECT a.symbol, a.ts, a.close, b.close AS prev_close
FROM prices a JOIN prices b ON b.symbol = a.symbol AND b.ts = (SELECT MAX(ts) FROM prices c WHERE c.symbol = a.symbol AND c.ts < a.ts);

-- @name correlated_latest_trade
-- @columns account_id TEXT NOT NULL, last_trade TIMESTAMP
-- @lineage account_id = accounts.account_id identity
-- @lineage last_trade = trades.executed_at aggregation, trades.account_id conditional, accounts.account_id conditional
SELECT a.account_id, (SELECT MAX(t.executed_at) FROM trades t WHERE t.account_id = a.account_id) AS last_trade FROM accounts a;

-- @name scalar_subquery_average
-- @columns symbol TEXT NOT NULL, close DECIMAL(12,4), vs_all DECIMAL(15,6)
-- @lineage symbol = prices.symbol identity
-- @lineage close = prices.close identity
-- @lineage vs_all = prices.close transformation, prices.close aggregation
-- @dataset prices.symbol filter
SELECT symbol, close, close - (SELECT AVG(close) FROM prices) AS vs_all FROM prices WHERE symbol = 'NVDA';

-- @name in_subquery_trades
-- @columns trade_id INTEGER NOT NULL, symbol TEXT
-- @lineage trade_id = trades.trade_id identity
-- @lineage symbol = trades.symbol identity
-- @dataset accounts.strategy filter, trades.account_id filter, accounts.account_id filter
SELECT trade_id, symbol FROM trades WHERE account_id IN (SELECT account_id FROM accounts WHERE strategy = 'growth');

-- @name not_in_list
-- @columns symbol TEXT NOT NULL, sector TEXT
-- @lineage symbol = risk_scores.symbol identity
-- @lineage sector = risk_scores.sector identity
-- @dataset risk_scores.symbol filter
SELECT symbol, sector FROM risk_scores WHERE symbol NOT IN ('AAPL', 'MSFT', 'XOM');

-- @name exists_trades
-- @columns symbol TEXT NOT NULL
-- @lineage symbol = risk_scores.symbol identity
-- @dataset trades.symbol filter, risk_scores.symbol filter, trades.is_algo filter
SELECT symbol FROM risk_scores r WHERE EXISTS (SELECT 1 FROM trades t WHERE t.symbol = r.symbol AND t.is_algo);

-- @name derived_table_alias_columns
-- @columns sym TEXT, n INTEGER NOT NULL
-- @lineage sym = trades.symbol identity via s.sym
-- @lineage n = (none)
-- @dataset trades.symbol groupBy
SELECT s.sym, s.n FROM (SELECT symbol, COUNT(*) FROM trades GROUP BY symbol) AS s(sym, n);

-- @name cte_column_list
-- @columns sym TEXT, n INTEGER NOT NULL
-- @lineage sym = trades.symbol identity via counts.sym
-- @lineage n = (none)
-- @dataset trades.symbol groupBy
WITH counts(sym, n) AS (SELECT symbol, COUNT(*) FROM trades GROUP BY symbol)
SELECT sym, n FROM counts WHERE n > 15;

-- @name nested_ctes
-- @columns sector TEXT, avg_close DECIMAL(14,6)
-- @lineage sector = risk_scores.sector identity via c.sector b.sector
-- @lineage avg_close = prices.close aggregation via c.avg_close b.close a.close
-- @dataset prices.ts filter, risk_scores.symbol join, prices.symbol join via a.symbol, risk_scores.sector groupBy via b.sector
WITH a AS (SELECT symbol, close FROM prices WHERE ts = (SELECT MAX(ts) FROM prices)),
b AS (SELECT a.symbol, a.close, r.sector FROM a JOIN risk_scores r ON r.symbol = a.symbol),
c AS (SELECT sector, AVG(close) AS avg_close FROM b GROUP BY sector)
SELECT * FROM c;

-- @name star_from_join
-- @columns account_id TEXT NOT NULL, customer_id INTEGER, opened DATE, strategy TEXT, base_currency TEXT, customer_id INTEGER NOT NULL, name TEXT, email TEXT, ssn TEXT, birth_date DATE, country TEXT, segment TEXT
-- @lineage account_id = accounts.account_id identity
-- @lineage customer_id = accounts.customer_id identity
-- @lineage opened = accounts.opened identity
-- @lineage strategy = accounts.strategy identity
-- @lineage base_currency = accounts.base_currency identity
-- @lineage customer_id = customers.customer_id identity
-- @lineage name = customers.name identity
-- @lineage email = customers.email identity
-- @lineage ssn = customers.ssn identity
-- @lineage birth_date = customers.birth_date identity
-- @lineage country = customers.country identity
-- @lineage segment = customers.segment identity
-- @dataset customers.customer_id join, accounts.customer_id join, accounts.account_id filter
SELECT * FROM accounts a JOIN customers c ON c.customer_id = a.customer_id WHERE a.account_id = 'ACC-1001';

-- @name qualified_star
-- @columns symbol TEXT NOT NULL, sector TEXT, beta DOUBLE, volatility DOUBLE, var_95 DECIMAL(10,4), rating TEXT, quantity INTEGER
-- @lineage symbol = risk_scores.symbol identity
-- @lineage sector = risk_scores.sector identity
-- @lineage beta = risk_scores.beta identity
-- @lineage volatility = risk_scores.volatility identity
-- @lineage var_95 = risk_scores.var_95 identity
-- @lineage rating = risk_scores.rating identity
-- @lineage quantity = positions.quantity identity
-- @dataset positions.symbol join, risk_scores.symbol join, positions.account_id filter
SELECT r.*, p.quantity FROM risk_scores r JOIN positions p ON p.symbol = r.symbol WHERE p.account_id = 'ACC-1002';

-- @name quoted_identifiers
-- @columns Ticker Symbol TEXT NOT NULL, close DECIMAL(12,4)
-- @lineage Ticker Symbol = prices.symbol identity
-- @lineage close = prices.close identity
-- @dataset prices.symbol filter
SELECT "symbol" AS "Ticker Symbol", "close" FROM "prices" WHERE "symbol" = 'AAPL';

-- @name exists_in_select_list
-- @columns account_id TEXT NOT NULL, has_trades BOOLEAN NOT NULL, kind TEXT NOT NULL
-- @lineage account_id = accounts.account_id identity
-- @lineage has_trades = trades.account_id conditional
-- @lineage kind = positions.quantity conditional
-- @dataset positions.account_id filter, accounts.account_id filter
SELECT a.account_id, EXISTS (SELECT 1 FROM trades t WHERE t.account_id = a.account_id) AS has_trades,
       CASE WHEN EXISTS (SELECT 1 FROM positions p WHERE p.account_id = a.account_id AND p.quantity > 100) THEN 'large' ELSE 'small' END AS kind
FROM accounts a
WHERE EXISTS (SELECT 1 FROM positions p WHERE p.account_id = a.account_id);

-- @name scalar_subquery_in_case_condition
-- @columns trade_id INTEGER NOT NULL, size TEXT NOT NULL
-- @lineage trade_id = trades.trade_id identity
-- @lineage size = trades.quantity conditional, trades.symbol conditional
SELECT t.trade_id,
       CASE WHEN t.quantity > (SELECT AVG(t2.quantity) FROM trades t2 WHERE t2.symbol = t.symbol) THEN 'above' ELSE 'below' END AS size
FROM trades t;
