# The README's two commands, and the tools around them. Each target installs what it needs.
.PHONY: dev test build fuzz bench

## Start DynamoDB Local, create the table, serve every function on http://localhost:9000.
dev:
	bash scripts/dev.sh

## Run the whole test suite (what CI runs).
test:
	bash scripts/test.sh

## Build the seven functions for Lambda (arm64) with SAM, and print each zip's size.
build:
	bash scripts/build.sh

## Fuzz the key parser and request-body parsing for FUZZ_SECONDS (default 60) each.
fuzz:
	bash scripts/fuzz.sh

## Measure cold start, warm latency, DynamoDB cost, memory and throughput; write BENCHMARKS.md.
bench:
	bash scripts/bench.sh
