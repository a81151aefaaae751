// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Would a server with this policy accept this ClientHello? Policies are
 * expanded by libssl (the cipher string, the versions, the groups), then
 * judged against the hello's offers with the model of docs/policies.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include "policy.h"

#define TLS1_0	0x0301
#define TLS1_2	0x0303
#define TLS1_3	0x0304

#define EXT_SUPPORTED_GROUPS	10
#define EXT_SIGNATURE_ALGORITHMS 13

#define SPEC_PREFIX	"openssl:"
#define CIPHERS_MAX	2048	/* a cipher string, as given */

static const struct {
	const char *name;
	__u16 version;
} versions[] = {
	{ "TLSv1", 0x0301 }, { "TLSv1.1", 0x0302 }, { "TLSv1.2", 0x0303 }, { "TLSv1.3", 0x0304 },
};

/* Group names libssl accepts, and their IANA ids. */
static const struct {
	const char *name;
	__u16 id;
} group_ids[] = {
	{ "P-256", 23 }, { "secp256r1", 23 }, { "prime256v1", 23 },
	{ "P-384", 24 }, { "secp384r1", 24 },
	{ "P-521", 25 }, { "secp521r1", 25 },
	{ "X25519", 29 }, { "x25519", 29 }, { "X448", 30 }, { "x448", 30 },
	{ "ffdhe2048", 256 }, { "ffdhe3072", 257 }, { "ffdhe4096", 258 },
	{ "ffdhe6144", 259 }, { "ffdhe8192", 260 },
};

/* OpenSSL 3.0's default server groups (ssl/t1_lib.c supported_groups_default,
 * as the default provider offers them). */
#define DEFAULT_GROUPS "X25519:P-256:X448:P-521:P-384:ffdhe2048:ffdhe3072:ffdhe4096:" \
		       "ffdhe6144:ffdhe8192"

/* Signature schemes a certificate can sign with: RSA in TLS 1.3 only with
 * rsa_pss_rsae_*, in TLS 1.2 also rsa_pkcs1_*; ECDSA (a P-256 key) in TLS 1.3
 * only ecdsa_secp256r1_sha256. SHA-1 schemes are left out: OpenSSL 3 refuses
 * them at its default security level. */
static const __u16 rsa_tls13_sigalgs[] = { 0x0804, 0x0805, 0x0806 };
static const __u16 rsa_tls12_sigalgs[] = { 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601 };
static const __u16 ecdsa_tls13_sigalgs[] = { 0x0403 };
static const __u16 ecdsa_tls12_sigalgs[] = { 0x0403, 0x0503, 0x0603 };

static const char *const reason_names[POLICY_REASON_MAX] = {
	[POLICY_ACCEPT] = "accept",
	[POLICY_VERSION] = "version",
	[POLICY_CIPHER] = "cipher",
	[POLICY_GROUP] = "group",
	[POLICY_SIGALG] = "sigalg",
};

const char *policy_reason_name(enum policy_reason why)
{
	return why < POLICY_REASON_MAX ? reason_names[why] : "?";
}

static __u16 version_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(versions[i].name, name))
			return versions[i].version;
	return 0;
}

const char *policy_version_name(__u16 version)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].version == version)
			return versions[i].name;
	return "?";
}

/* ------------------------------------------------------------ expansion */

static void __attribute__((format(printf, 3, 4)))
say(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static bool is_separator(char c)
{
	return c == ':' || c == ',' || c == ' ';
}

/* Split a cipher string into its TLS 1.3 suite names (TLS_*, for
 * SSL_CTX_set_ciphersuites) and the rest (for SSL_CTX_set_cipher_list). */
static void split_ciphers(const char *s, char *tls13, char *rest)
{
	char *out;
	size_t len;

	*tls13 = *rest = '\0';
	while (*s) {
		for (len = 0; s[len] && !is_separator(s[len]); len++)
			;
		if (len) {
			out = strncmp(s, "TLS_", 4) ? rest : tls13;
			if (*out)
				strcat(out, ":");
			strncat(out, s, len);
		}
		s += len + (s[len] != '\0');
	}
}

static __u16 group_id(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(group_ids) / sizeof(group_ids[0]); i++)
		if (strlen(group_ids[i].name) == len && !strncmp(group_ids[i].name, name, len))
			return group_ids[i].id;
	return 0;
}

/* libssl checks the list as a server would; the ids come from our table. */
static int expand_groups(SSL_CTX *ctx, const char *list, struct policy *p, char *err,
			 size_t err_size)
{
	const char *s = list;
	size_t len;
	__u16 id;

	if (!SSL_CTX_set1_groups_list(ctx, list)) {
		say(err, err_size, "OpenSSL does not accept the group list '%s'", list);
		return -1;
	}
	while (*s) {
		len = strcspn(s, ":");
		id = group_id(s, len);
		if (!id || p->n_groups >= POLICY_GROUPS_MAX) {
			say(err, err_size, "group '%.*s' is not one tlsnoop models", (int)len, s);
			return -1;
		}
		p->groups[p->n_groups++] = id;
		s += len + (s[len] == ':');
	}
	return 0;
}

static enum policy_kx suite_kx(const SSL_CIPHER *c)
{
	switch (SSL_CIPHER_get_kx_nid(c)) {
	case NID_kx_ecdhe:
		return KX_ECDHE;
	case NID_kx_dhe:
		return KX_DHE;
	case NID_kx_rsa:
		return KX_RSA;
	case NID_kx_any:
		return KX_TLS13;
	default:
		return KX_OTHER;
	}
}

static enum policy_auth suite_auth(const SSL_CIPHER *c)
{
	switch (SSL_CIPHER_get_auth_nid(c)) {
	case NID_auth_rsa:
		return AUTH_RSA;
	case NID_auth_ecdsa:
		return AUTH_ECDSA;
	case NID_auth_any:
		return AUTH_TLS13;
	default:
		return AUTH_OTHER;
	}
}

/* The suites libssl expanded, those usable within the policy's versions. */
static int read_suites(SSL_CTX *ctx, bool want_tls12, struct policy *p, char *err,
		       size_t err_size)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	struct policy_suite s;
	const SSL_CIPHER *c;
	const char *first;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		c = sk_SSL_CIPHER_value(sk, i);
		/* SSL_CIPHER_get_version names the first version defining it. */
		first = SSL_CIPHER_get_version(c);
		s.id = SSL_CIPHER_get_protocol_id(c);
		s.min_version = !strcmp(first, "SSLv3") ? 0x0300 : version_from_name(first);
		if (!strcmp(first, "TLSv1.0"))
			s.min_version = TLS1_0;
		s.max_version = s.min_version == TLS1_3 ? TLS1_3 : TLS1_2;
		s.kx = suite_kx(c);
		s.auth = suite_auth(c);
		if (!s.min_version || (s.min_version < TLS1_3 && !want_tls12) ||
		    s.min_version > p->max_version || s.max_version < p->min_version)
			continue;
		if (p->n_suites >= POLICY_SUITES_MAX) {
			say(err, err_size, "more than %d cipher suites", POLICY_SUITES_MAX);
			return -1;
		}
		p->suites[p->n_suites++] = s;
	}
	return 0;
}

static int expand(const struct policy_entry *e, struct policy *p, char *err, size_t err_size)
{
	char tls13[CIPHERS_MAX], rest[CIPHERS_MAX];
	SSL_CTX *ctx = NULL;
	int ret = -1;

	p->min_version = version_from_name(e->min_version);
	p->max_version = version_from_name(e->max_version);
	if (!p->min_version || !p->max_version || p->min_version > p->max_version) {
		say(err, err_size, "bad versions '%s' to '%s': expected TLSv1, TLSv1.1, TLSv1.2 "
		    "or TLSv1.3, lowest first", e->min_version, e->max_version);
		return -1;
	}
	if (strlen(e->ciphers) >= CIPHERS_MAX) {
		say(err, err_size, "cipher string longer than %d bytes", CIPHERS_MAX - 1);
		return -1;
	}
	split_ciphers(e->ciphers, tls13, rest);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		say(err, err_size, "OpenSSL cannot create a server context");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, p->min_version);
	SSL_CTX_set_max_proto_version(ctx, p->max_version);
	if (*rest && !SSL_CTX_set_cipher_list(ctx, rest)) {
		say(err, err_size, "OpenSSL matches no cipher suite in '%s'", rest);
		goto cleanup;
	}
	/* Without TLS_* names, TLS 1.3 keeps OpenSSL's default suites, as
	 * servers configured with a cipher string alone do. */
	if (*tls13 && !SSL_CTX_set_ciphersuites(ctx, tls13)) {
		say(err, err_size, "OpenSSL does not accept the TLS 1.3 suites '%s'", tls13);
		goto cleanup;
	}
	if (expand_groups(ctx, e->groups ? e->groups : DEFAULT_GROUPS, p, err, err_size) ||
	    read_suites(ctx, *rest, p, err, err_size))
		goto cleanup;
	if (!p->n_suites) {
		say(err, err_size, "no cipher suite of '%s' can be used from %s to %s",
		    e->ciphers, e->min_version, e->max_version);
		goto cleanup;
	}
	ret = 0;
cleanup:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

/* openssl:CIPHERSTRING:MINVER[:MAXVER]; the cipher string may hold colons,
 * so the versions are read from the end. */
static int parse_openssl_spec(const char *spec, struct policy *p, char *err, size_t err_size)
{
	char buf[POLICY_NAME_MAX], *last, *before;
	struct policy_entry e = {};

	snprintf(buf, sizeof(buf), "%s", spec + strlen(SPEC_PREFIX));
	last = strrchr(buf, ':');
	if (!last || !version_from_name(last + 1)) {
		say(err, err_size, "expected openssl:CIPHERSTRING:MINVER[:MAXVER] with versions "
		    "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, e.g. openssl:ECDHE+AESGCM:TLSv1.2");
		return -1;
	}
	*last = '\0';
	e.min_version = e.max_version = last + 1;
	before = strrchr(buf, ':');
	if (before && version_from_name(before + 1)) {
		*before = '\0';
		e.min_version = before + 1;
	} else {
		e.max_version = "TLSv1.3";	/* MINVER alone: up to the highest */
	}
	if (!buf[0]) {
		say(err, err_size, "empty cipher string");
		return -1;
	}
	e.ciphers = buf;
	return expand(&e, p, err, err_size);
}

int policy_parse(const char *spec, struct policy *p, char *err, size_t err_size)
{
	const struct policy_entry *e = policy_catalog_find(spec);

	memset(p, 0, sizeof(*p));
	if (strlen(spec) >= sizeof(p->name)) {
		say(err, err_size, "longer than %d bytes", POLICY_NAME_MAX - 1);
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", spec);
	if (e)
		return expand(e, p, err, err_size);
	if (strncmp(spec, SPEC_PREFIX, strlen(SPEC_PREFIX))) {
		say(err, err_size, "not a built-in policy (see docs/policies.md) nor "
		    "openssl:CIPHERSTRING:MINVER[:MAXVER]");
		return -1;
	}
	return parse_openssl_spec(spec, p, err, err_size);
}

/* ------------------------------------------------------------ judgement */

static bool in_list(const __u16 *list, size_t n, __u16 v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

static bool has_ext(const struct hello_info *h, __u16 type)
{
	return in_list(h->exts, h->n_exts, type);
}

/* The highest version both sides allow (0: none): from supported_versions
 * if sent, else anything up to the hello's legacy_version. */
static __u16 chosen_version(const struct policy *p, const struct client_hello *ch)
{
	__u16 v;

	if (ch->flags & HELLO_HAS_SUPP_VERSIONS) {
		for (v = p->max_version; v >= p->min_version; v--)
			if (ch->versions_mask & VERSION_BIT(v))
				return v;
		return 0;
	}
	v = ch->legacy_version < p->max_version ? ch->legacy_version : p->max_version;
	return v >= p->min_version ? v : 0;
}

/* A group both offer; in TLS 1.2 only elliptic curves count, and a client
 * without supported_groups takes the server's default curve. */
static bool common_group(const struct policy *p, const struct hello_info *h, __u16 version)
{
	int i;

	if (!has_ext(h, EXT_SUPPORTED_GROUPS))
		return version < TLS1_3;
	for (i = 0; i < p->n_groups; i++)
		if ((version == TLS1_3 || p->groups[i] < 256) &&
		    in_list(h->groups, h->n_groups, p->groups[i]))
			return true;
	return false;
}

static bool sigalg_usable(enum policy_cert cert, __u16 version, const struct hello_info *h)
{
	const __u16 *usable;
	size_t i, n;

	if (version < TLS1_2)
		return true;	/* no signature_algorithms before TLS 1.2 */
	if (!has_ext(h, EXT_SIGNATURE_ALGORITHMS))
		return version < TLS1_3;	/* TLS 1.2 assumes defaults */
	if (cert == POLICY_CERT_RSA) {
		usable = version == TLS1_3 ? rsa_tls13_sigalgs : rsa_tls12_sigalgs;
		n = version == TLS1_3 ? sizeof(rsa_tls13_sigalgs) : sizeof(rsa_tls12_sigalgs);
	} else {
		usable = version == TLS1_3 ? ecdsa_tls13_sigalgs : ecdsa_tls12_sigalgs;
		n = version == TLS1_3 ? sizeof(ecdsa_tls13_sigalgs) : sizeof(ecdsa_tls12_sigalgs);
	}
	for (i = 0; i < n / sizeof(usable[0]); i++)
		if (in_list(h->sigalgs, h->n_sigalgs, usable[i]))
			return true;
	return false;
}

static bool suite_offered_at(const struct policy_suite *s, __u16 version,
			     const struct hello_info *h)
{
	return s->min_version <= version && version <= s->max_version &&
	       in_list(h->ciphers, h->n_ciphers, s->id);
}

static bool auth_matches(const struct policy_suite *s, enum policy_cert cert)
{
	return (s->auth == AUTH_RSA && cert == POLICY_CERT_RSA) ||
	       (s->auth == AUTH_ECDSA && cert == POLICY_CERT_ECDSA);
}

static enum policy_reason judge_tls13(const struct policy *p, enum policy_cert cert,
				      const struct hello_info *h)
{
	int i;

	for (i = 0; i < p->n_suites; i++)
		if (suite_offered_at(&p->suites[i], TLS1_3, h))
			break;
	if (i == p->n_suites)
		return POLICY_CIPHER;
	if (!common_group(p, h, TLS1_3))
		return POLICY_GROUP;
	return sigalg_usable(cert, TLS1_3, h) ? POLICY_ACCEPT : POLICY_SIGALG;
}

/*
 * TLS <= 1.2: a suite both offer, usable at that version, authenticated by
 * the certificate, whose key exchange can happen: ECDHE with a common curve,
 * RSA; not DHE (no dhparams) nor PSK/SRP. A missing curve is the reason only
 * when it is what stopped the suites that were left.
 */
static enum policy_reason judge_tls12(const struct policy *p, enum policy_cert cert,
				      __u16 version, const struct hello_info *h)
{
	bool curve_missing = false;
	const struct policy_suite *s;
	int i;

	for (i = 0; i < p->n_suites; i++) {
		s = &p->suites[i];
		if (!suite_offered_at(s, version, h) || !auth_matches(s, cert))
			continue;
		if (s->kx == KX_RSA)
			break;
		if (s->kx != KX_ECDHE)
			continue;
		if (common_group(p, h, version))
			break;
		curve_missing = true;
	}
	if (i == p->n_suites)
		return curve_missing ? POLICY_GROUP : POLICY_CIPHER;
	return sigalg_usable(cert, version, h) ? POLICY_ACCEPT : POLICY_SIGALG;
}

enum policy_reason policy_evaluate(const struct policy *p, enum policy_cert cert,
				   const struct hello_info *h)
{
	__u16 version = chosen_version(p, &h->ch);

	if (!version)
		return POLICY_VERSION;
	if (version == TLS1_3)
		return judge_tls13(p, cert, h);
	return judge_tls12(p, cert, version, h);
}

bool policy_can_judge(const struct hello_info *h)
{
	return h && (h->ch.flags & HELLO_SEEN) && !h->lists_cut &&
	       !(h->ch.flags & (HELLO_TRUNCATED | HELLO_SSLV2));
}

void policy_judge(const struct policy_set *set, const struct hello_info *h,
		  struct policy_verdicts *v)
{
	int i;

	v->n = 0;
	if (!set || !policy_can_judge(h))
		return;
	for (i = 0; i < set->n; i++) {
		v->policy[i] = &set->policy[i];
		v->why[i] = policy_evaluate(&set->policy[i], set->cert, h);
	}
	v->n = set->n;
}
