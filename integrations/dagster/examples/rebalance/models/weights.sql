-- key: account_id, symbol
SELECT e.account_id, e.symbol, e.market_value / a.total AS weight FROM exposure e JOIN account_value a ON e.account_id = a.account_id
