#!/usr/bin/env bash
# Fuzz the ClientHello parser and hello table for RUNS executions (default
# 200000), from the builder's seeds and the corpus of earlier runs. Ends with
# "1 passed, 0 failed" or "0 passed, 1 failed" for tests/run.sh; a finding
# is left as .output/fuzz/crash-* (or leak-*, timeout-*), to replay with
# .output/fuzz/fuzz_hello FILE.
# Usage: tests/fuzz/run.sh [RUNS]   (after make .output/fuzz/fuzz_hello .output/fuzz/gen_seeds)
set -uo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-200000}
out=.output/fuzz

mkdir -p "$out/corpus"
if ! "$out/gen_seeds" "$out/seeds"; then
	echo "0 passed, 1 failed"
	exit 1
fi
# -max_len above TLSNOOP_HELLO_MAX + header: records too long are tried too.
"$out/fuzz_hello" -runs="$runs" -max_len=4200 -dict=tests/fuzz/hello.dict \
	-artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "$out/seeds"
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "fuzz_hello: 1 passed, 0 failed"
else
	echo "fuzz_hello: exited $rc; 0 passed, 1 failed"
fi
exit "$rc"
