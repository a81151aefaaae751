// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf/tlsnoop.bpf.c, unchanged, built for the host. The include path puts
 * bpf/host/ first: its vmlinux.h and bpf/bpf_helpers.h stand in for the
 * kernel's types and libbpf's helpers. What libbpf and the kernel do at load
 * (create the maps, set .rodata) and at run (the context) is done here.
 */
#include <errno.h>
#include <stddef.h>
#include "vmlinux.h"		/* first: the host's contexts, not <linux/bpf.h>'s */
#include "tlsnoop_host.h"
#include <bpf/bpf_helpers.h>	/* last: it replaces the source's asm */
#include <bpf/bpf_endian.h>

/* The programs' .rodata (const volatile) is written before load, as libbpf
 * writes the kernel's: without const here it is plain volatile data the
 * loader below may write (a compiler may put const data in read-only
 * pages). Dropping const changes nothing else: it only forbids writes. */
#define const
#include "tlsnoop.bpf.c"
#undef const

/* The helpers take a map's address for its host_map. */
#define MAP_HOST_FIRST(m) _Static_assert(offsetof(typeof(m), host) == 0, #m ": __uint(type) first")
MAP_HOST_FIRST(flows);
MAP_HOST_FIRST(hello_bufs);
MAP_HOST_FIRST(events);
MAP_HOST_FIRST(stats);
MAP_HOST_FIRST(scratch);
MAP_HOST_FIRST(packet_scratch);
MAP_HOST_FIRST(flight_scratch);

/* A map as its definition says: type from __uint(type), sizes from __type. */
#define MAP_TYPE(m)		(sizeof(*(m).type) / sizeof(int))
#define MAP_ENTRIES(m)		(sizeof(*(m).max_entries) / sizeof(int))
#define MAP_INIT(m, entries)	host_map_init(&(m).host, MAP_TYPE(m), sizeof(*(m).key), \
					      sizeof(*(m).value), entries)

static const struct tlsnoop_host host = {
	.flows = &flows.host,
	.hello_bufs = &hello_bufs.host,
	.events = &events.host,
	.stats = &stats.host,
	.flow_slots = flow_slots,
	.client_budgets = client_budgets,
};

static void rodata_set(volatile __u8 *dst, const void *src, size_t len)
{
	const __u8 *s = src;
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = s[i];
}

const struct tlsnoop_host *tlsnoop_host_load(const struct tlsnoop_bpf *skel)
{
	const struct tlsnoop_bpf__rodata *ro = skel->rodata;
	int err;

	rodata_set(watched_ports, ro->watched_ports, sizeof(watched_ports));
	rodata_set(backend_ports, ro->backend_ports, sizeof(backend_ports));
	copy_packets = ro->copy_packets;
	budget_interval_ns = ro->budget_interval_ns;
	budget_tolerance_ns = ro->budget_tolerance_ns;
	err = MAP_INIT(flows, bpf_map__max_entries(skel->maps.flows));
	err = err ?: MAP_INIT(hello_bufs, MAP_ENTRIES(hello_bufs));
	err = err ?: host_map_init(&events.host, MAP_TYPE(events), 0, 0, MAP_ENTRIES(events));
	err = err ?: MAP_INIT(stats, MAP_ENTRIES(stats));
	err = err ?: MAP_INIT(scratch, MAP_ENTRIES(scratch));
	err = err ?: MAP_INIT(packet_scratch, MAP_ENTRIES(packet_scratch));
	err = err ?: MAP_INIT(flight_scratch, MAP_ENTRIES(flight_scratch));
	if (err) {
		tlsnoop_host_unload();
		errno = -err;
		return NULL;
	}
	return &host;
}

void tlsnoop_host_unload(void)
{
	host_map_free(&flows.host);
	host_map_free(&hello_bufs.host);
	host_map_free(&events.host);
	host_map_free(&stats.host);
	host_map_free(&scratch.host);
	host_map_free(&packet_scratch.host);
	host_map_free(&flight_scratch.host);
	memset(key_slots, 0, sizeof(key_slots));
	memset(flow_slots, 0, sizeof(flow_slots));
	memset(client_budgets, 0, sizeof(client_budgets));
	clock_override_ns = 0;
}

void tlsnoop_host_run(const void *frame, __u32 len, __u64 now_ns)
{
	/* The source reads headers as structs, whose fields C wants aligned
	 * (the BPF target does not care): the frame is run from a copy whose
	 * Ethernet header ends on an 8-byte boundary. */
	static __u8 buf[2 + TLSNOOP_HOST_FRAME_MAX] __attribute__((aligned(8)));
	struct xdp_md ctx;

	if (len > TLSNOOP_HOST_FRAME_MAX)
		len = TLSNOOP_HOST_FRAME_MAX;
	memcpy(buf + 2, frame, len);
	ctx.data = (__u64)(long)(buf + 2);
	ctx.data_end = ctx.data + len;
	ctx.ingress_ifindex = 0;	/* a file's packets came in on no interface */
	clock_override_ns = now_ns;
	xdp_tlsnoop(&ctx);
}
