// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report of tlsnoop check: aligned text, or one JSON document. What
 * the server sent (certificate strings, the ALPN protocol) is escaped.
 */
#include <string.h>
#include <openssl/ocsp.h>
#include "active_check.h"
#include "check_trace.h"
#include "escape.h"
#include "json.h"
#include "names.h"

static const char *const verdict_names[] = {
	[VERSION_ACCEPTED] = "accepted",
	[VERSION_REFUSED] = "refused",
	[VERSION_NOT_CHECKED] = "not_checked",
};

static const char *const order_names[] = {
	[ORDER_UNKNOWN] = "unknown",
	[ORDER_SERVER] = "server",
	[ORDER_CLIENT] = "client",
};

static const char *const sni_names[SNI_CASES] = {
	[SNI_GIVEN] = "with_name",
	[SNI_NONE] = "without_sni",
	[SNI_UNKNOWN] = "unknown_name",
};

static const char *const answer_names[] = {
	[ANSWER_UNTESTED] = "untested",
	[ANSWER_NO] = "no",
	[ANSWER_YES] = "yes",
};

/* "TLS 1.2", "SSL 3.0" */
static const char *version_label(__u16 version, char *buf, size_t size)
{
	const char *proto = tls_version_protocol(version), *v = tls_version_name(version);

	snprintf(buf, size, "%s %s", proto && !strcmp(proto, "ssl") ? "SSL" : "TLS", v ?: "?");
	return buf;
}

/* OpenSSL's name of an IANA suite, or NULL. */
static const char *openssl_suite_name(__u16 id)
{
	static SSL_CTX *ctx;
	static SSL *ssl;
	const unsigned char bytes[2] = { id >> 8, id & 0xff };
	const SSL_CIPHER *c;

	if (!ssl) {
		ctx = probe_ssl_ctx(0);
		ssl = ctx ? SSL_new(ctx) : NULL;
		if (!ssl)
			return NULL;
	}
	c = SSL_CIPHER_find(ssl, bytes);
	return c ? SSL_CIPHER_get_name(c) : NULL;
}

/* ---------------------------------------------------------------- text */

static void text_str(FILE *out, const struct cert_str *s)
{
	text_escape_spaced(out, s->s, s->len);
}

static void text_date(FILE *out, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs(buf, out);
}

static void text_findings(FILE *out, unsigned int findings)
{
	int f;
	bool any = false;

	for (f = 0; f < CERT_FINDINGS; f++) {
		if (findings & 1u << f) {
			fprintf(out, "%s%s", any ? ", " : "", cert_finding_name(f));
			any = true;
		}
	}
	if (!any)
		fputs("none", out);
}

static void text_versions(FILE *out, const struct check_report *r)
{
	const struct version_report *v;
	char label[16];
	int i;

	fputs("\nProtocol versions\n", out);
	for (i = 0; i < CHECK_VERSIONS; i++) {
		v = &r->versions[i];
		fprintf(out, "  %-9s %s", version_label(v->version, label, sizeof(label)),
			verdict_names[v->verdict]);
		if (v->detail[0])
			fprintf(out, " (%s)", v->detail);
		fputc('\n', out);
	}
}

static void text_suites(FILE *out, const struct check_report *r)
{
	const struct version_report *v;
	char label[16], buf[24];
	int i, s;

	fputs("\nCipher suites accepted", out);
	fputs(" (in the server's order where it enforces one)\n", out);
	for (i = 0; i < CHECK_VERSIONS; i++) {
		v = &r->versions[i];
		if (v->verdict != VERSION_ACCEPTED)
			continue;
		fprintf(out, "  %s: %d, order: %s\n", version_label(v->version, label, sizeof(label)),
			v->n_suites, v->order == ORDER_SERVER ? "server's (enforced)" :
			v->order == ORDER_CLIENT ? "client's (not enforced)" :
			v->n_suites < 2 ? "one suite" : "unknown");
		for (s = 0; s < v->n_suites; s++)
			fprintf(out, "    %-50s %s\n", tls_cipher_name(v->suites[s], buf, sizeof(buf)),
				v->suite_raw[s] ? "(ServerHello only: not in this libssl)" :
				openssl_suite_name(v->suites[s]) ?: "");
	}
}

/* A version's line of names tried one at a time: those taken, and how many
 * were tried. */
static void text_tried(FILE *out, const struct version_report *v, const __u16 *ids, int n,
		       int tried, const char *(*name_of)(__u16, char *, size_t), const char *none)
{
	char label[16], buf[24];
	int k;

	fprintf(out, "  %-9s", version_label(v->version, label, sizeof(label)));
	for (k = 0; k < n; k++)
		fprintf(out, " %s", name_of(ids[k], buf, sizeof(buf)));
	fprintf(out, "%s (%d tried)\n", n ? "" : none, tried);
}

static void text_groups(FILE *out, const struct check_report *r)
{
	const struct version_report *v;
	int i;

	fputs("\nGroups accepted\n", out);
	for (i = 0; i < CHECK_VERSIONS; i++) {
		v = &r->versions[i];
		if (v->verdict == VERSION_ACCEPTED && v->n_groups_tested)
			text_tried(out, v, v->groups, v->n_groups, v->n_groups_tested,
				   tls_group_name, " none");
	}
	if (!r->n_pq_known)
		fprintf(out, "  hybrid post-quantum groups: not testable, %s knows none\n", r->libssl);
}

static void text_sigalgs(FILE *out, const struct check_report *r)
{
	const struct version_report *v;
	int i;

	fputs("\nSignature algorithms the server signs with (each offered alone)\n", out);
	for (i = 0; i < CHECK_VERSIONS; i++) {
		v = &r->versions[i];
		if (v->verdict == VERSION_ACCEPTED && v->n_sigalgs_tested)
			text_tried(out, v, v->sigalgs, v->n_sigalgs, v->n_sigalgs_tested,
				   tls_sigalg_name, v->version < TLS1_3_VERSION ?
				   " none (no ECDHE or DHE suite signed)" : " none");
	}
}

static void text_cert(FILE *out, int depth, const struct cert *c)
{
	int i;

	fprintf(out, "  %d subject   ", depth);
	text_str(out, &c->subject);
	fputs("\n    issuer    ", out);
	text_str(out, &c->issuer);
	if (c->n_names) {
		fputs("\n    names    ", out);
		for (i = 0; i < c->n_names; i++) {
			fputc(' ', out);
			text_str(out, &c->names[i]);
		}
	}
	fputs("\n    valid     ", out);
	text_date(out, c->not_before);
	fputs(" to ", out);
	text_date(out, c->not_after);
	fprintf(out, "\n    key       %s %d bits, signed with %s\n    serial    %s\n",
		c->key_type, c->key_bits, c->sig_alg, c->serial);
}

static void text_chain(FILE *out, const struct check_report *r)
{
	int i;

	fprintf(out, "\nCertificate chain as sent (%d certificate%s%s)\n", r->chain.n,
		r->chain.n == 1 ? "" : "s",
		r->chain_raw ? ", after the ServerHello to a hello of tlsnoop's own" : "");
	for (i = 0; i < r->chain.n; i++)
		text_cert(out, i, r->chain.cert[i]);
	if (!r->chain.n)
		return;
	fprintf(out, "  verification   %s (%s, trust: %s)\n", r->verify == X509_V_OK ? "ok" : "failed",
		r->verify_text, r->trust);
	fputs("  name checked   ", out);
	text_escape_spaced(out, r->name, strlen(r->name));
	fprintf(out, ": %s\n  findings       ",
		r->findings & 1u << CERT_NAME_MISMATCH ? "no match" : "matches");
	text_findings(out, r->findings);
	fprintf(out, "\n  chain          %s\n",
		r->findings & 1u << CERT_CHAIN_INCOMPLETE ? "incomplete" : "complete");
	if (r->client_cert_requested)
		fputs("  client certificate requested by the server\n", out);
}

static void text_sni(FILE *out, const struct check_report *r)
{
	static const char *const labels[SNI_CASES] = {
		[SNI_GIVEN] = "with SNI", [SNI_NONE] = "without SNI", [SNI_UNKNOWN] = "unknown SNI",
	};
	const struct sni_report *s;
	int i, k;

	fputs("\nCertificate by SNI\n", out);
	for (i = 0; i < SNI_CASES; i++) {
		s = &r->sni[i];
		fprintf(out, "  %-12s ", labels[i]);
		if (!s->tested) {
			fputs(i == SNI_GIVEN ? "not sent: the target is an address (give "
			      "--servername)\n" : "not checked\n", out);
			continue;
		}
		if (!s->leaf) {
			fprintf(out, "no certificate: %s\n", s->detail);
			continue;
		}
		text_str(out, &s->leaf->subject);
		fputs("  sha256 ", out);
		for (k = 0; k < 8; k++)
			fprintf(out, "%02X", s->leaf->sha256[k]);
		fprintf(out, "...  name %s\n", s->name_matches ? "matches" : "does not match");
	}
}

static void text_resumption(FILE *out, const struct check_report *r)
{
	const struct resumption_report *s = &r->resumption;

	fprintf(out, "\nResumption\n  session id (TLS <= 1.2)   resumed: %s\n"
		"  ticket (TLS 1.2)          issued: %s, resumed: %s\n"
		"  ticket (TLS 1.3)          issued: %s, resumed: %s\n",
		answer_names[s->session_id], answer_names[s->ticket12_issued],
		answer_names[s->ticket12_resumed], answer_names[s->ticket13_issued],
		answer_names[s->ticket13_resumed]);
}

static void text_alpn(FILE *out, const struct check_report *r)
{
	int i;

	fputs("\nALPN\n", out);
	for (i = 0; i < CHECK_ALPN; i++)
		fprintf(out, "  %-9s %s\n", check_alpn_protocols[i], answer_names[r->alpn.accepted[i]]);
	fputs("  both offered, the server chose: ", out);
	if (r->alpn.chosen[0])
		text_escape_spaced(out, r->alpn.chosen, strlen(r->alpn.chosen));
	else
		fputs("none", out);
	fputc('\n', out);
}

static const char *ocsp_status_text(int status)
{
	return status < 0 ? "not an OCSP response" : OCSP_response_status_str(status);
}

static const char *ocsp_cert_text(int status)
{
	return status < 0 ? "no certificate status in it" : OCSP_cert_status_str(status);
}

static void text_features(FILE *out, const struct check_report *r)
{
	const struct features_report *f = &r->features;
	char label[16];

	fputs("\nProtocol features\n  OCSP stapling          ", out);
	if (!f->ocsp.stapled) {
		fputs("no (asked for on the first connection)\n", out);
	} else {
		fprintf(out, "yes: %s, %s", ocsp_status_text(f->ocsp.response_status),
			ocsp_cert_text(f->ocsp.cert_status));
		if (f->ocsp.this_update) {
			fputs(", this update ", out);
			text_date(out, f->ocsp.this_update);
		}
		if (f->ocsp.next_update) {
			fputs(", next update ", out);
			text_date(out, f->ocsp.next_update);
		}
		fputs(" (not verified)\n", out);
	}
	fputs("  secure renegotiation   ", out);
	if (f->renegotiation_version)
		fprintf(out, "%s (RFC 5746, at %s)\n", answer_names[f->secure_renegotiation],
			version_label(f->renegotiation_version, label, sizeof(label)));
	else
		fputs("not applicable: no version below TLS 1.3 accepted\n", out);
	fprintf(out, "  TLS_FALLBACK_SCSV      %s (", answer_names[f->fallback_scsv]);
	text_escape_spaced(out, f->fallback_detail, strlen(f->fallback_detail));
	fputs(")\n", out);
}

static void text_policy(FILE *out, const struct check_report *r)
{
	const struct policy_miss *m;
	char label[16], buf[24];
	int i;

	if (!r->n_policies)
		return;
	fputs("\nOutside the policies\n", out);
	if (!r->n_misses)
		fputs("  nothing: every accepted version, suite and group is allowed\n", out);
	for (i = 0; i < r->n_misses; i++) {
		m = &r->misses[i];
		fputs("  ", out);
		text_escape_spaced(out, m->policy, strlen(m->policy));
		fprintf(out, ": %s", version_label(m->version, label, sizeof(label)));
		if (m->suite)
			fprintf(out, " suite %s", tls_cipher_name(m->suite, buf, sizeof(buf)));
		else if (m->group)
			fprintf(out, " group %s", tls_group_name(m->group, buf, sizeof(buf)));
		else
			fputs(" (the version)", out);
		fputc('\n', out);
	}
	if (r->misses_cut)
		fputs("  (more not listed)\n", out);
}

static void text_trace_ports(FILE *out, const struct check_trace *ct)
{
	int i;

	for (i = 0; i < ct->n_ports; i++)
		fprintf(out, "%s%u", i ? ", " : "", ct->ports[i]);
	if (ct->n_ports == CHECK_TRACE_PORTS)
		fputs(", ...", out);
}

static void text_trace(FILE *out, const struct check_report *r)
{
	const struct check_trace *ct = r->trace;

	if (!ct)
		return;
	fputs("\nClient families in the trace ", out);
	text_escape_spaced(out, ct->path, strlen(ct->path));
	fprintf(out, "\n  %llu of its %llu events are handshakes with this listener",
		(unsigned long long)ct->to_listener, (unsigned long long)ct->stats.events);
	if (ct->n_ports) {
		fputs(" (others to port ", out);
		text_trace_ports(out, ct);
		fputc(')', out);
	}
	if (ct->stats.skipped)
		fprintf(out, "; %llu lines are not tlsnoop events",
			(unsigned long long)ct->stats.skipped);
	fputc('\n', out);
	if (!ct->to_listener)
		return;
	if (ct->cert_assumed)
		fputs("  judged with an RSA certificate (assumed: the server sent neither an RSA "
		      "nor an ECDSA one)\n", out);
	else
		fprintf(out, "  judged with the server's %s certificate\n",
			ct->cert == POLICY_CERT_RSA ? "RSA" : "ECDSA");
	whatif_print_policies(out, check_trace_result(ct));
}

void check_print_text(FILE *out, const struct check_report *r)
{
	fputs("tlsnoop check ", out);
	text_escape_spaced(out, r->target.host, strlen(r->target.host));
	fprintf(out, " (%s), name ", r->target.addr_text);
	text_escape_spaced(out, r->name, strlen(r->name));
	fprintf(out, ", with %s\n", r->libssl);
	if (r->n_addresses > 1)
		fprintf(out, "  one of the %d addresses the host resolves to%s\n", r->n_addresses,
			r->all_addresses ? "" : " (--all-addresses checks each)");
	text_versions(out, r);
	text_suites(out, r);
	text_groups(out, r);
	text_sigalgs(out, r);
	text_chain(out, r);
	text_sni(out, r);
	text_resumption(out, r);
	text_alpn(out, r);
	text_features(out, r);
	text_policy(out, r);
	text_trace(out, r);
	if (r->out_of_time)
		fputs("\n(stopped: the check's time ran out; what is missing was not checked)\n",
		      out);
}

/* ---------------------------------------------------------------- JSON */

/* ECS's pair: "protocol": "tls", "version": "1.2". */
static void json_version_fields(struct json *j, __u16 version)
{
	json_str(j, "protocol", tls_version_protocol(version) ?: "unknown");
	json_str(j, "version", tls_version_name(version) ?: "unknown");
}

/* A suite seen only in the ServerHello to a hello of our own has no
 * OpenSSL name: this libssl cannot offer it. */
static void json_suite(struct json *j, __u16 id, bool serverhello_only)
{
	char buf[24];
	const char *openssl = serverhello_only ? NULL : openssl_suite_name(id);

	json_open(j, NULL, '{');
	json_uint(j, "id", id);
	json_str(j, "name", tls_cipher_name(id, buf, sizeof(buf)));
	if (openssl)
		json_str(j, "openssl", openssl);
	if (serverhello_only)
		json_bool(j, "serverhello_only", true);
	json_close(j, '}');
}

static void json_versions(struct json *j, const struct check_report *r)
{
	const struct version_report *v;
	char buf[24];
	int i, k;

	json_open(j, "versions", '[');
	for (i = 0; i < CHECK_VERSIONS; i++) {
		v = &r->versions[i];
		json_open(j, NULL, '{');
		json_version_fields(j, v->version);
		json_str(j, "verdict", verdict_names[v->verdict]);
		if (v->detail[0])
			json_bytes(j, "detail", v->detail, strlen(v->detail));
		if (v->raw_only)
			json_bool(j, "serverhello_only", true);
		if (v->verdict == VERSION_ACCEPTED) {
			json_open(j, "cipher_suites", '[');
			for (k = 0; k < v->n_suites; k++)
				json_suite(j, v->suites[k], v->suite_raw[k]);
			json_close(j, ']');
			json_str(j, "cipher_order", order_names[v->order]);
		}
		if (v->n_groups_tested) {
			json_uint(j, "groups_tried", v->n_groups_tested);
			json_open(j, "groups", '[');
			for (k = 0; k < v->n_groups; k++)
				json_str(j, NULL, tls_group_name(v->groups[k], buf, sizeof(buf)));
			json_close(j, ']');
		}
		if (v->n_sigalgs_tested) {
			json_uint(j, "signature_algorithms_tried", v->n_sigalgs_tested);
			json_open(j, "signature_algorithms", '[');
			for (k = 0; k < v->n_sigalgs; k++)
				json_str(j, NULL, tls_sigalg_name(v->sigalgs[k], buf, sizeof(buf)));
			json_close(j, ']');
		}
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_certificate(struct json *j, const struct check_report *r)
{
	json_open(j, "certificate", '{');
	json_chain(j, "chain", &r->chain);
	if (r->chain_raw)
		json_bool(j, "serverhello_only", true);
	if (r->chain.cut)
		json_bool(j, "chain_truncated", true);
	json_bytes(j, "name_checked", r->name, strlen(r->name));
	json_bool(j, "name_matches", r->chain.n && !(r->findings & 1u << CERT_NAME_MISMATCH));
	json_bool(j, "chain_complete", r->chain.n && !(r->findings & 1u << CERT_CHAIN_INCOMPLETE));
	json_findings(j, "findings", r->findings);
	json_open(j, "verification", '{');
	json_bool(j, "ok", r->chain.n && r->verify == X509_V_OK);
	json_uint(j, "code", r->verify);
	json_str(j, "text", r->verify_text ?: "no certificate");
	json_bytes(j, "trust", r->trust, strlen(r->trust));
	json_close(j, '}');
	json_bool(j, "client_certificate_requested", r->client_cert_requested);
	json_close(j, '}');
}

static void json_sni(struct json *j, const struct check_report *r)
{
	const struct sni_report *s;
	int i;

	json_open(j, "sni", '{');
	for (i = 0; i < SNI_CASES; i++) {
		s = &r->sni[i];
		json_open(j, sni_names[i], '{');
		json_bool(j, "tested", s->tested);
		if (s->tested && i != SNI_NONE)
			json_bytes(j, "sent", s->sent, strlen(s->sent));
		if (s->tested) {
			json_str(j, "status", probe_status_name(s->status));
			if (s->detail[0])
				json_bytes(j, "detail", s->detail, strlen(s->detail));
		}
		if (s->leaf) {
			json_str_bytes(j, "subject", &s->leaf->subject);
			json_str_bytes(j, "issuer", &s->leaf->issuer);
			json_sha256(j, "sha256", s->leaf->sha256);
			json_bool(j, "name_matches", s->name_matches);
		}
		json_close(j, '}');
	}
	json_close(j, '}');
}

static void json_resumption(struct json *j, const struct check_report *r)
{
	const struct resumption_report *s = &r->resumption;

	json_open(j, "resumption", '{');
	json_str(j, "session_id_resumed", answer_names[s->session_id]);
	json_str(j, "tls12_ticket_issued", answer_names[s->ticket12_issued]);
	json_str(j, "tls12_ticket_resumed", answer_names[s->ticket12_resumed]);
	json_str(j, "tls13_ticket_issued", answer_names[s->ticket13_issued]);
	json_str(j, "tls13_ticket_resumed", answer_names[s->ticket13_resumed]);
	json_close(j, '}');
}

static void json_alpn(struct json *j, const struct check_report *r)
{
	int i;

	json_open(j, "alpn", '{');
	for (i = 0; i < CHECK_ALPN; i++)
		json_str(j, check_alpn_protocols[i], answer_names[r->alpn.accepted[i]]);
	json_bytes(j, "chosen", r->alpn.chosen, strlen(r->alpn.chosen));
	json_close(j, '}');
}

static void json_features(struct json *j, const struct check_report *r)
{
	const struct features_report *f = &r->features;

	json_open(j, "ocsp_stapling", '{');
	json_bool(j, "stapled", f->ocsp.stapled);
	if (f->ocsp.stapled) {
		json_str(j, "response_status", ocsp_status_text(f->ocsp.response_status));
		json_str(j, "certificate_status", ocsp_cert_text(f->ocsp.cert_status));
		if (f->ocsp.this_update)
			json_date(j, "this_update", f->ocsp.this_update);
		if (f->ocsp.next_update)
			json_date(j, "next_update", f->ocsp.next_update);
	}
	json_close(j, '}');
	json_open(j, "secure_renegotiation", '{');
	json_str(j, "supported", answer_names[f->secure_renegotiation]);
	if (f->renegotiation_version)
		json_version_fields(j, f->renegotiation_version);
	json_close(j, '}');
	json_open(j, "fallback_scsv", '{');
	json_str(j, "supported", answer_names[f->fallback_scsv]);
	if (f->fallback_version)
		json_version_fields(j, f->fallback_version);
	json_bytes(j, "detail", f->fallback_detail, strlen(f->fallback_detail));
	json_close(j, '}');
}

static void json_policy_misses(struct json *j, const struct check_report *r)
{
	const struct policy_miss *m;
	char buf[24];
	int i;

	json_open(j, "policy", '[');
	for (i = 0; i < r->n_misses; i++) {
		m = &r->misses[i];
		json_open(j, NULL, '{');
		json_bytes(j, "name", m->policy, strlen(m->policy));
		json_version_fields(j, m->version);
		if (m->suite)
			json_str(j, "cipher_suite", tls_cipher_name(m->suite, buf, sizeof(buf)));
		if (m->group)
			json_str(j, "group", tls_group_name(m->group, buf, sizeof(buf)));
		json_close(j, '}');
	}
	json_close(j, ']');
	if (r->misses_cut)
		json_bool(j, "policy_truncated", true);
}

static void json_trace(struct json *j, const struct check_trace *ct)
{
	int i;

	json_open(j, "trace", '{');
	json_bytes(j, "file", ct->path, strlen(ct->path));
	json_uint(j, "lines", ct->stats.lines);
	json_uint(j, "events", ct->stats.events);
	json_uint(j, "lines_not_events", ct->stats.skipped);
	json_uint(j, "to_listener", ct->to_listener);
	json_open(j, "other_ports", '[');
	for (i = 0; i < ct->n_ports; i++)
		json_uint(j, NULL, ct->ports[i]);
	json_close(j, ']');
	json_str(j, "certificate", ct->cert == POLICY_CERT_RSA ? "rsa" : "ecdsa");
	json_bool(j, "certificate_assumed", ct->cert_assumed);
	whatif_json(j, check_trace_result(ct));
	json_close(j, '}');
}

void check_print_json(FILE *out, const struct check_report *r)
{
	struct json j;

	json_begin(&j, out);
	json_open(&j, "target", '{');
	json_bytes(&j, "host", r->target.host, strlen(r->target.host));
	json_str(&j, "address", r->target.addr_text);
	json_uint(&j, "port", r->target.port);
	json_bytes(&j, "name", r->name, strlen(r->name));
	json_uint(&j, "addresses_resolved", r->n_addresses);
	json_close(&j, '}');
	json_str(&j, "libssl", r->libssl);
	json_date(&j, "checked_at", r->at);
	json_bool(&j, "complete", !r->out_of_time);
	json_versions(&j, r);
	json_uint(&j, "pq_groups_known", r->n_pq_known);
	json_certificate(&j, r);
	json_sni(&j, r);
	json_resumption(&j, r);
	json_alpn(&j, r);
	json_features(&j, r);
	if (r->n_policies)
		json_policy_misses(&j, r);
	if (r->trace)
		json_trace(&j, r->trace);
	json_end(&j);
}

/* ---------------------------------------------------------------- addresses compared */

static bool same_list(const __u16 *a, int na, const __u16 *b, int nb)
{
	int i, k;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (k = 0; k < nb && a[i] != b[k]; k++)
			;
		if (k == nb)
			return false;
	}
	return true;
}

static bool same_versions(const struct check_report *a, const struct check_report *b)
{
	int i;

	for (i = 0; i < CHECK_VERSIONS; i++)
		if ((a->versions[i].verdict == VERSION_ACCEPTED) !=
		    (b->versions[i].verdict == VERSION_ACCEPTED))
			return false;
	return true;
}

/* Lists per version, as sets: 0 suites, 1 groups, 2 signature schemes. */
static bool same_lists(const struct check_report *a, const struct check_report *b, int which)
{
	const struct version_report *x, *y;
	int i;

	for (i = 0; i < CHECK_VERSIONS; i++) {
		x = &a->versions[i];
		y = &b->versions[i];
		if (!(which == 0 ? same_list(x->suites, x->n_suites, y->suites, y->n_suites) :
		      which == 1 ? same_list(x->groups, x->n_groups, y->groups, y->n_groups) :
		      same_list(x->sigalgs, x->n_sigalgs, y->sigalgs, y->n_sigalgs)))
			return false;
	}
	return true;
}

static const __u8 *leaf_sha256(const struct check_report *r)
{
	return r->chain.n ? r->chain.cert[0]->sha256 : NULL;
}

static bool same_leaf(const struct check_report *a, const struct check_report *b)
{
	const __u8 *x = leaf_sha256(a), *y = leaf_sha256(b);

	return x && y ? !memcmp(x, y, 32) : x == y;
}

void check_print_comparison(FILE *out, const struct check_report *const *r, int n)
{
	static const char *const aspects[] = {
		"versions", "cipher suites", "groups", "signature algorithms", "certificate",
		"verification", "OCSP stapling", "ALPN", "secure renegotiation",
		"TLS_FALLBACK_SCSV",
	};
	bool differs[sizeof(aspects) / sizeof(aspects[0])] = {};
	const struct check_report *a = r[0], *b;
	char label[16], versions[48];
	const __u8 *sha;
	size_t k, len;
	int i, v, any = 0;

	fprintf(out, "\nAddresses compared (%d checked)\n", n);
	for (i = 0; i < n; i++) {
		b = r[i];
		for (v = 0, len = 0, versions[0] = '\0'; v < CHECK_VERSIONS; v++)
			if (b->versions[v].verdict == VERSION_ACCEPTED && len < sizeof(versions))
				len += snprintf(versions + len, sizeof(versions) - len, "%s%s",
						len ? " " : "", version_label(b->versions[v].version,
									      label, sizeof(label)));
		fprintf(out, "  %-24s %-32s", b->target.addr_text, versions);
		sha = leaf_sha256(b);
		fputs(" leaf sha256 ", out);
		for (k = 0; sha && k < 8; k++)
			fprintf(out, "%02X", sha[k]);
		fprintf(out, "%s  %s%s\n", sha ? "..." : "none",
			b->chain.n && b->verify == X509_V_OK ? "verifies" : "does not verify",
			b->features.ocsp.stapled ? ", OCSP stapled" : "");
		differs[0] |= !same_versions(a, b);
		differs[1] |= !same_lists(a, b, 0);
		differs[2] |= !same_lists(a, b, 1);
		differs[3] |= !same_lists(a, b, 2);
		differs[4] |= !same_leaf(a, b);
		differs[5] |= (a->verify == X509_V_OK) != (b->verify == X509_V_OK);
		differs[6] |= a->features.ocsp.stapled != b->features.ocsp.stapled;
		differs[7] |= strcmp(a->alpn.chosen, b->alpn.chosen) != 0;
		differs[8] |= a->features.secure_renegotiation != b->features.secure_renegotiation;
		differs[9] |= a->features.fallback_scsv != b->features.fallback_scsv;
	}
	fputs("  differ in:", out);
	for (k = 0; k < sizeof(aspects) / sizeof(aspects[0]); k++)
		if (differs[k])
			fprintf(out, "%s %s", any++ ? "," : "", aspects[k]);
	fputs(any ? "\n" : " nothing checked (versions, suites, groups, signature algorithms, "
	      "certificate, verification, OCSP stapling, ALPN, renegotiation, fallback SCSV)\n",
	      out);
}
