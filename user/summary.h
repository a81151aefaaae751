/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counts by outcome and reason, and the top failing clients. The client
 * table has a fixed capacity (Space-Saving): memory stays bounded whatever
 * the number of distinct clients; a client's count may be overestimated by
 * at most its `error`.
 */
#ifndef __SUMMARY_H
#define __SUMMARY_H

#include <stdio.h>
#include "report.h"

#define SUMMARY_CLIENTS	256
#define SUMMARY_TOP	10

struct client_count {
	char ip[INET6_ADDRSTRLEN];
	__u64 count;
	__u64 error;
	__u32 by_reason[REASON_MAX];
};

struct summary {
	__u64 total;
	__u64 success;
	__u64 by_reason[REASON_MAX];
	__u64 inferred;
	int n_clients;
	struct client_count clients[SUMMARY_CLIENTS];
};

void summary_add(struct summary *s, const struct report *r);
/* Print the summary; kernel counters (STAT_*) and in-progress count too. */
void summary_print(FILE *out, const struct summary *s, const __u64 *stats, __u64 in_progress);

#endif /* __SUMMARY_H */
