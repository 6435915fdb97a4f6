-- description: the rebalancing proposal per client (names and e-mails are PII)
SELECT c.name AS client, c.email, r.account_id, r.symbol, r.weight FROM rebalance r JOIN accounts a ON r.account_id = a.account_id JOIN customers c ON a.customer_id = c.customer_id
