/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS <= 1.2 flights waiting for their connection's event: the kernel hands
 * over the segments that may carry a Certificate (REC_FLIGHT) with their
 * offset in their side's stream; they are put back together here, by
 * connection key and side, and the certificates read out at the event.
 * Fixed capacity: when a set is full the oldest connection in it goes, and
 * is counted. At most TLSNOOP_FLIGHT_MAX bytes per side are held.
 */
#ifndef __FLIGHT_H
#define __FLIGHT_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "cert.h"

#define FLIGHTS_HELD_DEFAULT 1024

struct flight_table;

/* Room for the flights of `capacity` connections (a power of two, up). */
struct flight_table *flight_table_new(size_t capacity);
void flight_table_free(struct flight_table *t);
/* A REC_FLIGHT record of `size` bytes from the ring buffer. */
void flight_table_put(struct flight_table *t, const void *rec, size_t size);
/* The certificate chains the flights of `key` carried, by side (enum
 * tlsnoop_side; n 0: none), parsed through `cache`; the flights are
 * forgotten. Release the chains with cert_chain_release(). */
void flight_table_take(struct flight_table *t, const struct flow_key *key,
		       struct cert_cache *cache, struct cert_chain chains[2]);
/* Connections whose flights were pushed out before their event came. */
__u64 flight_table_evicted(const struct flight_table *t);

#endif /* __FLIGHT_H */
