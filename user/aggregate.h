/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the handshakes add up to, for the exit summary, the periodic text
 * summary and the live view: counts by outcome and reason (since start and
 * over a sliding window), top failing clients (by address and by /24 or
 * /64), top failing SNIs, the version and cipher mix of successes, and
 * handshake latency percentiles per port and per SNI. Those are the
 * frontend's (clients to this host); this host's own handshakes with its
 * backends are counted apart, with their top failing backends. Latency and
 * resumption, per port and SNI, count both.
 *
 * Memory is fixed whatever the traffic. The top tables are Space-Saving
 * sketches of fixed capacity: an entry's count is never below its true
 * count and exceeds it by at most its `error`; any key counted more than
 * N / capacity times (N: all it counted) is in the table. Latencies go to
 * log-linear histograms: a percentile is off by at most 1/16 (6.25%).
 */
#ifndef __AGGREGATE_H
#define __AGGREGATE_H

#include <stdbool.h>
#include <linux/types.h>
#include "cert_summary.h"
#include "report.h"

#define AGG_CLIENTS		256	/* per table: by address, by prefix */
#define AGG_SNIS		128	/* failing SNIs */
#define AGG_LAT_SNIS		64	/* SNIs with latency histograms */
#define AGG_BACKENDS		64	/* failing backends (address and port) */
#define AGG_PORTS		64	/* distinct server ports (watched ports) */
#define AGG_CIPHERS		64	/* distinct negotiated ciphers, then "other" */
#define AGG_WINDOW_SEC		60	/* seconds kept for windowed rates */
#define AGG_KEY_MAX		64	/* an address or prefix, or an SNI (escaped) */
#define AGG_VERSIONS		6	/* SSL 3.0 .. TLS 1.3, and unknown */
#define LAT_SUB			16	/* sub-buckets per power of two */
#define LAT_BUCKETS		(LAT_SUB * 34)	/* up to 2^37 us */

/* Log-linear histogram of microseconds. */
struct lat_hist {
	__u64 n;
	__u32 bucket[LAT_BUCKETS];
};

/* Space-Saving table: keys and counts; payloads live beside it, by index. */
struct topk_slot {
	char key[AGG_KEY_MAX];
	__u64 count;
	__u64 error;		/* count may exceed the truth by this much */
	__u64 hash;		/* of the key given: compared before the key */
};

struct topk {
	int cap, n;
	struct topk_slot *slot;
};

/* What the live view and the summary show of a failing client or prefix. */
struct client_info {
	__u32 by_reason[REASON_MAX];
	__u32 by_port[AGG_PORTS];	/* indexed like aggregate.ports */
	char last_sni[AGG_KEY_MAX];	/* escaped for display */
	__u16 max_offered;		/* highest version it offered */
	char last_ja4[AGG_KEY_MAX];	/* its last JA4 (escaped), "" if none */
	__u64 last_ns;
};

struct sni_info {
	__u32 by_reason[REASON_MAX];
	__u32 by_port[AGG_PORTS];
};

struct latency {
	struct lat_hist server_hello;	/* ClientHello to ServerHello */
	struct lat_hist established;	/* ClientHello to established */
};

/* Session resumption among established handshakes: a server whose session
 * cache (and tickets) is off resumes none, however many clients ask. */
struct resumption_counts {
	__u64 established;
	__u64 offered;			/* of those, the client asked to resume */
	__u64 resumed[RESUME_KINDS];	/* [RESUME_NONE]: unused */
};

/* One second of the sliding window. */
struct agg_second {
	__u64 sec;		/* CLOCK_MONOTONIC second it counts */
	__u32 total, failures;
	__u32 by_reason[REASON_MAX];
};

/* This host's handshakes with its backends. */
struct backend_counts {
	__u64 total, success;
	__u64 by_reason[REASON_MAX];
};

struct aggregate {
	__u64 total, success, inferred;	/* frontend */
	__u64 by_reason[REASON_MAX];
	__u64 versions[AGG_VERSIONS];	/* successes by negotiated version */
	int n_ciphers;
	__u16 cipher_id[AGG_CIPHERS];
	__u64 cipher_count[AGG_CIPHERS + 1];	/* the last: other */
	int n_ports;
	__u16 ports[AGG_PORTS];
	struct latency port_latency[AGG_PORTS];
	struct resumption_counts port_resumption[AGG_PORTS];

	struct topk clients, prefixes, snis, lat_snis, backends;
	struct client_info client_info[AGG_CLIENTS], prefix_info[AGG_CLIENTS];
	struct sni_info sni_info[AGG_SNIS];
	struct latency sni_latency[AGG_LAT_SNIS];	/* and resumption, by lat_snis index */
	struct resumption_counts sni_resumption[AGG_LAT_SNIS];
	struct backend_counts backend;
	struct client_info backend_info[AGG_BACKENDS];	/* keyed "address:port" */
	struct topk_slot slots[2 * AGG_CLIENTS + AGG_SNIS + AGG_LAT_SNIS + AGG_BACKENDS];

	struct agg_second window[AGG_WINDOW_SEC];
	struct cert_counts certs;	/* certificate findings, both roles */
};

/* Windowed and total figures. */
struct agg_rates {
	double handshakes_per_sec, failures_per_sec, failure_ratio;
	__u64 by_reason[REASON_MAX];	/* failures in the window */
	int seconds;			/* seconds the window covers */
};

void aggregate_init(struct aggregate *a);
/* Count one handshake; now_ns is CLOCK_MONOTONIC. */
void aggregate_add(struct aggregate *a, const struct report *r, __u64 now_ns);
/* Rates over the last `seconds` (at most AGG_WINDOW_SEC) before now_ns. */
void aggregate_rates(const struct aggregate *a, __u64 now_ns, int seconds, struct agg_rates *out);
/* Index of a port in a->ports, -1 if none seen. */
int aggregate_port_index(const struct aggregate *a, __u16 port);

/* Count one handshake (established ones only). */
void resumption_count(struct resumption_counts *rc, const struct report *r);
/* Handshakes resumed, of every kind. */
__u64 resumption_total(const struct resumption_counts *rc);

/* Latency percentile (0 < p < 100) in microseconds; 0 if empty. */
__u64 lat_percentile(const struct lat_hist *h, double p);
void lat_add(struct lat_hist *h, __u64 us);

/* Space-Saving: count `key` once; returns its slot index; *fresh tells
 * the caller to reset the payload at that index. */
int topk_add(struct topk *t, const char *key, bool *fresh);
/* Slot indexes sorted by `weight(index)` descending (ties: key). */
int topk_sorted(const struct topk *t, int *idx, __u64 (*weight)(const void *ctx, int i),
		const void *ctx);

/* Weights for topk_sorted(): a slot's count (ctx: the topk); the number
 * of handshakes of an SNI's latency entry (ctx: the aggregate). */
__u64 topk_count(const void *ctx, int i);
__u64 sni_latency_count(const void *ctx, int i);

/* "198.18.0.0/24" or "2001:db8::/64" for a client address. */
void client_prefix(const struct event *e, char *buf, size_t size);

#endif /* __AGGREGATE_H */
