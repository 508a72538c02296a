#!/usr/bin/env bash
# Chaos under load, the disk filling up (docs/RELIABILITY.md, "Disk
# full"): a release `fiducia sandbox` whose data directory (embedded store
# and SoftHSM token) is on a tmpfs of DISK_MIB takes `cc-mtls` (writes),
# `introspect` (reads) and `flow` load in closed loop. After BEFORE seconds
# a file fills the disk to FREE_MIB free, under `[store] min_free_mib`
# (256); FULL seconds later it is deleted. AFTER seconds later the OP is
# killed with SIGKILL and started again on the same data, and the load goes
# on for AFTER seconds more. Passes when:
#
# - while the disk is full, writes answer 503 `temporarily_unavailable`
#   with `Retry-After` (RFC 6749 §5.2, RFC 9110 §10.2.3) and nothing else:
#   no `cc-mtls` grant succeeds, every failure is of that kind (a page of
#   the flow, being HTML, a 503 with `Retry-After`);
# - reads are served throughout: `introspect` has no failure at all;
# - writes come back by themselves within RESUME seconds of the space;
# - nothing is corrupted: the store reopens after the kill, and every
#   access token acknowledged before, during or after introspects active
#   at the end (RFC 7662 §2.2).
#
# Mounting a tmpfs needs root.
#
#   cargo build --release -p fiducia -p fiducia-loadtest
#   sudo scripts/chaos-disk.sh            # BEFORE=20 FULL=20 AFTER=20
#
# Environment: BEFORE (20 s), FULL (20 s), AFTER (20 s), RESUME (5 s),
# RESTART (30 s: the most the restart may take), DISK_MIB (1024), FREE_MIB
# (128), CC_CLIENTS (4), READ_CLIENTS (4), FLOW_CLIENTS (2), OUT
# (target/chaos-disk), PORT (22443), BIN (target/release), WEAK_HASH (1).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${BEFORE:-20}
FULL=${FULL:-20}
AFTER=${AFTER:-20}
RESUME=${RESUME:-5}
RESTART=${RESTART:-30}
DISK_MIB=${DISK_MIB:-1024}
FREE_MIB=${FREE_MIB:-128}
CC_CLIENTS=${CC_CLIENTS:-4}
READ_CLIENTS=${READ_CLIENTS:-4}
FLOW_CLIENTS=${FLOW_CLIENTS:-2}
OUT=${OUT:-target/chaos-disk}
PORT=${PORT:-22443}
BIN=${BIN:-target/release}
[ "$(id -u)" = 0 ] || { echo "chaos-disk.sh mounts a tmpfs: run it as root" >&2; exit 2; }
DISK=$(mktemp -d /tmp/fiducia-chaos-disk.XXXXXX)
mount -t tmpfs -o "size=${DISK_MIB}m" tmpfs "$DISK"
DATA=$DISK/sandbox
. scripts/chaos-lib.sh
trap 'kill -9 $OP 2> /dev/null || true; sleep 0.5; umount -l "$DISK"; rmdir "$DISK"' EXIT
start_op

RUN_SECS=$(( BEFORE + FULL + 2 * AFTER ))
lt --verify --scenario cc-mtls --concurrency "$CC_CLIENTS" > "$OUT/cc-mtls.json" &
CC=$!
lt --scenario introspect --concurrency "$READ_CLIENTS" > "$OUT/introspect.json" &
READS=$!
lt --verify --scenario flow --concurrency "$FLOW_CLIENTS" > "$OUT/flow.json" &
FLOW=$!
began=$(date +%s.%N)
fail=0
sleep "$BEFORE"
avail=$(df -B1M --output=avail "$DISK" | tail -1 | tr -d ' ')
fallocate -l "$(( avail - FREE_MIB ))M" "$DISK/filler"
echo "disk filled at $(since "$began") s: $(df -B1M --output=avail "$DISK" | tail -1 | tr -d ' ') MiB free"
sleep "$FULL"
rm -f "$DISK/filler"
echo "space back at $(since "$began") s: $(df -B1M --output=avail "$DISK" | tail -1 | tr -d ' ') MiB free"
sleep "$AFTER"
KILLED=$(echo "$(date +%s.%N) - $began" | bc | cut -d. -f1)
kill -9 "$OP"
wait "$OP" 2> /dev/null || true
restarted=$(date +%s.%N)
start_op
echo "killed at $KILLED s; the store reopened and the OP served again after $(since "$restarted") s"
wait $CC || fail=1
wait $READS || fail=1
wait $FLOW || fail=1

for scenario in cc-mtls introspect flow; do summarize "$scenario"; done
for scenario in cc-mtls flow; do
    verified "$scenario" || { echo "$scenario: an acknowledged token is not active" >&2; fail=1; }
done
FULL_FROM=$(( BEFORE - 1 ))
FULL_TO=$(( BEFORE + FULL + RESUME ))
for scenario in cc-mtls introspect flow; do
    # Before the disk filled, and after the restart: no failure.
    failures_within "$scenario" "$FULL_FROM" $(( KILLED + RESTART )) \
        || { echo "$scenario: failures outside the full disk and the kill" >&2; fail=1; }
done
# The kill itself: operations in flight and tried while down fail, as in
# chaos-kill.sh; from the space's return to it, nothing fails.
for scenario in cc-mtls introspect flow; do
    failures_in_window_only "$scenario" $(( FULL_TO + 1 )) $(( KILLED - 2 )) '^$' \
        || { echo "$scenario: failures after the space came back" >&2; fail=1; }
done
failures_in_window_only cc-mtls "$FULL_FROM" "$FULL_TO" '^token: 503 temporarily_unavailable$' \
    || { echo "cc-mtls: a failure other than 503 temporarily_unavailable with Retry-After" >&2; fail=1; }
# A page (login, consent) is HTML: a bare 503, with Retry-After all the same
# (the load generator marks a 503 without it).
failures_in_window_only flow "$FULL_FROM" "$FULL_TO" '^[a-z_]+: 503( temporarily_unavailable)?$' \
    || { echo "flow: a failure other than 503 temporarily_unavailable with Retry-After" >&2; fail=1; }
failures_in_window_only introspect 0 "$(( KILLED - 2 ))" '^$' \
    || { echo "introspect: a read failed while the disk was full" >&2; fail=1; }
writes_full=$(ok_within cc-mtls $(( BEFORE + 1 )) $(( BEFORE + FULL - 1 )))
reads_full=$(ok_within introspect $(( BEFORE + 1 )) $(( BEFORE + FULL - 1 )))
writes_back=$(ok_within cc-mtls $(( BEFORE + FULL + RESUME )) "$KILLED")
echo "disk full: $writes_full grants acknowledged, $reads_full introspections served; space back: $writes_back grants"
[ "$writes_full" = 0 ] || { echo "grants were acknowledged on a full disk" >&2; fail=1; }
[ "$reads_full" -gt 0 ] || { echo "no read served on a full disk" >&2; fail=1; }
[ "$writes_back" -gt 0 ] || { echo "writes did not resume" >&2; fail=1; }
grep -q 'panicked' "$OUT/op.log" && { echo "the OP panicked" >&2; fail=1; }
[ "$fail" = 0 ] && echo "chaos passed: the disk full for $FULL s under load, writes 503 with Retry-After, reads served, resumed by itself, nothing lost after kill -9" \
    || echo "chaos FAILED"
exit $fail
