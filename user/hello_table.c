// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "flow_ways.h"
#include "hello.h"
#include "hello_table.h"

struct entry {
	struct flow_way way;
	struct hello_info *hello;	/* allocated while the entry is used */
};

struct hello_table {
	struct entry *entries;	/* sets * FLOW_WAYS */
	size_t sets;		/* a power of two */
	__u64 seq;
	__u64 evicted;
};

struct hello_table *hello_table_new(size_t capacity)
{
	struct hello_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sets = sets_for(capacity, FLOW_WAYS);
	/* calloc: pages of sets never used are never touched. */
	t->entries = calloc(t->sets * FLOW_WAYS, sizeof(*t->entries));
	if (!t->entries) {
		free(t);
		return NULL;
	}
	return t;
}

void hello_table_free(struct hello_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->sets * FLOW_WAYS; i++)
		free(t->entries[i].hello);
	free(t->entries);
	free(t);
}

static struct entry *set_of(const struct hello_table *t, const struct flow_key *k)
{
	return flow_set(t->entries, sizeof(*t->entries), t->sets, k);
}

static struct entry *find(const struct hello_table *t, const struct flow_key *k)
{
	return (struct entry *)flow_way_find(set_of(t, k), sizeof(*t->entries), k);
}

int hello_table_add(struct hello_table *t, const struct flow_key *key, const __u8 *bytes,
		    size_t len, __u16 flags)
{
	struct hello_info *hello = malloc(sizeof(*hello));
	struct entry *slot;
	bool evicted;

	if (!hello || hello_parse(bytes, len, hello)) {
		free(hello);
		return -1;
	}
	hello->ch.flags |= flags;
	slot = find(t, key);
	if (!slot) {
		slot = (struct entry *)flow_way_new(set_of(t, key), sizeof(*slot), &evicted);
		t->evicted += evicted;
	}
	free(slot->hello);
	slot->way.key = *key;
	slot->way.seq = ++t->seq;
	slot->hello = hello;
	return 0;
}

void hello_table_put(struct hello_table *t, const void *data, size_t size)
{
	const struct hello_rec *rec = data;

	if (size < sizeof(*rec) || rec->len > size - sizeof(*rec) ||
	    rec->len > TLSNOOP_HELLO_MAX)
		return;
	hello_table_add(t, &rec->key, (const __u8 *)(rec + 1), rec->len, rec->flags);
}

bool hello_table_take_info(struct hello_table *t, struct event *e, struct hello_info *out)
{
	const __u16 kernel_flags = HELLO_SEEN | HELLO_SPLIT | HELLO_TRUNCATED | HELLO_SSLV2;
	struct entry *slot = find(t, &e->key);

	if (!slot)
		return false;
	slot->hello->ch.flags |= e->flow.ch.flags & kernel_flags;
	e->flow.ch = slot->hello->ch;
	if (out)
		*out = *slot->hello;
	free(slot->hello);
	slot->hello = NULL;
	slot->way.seq = 0;
	return true;
}

void hello_table_take(struct hello_table *t, struct event *e)
{
	hello_table_take_info(t, e, NULL);
}

__u64 hello_table_evicted(const struct hello_table *t)
{
	return t->evicted;
}
