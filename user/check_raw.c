// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClientHellos of tlsnoop check's own making, for what the local libssl
 * cannot offer: SSL 3.0, and suites it was built without (3DES, RC4,
 * Camellia-GCM, ...). Only the server's first answer is read, a ServerHello
 * or an alert, as scanners that write their own hellos (nmap's
 * ssl-enum-ciphers) read it: these handshakes are never completed.
 */
#include <string.h>
#include <openssl/rand.h>
#include "active_check.h"
#include "cursor.h"
#include "names.h"

#define CT_ALERT		21
#define CT_HANDSHAKE		22
#define HS_CLIENT_HELLO		1
#define HS_SERVER_HELLO		2
#define HS_CERTIFICATE		11
#define ALERT_PROTOCOL_VERSION	70
#define RAW_CHUNK		64	/* suites per hello, as nmap offers them */

/* Offered in every TLS hello: what a server may need to pick an ECDHE or
 * DHE suite (groups, point formats, and TLS 1.2's signature schemes). */
static const __u16 raw_groups[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x001e,	/* x25519, P-256, P-384, P-521, x448 */
	0x001a, 0x001b, 0x001c,			/* brainpool (RFC 7027) */
	0x0100, 0x0101, 0x0102, 0x0103, 0x0104,	/* ffdhe2048 ... ffdhe8192 */
};
static const __u16 raw_sigalgs[] = {
	0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0807, 0x0808, 0x0809, 0x080a,
	0x080b, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0303, 0x0301, 0x0402, 0x0502,
	0x0602, 0x0202, 0x0302,
};

/* Bytes written with explicit bounds; one overflow spoils the whole. */
struct wbuf {
	__u8 *p;
	size_t n, size;
	bool overflow;
};

static void put(struct wbuf *w, __u32 v, int bytes)
{
	if (w->n + bytes > w->size) {
		w->overflow = true;
		return;
	}
	while (bytes--)
		w->p[w->n++] = v >> (8 * bytes);
}

static void put_bytes(struct wbuf *w, const void *p, size_t len)
{
	if (w->n + len > w->size) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->n, p, len);
	w->n += len;
}

/* A length of `bytes` bytes, filled in by close_len() when its data is written. */
static size_t open_len(struct wbuf *w, int bytes)
{
	size_t at = w->n;

	put(w, 0, bytes);
	return at;
}

static void close_len(struct wbuf *w, size_t at, int bytes)
{
	size_t len = w->n - at - bytes;
	int i;

	if (w->overflow)
		return;
	for (i = 0; i < bytes; i++)
		w->p[at + i] = len >> (8 * (bytes - 1 - i));
}

static void put_list16(struct wbuf *w, const __u16 *ids, size_t n, int len_bytes)
{
	size_t at = open_len(w, len_bytes), i;

	for (i = 0; i < n; i++)
		put(w, ids[i], 2);
	close_len(w, at, len_bytes);
}

static void put_extensions(struct wbuf *w, __u16 version, const char *sni)
{
	size_t exts = open_len(w, 2), ext, list;

	if (sni && *sni) {
		put(w, 0, 2);			/* server_name */
		ext = open_len(w, 2);
		list = open_len(w, 2);
		put(w, 0, 1);			/* host_name */
		put(w, strlen(sni), 2);
		put_bytes(w, sni, strlen(sni));
		close_len(w, list, 2);
		close_len(w, ext, 2);
	}
	put(w, 10, 2);				/* supported_groups */
	ext = open_len(w, 2);
	put_list16(w, raw_groups, sizeof(raw_groups) / sizeof(raw_groups[0]), 2);
	close_len(w, ext, 2);
	put(w, 11, 2);				/* ec_point_formats: uncompressed */
	put(w, 2, 2);
	put(w, 1, 1);
	put(w, 0, 1);
	if (version >= TLS1_2_VERSION) {
		put(w, 13, 2);			/* signature_algorithms */
		ext = open_len(w, 2);
		put_list16(w, raw_sigalgs, sizeof(raw_sigalgs) / sizeof(raw_sigalgs[0]), 2);
		close_len(w, ext, 2);
	}
	put(w, 0xff01, 2);			/* renegotiation_info, empty */
	put(w, 1, 2);
	put(w, 0, 1);
	close_len(w, exts, 2);
}

size_t raw_client_hello(__u8 *out, size_t size, __u16 version, const __u16 *suites, int n,
			const char *sni)
{
	struct wbuf w = { .p = out, .size = size };
	__u8 random[32];
	size_t record, hello;

	if (RAND_bytes(random, sizeof(random)) != 1)
		return 0;
	put(&w, CT_HANDSHAKE, 1);
	/* The record's version: 3.0 for SSL 3.0, else 1.0, which every TLS server takes. */
	put(&w, version == SSL3_VERSION ? SSL3_VERSION : TLS1_VERSION, 2);
	record = open_len(&w, 2);
	put(&w, HS_CLIENT_HELLO, 1);
	hello = open_len(&w, 3);
	put(&w, version, 2);
	put_bytes(&w, random, sizeof(random));
	put(&w, 0, 1);				/* no session id */
	put_list16(&w, suites, n, 2);
	put(&w, 1, 1);				/* compression: null only */
	put(&w, 0, 1);
	/* SSL 3.0 servers predate extensions; some choke on them. */
	if (version != SSL3_VERSION)
		put_extensions(&w, version, sni);
	close_len(&w, hello, 3);
	close_len(&w, record, 2);
	return w.overflow ? 0 : w.n;
}

static int reply_failed(struct probe_result *res, enum probe_status status, const char *what)
{
	res->status = status;
	snprintf(res->detail, sizeof(res->detail), "%s", what);
	return 0;
}

/* The handshake message at hs[*at], when all of it has come: its type,
 * its body in body, and *at past it; 1 while it has not, -1 if too long. */
static int next_message(const __u8 *hs, size_t n_hs, size_t *at, __u32 *type,
			struct cursor *body)
{
	struct cursor c = { hs + *at, n_hs - *at };
	__u32 len;

	if (get_u8(&c, type) || get_u24(&c, &len))
		return 1;
	if (len > RAW_FLIGHT_MAX - 4)
		return -1;
	if (get_bytes(&c, len, body))
		return 1;
	*at = c.p - hs;
	return 0;
}

int raw_server_reply(const __u8 *buf, size_t len, struct probe_result *res,
		     struct cert_cache *certs)
{
	__u8 hs[RAW_FLIGHT_MAX];
	struct cursor c = { buf, len }, frag, body;
	__u32 type, major, minor, frag_len;
	size_t n_hs = 0, at = 0;
	struct server_hello_facts sh;
	bool ended = false;
	int ret;

	/* The records: their handshake bytes into hs, in order. */
	while (c.n) {
		/* An SSL 2.0 answer has its top bit set: not what was asked. */
		if (c.p[0] & 0x80)
			return reply_failed(res, PROBE_NOT_TLS, "the server answered in SSL 2.0");
		if (c.n < 5)
			break;
		get_u8(&c, &type);
		get_u8(&c, &major);
		get_u8(&c, &minor);
		get_u16(&c, &frag_len);
		if ((type != CT_ALERT && type != CT_HANDSHAKE) || major != 3)
			return reply_failed(res, PROBE_NOT_TLS,
					    "the server answered, but not with a TLS handshake");
		if (get_bytes(&c, frag_len, &frag))
			break;
		if (type == CT_ALERT && !n_hs) {
			if (frag.n < 2)
				return reply_failed(res, PROBE_FAILED, "a malformed alert");
			res->status = PROBE_ALERT;
			res->alert = frag.p[1];
			snprintf(res->detail, sizeof(res->detail), "alert %s(%u)",
				 tls_alert_name(res->alert) ?: "unknown", res->alert);
			return 0;
		}
		/* An alert after the ServerHello ends the flight. */
		if (type == CT_ALERT) {
			ended = true;
			break;
		}
		if (frag.n > sizeof(hs) - n_hs)
			frag.n = sizeof(hs) - n_hs;
		memcpy(hs + n_hs, frag.p, frag.n);
		n_hs += frag.n;
	}
	/* The messages: a ServerHello first, then (if asked) the Certificate. */
	if (n_hs >= 1 && hs[0] != HS_SERVER_HELLO)
		return reply_failed(res, PROBE_FAILED,
				    "the server's first message was not a ServerHello");
	ret = next_message(hs, n_hs, &at, &type, &body);
	if (ret < 0)
		return reply_failed(res, PROBE_FAILED, "a malformed ServerHello");
	if (ret)
		return 1;
	ret = parse_server_hello(hs, at, &sh);
	if (ret)
		return reply_failed(res, PROBE_FAILED, ret > 0 ?
				    "a HelloRetryRequest to a hello without TLS 1.3" :
				    "a malformed ServerHello");
	res->status = PROBE_HELLO;
	res->version = sh.version;
	res->cipher = sh.cipher;
	res->secure_renegotiation = sh.renegotiation_info;
	res->detail[0] = '\0';
	if (!certs)
		return 0;
	ret = next_message(hs, n_hs, &at, &type, &body);
	/* Still coming, unless the flight was cut (an alert, or too long). */
	if (ret > 0 && !ended && n_hs < sizeof(hs))
		return 1;
	/* Anything but a Certificate: a suite without one. */
	if (!ret && type == HS_CERTIFICATE)
		cert_chain_parse(body.p, body.n, certs, &res->chain);
	else if (ret)
		res->chain.cut = true;
	return 0;
}

/* ---------------------------------------------------------------- suites */

/* The suite the server picks of `n` offered at `version`, 0 for none;
 * res gets its answer. */
static __u16 raw_pick(struct check_run *run, __u16 version, const __u16 *ids, int n,
		      struct probe_result *res)
{
	__u8 hello[RAW_HELLO_MAX];
	size_t len = raw_client_hello(hello, sizeof(hello), version, ids, n, run->sni);

	probe_raw(&run->pc, hello, len, false, res);
	if (probe_out_of_time(&run->pc))
		run->r->out_of_time = true;
	return res->status == PROBE_HELLO && res->version == version ? res->cipher : 0;
}

/* An answer that refuses the version, not the suites offered: the alert
 * protocol_version, or a ServerHello of another version. */
static bool version_refused(const struct probe_result *res, __u16 version)
{
	return (res->status == PROBE_ALERT && res->alert == ALERT_PROTOCOL_VERSION) ||
	       (res->status == PROBE_HELLO && res->version != version);
}

/* The suites worth a hello of our own at `version`: every registered one
 * libssl cannot offer there, except TLS 1.3's and the signalling ones. */
static int raw_candidates(const __u16 *known, int n_known, __u16 *out, int max)
{
	size_t i;
	int k, n = 0;
	__u16 id;

	for (i = 0; i < iana_ciphers_count && n < max; i++) {
		id = iana_ciphers[i].id;
		if (!id || id >> 8 == 0x13 || id == 0x00ff || id == 0x5600)
			continue;
		for (k = 0; k < n_known && known[k] != id; k++)
			;
		if (k == n_known)
			out[n++] = id;
	}
	return n;
}

/* Where x goes in v's suites, in the server's order: a binary search, each
 * step a hello offering x and one accepted suite. */
static int raw_position(struct check_run *run, const struct version_report *v, __u16 x)
{
	int lo = 0, hi = v->n_suites, mid;
	__u16 pair[2], picked;
	struct probe_result res;

	while (lo < hi && !run->r->out_of_time) {
		mid = (lo + hi) / 2;
		pair[0] = v->suites[mid];
		pair[1] = x;
		picked = raw_pick(run, v->version, pair, 2, &res);
		if (picked == x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The first two suites offered in both orders: does the server keep its
 * pick? When it does, its pick goes first. */
static void raw_order(struct check_run *run, struct version_report *v)
{
	__u16 pair[2] = { v->suites[0], v->suites[1] }, first, second;
	bool raw0 = v->suite_raw[0];
	struct probe_result res;

	first = raw_pick(run, v->version, pair, 2, &res);
	pair[0] = v->suites[1];
	pair[1] = v->suites[0];
	second = raw_pick(run, v->version, pair, 2, &res);
	if (!first || !second)
		return;
	v->order = first == second ? ORDER_SERVER : ORDER_CLIENT;
	if (v->order == ORDER_SERVER && first == v->suites[1]) {
		v->suites[1] = v->suites[0];
		v->suites[0] = first;
		v->suite_raw[0] = v->suite_raw[1];
		v->suite_raw[1] = raw0;
	}
}

static void raw_insert(struct check_run *run, struct version_report *v, __u16 x)
{
	int at;

	if (v->n_suites == CHECK_SUITES_MAX)
		return;
	/* Out of time, the rest go last, their places unknown. */
	at = v->order == ORDER_SERVER && !run->r->out_of_time ? raw_position(run, v, x) :
								v->n_suites;
	memmove(&v->suites[at + 1], &v->suites[at], (v->n_suites - at) * sizeof(v->suites[0]));
	memmove(&v->suite_raw[at + 1], &v->suite_raw[at],
		(v->n_suites - at) * sizeof(v->suite_raw[0]));
	v->suites[at] = x;
	v->suite_raw[at] = true;
	v->n_suites++;
	if (v->order == ORDER_UNKNOWN && v->n_suites == 2)
		raw_order(run, v);
}

int check_raw_suites(struct check_run *run, struct version_report *v, const __u16 *known,
		     int n_known, struct probe_result *first)
{
	__u16 cand[CHECK_RAW_CANDIDATES], found[CHECK_SUITES_MAX], picked;
	int n_cand = raw_candidates(known, n_known, cand, CHECK_RAW_CANDIDATES);
	int n_found = 0, at, n, i;
	struct probe_result res;
	bool tried = false;

	memset(first, 0, sizeof(*first));
	first->status = PROBE_FAILED;
	/* In chunks: some servers refuse a hello that offers hundreds. */
	for (at = 0; at < n_cand && !run->r->out_of_time; at += RAW_CHUNK) {
		n = n_cand - at < RAW_CHUNK ? n_cand - at : RAW_CHUNK;
		while (n && n_found < CHECK_SUITES_MAX && !run->r->out_of_time) {
			picked = raw_pick(run, v->version, &cand[at], n, &res);
			if (!tried)
				*first = res;
			tried = true;
			/* Nobody there or no TLS (the other chunks would wait as long),
			 * or the version itself refused, whatever the suites. */
			if (probe_status_fatal(res.status) || version_refused(&res, v->version))
				goto place;
			for (i = 0; i < n && cand[at + i] != picked; i++)
				;
			if (!picked || i == n)
				break;
			/* Accepted with these alone: its ServerHello says the rest. */
			if (!n_found && v->verdict != VERSION_ACCEPTED)
				v->secure_renegotiation = res.secure_renegotiation;
			found[n_found++] = picked;
			cand[at + i] = cand[at + --n];
		}
	}
place:
	for (i = 0; i < n_found; i++)
		raw_insert(run, v, found[i]);
	return n_found;
}

void check_raw_chain(struct check_run *run)
{
	struct check_report *r = run->r;
	const struct version_report *v = NULL;
	struct probe_result res;
	__u8 hello[RAW_HELLO_MAX];
	size_t len;
	int i;

	for (i = CHECK_VERSIONS - 1; i >= 0 && !v; i--)
		if (r->versions[i].raw_only)
			v = &r->versions[i];
	if (!v || r->chain.n)
		return;
	len = raw_client_hello(hello, sizeof(hello), v->version, v->suites,
			       v->n_suites < RAW_CHUNK ? v->n_suites : RAW_CHUNK, run->sni);
	probe_raw(&run->pc, hello, len, true, &res);
	if (probe_out_of_time(&run->pc))
		r->out_of_time = true;
	if (res.status != PROBE_HELLO || !res.chain.n) {
		cert_chain_release(&res.chain);
		return;
	}
	r->chain = res.chain;
	r->chain_raw = true;
	r->verify = cert_chain_verify(run->pc.certs, &r->chain);
	r->verify_text = X509_verify_cert_error_string(r->verify);
}
