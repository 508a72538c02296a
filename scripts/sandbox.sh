#!/usr/bin/env bash
# Builds Fiducia (release) and starts the sandbox. The first run writes a
# config and a development PKI into ./.fiducia (or --data DIR); later runs
# reuse them. Extra arguments go to `fiducia sandbox` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/prereqs.sh
fiducia_require_cargo
fiducia_install_packages
exec cargo run --release --locked --bin fiducia -- sandbox "$@"
