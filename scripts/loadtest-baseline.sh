#!/usr/bin/env bash
# The load-test baseline of docs/PERFORMANCE.md: a release `fiducia sandbox`
# pinned to one CPU, fiducia-loadtest pinned to the other, each scenario
# run RUNS times at saturation (closed loop) and then at 80 % of the median
# capacity (open loop). One JSON report per run in OUT; a summary of medians
# on stdout.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/loadtest-baseline.sh                       # all scenarios
#   SCENARIOS="cc-mtls flow" RUNS=3 scripts/loadtest-baseline.sh
#
# Both processes run at NICE (default -10; needs root) so that other work on
# a shared machine gets what they leave instead of preempting them.
#
# Environment: OP_CPU (0), LT_CPU (1), NICE (-10), RUNS (3), SECONDS_PER_RUN (15),
# WARMUP (3), OUT (target/loadtest-baseline), DATA (a fresh temporary dir),
# CONCURRENCY_<scenario> (closed-loop clients, e.g. CONCURRENCY_flow=16),
# OP_BIN (target/release/fiducia: another build to compare), MODES
# ("closed open"; "closed" skips the open-loop runs), WEAK_HASH (1: the OP
# hashes passwords with argon2id m=8 KiB t=1 under
# login.danger_weak_password_hashing, so that the flows measure the OP rather
# than the password hash; the report states the setting), LT_ARGS (more
# fiducia-loadtest arguments, e.g. "--alg EdDSA").
set -euo pipefail
cd "$(dirname "$0")/.."
OP_CPU=${OP_CPU:-0}
LT_CPU=${LT_CPU:-1}
NICE=${NICE:--10}
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-15}
WARMUP=${WARMUP:-3}
OUT=${OUT:-target/loadtest-baseline}
SCENARIOS=${SCENARIOS:-"discovery cc-mtls cc-pkjwt handshake flow flow-mtls"}
BIN=target/release
OP_BIN=${OP_BIN:-$BIN/fiducia}
MODES=${MODES:-"closed open"}
mkdir -p "$OUT"

WEAK_ENV=(env)
if [ "${WEAK_HASH:-0}" = 1 ]; then
    WEAK_ENV=(env FIDUCIA_LOGIN__DANGER_WEAK_PASSWORD_HASHING=true
        FIDUCIA_LOGIN__ARGON2_MEMORY_KIB=8 FIDUCIA_LOGIN__ARGON2_ITERATIONS=1)
fi

declare -A CONC=([discovery]=32 [cc-mtls]=32 [cc-pkjwt]=32 [handshake]=16 [flow]=16 [flow-mtls]=16)

start_op() {
    DATA=$(mktemp -d /tmp/fiducia-baseline.XXXXXX)/sandbox
    PORT=${PORT:-18443}
    FIDUCIA_SERVER__LISTEN=127.0.0.1:$PORT FIDUCIA_SERVER__ISSUER=https://localhost:$PORT \
    FIDUCIA_SERVER__MTLS_LISTEN=127.0.0.1:$((PORT + 1)) FIDUCIA_SERVER__MTLS_BASE_URL=https://localhost:$((PORT + 1)) \
    FIDUCIA_SERVER__HTTP3=false FIDUCIA_ADMIN__LISTEN=127.0.0.1:$((PORT + 2)) \
    "${WEAK_ENV[@]}" \
        nice -n "$NICE" taskset -c "$OP_CPU" "$OP_BIN" sandbox --data "$DATA" > "$OUT/op.log" 2>&1 &
    OP=$!
    for _ in $(seq 100); do grep -qs '^Stop with' "$OUT/op.log" && return 0; sleep 0.2; done
    echo "the OP did not start: $(tail -5 "$OUT/op.log")" >&2
    exit 1
}

stop_op() {
    kill -INT "$OP" && wait "$OP" || true
    rm -rf "$(dirname "$DATA")"
}

lt() {
    nice -n "$NICE" taskset -c "$LT_CPU" "$BIN/fiducia-loadtest" --sandbox "$DATA" --op-pid "$OP" \
        --warmup "$WARMUP" --duration "$SECS" --quiet --json ${LT_ARGS:-} "$@"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

summary() { # file...
    jq -r '[.scenario, .mode, (.achieved_per_sec|floor), (.op_cpu_ms_per_op*1000|floor/1000),
            (.loadtest_cpu_ms_per_op*1000|floor/1000), (.op_cpu_cores*100|floor/100),
            (.steps[]|select(.step=="op")|.p50, .p99), .failed, (.op_peak_rss_mib|floor)] | @tsv' "$@"
}

echo -e "scenario\tmode\tok/s\tOP ms/op\tLT ms/op\tOP cores\top p50 ms\top p99 ms\tfailed\tOP peak RSS MiB"
for scenario in $SCENARIOS; do
    start_op
    var="CONCURRENCY_${scenario//-/_}"
    conc=${!var:-${CONC[$scenario]}}
    for i in $(seq "$RUNS"); do
        lt --scenario "$scenario" --concurrency "$conc" > "$OUT/$scenario-closed-$i.json"
        summary "$OUT/$scenario-closed-$i.json"
    done
    if [[ " $MODES " != *" open "* ]]; then stop_op; continue; fi
    capacity=$(for i in $(seq "$RUNS"); do jq .achieved_per_sec "$OUT/$scenario-closed-$i.json"; done | median)
    rate=$(awk -v c="$capacity" 'BEGIN {printf "%d", c * 0.8}')
    for i in $(seq "$RUNS"); do
        lt --scenario "$scenario" --rate "$rate" > "$OUT/$scenario-open-$i.json"
        summary "$OUT/$scenario-open-$i.json"
    done
    stop_op
done
