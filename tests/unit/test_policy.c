// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The policy what-if (user/policy.c, policy_catalog.c, whatif.c): the
 * catalogue expands through libssl to the suites its sources list
 * (docs/policies.md), verdicts and reasons for hand-built hellos, bad SPECs,
 * and the whatif counts and report.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include "policy.h"
#include "whatif.h"
#include "check.h"

#define TLS10 0x0301
#define TLS11 0x0302
#define TLS12 0x0303
#define TLS13 0x0304

/* IANA ids of the suites the sources list, by OpenSSL name. */
#define AES128_GCM_13	0x1301
#define AES256_GCM_13	0x1302
#define CHACHA_13	0x1303
#define E_ECDSA_128_GCM	0xc02b
#define E_RSA_128_GCM	0xc02f
#define E_ECDSA_128_256	0xc023
#define E_RSA_128_256	0xc027
#define E_ECDSA_128_SHA	0xc009
#define E_RSA_128_SHA	0xc013
#define E_ECDSA_256_GCM	0xc02c
#define E_RSA_256_GCM	0xc030
#define E_ECDSA_256_384	0xc024
#define E_RSA_256_384	0xc028
#define E_RSA_256_SHA	0xc014
#define E_ECDSA_256_SHA	0xc00a
#define E_ECDSA_CHACHA	0xcca9
#define E_RSA_CHACHA	0xcca8
#define RSA_128_GCM	0x009c
#define RSA_128_256	0x003c
#define RSA_128_SHA	0x002f
#define RSA_256_GCM	0x009d
#define RSA_256_256	0x003d
#define RSA_256_SHA	0x0035
#define DHE_128_GCM	0x009e
#define DHE_256_GCM	0x009f
#define DHE_CHACHA	0xccaa
#define DHE_128_256	0x0067
#define DHE_256_256	0x006b
#define RSA_3DES	0x000a

#define X25519		29
#define P256		23
#define P384		24
#define P521		25
#define FFDHE2048	256

#define RSA_PSS_SHA256	0x0804
#define RSA_PKCS1_SHA1	0x0201
#define RSA_PKCS1_SHA256 0x0401
#define ECDSA_P256	0x0403

#define LIST_MAX 40

struct expected {
	const char *name;
	__u16 min, max;
	__u16 suites[LIST_MAX];		/* in libssl's order: TLS 1.3 first; 0 ends */
	__u16 groups[POLICY_GROUPS_MAX];
};

#define TLS13_SUITES AES128_GCM_13, AES256_GCM_13, CHACHA_13
#define ELB_FS_GCM E_ECDSA_128_GCM, E_RSA_128_GCM, E_ECDSA_256_GCM, E_RSA_256_GCM
#define ELB_FS_SHA2 E_ECDSA_128_GCM, E_RSA_128_GCM, E_ECDSA_128_256, E_RSA_128_256, \
	E_ECDSA_256_GCM, E_RSA_256_GCM, E_ECDSA_256_384, E_RSA_256_384
#define ELB_RSA_SHA2 RSA_128_GCM, RSA_128_256, RSA_256_GCM, RSA_256_256
#define ELB_2016_08 E_ECDSA_128_GCM, E_RSA_128_GCM, E_ECDSA_128_256, E_RSA_128_256, \
	E_ECDSA_128_SHA, E_RSA_128_SHA, E_ECDSA_256_GCM, E_RSA_256_GCM, E_ECDSA_256_384, \
	E_RSA_256_384, E_RSA_256_SHA, E_ECDSA_256_SHA, RSA_128_GCM, RSA_128_256, RSA_128_SHA, \
	RSA_256_GCM, RSA_256_256, RSA_256_SHA
#define MOZ_INTERMEDIATE E_ECDSA_128_GCM, E_RSA_128_GCM, E_ECDSA_256_GCM, E_RSA_256_GCM, \
	E_ECDSA_CHACHA, E_RSA_CHACHA, DHE_128_GCM, DHE_256_GCM, DHE_CHACHA
#define OPENSSL_GROUPS X25519, P256, 30, P521, P384, 256, 257, 258, 259, 260
#define MOZ_GROUPS X25519, P256, P384

/* The documented lists (docs/policies.md), as IANA ids. */
static const struct expected catalogue[] = {
	{ "ELBSecurityPolicy-TLS13-1-2-2021-06", TLS12, TLS13,
	  { TLS13_SUITES, ELB_FS_SHA2 }, { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", TLS12, TLS13,
	  { TLS13_SUITES, ELB_FS_GCM }, { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-TLS13-1-3-2021-06", TLS13, TLS13, { TLS13_SUITES }, { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", TLS12, TLS13,
	  { TLS13_SUITES, ELB_FS_SHA2, ELB_RSA_SHA2 }, { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-2016-08", TLS10, TLS12, { ELB_2016_08 }, { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-TLS-1-2-2017-01", TLS12, TLS12, { ELB_FS_SHA2, ELB_RSA_SHA2 },
	  { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", TLS12, TLS12, { ELB_2016_08 },
	  { OPENSSL_GROUPS } },
	{ "ELBSecurityPolicy-FS-1-2-Res-2020-10", TLS12, TLS12, { ELB_FS_GCM }, { OPENSSL_GROUPS } },
	{ "mozilla-modern", TLS13, TLS13, { TLS13_SUITES }, { MOZ_GROUPS } },
	{ "mozilla-intermediate", TLS12, TLS13, { TLS13_SUITES, MOZ_INTERMEDIATE }, { MOZ_GROUPS } },
	{ "mozilla-old", TLS10, TLS13,
	  { TLS13_SUITES, MOZ_INTERMEDIATE, E_ECDSA_128_256, E_RSA_128_256, E_ECDSA_128_SHA,
	    E_RSA_128_SHA, E_ECDSA_256_384, E_RSA_256_384, E_ECDSA_256_SHA, E_RSA_256_SHA,
	    DHE_128_256, DHE_256_256, RSA_128_GCM, RSA_256_GCM, RSA_128_256, RSA_256_256,
	    RSA_128_SHA, RSA_256_SHA, RSA_3DES }, { MOZ_GROUPS } },
};

/* Debian's libssl 3 has no 3DES suite: the server would not offer it. */
static bool libssl_has(const char *cipher)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	bool has = ctx && SSL_CTX_set_cipher_list(ctx, cipher);

	SSL_CTX_free(ctx);
	return has;
}

static int count(const __u16 *list, int max)
{
	int n = 0;

	while (n < max && list[n])
		n++;
	return n;
}

static void check_entry(const struct expected *x)
{
	struct policy *p = calloc(1, sizeof(*p));
	__u16 want[LIST_MAX];
	int i, n = 0;
	char err[256];

	current = x->name;
	for (i = 0; i < count(x->suites, LIST_MAX); i++)
		if (x->suites[i] != RSA_3DES || libssl_has("DES-CBC3-SHA"))
			want[n++] = x->suites[i];
	CHECK(!policy_parse(x->name, p, err, sizeof(err)), "parse: %s", err);
	CHECK(p->min_version == x->min && p->max_version == x->max, "versions %04x-%04x",
	      p->min_version, p->max_version);
	CHECK(p->n_suites == n, "%d suites, expected %d", p->n_suites, n);
	for (i = 0; i < n && i < p->n_suites; i++)
		CHECK(p->suites[i].id == want[i], "suite %d: %04x, expected %04x", i,
		      p->suites[i].id, want[i]);
	CHECK(p->n_groups == count(x->groups, POLICY_GROUPS_MAX), "%d groups", p->n_groups);
	for (i = 0; i < p->n_groups; i++)
		CHECK(p->groups[i] == x->groups[i], "group %d: %u", i, p->groups[i]);
	free(p);
}

static void test_catalogue(void)
{
	size_t i;

	CHECK(policy_catalog_count == sizeof(catalogue) / sizeof(catalogue[0]),
	      "catalogue has %zu entries", policy_catalog_count);
	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		check_entry(&catalogue[i]);
}

/* ------------------------------------------------------------ verdicts */

/* A ClientHello's offers; lists end at 0, and an empty list means the
 * extension was not sent. */
struct offer {
	__u16 legacy;
	__u16 versions[4];
	__u16 ciphers[16];
	__u16 groups[8];
	__u16 sigalgs[8];
};

static void add_list(__u16 *dst, __u16 *n, const __u16 *src, int max)
{
	*n = count(src, max);
	memcpy(dst, src, *n * sizeof(*src));
}

static void build(const struct offer *o, struct hello_info *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	h->ch.flags = HELLO_SEEN;
	h->ch.legacy_version = o->legacy ? o->legacy : TLS12;
	for (i = 0; i < 4 && o->versions[i]; i++) {
		h->ch.versions_mask |= VERSION_BIT(o->versions[i]);
		if (o->versions[i] > h->ch.max_version)
			h->ch.max_version = o->versions[i];
	}
	if (o->versions[0]) {
		h->ch.flags |= HELLO_HAS_SUPP_VERSIONS;
		h->exts[h->n_exts++] = 43;
	}
	if (o->groups[0])
		h->exts[h->n_exts++] = 10;
	if (o->sigalgs[0])
		h->exts[h->n_exts++] = 13;
	add_list(h->ciphers, &h->n_ciphers, o->ciphers, 16);
	add_list(h->groups, &h->n_groups, o->groups, 8);
	add_list(h->sigalgs, &h->n_sigalgs, o->sigalgs, 8);
}

static enum policy_reason judge(const char *spec, enum policy_cert cert, const struct offer *o)
{
	static struct policy p;
	struct hello_info h;
	char err[256];

	if (policy_parse(spec, &p, err, sizeof(err))) {
		CHECK(0, "parse %s: %s", spec, err);
		return POLICY_REASON_MAX;
	}
	build(o, &h);
	return policy_evaluate(&p, cert, &h);
}

#define EXPECT(spec, cert, want, ...)						\
	do {									\
		enum policy_reason got = judge(spec, cert, &(struct offer){ __VA_ARGS__ }); \
		CHECK(got == (want), "%s: %s, expected %s", spec,		\
		      policy_reason_name(got), policy_reason_name(want));	\
	} while (0)

#define RSA	POLICY_CERT_RSA
#define ECDSA	POLICY_CERT_ECDSA
#define RES	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
/* A TLS 1.3 client as curl/OpenSSL 3 sends it. */
#define MODERN_13 .versions = { TLS13, TLS12 }, .ciphers = { TLS13_SUITES, E_RSA_128_GCM }, \
	.groups = { X25519, P256 }, .sigalgs = { ECDSA_P256, RSA_PSS_SHA256, RSA_PKCS1_SHA256 }

static void test_versions(void)
{
	current = "versions";
	EXPECT(RES, RSA, POLICY_ACCEPT, MODERN_13);
	/* TLS 1.0 only, no supported_versions: nothing in common. */
	EXPECT(RES, RSA, POLICY_VERSION, .legacy = TLS10, .ciphers = { E_RSA_128_SHA });
	EXPECT("ELBSecurityPolicy-2016-08", RSA, POLICY_ACCEPT, .legacy = TLS10,
	       .ciphers = { E_RSA_128_SHA });
	/* TLS 1.3 only against a TLS 1.2 policy. */
	EXPECT("ELBSecurityPolicy-FS-1-2-Res-2020-10", RSA, POLICY_VERSION,
	       .versions = { TLS13 }, .ciphers = { TLS13_SUITES }, .groups = { X25519 },
	       .sigalgs = { RSA_PSS_SHA256 });
	/* Without supported_versions, anything up to legacy_version: 1.2 here. */
	EXPECT(RES, RSA, POLICY_ACCEPT, .legacy = TLS12, .ciphers = { E_RSA_256_GCM },
	       .groups = { P256 }, .sigalgs = { RSA_PKCS1_SHA256 });
	/* TLS 1.1 through supported_versions, and a 1.2 policy. */
	EXPECT(RES, RSA, POLICY_VERSION, .versions = { TLS11, TLS10 },
	       .ciphers = { E_RSA_128_GCM });
}

static void test_ciphers(void)
{
	current = "ciphers";
	EXPECT("ELBSecurityPolicy-FS-1-2-Res-2020-10", RSA, POLICY_CIPHER, .legacy = TLS12,
	       .ciphers = { RSA_128_SHA, E_RSA_128_SHA });
	/* Only ECDSA suites: an RSA certificate cannot serve them. */
	EXPECT(RES, RSA, POLICY_CIPHER, .versions = { TLS12 },
	       .ciphers = { E_ECDSA_128_GCM, E_ECDSA_256_GCM }, .groups = { P256 },
	       .sigalgs = { ECDSA_P256 });
	EXPECT(RES, ECDSA, POLICY_ACCEPT, .versions = { TLS12 },
	       .ciphers = { E_ECDSA_128_GCM, E_ECDSA_256_GCM }, .groups = { P256 },
	       .sigalgs = { ECDSA_P256 });
	/* A TLS 1.2-only suite (GCM) at TLS 1.1; CBC-SHA is usable there. */
	EXPECT("ELBSecurityPolicy-2016-08", RSA, POLICY_CIPHER, .legacy = TLS11,
	       .ciphers = { E_RSA_128_GCM, RSA_128_GCM });
	EXPECT("ELBSecurityPolicy-2016-08", RSA, POLICY_ACCEPT, .legacy = TLS11,
	       .ciphers = { E_RSA_128_GCM, RSA_128_SHA });
	/* TLS 1.3 chosen, only TLS 1.2 suites offered: no fallback to 1.2. */
	EXPECT(RES, RSA, POLICY_CIPHER, .versions = { TLS13, TLS12 },
	       .ciphers = { E_RSA_128_GCM }, .groups = { X25519 }, .sigalgs = { RSA_PSS_SHA256 });
	/* DHE needs dhparams, which the modelled server has not. */
	EXPECT("mozilla-intermediate", RSA, POLICY_CIPHER, .versions = { TLS12 },
	       .ciphers = { DHE_128_GCM, DHE_CHACHA }, .sigalgs = { RSA_PSS_SHA256 });
	/* RSA key exchange needs neither a curve nor ECDHE. */
	EXPECT("ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", RSA, POLICY_ACCEPT,
	       .versions = { TLS12 }, .ciphers = { RSA_128_GCM }, .sigalgs = { RSA_PKCS1_SHA256 });
	EXPECT(RES, RSA, POLICY_CIPHER, .versions = { TLS12 }, .ciphers = { RSA_128_GCM },
	       .sigalgs = { RSA_PKCS1_SHA256 });
	/* A user cipher string. */
	EXPECT("openssl:ECDHE+AESGCM:TLSv1.2:TLSv1.2", RSA, POLICY_ACCEPT, .legacy = TLS12,
	       .ciphers = { E_RSA_256_GCM });
	EXPECT("openssl:ECDHE+AESGCM:TLSv1.2:TLSv1.2", RSA, POLICY_CIPHER, .legacy = TLS12,
	       .ciphers = { E_RSA_CHACHA });
}

static void test_groups(void)
{
	current = "groups";
	/* TLS 1.3 with P-521 only: not a Mozilla curve, but an OpenSSL default. */
	EXPECT("mozilla-modern", RSA, POLICY_GROUP, .versions = { TLS13 },
	       .ciphers = { TLS13_SUITES }, .groups = { P521 }, .sigalgs = { RSA_PSS_SHA256 });
	EXPECT("ELBSecurityPolicy-TLS13-1-3-2021-06", RSA, POLICY_ACCEPT, .versions = { TLS13 },
	       .ciphers = { TLS13_SUITES }, .groups = { P521 }, .sigalgs = { RSA_PSS_SHA256 });
	/* TLS 1.3 needs supported_groups; FFDHE counts there. */
	EXPECT(RES, RSA, POLICY_GROUP, .versions = { TLS13 }, .ciphers = { TLS13_SUITES },
	       .sigalgs = { RSA_PSS_SHA256 });
	EXPECT(RES, RSA, POLICY_ACCEPT, .versions = { TLS13 }, .ciphers = { TLS13_SUITES },
	       .groups = { FFDHE2048 }, .sigalgs = { RSA_PSS_SHA256 });
	/* TLS 1.2 ECDHE: no curve in common; without the extension, the default one. */
	EXPECT(RES, RSA, POLICY_GROUP, .versions = { TLS12 }, .ciphers = { E_RSA_128_GCM },
	       .groups = { FFDHE2048 }, .sigalgs = { RSA_PSS_SHA256 });
	EXPECT(RES, RSA, POLICY_ACCEPT, .legacy = TLS12, .ciphers = { E_RSA_128_GCM });
	/* A suite without a curve problem wins over one with. */
	EXPECT("ELBSecurityPolicy-TLS-1-2-2017-01", RSA, POLICY_ACCEPT, .legacy = TLS12,
	       .ciphers = { E_RSA_128_GCM, RSA_128_GCM }, .groups = { FFDHE2048 });
}

static void test_sigalgs(void)
{
	current = "sigalgs";
	/* TLS 1.3 and an RSA certificate: rsa_pss_rsae_* only. */
	EXPECT(RES, RSA, POLICY_SIGALG, .versions = { TLS13 }, .ciphers = { TLS13_SUITES },
	       .groups = { X25519 }, .sigalgs = { ECDSA_P256, RSA_PKCS1_SHA256 });
	EXPECT(RES, ECDSA, POLICY_ACCEPT, .versions = { TLS13 }, .ciphers = { TLS13_SUITES },
	       .groups = { X25519 }, .sigalgs = { ECDSA_P256, RSA_PKCS1_SHA256 });
	EXPECT(RES, RSA, POLICY_SIGALG, .versions = { TLS13 }, .ciphers = { TLS13_SUITES },
	       .groups = { X25519 });
	/* TLS 1.2: rsa_pkcs1 counts, SHA-1 does not. */
	EXPECT(RES, RSA, POLICY_ACCEPT, .versions = { TLS12 }, .ciphers = { E_RSA_128_GCM },
	       .groups = { X25519 }, .sigalgs = { RSA_PKCS1_SHA256 });
	EXPECT(RES, RSA, POLICY_SIGALG, .versions = { TLS12 }, .ciphers = { E_RSA_128_GCM },
	       .groups = { X25519 }, .sigalgs = { RSA_PKCS1_SHA1 });
	/* No signature_algorithms before TLS 1.2. */
	EXPECT("ELBSecurityPolicy-2016-08", RSA, POLICY_ACCEPT, .legacy = TLS10,
	       .ciphers = { E_RSA_128_SHA }, .sigalgs = { RSA_PKCS1_SHA1 });
}

static void test_bad_specs(void)
{
	static const char *const bad[] = {
		"", "ELBSecurityPolicy-Bogus", "mozilla", "openssl:", "openssl:ECDHE+AESGCM",
		"openssl::TLSv1.2", "openssl:ECDHE+AESGCM:TLSv1.4", "openssl:ECDHE+AESGCM:tlsv1.2",
		"openssl:ECDHE+AESGCM:TLSv1.3:TLSv1.2", "openssl:NOSUCHCIPHER:TLSv1.2",
		"openssl:TLS_NO_SUCH_SUITE:TLSv1.3", "openssl:ECDHE+AESGCM:TLSv1.2:TLSv1.3:",
		/* Empty after expansion: TLS 1.3 suites only, versions up to 1.2. */
		"openssl:TLS_AES_128_GCM_SHA256:TLSv1:TLSv1.2",
		/* GCM suites cannot be used before TLS 1.2. */
		"openssl:ECDHE+AESGCM:TLSv1:TLSv1.1",
		"ssl:ECDHE+AESGCM:TLSv1.2",
	};
	static struct policy p;
	char err[256];
	size_t i;

	current = "bad specs";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(policy_parse(bad[i], &p, err, sizeof(err)) == -1 && err[0] &&
		      !strchr(err, '\n'), "'%s' accepted (or no one-line reason: '%s')", bad[i], err);
	}
	CHECK(!policy_parse("openssl:ECDHE+AESGCM:ECDHE+CHACHA20:TLSv1.2", &p, err, sizeof(err)),
	      "colons inside the cipher string: %s", err);
	CHECK(p.min_version == TLS12 && p.max_version == TLS13, "MINVER alone: up to TLS 1.3");
}

static void test_not_judged(void)
{
	struct policy_set *set = calloc(1, sizeof(*set));
	struct policy_verdicts v;
	struct hello_info h;
	char err[256];

	current = "not judged";
	set->n = 1;
	CHECK(!policy_parse(RES, &set->policy[0], err, sizeof(err)), "%s", err);
	build(&(struct offer){ MODERN_13 }, &h);
	policy_judge(set, &h, &v);
	CHECK(v.n == 1 && v.why[0] == POLICY_ACCEPT && v.policy[0] == &set->policy[0], "judged");
	h.ch.flags |= HELLO_TRUNCATED;
	policy_judge(set, &h, &v);
	CHECK(v.n == 0, "a truncated hello is not judged");
	policy_judge(set, NULL, &v);
	CHECK(v.n == 0, "no hello");
	policy_judge(NULL, &h, &v);
	CHECK(v.n == 0, "no policy");
	free(set);
}

/* ------------------------------------------------------------ whatif */

static void add_event(struct whatif *w, const struct policy_set *set, __u8 last_octet,
		      const struct offer *o, const char *ja4)
{
	struct hello_info h;
	struct event e = {};
	struct report r = {};

	build(o, &h);
	snprintf(h.ja4, sizeof(h.ja4), "%s", ja4);
	e.key.family = 4;
	e.key.client_addr[0] = 198;
	e.key.client_addr[1] = 19;
	e.key.client_addr[3] = last_octet;
	r.e = &e;
	r.hello = &h;
	policy_judge(set, &h, &r.policy);
	whatif_add(w, &r);
}

static void test_whatif(void)
{
	struct policy_set *set = calloc(1, sizeof(*set));
	struct offer tls11 = { .legacy = TLS11, .ciphers = { E_RSA_128_SHA } };
	struct offer cbc12 = { .legacy = TLS12, .ciphers = { E_RSA_128_SHA } };
	struct offer ok = { MODERN_13 };
	struct event no_hello = {};
	struct report none = { .e = &no_hello };
	struct whatif *w;
	char *text = NULL, err[256];
	size_t len;
	FILE *out;
	int i;

	current = "whatif";
	set->n = 2;
	CHECK(!policy_parse(RES, &set->policy[0], err, sizeof(err)), "%s", err);
	CHECK(!policy_parse("ELBSecurityPolicy-2016-08", &set->policy[1], err, sizeof(err)),
	      "%s", err);
	w = whatif_new(set);
	if (!w)
		return;
	/* Three TLS 1.1 clients (one twice), two CBC-only 1.2 clients, one fine. */
	for (i = 1; i <= 3; i++)
		add_event(w, set, i, &tls11, "t11i010000_aaaaaaaaaaaa_000000000000");
	add_event(w, set, 1, &tls11, "t11i010000_aaaaaaaaaaaa_000000000000");
	add_event(w, set, 10, &cbc12, "t12i010000_bbbbbbbbbbbb_000000000000");
	add_event(w, set, 11, &cbc12, "t12i010000_bbbbbbbbbbbb_000000000000");
	add_event(w, set, 20, &ok, "t13d0405h2_cccccccccccc_dddddddddddd");
	whatif_add(w, &none);	/* an event without a hello */
	CHECK(w->p[0].judged == 7 && w->p[0].rejected == 6, "judged %llu rejected %llu",
	      (unsigned long long)w->p[0].judged, (unsigned long long)w->p[0].rejected);
	CHECK(w->p[0].by_reason[POLICY_VERSION] == 4 && w->p[0].by_reason[POLICY_CIPHER] == 2,
	      "reasons");
	CHECK(w->p[1].rejected == 0, "2016-08 takes them all");
	CHECK(w->not_judged == 1, "not judged %llu", (unsigned long long)w->not_judged);

	out = open_memstream(&text, &len);
	whatif_print(out, w);
	fclose(out);
	CHECK(strstr(text, "moving to " RES " breaks 5 clients (6 handshakes) of 6 clients "
		     "(7 handshakes) judged") != NULL, "headline:\n%s", text);
	CHECK(strstr(text, "rejected because: version=4 cipher=2") != NULL, "reasons:\n%s", text);
	CHECK(strstr(text, "t11i010000_aaaaaaaaaaaa_000000000000          3          4  "
		     "version 1.1  version=4") != NULL, "JA4 row:\n%s", text);
	CHECK(strstr(text, "    1.2                                           2          2  "
		     "cipher  1.2  cipher=2") != NULL, "version row:\n%s", text);
	CHECK(strstr(text, "moving to ELBSecurityPolicy-2016-08 breaks 0 clients (0 handshakes)")
	      != NULL, "2016-08:\n%s", text);
	CHECK(strstr(text, "not judged): 1") != NULL, "not judged:\n%s", text);
	free(text);
	whatif_free(w);
	free(set);
}

int main(void)
{
	test_catalogue();
	test_versions();
	test_ciphers();
	test_groups();
	test_sigalgs();
	test_bad_specs();
	test_not_judged();
	test_whatif();
	printf("test_policy: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
