-- Aggregates, GROUP BY, HAVING.

-- @name agg_001
SELECT COUNT(*) AS n FROM trades;

-- @name agg_002
SELECT COUNT(fee) AS n, COUNT(*) AS all_rows FROM trades;

-- @name agg_003
SELECT COUNT(DISTINCT symbol) AS symbols, COUNT(DISTINCT account_id) AS accounts FROM trades;

-- @name agg_004
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol;

-- @name agg_005
SELECT symbol, side, COUNT(*) AS n, SUM(quantity) AS q FROM trades GROUP BY symbol, side;

-- @name agg_006
SELECT symbol, SUM(quantity * price) AS notional FROM trades GROUP BY symbol;

-- @name agg_007
SELECT symbol, SUM(fee) AS fees, MIN(fee) AS lo, MAX(fee) AS hi FROM trades GROUP BY symbol;

-- @name agg_008
SELECT symbol, AVG(price) AS avg_price FROM trades GROUP BY symbol;

-- @name agg_009
SELECT symbol, AVG(quantity) AS avg_qty FROM trades GROUP BY symbol;

-- @name agg_010
SELECT symbol, AVG(close) AS avg_close, MIN(low) AS lo, MAX(high) AS hi FROM prices GROUP BY symbol;

-- @name agg_011
SELECT symbol, SUM(volume) AS vol FROM prices GROUP BY symbol;

-- @name agg_012
SELECT symbol, ROUND(SUM(price * quantity) / SUM(quantity), 2) AS vwap FROM trades GROUP BY symbol;

-- @name agg_013
SELECT symbol, ROUND(SUM(price * quantity) / SUM(quantity), 4) AS vwap FROM trades GROUP BY symbol;

-- @name agg_014
SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap FROM trades GROUP BY symbol;

-- @name agg_015
SELECT side, SUM(CASE WHEN is_algo THEN 1 ELSE 0 END) AS algo, COUNT(*) AS n FROM trades GROUP BY side;

-- @name agg_016
SELECT symbol, STDDEV(close) AS sd, VARIANCE(close) AS var FROM prices GROUP BY symbol;

-- @name agg_017
SELECT symbol, STDDEV_POP(close) AS sd, VAR_POP(close) AS var FROM prices GROUP BY symbol;

-- @name agg_018
SELECT symbol, STDDEV_SAMP(volume) AS sd, VAR_SAMP(volume) AS var FROM prices GROUP BY symbol;

-- @name agg_019
SELECT STDDEV(quantity + 1000000000) AS s FROM trades;

-- @name agg_020
SELECT STDDEV(beta) AS s, AVG(beta) AS m, SUM(beta) AS t FROM risk_scores;

-- @name agg_021
SELECT sector, COUNT(*) AS n, AVG(beta) AS b FROM risk_scores GROUP BY sector;

-- @name agg_022
SELECT sector, MAX(var_95) AS worst, MIN(var_95) AS best, SUM(var_95) AS total FROM risk_scores GROUP BY sector;

-- @name agg_023
SELECT rating, COUNT(*) AS n FROM risk_scores GROUP BY rating;

-- @name agg_024
SELECT country, COUNT(*) AS n FROM customers GROUP BY country;

-- @name agg_025
SELECT segment, country, COUNT(*) AS n FROM customers GROUP BY segment, country;

-- @name agg_026
SELECT segment, MIN(birth_date) AS oldest, MAX(birth_date) AS youngest FROM customers GROUP BY segment;

-- @name agg_027
SELECT account_id, COUNT(*) AS positions, SUM(quantity) AS net FROM positions GROUP BY account_id;

-- @name agg_028
SELECT account_id, SUM(quantity * avg_cost) AS cost FROM positions GROUP BY account_id;

-- @name agg_029
SELECT symbol, SUM(quantity) AS net, AVG(risk_score) AS risk FROM positions GROUP BY symbol;

-- @name agg_030
SELECT symbol, COUNT(risk_score) AS scored, COUNT(*) AS n FROM positions GROUP BY symbol;

-- @name agg_031
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol HAVING COUNT(*) > 20;

-- @name agg_032
SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol HAVING SUM(quantity) > 4000;

-- @name agg_033
SELECT account_id, COUNT(*) AS n FROM trades GROUP BY account_id HAVING COUNT(*) >= 5;

-- @name agg_034
SELECT account_id, MAX(price) AS top FROM trades GROUP BY account_id HAVING MAX(price) > 600;

-- @name agg_035
SELECT symbol, side, COUNT(*) FROM trades GROUP BY 1, 2 HAVING COUNT(*) BETWEEN 5 AND 12;

-- @name agg_036
-- @ordered
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol ORDER BY n DESC, symbol;

-- @name agg_037
-- @ordered
SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol ORDER BY 2 DESC, 1 LIMIT 3;

-- @name agg_038
SELECT symbol AS s, COUNT(*) AS n FROM trades GROUP BY s;

-- @name agg_039
SELECT is_algo, COUNT(*) AS n, AVG(quantity) AS q FROM trades GROUP BY is_algo;

-- @name agg_040
SELECT side, is_algo, MIN(executed_at) AS first_at, MAX(executed_at) AS last_at FROM trades GROUP BY side, is_algo;

-- @name agg_041
SELECT MIN(ts) AS first_ts, MAX(ts) AS last_ts, COUNT(DISTINCT ts) AS days FROM prices;

-- @name agg_042
SELECT MIN(symbol) AS a, MAX(symbol) AS z FROM prices;

-- @name agg_043
SELECT MIN(name) AS a, MAX(name) AS z FROM customers;

-- @name agg_044
SELECT SUM(quantity) AS q, SUM(-quantity) AS nq FROM positions;

-- @name agg_045
SELECT SUM(fee) AS f, AVG(fee) AS a, COUNT(fee) AS n FROM trades;

-- @name agg_046
SELECT SUM(price) AS p, AVG(price) AS a FROM trades;

-- @name agg_047
SELECT AVG(avg_cost) AS a, SUM(avg_cost) AS s FROM positions;

-- @name agg_048
SELECT COUNT(*) AS n FROM trades WHERE fee IS NULL;

-- @name agg_049
SELECT COUNT(*) AS n FROM positions WHERE risk_score IS NULL;

-- @name agg_050
SELECT COUNT(*) AS n, SUM(quantity) AS q FROM trades WHERE symbol = 'NONE';

-- @name agg_051
SELECT MAX(price) AS m, AVG(price) AS a, SUM(fee) AS f FROM trades WHERE symbol = 'NONE';

-- @name agg_052
SELECT symbol, COUNT(DISTINCT account_id) AS accounts FROM trades GROUP BY symbol;

-- @name agg_053
SELECT COUNT(DISTINCT side || symbol) AS pairs FROM trades;

-- @name agg_054
SELECT symbol, MAX(close) - MIN(close) AS range_ FROM prices GROUP BY symbol;

-- @name agg_055
SELECT symbol, ROUND(AVG(close), 2) AS a FROM prices GROUP BY symbol;

-- @name agg_056
SELECT symbol, ROUND(AVG(volume), 0) AS a FROM prices GROUP BY symbol;

-- @name agg_057
SELECT symbol, SUM(CASE WHEN close > open THEN 1 ELSE 0 END) AS up_days FROM prices GROUP BY symbol;

-- @name agg_058
SELECT symbol, COUNT(CASE WHEN side = 'buy' THEN 1 END) AS buys, COUNT(CASE WHEN side = 'sell' THEN 1 END) AS sells FROM trades GROUP BY symbol;

-- @name agg_059
SELECT symbol, SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS net FROM trades GROUP BY symbol;

-- @name agg_060
SELECT account_id, SUM(CASE WHEN side = 'buy' THEN quantity * price ELSE 0 END) AS bought FROM trades GROUP BY account_id;

-- @name agg_061
SELECT strategy, COUNT(*) AS n FROM accounts GROUP BY strategy;

-- @name agg_062
SELECT base_currency, COUNT(*) AS n, MIN(opened) AS first_opened FROM accounts GROUP BY base_currency;

-- @name agg_063
SELECT customer_id, COUNT(*) AS accounts FROM accounts GROUP BY customer_id HAVING COUNT(*) > 1;

-- @name agg_064
SELECT COUNT(*) AS n FROM (SELECT DISTINCT symbol, side FROM trades) d;

-- @name agg_065
SELECT symbol, SUM(quantity) AS filter_ FROM trades GROUP BY symbol;

-- @name agg_066
SELECT SUM(quantity * price) AS notional, SUM(fee) AS fees, SUM(fee) / SUM(quantity * price) AS fee_rate FROM trades;

-- @name agg_067
SELECT symbol, MAX(volume) AS mx, MIN(volume) AS mn, MAX(volume) / MIN(volume) AS ratio FROM prices GROUP BY symbol;

-- @name agg_068
SELECT symbol, AVG(high - low) AS avg_range FROM prices GROUP BY symbol;

-- @name agg_069
SELECT symbol, AVG(CAST(close AS DOUBLE PRECISION)) AS a FROM prices GROUP BY symbol;

-- @name agg_070
SELECT symbol, SUM(CAST(volume AS DECIMAL(20,2))) AS v FROM prices GROUP BY symbol;

-- @name agg_071
SELECT side, AVG(price * quantity) AS avg_notional FROM trades GROUP BY side;

-- @name agg_072
SELECT COUNT(*) AS n FROM prices GROUP BY symbol HAVING MIN(close) > 100;

-- @name agg_073
SELECT 1 AS k, COUNT(*) AS n FROM customers;

-- @name agg_074
SELECT COUNT(*) FROM trades WHERE 1 = 0;
