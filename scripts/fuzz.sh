#!/usr/bin/env bash
# Runs one fuzz target (fuzz/src/lib.rs TARGETS) under AFL++ for SECONDS,
# from its committed seeds (fuzz/corpus/TARGET/), and fails if AFL++ saved
# a crash (a panic aborts) or a hang (an input that ran over 1 s).
#
#   scripts/fuzz.sh TARGET SECONDS      e.g. scripts/fuzz.sh form 600
#   scripts/fuzz.sh all SECONDS         every target, one after the other
#   FUZZ_PROFILE=debug scripts/fuzz.sh all 3   what scripts/test.sh runs
#
# Needs cargo-afl (installed here when missing: `cargo install cargo-afl`,
# which builds AFL++ and its runtime for this rustc). The instrumented build
# goes to target/afl/ (its own RUSTFLAGS, so the normal builds stay warm);
# findings and the queue to target/afl/out/TARGET/. A finding is fixed with
# its input copied to fuzz/regressions/TARGET/ (replayed by `cargo test -p
# fiducia-fuzz`). Prints one line per target: executions, paths, crashes,
# hangs and the slowest execution. Memory is capped at FUZZ_MEMORY_MB (2048:
# afl-fuzz -m); an input that needs more is saved as a crash. FUZZ_EXECS=N
# ends a target once it has run about N executions (afl-fuzz -E), SECONDS
# then being only the upper bound: `FUZZ_EXECS=1000000 scripts/fuzz.sh
# dpop_proof 3600` is the issue's "at least 10^6 executions" on any host.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS}
SECONDS_PER_TARGET=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}
MEMORY_MB=${FUZZ_MEMORY_MB:-2048}
EXECS_LIMIT=()
if [ -n "${FUZZ_EXECS:-}" ]; then
    EXECS_LIMIT=(-E "$FUZZ_EXECS")
fi
# release (the long runs) or debug (CI's short runs: a quicker build, and
# arithmetic overflow panics, so it is found as a crash).
PROFILE=${FUZZ_PROFILE:-release}

if ! command -v cargo-afl > /dev/null; then
    cargo install cargo-afl --locked --version 0.18.2
fi
case "$PROFILE" in
    release) CARGO_TARGET_DIR=target/afl cargo afl build --release --quiet -p fiducia-fuzz --features afl ;;
    debug) CARGO_TARGET_DIR=target/afl cargo afl build --quiet -p fiducia-fuzz --features afl ;;
    *) echo "FUZZ_PROFILE must be release or debug" >&2; exit 2 ;;
esac
BIN=target/afl/$PROFILE/fiducia-fuzz

if [ "$TARGET" = all ]; then
    TARGETS=$(ls fuzz/corpus)
else
    TARGETS=$TARGET
fi

status=0
for target in $TARGETS; do
    [ -d "fuzz/corpus/$target" ] || { echo "no seeds for $target (fuzz/corpus/$target)" >&2; exit 2; }
    out=target/afl/out/$target
    rm -rf "$out"
    mkdir -p "$out"
    # AFL_NO_AFFINITY: other work shares the cores; the crash and CPU
    # frequency checks are about the host's settings, not the target.
    AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_QUIET=1 FIDUCIA_FUZZ_TARGET=$target \
        cargo afl fuzz -i "fuzz/corpus/$target" -o "$out" -V "$SECONDS_PER_TARGET" "${EXECS_LIMIT[@]}" -t 1000 -m "$MEMORY_MB" \
        -- "$BIN" > "$out/afl.log" 2>&1 || { echo "afl-fuzz failed for $target: $(tail -5 "$out/afl.log")" >&2; status=1; continue; }
    stats=$out/default/fuzzer_stats
    get() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
    crashes=$(get saved_crashes)
    hangs=$(get saved_hangs)
    printf "%-20s execs %10s  paths %5s  crashes %s  hangs %s  slowest_exec_ms %s  (%s s)\n" \
        "$target" "$(get execs_done)" "$(get corpus_count)" "$crashes" "$hangs" "$(get slowest_exec_ms)" "$SECONDS_PER_TARGET"
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
        ls "$out"/default/crashes "$out"/default/hangs 2>/dev/null | sed 's/^/    /' >&2
        status=1
    fi
done
exit $status
