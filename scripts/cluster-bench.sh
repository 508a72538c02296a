#!/usr/bin/env bash
# Three-node throughput of docs/PERFORMANCE.md (issue 23): `cc-mtls`
# (client_credentials with tls_client_auth) against
#   embedded  one `fiducia sandbox` (the embedded store, no balancer),
#   1 node    `fiducia sandbox --nodes 1` (one node, PostgreSQL, HAProxy),
#   3 nodes   `fiducia sandbox --nodes 3` (three nodes, one PostgreSQL, HAProxy),
# each RUNS times, closed loop. The OP side (sandbox, nodes, PostgreSQL,
# HAProxy) is pinned to OP_CPUS, fiducia-loadtest to LT_CPU. For each run it
# prints the rate and the CPU per grant of the OP nodes together (user+system
# of every node process over the run, from /proc, divided by the grants),
# of PostgreSQL (postmaster and backends) and of HAProxy. One JSON report
# per run in OUT.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/cluster-bench.sh
#   RUNS=3 CONCURRENCY=32 SECONDS_PER_RUN=15 scripts/cluster-bench.sh
#
# Environment: OP_CPUS (0), LT_CPU (1), RUNS (2), SECONDS_PER_RUN (10),
# CONCURRENCY (16), SETUPS ("embedded 1 3"), PORT (47443; the sandbox uses
# PORT..PORT+10), OUT (target/cluster-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prereqs.sh
OP_CPUS=${OP_CPUS:-0}
LT_CPU=${LT_CPU:-1}
RUNS=${RUNS:-2}
SECS=${SECONDS_PER_RUN:-10}
CONC=${CONCURRENCY:-16}
SETUPS=${SETUPS:-"embedded 1 3"}
PORT=${PORT:-47443}
OUT=${OUT:-target/cluster-bench}
BIN=target/release
mkdir -p "$OUT"
for p in haproxy; do command -v "$p" >/dev/null || { echo "missing $p: apt-get install haproxy" >&2; exit 1; }; done
TICKS=$(getconf CLK_TCK)

# CPU seconds (user+system, and reaped children's) of the given pids.
cpu_of() {
    local total=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$(awk -v t="$TICKS" -v acc="$total" '{sub(/^.*\) /, ""); print acc + ($12 + $13 + $14 + $15) / t}' "/proc/$pid/stat")
    done
    echo "$total"
}

start() { # setup
    DIR=$(mktemp -d /tmp/fiducia-cluster-bench.XXXXXX)
    # As root, PostgreSQL runs as another user, who must reach its directory.
    chmod 755 "$DIR"
    DATA=$DIR/sandbox
    local nodes=()
    [ "$1" != embedded ] && nodes=(--nodes "$1")
    FIDUCIA_SANDBOX_DEVICE_LISTEN=127.0.0.1:$((PORT + 6)) FIDUCIA_DIRECTORY_LISTEN=127.0.0.1:$((PORT + 7)) \
    FIDUCIA_SANDBOX_GATEWAY_LISTEN=127.0.0.1:$((PORT + 8)) FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN=127.0.0.1:$((PORT + 9)) \
    FIDUCIA_SANDBOX_BANK_LISTEN=127.0.0.1:$((PORT + 10)) FIDUCIA_SANDBOX_LOGIN_APP_LISTEN=127.0.0.1:$((PORT + 11)) \
    FIDUCIA_SERVER__LISTEN=127.0.0.1:$PORT FIDUCIA_SERVER__ISSUER=https://localhost:$PORT \
    FIDUCIA_SERVER__MTLS_LISTEN=127.0.0.1:$((PORT + 1)) FIDUCIA_SERVER__MTLS_BASE_URL=https://localhost:$((PORT + 1)) \
    FIDUCIA_SERVER__HTTP3=false FIDUCIA_ADMIN__LISTEN=127.0.0.1:$((PORT + 2)) FIDUCIA_LOG__LEVEL=warn \
        taskset -c "$OP_CPUS" "$BIN/fiducia" sandbox --data "$DATA" "${nodes[@]}" > "$OUT/op.log" 2>&1 &
    OP=$!
    for _ in $(seq 300); do grep -qs '^Stop with' "$OUT/op.log" && break; sleep 0.2; done
    grep -qs '^Stop with' "$OUT/op.log" || { echo "the sandbox did not start: $(tail -5 "$OUT/op.log")" >&2; exit 1; }
}

# The processes whose CPU is counted (PostgreSQL's backends exist once the
# nodes' pools have connected: after the warm-up).
collect_pids() { # setup
    if [ "$1" = embedded ]; then
        NODE_PIDS=("$OP")
        PG_PIDS=()
        HA_PIDS=()
    else
        mapfile -t NODE_PIDS < <(cat "$DATA"/cluster/node-*.pid)
        local pm
        pm=$(head -1 "$DATA/cluster/postgres/data/postmaster.pid")
        mapfile -t PG_PIDS < <(echo "$pm"; pgrep -P "$pm")
        mapfile -t HA_PIDS < <(pgrep -P "$OP" -x haproxy)
    fi
}

stop() {
    if [ -n "${OP:-}" ]; then kill -TERM "$OP" && wait "$OP" || true; fi
    OP=
    [ -n "${DIR:-}" ] && rm -rf "$DIR"
    DIR=
}
trap stop EXIT

echo -e "setup\trun\tok/s\tfailed\tnodes CPU ms/grant\tper node cores\tPostgreSQL ms/grant\tHAProxy ms/grant\top p50 ms\top p99 ms"
for setup in $SETUPS; do
    start "$setup"
    # Warm the nodes (connections, caches) outside the measurement.
    taskset -c "$LT_CPU" "$BIN/fiducia-loadtest" --sandbox "$DATA" --issuer "https://localhost:$PORT" --scenario cc-mtls \
        --concurrency "$CONC" --warmup 0 --duration 2 --quiet > /dev/null
    collect_pids "$setup"
    for i in $(seq "$RUNS"); do
        n0=$(cpu_of "${NODE_PIDS[@]}"); p0=$(cpu_of "${PG_PIDS[@]}"); h0=$(cpu_of "${HA_PIDS[@]}")
        taskset -c "$LT_CPU" "$BIN/fiducia-loadtest" --sandbox "$DATA" --issuer "https://localhost:$PORT" --scenario cc-mtls \
            --concurrency "$CONC" --warmup 0 --duration "$SECS" --quiet --json > "$OUT/$setup-$i.json"
        n1=$(cpu_of "${NODE_PIDS[@]}"); p1=$(cpu_of "${PG_PIDS[@]}"); h1=$(cpu_of "${HA_PIDS[@]}")
        jq -r --arg setup "$setup" --arg run "$i" --argjson n "$(echo "$n1 - $n0" | bc -l)" \
            --argjson p "$(echo "$p1 - $p0" | bc -l)" --argjson h "$(echo "$h1 - $h0" | bc -l)" \
            --argjson nodes "${#NODE_PIDS[@]}" \
            '[$setup, $run, (.achieved_per_sec|floor), .failed,
              ($n * 1000 / (.ok + .failed) * 1000 | floor / 1000),
              ($n / .seconds / $nodes * 100 | floor / 100),
              ($p * 1000 / (.ok + .failed) * 1000 | floor / 1000),
              ($h * 1000 / (.ok + .failed) * 1000 | floor / 1000),
              (.steps[]|select(.step=="op")|.p50, .p99)] | @tsv' "$OUT/$setup-$i.json"
    done
    stop
done
