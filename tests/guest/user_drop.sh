#!/bin/sh
# Run inside the Debian 6.1 guest of scripts/check-debian-kernel.sh: --user (default nobody)
# on 6.1 with kernel.unprivileged_bpf_disabled set, as Debian ships it. Since 5.19 that
# setting stops unprivileged processes creating maps and programs, not using ones they are
# handed: the collector runs as nobody with no capabilities and reports as usual.
# Ends with "N passed, N failed".
. guest/lib.inc

# The collector: tlsnoop's child, once it has forked.
collector() { cat /proc/$tlsnoop_pid/task/$tlsnoop_pid/children 2>/dev/null | tr -d ' '; }
field() { grep "^$2:" /proc/$1/status | cut -f2- | tr -s '\t ' ' '; }
no_caps() {
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(field "$1" $c)" = 0000000000000000 ] || return 1
	done
}

start_server
check "unprivileged BPF is disabled here ($(cat /proc/sys/kernel/unprivileged_bpf_disabled))" \
	[ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled)" != 0 ]
check "tlsnoop starts" start_tlsnoop /tmp/u1.err --duration 6 --json -o /tmp/u1.json
sleep 1
child=$(collector)
check "its collector runs as nobody ($(field "${child:-0}" Uid))" \
	[ "$(field "${child:-0}" Uid)" = "65534 65534 65534 65534" ]
check "with no capabilities" no_caps "${child:-0}"
check "the exchange passes" exchange
wait $tlsnoop_pid
check "tlsnoop exits 0" [ $? -eq 0 ]
check "the collector reported the exchange (not_tls)" grep -q '"reason":"not_tls"' /tmp/u1.json
check "no warning about keeping root" sh -c "! grep -q 'runs as root' /tmp/u1.err"
check "nothing is left attached" sh -c "! ip link show $IF | grep -q xdp"

sed "s|^|  /tmp/u1.err: |" /tmp/u1.err
finish
