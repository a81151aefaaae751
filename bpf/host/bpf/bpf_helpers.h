/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host build's stand-in for libbpf's bpf_helpers.h: the helpers the
 * programs call, on the maps of user/bpf_host.c. Found before libbpf's by
 * the host build's include path (-Ibpf/host), so that bpf/tlsnoop.bpf.c
 * builds as it is.
 *
 * A map definition gets a `struct host_map host` as its first member (every
 * definition starts with __uint(type, ...)): a map's address is its
 * host_map's, as `void *map` reaches the helpers.
 */
#ifndef __TLSNOOP_HOST_BPF_HELPERS_H
#define __TLSNOOP_HOST_BPF_HELPERS_H

#include <errno.h>
#include <string.h>
#include <time.h>
#include "bpf_host.h"

#define SEC(name)
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define __uint(name, val)		__host_uint_##name(val)
#define __host_uint_type(val)		struct host_map host; int (*type)[val]
#define __host_uint_max_entries(val)	int (*max_entries)[val]
#define __type(name, val)		typeof(val) *name

/* The source's inline asm is for the verifier (barriers, a register copy it
 * must not link): an empty statement here. A function-like macro, so that
 * only `volatile(` (after asm) is replaced. */
#define volatile(...) volatile("")
#define barrier_var(var) asm volatile("" : "=r"(var) : "0"(var))

static __always_inline void *bpf_map_lookup_elem(void *map, const void *key)
{
	return host_map_lookup(map, key);
}

static __always_inline long bpf_map_update_elem(void *map, const void *key, const void *value,
						__u64 flags)
{
	return host_map_update(map, key, value, flags);
}

static __always_inline long bpf_map_delete_elem(void *map, const void *key)
{
	return host_map_delete(map, key);
}

static __always_inline void *bpf_ringbuf_reserve(void *ringbuf, __u64 size, __u64 flags)
{
	(void)flags;
	return host_ring_reserve(ringbuf, size);
}

static __always_inline void bpf_ringbuf_submit(void *data, __u64 flags)
{
	(void)flags;
	host_ring_submit(data);
}

static __always_inline void bpf_ringbuf_discard(void *data, __u64 flags)
{
	(void)flags;
	host_ring_discard(data);
}

static __always_inline long bpf_ringbuf_output(void *ringbuf, void *data, __u64 size, __u64 flags)
{
	(void)flags;
	return host_ring_output(ringbuf, data, size);
}

static __always_inline __u64 bpf_ringbuf_query(void *ringbuf, __u64 flags)
{
	struct host_map *m = ringbuf;

	return flags == BPF_RB_AVAIL_DATA ? m->ring_used - m->ring_read : 0;
}

/* The frame is all linear: no fragments to reach. */
static __always_inline long host_load_bytes(__u64 data, __u64 data_end, __u32 off, void *to,
					    __u32 len)
{
	if (off > data_end - data || len > data_end - data - off)
		return -EFAULT;
	memcpy(to, (void *)(long)data + off, len);
	return 0;
}

static __always_inline long bpf_xdp_load_bytes(struct xdp_md *ctx, __u32 off, void *to, __u32 len)
{
	return host_load_bytes(ctx->data, ctx->data_end, off, to, len);
}

static __always_inline long bpf_skb_load_bytes(const void *skb, __u32 off, void *to, __u32 len)
{
	const struct __sk_buff *s = skb;

	return host_load_bytes(s->data, s->data_end, off, to, len);
}

static __always_inline __u64 bpf_xdp_get_buff_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

static __always_inline long bpf_probe_read_kernel(void *dst, __u32 size, const void *src)
{
	memcpy(dst, src, size);
	return 0;
}

static __always_inline long bpf_loop(__u32 nr_loops, long (*fn)(__u32 i, void *ctx), void *ctx,
				     __u64 flags)
{
	__u32 i;

	(void)flags;
	for (i = 0; i < nr_loops; i++)
		if (fn(i, ctx))
			return i + 1;
	return i;
}

/* One CPU runs the programs. */
static __always_inline __u32 bpf_get_smp_processor_id(void)
{
	return 0;
}

static __always_inline __u64 bpf_ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* __TLSNOOP_HOST_BPF_HELPERS_H */
