#!/usr/bin/env bash
# Plays the sandbox fintech (client `sandbox-fintech`, tls_client_auth with
# its transport certificate) through a FAPI 2.0 authorization code flow
# against a running `fiducia sandbox`; you play the customer in a browser.
# With --client-id/--cert/--key/--scope it plays a client registered at
# /register (README "Onboard a fintech in the sandbox") instead; with
# --client-id sandbox-fintech-app (same certificate) you sign in and approve
# at the bank's own login app on https://localhost:8449 instead of the OP's
# pages.
#
#   1. PAR (RFC 9126) with PKCE S256, over mTLS            -> request_uri
#   2. you open the authorization URL, log in (alice / wonderland-123), approve
#   3. the callback page shows the code; paste it here
#   4. token request over mTLS -> certificate-bound access token + ID token
#   5. userinfo with the same certificate
#   6. alice's accounts through the API gateway (scope `accounts`), same certificate
#
# Usage: scripts/sandbox-flow.sh [--data DIR] [--issuer URL] [--gateway URL]
#          [--client-id ID --cert PEM --key PEM] [--scope "openid ..."]
#          [--redirect-uri URL]   (default: <issuer>/sandbox/callback)
set -euo pipefail
data=.fiducia
issuer=https://localhost:8443
gateway=https://localhost:8446
client_id=sandbox-fintech
cert=
key=
scope="openid profile email accounts"
redirect=
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --issuer) issuer=$2; shift 2 ;;
    --gateway) gateway=$2; shift 2 ;;
    --client-id) client_id=$2; shift 2 ;;
    --cert) cert=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --scope) scope=$2; shift 2 ;;
    --redirect-uri) redirect=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
ca="$data/pki/ca.pem"
cert="${cert:-$data/pki/clients/sandbox-fintech.pem}"
key="${key:-$data/pki/clients/sandbox-fintech.key}"
for f in "$ca" "$cert" "$key"; do
  [ -f "$f" ] || { echo "missing $f: start the sandbox first (scripts/sandbox.sh)" >&2; exit 1; }
done
mtls=(--silent --show-error --cacert "$ca" --cert "$cert" --key "$key")
redirect="${redirect:-$issuer/sandbox/callback}"

verifier=$(openssl rand -hex 32)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
state=$(openssl rand -hex 8)

echo "== 1. pushed authorization request"
par=$(curl "${mtls[@]}" "$issuer/par" \
  --data-urlencode "client_id=$client_id" \
  --data-urlencode response_type=code \
  --data-urlencode "redirect_uri=$redirect" \
  --data-urlencode "scope=$scope" \
  --data-urlencode "code_challenge=$challenge" \
  --data-urlencode code_challenge_method=S256 \
  --data-urlencode "state=$state")
echo "$par"
request_uri=$(printf '%s' "$par" | sed -n 's/.*"request_uri":"\([^"]*\)".*/\1/p')
[ -n "$request_uri" ] || { echo "PAR failed" >&2; exit 1; }
encoded=$(printf '%s' "$request_uri" | sed 's/:/%3A/g')

echo
echo "== 2. open this in your browser (trust $ca, or accept the warning), log in as alice / wonderland-123, approve:"
echo "   $issuer/authorize?client_id=$client_id&request_uri=$encoded"
echo
read -r -p "== 3. paste the code from the callback page: " code

echo "== 4. token request"
tokens=$(curl "${mtls[@]}" "$issuer/token" \
  --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$redirect" \
  --data-urlencode "code_verifier=$verifier" \
  --data-urlencode "client_id=$client_id")
echo "$tokens"
access_token=$(printf '%s' "$tokens" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$access_token" ] || { echo "token request failed" >&2; exit 1; }

echo
echo "== 5. userinfo (the token is bound to the certificate: RFC 8705 §3)"
curl "${mtls[@]}" -H "Authorization: Bearer $access_token" "$issuer/userinfo"
echo

echo
echo "== 6. alice's accounts through the API gateway (the bank API behind it trusts only the gateway)"
curl "${mtls[@]}" -H "Authorization: Bearer $access_token" "$gateway/open-banking/v3.1/aisp/accounts"
echo
