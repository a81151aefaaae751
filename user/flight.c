// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Flights put back together by stream offset, then read as TLS records ->
 * handshake messages -> the Certificate message (RFC 5246, 7.4.2): a 3-byte
 * list length, then each certificate's DER with a 3-byte length. Every
 * byte comes from the wire: all reads go through a bounded cursor.
 */
#include <stdlib.h>
#include <string.h>
#include "cursor.h"
#include "flight.h"
#include "flow_ways.h"

#define TLS_RECORD_HDR		5
#define TLS_CT_HANDSHAKE	22
#define TLS_HS_CERTIFICATE	11

/* One side's stream, from offset 0 to TLSNOOP_FLIGHT_MAX. */
struct stream {
	__u32 lo;			/* lowest offset received */
	__u8 have[TLSNOOP_FLIGHT_MAX / 8];	/* a bit per byte received */
	__u8 data[TLSNOOP_FLIGHT_MAX];
};

struct entry {
	struct flow_way way;
	struct stream *side[2];	/* allocated at the side's first record */
};

struct flight_table {
	struct entry *entries;	/* sets * FLOW_WAYS */
	size_t sets;
	__u64 seq;
	__u64 evicted;
};

struct flight_table *flight_table_new(size_t capacity)
{
	struct flight_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sets = sets_for(capacity, FLOW_WAYS);
	t->entries = calloc(t->sets * FLOW_WAYS, sizeof(*t->entries));
	if (!t->entries) {
		free(t);
		return NULL;
	}
	return t;
}

static void entry_clear(struct entry *e)
{
	free(e->side[0]);
	free(e->side[1]);
	memset(e, 0, sizeof(*e));
}

void flight_table_free(struct flight_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->sets * FLOW_WAYS; i++)
		entry_clear(&t->entries[i]);
	free(t->entries);
	free(t);
}

static struct entry *set_of(const struct flight_table *t, const struct flow_key *k)
{
	return flow_set(t->entries, sizeof(*t->entries), t->sets, k);
}

static struct entry *find(const struct flight_table *t, const struct flow_key *k)
{
	return (struct entry *)flow_way_find(set_of(t, k), sizeof(*t->entries), k);
}

/* The entry of `key`, a new one (a free way, or the oldest) if none. */
static struct entry *entry_for(struct flight_table *t, const struct flow_key *key)
{
	struct entry *e = find(t, key);
	bool evicted;

	if (e)
		return e;
	e = (struct entry *)flow_way_new(set_of(t, key), sizeof(*e), &evicted);
	if (evicted) {
		t->evicted++;
		entry_clear(e);
	}
	e->way.key = *key;
	e->way.seq = ++t->seq;
	return e;
}

void flight_table_put(struct flight_table *t, const void *data, size_t size)
{
	const struct flight_rec *rec = data;
	const __u8 *bytes = (const __u8 *)(rec + 1);
	struct stream *s;
	struct entry *e;
	__u32 i;

	if (size < sizeof(*rec) || rec->len > size - sizeof(*rec) || rec->side > SIDE_SERVER ||
	    rec->offset > TLSNOOP_FLIGHT_MAX || rec->len > TLSNOOP_FLIGHT_MAX - rec->offset)
		return;
	e = entry_for(t, &rec->key);
	s = e->side[rec->side];
	if (!s) {
		s = e->side[rec->side] = calloc(1, sizeof(*s));
		if (!s)
			return;
		s->lo = rec->offset;
	}
	if (rec->offset < s->lo)
		s->lo = rec->offset;
	memcpy(&s->data[rec->offset], bytes, rec->len);
	for (i = rec->offset; i < rec->offset + rec->len; i++)
		s->have[i / 8] |= 1 << (i % 8);
}

/* Bytes received without a gap from the lowest offset. */
static size_t contiguous(const struct stream *s)
{
	size_t i = s->lo;

	while (i < TLSNOOP_FLIGHT_MAX && (s->have[i / 8] & 1 << (i % 8)))
		i++;
	return i - s->lo;
}

/*
 * The handshake records' contents from the start of the flight, joined (a
 * message may span records), up to the first record of another type (the
 * ChangeCipherSpec, after which they are encrypted) or the end of the bytes.
 * Returns their length; `out` has room for all of `c`.
 */
static size_t handshake_bytes(struct cursor c, __u8 *out)
{
	struct cursor frag;
	__u32 type, version, len;
	size_t n = 0;

	while (!get_u8(&c, &type) && !get_u16(&c, &version) && !get_u16(&c, &len) &&
	       type == TLS_CT_HANDSHAKE) {
		bool whole = !get_bytes(&c, len, &frag);

		if (!whole)
			frag = c;	/* the record's first part */
		memcpy(out + n, frag.p, frag.n);
		n += frag.n;
		if (!whole)
			break;
	}
	return n;
}

/* The side's Certificate message, if its start is among the bytes. */
static void stream_certificates(const struct stream *s, struct cert_cache *cache,
				struct cert_chain *chain)
{
	struct cursor c = { .p = &s->data[s->lo], .n = contiguous(s) }, msgs, body;
	__u8 *hs = malloc(TLSNOOP_FLIGHT_MAX);
	__u32 type, len;

	if (!hs)
		return;
	msgs.p = hs;
	msgs.n = handshake_bytes(c, hs);
	while (!get_u8(&msgs, &type) && !get_u24(&msgs, &len)) {
		if (type != TLS_HS_CERTIFICATE) {
			if (get_bytes(&msgs, len, &body))
				break;
			continue;
		}
		if (get_bytes(&msgs, len, &body)) {
			body = msgs;
			chain->cut = true;
		}
		cert_chain_parse(body.p, body.n, cache, chain);
		break;
	}
	free(hs);
}

void flight_table_take(struct flight_table *t, const struct flow_key *key,
		       struct cert_cache *cache, struct cert_chain chains[2])
{
	struct entry *e = find(t, key);
	int side;

	memset(chains, 0, 2 * sizeof(chains[0]));
	if (!e)
		return;
	for (side = SIDE_CLIENT; side <= SIDE_SERVER; side++)
		if (e->side[side])
			stream_certificates(e->side[side], cache, &chains[side]);
	entry_clear(e);
}

__u64 flight_table_evicted(const struct flight_table *t)
{
	return t->evicted;
}
