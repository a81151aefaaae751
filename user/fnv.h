/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* FNV-1a: where a flow key or an address goes in the collector's tables,
 * and the sizing and set choice of its set-associative ones (hellos,
 * flights, certificates). */
#ifndef __FNV_H
#define __FNV_H

#include <stddef.h>
#include <linux/types.h>

#define FNV_OFFSET	0xcbf29ce484222325ULL

static inline __u64 fnv1a(__u64 h, const void *bytes, size_t len)
{
	const __u8 *p = bytes;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Sets of `ways` entries for at least `capacity` entries: a power of two. */
static inline size_t sets_for(size_t capacity, size_t ways)
{
	size_t sets = 1;

	while (sets * ways < capacity)
		sets <<= 1;
	return sets;
}

/* The set a key's hash falls in, of `sets` (a power of two). */
static inline size_t set_index(__u64 hash, size_t sets)
{
	return (hash ^ hash >> 32) & (sets - 1);
}

#endif /* __FNV_H */
