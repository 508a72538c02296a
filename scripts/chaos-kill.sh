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
mkdir -p "$OUT"
command -v jq > /dev/null || { echo "chaos-kill.sh needs jq" >&2; exit 2; }

OP_ENV=(env)
if [ "${WEAK_HASH:-1}" = 1 ]; then
    OP_ENV=(env FIDUCIA_LOGIN__DANGER_WEAK_PASSWORD_HASHING=true
        FIDUCIA_LOGIN__ARGON2_MEMORY_KIB=8 FIDUCIA_LOGIN__ARGON2_ITERATIONS=1)
fi
DATA=$(mktemp -d /tmp/fiducia-chaos.XXXXXX)/sandbox
OP=
start_op() {
    FIDUCIA_SANDBOX_DEVICE_LISTEN=127.0.0.1:$((PORT + 6)) FIDUCIA_DIRECTORY_LISTEN=127.0.0.1:$((PORT + 7)) \
    FIDUCIA_SANDBOX_GATEWAY_LISTEN=127.0.0.1:$((PORT + 8)) FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN=127.0.0.1:$((PORT + 9)) \
    FIDUCIA_SANDBOX_BANK_LISTEN=127.0.0.1:$((PORT + 10)) \
    FIDUCIA_SERVER__LISTEN=127.0.0.1:$PORT FIDUCIA_SERVER__ISSUER=https://localhost:$PORT \
    FIDUCIA_SERVER__MTLS_LISTEN=127.0.0.1:$((PORT + 1)) FIDUCIA_SERVER__MTLS_BASE_URL=https://localhost:$((PORT + 1)) \
    FIDUCIA_SERVER__HTTP3=false FIDUCIA_ADMIN__LISTEN=127.0.0.1:$((PORT + 2)) \
    "${OP_ENV[@]}" "$BIN/fiducia" sandbox --data "$DATA" >> "$OUT/op.log" 2>&1 &
    OP=$!
    local lines
    lines=$(grep -c '^Stop with' "$OUT/op.log" || true)
    for _ in $(seq 300); do
        [ "$(grep -c '^Stop with' "$OUT/op.log" || true)" -gt "$lines" ] && return 0
        kill -0 "$OP" 2> /dev/null || break
        sleep 0.1
    done
    echo "the OP did not start: $(tail -5 "$OUT/op.log")" >&2
    return 1
}
: > "$OUT/op.log"
trap 'kill -9 $OP 2> /dev/null || true; rm -rf "$(dirname "$DATA")"' EXIT
start_op
# The load spans every cycle and ends a cycle after the last kill, with the
# OP up for the verification; each loadtest keeps its acknowledged tokens.
RUN_SECS=$(( (CYCLES + 2) * KILL_EVERY ))
lt() { "$BIN/fiducia-loadtest" --sandbox "$DATA" --issuer "https://localhost:$PORT" --quiet --json --verify --warmup 0 --duration "$RUN_SECS" "$@"; }
lt --scenario cc-mtls --concurrency "$CC_CLIENTS" > "$OUT/cc-mtls.json" &
CC=$!
lt --scenario flow --concurrency "$FLOW_CLIENTS" > "$OUT/flow.json" &
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
    echo "kill $cycle at $(( $(date +%s) - began )) s: the OP was serving again after $(echo "$(date +%s.%N) - $started" | bc | cut -c1-5) s"
done
wait $CC || fail=1
wait $FLOW || fail=1
for scenario in cc-mtls flow; do
    jq -r --arg s "$scenario" '"\($s): \(.ok) acknowledged, \(.failed) failed (in flight at a kill or tried while the OP was down: \(.errors | to_entries | map("\(.value) \(.key)") | join(", ")));"
        + " verify: \(.verify.kept) kept, \(.verify.active) active, \(.verify.inactive) inactive, \(.verify.failed) failed, \(.verify.expired) expired, \(.verify.not_kept) not kept"' \
        "$OUT/$scenario.json"
    jq -e '.verify.kept >= .ok and .verify.inactive == 0 and .verify.failed == 0 and .verify.not_kept == 0 and .ok > 0' \
        "$OUT/$scenario.json" > /dev/null || fail=1
done
[ "$fail" = 0 ] && echo "chaos passed: $CYCLES kills, no acknowledged token lost" || echo "chaos FAILED"
exit $fail
