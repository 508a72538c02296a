#!/usr/bin/env bash
# The hostile-traffic campaign of docs/RELIABILITY.md: a release `fiducia
# sandbox`, legitimate `cc-mtls` and `flow` load at fixed rates (open loop),
# first quiet and then beside `fiducia-loadtest --scenario hostile` (21
# attacks in turn: malformed HTTP/1.1, HTTP/2 rapid reset and CONTINUATION
# flood, HTTP/3 stream flood, forged and replayed OAuth). It fails when:
#
#   - an attack got a 5xx other than 503 + Retry-After, was accepted, or
#     met silence (the hostile report's "5xx", "accepted", "silent" failures);
#   - a legitimate operation failed with a 5xx;
#   - the OP logged a panic;
#   - the OP's resident memory grew by more than MAX_GROWTH_MIB (50) from
#     the quiet phase to the end;
#   - a legitimate scenario's p99 beside the attacks is more than
#     MAX_P99_RATIO (2) times its quiet p99.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/hostile.sh                              # 100,000 attacks
#   ATTACKS=5000 scripts/hostile.sh                 # a short run
#
# The attacks run in open loop at HOSTILE_RATE for ATTACKS / HOSTILE_RATE
# seconds; the legitimate load's measured window under attack lies inside
# that span (it starts 10 s in, after a 10 s warm-up of its own).
#
# Environment: ATTACK_KINDS (all: a comma-separated list of attack names
# to run only those, `fiducia-loadtest --attack`), REPLAYS_PER_CAPTURE (1:
# how many times the replay attacks replay one captured assertion, proof,
# code or refresh token before capturing another with a legitimate grant or
# code flow; `fiducia-loadtest --replays-per-capture`), ATTACKS (100000), HOSTILE_RATE (500/s), HOSTILE_IN_FLIGHT
# (1024: slowloris holds a connection for the OP's header timeout, 10 s),
# CC_RATE (100/s), FLOW_RATE (5/s), QUIET_SECS (60: each legitimate
# scenario's measured window, quiet and under attack alike), OUT (target/hostile), PORT (19443),
# WEAK_HASH (1: argon2id m=8 KiB t=1, so that the flows measure the OP
# rather than the password hash; the report states it), MAX_GROWTH_MIB (50),
# MAX_P99_RATIO (2), BIN (target/release), STORE_MIB (16: the store's block
# cache and memtables, `[store] cache_mib` / `memtable_mib`, so that the
# RSS measured is the OP's and not the store's buffers filling up; with the
# defaults, 64 MiB each, the store alone may grow ~250 MiB under the flows
# the replay attacks run, docs/PERFORMANCE.md), PIN (1 on a machine of two
# or more CPUs: the OP on CPU 0, the load generators on CPU 1 and the
# attacker at nice 19 there, so that what the legitimate clients measure is
# the OP and not the attacker's own CPU beside them; an attacker is not on
# the bank's host).
set -euo pipefail
cd "$(dirname "$0")/.."
ATTACKS=${ATTACKS:-100000}
HOSTILE_RATE=${HOSTILE_RATE:-500}
REPLAYS_PER_CAPTURE=${REPLAYS_PER_CAPTURE:-1}
HOSTILE_IN_FLIGHT=${HOSTILE_IN_FLIGHT:-1024}
CC_RATE=${CC_RATE:-100}
FLOW_RATE=${FLOW_RATE:-5}
SECS=${QUIET_SECS:-60}
OUT=${OUT:-target/hostile}
PORT=${PORT:-19443}
BIN=${BIN:-target/release}
MAX_GROWTH_MIB=${MAX_GROWTH_MIB:-50}
MAX_P99_RATIO=${MAX_P99_RATIO:-2}
mkdir -p "$OUT"
command -v jq > /dev/null || { echo "hostile.sh needs jq" >&2; exit 2; }
HOSTILE_SECS=$((ATTACKS / HOSTILE_RATE))
if [ "$HOSTILE_SECS" -lt $((SECS + 25)) ]; then
    echo "ATTACKS / HOSTILE_RATE ($HOSTILE_SECS s) must cover QUIET_SECS + 25 s" >&2
    exit 2
fi

STORE_MIB=${STORE_MIB:-16}
OP_ENV=(env FIDUCIA_STORE__CACHE_MIB="$STORE_MIB" FIDUCIA_STORE__MEMTABLE_MIB="$STORE_MIB")
if [ "${WEAK_HASH:-1}" = 1 ]; then
    OP_ENV+=(FIDUCIA_LOGIN__DANGER_WEAK_PASSWORD_HASHING=true
        FIDUCIA_LOGIN__ARGON2_MEMORY_KIB=8 FIDUCIA_LOGIN__ARGON2_ITERATIONS=1)
fi

PIN=${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}
ON_OP=(env) ON_CLIENTS=(env) ON_ATTACKER=(nice -n 19)
if [ "$PIN" = 1 ]; then
    ON_OP=(taskset -c 0) ON_CLIENTS=(taskset -c 1) ON_ATTACKER=(taskset -c 1 nice -n 19)
fi

DATA=$(mktemp -d /tmp/fiducia-hostile.XXXXXX)/sandbox
FIDUCIA_SANDBOX_DEVICE_LISTEN=127.0.0.1:$((PORT + 6)) FIDUCIA_DIRECTORY_LISTEN=127.0.0.1:$((PORT + 7)) \
FIDUCIA_SANDBOX_GATEWAY_LISTEN=127.0.0.1:$((PORT + 8)) FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN=127.0.0.1:$((PORT + 9)) \
FIDUCIA_SANDBOX_BANK_LISTEN=127.0.0.1:$((PORT + 10)) \
FIDUCIA_SERVER__LISTEN=127.0.0.1:$PORT FIDUCIA_SERVER__ISSUER=https://localhost:$PORT \
FIDUCIA_SERVER__MTLS_LISTEN=127.0.0.1:$((PORT + 1)) FIDUCIA_SERVER__MTLS_BASE_URL=https://localhost:$((PORT + 1)) \
FIDUCIA_ADMIN__LISTEN=127.0.0.1:$((PORT + 2)) \
"${ON_OP[@]}" "${OP_ENV[@]}" "$BIN/fiducia" sandbox --data "$DATA" > "$OUT/op.log" 2>&1 &
OP=$!
trap 'kill -INT $OP 2> /dev/null; wait $OP 2> /dev/null; rm -rf "$(dirname "$DATA")"' EXIT
for _ in $(seq 150); do grep -qs '^Stop with' "$OUT/op.log" && break; sleep 0.2; done
grep -qs '^Stop with' "$OUT/op.log" || { echo "the OP did not start: $(tail -5 "$OUT/op.log")" >&2; exit 1; }

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$OP/status"; }
lt() { "${ON_CLIENTS[@]}" "$BIN/fiducia-loadtest" --sandbox "$DATA" --op-pid "$OP" --quiet --json "$@"; }
attacker() { "${ON_ATTACKER[@]}" "$BIN/fiducia-loadtest" --sandbox "$DATA" --op-pid "$OP" --quiet --json "$@"; }
legit() { # phase: cc-mtls and flow side by side, open loop
    lt --scenario cc-mtls --rate "$CC_RATE" --warmup 10 --duration "$SECS" > "$OUT/cc-mtls-$1.json" &
    local cc=$!
    lt --scenario flow --rate "$FLOW_RATE" --warmup 10 --duration "$SECS" > "$OUT/flow-$1.json"
    wait $cc
}
p99() { jq '.steps[] | select(.step == "op") | .p99' "$1"; }

echo "quiet: cc-mtls at $CC_RATE/s and flow at $FLOW_RATE/s for ${SECS}s"
legit quiet
RSS_QUIET=$(rss_mib)

echo "hostile: $ATTACKS attacks at $HOSTILE_RATE/s (${HOSTILE_SECS}s), $REPLAYS_PER_CAPTURE replay(s) per capture, the same legitimate load beside them"
attacker --scenario hostile ${ATTACK_KINDS:+--attack "$ATTACK_KINDS"} --replays-per-capture "$REPLAYS_PER_CAPTURE" --rate "$HOSTILE_RATE" --max-in-flight "$HOSTILE_IN_FLIGHT" --requests "$ATTACKS" \
    --duration "$HOSTILE_SECS" --warmup 0 > "$OUT/hostile.json" &
HOSTILE=$!
sleep 5
legit attacked
wait $HOSTILE || true
RSS_END=$(rss_mib)

fail=0
breaches=$(jq '[.errors | to_entries[] | select(.key | test(": (5xx|accepted|silent)")) | .value] | add // 0' "$OUT/hostile.json")
legit_5xx=$(jq -s '[.[].errors | to_entries[] | select(.key | test(": 5")) | .value] | add // 0' \
    "$OUT"/cc-mtls-*.json "$OUT"/flow-*.json)
panics=$(grep -c 'panicked' "$OUT/op.log" || true)
growth=$(echo "$RSS_END - $RSS_QUIET" | bc)
echo
echo "attacks: $(jq '.ok + .failed' "$OUT/hostile.json") run, $(jq .ok "$OUT/hostile.json") refused as they should be, $breaches breaches"
jq -r '.errors | to_entries[] | "  \(.value)\t\(.key)"' "$OUT/hostile.json"
echo "legitimate 5xx: $legit_5xx; OP panics: $panics"
echo "OP RSS: ${RSS_QUIET} MiB after the quiet phase, ${RSS_END} MiB at the end (growth ${growth} MiB, limit $MAX_GROWTH_MIB)"
[ "$breaches" = 0 ] || fail=1
[ "$legit_5xx" = 0 ] || fail=1
[ "$panics" = 0 ] || fail=1
[ "$(echo "$growth <= $MAX_GROWTH_MIB" | bc)" = 1 ] || fail=1
for scenario in cc-mtls flow; do
    quiet=$(p99 "$OUT/$scenario-quiet.json")
    attacked=$(p99 "$OUT/$scenario-attacked.json")
    ratio=$(echo "scale=2; $attacked / $quiet" | bc)
    echo "$scenario p99: quiet $quiet ms, beside the attacks $attacked ms (x$ratio, limit x$MAX_P99_RATIO);" \
        "failed $(jq .failed "$OUT/$scenario-quiet.json") / $(jq .failed "$OUT/$scenario-attacked.json")"
    [ "$(echo "$ratio <= $MAX_P99_RATIO" | bc)" = 1 ] || fail=1
done
[ "$fail" = 0 ] && echo "campaign passed" || echo "campaign FAILED"
exit $fail
