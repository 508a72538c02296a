#!/usr/bin/env bash
# Runs every check: formatting, lints (warnings are errors) and every test of
# the workspace. Installs what the tests need when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prereqs.sh
fiducia_require_cargo
fiducia_install_packages "${FIDUCIA_TEST_PACKAGES[@]}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo check --features fdb"
cargo check --locked --features fdb
echo "== cargo test"
# Tests make throw-away SoftHSM tokens under target/softhsm (.cargo/config.toml);
# start from an empty token directory so they do not pile up.
rm -rf target/softhsm
# postgresql and haproxy are installed above: the store's PostgreSQL tests
# and the cluster sandbox's test must run, not skip (tests/it/pg_server.rs,
# tests/it/cluster/).
export FIDUCIA_REQUIRE_POSTGRES=1
export FIDUCIA_REQUIRE_HAPROXY=1
cargo test --workspace --locked
echo "== fuzz: every target for a few seconds (scripts/fuzz.sh; the long runs: docs/RELIABILITY.md)"
FUZZ_PROFILE=debug scripts/fuzz.sh all "${FUZZ_SECONDS:-3}"
