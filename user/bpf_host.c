// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The maps of the programs built for the host. Memory is taken as the
 * kernel's preallocated maps take it, but only touched when used: a table
 * of --max-flows entries costs what its live entries fill.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include "bpf_host.h"

#define NIL		UINT32_MAX
#define ROUND8(n)	(((n) + 7) & ~7ULL)

/*
 * LRU hash: nodes chained per bucket, and on one list from the least to the
 * most recently used, whose head is the extra node `max_entries`.
 */
struct host_node {
	__u32 next;		/* in its bucket's chain, or in the free list */
	__u32 older, newer;	/* LRU list */
	__u32 hash;
};

struct host_hash {
	__u32 mask;		/* buckets - 1 */
	__u32 unused;		/* nodes never used: from here on */
	__u32 free;		/* deleted nodes */
	__u32 *buckets;
	struct host_node *nodes;
	__u8 *keys;
	__u8 *values;
	__u64 value_stride;
};

/* Ring-buffer records: a header as the kernel's (8 bytes), then the data,
 * each rounded up to 8 bytes. */
enum { RING_BUSY = 1, RING_DISCARDED = 2 };

struct ring_hdr {
	__u32 len;
	__u32 state;
};

static __u32 key_hash(const void *key, __u32 size)
{
	const __u8 *p = key;
	__u64 h = size, w;

	for (; size >= sizeof(w); size -= sizeof(w), p += sizeof(w)) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	for (; size; size--)
		h = (h ^ *p++) * 0x9E3779B97F4A7C15ULL;
	return h ^ h >> 32;
}

static int hash_init(struct host_map *m)
{
	struct host_hash *t = calloc(1, sizeof(*t));
	__u64 buckets = 1;

	if (!t)
		return -ENOMEM;
	m->hash = t;
	while (buckets < m->max_entries)
		buckets <<= 1;
	t->mask = buckets - 1;
	t->value_stride = ROUND8(m->value_size);
	t->free = NIL;
	t->buckets = malloc(buckets * sizeof(*t->buckets));
	t->nodes = calloc(m->max_entries + 1ULL, sizeof(*t->nodes));
	t->keys = calloc(m->max_entries, m->key_size);
	t->values = calloc(m->max_entries, t->value_stride);
	if (!t->buckets || !t->nodes || !t->keys || !t->values)
		return -ENOMEM;
	memset(t->buckets, 0xff, buckets * sizeof(*t->buckets));	/* NIL */
	t->nodes[m->max_entries].older = t->nodes[m->max_entries].newer = m->max_entries;
	return 0;
}

int host_map_init(struct host_map *m, __u32 type, __u32 key_size, __u32 value_size,
		  __u32 max_entries)
{
	*m = (struct host_map){ .type = type, .key_size = key_size, .value_size = value_size,
				.max_entries = max_entries };
	switch (type) {
	case BPF_MAP_TYPE_LRU_HASH:
		return max_entries && max_entries < NIL ? hash_init(m) : -EINVAL;
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		m->bytes = calloc(max_entries, ROUND8(value_size));
		return m->bytes ? 0 : -ENOMEM;
	case BPF_MAP_TYPE_RINGBUF:
		m->bytes = malloc(max_entries);
		return m->bytes ? 0 : -ENOMEM;
	default:
		return -EINVAL;
	}
}

void host_map_free(struct host_map *m)
{
	if (m->hash) {
		free(m->hash->buckets);
		free(m->hash->nodes);
		free(m->hash->keys);
		free(m->hash->values);
		free(m->hash);
	}
	free(m->bytes);
	*m = (struct host_map){};
}

static __u8 *node_key(const struct host_map *m, __u32 i)
{
	return m->hash->keys + (__u64)i * m->key_size;
}

static __u8 *node_value(const struct host_map *m, __u32 i)
{
	return m->hash->values + i * m->hash->value_stride;
}

static __u32 hash_find(const struct host_map *m, const void *key, __u32 h)
{
	const struct host_hash *t = m->hash;
	__u32 i;

	for (i = t->buckets[h & t->mask]; i != NIL; i = t->nodes[i].next)
		if (t->nodes[i].hash == h && !memcmp(node_key(m, i), key, m->key_size))
			return i;
	return NIL;
}

static void lru_unlink(struct host_hash *t, __u32 i)
{
	struct host_node *n = &t->nodes[i];

	t->nodes[n->older].newer = n->newer;
	t->nodes[n->newer].older = n->older;
}

/* Make node i the most recently used: the one before the list's head. */
static void lru_push(const struct host_map *m, __u32 i)
{
	struct host_hash *t = m->hash;
	__u32 head = m->max_entries, newest = t->nodes[head].older;

	t->nodes[i].older = newest;
	t->nodes[i].newer = head;
	t->nodes[newest].newer = i;
	t->nodes[head].older = i;
}

static void bucket_unlink(struct host_hash *t, __u32 i)
{
	__u32 *link = &t->buckets[t->nodes[i].hash & t->mask];

	while (*link != i)
		link = &t->nodes[*link].next;
	*link = t->nodes[i].next;
}

/* A node for a new entry: freed (its memory is touched already), never
 * used, or the least recently used. */
static __u32 node_take(struct host_map *m)
{
	struct host_hash *t = m->hash;
	__u32 i;

	if (t->free != NIL) {
		i = t->free;
		t->free = t->nodes[i].next;
		return i;
	}
	if (t->unused < m->max_entries)
		return t->unused++;
	i = t->nodes[m->max_entries].newer;
	bucket_unlink(t, i);
	lru_unlink(t, i);
	m->evicted++;
	return i;
}

void *host_map_lookup(struct host_map *m, const void *key)
{
	__u32 idx, i;

	switch (m->type) {
	case BPF_MAP_TYPE_LRU_HASH:
		i = hash_find(m, key, key_hash(key, m->key_size));
		if (i == NIL)
			return NULL;
		lru_unlink(m->hash, i);
		lru_push(m, i);
		return node_value(m, i);
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		memcpy(&idx, key, sizeof(idx));
		return idx < m->max_entries ? m->bytes + idx * ROUND8(m->value_size) : NULL;
	default:
		return NULL;
	}
}

long host_map_update(struct host_map *m, const void *key, const void *value, __u64 flags)
{
	struct host_hash *t = m->hash;
	__u32 h, i;

	if (m->type != BPF_MAP_TYPE_LRU_HASH)
		return -EINVAL;
	h = key_hash(key, m->key_size);
	i = hash_find(m, key, h);
	if (i != NIL) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		lru_unlink(t, i);
	} else {
		if (flags == BPF_EXIST)
			return -ENOENT;
		i = node_take(m);
		t->nodes[i].hash = h;
		t->nodes[i].next = t->buckets[h & t->mask];
		t->buckets[h & t->mask] = i;
		memcpy(node_key(m, i), key, m->key_size);
	}
	memcpy(node_value(m, i), value, m->value_size);
	lru_push(m, i);
	return 0;
}

long host_map_delete(struct host_map *m, const void *key)
{
	struct host_hash *t = m->hash;
	__u32 i;

	if (m->type != BPF_MAP_TYPE_LRU_HASH)
		return -EINVAL;
	i = hash_find(m, key, key_hash(key, m->key_size));
	if (i == NIL)
		return -ENOENT;
	bucket_unlink(t, i);
	lru_unlink(t, i);
	t->nodes[i].next = t->free;
	t->free = i;
	return 0;
}

int host_map_copy(struct host_map *m, const void *key, void *value)
{
	__u32 i;

	if (m->type != BPF_MAP_TYPE_LRU_HASH)
		return -EINVAL;
	i = hash_find(m, key, key_hash(key, m->key_size));
	if (i == NIL)
		return -ENOENT;
	memcpy(value, node_value(m, i), m->value_size);
	return 0;
}

int host_map_next_key(struct host_map *m, const void *prev, void *next)
{
	__u32 head = m->max_entries, i = NIL;

	if (m->type != BPF_MAP_TYPE_LRU_HASH)
		return -EINVAL;
	if (prev)
		i = hash_find(m, prev, key_hash(prev, m->key_size));
	i = m->hash->nodes[i == NIL ? head : i].newer;
	if (i == head)
		return -ENOENT;
	memcpy(next, node_key(m, i), m->key_size);
	return 0;
}

void *host_ring_reserve(struct host_map *m, __u64 size)
{
	__u64 total = ROUND8(sizeof(struct ring_hdr) + size);
	struct ring_hdr *hdr;

	if (size > m->max_entries || m->ring_used + total > m->max_entries)
		return NULL;
	hdr = (struct ring_hdr *)(m->bytes + m->ring_used);
	hdr->len = size;
	hdr->state = RING_BUSY;
	m->ring_used += total;
	return hdr + 1;
}

void host_ring_submit(void *data)
{
	((struct ring_hdr *)data - 1)->state = 0;
}

void host_ring_discard(void *data)
{
	((struct ring_hdr *)data - 1)->state = RING_DISCARDED;
}

long host_ring_output(struct host_map *m, const void *data, __u64 size)
{
	void *rec = host_ring_reserve(m, size);

	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	host_ring_submit(rec);
	return 0;
}

int host_ring_consume(struct host_map *m, host_ring_fn fn, void *ctx)
{
	struct ring_hdr *hdr;
	int n = 0, err = 0;

	while (m->ring_read < m->ring_used) {
		hdr = (struct ring_hdr *)(m->bytes + m->ring_read);
		if (hdr->state == RING_BUSY)	/* reserved, not yet submitted */
			return n;
		m->ring_read += ROUND8(sizeof(*hdr) + hdr->len);
		if (hdr->state == RING_DISCARDED)
			continue;
		err = fn(ctx, hdr + 1, hdr->len);
		if (err < 0)
			return err;
		n++;
	}
	m->ring_read = m->ring_used = 0;
	return n;
}
