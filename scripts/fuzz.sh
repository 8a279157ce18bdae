#!/usr/bin/env bash
# `make fuzz`: runs each cargo fuzz target for FUZZ_SECONDS (default 60) on the machine's stable toolchain.
# Not part of `make test`. New inputs go to tests/fuzz/corpus/ (ignored); crashes to tests/fuzz/artifacts/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
# cargo fuzz passes nightly-only -Z flags (the sanitizer); RUSTC_BOOTSTRAP lets the stable compiler take them.
export RUSTC_BOOTSTRAP=1
for target in key_parser request_body json_members; do
  mkdir -p "tests/fuzz/corpus/$target"
  log "fuzzing $target for ${FUZZ_SECONDS:-60} s"
  cargo fuzz run --fuzz-dir tests/fuzz "$target" "tests/fuzz/corpus/$target" "tests/fuzz/seeds/$target" -- \
    -max_total_time="${FUZZ_SECONDS:-60}" -max_len=20000 -print_final_stats=1
done
