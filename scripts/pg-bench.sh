#!/usr/bin/env bash
# The PostgreSQL backend against PostgreSQL's own ceiling, in one run on one
# server: starts a temporary PostgreSQL (initdb in a temporary directory,
# loopback only, fsync and synchronous_commit on), runs pgbench with a custom
# script writing what a token issue writes — one autocommitted upsert of
# three rows (the record of ~330 bytes under a 34-byte key, its expiry entry
# and its grant index entry) into a table shaped like the store's — then
# store-bench on the PostgreSQL backend with as many writers, and prints
# both, the ratio and store-bench's commit latency percentiles
# (docs/PERFORMANCE.md, "PostgreSQL backend").
#
#   scripts/pg-bench.sh [--writers 64] [--seconds 10] [--pool-size WRITERS] [--pgbench-clients WRITERS]
set -euo pipefail
cd "$(dirname "$0")/.."

WRITERS=64
DURATION=10
POOL=""
CLIENTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --writers) WRITERS=$2; shift 2 ;;
    --seconds) DURATION=$2; shift 2 ;;
    --pool-size) POOL=$2; shift 2 ;;
    --pgbench-clients) CLIENTS=$2; shift 2 ;;
    *) echo "usage: $0 [--writers N] [--seconds S] [--pool-size N] [--pgbench-clients N]" >&2; exit 2 ;;
  esac
done
CLIENTS=${CLIENTS:-$WRITERS}
POOL=${POOL:-$WRITERS}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
else
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$dir/initdb" ] && bindir=$dir
  done
fi
if [ -z "$bindir" ]; then
  echo "pg-bench: no PostgreSQL server binaries; install the Debian package postgresql" >&2
  exit 1
fi

echo "== building store-bench (release)"
cargo build --release --locked -p fiducia-bench --bin store-bench >&2

work=$(mktemp -d /tmp/fiducia-pgbench-XXXXXX)
chmod 755 "$work"
# PostgreSQL refuses to run as root: run it as postgres (or nobody) then.
as_server() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown "$user" "$work"
  as_server() { setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@"; }
fi

port=""
for candidate in $(shuf -i 20000-40000 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "pg-bench: no free port" >&2; exit 1; }

stop() {
  as_server "$bindir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

as_server "$bindir/initdb" -U fiducia --auth=trust -E UTF8 --no-instructions -D "$work/data" >/dev/null
as_server "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" \
  start >/dev/null || { cat "$work/server.log" >&2; exit 1; }

psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U fiducia "$@"; }
psql -d postgres -c "CREATE DATABASE pgbench" -c "CREATE DATABASE store"
psql -d pgbench -c "CREATE TABLE fiducia_kv (key bytea PRIMARY KEY, value bytea NOT NULL)"

cat > "$work/token.sql" <<'SQL'
\set n random(1, 9000000000000000000)
INSERT INTO fiducia_kv (key, value) SELECT * FROM unnest(
  ARRAY[
    '\x1502'::bytea || sha256(convert_to(:client_id || '/' || :n, 'UTF8')),
    '\x150a1600e31502'::bytea || sha256(convert_to(:client_id || '/' || :n, 'UTF8')),
    '\x15411503'::bytea || convert_to(repeat('g', 45), 'UTF8') || '\x1502'::bytea || sha256(convert_to(:client_id || '/' || :n, 'UTF8'))
  ],
  ARRAY[convert_to(repeat('v', 330), 'UTF8'), ''::bytea, ''::bytea]
) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
SQL

echo "== pgbench: $CLIENTS clients, ${DURATION} s, the same three-row upsert per transaction"
chmod 777 "$work"
pgbench_out=$(cd "$work" && "$bindir/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$DURATION" -f "$work/token.sql" \
  -l --log-prefix="$work/pgbench_log" -h 127.0.0.1 -p "$port" -U fiducia pgbench 2>&1)
echo "$pgbench_out" | grep -E "number of transactions actually processed|latency average|^tps"
pg_tps=$(echo "$pgbench_out" | awk '/^tps/ {print $3; exit}')
# Per-transaction log: the third column is the latency in microseconds.
pg_p99=$(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] / 1000}')
pg_p50=$(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{v[NR] = $1} END {i = int(NR * 0.50); if (i < 1) i = 1; printf "%.2f", v[i] / 1000}')
echo "pgbench latency ms: p50 $pg_p50  p99 $pg_p99"

echo "== store-bench: postgres backend, $WRITERS writers, pool of $POOL"
store_out=$(target/release/store-bench --backend postgres --writers "$WRITERS" --pool-size "$POOL" \
  --seconds "$DURATION" --postgres-url "postgresql://fiducia@127.0.0.1:$port/store")
echo "$store_out"
store_tps=$(echo "$store_out" | sed -n 's/^durable token-issue transactions: [0-9]* (\([0-9.]*\)\/s)$/\1/p')
p99=$(echo "$store_out" | sed -n 's/.* p99 \([0-9.]*\) .*/\1/p')

echo "== result ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs)"
awk -v s="$store_tps" -v p="$pg_tps" -v l="$p99" -v pl="$pg_p99" 'BEGIN {
  printf "pgbench %.0f tx/s (p99 %.2f ms), store-bench %.0f tx/s: %.0f %% of pgbench (target >= 70 %%); store-bench p99 commit %.2f ms (target <= 10 ms)\n", p, pl, s, 100 * s / p, l
}'
