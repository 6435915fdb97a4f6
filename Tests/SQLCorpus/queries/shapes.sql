-- Query shapes: named windows, QUALIFY, DISTINCT ON, GROUPING SETS / ROLLUP /
-- CUBE with GROUPING(), RANGE and GROUPS frames, WITH RECURSIVE.

-- @name shape_nw_001
SELECT symbol, ts, SUM(volume) OVER w AS v3, MAX(close) OVER w AS hi3 FROM prices WINDOW w AS (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);

-- @name shape_nw_002
SELECT symbol, ts, ROW_NUMBER() OVER (w ORDER BY ts) AS rn, LAG(close) OVER (w ORDER BY ts) AS prev, COUNT(*) OVER w AS n FROM prices WINDOW w AS (PARTITION BY symbol);

-- @name shape_nw_003
SELECT trade_id, SUM(quantity) OVER w2 AS running, RANK() OVER w2 AS r FROM trades WINDOW w1 AS (PARTITION BY account_id), w2 AS (w1 ORDER BY trade_id);

-- @name shape_nw_004
SELECT symbol, ts, SUM(volume) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS v FROM prices WINDOW w AS (PARTITION BY symbol ORDER BY ts);

-- @name shape_nw_005
-- @ordered
SELECT trade_id, quantity, SUM(quantity) OVER w AS s FROM trades WINDOW w AS (ORDER BY trade_id) ORDER BY trade_id LIMIT 20;

-- @name shape_nw_006
SELECT account_id, symbol, quantity, RANK() OVER w AS r, PERCENT_RANK() OVER w AS pr FROM positions WINDOW w AS (PARTITION BY symbol ORDER BY quantity DESC);

-- @name shape_q_001
SELECT symbol, ts, close FROM prices QUALIFY ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) = 1;

-- @name shape_q_002
SELECT symbol, ts, close, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY close DESC, ts) AS rn FROM prices QUALIFY rn <= 3;

-- @name shape_q_003
-- @ordered
SELECT trade_id, symbol FROM trades QUALIFY RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC, trade_id) = 1 ORDER BY price DESC, trade_id;

-- @name shape_q_004
SELECT account_id, trade_id, quantity FROM trades WHERE side = 'buy' QUALIFY quantity > AVG(quantity) OVER (PARTITION BY account_id);

-- @name shape_q_005
SELECT symbol, SUM(quantity) AS total FROM trades GROUP BY symbol QUALIFY RANK() OVER (ORDER BY SUM(quantity) DESC) <= 3;

-- @name shape_q_006
SELECT DISTINCT symbol FROM trades QUALIFY COUNT(*) OVER (PARTITION BY symbol) > 15;

-- @name shape_q_007
-- @ordered
SELECT symbol, ts, close FROM prices QUALIFY LAG(close) OVER (PARTITION BY symbol ORDER BY ts) < close ORDER BY 1, 2 LIMIT 10;

-- @name shape_q_008
WITH latest AS (SELECT symbol, close FROM prices QUALIFY ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) = 1) SELECT p.account_id, p.symbol, p.quantity * l.close AS value FROM positions p JOIN latest l ON l.symbol = p.symbol;

-- @name shape_q_009
SELECT symbol, ts, close FROM prices WINDOW w AS (PARTITION BY symbol ORDER BY ts) QUALIFY close > LAG(close, 1) OVER w AND LAG(close, 1) OVER w > LAG(close, 2) OVER w;

-- @name shape_do_001
-- @ordered
SELECT DISTINCT ON (symbol) symbol, ts, close FROM prices ORDER BY symbol, ts DESC;

-- @name shape_do_002
-- @ordered
SELECT DISTINCT ON (account_id) account_id, trade_id, quantity FROM trades ORDER BY account_id, quantity DESC, trade_id;

-- @name shape_do_003
SELECT DISTINCT ON (account_id, symbol) account_id, symbol, executed_at, price FROM trades ORDER BY account_id, symbol, executed_at, trade_id;

-- @name shape_do_004
-- @ordered
SELECT DISTINCT ON (symbol) symbol, close FROM prices ORDER BY symbol, close DESC, ts LIMIT 5;

-- @name shape_do_005
SELECT DISTINCT ON (account_id) account_id, symbol, SUM(quantity) AS q FROM trades GROUP BY account_id, symbol ORDER BY account_id, SUM(quantity) DESC, symbol;

-- @name shape_do_006
SELECT DISTINCT ON (side) side FROM trades;

-- @name shape_do_007
SELECT DISTINCT ON (DATE_TRUNC('day', executed_at)) DATE_TRUNC('day', executed_at) AS day, trade_id FROM trades ORDER BY DATE_TRUNC('day', executed_at), trade_id;

-- @name shape_do_008
SELECT DISTINCT ON (p.symbol) p.symbol, r.sector, p.account_id, p.quantity FROM positions p JOIN risk_scores r ON r.symbol = p.symbol ORDER BY p.symbol, p.quantity DESC, p.account_id;

-- @name shape_gs_001
SELECT symbol, side, SUM(quantity) AS q, COUNT(*) AS n FROM trades GROUP BY ROLLUP (symbol, side);

-- @name shape_gs_002
SELECT symbol, side, SUM(quantity) AS q, GROUPING(symbol, side) AS g FROM trades GROUP BY CUBE (symbol, side);

-- @name shape_gs_003
SELECT account_id, symbol, SUM(quantity) AS q FROM trades GROUP BY GROUPING SETS ((account_id), (symbol), ());

-- @name shape_gs_004
-- @ordered
SELECT symbol, side, SUM(fee) AS fees, GROUPING(side) AS gs FROM trades GROUP BY ROLLUP (symbol, side) ORDER BY symbol NULLS LAST, side NULLS LAST;

-- @name shape_gs_005
SELECT symbol, side, COUNT(*) AS n FROM trades GROUP BY ROLLUP (symbol, side) HAVING COUNT(*) > 10;

-- @name shape_gs_006
SELECT side, symbol, is_algo, COUNT(*) AS n FROM trades GROUP BY side, ROLLUP (symbol, is_algo);

-- @name shape_gs_007
SELECT CASE WHEN GROUPING(symbol) = 1 THEN 'ALL' ELSE symbol END AS sym, SUM(quantity * price) AS notional FROM trades GROUP BY ROLLUP (symbol);

-- @name shape_gs_008
-- @ordered
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY ROLLUP (symbol) ORDER BY SUM(quantity) DESC, symbol NULLS LAST;

-- @name shape_gs_009
SELECT symbol, COUNT(*) AS n, SUM(quantity) AS q FROM trades WHERE quantity < 0 GROUP BY ROLLUP (symbol);

-- @name shape_gs_010
SELECT DISTINCT side, COUNT(*) > 0 AS any_rows FROM trades GROUP BY GROUPING SETS ((side), (side, symbol));

-- @name shape_gs_011
SELECT side FROM trades GROUP BY ROLLUP (side);

-- @name shape_gs_012
SELECT symbol, GROUPING(symbol) AS g FROM trades GROUP BY symbol;

-- @name shape_gs_013
SELECT COUNT(*) AS n FROM (SELECT symbol, side, SUM(quantity) AS q FROM trades GROUP BY CUBE (symbol, side)) AS c WHERE q > 100;

-- @name shape_gs_014
SELECT r.sector, p.symbol, SUM(p.quantity) AS q, GROUPING(r.sector) + GROUPING(p.symbol) AS level FROM positions p JOIN risk_scores r ON r.symbol = p.symbol GROUP BY ROLLUP (r.sector, p.symbol) HAVING GROUPING(p.symbol) = 1 OR SUM(p.quantity) > 500;

-- @name shape_gs_015
SELECT symbol, side, COUNT(*) AS n FROM trades GROUP BY GROUPING SETS (ROLLUP (symbol), (side), CUBE (side, symbol));

-- @name shape_fr_001
SELECT trade_id, quantity, SUM(quantity) OVER (ORDER BY trade_id RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS s FROM trades;

-- @name shape_fr_002
SELECT trade_id, quantity, COUNT(*) OVER (ORDER BY quantity RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) AS n FROM trades;

-- @name shape_fr_003
SELECT trade_id, price, COUNT(*) OVER (PARTITION BY symbol ORDER BY price RANGE BETWEEN 1.5 PRECEDING AND 1.5 FOLLOWING) AS near FROM trades;

-- @name shape_fr_004
SELECT symbol, ts, AVG(close) OVER (PARTITION BY symbol ORDER BY ts RANGE BETWEEN INTERVAL '3 days' PRECEDING AND CURRENT ROW) AS ma3d FROM prices;

-- @name shape_fr_005
SELECT account_id, opened, COUNT(*) OVER (ORDER BY opened RANGE BETWEEN INTERVAL '30' DAY PRECEDING AND CURRENT ROW) AS opened_30d FROM accounts;

-- @name shape_fr_006
SELECT trade_id, quantity, SUM(quantity) OVER (ORDER BY quantity GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s FROM trades;

-- @name shape_fr_007
SELECT symbol, ts, COUNT(*) OVER (PARTITION BY symbol ORDER BY DATE_TRUNC('week', ts) GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n FROM prices;

-- @name shape_fr_008
SELECT account_id, symbol, risk_score, COUNT(*) OVER (ORDER BY risk_score RANGE BETWEEN 0.0505 PRECEDING AND 0.0505 FOLLOWING) AS peers FROM positions;

-- @name shape_fr_009
SELECT trade_id, SUM(quantity) OVER (ORDER BY trade_id DESC RANGE BETWEEN 3 PRECEDING AND CURRENT ROW) AS s FROM trades;

-- @name shape_fr_010
SELECT trade_id, MAX(price) OVER (PARTITION BY symbol ORDER BY executed_at RANGE BETWEEN CURRENT ROW AND INTERVAL '1 hour' FOLLOWING) AS hi FROM trades;

-- @name shape_fr_011
SELECT symbol, ts, MIN(low) OVER (PARTITION BY symbol ORDER BY ts RANGE INTERVAL '7 days' PRECEDING) AS low7d FROM prices;

-- @name shape_fr_012
SELECT trade_id, fee, SUM(fee) OVER (ORDER BY fee GROUPS 2 PRECEDING) AS s FROM trades;

-- @name shape_rec_001
-- @ordered
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i, i * i AS sq FROM n ORDER BY i;

-- @name shape_rec_002
WITH RECURSIVE chain(trade_id, n, q) AS (SELECT trade_id, 1, quantity FROM trades WHERE trade_id <= 3 UNION ALL SELECT c.trade_id, c.n + 1, c.q + t.quantity FROM chain c JOIN trades t ON t.trade_id = c.trade_id + c.n WHERE c.n < 4) SELECT trade_id, n, q FROM chain;

-- @name shape_rec_003
WITH RECURSIVE r(x) AS (SELECT 1 UNION SELECT (x * 3) % 7 FROM r) SELECT x FROM r;

-- @name shape_rec_004
WITH RECURSIVE days(d) AS (SELECT DATE '2026-05-01' UNION ALL SELECT d + 1 FROM days WHERE d < DATE '2026-05-10') SELECT d, (SELECT COUNT(*) FROM trades WHERE CAST(executed_at AS DATE) = d) AS n FROM days;

-- @name shape_rec_005
WITH RECURSIVE ordered AS (SELECT trade_id, quantity, ROW_NUMBER() OVER (ORDER BY trade_id) AS rn FROM trades WHERE symbol = 'AAPL'), running(rn, total) AS (SELECT rn, quantity FROM ordered WHERE rn = 1 UNION ALL SELECT o.rn, r.total + o.quantity FROM running r JOIN ordered o ON o.rn = r.rn + 1) SELECT rn, total FROM running;

-- @name shape_rec_006
-- @ordered
WITH RECURSIVE g(y, v) AS (SELECT 0, CAST(100 AS DECIMAL(12,2)) UNION ALL SELECT y + 1, CAST(v * 1.05 AS DECIMAL(12,2)) FROM g WHERE y < 10) SELECT y, v FROM g ORDER BY y;

-- @name shape_rec_007
WITH RECURSIVE weeks(w, label) AS (SELECT TIMESTAMP '2026-05-04 00:00:00', 'w0' UNION ALL SELECT w + INTERVAL '7 days', 'w' || CAST(CAST(SUBSTR(label, 2) AS INTEGER) + 1 AS TEXT) FROM weeks WHERE w < TIMESTAMP '2026-06-01 00:00:00') SELECT w.label, COUNT(p.close) AS n FROM weeks w LEFT JOIN prices p ON p.ts >= w.w AND p.ts < w.w + INTERVAL '7 days' GROUP BY w.label;
