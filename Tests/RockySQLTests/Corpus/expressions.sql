-- Expression and DML features of issue 21, item 2: LIKE ... ESCAPE,
-- STRING_AGG (its ORDER BY is a WINDOW-like input), UPDATE ... FROM and
-- RETURNING.

-- @name like_escape
-- @columns symbol TEXT NOT NULL, rating TEXT
-- @lineage symbol = risk_scores.symbol identity
-- @lineage rating = risk_scores.rating identity
-- @dataset risk_scores.rating filter, risk_scores.sector filter
SELECT symbol, rating FROM risk_scores WHERE rating LIKE 'A!+' ESCAPE '!' OR sector LIKE 'Tech%' ESCAPE '!';

-- @name string_agg_ordered
-- @columns account_id TEXT NOT NULL, symbols TEXT
-- @lineage account_id = positions.account_id identity
-- @lineage symbols = positions.symbol aggregation, positions.quantity window
-- @dataset positions.account_id groupBy
SELECT account_id, STRING_AGG(symbol, ',' ORDER BY quantity DESC) AS symbols FROM positions GROUP BY account_id;

-- @name string_agg_by_value
-- @columns sector TEXT, ratings TEXT
-- @lineage sector = risk_scores.sector identity
-- @lineage ratings = risk_scores.rating aggregation
-- @dataset risk_scores.sector groupBy
SELECT sector, STRING_AGG(DISTINCT rating, '|') AS ratings FROM risk_scores GROUP BY sector;

-- @name update_from
-- @target positions
-- @lineage avg_cost = trades.price identity
-- @dataset trades.account_id filter, positions.account_id filter, trades.symbol filter, positions.symbol filter, trades.trade_id filter
-- @compare skip
UPDATE positions AS p SET avg_cost = t.price FROM trades t WHERE t.account_id = p.account_id AND t.symbol = p.symbol AND t.trade_id = 1;

-- @name delete_returning
-- @target positions
-- @columns account_id TEXT NOT NULL, symbol TEXT NOT NULL, twice INTEGER
-- @dataset positions.quantity filter
-- @compare skip
DELETE FROM positions WHERE quantity < 10 RETURNING account_id, symbol, quantity * 2 AS twice;
