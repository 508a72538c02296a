#!/usr/bin/env bash
# Sourced by the other scripts: checks for the Debian packages Fiducia's build
# and tests need, installs the missing ones when running as root, and
# otherwise stops with the exact line to run.
set -euo pipefail

# Debian packages: curl (sandbox test), softhsm2 (PKCS#11 token for tests and
# the sandbox), libclang-dev (bindgen for `cargo check --features fdb`).
FIDUCIA_PACKAGES=(curl softhsm2 libclang-dev)
# For the tests only (scripts/test.sh, so .ci/run): chromium and
# chromium-driver, the real browser tests/it/ciba/browser.rs drives through
# WebDriver to approve a CIBA request on the sandbox device's page; postgresql,
# the server the store's PostgreSQL tests start in a temporary directory
# (tests/it/pg_server.rs) and scripts/pg-bench.sh runs (with its pgbench);
# haproxy, the balancer of the cluster sandbox (`fiducia sandbox --nodes N`)
# that tests/it/cluster/ and scripts/cluster-bench.sh start.
# make and build-essential: cargo-afl builds AFL++ and its runtime for the
# fuzz targets (scripts/fuzz.sh, run briefly by scripts/test.sh).
# Not in FIDUCIA_PACKAGES so starting the sandbox does not install a browser
# or a database or a balancer.
FIDUCIA_TEST_PACKAGES=(chromium chromium-driver postgresql haproxy make build-essential)

fiducia_require_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "fiducia: cargo not found. Install Rust 1.95 or newer (https://rustup.rs), then run this again." >&2
    exit 1
  fi
}

fiducia_package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs FIDUCIA_PACKAGES and the packages given as arguments.
fiducia_install_packages() {
  local wanted=("${FIDUCIA_PACKAGES[@]}" "$@")
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "fiducia: not a Debian system; make sure these are installed: ${wanted[*]}" >&2
    return 0
  fi
  local missing=() pkg
  for pkg in "${wanted[@]}"; do
    fiducia_package_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fiducia: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "fiducia: missing packages. Run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}
