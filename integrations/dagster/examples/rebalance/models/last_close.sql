-- key: symbol
SELECT symbol, MAX(ts) AS ts FROM daily_close GROUP BY symbol
