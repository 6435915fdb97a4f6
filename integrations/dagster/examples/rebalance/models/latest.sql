-- key: symbol
-- description: the latest close of each symbol
SELECT d.symbol, d.close FROM daily_close d JOIN last_close l ON d.symbol = l.symbol AND d.ts = l.ts
