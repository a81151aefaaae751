#!/usr/bin/env bash
# Run every test suite (as root) and end with the total: "N passed, N failed".
# Suites: C unit tests of the collector (the ClientHello parser also under
# ASan+UBSan), libFuzzer smoke runs (the parser, the collector's ring-buffer
# records), BPF_PROG_TEST_RUN tests of the real programs, the packet
# builder's self-check (tshark), and the end-to-end lab.
set -uo pipefail
cd "$(dirname "$0")/.."

total_pass=0
total_fail=0

# Run one suite; take its own "N passed, N failed" line, or count a suite
# that printed none as one failure.
suite() {
	local name=$1; shift
	local log rc p f
	log=$(mktemp)
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# The last line that counts tests, in either order ("3 passed, 1 failed"
	# or pytest's "1 failed, 3 passed").
	local line
	line=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
	p=$(grep -Eo '[0-9]+ passed' <<<"$line" | grep -Eo '[0-9]+')
	f=$(grep -Eo '[0-9]+ failed' <<<"$line" | grep -Eo '[0-9]+')
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: exited $rc without reporting a failure; counted as one"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: ran no test; counted as one failure"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	rm -f "$log"
}

suite "collector unit tests" .output/test_user
suite "aggregation: tops, percentiles, window" .output/test_aggregate
# JA3/JA4: FoxIO's vectors, and the corpus's when ../shared/corpus is there.
fp_vectors=$(mktemp)
if python3 tests/unit/corpus_vectors.py >"$fp_vectors" 2>/dev/null; then
	suite "fingerprints: JA3/JA4 reference and corpus vectors" \
		.output/test_fingerprint "$fp_vectors"
else
	echo "(../shared/corpus/expected.jsonl not found: corpus vectors skipped)"
	suite "fingerprints: JA3/JA4 reference vectors" .output/test_fingerprint
fi
rm -f "$fp_vectors"
suite "metrics: exposition and HTTP replies" .output/test_metrics
suite "policy what-if: catalogue, verdicts, whatif report" .output/test_policy
suite "JSON events read back, check --trace" .output/test_trace
suite "tlsnoop check: ServerHello, HOST[:PORT], policy misses, report" .output/test_check
suite "ClientHello parser and hello table" .output/test_hello
suite "ClientHello parser and hello table, ASan+UBSan" .output/san/test_hello
suite "certificates: X.509 fields, findings, cache, flights" .output/test_cert
suite "certificates, ASan+UBSan" .output/san/test_cert
suite "ClientHello fuzzer smoke run (1M executions)" tests/fuzz/run.sh 1000000 fuzz_hello
suite "ring-buffer records fuzzer smoke run (300k executions)" \
	tests/fuzz/run.sh 300000 fuzz_records
suite "capture reader fuzzer smoke run (10k executions)" tests/fuzz/run.sh 10000 fuzz_capture
suite "check --trace reader fuzzer smoke run (20k executions)" tests/fuzz/run.sh 20000 fuzz_trace
suite "check's server-reply reader fuzzer smoke run (200k executions)" \
	tests/fuzz/run.sh 200000 fuzz_reply
suite "BPF programs (BPF_PROG_TEST_RUN)" .output/test_bpf
# tlsnoop -r's programs, built for the host, against the kernel's: every
# capture of ../shared/corpus (on its servers' ports) and the benchmark's seed.
corpus=../shared/corpus
host_ports=443,8443
host_captures=()
if [ -f "$corpus/expected.jsonl" ]; then
	host_ports=$(python3 -c 'import json, sys
ports = {443, 8443} | {int(json.loads(l)["server"].rsplit(":", 1)[1]) for l in open(sys.argv[1])}
print(",".join(map(str, sorted(ports))))' "$corpus/expected.jsonl")
	mapfile -t host_captures < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \
		-o -name '*.cap' \) | sort)
fi
[ -s .output/bench-offline/seed.pcap ] && host_captures+=(.output/bench-offline/seed.pcap)
if [ "${#host_captures[@]}" -gt 0 ]; then
	suite "host build = BPF programs, packet by packet (corpus, bench seed)" \
		.output/test_host "$host_ports" "${host_captures[@]}"
else
	echo "(no ../shared/corpus nor bench seed: host build against BPF programs skipped)"
fi
suite "BPF programs: 50,000 hostile packets" .output/fuzz/bpf_packets 50000
suite "packet builder self-check" tests/unit/check_pkt.sh
suite "make install: files, unit, man page, completion" tests/unit/check_install.sh
# Debian 12's own kernel (fetched with apt-get download) under qemu: the programs load and
# pass test_bpf on 6.1, and share an interface through libxdp's dispatcher, which needs a
# kernel feature (BPF extension programs) this VM's kernel may lack. TCG: no KVM probe.
suite "Debian 12's 6.1 kernel under qemu: test_bpf, XDP coexistence (libxdp)" \
	env QEMU_ACCEL=tcg scripts/check-debian-kernel.sh
suite "end-to-end lab, XDP ingress" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
suite "end-to-end lab, TC ingress" env TLSNOOP_E2E_HOOK=tc \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_e2e.py

echo
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
