// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Certificates: chains made here with libcrypto (a root, an intermediate,
 * leaves) go through the cache and every finding; flights made of them go
 * through the reassembly, out of order and cut; hostile names through the
 * JSON output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include "active_check.h"
#include "cert_summary.h"
#include "check.h"
#include "cert.h"
#include "flight.h"
#include "output.h"
#include "report.h"

#define DAY 86400L

static time_t now;

static EVP_PKEY *key_ec(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

static EVP_PKEY *key_rsa(size_t bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
}

/* A certificate for `cn` valid from now + from_days to now + to_days,
 * signed by (issuer, issuer_key), or by itself when issuer is NULL. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		       long from_days, long to_days, const char *san, bool ca)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	static long serial = 0x1000;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_time_adj_ex(X509_getm_notBefore(x), from_days, 0, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), to_days, 0, &now);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" :
				  "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
	return x;
}

static int der_of(X509 *x, __u8 *buf)
{
	__u8 *p = buf;

	return i2d_X509(x, &p);
}

static struct cert *get(struct cert_cache *c, X509 *x)
{
	__u8 der[4096];
	int n = der_of(x, der);

	return cert_cache_get(c, der, n);
}

static EVP_PKEY *root_key, *inter_key, *leaf_key;
static X509 *root, *inter;

static struct cert_cache *cache_with_root(void)
{
	X509_STORE *store = X509_STORE_new();

	X509_STORE_add_cert(store, root);
	return cert_cache_new(16, store);
}

/* Findings of a chain of these certificates. */
static unsigned int findings_of(struct cert_cache *c, X509 **xs, int n, const char *sni,
				unsigned int warn_days)
{
	struct cert_chain chain = {};
	unsigned int f;
	int i;

	for (i = 0; i < n; i++)
		chain.cert[chain.n++] = get(c, xs[i]);
	f = cert_findings(c, &chain, sni, sni ? strlen(sni) : 0, now, warn_days);
	cert_chain_release(&chain);
	return f;
}

#define BIT(f) (1u << (f))

static void test_fields(void)
{
	struct cert_cache *c = cache_with_root();
	X509 *leaf = make_cert("lab.test", leaf_key, inter, inter_key, -1, 90,
			       "DNS:lab.test,DNS:*.lab.test,IP:198.18.0.1,IP:2001:db8::1", false);
	struct cert *cert = get(c, leaf);
	__u8 der[4096], md[32];
	unsigned int mdlen;

	current = "fields";
	CHECK(cert, "not parsed");
	if (!cert)
		return;
	X509_digest(leaf, EVP_sha256(), md, &mdlen);
	CHECK(!memcmp(cert->sha256, md, 32), "fingerprint");
	CHECK(cert->common_name.len == 8 && !memcmp(cert->common_name.s, "lab.test", 8), "cn");
	CHECK(cert->subject.len == 11 && !memcmp(cert->subject.s, "CN=lab.test", 11), "subject %.*s",
	      cert->subject.len, cert->subject.s);
	CHECK(cert->issuer.len == 23 && !memcmp(cert->issuer.s, "CN=tlsnoop intermediate", 23),
	      "issuer %.*s",
	      cert->issuer.len, cert->issuer.s);
	CHECK(cert->n_names == 4 && !memcmp(cert->names[1].s, "*.lab.test", 10) &&
	      !memcmp(cert->names[2].s, "198.18.0.1", 10) && !memcmp(cert->names[3].s, "2001:db8::1", 11),
	      "%d names", cert->n_names);
	CHECK(!strcmp(cert->key_type, "EC") && cert->key_bits == 256, "key %s %d", cert->key_type,
	      cert->key_bits);
	CHECK(!strcmp(cert->sig_alg, "ecdsa-with-SHA256"), "signature %s", cert->sig_alg);
	CHECK(cert->not_after - now > 89 * DAY && cert->not_after - now <= 90 * DAY &&
	      now - cert->not_before >= DAY - 1, "validity");
	CHECK(!strcmp(cert->serial, "1002"), "serial %s", cert->serial);	/* the third made */
	CHECK(!cert->self_signed, "self-signed");
	cert_put(cert);
	/* Cached: the same bytes are not parsed again. */
	cert = get(c, leaf);
	CHECK(cert && cert_cache_parsed(c) == 1, "parsed %llu times",
	      (unsigned long long)cert_cache_parsed(c));
	cert_put(cert);
	/* Not a certificate: garbage, and a certificate with a byte more. */
	memset(der, 0x30, sizeof(der));
	CHECK(!cert_cache_get(c, der, 100), "garbage parsed");
	CHECK(!cert_cache_get(c, der, 0), "nothing parsed");
	der[der_of(leaf, der)] = 0;
	CHECK(!cert_cache_get(c, der, der_of(leaf, der) + 1), "trailing byte accepted");
	X509_free(leaf);
	cert_cache_free(c);
}

static void test_findings(void)
{
	struct cert_cache *c = cache_with_root();
	EVP_PKEY *rsa1024 = key_rsa(1024), *p192 = key_ec("prime192v1");
	X509 *leaf = make_cert("lab.test", leaf_key, inter, inter_key, -1, 90,
			       "DNS:lab.test,IP:198.18.0.1", false);
	X509 *expired = make_cert("old.test", leaf_key, inter, inter_key, -90, -1, "DNS:old.test", false);
	X509 *future = make_cert("new.test", leaf_key, inter, inter_key, 2, 90, "DNS:new.test", false);
	X509 *soon = make_cert("soon.test", leaf_key, inter, inter_key, -1, 10, "DNS:soon.test", false);
	X509 *self = make_cert("self.test", leaf_key, NULL, NULL, -1, 90, "DNS:self.test", false);
	X509 *weak = make_cert("weak.test", rsa1024, inter, inter_key, -1, 90, "DNS:weak.test", false);
	X509 *weak_ec = make_cert("weak.test", p192, inter, inter_key, -1, 90, "DNS:weak.test", false);
	X509 *ok[] = { leaf, inter }, *alone[] = { leaf }, *inter_alone[] = { inter };

	current = "findings";
	CHECK(rsa1024 && p192, "keys");
	CHECK(findings_of(c, ok, 2, "lab.test", 21) == 0, "valid chain: %x",
	      findings_of(c, ok, 2, "lab.test", 21));
	CHECK(findings_of(c, ok, 2, NULL, 21) == 0, "no SNI");
	CHECK(findings_of(c, ok, 2, "198.18.0.1", 21) == 0, "IP SNI");
	CHECK(findings_of(c, ok, 2, "198.18.0.9", 21) == BIT(CERT_NAME_MISMATCH), "other IP");
	CHECK(findings_of(c, ok, 2, "other.test", 21) == BIT(CERT_NAME_MISMATCH), "name mismatch");
	CHECK(findings_of(c, ok, 2, "a.lab.test", 21) == BIT(CERT_NAME_MISMATCH), "no wildcard");
	CHECK(findings_of(c, alone, 1, "lab.test", 21) == BIT(CERT_CHAIN_INCOMPLETE),
	      "leaf alone: %x", findings_of(c, alone, 1, "lab.test", 21));
	/* The intermediate's issuer is a root of the store. */
	CHECK(findings_of(c, inter_alone, 1, NULL, 21) == 0, "root in the store: %x",
	      findings_of(c, inter_alone, 1, NULL, 21));
	ok[0] = expired;
	CHECK(findings_of(c, ok, 2, "old.test", 21) == BIT(CERT_EXPIRED), "expired: %x",
	      findings_of(c, ok, 2, "old.test", 21));
	ok[0] = future;
	CHECK(findings_of(c, ok, 2, "new.test", 21) == BIT(CERT_NOT_YET_VALID), "not yet valid");
	ok[0] = soon;
	CHECK(findings_of(c, ok, 2, "soon.test", 21) == BIT(CERT_EXPIRING), "expiring");
	CHECK(findings_of(c, ok, 2, "soon.test", 9) == 0, "expiring, warned 9 days before");
	CHECK(findings_of(c, ok, 2, "soon.test", 0) == 0, "no warning");
	ok[0] = weak;
	CHECK(findings_of(c, ok, 2, "weak.test", 21) == BIT(CERT_WEAK_KEY), "weak RSA");
	ok[0] = weak_ec;
	CHECK(findings_of(c, ok, 2, "weak.test", 21) == BIT(CERT_WEAK_KEY), "weak EC");
	alone[0] = self;
	CHECK(findings_of(c, alone, 1, "self.test", 21) == BIT(CERT_SELF_SIGNED), "self-signed: %x",
	      findings_of(c, alone, 1, "self.test", 21));
	CHECK(!strcmp(cert_finding_name(CERT_CHAIN_INCOMPLETE), "chain_incomplete") &&
	      !strcmp(cert_finding_name(CERT_FINDINGS), "unknown"), "names");
	X509_free(leaf);
	X509_free(expired);
	X509_free(future);
	X509_free(soon);
	X509_free(self);
	X509_free(weak);
	X509_free(weak_ec);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p192);
	cert_cache_free(c);
}

/* More certificates than the cache holds: the least recently used goes,
 * and a chain keeps its own. */
static void test_cache_bound(void)
{
	struct cert_cache *c = cert_cache_new(4, X509_STORE_new());
	struct cert *held, *again;
	X509 *x[6];
	int i;

	current = "cache_bound";
	for (i = 0; i < 6; i++)
		x[i] = make_cert(i ? "n.test" : "held.test", leaf_key, NULL, NULL, -1, i + 1, NULL,
				 false);
	held = get(c, x[0]);
	for (i = 1; i < 6; i++)
		cert_put(get(c, x[i]));
	CHECK(cert_cache_parsed(c) == 6, "parsed %llu", (unsigned long long)cert_cache_parsed(c));
	CHECK(held && held->common_name.len == 9, "held certificate lost");
	again = get(c, x[0]);
	CHECK(cert_cache_parsed(c) == 7 && again != held, "evicted one found again");
	cert_put(again);
	cert_put(held);
	for (i = 0; i < 6; i++)
		X509_free(x[i]);
	cert_cache_free(c);
}

/* ------------------------------------------------------------- flights */

static __u8 stream[TLSNOOP_FLIGHT_MAX];
static size_t stream_len;

static void put_bytes(const void *p, size_t n)
{
	memcpy(stream + stream_len, p, n);
	stream_len += n;
}

static void put_u24(size_t v)
{
	__u8 b[3] = { v >> 16, v >> 8, v };

	put_bytes(b, 3);
}

/* Handshake records carrying `msgs`, cut into records of at most `frag`. */
static void put_records(const __u8 *msgs, size_t n, size_t frag)
{
	size_t off, len;

	for (off = 0; off < n; off += len) {
		__u8 hdr[5] = { 22, 3, 3 };

		len = n - off < frag ? n - off : frag;
		hdr[3] = len >> 8;
		hdr[4] = len;
		put_bytes(hdr, 5);
		put_bytes(msgs + off, len);
	}
}

/* ServerHello (empty body), Certificate of these, ServerHelloDone. */
static void make_flight(X509 **xs, int n, size_t frag)
{
	static __u8 msgs[TLSNOOP_FLIGHT_MAX];
	__u8 der[4096];
	size_t save, list_len = 0;
	int i, len;

	stream_len = 0;
	put_bytes("\x02\x00\x00\x00", 4);
	for (i = 0; i < n; i++)
		list_len += 3 + der_of(xs[i], der);
	put_bytes("\x0b", 1);
	put_u24(3 + list_len);
	put_u24(list_len);
	for (i = 0; i < n; i++) {
		len = der_of(xs[i], der);
		put_u24(len);
		put_bytes(der, len);
	}
	put_bytes("\x0e\x00\x00\x00", 4);
	memcpy(msgs, stream, stream_len);
	save = stream_len;
	stream_len = 0;
	put_records(msgs, save, frag);
	put_bytes("\x14\x03\x03\x00\x01\x01", 6);	/* ChangeCipherSpec */
}

static void send_flight(struct flight_table *t, const struct flow_key *k, int side, size_t off,
			size_t len)
{
	static __u8 rec[sizeof(struct flight_rec) + TLSNOOP_FLIGHT_MAX];
	struct flight_rec *r = (struct flight_rec *)rec;

	memset(r, 0, sizeof(*r));
	r->type = REC_FLIGHT;
	r->len = len;
	r->key = *k;
	r->offset = off;
	r->side = side;
	memcpy(r + 1, stream + off, len);
	flight_table_put(t, rec, sizeof(*r) + len);
}

static void test_flights(void)
{
	struct cert_cache *c = cache_with_root();
	struct flight_table *t = flight_table_new(8);
	X509 *leaf = make_cert("lab.test", leaf_key, inter, inter_key, -1, 90, "DNS:lab.test", false);
	X509 *xs[] = { leaf, inter };
	struct flow_key k = { .family = 4, .client_port = 40000, .server_port = 443 }, other = k;
	struct cert_chain chains[2];
	size_t cut1, cut2;

	current = "flight_reassembly";
	/* Records of 300 bytes (a certificate spans two), sent as three
	 * segments out of order, the client's start missing. */
	make_flight(xs, 2, 300);
	cut1 = stream_len / 3;
	cut2 = 2 * stream_len / 3;
	send_flight(t, &k, SIDE_SERVER, cut2, stream_len - cut2);
	send_flight(t, &k, SIDE_SERVER, 0, cut1);
	send_flight(t, &k, SIDE_SERVER, cut1, cut2 - cut1);
	send_flight(t, &k, SIDE_CLIENT, 517, 200);	/* no Certificate in it */
	flight_table_take(t, &k, c, chains);
	CHECK(chains[SIDE_SERVER].n == 2 && !chains[SIDE_SERVER].cut &&
	      chains[SIDE_SERVER].cert[0]->common_name.len == 8 &&
	      X509_cmp(chains[SIDE_SERVER].cert[1]->x509, inter) == 0, "server chain: %d cut %d",
	      chains[SIDE_SERVER].n, chains[SIDE_SERVER].cut);
	CHECK(chains[SIDE_CLIENT].n == 0, "client chain: %d", chains[SIDE_CLIENT].n);
	cert_chain_release(&chains[0]);
	cert_chain_release(&chains[1]);
	flight_table_take(t, &k, c, chains);
	CHECK(chains[SIDE_SERVER].n == 0, "taken twice");

	current = "flight_gap";
	/* A hole inside the intermediate: the leaf alone, cut. */
	make_flight(xs, 2, 16000);
	send_flight(t, &k, SIDE_SERVER, 0, stream_len - 200);
	send_flight(t, &k, SIDE_SERVER, stream_len - 100, 100);
	flight_table_take(t, &k, c, chains);
	CHECK(chains[SIDE_SERVER].n == 1 && chains[SIDE_SERVER].cut, "gap: %d cut %d",
	      chains[SIDE_SERVER].n, chains[SIDE_SERVER].cut);
	cert_chain_release(&chains[SIDE_SERVER]);

	current = "flight_hostile";
	/* Bad records are ignored: past the bound, a side out of range, a
	 * length longer than the record. */
	send_flight(t, &k, SIDE_SERVER, TLSNOOP_FLIGHT_MAX - 10, 10);
	send_flight(t, &k, 2, 0, 10);
	{
		struct flight_rec r = { .type = REC_FLIGHT, .len = 100, .key = k };

		flight_table_put(t, &r, sizeof(r));
		r.offset = TLSNOOP_FLIGHT_MAX;
		r.len = 1;
		flight_table_put(t, &r, sizeof(r) + 1);
	}
	flight_table_take(t, &k, c, chains);
	CHECK(chains[SIDE_SERVER].n == 0 && chains[SIDE_CLIENT].n == 0, "hostile records");

	current = "flight_evicted";
	/* More connections than the table holds: the oldest go, counted. */
	for (other.client_port = 1; other.client_port <= 64; other.client_port++)
		send_flight(t, &other, SIDE_SERVER, 0, 10);
	CHECK(flight_table_evicted(t) >= 56, "%llu evicted",
	      (unsigned long long)flight_table_evicted(t));
	X509_free(leaf);
	flight_table_free(t);
	cert_cache_free(c);
}

/* ------------------------------------------------------------ output */

static void test_json_escapes(void)
{
	struct cert_cache *c = cache_with_root();
	X509 *evil = make_cert("\"}\n\x01\xff", leaf_key, inter, inter_key, -1, 90,
			       "DNS:a\"b.test", false);
	struct event e = {};
	struct report r;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	current = "json_escapes";
	e.key.family = 4;
	e.end_cause = END_ALERT;
	e.flow.close_from = e.flow.not_tls_from = SIDE_NONE;
	report_init(&r, &e, NULL, 0);
	r.chain[SIDE_SERVER].cert[0] = get(c, evil);
	r.chain[SIDE_SERVER].n = 1;
	r.cert_findings[SIDE_SERVER] = BIT(CERT_CHAIN_INCOMPLETE);
	out_json_event(f, &r);
	fclose(f);
	for (i = 0; i < len; i++)
		CHECK(out[i] >= 0x20 && out[i] < 0x7f ? 1 : i == len - 1, "raw byte %02x at %zu",
		      (unsigned char)out[i], i);
	CHECK(strstr(out, "\"alternative_names\":[\"a\\\"b.test\"]") &&
	      strstr(out, "\"certificate_findings\":[\"chain_incomplete\"]") &&
	      strstr(out, "\"tls\":{") && strstr(out, "\"server\":{\"x509\":{"),
	      "json: %s", out);
	free(out);

	current = "summary_lines";
	{
		static struct cert_counts cc;

		e.flow.ch.sni_len = 3;
		memcpy(e.flow.ch.sni, "a\nb", 3);
		cert_counts_add(&cc, &r);
		cert_counts_add(&cc, &r);
		f = open_memstream(&out, &len);
		cert_summary_print(f, &cc);
		fclose(f);
		CHECK(!strcmp(out, "certificates (TLS <= 1.2 handshakes): server chains 2, client "
			      "chains 0\n  server chain_incomplete       2  last: a\\x0ab "
			      "(0.0.0.0:0)\n"), "summary: %s", out);
		free(out);
	}
	report_release(&r);
	X509_free(evil);
	cert_cache_free(c);
}

/* cert_chain_verify: as a TLS client verifies, against the cache's store. */
static void test_chain_verify(void)
{
	struct cert_cache *c = cache_with_root();
	X509 *leaf = make_cert("lab.test", leaf_key, inter, inter_key, -1, 90, "DNS:lab.test", false);
	X509 *expired = make_cert("old.test", leaf_key, inter, inter_key, -90, -1, "DNS:old.test",
				  false);
	X509 *self = make_cert("self.test", leaf_key, NULL, NULL, -1, 90, "DNS:self.test", false);
	struct cert_chain chain = {};
	long err;

	current = "chain verification";
	chain.cert[chain.n++] = get(c, leaf);
	chain.cert[chain.n++] = get(c, inter);
	CHECK((err = cert_chain_verify(c, &chain)) == X509_V_OK, "leaf and intermediate: %ld", err);
	chain.n = 1;
	CHECK((err = cert_chain_verify(c, &chain)) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
	      "leaf alone: %ld", err);
	chain.n = 2;
	cert_chain_release(&chain);
	chain.cert[chain.n++] = get(c, expired);
	chain.cert[chain.n++] = get(c, inter);
	CHECK((err = cert_chain_verify(c, &chain)) == X509_V_ERR_CERT_HAS_EXPIRED, "expired: %ld",
	      err);
	cert_chain_release(&chain);
	chain.cert[chain.n++] = get(c, self);
	CHECK((err = cert_chain_verify(c, &chain)) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
	      "self-signed: %ld", err);
	cert_chain_release(&chain);
	CHECK(cert_chain_verify(c, &chain) == X509_V_ERR_UNSPECIFIED, "no chain");
	X509_free(leaf);
	X509_free(expired);
	X509_free(self);
	cert_cache_free(c);
}

/* Append a handshake message of `type` holding body. */
static size_t put_message(__u8 *out, __u8 type, const __u8 *body, size_t len)
{
	out[0] = type;
	out[1] = len >> 16;
	out[2] = len >> 8;
	out[3] = len;
	if (len)
		memcpy(out + 4, body, len);
	return 4 + len;
}

/* The records of check's own hellos' answers: a ServerHello, then the
 * Certificate message, read whole, cut, and over records of every size. */
static void test_raw_chain(void)
{
	static __u8 flight[16384], certificate[12288], wire[20000];
	static const __u8 hello[] = {
		0x03, 0x03, [2 ... 33] = 0x5a, 0, 0x00, 0x0a, 0, 0x00, 0x05, 0xff, 0x01, 0x00,
		0x01, 0x00,
	};
	struct cert_cache *c = cache_with_root();
	X509 *leaf = make_cert("lab.test", leaf_key, inter, inter_key, -1, 90, "DNS:lab.test", false);
	X509 *xs[2] = { leaf, inter };
	struct probe_result res;
	size_t n_flight, n, len, at, rec, cut;
	int i, der_len;

	current = "chain after a raw ServerHello";
	n = 3;
	for (i = 0; i < 2; i++) {
		der_len = der_of(xs[i], certificate + n + 3);
		certificate[n] = der_len >> 16;
		certificate[n + 1] = der_len >> 8;
		certificate[n + 2] = der_len;
		n += 3 + der_len;
	}
	certificate[0] = (n - 3) >> 16;
	certificate[1] = (n - 3) >> 8;
	certificate[2] = n - 3;
	n_flight = put_message(flight, 2, hello, sizeof(hello));
	n_flight += put_message(flight + n_flight, 11, certificate, n);
	n_flight += put_message(flight + n_flight, 14, NULL, 0);
	/* Records of rec bytes of the flight each. */
	for (rec = 64; rec <= 16384; rec *= 4) {
		for (len = 0, at = 0; at < n_flight; at += n) {
			n = n_flight - at < rec ? n_flight - at : rec;
			wire[len] = 22;
			wire[len + 1] = 3;
			wire[len + 2] = 3;
			wire[len + 3] = n >> 8;
			wire[len + 4] = n;
			memcpy(wire + len + 5, flight + at, n);
			len += 5 + n;
		}
		memset(&res, 0, sizeof(res));
		CHECK(raw_server_reply(wire, len, &res, c) == 0, "records of %zu: decided", rec);
		CHECK(res.status == PROBE_HELLO && res.version == 0x0303 && res.cipher == 0x000a &&
		      res.secure_renegotiation, "records of %zu: the ServerHello", rec);
		CHECK(res.chain.n == 2 && !res.chain.cut &&
		      !strcmp(res.chain.cert[0]->common_name.s, "lab.test") &&
		      cert_chain_verify(c, &res.chain) == X509_V_OK, "records of %zu: %d certificates",
		      rec, res.chain.n);
		cert_chain_release(&res.chain);
		/* Cut anywhere before the Certificate's end: more is awaited, nothing kept. */
		for (cut = 0; cut < len - 9; cut += 97) {
			memset(&res, 0, sizeof(res));
			CHECK(raw_server_reply(wire, cut, &res, c) == 1 && !res.chain.n,
			      "records of %zu, cut at %zu", rec, cut);
		}
		/* Without a cache, the first record (whole, with the ServerHello) is enough. */
		memset(&res, 0, sizeof(res));
		CHECK(raw_server_reply(wire, 5 + (rec < n_flight ? rec : n_flight), &res, NULL) == 0 &&
		      res.status == PROBE_HELLO && !res.chain.n, "records of %zu, no chain asked", rec);
	}
	current = "raw flight without a Certificate";
	n_flight = put_message(flight, 2, hello, sizeof(hello));
	n_flight += put_message(flight + n_flight, 14, NULL, 0);
	wire[0] = 22;
	wire[1] = 3;
	wire[2] = 3;
	wire[3] = n_flight >> 8;
	wire[4] = n_flight;
	memcpy(wire + 5, flight, n_flight);
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(wire, 5 + n_flight, &res, c) == 0 && res.status == PROBE_HELLO &&
	      !res.chain.n && !res.chain.cut, "anonymous: no chain");
	X509_free(leaf);
	cert_cache_free(c);
}

int main(void)
{
	now = time(NULL);
	root_key = key_ec("P-256");
	inter_key = key_ec("P-256");
	leaf_key = key_ec("P-256");
	root = make_cert("tlsnoop test root", root_key, NULL, NULL, -1, 3650, NULL, true);
	inter = make_cert("tlsnoop intermediate", inter_key, root, root_key, -1, 3650, NULL, true);
	test_fields();
	test_findings();
	test_cache_bound();
	test_flights();
	test_json_escapes();
	test_chain_verify();
	test_raw_chain();
	X509_free(root);
	X509_free(inter);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(leaf_key);
	printf("test_cert: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
