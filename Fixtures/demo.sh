#!/usr/bin/env bash
# The main scenario, run by `make demo` in a temporary folder: market data
# arrives day by day on main, an agent explores a rebalancing on its own
# branch with a chain of SQL transformations, and we look at what it did,
# what it cost, and where its columns came from.
set -euo pipefail
ROCKY=${ROCKY:-rocky}
FIXTURES=$(cd "$(dirname "$0")" && pwd)
export ROCKY_ACTOR=${ROCKY_ACTOR:-demo} NO_COLOR=${NO_COLOR:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/rocky-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
step() { printf '\033[1m$ rocky %s\033[0m\n' "$*"; "$ROCKY" -C "$work" "$@"; }

say "A repository, and the reference data"
step init
cp -r "$FIXTURES"/deliveries "$work"/
export ROCKY_COMMIT_TIME=2026-05-15T21:00:00Z
step import positions "$FIXTURES/positions.csv" --key account_id,symbol
step import risk_scores "$FIXTURES/risk_scores.csv" --key symbol
step import customers "$FIXTURES/customers.csv" --key customer_id
step import accounts "$FIXTURES/accounts.csv" --key account_id
step commit -m "Reference data: positions, risk scores, customers, accounts"

say "Prices arrive day by day (the 2026-05-19 file is late, and 05-14 is corrected on 05-22)"
tail -n +2 "$FIXTURES/deliveries.tsv" | while IFS=$'\t' read -r time file mode message; do
  ROCKY_COMMIT_TIME=$time "$ROCKY" -C "$work" import prices "$work/$file" --key symbol,ts --time-column ts --mode "$mode" > /dev/null
  ROCKY_COMMIT_TIME=$time "$ROCKY" -C "$work" commit -m "$message" > /dev/null
done
step log --oneline -n 5
step tables

say "What did main hold on 2026-05-20 at 16:00 UTC? (an auditor's view)"
step checkout --at 2026-05-20T16:00:00Z
step tables HEAD
step checkout main

say "An agent branches and runs a chain of transformations"
export ROCKY_COMMIT_TIME=2026-05-29T23:00:00Z ROCKY_ACTOR=agent:rebalancer
step checkout -b agent/rebalance-2026-05-21
step sql "CREATE TABLE daily_close AS SELECT symbol, ts, close FROM prices"
step sql "CREATE TABLE last_close AS SELECT symbol, MAX(ts) AS ts FROM daily_close GROUP BY symbol"
step sql "CREATE TABLE latest AS SELECT d.symbol, d.close FROM daily_close d JOIN last_close l ON d.symbol = l.symbol AND d.ts = l.ts"
step sql "CREATE TABLE returns AS SELECT symbol, ts, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret FROM daily_close"
step sql "CREATE TABLE volatility AS SELECT symbol, STDDEV(ret) AS vol FROM returns WHERE ret IS NOT NULL GROUP BY symbol"
step sql "CREATE TABLE exposure AS SELECT p.account_id, p.symbol, p.quantity * l.close AS market_value FROM positions p JOIN latest l ON p.symbol = l.symbol"
step sql "CREATE TABLE sector_exposure AS SELECT r.sector, SUM(e.market_value) AS market_value FROM exposure e JOIN risk_scores r ON e.symbol = r.symbol GROUP BY r.sector"
step sql "CREATE TABLE account_value AS SELECT account_id, SUM(market_value) AS total FROM exposure GROUP BY account_id"
step sql "CREATE TABLE weights AS SELECT e.account_id, e.symbol, e.market_value / a.total AS weight FROM exposure e JOIN account_value a ON e.account_id = a.account_id"
step sql "CREATE TABLE risky AS SELECT w.account_id, w.symbol, w.weight FROM weights w JOIN positions p ON w.account_id = p.account_id AND w.symbol = p.symbol WHERE p.risk_score >= 0.8"
step sql "CREATE TABLE positions_adjusted AS SELECT * FROM positions WHERE risk_score < 0.8"
step sql "CREATE TABLE rebalance AS SELECT r.account_id, r.symbol, r.weight, v.vol FROM risky r JOIN volatility v ON r.symbol = v.symbol ORDER BY r.weight DESC"
step sql "SELECT account_id, symbol, weight FROM rebalance ORDER BY weight DESC LIMIT 5"
step commit -m "Rebalancing proposal: trim positions with risk_score >= 0.8"

say "What changed against main, and what it cost"
step diff main --stat
step diff main --table positions_adjusted --stat
step cost --by model
step show --json > /dev/null && echo "(rocky show lists the 12 transformations of that commit)"

say "Where does the rebalance weight come from?"
step lineage --sql "SELECT account_id, symbol, weight FROM rebalance"

say "Everything verifies"
step audit -n 5
step audit --verify
step fsck
