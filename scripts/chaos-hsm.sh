#!/usr/bin/env bash
# Chaos under load, HSM loss (docs/RELIABILITY.md, "HSM loss"): a release
# `fiducia sandbox` (SoftHSM token, embedded store) takes `cc-mtls` and
# `flow` load (closed loop, --verify); after BEFORE seconds the SoftHSM
# token's storage is moved away (the device pulled out: every session and
# key handle fails) and OUTAGE seconds later put back. Passes when:
#
# - what needs no signature is served throughout: `cc-mtls` (opaque access
#   tokens) has no failure at all;
# - what needs one gets 503 `temporarily_unavailable` with `Retry-After`
#   (RFC 6749 §5.2, RFC 9110 §10.2.3) and nothing else: every `flow`
#   failure is of that kind and falls in the outage (plus RECOVER seconds);
# - `/readyz` says `signer: false` during the outage (so a balancer takes
#   the node out) and ready again by itself, with no restart;
# - flows succeed again after the restore, and every access token either
#   scenario was given introspects active at the end (RFC 7662 §2.2).
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   scripts/chaos-hsm.sh                  # BEFORE=20 OUTAGE=20 AFTER=40
#
# Environment: BEFORE (20 s), OUTAGE (20 s), AFTER (40 s), RECOVER (15 s:
# the most the signer pool may take to sign again after the restore),
# CC_CLIENTS (8), FLOW_CLIENTS (2), OUT (target/chaos-hsm), PORT (21443),
# BIN (target/release), WEAK_HASH (1).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:-20}
OUTAGE=${OUTAGE:-20}
AFTER=${AFTER:-40}
RECOVER=${RECOVER:-15}
CC_CLIENTS=${CC_CLIENTS:-8}
FLOW_CLIENTS=${FLOW_CLIENTS:-2}
OUT=${OUT:-target/chaos-hsm}
PORT=${PORT:-21443}
BIN=${BIN:-target/release}
DATA=$(mktemp -d /tmp/fiducia-chaos-hsm.XXXXXX)/sandbox
. scripts/chaos-lib.sh
TOKENS=
trap '[ -n "$TOKENS" ] && [ -d "$TOKENS.away" ] && mv "$TOKENS.away" "$TOKENS"; kill -9 $OP 2> /dev/null || true; rm -rf "$(dirname "$DATA")"' EXIT
start_op
TOKENS=$(sed -n 's/^directories.tokendir *= *//p' "$DATA/softhsm/softhsm2.conf")
[ -d "$TOKENS" ] || { echo "no SoftHSM token directory in $DATA/softhsm/softhsm2.conf" >&2; exit 2; }

RUN_SECS=$(( BEFORE + OUTAGE + AFTER ))
lt --verify --scenario cc-mtls --concurrency "$CC_CLIENTS" > "$OUT/cc-mtls.json" &
CC=$!
lt --verify --scenario flow --concurrency "$FLOW_CLIENTS" > "$OUT/flow.json" &
FLOW=$!
began=$(date +%s.%N)
fail=0
sleep "$BEFORE"
mv "$TOKENS" "$TOKENS.away"
echo "token storage moved away at $(since "$began") s"
# The signer's readiness through the outage: false once the pool noticed.
signer_down=0
for _ in $(seq "$OUTAGE"); do
    readiness | jq -e '.components.signer == false' > /dev/null 2>&1 && signer_down=1
    sleep 1
done
mv "$TOKENS.away" "$TOKENS"
restored=$(date +%s.%N)
echo "token storage restored at $(since "$began") s"
ready_after=
for _ in $(seq $(( RECOVER * 10 ))); do
    if readiness | jq -e '.ready == true' > /dev/null 2>&1; then
        ready_after=$(since "$restored")
        break
    fi
    sleep 0.1
done
wait $CC || fail=1
wait $FLOW || fail=1
kill -0 "$OP" 2> /dev/null || { echo "the OP is no longer running" >&2; fail=1; }

summarize cc-mtls
summarize flow
[ "$signer_down" = 1 ] && echo "readyz: signer false during the outage" \
    || { echo "readyz never said signer false during the outage" >&2; fail=1; }
[ -n "$ready_after" ] && echo "readyz: ready again ${ready_after} s after the restore, no restart" \
    || { echo "not ready within $RECOVER s of the restore" >&2; fail=1; }
for scenario in cc-mtls flow; do
    verified "$scenario" || { echo "$scenario: an acknowledged token is not active" >&2; fail=1; }
done
[ "$(jq .failed "$OUT/cc-mtls.json")" = 0 ] \
    || { echo "cc-mtls needs no signature and failed during the outage" >&2; fail=1; }
# A page is HTML: a bare 503, with Retry-After all the same.
failures_only flow '^[a-z_]+: 503( temporarily_unavailable)?$' \
    || { echo "flow: a failure other than 503 temporarily_unavailable with Retry-After" >&2; fail=1; }
# The timeline counts operations by the second they started in; one that
# started just before the move failed in it.
failures_within flow $(( BEFORE - 2 )) $(( BEFORE + OUTAGE + RECOVER )) \
    || { echo "flow: failures outside the outage" >&2; fail=1; }
outage_ok=$(ok_within cc-mtls $(( BEFORE + 1 )) $(( BEFORE + OUTAGE - 1 )))
after_ok=$(ok_within flow $(( BEFORE + OUTAGE + RECOVER )) "$RUN_SECS")
echo "during the outage: $outage_ok cc-mtls grants served; after it: $after_ok flows"
[ "$outage_ok" -gt 0 ] || fail=1
[ "$after_ok" -gt 0 ] || { echo "flow did not recover" >&2; fail=1; }
grep -q 'panicked' "$OUT/op.log" && { echo "the OP panicked" >&2; fail=1; }
[ "$fail" = 0 ] && echo "chaos passed: HSM lost for $OUTAGE s under load, served what needs no signature, 503 with Retry-After for the rest, recovered by itself" \
    || echo "chaos FAILED"
exit $fail
