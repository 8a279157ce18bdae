#!/usr/bin/env bash
# `make test`: the whole suite, as CI runs it. Installs what is missing, starts its own DynamoDB Local
# (in memory, port 8070), its own `cargo lambda watch` (port 9070) and the TEST-ONLY secret-scanning keys
# document (port 9071), so it can run beside `make dev`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TEST_DYNAMODB_PORT=${TEST_DYNAMODB_PORT:-8070}
E2E_PORT=${E2E_PORT:-9070}
endpoint="http://127.0.0.1:$TEST_DYNAMODB_PORT"
WATCH_PID=
PASSED=0
CURRENT=

# stage NAME: the previous stage passed (it got here); NAME starts. The last line counts what really ran.
stage() {
  if [ -n "$CURRENT" ]; then PASSED=$((PASSED + 1)); fi
  CURRENT=$1
  log "$1"
}

cleanup() {
  local status=$?
  [ -n "$WATCH_PID" ] && kill -- -"$WATCH_PID" 2>/dev/null
  [ -n "${DYNAMODB_PID:-}" ] && kill "$DYNAMODB_PID" 2>/dev/null
  [ -n "${KEYS_SERVER_PID:-}" ] && kill "$KEYS_SERVER_PID" 2>/dev/null
  if [ "$status" -eq 0 ]; then
    echo "stages: $PASSED passed, 0 failed"
  elif [ -n "$CURRENT" ]; then
    echo "stages: $PASSED passed, 1 failed ($CURRENT)" >&2
  fi
  return 0
}
trap cleanup EXIT

install_venv .venv scripts/requirements.txt
install_venv .venv-sam scripts/requirements-sam.txt
install_venv .venv-checkov scripts/requirements-checkov.txt
install_chromium
start_dynamodb_local "$TEST_DYNAMODB_PORT" memory
serve_secret_scanning_keys "${TEST_KEYS_PORT:-9071}"

stage "rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked --quiet -- -D warnings

stage "unit and route tests against DynamoDB Local ($endpoint)"
DYNAMODB_ENDPOINT=$endpoint cargo test --workspace --locked

stage "templates (the stack, the example memories stack): cfn-lint, sam validate --lint and checkov"
cfn-lint template.yaml examples/memories-stack/template.yaml
for template in template.yaml examples/memories-stack/template.yaml; do
  (cd "$ROOT" && AWS_DEFAULT_REGION=us-east-1 .venv-sam/bin/sam validate --lint --template "$template")
done
# checkov: any failed check fails the stage; a check skipped in a resource's Metadata, with its reason, does
# not. --skip-download: no call to the Prisma Cloud platform (check mappings, guidelines), so it runs offline.
# A template it cannot parse is only counted ("Parsing errors: 1") with status 0, so that fails here too.
checkov_out=$(.venv-checkov/bin/checkov -f template.yaml -f examples/memories-stack/template.yaml \
  --framework cloudformation --skip-download --compact --quiet 2>&1) || { echo "$checkov_out"; exit 1; }
echo "$checkov_out"
if grep -q 'Parsing errors' <<<"$checkov_out"; then echo "checkov could not parse a template" >&2; exit 1; fi

stage "restore drill: a copied and an exported-then-imported table serve as the original (DynamoDB Local)"
# On the suite's DynamoDB Local: the drill names its tables for the run and deletes them.
RESTORE_DRILL_PORT=$TEST_DYNAMODB_PORT bash scripts/restore-drill.sh

stage "end to end: the spec's curl examples against cargo lambda watch on port $E2E_PORT"
table="e2e-$(date +%s)-$$"
AWS_ENDPOINT_URL_DYNAMODB=$endpoint cargo run --quiet --locked -p store --bin ensure-table -- "$table"
cargo build --quiet --locked --bins
# Patient DynamoDB limits here, as in the route tests: two cores run the JVM, the router and the checks, and
# a check of behaviour must not fail on a slow moment (faults.rs tests production's limits).
# shellcheck disable=SC2046
setsid cargo lambda watch "${WATCH_FLAGS[@]}" --invoke-port "$E2E_PORT" --quiet $(watch_env_args "$endpoint" "$table") \
  --env-var DYNAMODB_ATTEMPT_TIMEOUT_MS=10000 --env-var DYNAMODB_OPERATION_TIMEOUT_MS=30000 \
  --env-var REQUEST_DEADLINE_MS=60000 \
  >"$ROOT/.data/e2e-watch.log" 2>&1 &
WATCH_PID=$!
for _ in $(seq 1 240); do
  port_open "$E2E_PORT" && break
  sleep 0.5
done
python3 tests/e2e/spec_examples.py "http://127.0.0.1:$E2E_PORT" || { tail -50 "$ROOT/.data/e2e-watch.log"; exit 1; }

stage "contract: schemathesis checks the running service against openapi.yaml"
contract_key=$(curl -sf -X POST "http://127.0.0.1:$E2E_PORT/v1/signup" -H "Content-Type: application/json" \
  -d "{\"name\": \"Contract\", \"email\": \"contract-$$@example.com\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["api_key"]["key"])')
# Run from a scratch folder: hypothesis writes .hypothesis/ in the working directory, and a new folder in
# the repository would make `cargo lambda watch` restart the functions mid-request.
scratch=$(mktemp -d)
(cd "$scratch" && PYTHONPATH="$ROOT/tests/contract" SCHEMATHESIS_HOOKS=hooks API_KEY=$contract_key \
  "$ROOT/.venv/bin/schemathesis" --config-file "$ROOT/tests/contract/schemathesis.toml" run "$ROOT/openapi.yaml" \
  --url "http://127.0.0.1:$E2E_PORT" --checks all --workers 1 \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" --seed "${SCHEMATHESIS_SEED:-20261123}")
rm -rf "$scratch"

stage "browser: the dashboard in Debian's chromium (Playwright), screenshots in .data/screenshots"
(cd "$ROOT" && DASHBOARD_URL="http://127.0.0.1:$E2E_PORT" CHROMIUM="$(command -v chromium)" \
  SCREENSHOT_DIR="$ROOT/.data/screenshots" PYTHONDONTWRITEBYTECODE=1 \
  "$ROOT/.venv/bin/pytest" -p no:cacheprovider -q tests/browser)

stage "secrets: no full key and no 64-hex hash in the functions' logs of the three runs above"
if grep -nE 'mem_(live|test)_[A-Za-z0-9]{32,}|[0-9a-f]{64}' "$ROOT/.data/e2e-watch.log"; then
  echo "a full key or a key hash was logged (lines above)" >&2
  exit 1
fi
echo "searched $(wc -l <"$ROOT/.data/e2e-watch.log") log lines: clean"

PASSED=$((PASSED + 1))
CURRENT=
log "all stages passed"
