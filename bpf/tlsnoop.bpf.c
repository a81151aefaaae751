// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsnoop: follow TLS handshakes on watched TCP ports and emit one outcome
 * event per handshake. XDP sees ingress, TC sees egress (or both, with
 * --hook tc); every path passes the packet on untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tlsnoop.h"
#include "parse_net.h"
#include "parse_tls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TC_ACT_OK 0

/* Watched TCP ports, one bit each; set by the collector before load. */
const volatile __u8 watched_ports[65536 / 8];
/* --backend-ports: connections to them are this host's to its backends,
 * also when it cannot tell who opened them (a capture). */
const volatile __u8 backend_ports[65536 / 8];

/* -w: copy the packets of handshakes in progress to the collector. Set
 * before load: without it the verifier removes the copy altogether. */
const volatile bool copy_packets;

/* Per-client budget of new handshakes, as GCRA: one new handshake per
 * `budget_interval_ns` (1 s / rate), `budget_tolerance_ns` ((burst - 1) x
 * interval) ahead at most. Set before load; an interval of 0 (no budget)
 * lets the verifier remove the check. */
const volatile __u64 budget_interval_ns;
const volatile __u64 budget_tolerance_ns;

#define EVENTS_RING_SIZE	(4 << 20)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TLSNOOP_DEFAULT_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct flow);
} flows SEC(".maps");

/* Few hellos span segments at once; the LRU bounds what the rest cost. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct hello_buf);
} hello_bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_RING_SIZE);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Per-CPU room to copy a hello out of the packet and parse it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hello_buf);
} scratch SEC(".maps");

/* Per-CPU room to copy a packet out for -w. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct packet_buf);
} packet_scratch SEC(".maps");

/* Per-CPU room to copy a flight segment out (certificates). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flight_buf);
} flight_scratch SEC(".maps");

/* Room for a flow key handed to a map helper, one per CPU (flow.h:
 * key_in_map); more CPUs than slots would share them. */
#define TLSNOOP_KEY_SLOTS 512
struct flow_key key_slots[TLSNOOP_KEY_SLOTS];

/* Never written: the initial value of a new flow. */
struct flow zero_flow;

/* Flows per hash slot (see flow_slot); shared with the collector. */
__u32 flow_slots[TLSNOOP_SLOTS];

/* The per-client budgets, in sets of TLSNOOP_CLIENT_WAYS (see
 * client_budget_take): a hash map would cost an insert, and an eviction,
 * for every new client of a flood. */
struct client_budget client_budgets[TLSNOOP_CLIENTS];

/* Non-zero when reading a capture: the time of the packet being run
 * (wall-clock ns), set by the collector before each test run. */
__u64 clock_override_ns;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline int port_watched(__u16 port)
{
	return watched_ports[port >> 3] & (1 << (port & 7));
}

static __always_inline int port_backend(__u16 port)
{
	return backend_ports[port >> 3] & (1 << (port & 7));
}

/* One loader for both program types; `xdp` is a constant after inlining. */
static __always_inline long ctx_load(void *ctx, bool xdp, __u64 off, void *dst, __u64 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, dst, len);
	return bpf_skb_load_bytes(ctx, off, dst, len);
}

/*
 * A small fixed-size read (a record or message header): straight from the
 * packet when the bytes are in its linear part, a few loads instead of a
 * helper call; through ctx_load otherwise (XDP fragments, skb page frags).
 */
static __always_inline long ctx_peek(void *ctx, bool xdp, __u64 off, void *dst, const __u64 len)
{
	void *data, *end, *p;
	__u64 o;

	if (xdp) {
		data = (void *)(long)((struct xdp_md *)ctx)->data;
		end = (void *)(long)((struct xdp_md *)ctx)->data_end;
	} else {
		data = (void *)(long)((struct __sk_buff *)ctx)->data;
		end = (void *)(long)((struct __sk_buff *)ctx)->data_end;
	}
	/* Test a copy the verifier cannot link to `off` (an ALU op gives it a
	 * new id): refining `off` itself would split the state of the loop
	 * that calls this and defeat pruning (487K insns verified, not 130K). */
	o = off;
	asm volatile("%0 &= -1" : "+r"(o));
	if (o < 0x8000) {	/* the verifier marks ranges only below 64 KiB */
		p = data + o;
		if (p + len <= end) {
			__builtin_memcpy(dst, p, len);
			return 0;
		}
	}
	return ctx_load(ctx, xdp, off, dst, len);
}

#include "flow.h"

SEC("xdp")
int xdp_tlsnoop(struct xdp_md *ctx)
{
	handle_packet(ctx, true, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_PASS;
}

SEC("tc")
int tc_tlsnoop(struct __sk_buff *skb)
{
	handle_packet(skb, false, (void *)(long)skb->data, (void *)(long)skb->data_end);
	return TC_ACT_OK;
}
