/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Events from the ring buffer, idle handshakes expired from the flow map. */
#ifndef __COLLECT_H
#define __COLLECT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "aggregate.h"
#include "attach.h"
#include "cert.h"
#include "flight.h"
#include "metrics.h"
#include "pcap_write.h"
#include "whatif.h"

struct tlsnoop_host;

struct collector {
	struct tlsnoop_bpf *skel;
	/* Reading a capture: the programs built for the host, whose maps are
	 * read instead of the kernel's; NULL: the kernel's (ring buffer rb). */
	const struct tlsnoop_host *host;
	struct ring_buffer *rb;
	struct hello_table *hellos;	/* ClientHellos waiting for their event */
	struct flight_table *flights;	/* TLS <= 1.2 flights waiting for their event */
	struct cert_cache *certs;	/* certificates parsed, by fingerprint */
	unsigned int cert_warn_days;	/* --cert-warn-days */
	FILE *out;			/* event lines; NULL: none */
	bool json;
	bool write_failed;
	__u64 timeout_ns;
	__s64 mono_to_wall;	/* add to CLOCK_MONOTONIC ns for wall-clock ns */
	__u64 capture_ns;	/* reading a capture: its clock (wall-clock ns); 0: live */
	struct aggregate *agg;		/* what the summary and live view show */
	struct metrics *metrics;	/* Prometheus counters; NULL without --metrics */
	const struct policy_set *policies;	/* --policy verdicts; NULL: none */
	struct whatif *whatif;		/* `tlsnoop whatif` counts; NULL otherwise */
	struct pcap_writer *pcap;	/* -w: failed handshakes' packets; NULL: none */
	const struct attach_set *watched;	/* names the events' interfaces; NULL: none */
	__u64 flows_evicted;		/* flows the LRU evicted, as expiry counts them */
	__u32 *slot_before;		/* per pre-filter slot: its count before the walk */
	__u32 *slot_seen;		/* flows the last walk found in it */
	__u32 *slot_excess;		/* counts the last walk could not find */
};

/* Before load: the per-client budget of new handshakes (rate per second,
 * burst); rate 0: none. */
void client_budget_set(struct tlsnoop_bpf *skel, __u32 rate, __u32 burst);

/* With c->host set first when the programs run in this process. */
int collector_init(struct collector *c, struct tlsnoop_bpf *skel);
void collector_free(struct collector *c);
/* Wait up to timeout_ms for events and handle them; <0 on error. (The host
 * build's ring buffer is only read: its records are all there.) */
int collector_poll(struct collector *c, int timeout_ms);
/* Write out the event lines buffered (reading a capture, they are not
 * flushed one by one); -1 when writing them failed (said). */
int collector_flush(struct collector *c);
/* Report handshakes idle for longer than the timeout, and count the flows
 * the LRU evicted; returns how many are still in progress. */
__u64 collector_expire(struct collector *c);
/* Handle one ring-buffer record (REC_EVENT, REC_HELLO or REC_PACKET) of
 * `size` bytes; records of another type or too short are ignored. */
void collector_record(struct collector *c, const void *data, size_t size);
/* Handle one event (from the kernel, or built by expiry): join it with its
 * ClientHello, report and count it. */
void collector_event(struct collector *c, const struct event *e);
/* Kernel counters summed over CPUs (and hellos the collector dropped, flows
 * evicted). */
void collector_stats(struct collector *c, __u64 stats[STAT_MAX]);
__u64 mono_now_ns(void);
/* Now on the clock of the kernel's times: the capture's when reading one. */
__u64 collector_now(const struct collector *c);

#endif /* __COLLECT_H */
