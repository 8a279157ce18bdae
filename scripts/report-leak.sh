#!/usr/bin/env bash
# scripts/report-leak.sh TOKEN [URL]: reports TOKEN as GitHub's secret scanning would, to `make dev`'s endpoint
# (or URL): the JSON report, signed over its exact bytes with the TEST-ONLY key (openssl: DER ECDSA P-256,
# SHA-256, base64), sent with both GitHub headers; prints the answer. Needs openssl and curl.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
token=${1:?usage: scripts/report-leak.sh TOKEN [URL]}
url=${2:-http://localhost:9000/v1/secret-scanning/github}
key="$ROOT/dev/secret-scanning/TEST-ONLY-signing-key.pem"

body=$(TOKEN=$token python3 -c 'import json, os; print(json.dumps([{"token": os.environ["TOKEN"],
  "type": "memory_api_key", "url": "https://github.com/example/repo/blob/main/.env", "source": "commit"}]), end="")')
signature=$(printf '%s' "$body" | openssl dgst -sha256 -sign "$key" | base64 | tr -d '\n')
curl -sS -X POST "$url" -H "Content-Type: application/json" \
  -H "Github-Public-Key-Identifier: test-only-local-dev-key" \
  -H "Github-Public-Key-Signature: $signature" \
  --data-binary "$body" -w '\n'
