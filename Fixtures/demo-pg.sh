#!/usr/bin/env bash
# `make demo-pg`: the demo (Fixtures/demo.sh) with the agent's chain of
# transformations run on PostgreSQL (--engine pg) instead of the embedded
# SQLite. The server is a throw-away cluster of this script: initdb into a
# temporary folder (as the postgres OS user when run as root: the server
# refuses root), listening on a Unix socket in that folder only, stopped and
# removed at the end whatever happens.
set -euo pipefail
bin=${ROCKY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "demo-pg: no PostgreSQL server found; run: sudo apt-get install -y postgresql" >&2
  exit 1
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/rocky-demo-pg.XXXXXX")
as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$root"; as=(runuser -u postgres --); fi
chmod 700 "$root"
stop() {
  "${as[@]}" "$bin/pg_ctl" stop -D "$root/data" -m fast -w > /dev/null 2>&1 || true
  rm -rf "$root"
}
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$root/data" -U rocky --auth=trust -E UTF8 --locale=C --no-sync > "$root/initdb.log"
"${as[@]}" "$bin/pg_ctl" start -D "$root/data" -l "$root/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$root' -c port=5432" > /dev/null
echo "demo-pg: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $root (socket only)"
export ROCKY_DEMO_ENGINE=pg
export ROCKY_DEMO_ENGINE_TOML="[engines.pg]
type = \"postgres\"
conninfo = \"host=$root port=5432 user=rocky dbname=postgres\"
schema = \"rocky\"
retries = 2"
bash "$(dirname "$0")/demo.sh"
