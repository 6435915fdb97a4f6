-- key: account_id, symbol
-- description: positions scored 0.8 or more, or not scored
SELECT w.account_id, w.symbol, w.weight, v.vol FROM weights w JOIN positions p ON w.account_id = p.account_id AND w.symbol = p.symbol JOIN volatility v ON w.symbol = v.symbol WHERE p.risk_score >= 0.8 OR p.risk_score IS NULL
