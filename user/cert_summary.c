// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "cert_summary.h"
#include "escape.h"
#include "report.h"

/* "lab.test (198.18.0.1:443)", or the address alone without an SNI. */
static void where(const struct report *r, char *buf, size_t size)
{
	const struct client_hello *ch = &r->e->flow.ch;
	char sni[64];
	int port = r->e->key.server_port;

	if (!ch->sni_len) {
		snprintf(buf, size, "%s:%d", r->server_ip, port);
		return;
	}
	escape_to_buf(sni, sizeof(sni), ch->sni, ch->sni_len);
	snprintf(buf, size, "%s (%s:%d)", sni, r->server_ip, port);
}

void cert_counts_add(struct cert_counts *cc, const struct report *r)
{
	int side, f;

	for (side = SIDE_CLIENT; side <= SIDE_SERVER; side++) {
		if (!r->chain[side].n)
			continue;
		cc->chains[side]++;
		for (f = 0; f < CERT_FINDINGS; f++) {
			if (!(r->cert_findings[side] & 1u << f))
				continue;
			cc->findings[side][f]++;
			where(r, cc->last[side][f], sizeof(cc->last[side][f]));
		}
	}
}

void cert_summary_print(FILE *out, const struct cert_counts *cc)
{
	static const char *const side_title[2] = { "client", "server" };
	int side, f;

	if (!cc->chains[SIDE_CLIENT] && !cc->chains[SIDE_SERVER])
		return;
	fprintf(out, "certificates (TLS <= 1.2 handshakes): server chains %llu, client chains "
		"%llu\n", (unsigned long long)cc->chains[SIDE_SERVER],
		(unsigned long long)cc->chains[SIDE_CLIENT]);
	for (side = SIDE_SERVER; side >= SIDE_CLIENT; side--)
		for (f = 0; f < CERT_FINDINGS; f++)
			if (cc->findings[side][f])
				fprintf(out, "  %s %-17s %6llu  last: %s\n", side_title[side],
					cert_finding_name(f),
					(unsigned long long)cc->findings[side][f],
					cc->last[side][f]);
}
