-- key: symbol
SELECT symbol, STDDEV(ret) AS vol FROM returns WHERE ret IS NOT NULL GROUP BY symbol
