/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Synthetic handshake reports for the aggregation tests and benchmark. */
#ifndef __SYNTH_H
#define __SYNTH_H

#include <string.h>
#include <arpa/inet.h>
#include "report.h"

struct synth {
	struct event e;
	struct report r;
};

/*
 * A report for client `ip` (IPv4 or IPv6 text) on server port `port`:
 * success when reason is REASON_NONE, with SNI `sni` (NULL: none), offered
 * TLS 1.3, negotiated TLS 1.3, ServerHello after server_hello_us and
 * established after established_us.
 */
static inline void synth_report(struct synth *s, const char *ip, __u16 port, enum reason reason,
				const char *sni, __u64 server_hello_us, __u64 established_us)
{
	struct flow *f = &s->e.flow;

	memset(s, 0, sizeof(*s));
	s->e.key.family = strchr(ip, ':') ? 6 : 4;
	inet_pton(s->e.key.family == 6 ? AF_INET6 : AF_INET, ip, s->e.key.client_addr);
	s->e.key.server_port = port;
	f->ch.flags = HELLO_SEEN | HELLO_HAS_SUPP_VERSIONS;
	f->ch.max_version = 0x0304;
	if (sni) {
		f->ch.sni_len = strlen(sni) < TLSNOOP_SNI_MAX ? strlen(sni) : TLSNOOP_SNI_MAX;
		memcpy(f->ch.sni, sni, f->ch.sni_len);
	}
	f->t_first = 1000000;
	f->t_client_hello = 2000000;
	if (server_hello_us) {
		f->sh.flags = SERVER_HELLO_SEEN;
		f->sh.version = 0x0304;
		f->sh.cipher = 0x1301;
		f->t_server_hello = f->t_client_hello + server_hello_us * 1000;
	}
	s->e.t_end = f->t_client_hello + established_us * 1000;
	s->r.e = &s->e;
	s->r.d.success = reason == REASON_NONE;
	s->r.d.reason = reason;
	snprintf(s->r.client_ip, sizeof(s->r.client_ip), "%s", ip);
}

#endif /* __SYNTH_H */
