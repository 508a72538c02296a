#!/usr/bin/env bash
# Makes a SoftHSM token for Fiducia, for development and CI:
#   - a private SoftHSM configuration (DIR/softhsm2.conf, tokens in DIR/tokens),
#   - a token labelled LABEL with a random user PIN in DIR/user.pin (mode 0600)
#     and a random SO PIN that is not kept,
# then prints the [signing] lines for the config file.
#
# Usage: hsm/softhsm/setup.sh [--dir DIR] [--label LABEL]
#        (defaults: .fiducia/softhsm, fiducia)
#
# Development only: softhsm2-util takes PINs on its command line, where other
# users of this machine could see them for a moment. Production HSMs are set
# up with their vendor's tools; Fiducia reads the PIN from a file or from
# FIDUCIA_SIGNING__PIN, never from its command line.
set -euo pipefail
dir=.fiducia/softhsm
label=fiducia
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! command -v softhsm2-util >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
  else
    echo "SoftHSM is missing. Run: sudo apt-get install -y softhsm2" >&2
    exit 1
  fi
fi
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
if [ ! -f "$conf" ]; then
  cat > "$conf" <<CONF
# Written by hsm/softhsm/setup.sh for development and CI.
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
fi
export SOFTHSM2_CONF="$conf"
random_pin() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
if softhsm2-util --show-slots 2>/dev/null | grep -q "Label:[[:space:]]*$label[[:space:]]*$"; then
  echo "token '$label' already exists in $dir/tokens" >&2
else
  pin=$(random_pin)
  (umask 077 && printf '%s\n' "$pin" > "$dir/user.pin")
  softhsm2-util --init-token --free --label "$label" --so-pin "$(random_pin)" --pin "$pin" >/dev/null
  echo "initialised token '$label'; user PIN in $dir/user.pin" >&2
fi
cat <<SNIPPET
# Add to your Fiducia config (paths are absolute):
[signing]
backend = "pkcs11"
token_label = "$label"
pin_file = "$dir/user.pin"
softhsm_conf = "$conf"
# Then create and activate the first key:
#   fiducia keys --config <your config> rotate --alg ES256
SNIPPET
