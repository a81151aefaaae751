/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Certificate findings added up for the exit summary: a count per side and
 * finding, and the server of the last one. */
#ifndef __CERT_SUMMARY_H
#define __CERT_SUMMARY_H

#include <stdio.h>
#include <linux/types.h>
#include "cert.h"

#define CERT_SUMMARY_WHERE_MAX 128	/* "SNI (address:port)", the SNI escaped and cut */

struct report;

struct cert_counts {
	__u64 chains[2];			/* handshakes whose chain was read, by side */
	__u64 findings[2][CERT_FINDINGS];
	char last[2][CERT_FINDINGS][CERT_SUMMARY_WHERE_MAX];
};

void cert_counts_add(struct cert_counts *cc, const struct report *r);
/* Nothing when no chain was read. */
void cert_summary_print(FILE *out, const struct cert_counts *cc);

#endif /* __CERT_SUMMARY_H */
