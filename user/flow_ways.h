/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the collector holds per flow until its event (hellos, flights) is
 * kept in set-associative tables: a flow key hashes to a set of FLOW_WAYS
 * entries; a new flow takes a free way, or pushes out the set's oldest.
 * Each table's entry starts with a struct flow_way.
 */
#ifndef __FLOW_WAYS_H
#define __FLOW_WAYS_H

#include <stdbool.h>
#include <string.h>
#include "fnv.h"
#include "tlsnoop.h"

#define FLOW_WAYS 4

struct flow_way {
	struct flow_key key;
	__u64 seq;		/* order of arrival, 0 when free */
};

/* The first way of the set `key` falls in, of `sets`; entries `stride`
 * bytes apart. */
static inline void *flow_set(void *entries, size_t stride, size_t sets, const struct flow_key *key)
{
	return (char *)entries + set_index(fnv1a(FNV_OFFSET, key, sizeof(*key)), sets) * FLOW_WAYS *
				 stride;
}

static inline struct flow_way *flow_way_at(void *set, size_t stride, int i)
{
	return (struct flow_way *)((char *)set + i * stride);
}

/* The way holding `key` in its set, or NULL. */
static inline struct flow_way *flow_way_find(void *set, size_t stride, const struct flow_key *key)
{
	struct flow_way *w;
	int i;

	for (i = 0; i < FLOW_WAYS; i++) {
		w = flow_way_at(set, stride, i);
		if (w->seq && !memcmp(&w->key, key, sizeof(*key)))
			return w;
	}
	return NULL;
}

/* A way for a flow not in the set: a free one, else the oldest, whose
 * holdings the caller frees (*evicted). */
static inline struct flow_way *flow_way_new(void *set, size_t stride, bool *evicted)
{
	struct flow_way *w, *oldest = flow_way_at(set, stride, 0);
	int i;

	for (i = 0; i < FLOW_WAYS; i++) {
		w = flow_way_at(set, stride, i);
		if (!w->seq) {
			*evicted = false;
			return w;
		}
		if (w->seq < oldest->seq)
			oldest = w;
	}
	*evicted = true;
	return oldest;
}

#endif /* __FLOW_WAYS_H */
