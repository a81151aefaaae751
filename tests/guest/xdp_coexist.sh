#!/bin/sh
# Run inside the Debian 6.1 guest of scripts/check-debian-kernel.sh (busybox sh, as
# root, from the directory holding ./tlsnoop): libxdp's dispatcher lets tlsnoop share an
# interface's XDP hook with another program loaded through libxdp before it, which keeps
# running, untouched, while tlsnoop runs, after it exits, and after it is killed (the next
# start removes the killed one's program). The interface is lo (generic XDP; the guest has
# no network), the traffic plain HTTP to a TLS port: tlsnoop reports it as not_tls.
# Prints one line per check and ends with "N passed, N failed".
. guest/lib.inc
OTHER=.output/xdp_other.bpf.o

# Packets the other program has seen (its global counter, through bpftool).
other_packets() {
	bpftool -j map dump name xdp_othe.bss 2>/dev/null | grep -o '"other_packets":[0-9]*' \
		| cut -d: -f2
}
loaded() { xdp-loader status "$IF" 2>&1 | grep -q "$1"; }
not_loaded() { ! loaded "$1"; }
more_than() { [ "${1:-0}" -gt "${2:-0}" ]; }

start_server

check "xdp-loader loads the other program through the dispatcher" \
	xdp-loader load -m skb "$IF" "$OTHER"
check "the other program is on $IF" loaded xdp_other
c0=$(other_packets)
check "traffic passes with the other program alone" exchange
c1=$(other_packets)
check "the other program counts packets ($c0 -> $c1)" more_than "$c1" "$c0"

check "tlsnoop attaches beside it" start_tlsnoop /tmp/t1.err --duration 8 --json -o /tmp/t1.json
check "both programs are in the dispatcher" sh -c 'xdp-loader status lo | grep -q xdp_tlsnoop &&
	xdp-loader status lo | grep -q xdp_other'
check "traffic passes, byte for byte, with both" exchange
c2=$(other_packets)
check "the other program still counts with tlsnoop there ($c1 -> $c2)" more_than "$c2" "$c1"
wait $tlsnoop_pid
check "tlsnoop exits 0" [ $? -eq 0 ]
check "tlsnoop reported the exchange (not_tls)" grep -q '"reason":"not_tls"' /tmp/t1.json
check "tlsnoop's program is gone after it exits" not_loaded xdp_tlsnoop
check "the other program stays" loaded xdp_other
check "traffic passes after tlsnoop" exchange
c3=$(other_packets)
check "the other program still counts ($c2 -> $c3)" more_than "$c3" "$c2"

check "tlsnoop attaches again" start_tlsnoop /tmp/t2.err
kill -9 $tlsnoop_pid; wait $tlsnoop_pid 2>/dev/null
check "traffic passes, byte for byte, after tlsnoop is killed" exchange
check "the next tlsnoop starts" start_tlsnoop /tmp/t3.err --duration 4 --json -o /tmp/t3.json
check "it removes the killed one's program" grep -q 'removed a stale tlsnoop XDP program' /tmp/t3.err
check "traffic passes" exchange
wait $tlsnoop_pid
check "it exits 0 and reports" grep -q '"reason":"not_tls"' /tmp/t3.json
check "no tlsnoop program is left" not_loaded xdp_tlsnoop
c4=$(other_packets)
check "the other program stays and counts ($c3 -> $c4)" sh -c "xdp-loader status lo | grep -q xdp_other && [ ${c4:-0} -gt ${c3:-0} ]"

for f in /tmp/t1.err /tmp/t3.err; do sed "s|^|  $f: |" "$f"; done
xdp-loader unload "$IF" --all >/dev/null 2>&1
finish
