-- Exact DECIMAL arithmetic, rounding, division, math functions.

-- @name num_001
SELECT trade_id, price * quantity AS notional, price * quantity * 0.0005 AS est_fee FROM trades WHERE trade_id <= 30;

-- @name num_002
SELECT trade_id, price / 3 AS third, price / 7 AS seventh FROM trades WHERE trade_id <= 30;

-- @name num_003
SELECT trade_id, fee / quantity AS per_share FROM trades WHERE trade_id <= 40;

-- @name num_004
SELECT trade_id, ROUND(fee / quantity, 4) AS per_share FROM trades WHERE trade_id <= 40;

-- @name num_005
SELECT trade_id, ROUND(price, 2) AS p2, ROUND(price, 1) AS p1, ROUND(price) AS p0 FROM trades WHERE trade_id <= 40;

-- @name num_006
SELECT trade_id, FLOOR(price) AS f, CEIL(price) AS c, CEILING(fee) AS cf FROM trades WHERE trade_id <= 40;

-- @name num_007
SELECT FLOOR(-2.5) AS a, CEIL(-2.5) AS b, ROUND(-2.5) AS c, ROUND(2.5) AS d, ROUND(-0.45, 1) AS e;

-- @name num_008
SELECT ROUND(1.005, 2) AS a, ROUND(2.675, 2) AS b, ROUND(-1.005, 2) AS c, ROUND(0.5) AS d;

-- @name num_009
SELECT symbol, ts, (close - open) / open * 100 AS pct FROM prices;

-- @name num_010
SELECT symbol, ts, ROUND((close - open) / open * 100, 2) AS pct FROM prices;

-- @name num_011
SELECT symbol, ts, ROUND((high - low) / close * 100, 4) AS range_pct FROM prices;

-- @name num_012
SELECT symbol, ts, (high + low + close) / 3 AS typical FROM prices;

-- @name num_013
SELECT symbol, ts, (high - low) / 2 + low AS mid FROM prices;

-- @name num_014
SELECT symbol, ts, close * 1.1 AS up10, close * 0.9 AS down10 FROM prices WHERE symbol = 'META';

-- @name num_015
SELECT account_id, symbol, quantity * avg_cost AS cost, quantity * avg_cost * 1.0001 AS with_fx FROM positions;

-- @name num_016
SELECT account_id, symbol, avg_cost / quantity AS odd FROM positions WHERE quantity <> 0;

-- @name num_017
SELECT 1.0 / 3 AS a, 2.0 / 3 AS b, 10.00 / 4 AS c, 1 / 3.000 AS d;

-- @name num_018
SELECT 1.5 * 1.5 AS a, 0.1 + 0.2 AS b, 0.3 - 0.1 AS c, 123.456 * 1000 AS d;

-- @name num_019
SELECT 100.00 * 1.075 AS a, 19.99 * 3 AS b, 0.01 * 0.01 AS c;

-- @name num_020
SELECT 7.5 / 2.5 AS a, -7.5 / 2 AS b, 7.5 / -0.25 AS c;

-- @name num_021
SELECT price - fee AS net, price + fee AS gross, -price AS neg FROM trades WHERE trade_id <= 15;

-- @name num_022
SELECT ABS(close - open) AS body, ABS(open - close) = ABS(close - open) AS sym FROM prices WHERE symbol = 'TSLA';

-- @name num_023
SELECT trade_id, price * quantity - fee AS proceeds FROM trades WHERE side = 'sell' AND trade_id <= 60;

-- @name num_024
SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap, AVG(price) AS mean FROM trades GROUP BY symbol;

-- @name num_025
SELECT ROUND(SUM(p * q) / SUM(q), 2) AS w FROM (VALUES (CAST(197.08 AS DECIMAL(12,4)), 100001), (CAST(197.09 AS DECIMAL(12,4)), 99999)) AS t(p, q);

-- @name num_026
SELECT symbol, AVG(close) AS a, AVG(close) * 2 AS a2, ROUND(AVG(close), 3) AS a3 FROM prices GROUP BY symbol;

-- @name num_027
SELECT symbol, SUM(close) / COUNT(*) AS mean FROM prices GROUP BY symbol;

-- @name num_028
SELECT symbol, CAST(SUM(close) / COUNT(*) AS DECIMAL(12,2)) AS mean FROM prices GROUP BY symbol;

-- @name num_029
SELECT symbol, ROUND(SUM(close * volume) / SUM(volume), 4) AS vwap FROM prices GROUP BY symbol;

-- @name num_030
SELECT symbol, ts, close * volume AS turnover FROM prices WHERE symbol IN ('NVDA', 'AAPL');

-- @name num_031
SELECT var_95 * 1000000 AS var_usd, var_95 / beta AS ratio FROM risk_scores;

-- @name num_032
SELECT symbol, var_95 * 2 + 0.0001 AS stressed, var_95 - 0.01 AS relaxed FROM risk_scores;

-- @name num_033
SELECT fee * 100 / (price * quantity) AS bps FROM trades WHERE trade_id <= 50;

-- @name num_034
SELECT ROUND(fee * 10000 / (price * quantity), 2) AS bps FROM trades WHERE trade_id <= 50;

-- @name num_035
SELECT trade_id, price * 1.0 / 3 AS a, price / 3.0 AS b FROM trades WHERE trade_id <= 10;

-- @name num_036
SELECT quantity / 7 AS q, quantity % 7 AS r, quantity * 1.0 / 7 AS exact FROM trades WHERE trade_id <= 20;

-- @name num_037
SELECT 99999999.9999 + 0.0001 AS a, 99999999.9999 * 2 AS b;

-- @name num_038
SELECT CAST(12345678.1234 AS DECIMAL(12,4)) * CAST(1000.5 AS DECIMAL(6,1)) AS p;

-- @name num_039
SELECT CAST(1 AS DECIMAL(10,4)) / CAST(3 AS DECIMAL(10,4)) AS q;

-- @name num_040
SELECT CAST(2 AS DECIMAL(10,2)) / 3 * 3 AS q;

-- @name num_041
SELECT ROUND(CAST(2 AS DECIMAL(10,2)) / 3 * 3, 2) AS q;

-- @name num_042
SELECT CASE WHEN quantity > 100 THEN price ELSE fee END AS v FROM trades WHERE trade_id <= 20;

-- @name num_043
SELECT COALESCE(fee, 0) AS f, COALESCE(fee, price) AS g FROM trades WHERE trade_id IN (41, 42, 43, 119, 188);

-- @name num_044
SELECT NULLIF(quantity, 1) AS q FROM trades WHERE quantity < 5;

-- @name num_045
SELECT 5 / 0 AS a;

-- @name num_046
SELECT 5.0 / 0 AS a;

-- @name num_047
SELECT quantity / (quantity - quantity) AS z FROM trades WHERE trade_id = 1;

-- @name num_048
SELECT 5 % 0 AS a;

-- @name num_049
SELECT SQRT(close) AS s, LN(close) AS l, EXP(beta) AS e FROM prices JOIN risk_scores USING (symbol) WHERE ts = TIMESTAMP '2026-05-29 20:00:00';

-- @name num_050
SELECT POWER(beta, 2) AS b2, POWER(2, 10) AS k, POW(volatility, 0.5) AS v FROM risk_scores;

-- @name num_051
SELECT SQRT(2) AS r2, EXP(1) AS e, LN(10) AS l10;

-- @name num_052
SELECT ABS(-5) AS a, ABS(-2.50) AS b, ABS(-1.5e0) AS c;

-- @name num_053
SELECT volatility * SQRT(252) AS annual, volatility * 100 AS pct FROM risk_scores;
