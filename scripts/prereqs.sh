#!/usr/bin/env bash
# Sourced by the other scripts: checks for the tools Fiducia's build and tests
# need, installs the missing Debian packages when running as root, and
# otherwise stops with the exact line to run.
set -euo pipefail

# Debian packages the tests use, as "command:package" pairs.
FIDUCIA_PACKAGES=(
  "curl:curl"
)

fiducia_require_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "fiducia: cargo not found. Install Rust 1.95 or newer (https://rustup.rs), then run this again." >&2
    exit 1
  fi
}

fiducia_install_packages() {
  local missing=()
  local pair
  for pair in "${FIDUCIA_PACKAGES[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
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
