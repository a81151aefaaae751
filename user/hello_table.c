// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fnv.h"
#include "hello.h"
#include "hello_table.h"

#define WAYS 4	/* entries per set: a new hello may push out the oldest */

struct entry {
	struct flow_key key;
	__u64 seq;		/* order of arrival, 0 when free */
	struct hello_info *hello;	/* allocated while the entry is used */
};

struct hello_table {
	struct entry *entries;	/* sets * WAYS */
	size_t sets;		/* a power of two */
	__u64 seq;
	__u64 evicted;
};

struct hello_table *hello_table_new(size_t capacity)
{
	struct hello_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sets = sets_for(capacity, WAYS);
	/* calloc: pages of sets never used are never touched. */
	t->entries = calloc(t->sets * WAYS, sizeof(*t->entries));
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
	for (i = 0; i < t->sets * WAYS; i++)
		free(t->entries[i].hello);
	free(t->entries);
	free(t);
}

static struct entry *set_of(const struct hello_table *t, const struct flow_key *k)
{
	__u64 h = fnv1a(FNV_OFFSET, k, sizeof(*k));

	return &t->entries[set_index(h, t->sets) * WAYS];
}

static struct entry *find(struct entry *set, const struct flow_key *k)
{
	int i;

	for (i = 0; i < WAYS; i++)
		if (set[i].seq && !memcmp(&set[i].key, k, sizeof(*k)))
			return &set[i];
	return NULL;
}

int hello_table_add(struct hello_table *t, const struct flow_key *key, const __u8 *bytes,
		    size_t len, __u16 flags)
{
	struct hello_info *hello = malloc(sizeof(*hello));
	struct entry *set, *slot;
	int i;

	if (!hello || hello_parse(bytes, len, hello)) {
		free(hello);
		return -1;
	}
	hello->ch.flags |= flags;
	set = set_of(t, key);
	slot = find(set, key);
	for (i = 0; !slot && i < WAYS; i++)
		if (!set[i].seq)
			slot = &set[i];
	if (!slot) {
		slot = &set[0];
		for (i = 1; i < WAYS; i++)
			if (set[i].seq < slot->seq)
				slot = &set[i];
		t->evicted++;
	}
	free(slot->hello);
	slot->key = *key;
	slot->seq = ++t->seq;
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
	struct entry *slot = find(set_of(t, &e->key), &e->key);

	if (!slot)
		return false;
	slot->hello->ch.flags |= e->flow.ch.flags & kernel_flags;
	e->flow.ch = slot->hello->ch;
	if (out)
		*out = *slot->hello;
	free(slot->hello);
	slot->hello = NULL;
	slot->seq = 0;
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
