-- key: account_id, symbol
SELECT p.account_id, p.symbol, p.quantity * l.close AS market_value FROM positions p JOIN latest l ON p.symbol = l.symbol
