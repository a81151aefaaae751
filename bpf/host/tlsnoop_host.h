/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The programs of bpf/tlsnoop.bpf.c built for the host: xdp_tlsnoop as a
 * function of this process, over maps in its memory (user/bpf_host.c).
 * Reading a capture runs every packet through it, without the kernel. One
 * instance, as the source's maps and globals are the object's.
 */
#ifndef __TLSNOOP_HOST_H
#define __TLSNOOP_HOST_H

#include <linux/types.h>
#include "bpf_host.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"

/* The longest frame run: an Ethernet header and the largest IP packet. */
#define TLSNOOP_HOST_FRAME_MAX	(14 + 65535)

/* What the collector reads and writes, as it does the kernel's maps. */
struct tlsnoop_host {
	struct host_map *flows;
	struct host_map *hello_bufs;
	struct host_map *events;
	struct host_map *stats;		/* one CPU's counters */
	__u32 *flow_slots;		/* .bss: the pre-filter's counts */
	struct client_budget *client_budgets;	/* .bss */
};

/* Set up with the settings of an opened skeleton, as tlsnoop_bpf__load()
 * would load it: its .rodata (ports, -w, the per-client budget) and the
 * flow map's entries. NULL with errno set on failure. */
const struct tlsnoop_host *tlsnoop_host_load(const struct tlsnoop_bpf *skel);
/* Free the maps and clear the globals: the next load starts afresh. */
void tlsnoop_host_unload(void);
/* xdp_tlsnoop over one Ethernet frame (cut at TLSNOOP_HOST_FRAME_MAX);
 * `now_ns` (not 0) is its clock. */
void tlsnoop_host_run(const void *frame, __u32 len, __u64 now_ns);

#endif /* __TLSNOOP_HOST_H */
