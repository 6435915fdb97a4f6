#!/usr/bin/env bash
# The main scenario, run by `make demo` in a temporary folder.
set -euo pipefail
ROCKY=${ROCKY:-rocky}
export ROCKY_ACTOR=${ROCKY_ACTOR:-demo}
work=$(mktemp -d "${TMPDIR:-/tmp}/rocky-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n\033[1m$ rocky %s\033[0m\n' "$*"; "$ROCKY" -C "$work" "$@"; }

step init
step branch agent/rebalance-2026-05-21
step branch
printf 'symbol,close\nAAPL,187.2500\n' > "$work/prices.csv"
step hash-object -w prices.csv
step cat-object -p "$("$ROCKY" -C "$work" hash-object prices.csv)"
step cat-object -p main
step fsck
