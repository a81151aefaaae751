// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One line per handshake, every wire byte escaped. */
#include <string.h>
#include <time.h>
#include "escape.h"
#include "names.h"
#include "output.h"

static void text_endpoint(FILE *out, __u8 family, const char *ip, __u16 port)
{
	fprintf(out, family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/* policy=NAME:accept,NAME:reject(cipher) */
static void text_policy(FILE *out, const struct policy_verdicts *v)
{
	int i;

	for (i = 0; i < v->n; i++) {
		fputs(i ? "," : " policy=", out);
		text_escape(out, v->policy[i]->name, strlen(v->policy[i]->name));
		if (v->why[i] == POLICY_ACCEPT)
			fputs(":accept", out);
		else
			fprintf(out, ":reject(%s)", policy_reason_name(v->why[i]));
	}
}

void out_text_event(FILE *out, const struct report *r)
{
	const struct event *e = r->e;
	const struct flow *f = &e->flow;
	time_t sec = r->wall_ns / 1000000000ULL;
	struct tm tm;
	char ts[16];
	int i;

	localtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	fprintf(out, "%s.%03llu %-4s %-21s ", ts, (r->wall_ns % 1000000000ULL) / 1000000,
		r->d.success ? "OK" : "FAIL", r->d.success ? "-" : reason_name(r->d.reason));
	text_endpoint(out, e->key.family, r->client_ip, e->key.client_port);
	fputs(" -> ", out);
	text_endpoint(out, e->key.family, r->server_ip, e->key.server_port);
	if (f->role == ROLE_BACKEND)
		fputs(" side=backend", out);
	if (r->version)
		fprintf(out, " tls%s", r->version);
	else if (r->n_offered)
		fprintf(out, " offered=%s", r->offered[0]);
	if (r->cipher)
		fprintf(out, " %s", r->cipher);
	if (f->ch.sni_len) {
		fputs(" sni=", out);
		text_escape(out, f->ch.sni, f->ch.sni_len);
	}
	for (i = 0; i < r->n_alpn; i++) {
		fputs(i ? "," : " alpn=", out);
		text_escape(out, r->alpn[i].name, r->alpn[i].len);
	}
	if (r->resumption != RESUME_NONE)
		fprintf(out, " resumed=%s", resumption_name(r->resumption));
	if (r->hello && r->hello->ja4[0]) {
		fputs(" ja4=", out);
		text_escape(out, r->hello->ja4, strlen(r->hello->ja4));
	}
	if (f->alert.flags & ALERT_ENCRYPTED) {
		fprintf(out, " alert=%s:encrypted", side_name(f->alert.from));
	} else if (f->alert.flags & ALERT_SEEN) {
		const char *desc = tls_alert_name(f->alert.code);

		fprintf(out, " alert=%s:%s(%u)", side_name(f->alert.from), desc ? desc : "?",
			f->alert.code);
	}
	if (f->not_tls_from != SIDE_NONE) {
		fputs(" first=", out);
		text_escape(out, f->peek, f->peek_len);
	}
	if (r->d.inferred)
		fputs(" (inferred)", out);
	text_policy(out, &r->policy);
	fputs(" hist=", out);
	text_escape(out, f->hist, f->hist_len);
	if (!f->hist_len)
		fputc('-', out);
	fputc('\n', out);
}
