-- key: account_id
SELECT account_id, SUM(market_value) AS total FROM exposure GROUP BY account_id
