#!/usr/bin/env bash
# Overload (docs/RELIABILITY.md, "Overload"): a release `fiducia sandbox`,
# the OP on CPU 0 and the load generator on CPU 1 (with two CPUs or more).
# For each scenario in SCENARIOS: its capacity in closed loop (CAPACITY_SECS),
# then open loop at FACTOR times that for OVERLOAD_SECS (at most
# MAX_IN_FLIGHT at once), then at half of it for CALM_SECS. Fails when,
# under overload, an answer is a 5xx other than 503 with `Retry-After`
# (RFC 9110 §15.6.4, §10.2.3), when the OP panics or is gone, or when, in
# the calm run after, any operation fails or its p99 is over CALM_P99_MS:
# an OP over its capacity queues or sheds, and is itself again after.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/overload.sh                   # SCENARIOS="cc-mtls cc-pkjwt flow"
#
# Environment: SCENARIOS, FACTOR (2), CAPACITY_SECS (10), OVERLOAD_SECS
# (30), CALM_SECS (15), MAX_IN_FLIGHT (1024), CALM_P99_MS (100), OUT
# (target/overload), PORT (24443), BIN (target/release), WEAK_HASH (1).
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIOS=${SCENARIOS:-cc-mtls cc-pkjwt flow}
FACTOR=${FACTOR:-2}
CAPACITY_SECS=${CAPACITY_SECS:-10}
OVERLOAD_SECS=${OVERLOAD_SECS:-30}
CALM_SECS=${CALM_SECS:-15}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-1024}
CALM_P99_MS=${CALM_P99_MS:-100}
OUT=${OUT:-target/overload}
PORT=${PORT:-24443}
BIN=${BIN:-target/release}
DATA=$(mktemp -d /tmp/fiducia-overload.XXXXXX)/sandbox
. scripts/chaos-lib.sh
ON_CLIENTS=(env)
if [ "$(nproc)" -ge 2 ]; then
    OP_ENV=(taskset -c 0 "${OP_ENV[@]}")
    ON_CLIENTS=(taskset -c 1)
fi
trap 'kill -9 $OP 2> /dev/null || true; rm -rf "$(dirname "$DATA")"' EXIT
start_op
run() { "${ON_CLIENTS[@]}" "$BIN/fiducia-loadtest" --sandbox "$DATA" --issuer "https://localhost:$PORT" \
    --op-pid "$OP" --quiet --json --warmup 2 "$@"; }
fail=0
for scenario in $SCENARIOS; do
    run --scenario "$scenario" --concurrency 32 --duration "$CAPACITY_SECS" > "$OUT/$scenario-capacity.json"
    capacity=$(jq '.achieved_per_sec | floor' "$OUT/$scenario-capacity.json")
    rate=$(( capacity * FACTOR ))
    run --scenario "$scenario" --rate "$rate" --max-in-flight "$MAX_IN_FLIGHT" --duration "$OVERLOAD_SECS" \
        > "$OUT/$scenario-overload.json" || true
    run --scenario "$scenario" --rate $(( capacity / 2 )) --duration "$CALM_SECS" > "$OUT/$scenario-calm.json" || true
    jq -r --arg s "$scenario" --argjson c "$capacity" --argjson r "$rate" \
        '"\($s): capacity \($c)/s; at \($r)/s: \(.ok) served (\(.achieved_per_sec | floor)/s), \(.failed) failed (\(.errors | to_entries | map("\(.value) \(.key)") | join(", "))), p99 \(.steps[] | select(.step == "op") | .p99) ms"' \
        "$OUT/$scenario-overload.json"
    jq -r --arg s "$scenario" '"\($s) after, at half capacity: \(.ok) served, \(.failed) failed, p99 \([.steps[] | select(.step == "op") | .p99][0] // "-") ms"' \
        "$OUT/$scenario-calm.json"
    # Under overload: no 5xx but 503 with Retry-After (the kind is then
    # "503 ..." without " without Retry-After").
    jq -e '[.errors | keys[] | select(test(": 5[0-9][0-9]") and (test(": 503") | not) or test("without Retry-After"))] | length == 0' \
        "$OUT/$scenario-overload.json" > /dev/null || { echo "$scenario: a 5xx other than 503 with Retry-After" >&2; fail=1; }
    jq -e --argjson p "$CALM_P99_MS" '.failed == 0 and .ok > 0 and ([.steps[] | select(.step == "op") | .p99][0] <= $p)' \
        "$OUT/$scenario-calm.json" > /dev/null || { echo "$scenario: not itself again after the overload" >&2; fail=1; }
done
kill -0 "$OP" 2> /dev/null || { echo "the OP is gone" >&2; fail=1; }
grep -q 'panicked' "$OUT/op.log" && { echo "the OP panicked" >&2; fail=1; }
[ "$fail" = 0 ] && echo "overload passed: $FACTOR x capacity answered without a 5xx but 503 + Retry-After, itself again after" \
    || echo "overload FAILED"
exit $fail
