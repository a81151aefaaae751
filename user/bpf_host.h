/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the BPF programs built for the host (bpf/host/) run on: their maps
 * in this process. An LRU hash that evicts the least recently used entry
 * when full, arrays (one CPU: a per-CPU array is an array), and a ring
 * buffer that the collector reads between packets. Single-threaded, as one
 * CPU running the programs is.
 */
#ifndef __BPF_HOST_H
#define __BPF_HOST_H

#include <stddef.h>
#include <linux/types.h>

/* Records from the ring buffer, as libbpf's ring_buffer_sample_fn. */
typedef int (*host_ring_fn)(void *ctx, void *data, size_t size);

struct host_hash;

struct host_map {
	__u32 type;		/* BPF_MAP_TYPE_* */
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;	/* ring buffer: its bytes */
	struct host_hash *hash;	/* LRU hash */
	__u64 evicted;		/* LRU hash: entries it evicted to make room */
	__u8 *bytes;		/* array: its values; ring buffer: its records */
	__u64 ring_used;	/* ring buffer: bytes of records written */
	__u64 ring_read;	/* ring buffer: of which read */
};

/* 0, or -ENOMEM; -EINVAL for a map type the host build has no use for. */
int host_map_init(struct host_map *m, __u32 type, __u32 key_size, __u32 value_size,
		  __u32 max_entries);
void host_map_free(struct host_map *m);

/* The programs' side, as the helpers of the same names. A lookup in an LRU
 * hash makes the entry the most recently used. */
void *host_map_lookup(struct host_map *m, const void *key);
long host_map_update(struct host_map *m, const void *key, const void *value, __u64 flags);
long host_map_delete(struct host_map *m, const void *key);
void *host_ring_reserve(struct host_map *m, __u64 size);
void host_ring_submit(void *data);
void host_ring_discard(void *data);
long host_ring_output(struct host_map *m, const void *data, __u64 size);

/* The collector's side, as the bpf(2) commands: a copy of the value, which
 * leaves the LRU order alone; the keys from the least recently used on
 * (NULL: the first; a key no longer there: the first too). 0 or -ENOENT. */
int host_map_copy(struct host_map *m, const void *key, void *value);
int host_map_next_key(struct host_map *m, const void *prev, void *next);
/* Hand the records submitted, in order, to fn, as ring_buffer__consume():
 * how many; <0 when fn returned that (its record is read, the rest not). */
int host_ring_consume(struct host_map *m, host_ring_fn fn, void *ctx);

#endif /* __BPF_HOST_H */
