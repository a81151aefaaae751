// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NDJSON with Elastic Common Schema names where ECS has them (source,
 * destination, event, tls) and tlsnoop.* for the rest; docs/events.md
 * lists every field. Absent facts are left out, never null. An event is
 * put together in a buffer and written with one fwrite, no printf: a
 * capture's events are written as fast as they are read.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "json.h"
#include "names.h"
#include "output.h"

/* "2026-11-22T14:02:11.907712Z": the date and time formatted once per
 * second (a capture has thousands of events in each). */
static void json_timestamp(struct json *j, __u64 wall_ns)
{
	static time_t last_sec = -1;
	static char date[32];
	static size_t date_len;
	time_t sec = wall_ns / 1000000000ULL;
	char frac[8] = ".";
	struct tm tm;

	if (sec != last_sec) {
		gmtime_r(&sec, &tm);
		date_len = strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	fmt_dec_fixed(frac + 1, (wall_ns % 1000000000ULL) / 1000, 6);
	frac[7] = 'Z';
	json_key(j, "@timestamp");
	json_putc(j, '"');
	json_put(j, date, date_len);
	json_put(j, frac, sizeof(frac));
	json_putc(j, '"');
}

static void json_alert(struct json *j, const struct alert *a)
{
	const char *desc;

	json_open(j, "alert", '{');
	json_str(j, "from", side_name(a->from));
	json_bool(j, "encrypted", a->flags & ALERT_ENCRYPTED);
	if (!(a->flags & ALERT_ENCRYPTED)) {
		json_str(j, "level", a->level == 2 ? "fatal" : a->level == 1 ? "warning" : "unknown");
		json_uint(j, "code", a->code);
		desc = tls_alert_name(a->code);
		if (desc)
			json_str(j, "description", desc);
	} else {
		json_uint(j, "record_length", a->record_len);
	}
	json_close(j, '}');
}

/* An offered list as IANA names, GREASE values marked. */
static void json_names(struct json *j, const char *key, const __u16 *v, __u16 n,
		       const char *(*name)(__u16, char *, size_t))
{
	char buf[24];
	__u16 i;

	json_open(j, key, '[');
	for (i = 0; i < n; i++)
		json_str(j, NULL, name(v[i], buf, sizeof(buf)));
	json_close(j, ']');
}

/* ECS tls.client fields that need the whole hello. */
static void json_offers(struct json *j, const struct hello_info *h)
{
	if (h->ja3[0])
		json_str(j, "ja3", h->ja3);
	if (h->ja4[0])
		json_bytes(j, "ja4", h->ja4, strlen(h->ja4));	/* ALPN bytes inside */
	json_names(j, "supported_ciphers", h->ciphers, h->n_ciphers, tls_cipher_name);
	json_names(j, "supported_groups", h->groups, h->n_groups, tls_group_name);
	json_names(j, "signature_algorithms", h->sigalgs, h->n_sigalgs, tls_sigalg_name);
	json_names(j, "extensions", h->exts, h->n_exts, tls_extension_name);
	if (h->lists_cut)
		json_bool(j, "lists_truncated", true);
}

/* ECS x509.*: the leaf of a side's chain. */
static void json_x509(struct json *j, const struct cert *c)
{
	json_open(j, "x509", '{');
	json_open(j, "subject", '{');
	if (c->common_name.len) {
		json_open(j, "common_name", '[');
		json_str_bytes(j, NULL, &c->common_name);
		json_close(j, ']');
	}
	json_str_bytes(j, "distinguished_name", &c->subject);
	json_close(j, '}');
	json_open(j, "issuer", '{');
	json_str_bytes(j, "distinguished_name", &c->issuer);
	json_close(j, '}');
	if (c->n_names)
		json_alt_names(j, c);
	json_cert_details(j, c);
	json_close(j, '}');
}

/* ECS tls.server.* / tls.client.* of a side's leaf certificate. */
static void json_leaf(struct json *j, const struct cert_chain *chain)
{
	const struct cert *c = chain->cert[0];

	if (!chain->n)
		return;
	json_x509(j, c);
	json_date(j, "not_before", c->not_before);
	json_date(j, "not_after", c->not_after);
	json_open(j, "hash", '{');
	json_sha256(j, "sha256", c->sha256);
	json_close(j, '}');
	json_str_bytes(j, "issuer", &c->issuer);
	json_str_bytes(j, "subject", &c->subject);
}

static void json_certificates(struct json *j, const struct report *r)
{
	const struct cert_chain *server = &r->chain[SIDE_SERVER], *client = &r->chain[SIDE_CLIENT];

	if (!server->n && !client->n)
		return;
	json_open(j, "certificates", '{');
	if (server->n)
		json_chain(j, "server", server);
	if (server->cut)
		json_bool(j, "server_truncated", true);
	if (client->n)
		json_chain(j, "client", client);
	if (client->cut)
		json_bool(j, "client_truncated", true);
	json_close(j, '}');
	if (server->n)
		json_findings(j, "certificate_findings", r->cert_findings[SIDE_SERVER]);
	if (client->n)
		json_findings(j, "client_certificate_findings", r->cert_findings[SIDE_CLIENT]);
}

static void json_client(struct json *j, const struct report *r)
{
	const struct client_hello *ch = &r->e->flow.ch;
	int i;

	if (!(ch->flags & HELLO_SEEN))
		return;
	json_open(j, "client", '{');
	if (ch->sni_len)
		json_bytes(j, "server_name", ch->sni, ch->sni_len);
	if (r->n_offered) {
		json_open(j, "supported_versions", '[');
		for (i = 0; i < r->n_offered; i++)
			json_str(j, NULL, r->offered[i]);
		json_close(j, ']');
	}
	if (r->n_alpn) {
		json_open(j, "alpn", '[');
		for (i = 0; i < r->n_alpn; i++)
			json_bytes(j, NULL, r->alpn[i].name, r->alpn[i].len);
		json_close(j, ']');
	}
	if (r->hello)
		json_offers(j, r->hello);
	json_leaf(j, &r->chain[SIDE_CLIENT]);
	json_close(j, '}');
}

static void json_tls(struct json *j, const struct report *r)
{
	const struct flow *f = &r->e->flow;

	json_open(j, "tls", '{');
	if (r->version) {
		json_str(j, "version", r->version);
		json_str(j, "version_protocol", tls_version_protocol(f->sh.version));
	}
	if (r->cipher)
		json_str(j, "cipher", r->cipher);
	json_bool(j, "established", r->d.success);
	json_bool(j, "resumed", f->sh.flags & SERVER_RESUMED);
	if (f->sh.alpn_len)
		json_bytes(j, "next_protocol", f->sh.alpn, f->sh.alpn_len);
	json_client(j, r);
	if (r->chain[SIDE_SERVER].n) {
		json_open(j, "server", '{');
		json_leaf(j, &r->chain[SIDE_SERVER]);
		json_close(j, '}');
	}
	if (f->alert.flags & ALERT_SEEN)
		json_alert(j, &f->alert);
	json_close(j, '}');
}

static void json_client_hello(struct json *j, const struct client_hello *ch)
{
	const char *v;

	json_open(j, "client_hello", '{');
	v = tls_version_name(ch->legacy_version);
	if (v)
		json_str(j, "legacy_version", v);
	v = tls_version_name(ch->max_version);
	if (v)
		json_str(j, "max_version", v);
	json_uint(j, "cipher_count", ch->cipher_count);
	json_uint(j, "extension_count", ch->ext_count);
	json_uint(j, "session_id_length", ch->session_id_len);
	json_bool(j, "key_share", ch->flags & HELLO_HAS_KEY_SHARE);
	json_bool(j, "session_ticket", ch->flags & HELLO_HAS_TICKET);
	json_bool(j, "pre_shared_key", ch->flags & HELLO_HAS_PSK);
	json_bool(j, "early_data", ch->flags & HELLO_HAS_EARLY_DATA);
	json_bool(j, "split", ch->flags & HELLO_SPLIT);
	json_bool(j, "truncated", ch->flags & (HELLO_TRUNCATED | HELLO_SNI_TRUNCATED |
					       HELLO_ALPN_TRUNCATED));
	if (ch->flags & HELLO_SSLV2)
		json_bool(j, "sslv2", true);
	json_close(j, '}');
}

static void json_verdict(struct json *j, const char *key, const struct policy *p,
			 enum policy_reason why)
{
	json_open(j, key, '{');
	json_bytes(j, "name", p->name, strlen(p->name));
	json_str(j, "verdict", why == POLICY_ACCEPT ? "accept" : "reject");
	if (why != POLICY_ACCEPT)
		json_str(j, "why", policy_reason_name(why));
	json_close(j, '}');
}

/* --policy verdicts: an object for one policy, an array for several. */
static void json_policy(struct json *j, const struct policy_verdicts *v)
{
	int i;

	if (v->n == 1) {
		json_verdict(j, "policy", v->policy[0], v->why[0]);
		return;
	}
	json_open(j, "policy", '[');
	for (i = 0; i < v->n; i++)
		json_verdict(j, NULL, v->policy[i], v->why[i]);
	json_close(j, ']');
}

static void json_tlsnoop(struct json *j, const struct report *r)
{
	const struct flow *f = &r->e->flow;

	json_open(j, "tlsnoop", '{');
	json_str(j, "confidence", r->d.inferred ? "inferred" : "observed");
	json_bytes(j, "history", f->hist, f->hist_len);
	json_str(j, "end", end_cause_name(r->e->end_cause));
	json_str(j, "side", role_name(f->role));
	json_str(j, "resumption", resumption_name(r->resumption));
	if (f->ch.flags & HELLO_SEEN)
		json_bool(j, "resumption_offered", r->resumption_offered);
	if (f->close_kind != CLOSE_NONE) {
		json_open(j, "close", '{');
		json_str(j, "from", side_name(f->close_from));
		json_str(j, "kind", close_kind_name(f->close_kind));
		json_close(j, '}');
	}
	if (f->not_tls_from != SIDE_NONE) {
		json_open(j, "not_tls", '{');
		json_str(j, "from", side_name(f->not_tls_from));
		json_bytes(j, "first_bytes", f->peek, f->peek_len);
		json_close(j, '}');
	}
	if (f->ch.flags & HELLO_SEEN)
		json_client_hello(j, &f->ch);
	/* Not when the ServerHello came first (packets out of order). */
	if (f->t_client_hello && f->t_server_hello >= f->t_client_hello) {
		json_open(j, "latency", '{');
		json_uint(j, "server_hello", (f->t_server_hello - f->t_client_hello) / 1000);
		if (r->d.success)
			json_uint(j, "established", (r->e->t_end - f->t_client_hello) / 1000);
		json_close(j, '}');
	}
	if (r->policy.n)
		json_policy(j, &r->policy);
	json_certificates(j, r);
	json_close(j, '}');
}

/* observer.ingress.interface.name (a client's packets come in on it), or
 * egress for a backend handshake (this host's go out): the name given
 * with -i. */
static void json_observer(struct json *j, const char *ifname, __u8 role)
{
	json_open(j, "observer", '{');
	json_open(j, role == ROLE_BACKEND ? "egress" : "ingress", '{');
	json_open(j, "interface", '{');
	json_bytes(j, "name", ifname, strlen(ifname));
	json_close(j, '}');
	json_close(j, '}');
	json_close(j, '}');
}

void out_json_event(FILE *out, const struct report *r)
{
	const struct event *e = r->e;
	struct json j;

	json_begin(&j, out);
	json_timestamp(&j, r->wall_ns);
	json_open(&j, "event", '{');
	json_str(&j, "kind", "event");
	json_str(&j, "category", "network");
	json_str(&j, "outcome", r->d.success ? "success" : "failure");
	if (!r->d.success)
		json_str(&j, "reason", reason_name(r->d.reason));
	json_uint(&j, "duration", e->t_end - e->flow.t_first);
	json_close(&j, '}');
	json_open(&j, "source", '{');
	json_str(&j, "ip", r->client_ip);
	json_uint(&j, "port", e->key.client_port);
	json_close(&j, '}');
	json_open(&j, "destination", '{');
	json_str(&j, "ip", r->server_ip);
	json_uint(&j, "port", e->key.server_port);
	json_close(&j, '}');
	json_open(&j, "network", '{');
	json_str(&j, "transport", "tcp");
	json_str(&j, "type", e->key.family == 6 ? "ipv6" : "ipv4");
	json_close(&j, '}');
	if (r->ingress_ifname)
		json_observer(&j, r->ingress_ifname, e->flow.role);
	json_tls(&j, r);
	json_tlsnoop(&j, r);
	json_end(&j);
}
