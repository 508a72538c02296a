#!/usr/bin/env bash
# Sourced by scripts/chaos-*.sh (docs/RELIABILITY.md): a release `fiducia
# sandbox` on its own ports, started and stopped by the campaign, and the
# load generator pointed at it.
#
# Needs before sourcing: OUT (the campaign's output directory), PORT (the
# OP's first port; the sandbox's servers take PORT .. PORT+10), BIN (where
# the release binaries are), DATA (the sandbox's data directory).
# WEAK_HASH=1 (default) lets flows measure the OP, not Argon2.

command -v jq > /dev/null || { echo "$0 needs jq" >&2; exit 2; }
mkdir -p "$OUT"
OP_ENV=(env)
if [ "${WEAK_HASH:-1}" = 1 ]; then
    OP_ENV=(env FIDUCIA_LOGIN__DANGER_WEAK_PASSWORD_HASHING=true
        FIDUCIA_LOGIN__ARGON2_MEMORY_KIB=8 FIDUCIA_LOGIN__ARGON2_ITERATIONS=1)
fi
OP=
: > "$OUT/op.log"

# Starts the OP on DATA (in the background, its pid in OP) and waits until
# it serves.
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

# The load generator against the sandbox for RUN_SECS, every acknowledged
# token introspected at the end where the scenario issues one.
lt() {
    "$BIN/fiducia-loadtest" --sandbox "$DATA" --issuer "https://localhost:$PORT" --quiet --json \
        --warmup 0 --duration "$RUN_SECS" "$@"
}

# The OP's readiness (`/readyz` on the admin listener): the JSON, or
# `down` when it does not answer.
readiness() {
    curl -s --max-time 2 "http://127.0.0.1:$((PORT + 2))/readyz" || echo down
}

# One line per report: acknowledged, failed by kind, and the verification.
summarize() {
    local scenario=$1
    jq -r --arg s "$scenario" '"\($s): \(.ok) acknowledged, \(.failed) failed (\(.errors | to_entries | map("\(.value) \(.key)") | join(", ")))"
        + (if .verify then "; verify: \(.verify.kept) kept, \(.verify.active) active, \(.verify.inactive) inactive, \(.verify.failed) failed, \(.verify.expired) expired, \(.verify.not_kept) not kept" else "" end)' \
        "$OUT/$scenario.json"
}

# Passes when every token the run acknowledged introspected active.
verified() {
    jq -e '.verify.kept >= .ok and .verify.inactive == 0 and .verify.failed == 0 and .verify.not_kept == 0 and .ok > 0' \
        "$OUT/$1.json" > /dev/null
}

# Passes when every failure of the run is one of the kinds matching the
# regular expression $2 (jq's `test`).
failures_only() {
    jq -e --arg allowed "$2" '[.errors | keys[] | select(test($allowed) | not)] | length == 0' \
        "$OUT/$1.json" > /dev/null
}

# Passes when no second outside [$2, $3] (seconds from the run's start)
# had a failure.
failures_within() {
    jq -e --argjson from "$2" --argjson to "$3" \
        '[.timeline[] | select(.failed > 0 and (.second < $from or .second > $to))] | length == 0' \
        "$OUT/$1.json" > /dev/null
}

# Operations that succeeded in the seconds [$2, $3].
ok_within() {
    jq --argjson from "$2" --argjson to "$3" \
        '[.timeline[] | select(.second >= $from and .second <= $to) | .ok] | add // 0' "$OUT/$1.json"
}

# Seconds (decimals) since $1 (a `date +%s.%N`).
since() {
    echo "$(date +%s.%N) - $1" | bc | awk '{ printf "%.1f", $1 }'
}

# Passes when, in the seconds [$2, $3], every failure of the run is one of
# the kinds matching the regular expression $4.
failures_in_window_only() {
    jq -e --argjson from "$2" --argjson to "$3" --arg allowed "$4" \
        '[.timeline[] | select(.second >= $from and .second <= $to) | (.errors // {}) | keys[]
          | select(test($allowed) | not)] | length == 0' \
        "$OUT/$1.json" > /dev/null
}
