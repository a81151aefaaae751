#!/usr/bin/env bash
# Run a libFuzzer target for RUNS executions (default 200000), from the
# builder's seeds and the corpus of earlier runs:
#   fuzz_hello    the ClientHello parser and hello table (the default);
#   fuzz_records  ring-buffer records through the collector;
#   fuzz_capture  capture files through libpcap, the programs built for the host and
#                 the collector (seeds: the builder's, and ../shared/corpus's small
#                 captures when it is there);
#   fuzz_trace    trace files of tlsnoop check --trace: JSON event lines read back and
#                 judged (seeds: ./tlsnoop -r's events of the capture seeds);
#   fuzz_reply    servers' answers to tlsnoop check's own hellos, certificates in them.
# Ends with "1 passed, 0 failed" or "0 passed, 1 failed" for tests/run.sh; a
# finding is left as .output/fuzz/TARGET-crash-* (or -leak-*, -timeout-*), to
# replay with .output/fuzz/TARGET FILE.
# Usage: tests/fuzz/run.sh [RUNS [TARGET]]   (after make .output/fuzz/TARGET .output/fuzz/gen_seeds)
set -uo pipefail
cd "$(dirname "$0")/../.."

# The whole script is one block, read before it runs: a run of hours survives
# an edit of this file (a checkout, a pull) under it.
{

runs=${1:-200000}
target=${2:-fuzz_hello}
out=.output/fuzz
extra=()

case $target in
# -max_len above TLSNOOP_HELLO_MAX + header: records too long are tried too.
fuzz_hello)	name=hello; max_len=4200 ;;
# A few records: packets, a hello, events.
fuzz_records)	name=records; max_len=16384 ;;
# Captures of a few packets; its warnings on stderr are closed (-close_fd_mask=2:
# libFuzzer still reports a finding).
fuzz_capture)	name=capture; max_len=65536; extra=(-close_fd_mask=2) ;;
# A few event lines.
fuzz_trace)	name=trace; max_len=32768 ;;
# A ServerHello and a Certificate message of a few certificates.
fuzz_reply)	name=reply; max_len=16384 ;;
*)		echo "unknown target $target; 0 passed, 1 failed"; exit 2 ;;
esac
mkdir -p "$out/corpus-$name"
if ! "$out/gen_seeds" "$out/seeds-hello" "$out/seeds-records" "$out/seeds-capture" \
	"$out/seeds-reply"; then
	echo "0 passed, 1 failed"
	exit 1
fi
if { [ "$target" = fuzz_capture ] || [ "$target" = fuzz_trace ]; } && [ -d ../shared/corpus ]; then
	find ../shared/corpus -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k \
		-exec cp -t "$out/seeds-capture" {} +
fi
# The events tlsnoop writes for the capture seeds, a file each (of at most max_len).
if [ "$target" = fuzz_trace ]; then
	mkdir -p "$out/seeds-trace"
	for c in "$out"/seeds-capture/*; do
		./tlsnoop -r "$c" -p 443,8443 --json 2>/dev/null | head -c "$max_len" \
			>"$out/seeds-trace/$(basename "$c").json"
	done
	find "$out/seeds-trace" -type f -empty -delete
fi
[ -f "tests/fuzz/$name.dict" ] && extra+=(-dict="tests/fuzz/$name.dict")
"$out/$target" -runs="$runs" -max_len="$max_len" ${extra[@]+"${extra[@]}"} \
	-artifact_prefix="$out/$target-" -print_final_stats=1 "$out/corpus-$name" \
	"$out/seeds-$name"
rc=$?
if [ "$rc" -eq 0 ]; then
	echo "$target: 1 passed, 0 failed"
else
	echo "$target: exited $rc; 0 passed, 1 failed"
fi
exit "$rc"
}
