SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM daily_close
