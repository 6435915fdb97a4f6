-- key: symbol, ts
-- description: the daily close of each symbol
SELECT symbol, ts, close FROM prices
