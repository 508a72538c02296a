#!/usr/bin/env bash
# Chaos under load, kill -9 (docs/RELIABILITY.md, "Chaos: kill -9 under
# load"): a release `fiducia sandbox` (embedded store) takes `cc-mtls` and
# `flow` load (closed loop, --verify) while it is killed with SIGKILL CYCLES
# times, every KILL_EVERY seconds, and started again on the same data at
# once. Operations in flight at a kill fail (the connection drops); every
# access token the OP acknowledged before or after must introspect active
# when the load ends (RFC 7662 §2.2). Fails when one does not.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/chaos-kill.sh                    # 10 kills, one every 15 s
#   CYCLES=3 scripts/chaos-kill.sh
#
# Environment: CYCLES (10), KILL_EVERY (15 s), CC_CLIENTS (8), FLOW_CLIENTS
# (2), OUT (target/chaos-kill), PORT (20443), BIN (target/release), WEAK_HASH (1).
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${CYCLES:-10}
KILL_EVERY=${KILL_EVERY:-15}
CC_CLIENTS=${CC_CLIENTS:-8}
FLOW_CLIENTS=${FLOW_CLIENTS:-2}
OUT=${OUT:-target/chaos-kill}
PORT=${PORT:-20443}
BIN=${BIN:-target/release}
DATA=$(mktemp -d /tmp/fiducia-chaos.XXXXXX)/sandbox
. scripts/chaos-lib.sh
trap 'kill -9 $OP 2> /dev/null || true; rm -rf "$(dirname "$DATA")"' EXIT
start_op
# The load spans every cycle and ends a cycle after the last kill, with the
# OP up for the verification; each loadtest keeps its acknowledged tokens.
RUN_SECS=$(( (CYCLES + 2) * KILL_EVERY ))
lt --verify --scenario cc-mtls --concurrency "$CC_CLIENTS" > "$OUT/cc-mtls.json" &
CC=$!
lt --verify --scenario flow --concurrency "$FLOW_CLIENTS" > "$OUT/flow.json" &
FLOW=$!
fail=0
began=$(date +%s)
for cycle in $(seq "$CYCLES"); do
    # Kill k at k * KILL_EVERY from the start, whatever the restarts took.
    delay=$(( began + cycle * KILL_EVERY - $(date +%s) ))
    [ "$delay" -gt 0 ] && sleep "$delay"
    if ! kill -0 $CC 2> /dev/null || ! kill -0 $FLOW 2> /dev/null; then
        echo "the load ended before kill $cycle: raise KILL_EVERY" >&2
        fail=1
        break
    fi
    kill -9 "$OP"
    wait "$OP" 2> /dev/null || true
    started=$(date +%s.%N)
    start_op
    echo "kill $cycle at $(( $(date +%s) - began )) s: the OP was serving again after $(since "$started") s"
done
wait $CC || fail=1
wait $FLOW || fail=1
for scenario in cc-mtls flow; do
    summarize "$scenario"
    verified "$scenario" || fail=1
done
[ "$fail" = 0 ] && echo "chaos passed: $CYCLES kills, no acknowledged token lost" || echo "chaos FAILED"
exit $fail
