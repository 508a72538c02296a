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
#
# Optional CIBA scenarios (not in the default list): SCENARIOS="ciba ciba-pending".
#   ciba          the customer device auto-approves (FIDUCIA_DEVICE__AUTO_APPROVE=true);
#   ciba-pending  it does not: PENDING (20000) requests are created before each
#                 run (the report's `prepared`: OP CPU per backchannel request,
#                 RSS before/after) and polled at their interval (5 s).
# DEVICE (external): the device runs as its own `fiducia device` process
# pinned to LT_CPU, reached at https://127.0.0.1:DEVICE_PORT (PORT + 5), so the
# OP's CPU and RSS hold no device work; DEVICE=inprocess keeps the sandbox's
# own. CIBA_AUTH (private-key-jwt | tls-client-auth): how the CIBA client
# authenticates. The OP's and the device's max_pending are raised to 10^6 so
# that the runs' pools add up without refusals.
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

declare -A CONC=([discovery]=32 [cc-mtls]=32 [cc-pkjwt]=32 [handshake]=16 [flow]=16 [flow-mtls]=16
    [ciba]=128 [ciba-pending]=64)
DEVICE=${DEVICE:-external}
PENDING=${PENDING:-20000}
CIBA_AUTH=${CIBA_AUTH:-private-key-jwt}

start_op() { # scenario
    DATA=$(mktemp -d /tmp/fiducia-baseline.XXXXXX)/sandbox
    PORT=${PORT:-18443}
    DEVICE_PORT=$((PORT + 5))
    CIBA_ENV=(env)
    DEV=
    case "$1" in
    ciba | ciba-pending)
        CIBA_ENV=(env FIDUCIA_CIBA__MAX_PENDING=1000000)
        if [ "$DEVICE" = external ]; then
            CIBA_ENV+=(FIDUCIA_CIBA__DEVICE_NOTIFICATION_URL=https://127.0.0.1:$DEVICE_PORT/ciba/requests)
        elif [ "$1" = ciba ]; then
            CIBA_ENV+=(FIDUCIA_DEVICE__AUTO_APPROVE=true)
        fi
        ;;
    esac
    FIDUCIA_SANDBOX_DEVICE_LISTEN=127.0.0.1:$((PORT + 6)) FIDUCIA_DIRECTORY_LISTEN=127.0.0.1:$((PORT + 7)) \
    FIDUCIA_SANDBOX_GATEWAY_LISTEN=127.0.0.1:$((PORT + 8)) FIDUCIA_SANDBOX_GATEWAY_ADMIN_LISTEN=127.0.0.1:$((PORT + 9)) \
    FIDUCIA_SANDBOX_BANK_LISTEN=127.0.0.1:$((PORT + 10)) FIDUCIA_SANDBOX_LOGIN_APP_LISTEN=127.0.0.1:$((PORT + 11)) \
    FIDUCIA_SERVER__LISTEN=127.0.0.1:$PORT FIDUCIA_SERVER__ISSUER=https://localhost:$PORT \
    FIDUCIA_SERVER__MTLS_LISTEN=127.0.0.1:$((PORT + 1)) FIDUCIA_SERVER__MTLS_BASE_URL=https://localhost:$((PORT + 1)) \
    FIDUCIA_SERVER__HTTP3=false FIDUCIA_ADMIN__LISTEN=127.0.0.1:$((PORT + 2)) \
    "${WEAK_ENV[@]}" "${CIBA_ENV[@]}" \
        nice -n "$NICE" taskset -c "$OP_CPU" "$OP_BIN" sandbox --data "$DATA" > "$OUT/op.log" 2>&1 &
    OP=$!
    for _ in $(seq 100); do grep -qs '^Stop with' "$OUT/op.log" && break; sleep 0.2; done
    if ! grep -qs '^Stop with' "$OUT/op.log"; then
        echo "the OP did not start: $(tail -5 "$OUT/op.log")" >&2
        exit 1
    fi
    if [ "${CIBA_ENV[*]}" != env ] && [ "$DEVICE" = external ]; then
        # The device the sandbox configured (device.toml), in its own process.
        local approve=false
        [ "$1" = ciba ] && approve=true
        FIDUCIA_DEVICE__LISTEN=127.0.0.1:$DEVICE_PORT FIDUCIA_DEVICE__AUTO_APPROVE=$approve \
        FIDUCIA_DEVICE__MAX_PENDING=1000000 FIDUCIA_LOG__LEVEL=warn \
            nice -n "$NICE" taskset -c "$LT_CPU" "$BIN/fiducia" device --config "$DATA/device.toml" \
            > "$OUT/device.log" 2>&1 &
        DEV=$!
        for _ in $(seq 50); do
            (exec 3<>/dev/tcp/127.0.0.1/"$DEVICE_PORT") 2>/dev/null && return 0
            sleep 0.2
        done
        echo "the device did not start: $(tail -5 "$OUT/device.log")" >&2
        exit 1
    fi
}

stop_op() {
    if [ -n "$DEV" ]; then kill -INT "$DEV" && wait "$DEV" || true; fi
    kill -INT "$OP" && wait "$OP" || true
    rm -rf "$(dirname "$DATA")"
}

lt() {
    nice -n "$NICE" taskset -c "$LT_CPU" "$BIN/fiducia-loadtest" --sandbox "$DATA" --op-pid "$OP" \
        --warmup "$WARMUP" --duration "$SECS" --quiet --json ${LT_ARGS:-} "$@"
}

scenario_args() { # scenario
    case "$1" in
    ciba) echo "--ciba-auth $CIBA_AUTH --max-in-flight 256" ;;
    ciba-pending) echo "--ciba-auth $CIBA_AUTH --pending $PENDING" ;;
    esac
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

summary() { # file...
    jq -r '[.scenario, .mode, (.achieved_per_sec|floor), (.op_cpu_ms_per_op*1000|floor/1000),
            (.loadtest_cpu_ms_per_op*1000|floor/1000), (.op_cpu_cores*100|floor/100),
            (.steps[]|select(.step=="op")|.p50, .p99), .failed, (.op_peak_rss_mib|floor)] | @tsv' "$@"
}

echo -e "scenario\tmode\tok/s\tOP ms/op\tLT ms/op\tOP cores\top p50 ms\top p99 ms\tfailed\tOP peak RSS MiB"
for scenario in $SCENARIOS; do
    start_op "$scenario"
    var="CONCURRENCY_${scenario//-/_}"
    conc=${!var:-${CONC[$scenario]}}
    # shellcheck disable=SC2046
    for i in $(seq "$RUNS"); do
        lt --scenario "$scenario" --concurrency "$conc" $(scenario_args "$scenario") > "$OUT/$scenario-closed-$i.json"
        summary "$OUT/$scenario-closed-$i.json"
    done
    if [[ " $MODES " != *" open "* ]]; then stop_op; continue; fi
    capacity=$(for i in $(seq "$RUNS"); do jq .achieved_per_sec "$OUT/$scenario-closed-$i.json"; done | median)
    rate=$(awk -v c="$capacity" 'BEGIN {printf "%d", c * 0.8}')
    for i in $(seq "$RUNS"); do
        lt --scenario "$scenario" --rate "$rate" $(scenario_args "$scenario") > "$OUT/$scenario-open-$i.json"
        summary "$OUT/$scenario-open-$i.json"
    done
    stop_op
done
