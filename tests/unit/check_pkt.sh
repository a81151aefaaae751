#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Self-check of tests/unit/pkt.h: build and run test_pkt, then have tshark
# confirm every "FRAME<TAB>display filter" expectation it printed. All of a
# frame's expectations are tried in one tshark pass; those of a frame that
# fails are then tried one by one to name the failing one.
# Usage: tests/unit/check_pkt.sh [KEEP_DIR]
set -euo pipefail

cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
[ -n "${1:-}" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out"

tshark_opts=(-n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE
	     -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE
	     -o ip.defragment:TRUE -o ipv6.defragment:TRUE -d tcp.port==443,tls)

${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -Itests/unit tests/unit/test_pkt.c \
	-o "$out/test_pkt"
"$out/test_pkt" "$out/pkt.pcap" > "$out/expect"

# Frame numbers matching @1, a display filter.
matching() {
	tshark -r "$out/pkt.pcap" "${tshark_opts[@]}" -Y "$1" -T fields -e frame.number 2>/dev/null || true
}

all=$(sort -s -n -k1,1 "$out/expect" | awk -F'\t' '
	$1 != prev { if (prev != "") f = f ") || "; f = f "(frame.number == " $1; prev = $1 }
	{ f = f " && (" $2 ")" }
	END { print f ")" }')
ok=" $(matching "$all" | tr '\n' ' ') "

pass=0 fail=0
while IFS=$'\t' read -r frame filter; do
	if [[ $ok == *" $frame "* ]] || [ "$(matching "frame.number == $frame && ($filter)")" = "$frame" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL frame $frame: $filter"
	fi
done < "$out/expect"

frames=$(tshark -r "$out/pkt.pcap" "${tshark_opts[@]}" 2>/dev/null | wc -l)
echo "$frames frames in $out/pkt.pcap; tshark notes and warnings:"
tshark -r "$out/pkt.pcap" "${tshark_opts[@]}" -q -z expert,note 2>/dev/null |
	awk '/^(Errors|Warns|Notes)/ || /^ +[0-9]+ /'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
