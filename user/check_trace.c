// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tlsnoop check --trace (check_trace.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "active_check.h"
#include "check_trace.h"
#include "report.h"

struct reading {
	struct check_trace *ct;
	__u8 addr[16];			/* the target's, as flow_key holds it */
	__u16 port;
};

static void target_address(const struct check_target *t, __u8 addr[16])
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&t->addr;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&t->addr;

	memset(addr, 0, 16);
	if (t->addr.ss_family == AF_INET)
		memcpy(addr, &in->sin_addr, 4);
	else
		memcpy(addr, &in6->sin6_addr, 16);
}

static void note_port(struct check_trace *ct, __u16 port)
{
	int i;

	for (i = 0; i < ct->n_ports; i++)
		if (ct->ports[i] == port)
			return;
	if (ct->n_ports < CHECK_TRACE_PORTS)
		ct->ports[ct->n_ports++] = port;
}

/* A frontend handshake to the listener's port, or this host's own (backend)
 * handshake to the listener's address and port. */
static void judge(const struct trace_event *t, void *ctx)
{
	struct reading *rd = ctx;
	struct check_trace *ct = rd->ct;
	const struct flow_key *k = &t->e.key;
	struct report r;
	int c;

	if (k->server_port != rd->port) {
		note_port(ct, k->server_port);
		return;
	}
	if (t->backend && memcmp(k->server_addr, rd->addr, sizeof(rd->addr)))
		return;
	ct->to_listener++;
	memset(&r, 0, sizeof(r));
	r.e = &t->e;
	r.hello = t->has_hello ? &t->hello : NULL;
	for (c = 0; c < 2; c++) {
		policy_judge(&ct->sets[c], r.hello, &r.policy);
		whatif_add(ct->judged[c], &r);
	}
}

int check_trace_read(struct check_trace *ct, const char *path, const struct policy_set *set,
		     const struct check_target *target)
{
	struct reading rd = { .ct = ct, .port = target->port };
	FILE *f;
	int c, err;

	memset(ct, 0, sizeof(*ct));
	ct->path = path;
	target_address(target, rd.addr);
	for (c = 0; c < 2; c++) {
		ct->sets[c] = *set;
		ct->sets[c].cert = c;
		ct->judged[c] = whatif_new(&ct->sets[c]);
		if (!ct->judged[c]) {
			fprintf(stderr, "tlsnoop: %s\n", strerror(ENOMEM));
			return -1;
		}
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "tlsnoop: cannot open trace '%s': %s\n", path, strerror(errno));
		return -1;
	}
	err = trace_read(f, judge, &rd, &ct->stats);
	if (err)
		fprintf(stderr, "tlsnoop: cannot read trace '%s': %s\n", path, strerror(errno));
	else if (!ct->stats.events) {
		fprintf(stderr, "tlsnoop: trace '%s' has no tlsnoop event in it (%llu lines read): "
			"give the JSON lines of tlsnoop --json -o FILE (from a capture: tlsnoop -r "
			"CAPTURE --json -o FILE)\n", path, (unsigned long long)ct->stats.lines);
		err = -1;
	}
	fclose(f);
	return err;
}

void check_trace_choose(struct check_trace *ct, const struct cert *leaf)
{
	const char *type = leaf ? leaf->key_type : "";

	ct->cert = strcmp(type, "EC") ? POLICY_CERT_RSA : POLICY_CERT_ECDSA;
	ct->cert_assumed = strcmp(type, "EC") && strcmp(type, "RSA") && strcmp(type, "RSA-PSS");
}

const struct whatif *check_trace_result(const struct check_trace *ct)
{
	return ct->judged[ct->cert];
}

void check_trace_free(struct check_trace *ct)
{
	if (!ct)
		return;
	whatif_free(ct->judged[0]);
	whatif_free(ct->judged[1]);
	ct->judged[0] = ct->judged[1] = NULL;
}
