#!/usr/bin/env bash
# `make bench`: builds the six functions (the authorizer among them) and a hello-world baseline with the release profile, starts its own
# DynamoDB Local (in memory, port 8071), runs tests/bench and writes BENCHMARKS.md. Not part of `make test`.
# Section 6 (each function at each memory size under Lambda's CPU share) needs root, for its cgroups.
# tests/bench exits non-zero (and BENCHMARKS.md is left as it was) when the authorizer's DynamoDB operations,
# counted on the wire, break their bounds: one read per request, one write per key per minute per instance.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
BENCH_DYNAMODB_PORT=${BENCH_DYNAMODB_PORT:-8071}
# Where cargo builds: CARGO_TARGET_DIR when set (a worktree sharing another checkout's build), else target/.
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
trap '[ -n "${DYNAMODB_PID:-}" ] && kill "$DYNAMODB_PID" 2>/dev/null; true' EXIT

install_venv .venv scripts/requirements.txt
log "release build: the six functions and the hello-world baseline (native, this machine)"
cargo build --release --locked -p health -p signup -p account -p api-keys -p authorizer -p dashboard \
  -p service-bench --bins

log "arm64 Lambda packages (cargo lambda build --release --arm64 --output-format zip)"
cargo lambda build --release --arm64 --output-format zip --locked \
  -p health -p signup -p account -p api-keys -p authorizer >/dev/null
sizes=$(for fn in health signup account api-keys authorizer; do
  zip="$TARGET/lambda/$fn/bootstrap.zip"
  printf '| %s | %s | %s |\n' "$fn" "$(numfmt --to=iec-i --suffix=B --format=%.2f "$(stat -c %s "$zip")")" "≤ 5 MiB"
done)

start_dynamodb_local "$BENCH_DYNAMODB_PORT" memory
log "measuring (about three minutes; section 6, the memory sizes, needs root for its cgroups)"
report=$(DYNAMODB_ENDPOINT="http://127.0.0.1:$BENCH_DYNAMODB_PORT" BENCH_BINARIES="$TARGET/release" \
  "$TARGET/release/bench")

# Runs `bench profile` under callgrind: binary $2 from folder $1, $4 warm invocations after init (0: init
# alone; the function exits when the Runtime API goes away), profile written to $3.
callgrind_run() {
  rm -f "$3"
  DYNAMODB_ENDPOINT="http://127.0.0.1:$BENCH_DYNAMODB_PORT" BENCH_BINARIES="$1" \
    BENCH_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$3" \
    "$TARGET/release/bench" profile "$2" "$4" >/dev/null 2>&1
}
# The instruction total of callgrind_annotate's text on stdin.
program_total() { awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }
# The inclusive instructions of the first function matching $2 in profile $1. awk reads to the end (grep -m1
# would close the pipe early: SIGPIPE under pipefail).
inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk -v pattern="$2" '!found && $0 ~ pattern {gsub(",", "", $1); print $1; found = 1}'
}

log "where the time goes: callgrind on account (init + 200 warm GET /v1/account)"
cargo build --profile profiling --locked -p account
callgrind_run "$TARGET/profiling" account "$ROOT/.data/callgrind.account" 200
callgrind_annotate --threshold=100 "$ROOT/.data/callgrind.account" >"$ROOT/.data/callgrind.account.txt" 2>/dev/null
total_ir=$(program_total <"$ROOT/.data/callgrind.account.txt")
sigv4_ir=$(inclusive "$ROOT/.data/callgrind.account" 'SigV4Signer as')
sigv4_share=$(awk -v part="${sigv4_ir:-0}" -v all="$total_ir" 'BEGIN {printf "%.2f%%", 100 * part / all}')
profile=$(sed -n '/file:function/,$p' "$ROOT/.data/callgrind.account.txt" | grep -v '^-' |
  sed -E 's#/root/.cargo/registry/src/[^/]+/##; s#/rustc/[0-9a-f]+/##' | cut -c1-160 | sed -n 1,22p)

log "init alone, by instruction count (callgrind)"
init_rows=$(for binary in hello health signup account api-keys authorizer; do
  callgrind_run "$TARGET/release" "$binary" "$ROOT/.data/callgrind.init.$binary" 0
  total=$(callgrind_annotate "$ROOT/.data/callgrind.init.$binary" 2>/dev/null | program_total)
  echo "$binary $total $(inclusive "$ROOT/.data/callgrind.init.$binary" _dl_relocate_object)"
done)
hello_ir=$(awk '$1 == "hello" {print $2}' <<<"$init_rows")
init_table=$(awk -v base="$hello_ir" '{printf "| %s | %d | %.2f | %d |\n", $1, $2, $2 / base, $3}' <<<"$init_rows")
callgrind_run "$TARGET/profiling" account "$ROOT/.data/callgrind.init.account-profiling" 0
account_init_ir=$(callgrind_annotate "$ROOT/.data/callgrind.init.account-profiling" 2>/dev/null | program_total)
partitions_ir=$(inclusive "$ROOT/.data/callgrind.init.account-profiling" 'PartitionResolver::new_from_json')
pem_ir=$(inclusive "$ROOT/.data/callgrind.init.account-profiling" 'rustls-pki-types.*pem.rs')

client_ms() {
  local samples=()
  for _ in $(seq 1 15); do
    samples+=("$(env -i PATH="$PATH" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
      "$TARGET/release/init_steps" "$1")")
  done
  printf '%s\n' "${samples[@]}" | sort -n | sed -n 8p
}
native_ms=$(client_ms native)
aws_ms=$(client_ms aws)

{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(uname -m), $(rustc --version | cut -d' ' -f1-2)), against DynamoDB Local on loopback. Every figure is" \
    "measured against its baseline in the same run; absolute times on a shared 2-core machine mean little."
  echo
  echo "$report"
  echo
  echo "### Where init goes: building the DynamoDB client (median of 15 fresh processes)"
  echo
  echo "| trust store | aws-config load + client (ms) |"
  echo "|---|---|"
  echo "| the system's CA bundle (rustls-native-certs) | $native_ms |"
  echo "| the five AWS roots compiled in (what the functions use) | $aws_ms |"
  echo
  echo "### Where init goes: instructions of init alone (callgrind; start to the first request for work)"
  echo
  echo "Each function runs with its template.yaml \`MemorySize\`; a function small enough to open its DynamoDB"
  echo "connection during init (one \`GetItem\`, section 6) has that in its count."
  echo
  echo "| binary | instructions | / hello | of which the dynamic loader's relocations |"
  echo "|---|---|---|---|"
  echo "$init_table"
  echo
  echo "Of the account function's $account_init_ir init instructions (profiling build, same code with symbols):"
  echo "$partitions_ir parse the AWS SDK's built-in partition table (JSON and region regexes):"
  echo "\`Client::from_conf\` forces it, whatever endpoint is configured, and no setting skips it;"
  echo "$pem_ir decode the five embedded AWS root CAs from PEM (the SDK's trust store takes PEM only);"
  echo "the rest is the SDK's client assembly, the bigger binary's relocations and the same runtime start as hello."
  echo
  echo "### Where the time goes: callgrind, account function, init + 200 warm \`GET /v1/account\`"
  echo
  echo "$total_ir instructions in all, about $((total_ir / 200)) per request with init spread over them."
  echo "SigV4 signing of the two DynamoDB calls per request takes $sigv4_share of all instructions (inclusive),"
  echo "which is why SHA-256 leads the self costs below: the AWS SDK's own work, which no handler can skip."
  echo "Self cost by function (instruction counts are repeatable, unlike times):"
  echo
  echo '```'
  echo "$profile"
  echo '```'
  echo
  echo "### Package size (arm64, zipped, as Lambda receives it)"
  echo
  echo "| function | bootstrap.zip | target |"
  echo "|---|---|---|"
  echo "$sizes"
} > BENCHMARKS.md
cat BENCHMARKS.md
