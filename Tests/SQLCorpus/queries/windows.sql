-- Window functions: ranking, offsets, frames, running and moving aggregates.

-- @name win_001
SELECT symbol, ts, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts) AS rn FROM prices;

-- @name win_002
SELECT symbol, ts, close, LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS prev FROM prices;

-- @name win_003
SELECT symbol, ts, close, LEAD(close) OVER (PARTITION BY symbol ORDER BY ts) AS next_close FROM prices;

-- @name win_004
SELECT symbol, ts, LAG(close, 2) OVER (PARTITION BY symbol ORDER BY ts) AS prev2, LEAD(close, 3) OVER (PARTITION BY symbol ORDER BY ts) AS next3 FROM prices;

-- @name win_005
SELECT symbol, ts, LAG(close, 1, 0.0) OVER (PARTITION BY symbol ORDER BY ts) AS prev FROM prices;

-- @name win_006
SELECT symbol, ts, LAG(volume, 1, -1) OVER (PARTITION BY symbol ORDER BY ts) AS prev FROM prices;

-- @name win_007
SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS daily_return FROM prices;

-- @name win_008
SELECT symbol, ts, ROUND((close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1) * 100, 3) AS pct FROM prices;

-- @name win_009
SELECT symbol, ts, close - LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS change FROM prices;

-- @name win_010
SELECT symbol, ts, LN(CAST(close AS DOUBLE PRECISION) / CAST(LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS DOUBLE PRECISION)) AS log_return FROM prices;

-- @name win_011
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ma5 FROM prices;

-- @name win_012
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS ma10 FROM prices;

-- @name win_013
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS v5 FROM prices;

-- @name win_014
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS UNBOUNDED PRECEDING) AS cum FROM prices;

-- @name win_015
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum FROM prices;

-- @name win_016
SELECT symbol, ts, SUM(volume) OVER (PARTITION BY symbol ORDER BY ts) AS cum FROM prices;

-- @name win_017
SELECT symbol, ts, MIN(low) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS lo5, MAX(high) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS hi5 FROM prices;

-- @name win_018
SELECT symbol, ts, MAX(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_max FROM prices;

-- @name win_019
SELECT symbol, ts, close / MAX(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - 1 AS drawdown FROM prices;

-- @name win_020
SELECT symbol, ts, COUNT(*) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS n FROM prices;

-- @name win_021
SELECT symbol, ts, STDDEV(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS vol5 FROM prices;

-- @name win_022
SELECT symbol, ts, STDDEV_POP(CAST(close AS DOUBLE PRECISION)) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS vol10 FROM prices;

-- @name win_023
SELECT symbol, ts, VARIANCE(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS v FROM prices;

-- @name win_024
SELECT symbol, ts, FIRST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts) AS first_close FROM prices;

-- @name win_025
SELECT symbol, ts, LAST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_close FROM prices;

-- @name win_026
SELECT symbol, ts, LAST_VALUE(close) OVER (PARTITION BY symbol ORDER BY ts) AS last_so_far FROM prices;

-- @name win_027
SELECT symbol, ts, FIRST_VALUE(open) OVER (PARTITION BY symbol ORDER BY ts DESC) AS last_open FROM prices;

-- @name win_028
SELECT symbol, close, RANK() OVER (ORDER BY close DESC) AS r FROM prices WHERE ts = TIMESTAMP '2026-05-29 20:00:00';

-- @name win_029
SELECT symbol, sector, beta, RANK() OVER (PARTITION BY sector ORDER BY beta DESC) AS r FROM risk_scores;

-- @name win_030
SELECT trade_id, symbol, quantity, RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC) AS r FROM trades;

-- @name win_031
SELECT trade_id, symbol, quantity, DENSE_RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC) AS r FROM trades;

-- @name win_032
SELECT trade_id, side, quantity, DENSE_RANK() OVER (ORDER BY side) AS r FROM trades;

-- @name win_033
SELECT account_id, symbol, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY symbol) AS rn FROM positions;

-- @name win_034
SELECT account_id, symbol, COUNT(*) OVER (PARTITION BY account_id) AS n FROM positions;

-- @name win_035
SELECT account_id, symbol, quantity, SUM(quantity) OVER (PARTITION BY account_id) AS total FROM positions;

-- @name win_036
SELECT account_id, symbol, quantity * avg_cost AS cost, quantity * avg_cost / SUM(quantity * avg_cost) OVER (PARTITION BY account_id) AS weight FROM positions WHERE quantity > 0;

-- @name win_037
SELECT symbol, sector, beta, AVG(beta) OVER (PARTITION BY sector) AS sector_beta, beta - AVG(beta) OVER (PARTITION BY sector) AS excess FROM risk_scores;

-- @name win_038
SELECT symbol, beta, AVG(beta) OVER () AS overall, COUNT(*) OVER () AS n FROM risk_scores;

-- @name win_039
SELECT trade_id, price, SUM(fee) OVER () AS all_fees FROM trades WHERE trade_id <= 20;

-- @name win_040
SELECT trade_id, executed_at, SUM(quantity) OVER (ORDER BY executed_at, trade_id ROWS UNBOUNDED PRECEDING) AS running FROM trades;

-- @name win_041
SELECT trade_id, account_id, executed_at, LAG(executed_at) OVER (PARTITION BY account_id ORDER BY executed_at, trade_id) AS prev_at FROM trades;

-- @name win_042
SELECT trade_id, account_id, symbol, ROW_NUMBER() OVER (PARTITION BY account_id, symbol ORDER BY trade_id) AS k FROM trades;

-- @name win_043
SELECT * FROM (SELECT symbol, ts, close, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) AS rn FROM prices) x WHERE rn = 1;

-- @name win_044
SELECT * FROM (SELECT trade_id, symbol, quantity, RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC, trade_id) AS r FROM trades) x WHERE r <= 3;

-- @name win_045
SELECT symbol, ts, close FROM (SELECT symbol, ts, close, MAX(close) OVER (PARTITION BY symbol) AS m FROM prices) x WHERE close = m;

-- @name win_046
SELECT symbol, ts, CASE WHEN close > LAG(close) OVER (PARTITION BY symbol ORDER BY ts) THEN 'up' WHEN close < LAG(close) OVER (PARTITION BY symbol ORDER BY ts) THEN 'down' ELSE 'flat' END AS direction FROM prices;

-- @name win_047
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) - AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS macd FROM prices;

-- @name win_048
SELECT symbol, ts, ROUND(AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 2) AS ma3 FROM prices;

-- @name win_049
SELECT symbol, COUNT(*) AS up_days FROM (SELECT symbol, close > LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS up FROM prices) d WHERE up GROUP BY symbol;

-- @name win_050
SELECT symbol, MAX(r) AS best, MIN(r) AS worst FROM (SELECT symbol, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS r FROM prices) d GROUP BY symbol;

-- @name win_051
SELECT symbol, ts, SUM(CASE WHEN close > open THEN 1 ELSE 0 END) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ups FROM prices;

-- @name win_052
SELECT symbol, SUM(quantity) AS q, RANK() OVER (ORDER BY SUM(quantity) DESC) AS r FROM trades GROUP BY symbol;

-- @name win_053
SELECT symbol, COUNT(*) AS n, ROW_NUMBER() OVER (ORDER BY COUNT(*) DESC, symbol) AS rn FROM trades GROUP BY symbol;

-- @name win_054
SELECT sector, SUM(var_95) AS v, SUM(SUM(var_95)) OVER () AS total FROM risk_scores GROUP BY sector;

-- @name win_055
-- @ordered
SELECT symbol, ts, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts) AS rn FROM prices ORDER BY symbol, ts;

-- @name win_056
-- @ordered
SELECT trade_id, SUM(quantity) OVER (ORDER BY trade_id) AS running FROM trades ORDER BY trade_id;

-- @name win_057
SELECT trade_id, symbol, price, AVG(price) OVER (PARTITION BY symbol ORDER BY trade_id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS smooth FROM trades;

-- @name win_058
SELECT trade_id, LEAD(trade_id) OVER (PARTITION BY symbol ORDER BY trade_id) AS next_trade, LEAD(price, 1, price) OVER (PARTITION BY symbol ORDER BY trade_id) AS next_price FROM trades;

-- @name win_059
SELECT customer_id, birth_date, ROW_NUMBER() OVER (ORDER BY birth_date NULLS FIRST, customer_id) AS r FROM customers;

-- @name win_060
SELECT customer_id, country, RANK() OVER (PARTITION BY country ORDER BY customer_id) AS r FROM customers;

-- @name win_061
SELECT symbol, ts, volume, volume - AVG(volume) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS excess FROM prices;

-- @name win_062
SELECT account_id, symbol, quantity, FIRST_VALUE(symbol) OVER (PARTITION BY account_id ORDER BY quantity DESC, symbol) AS largest FROM positions;
