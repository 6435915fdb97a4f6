-- Set operations, VALUES, dates, casts, strings and NULL handling.

-- @name union_symbols
-- @columns symbol TEXT
-- @lineage symbol = positions.symbol identity, trades.symbol identity
SELECT symbol FROM positions UNION SELECT symbol FROM trades;

-- @name union_all_counts
-- @columns source TEXT NOT NULL, n INTEGER NOT NULL
-- @lineage source = (none)
-- @lineage n = (none)
SELECT 'positions' AS source, COUNT(*) AS n FROM positions
UNION ALL SELECT 'trades', COUNT(*) FROM trades
UNION ALL SELECT 'prices', COUNT(*) FROM prices;

-- @name intersect_symbols
-- @columns symbol TEXT
-- @lineage symbol = positions.symbol identity
-- @dataset positions.quantity filter, trades.side filter, trades.symbol filter
SELECT symbol FROM positions WHERE quantity < 0 INTERSECT SELECT symbol FROM trades WHERE side = 'sell';

-- @name except_accounts
-- @columns account_id TEXT
-- @lineage account_id = accounts.account_id identity
-- @dataset trades.account_id filter
SELECT account_id FROM accounts EXCEPT SELECT account_id FROM trades;

-- @name union_decimal_scales
-- @columns symbol TEXT, amount DECIMAL(12,4)
-- @lineage symbol = prices.symbol identity, risk_scores.symbol identity, trades.symbol identity
-- @lineage amount = prices.close identity, risk_scores.var_95 identity, trades.fee identity
-- @dataset prices.ts filter, trades.trade_id filter
SELECT symbol, close AS amount FROM prices WHERE ts = TIMESTAMP '2026-05-29 20:00:00'
UNION ALL SELECT symbol, var_95 FROM risk_scores
UNION ALL SELECT symbol, fee FROM trades WHERE trade_id < 5;

-- @name union_ordered
-- @columns symbol TEXT NOT NULL, x DOUBLE
-- @lineage symbol = risk_scores.symbol identity
-- @lineage x = risk_scores.beta identity, risk_scores.volatility identity
-- @dataset risk_scores.beta filter, risk_scores.volatility filter, risk_scores.symbol sort, risk_scores.beta sort, risk_scores.volatility sort
-- @compare ordered
SELECT symbol, beta AS x FROM risk_scores WHERE beta > 1.3 UNION SELECT symbol, volatility FROM risk_scores WHERE volatility > 0.4 ORDER BY symbol, x;

-- @name values_query
-- @columns code TEXT NOT NULL, weight DECIMAL(2,2) NOT NULL
-- @lineage code = (none)
-- @lineage weight = (none)
SELECT column1 AS code, column2 AS weight FROM (VALUES ('A', 0.5), ('B', 0.25), ('C', 0.25)) AS v;

-- @name case_with_operand
-- @columns symbol TEXT NOT NULL, bucket TEXT NOT NULL
-- @lineage symbol = risk_scores.symbol identity
-- @lineage bucket = risk_scores.sector conditional
SELECT symbol, CASE sector WHEN 'Technology' THEN 'tech' WHEN 'Energy' THEN 'energy' ELSE 'other' END AS bucket FROM risk_scores;

-- @name coalesce_nullif
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, score DOUBLE NOT NULL, qty INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage score = positions.risk_score transformation
-- @lineage qty = positions.quantity transformation
SELECT account_id, symbol, COALESCE(risk_score, 0.5) AS score, NULLIF(quantity, 0) AS qty FROM positions;

-- @name string_functions
-- @columns customer_id INTEGER NOT NULL, c TEXT, s TEXT, len INTEGER, prefix TEXT, trimmed TEXT
-- @lineage customer_id = customers.customer_id identity
-- @lineage c = customers.country transformation
-- @lineage s = customers.segment transformation
-- @lineage len = customers.email transformation
-- @lineage prefix = customers.email transformation
-- @lineage trimmed = customers.segment transformation
-- @dataset customers.customer_id filter
SELECT customer_id, UPPER(country) AS c, LOWER(segment) AS s, LENGTH(email) AS len, SUBSTR(email, 1, 3) AS prefix, TRIM('  ' || segment || '  ') AS trimmed
FROM customers WHERE customer_id <= 10;

-- @name concat_function
-- @columns account_id TEXT NOT NULL, label TEXT NOT NULL
-- @lineage account_id = accounts.account_id identity
-- @lineage label = accounts.account_id transformation, accounts.strategy transformation, accounts.customer_id transformation
SELECT account_id, CONCAT(account_id, '/', strategy, '/', customer_id) AS label FROM accounts;

-- @name concat_decimal_and_date
-- @columns label TEXT
-- @lineage label = prices.symbol transformation, prices.close transformation, prices.ts transformation
-- @dataset prices.symbol filter
SELECT symbol || ' @ ' || CAST(close AS TEXT) || ' on ' || CAST(CAST(ts AS DATE) AS TEXT) AS label FROM prices WHERE symbol = 'JPM';

-- @name timestamp_text
-- @columns trade_id INTEGER NOT NULL, at_text TEXT
-- @lineage trade_id = trades.trade_id identity
-- @lineage at_text = trades.executed_at transformation
-- @dataset trades.trade_id filter
SELECT trade_id, CAST(executed_at AS TEXT) AS at_text FROM trades WHERE trade_id <= 6;

-- @name like_patterns
-- @columns name TEXT
-- @lineage name = customers.name identity
-- @dataset customers.email filter, customers.name filter
SELECT name FROM customers WHERE email LIKE '%.j%@example.com' OR name LIKE 'E_ma%';

-- @name not_like_case_sensitive
-- @columns customer_id INTEGER NOT NULL
-- @lineage customer_id = customers.customer_id identity
-- @dataset customers.name filter
SELECT customer_id FROM customers WHERE name NOT LIKE 'e%';

-- @name customer_age
-- @columns customer_id INTEGER NOT NULL, age_years INTEGER
-- @lineage customer_id = customers.customer_id identity
-- @lineage age_years = customers.birth_date transformation
SELECT customer_id, EXTRACT(YEAR FROM DATE '2026-05-29') - EXTRACT(YEAR FROM birth_date) AS age_years FROM customers;

-- @name birth_month_trunc
-- @columns customer_id INTEGER NOT NULL, birth_month DATE, birth_quarter DATE, birth_year DATE, birth_week DATE
-- @lineage customer_id = customers.customer_id identity
-- @lineage birth_month = customers.birth_date transformation
-- @lineage birth_quarter = customers.birth_date transformation
-- @lineage birth_year = customers.birth_date transformation
-- @lineage birth_week = customers.birth_date transformation
SELECT customer_id, DATE_TRUNC('month', birth_date) AS birth_month, DATE_TRUNC('quarter', birth_date) AS birth_quarter,
       DATE_TRUNC('year', birth_date) AS birth_year, DATE_TRUNC('week', birth_date) AS birth_week FROM customers;

-- @name account_anniversary
-- @columns account_id TEXT NOT NULL, opened DATE, first_anniversary DATE, one_month DATE, minus_30_days DATE, plus_week DATE
-- @lineage account_id = accounts.account_id identity
-- @lineage opened = accounts.opened identity
-- @lineage first_anniversary = accounts.opened transformation
-- @lineage one_month = accounts.opened transformation
-- @lineage minus_30_days = accounts.opened transformation
-- @lineage plus_week = accounts.opened transformation
SELECT account_id, opened, opened + INTERVAL '1' YEAR AS first_anniversary, opened + INTERVAL '1 month' AS one_month,
       opened - 30 AS minus_30_days, opened + 7 AS plus_week FROM accounts;

-- @name month_end_arithmetic
-- @columns d DATE NOT NULL, next_month DATE NOT NULL, prev_month DATE NOT NULL
-- @lineage d = (none)
-- @lineage next_month = (none)
-- @lineage prev_month = (none)
SELECT d, d + INTERVAL '1' MONTH AS next_month, d - INTERVAL '1' MONTH AS prev_month
FROM (SELECT DATE '2024-01-31' AS d UNION ALL SELECT DATE '2024-03-31' UNION ALL SELECT DATE '2023-12-31' UNION ALL SELECT DATE '1969-07-20') AS dates;

-- @name timestamp_interval
-- @columns trade_id INTEGER NOT NULL, settle_check TIMESTAMP, hour_before TIMESTAMP, two_months TIMESTAMP
-- @lineage trade_id = trades.trade_id identity
-- @lineage settle_check = trades.executed_at transformation
-- @lineage hour_before = trades.executed_at transformation
-- @lineage two_months = trades.executed_at transformation
-- @dataset trades.trade_id filter
SELECT trade_id, executed_at + INTERVAL '90' MINUTE AS settle_check, executed_at - INTERVAL '1' HOUR AS hour_before,
       executed_at + INTERVAL '2' MONTH AS two_months FROM trades WHERE trade_id <= 20;

-- @name days_between_dates
-- @columns account_id TEXT NOT NULL, age_days INTEGER
-- @lineage account_id = accounts.account_id identity
-- @lineage age_days = accounts.opened transformation
SELECT account_id, DATE '2026-05-29' - opened AS age_days FROM accounts;

-- @name casts_between_numbers
-- @columns symbol TEXT NOT NULL, close_int INTEGER, close_1 DECIMAL(10,1), beta_2 DECIMAL(6,2), volume_m DOUBLE
-- @lineage symbol = prices.symbol identity
-- @lineage close_int = prices.close transformation
-- @lineage close_1 = prices.close transformation
-- @lineage beta_2 = risk_scores.beta transformation
-- @lineage volume_m = prices.volume transformation
-- @dataset prices.symbol join, risk_scores.symbol join, prices.ts filter
SELECT symbol, CAST(close AS INTEGER) AS close_int, CAST(close AS DECIMAL(10,1)) AS close_1, CAST(beta AS DECIMAL(6,2)) AS beta_2,
       CAST(volume AS DOUBLE) / 1000000 AS volume_m
FROM prices JOIN risk_scores USING (symbol) WHERE ts = TIMESTAMP '2026-05-04 20:00:00';

-- @name casts_from_text
-- @columns d DECIMAL(10,2) NOT NULL, dt DATE NOT NULL, t TIMESTAMP NOT NULL, i INTEGER NOT NULL, b BOOLEAN NOT NULL
-- @lineage d = (none)
-- @lineage dt = (none)
-- @lineage t = (none)
-- @lineage i = (none)
-- @lineage b = (none)
SELECT CAST('12.345' AS DECIMAL(10,2)) AS d, CAST('2026-05-04' AS DATE) AS dt, CAST('2026-05-04 10:30:00' AS TIMESTAMP) AS t,
       CAST('42' AS INTEGER) AS i, CAST('true' AS BOOLEAN) AS b;

-- @name boolean_logic
-- @columns trade_id INTEGER NOT NULL, algo_buy BOOLEAN, flagged BOOLEAN
-- @lineage trade_id = trades.trade_id identity
-- @lineage algo_buy = trades.is_algo transformation, trades.side transformation
-- @lineage flagged = trades.is_algo transformation, trades.fee transformation
-- @dataset trades.trade_id filter
SELECT trade_id, is_algo AND side = 'buy' AS algo_buy, is_algo OR fee IS NULL AS flagged FROM trades WHERE trade_id <= 50;

-- @name null_three_valued
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @dataset positions.risk_score filter
SELECT account_id, symbol FROM positions WHERE NOT (risk_score < 0.8);

-- @name integer_division
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, sevenths INTEGER, neg_sevenths INTEGER, remainder INTEGER
-- @lineage account_id = positions.account_id identity
-- @lineage symbol = positions.symbol identity
-- @lineage sevenths = positions.quantity transformation
-- @lineage neg_sevenths = positions.quantity transformation
-- @lineage remainder = positions.quantity transformation
SELECT account_id, symbol, quantity / 7 AS sevenths, -quantity / 7 AS neg_sevenths, quantity % 7 AS remainder FROM positions;

-- @name decimal_division_rounding
-- @columns trade_id INTEGER NOT NULL, third DECIMAL(14,6), bumped DECIMAL(14,5), seventh DECIMAL(14,6)
-- @lineage trade_id = trades.trade_id identity
-- @lineage third = trades.fee transformation
-- @lineage bumped = trades.fee transformation
-- @lineage seventh = trades.price transformation
-- @dataset trades.fee filter
SELECT trade_id, fee / 3 AS third, fee * 1.005 AS bumped, price / 7 AS seventh FROM trades WHERE fee IS NOT NULL;

-- @name decimal_sum_exact
-- @columns total_fees DECIMAL(38,2), total_price DECIMAL(38,4), avg_fee DECIMAL(14,6), min_fee DECIMAL(10,2), max_price DECIMAL(12,4)
-- @lineage total_fees = trades.fee aggregation
-- @lineage total_price = trades.price aggregation
-- @lineage avg_fee = trades.fee aggregation
-- @lineage min_fee = trades.fee aggregation
-- @lineage max_price = trades.price aggregation
SELECT SUM(fee) AS total_fees, SUM(price) AS total_price, AVG(fee) AS avg_fee, MIN(fee) AS min_fee, MAX(price) AS max_price FROM trades;

-- @name order_by_nulls
-- @columns customer_id INTEGER NOT NULL, birth_date DATE
-- @lineage customer_id = customers.customer_id identity
-- @lineage birth_date = customers.birth_date identity
-- @dataset customers.birth_date sort, customers.customer_id sort
-- @compare ordered
SELECT customer_id, birth_date FROM customers ORDER BY birth_date NULLS FIRST, customer_id;

-- @name order_by_desc_default_nulls
-- @columns customer_id INTEGER NOT NULL, country TEXT
-- @lineage customer_id = customers.customer_id identity
-- @lineage country = customers.country identity
-- @dataset customers.country sort, customers.customer_id sort
-- @compare ordered
SELECT customer_id, country FROM customers ORDER BY country DESC, customer_id LIMIT 5 OFFSET 1;

-- @name distinct_segments
-- @columns segment TEXT, country TEXT
-- @lineage segment = customers.segment identity
-- @lineage country = customers.country identity
SELECT DISTINCT segment, country FROM customers;

-- @name group_by_alias_position
-- @columns c TEXT, n INTEGER NOT NULL
-- @lineage c = customers.country identity
-- @lineage n = (none)
-- @dataset customers.country groupBy, customers.country sort
-- @compare ordered
SELECT country AS c, COUNT(*) AS n FROM customers GROUP BY c ORDER BY 2 DESC, 1 NULLS LAST;

-- @name math_functions
-- @columns symbol TEXT NOT NULL, root DOUBLE, e DOUBLE, sq DOUBLE, a DOUBLE, r DOUBLE
-- @lineage symbol = risk_scores.symbol identity
-- @lineage root = risk_scores.beta transformation
-- @lineage e = risk_scores.volatility transformation
-- @lineage sq = risk_scores.beta transformation
-- @lineage a = risk_scores.beta transformation
-- @lineage r = risk_scores.beta transformation
SELECT symbol, SQRT(beta) AS root, EXP(volatility) AS e, POWER(beta, 2) AS sq, ABS(-beta) AS a, ROUND(beta * 100) AS r FROM risk_scores;

-- @name unicode_names
-- @columns customer_id INTEGER NOT NULL, name TEXT, chars INTEGER
-- @lineage customer_id = customers.customer_id identity
-- @lineage name = customers.name identity
-- @lineage chars = customers.name transformation
-- @dataset customers.name filter, customers.customer_id filter
SELECT customer_id, name, LENGTH(name) AS chars FROM customers WHERE name LIKE '%ö%' OR name LIKE '%é%' OR customer_id = 9;

-- @name comments_and_case
-- @columns SYMBOL TEXT NOT NULL, Close DECIMAL(12,4)
-- @lineage SYMBOL = prices.symbol identity
-- @lineage Close = prices.close identity
-- @dataset prices.symbol filter, prices.ts filter
select /* block */ SYMBOL, Close -- trailing comment
FROM Prices WHERE Symbol = 'TSLA' and TS < timestamp '2026-05-08 00:00:00';

-- @name values_with_column_list
-- @columns code TEXT NOT NULL, double_weight INTEGER NOT NULL
-- @lineage code = (none)
-- @lineage double_weight = (none)
SELECT v.code, v.weight * 2 AS double_weight FROM (VALUES ('a', 1), ('b', 2)) AS v(code, weight);

-- @name cte_named_like_the_table_it_reads
-- @columns symbol TEXT, n INTEGER NOT NULL
-- @lineage symbol = trades.symbol identity via trades.symbol
-- @lineage n = (none)
-- @dataset trades.quantity filter, trades.symbol groupBy via trades.symbol
WITH trades AS (SELECT trade_id, symbol, quantity FROM trades WHERE quantity > 100)
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol;

-- @name except_all_and_intersect_all
-- @columns symbol TEXT
-- @lineage symbol = trades.symbol identity
-- @dataset prices.symbol filter, positions.symbol filter
SELECT symbol FROM trades EXCEPT ALL SELECT symbol FROM positions
INTERSECT ALL SELECT symbol FROM prices;

-- @name variance_family
-- @columns symbol TEXT, v DOUBLE, vs DOUBLE, vp DOUBLE, sp DOUBLE
-- @lineage symbol = trades.symbol identity
-- @lineage v = trades.quantity aggregation
-- @lineage vs = trades.price aggregation
-- @lineage vp = trades.price aggregation
-- @lineage sp = trades.quantity aggregation
-- @dataset trades.symbol groupBy
SELECT symbol, VARIANCE(quantity) AS v, VAR_SAMP(price) AS vs, VAR_POP(price) AS vp, STDDEV_POP(quantity + 1000000000) AS sp
FROM trades GROUP BY symbol;

-- @name unicode_case_mapping
-- @columns up TEXT, low TEXT NOT NULL
-- @lineage up = accounts.strategy transformation
-- @lineage low = positions.symbol transformation
-- @dataset accounts.account_id join, positions.account_id join
SELECT UPPER(strategy || ' é') AS up, LOWER('ÀÉÎ ' || symbol) AS low FROM accounts JOIN positions USING (account_id);

-- @name casts_from_text_by_postgres_rules
-- @columns i INTEGER NOT NULL, j INTEGER NOT NULL, y BOOLEAN NOT NULL, o BOOLEAN NOT NULL, n BOOLEAN NOT NULL, d DOUBLE NOT NULL, half INTEGER NOT NULL, minus_half INTEGER NOT NULL
-- @lineage i = (none)
-- @lineage j = (none)
-- @lineage y = (none)
-- @lineage o = (none)
-- @lineage n = (none)
-- @lineage d = (none)
-- @lineage half = (none)
-- @lineage minus_half = (none)
SELECT CAST(' -12 ' AS INTEGER) AS i, CAST('+7' AS INTEGER) AS j, CAST('Yes' AS BOOLEAN) AS y, CAST(' off ' AS BOOLEAN) AS o,
       CAST('n' AS BOOLEAN) AS n, CAST(' 1.5e1 ' AS DOUBLE) AS d, CAST(2.5e0 AS INTEGER) AS half, CAST(-2.5e0 AS INTEGER) AS minus_half;
