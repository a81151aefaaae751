// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Someone else's XDP program, for the coexistence tests: it counts the
 * packets it sees (read back with bpftool) and passes them on. Loaded
 * through libxdp (xdp-loader) it shares the interface with tlsnoop;
 * attached directly it holds the XDP slot alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 other_packets;

SEC("xdp")
int xdp_other(struct xdp_md *ctx)
{
	(void)ctx;
	__sync_fetch_and_add(&other_packets, 1);
	return XDP_PASS;
}
