// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark baseline: the cheapest XDP program there is. bench_bpf runs it
 * through BPF_PROG_TEST_RUN beside xdp_tlsnoop, with the same frames and the
 * same repetitions, so that the difference is what tlsnoop itself costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_baseline(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
