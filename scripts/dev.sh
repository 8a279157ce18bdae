#!/usr/bin/env bash
# `make dev`: installs what is missing, starts DynamoDB Local (data kept in .data/dynamodb), creates the table
# if it is missing, and serves every function at API Gateway's paths on http://localhost:9000.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
PORT=${PORT:-9000}
TABLE_NAME=${TABLE_NAME:-memory-api-local}
endpoint="http://127.0.0.1:$DYNAMODB_PORT"

install_venv .venv scripts/requirements.txt
start_dynamodb_local "$DYNAMODB_PORT" "$ROOT/.data/dynamodb"
trap '[ -n "${DYNAMODB_PID:-}" ] && kill "$DYNAMODB_PID" 2>/dev/null; [ -n "${KEYS_SERVER_PID:-}" ] && kill "$KEYS_SERVER_PID" 2>/dev/null' EXIT
# GitHub's public keys document for secret scanning, locally: the TEST-ONLY one (scripts/report-leak.sh).
serve_secret_scanning_keys "${SECRET_SCANNING_KEYS_PORT:-9010}"

log "ensuring table $TABLE_NAME"
AWS_ENDPOINT_URL_DYNAMODB=$endpoint cargo run --quiet -p store --bin ensure-table -- "$TABLE_NAME"

log "building the functions"
cargo build --quiet --bins

log "serving on http://localhost:$PORT (try: curl localhost:$PORT/health)"
# LOG_STYLE=dev: one short line per request (method, route template, status, latency, code) and no EMF
# documents; EMF_METRICS=1 brings them back.
# shellcheck disable=SC2046
cargo lambda watch "${WATCH_FLAGS[@]}" --invoke-port "$PORT" $(watch_env_args "$endpoint" "$TABLE_NAME") \
  --env-var LOG_STYLE=dev --env-var "EMF_METRICS=${EMF_METRICS:-0}"
