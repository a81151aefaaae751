/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ClientHellos waiting for their connection's event. The kernel hands a
 * hello over when it sees it and reports the outcome later; the two meet
 * here, by connection key. Fixed capacity: when a set is full the oldest
 * entry in it goes (a handshake whose outcome never came, or that is
 * still running long after its hello).
 */
#ifndef __HELLO_TABLE_H
#define __HELLO_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "hello.h"

struct hello_table;

/* Room for `capacity` hellos (rounded up to a power of two). */
struct hello_table *hello_table_new(size_t capacity);
void hello_table_free(struct hello_table *t);
/* A REC_HELLO record of `size` bytes from the ring buffer. */
void hello_table_put(struct hello_table *t, const void *rec, size_t size);
/* A hello's bytes for `key` (a REC_HELLO record's contents); flags are the
 * kernel's (HELLO_SPLIT, HELLO_TRUNCATED). -1 when they are no ClientHello. */
int hello_table_add(struct hello_table *t, const struct flow_key *key, const __u8 *bytes,
		    size_t len, __u16 flags);
/* Complete e->flow.ch with the hello held for e->key and give the rest in
 * `out` (may be NULL); false when there was none. */
bool hello_table_take_info(struct hello_table *t, struct event *e, struct hello_info *out);
/* hello_table_take_info() without `out`. */
void hello_table_take(struct hello_table *t, struct event *e);
/* Hellos pushed out before their event came. */
__u64 hello_table_evicted(const struct hello_table *t);

#endif /* __HELLO_TABLE_H */
