#!/usr/bin/env bash
# Restore drill: proves that a table rebuilt as a point-in-time restore or an export/import rebuilds it
# serves as the original did (docs/operations.md, "The restore drill"). Restore itself needs AWS, so the
# drill runs against its own DynamoDB Local, in memory, on port RESTORE_DRILL_PORT (8071: beside `make dev`
# and `make test`), and copies the table as those operations would; scripts/restore_drill.py says what it
# checks. The source table is made and filled by the service's own code (tests/src/bin/seed_table.rs), not
# restated here.
# Usage: scripts/restore-drill.sh [--keep-export DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${RESTORE_DRILL_PORT:-8071}

# boto3 and PyYAML come with the AWS SAM CLI's venv (the one `make test` installs).
install_venv .venv-sam scripts/requirements-sam.txt

DYNAMODB_PID=
stop_dynamodb_local() {
  if [ -n "$DYNAMODB_PID" ]; then
    kill "$DYNAMODB_PID" 2>/dev/null || true
    wait "$DYNAMODB_PID" 2>/dev/null || true
  fi
}
trap stop_dynamodb_local EXIT
start_dynamodb_local "$PORT" memory

SOURCE="restore-drill-$(date +%s)-$$-source"
log "seeding $SOURCE through the service's own code (tests/src/bin/seed_table.rs)"
AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$PORT" \
  cargo run --locked -q --manifest-path "$ROOT/Cargo.toml" -p service-tests --bin seed_table -- "$SOURCE"

log "restore drill against DynamoDB Local on port $PORT"
"$ROOT/.venv-sam/bin/python" "$ROOT/scripts/restore_drill.py" \
  --endpoint "http://127.0.0.1:$PORT" --template "$ROOT/template.yaml" --source "$SOURCE" "$@"
