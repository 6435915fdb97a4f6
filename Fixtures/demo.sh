#!/usr/bin/env bash
# The whole story, run by `make demo` (and by FirstHourTests) in a temporary
# folder, in well under a minute: market data arrives day by day on main (a
# late file, a correction), governance is declared, an agent explores a
# rebalancing on its own branch with a chain of SQL transformations, and we
# look at what it did, what it cost, where its columns came from, what prod
# sees of it, how it would have run at yesterday's close, who may merge it,
# how a conflicting branch is resolved, and what the audit trail holds.
# Every refusal is checked: a step that should fail and does not stops the demo.
set -euo pipefail
ROCKY=${ROCKY:-rocky}
FIXTURES=$(cd "$(dirname "$0")" && pwd)
export ROCKY_ACTOR=${ROCKY_ACTOR:-demo} NO_COLOR=${NO_COLOR:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/rocky-demo.XXXXXX")
trap 'rm -rf "$work" "$work.experiments"' EXIT
say() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
step() { printf '\033[1m$ rocky %s\033[0m\n' "$*"; "$ROCKY" -C "$work" "$@"; }
# refused <exit code> <arguments>: the step must fail with exactly that code.
refused() {
  local want=$1 rc=0; shift
  printf '\033[1m$ rocky %s\033[0m\n' "$*"
  "$ROCKY" -C "$work" "$@" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "demo: 'rocky $*' should exit $want, it exited $rc" >&2
    exit 1
  fi
  echo "(exit $rc, as expected)"
}

say "A repository, the reference data, and who may see and do what"
step init
cp -r "$FIXTURES"/deliveries "$work"/
export ROCKY_COMMIT_TIME=2026-05-15T21:00:00Z
step import positions "$FIXTURES/positions.csv" --key account_id,symbol
step import risk_scores "$FIXTURES/risk_scores.csv" --key symbol
step import customers "$FIXTURES/customers.csv" --key customer_id
step import accounts "$FIXTURES/accounts.csv" --key account_id
cat > "$work/rocky.toml" <<'TOML'
[environments.dev]

[environments.prod.masking]
pii = "hash"
restricted = "deny"

[access]
protected = ["main"]
[access.roles.admin]
allow = ["*"]
[access.roles.reader]
allow = ["read", "use"]
[access.roles.agent]
allow = ["read", "create", "write", "replay", "merge", "use"]
branches = ["agent/*", "replay/*"]
[access.principals]
demo = ["admin"]
"agent:rebalancer" = ["reader", "agent"]
"agent:hedger" = ["reader", "agent"]

[cost.sqlite]
per_second = 0.05
per_million_rows = 2.0
TOML
# `make demo-pg` (Fixtures/demo-pg.sh) declares a PostgreSQL engine here and
# runs the agent's chain of transformations on it.
if [ -n "${ROCKY_DEMO_ENGINE_TOML:-}" ]; then printf '\n%s\n' "$ROCKY_DEMO_ENGINE_TOML" >> "$work/rocky.toml"; fi
step classify customers.name pii --owner crm
step classify customers.email pii --owner crm --mask prod=email
step classify customers.ssn restricted --owner compliance
step commit -m "Reference data, environments dev and prod, access policy"

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

say "An agent branches and runs a chain of transformations (run id rebalance-1)"
export ROCKY_COMMIT_TIME=2026-05-29T23:00:00Z ROCKY_ACTOR=agent:rebalancer ROCKY_RUN_ID=rebalance-1 ROCKY_ENGINE=${ROCKY_DEMO_ENGINE:-}
step checkout -b agent/rebalance-2026-05-21
step sql "UPDATE positions SET risk_score = 0.85 WHERE risk_score IS NULL"
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
step sql "CREATE TABLE rebalance AS SELECT r.account_id, r.symbol, r.weight, v.vol FROM risky r JOIN volatility v ON r.symbol = v.symbol"
step sql "CREATE TABLE client_report AS SELECT c.name AS client, c.email, c.ssn, r.account_id, r.symbol, r.weight FROM rebalance r JOIN accounts a ON r.account_id = a.account_id JOIN customers c ON a.customer_id = c.customer_id"
step commit -m "Rebalancing proposal: trim positions with risk_score >= 0.8, unscored ones count as risky"
unset ROCKY_ENGINE

say "What changed against main, and what it cost"
step diff main --stat
step diff main --table positions --format text
step cost --by model

say "Where does the report's weight come from? Back through the chain to the source columns"
step lineage client_report.weight
step lineage client_report.client

say "The same report in dev (raw) and in prod (masked); prod denies the SSN"
step sql "SELECT client, email, symbol, weight FROM client_report ORDER BY weight DESC, account_id LIMIT 3"
step --env prod sql "SELECT client, email, symbol, weight FROM client_report ORDER BY weight DESC, account_id LIMIT 3"
refused 5 --env prod sql "SELECT client, ssn, weight FROM client_report"
step lineage client_report.ssn

say "Replay at yesterday's close: the data then had gaps (late rows, a correction)"
refused 4 replay agent/rebalance-2026-05-21 --at 2026-05-20T16:00:00Z
step replay agent/rebalance-2026-05-21 --at 2026-05-20T16:00:00Z --allow-gaps --name replay/rebalance-2026-05-20
step diff agent/rebalance-2026-05-21 replay/rebalance-2026-05-20 --stat

say "The agent may not merge into main"
refused 5 merge agent/rebalance-2026-05-21 --into main

say "A second agent changes the same cells on its own branch"
export ROCKY_ACTOR=agent:hedger ROCKY_RUN_ID=hedge-1
step branch agent/hedge-2026-05-21 main
step checkout agent/hedge-2026-05-21
step sql "UPDATE positions SET risk_score = 0.5 WHERE risk_score IS NULL" -m "Unscored positions: assume medium risk"
step checkout agent/rebalance-2026-05-21
export ROCKY_ACTOR=agent:rebalancer ROCKY_RUN_ID=rebalance-1
refused 3 merge agent/hedge-2026-05-21 --into agent/rebalance-2026-05-21
step merge agent/hedge-2026-05-21 --into agent/rebalance-2026-05-21 --strategy ours -m "Keep unscored positions risky"

say "A person with the merge permission merges the proposal into main"
export ROCKY_ACTOR=demo
unset ROCKY_RUN_ID
step merge agent/rebalance-2026-05-21 --into main -m "Rebalancing proposal, reviewed"
step log main --oneline -n 3

say "What the agent's run did, and everything verifies"
step audit --run-id rebalance-1 -n 8
step audit --verify
step fsck

say "A clone per experiment: hard-linked objects, its own branches"
mkdir -p "$work.experiments"
for experiment in momentum low-vol; do
  printf '\033[1m$ rocky clone %s %s\033[0m\n' "$work" "experiments/$experiment"
  "$ROCKY" clone "$work" "$work.experiments/$experiment" > /dev/null
  "$ROCKY" -C "$work.experiments/$experiment" checkout -b "agent/$experiment" > /dev/null
done
printf '\033[1m$ rocky -C experiments/low-vol sql ...\033[0m\n'
"$ROCKY" -C "$work.experiments/low-vol" sql "CREATE TABLE low_vol AS SELECT symbol, vol FROM volatility WHERE vol < 0.02" -m "Low-volatility universe"
"$ROCKY" -C "$work.experiments/low-vol" tables | grep low_vol
step branch
echo "(the original repository has no low_vol table: experiments stay in their clones)"
