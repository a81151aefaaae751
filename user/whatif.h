/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `tlsnoop whatif`: per policy, the clients and handshakes a server with it
 * would have rejected, and why, by JA4 and by highest offered version.
 *
 * Memory is fixed: JA4 rows are a Space-Saving table (aggregate.h), and
 * distinct clients are counted by linear counting, a bitmap of hashed
 * addresses per row (exact in practice up to a few hundred clients a row,
 * within about 2% up to the bitmap's size, saturated beyond).
 */
#ifndef __WHATIF_H
#define __WHATIF_H

#include <stdio.h>
#include <linux/types.h>
#include "aggregate.h"
#include "policy.h"

#define WHATIF_JA4S		64		/* JA4 rows per policy */
#define WHATIF_ROW_BITS		(1u << 14)	/* client bitmap of a row */
#define WHATIF_ALL_BITS		(1u << 20)	/* client bitmaps of a policy */
#define WHATIF_VERSIONS		6		/* SSL 3.0 .. TLS 1.3, other */

/* Clients counted by linear counting. */
struct client_bits {
	__u32 bits;			/* a power of two */
	__u64 *words;
};

struct whatif_row {
	__u64 handshakes;
	__u64 by_reason[POLICY_REASON_MAX];
	__u16 max_offered;		/* the last rejected hello's */
	__u64 clients[WHATIF_ROW_BITS / 64];
};

struct whatif_policy {
	const struct policy *policy;
	__u64 judged, rejected;
	__u64 by_reason[POLICY_REASON_MAX];
	struct client_bits judged_clients, rejected_clients;
	struct topk ja4s;
	struct topk_slot ja4_slots[WHATIF_JA4S];
	struct whatif_row by_ja4[WHATIF_JA4S];
	struct whatif_row by_version[WHATIF_VERSIONS];
};

struct whatif {
	int n;
	enum policy_cert cert;
	__u64 not_judged;		/* events without a complete ClientHello */
	struct whatif_policy p[POLICY_MAX];
};

/* NULL when out of memory. */
struct whatif *whatif_new(const struct policy_set *set);
void whatif_free(struct whatif *w);
/* Count one event with its verdicts (r->policy). */
void whatif_add(struct whatif *w, const struct report *r);
/* The report, one block per policy. */
void whatif_print(FILE *out, const struct whatif *w);
/* The same without its heading. */
void whatif_print_policies(FILE *out, const struct whatif *w);
struct json;
/* The report as members of the open JSON object: "policies" (each with
 * every JA4 row kept, not only the first ten) and "not_judged". */
void whatif_json(struct json *j, const struct whatif *w);

#endif /* __WHATIF_H */
