/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The aggregate as plain text: the exit summary and periodic summaries. */
#ifndef __SUMMARY_H
#define __SUMMARY_H

#include <stdio.h>
#include "aggregate.h"

#define SUMMARY_TOP	10	/* rows per top table */

/* Everything, with the kernel counters (STAT_*) and the in-progress count. */
void summary_print(FILE *out, const struct aggregate *a, const __u64 *stats, __u64 in_progress,
		   __u64 now_ns);
/* "last 10s: x handshakes/s, y failures/s (z% failed)" */
void summary_rates_line(FILE *out, const struct aggregate *a, __u64 now_ns);
/* Latency percentiles of one port or SNI, on one line. */
void summary_latency_line(FILE *out, const struct latency *l);
/* The reason a client failed with most often. */
enum reason summary_main_reason(const __u32 *by_reason);

#endif /* __SUMMARY_H */
