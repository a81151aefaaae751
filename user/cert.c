// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * X.509 certificates from the wire, parsed by libcrypto (d2i_X509 checks
 * the DER), their fields copied out once and cached by fingerprint.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include "cert.h"
#include "cursor.h"
#include "fnv.h"

#define WAYS 4	/* certificates per set: a new one pushes out the least recently used */

struct way {
	struct cert *cert;	/* NULL: free */
	__u64 used;		/* last lookup that found it */
};

struct cert_cache {
	struct way *ways;	/* sets * WAYS */
	size_t sets;		/* a power of two */
	__u64 clock;
	__u64 parsed;
	X509_STORE *store;
};

struct cert_cache *cert_cache_new(size_t capacity, X509_STORE *store)
{
	struct cert_cache *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->sets = sets_for(capacity, WAYS);
	c->ways = calloc(c->sets * WAYS, sizeof(*c->ways));
	if (!store) {
		/* The system's roots (SSL_CERT_FILE, SSL_CERT_DIR override). */
		store = X509_STORE_new();
		if (store && !X509_STORE_set_default_paths(store)) {
			X509_STORE_free(store);
			store = NULL;
		}
	}
	c->store = store;
	if (c->ways && c->store)
		return c;
fail:
	cert_cache_free(c);
	return NULL;
}

void cert_cache_free(struct cert_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; c->ways && i < c->sets * WAYS; i++)
		cert_put(c->ways[i].cert);
	free(c->ways);
	X509_STORE_free(c->store);
	free(c);
}

void cert_put(struct cert *cert)
{
	if (!cert || --cert->refs)
		return;
	X509_free(cert->x509);
	free(cert);
}

void cert_chain_release(struct cert_chain *chain)
{
	int i;

	for (i = 0; i < chain->n; i++)
		cert_put(chain->cert[i]);
	chain->n = 0;
}

__u64 cert_cache_parsed(const struct cert_cache *c)
{
	return c->parsed;
}

static void str_set(struct cert_str *dst, const void *s, size_t len)
{
	dst->len = len < CERT_STR_MAX ? len : CERT_STR_MAX;
	memcpy(dst->s, s, dst->len);
}

/* RFC 2253, non-ASCII bytes escaped by OpenSSL (and the output escapes
 * whatever else is left). */
static void name_str(struct cert_str *dst, const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	dst->len = 0;
	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		if (n > 0)
			str_set(dst, p, n);
	}
	BIO_free(bio);
}

static void common_name(struct cert_str *dst, const X509_NAME *name)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s;

	dst->len = 0;
	if (i < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (s)
		str_set(dst, ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
}

/* subjectAltName: the DNS names, then the IP addresses as text. */
static void alt_names(struct cert *cert)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert->x509, NID_subject_alt_name, NULL, NULL);
	char ip[INET6_ADDRSTRLEN];
	int pass, i, len;

	for (pass = 0; gens && pass < 2; pass++) {
		for (i = 0; i < sk_GENERAL_NAME_num(gens) && cert->n_names < CERT_NAMES_MAX; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			const ASN1_STRING *s;

			if (pass == 0 && g->type == GEN_DNS) {
				s = g->d.dNSName;
				str_set(&cert->names[cert->n_names++], ASN1_STRING_get0_data(s),
					ASN1_STRING_length(s));
			} else if (pass == 1 && g->type == GEN_IPADD) {
				len = ASN1_STRING_length(g->d.iPAddress);
				if ((len != 4 && len != 16) ||
				    !inet_ntop(len == 4 ? AF_INET : AF_INET6,
					       ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip)))
					continue;
				str_set(&cert->names[cert->n_names++], ip, strlen(ip));
			}
		}
	}
	GENERAL_NAMES_free(gens);
}

static void serial_hex(struct cert *cert)
{
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert->x509);
	const unsigned char *p = ASN1_STRING_get0_data(serial);
	int n = ASN1_STRING_length(serial), i;

	if (n > (int)(sizeof(cert->serial) - 1) / 2)
		n = (sizeof(cert->serial) - 1) / 2;
	for (i = 0; i < n; i++)
		snprintf(&cert->serial[2 * i], 3, "%02X", p[i]);
	cert->serial[2 * (n > 0 ? n : 0)] = '\0';
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static void public_key(struct cert *cert)
{
	EVP_PKEY *key = X509_get0_pubkey(cert->x509);

	cert->key_type = "unknown";
	if (!key)
		return;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA: cert->key_type = "RSA"; break;
	case EVP_PKEY_RSA_PSS: cert->key_type = "RSA-PSS"; break;
	case EVP_PKEY_DSA: cert->key_type = "DSA"; break;
	case EVP_PKEY_EC: cert->key_type = "EC"; break;
	case EVP_PKEY_ED25519: cert->key_type = "Ed25519"; break;
	case EVP_PKEY_ED448: cert->key_type = "Ed448"; break;
	}
	cert->key_bits = EVP_PKEY_get_bits(key);
}

static struct cert *cert_parse(const __u8 *der, size_t len, const __u8 sha256[32])
{
	const unsigned char *p = der;
	struct cert *cert;
	X509 *x;

	if (len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, len);
	/* Trailing bytes: not one certificate. */
	if (!x || p != der + len) {
		X509_free(x);
		return NULL;
	}
	cert = calloc(1, sizeof(*cert));
	if (!cert) {
		X509_free(x);
		return NULL;
	}
	cert->x509 = x;
	cert->refs = 1;
	memcpy(cert->sha256, sha256, sizeof(cert->sha256));
	name_str(&cert->subject, X509_get_subject_name(x));
	name_str(&cert->issuer, X509_get_issuer_name(x));
	common_name(&cert->common_name, X509_get_subject_name(x));
	alt_names(cert);
	serial_hex(cert);
	cert->not_before = asn1_time(X509_get0_notBefore(x));
	cert->not_after = asn1_time(X509_get0_notAfter(x));
	public_key(cert);
	cert->sig_alg = OBJ_nid2ln(X509_get_signature_nid(x)) ?: "unknown";
	cert->self_signed = X509_self_signed(x, 1) == 1;
	cert->root_issued = -1;
	return cert;
}

static struct way *set_of(const struct cert_cache *c, const __u8 sha256[32])
{
	__u64 h;

	memcpy(&h, sha256, sizeof(h));
	return &c->ways[set_index(h, c->sets) * WAYS];
}

struct cert *cert_cache_get(struct cert_cache *c, const __u8 *der, size_t len)
{
	__u8 sha256[32];
	struct way *set, *slot;
	int i;

	if (!EVP_Digest(der, len, sha256, NULL, EVP_sha256(), NULL))
		return NULL;
	set = set_of(c, sha256);
	slot = &set[0];
	for (i = 0; i < WAYS; i++) {
		if (set[i].cert && !memcmp(set[i].cert->sha256, sha256, sizeof(sha256))) {
			set[i].used = ++c->clock;
			set[i].cert->refs++;
			return set[i].cert;
		}
		if (!set[i].cert || (slot->cert && set[i].used < slot->used))
			slot = &set[i];
	}
	cert_put(slot->cert);
	slot->cert = cert_parse(der, len, sha256);
	slot->used = ++c->clock;
	if (!slot->cert)
		return NULL;
	c->parsed++;
	slot->cert->refs++;
	return slot->cert;
}

/* A self-signed root of the trust store that issued `leaf`? */
static bool trusted_root_issued(X509_STORE *store, X509 *leaf)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *issuer = NULL;
	bool found = false;

	if (ctx && X509_STORE_CTX_init(ctx, store, leaf, NULL) &&
	    X509_STORE_CTX_get1_issuer(&issuer, ctx, leaf) == 1)
		found = X509_self_signed(issuer, 0) == 1;
	X509_free(issuer);
	X509_STORE_CTX_free(ctx);
	return found;
}

static bool issuer_present(const struct cert_cache *c, const struct cert_chain *chain)
{
	struct cert *leaf = chain->cert[0];
	int i;

	for (i = 1; i < chain->n; i++)
		if (X509_check_issued(chain->cert[i]->x509, leaf->x509) == X509_V_OK)
			return true;
	/* Asked once per certificate: a store of hashed files costs system
	 * calls at each lookup. */
	if (leaf->root_issued < 0)
		leaf->root_issued = trusted_root_issued(c->store, leaf->x509);
	return leaf->root_issued;
}

static bool name_matches(X509 *leaf, const char *sni, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	__u8 addr[16];

	/* A server name is not an address (RFC 6066), but some clients send one. */
	if (len < sizeof(ip) && !memchr(sni, '\0', len)) {
		memcpy(ip, sni, len);
		ip[len] = '\0';
		if (inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1)
			return X509_check_ip_asc(leaf, ip, 0) == 1;
	}
	return X509_check_host(leaf, sni, len, 0, NULL) == 1;
}

static bool weak_key(const struct cert *cert)
{
	if (!strcmp(cert->key_type, "EC"))
		return cert->key_bits < 224;
	if (!strcmp(cert->key_type, "RSA") || !strcmp(cert->key_type, "RSA-PSS") ||
	    !strcmp(cert->key_type, "DSA"))
		return cert->key_bits < 2048;
	return false;
}

unsigned int cert_findings(const struct cert_cache *c, const struct cert_chain *chain,
			   const char *sni, size_t sni_len, time_t at, unsigned int warn_days)
{
	const struct cert *leaf;
	unsigned int found = 0;
	int i;

	if (!chain->n)
		return 0;
	for (i = 0; i < chain->n; i++) {
		const struct cert *cert = chain->cert[i];

		if (cert->not_after && at > cert->not_after)
			found |= 1u << CERT_EXPIRED;
		else if (cert->not_after && cert->not_after - at < (time_t)warn_days * 86400)
			found |= 1u << CERT_EXPIRING;
		if (at < cert->not_before)
			found |= 1u << CERT_NOT_YET_VALID;
		if (weak_key(cert))
			found |= 1u << CERT_WEAK_KEY;
	}
	leaf = chain->cert[0];
	if (sni && sni_len && !name_matches(leaf->x509, sni, sni_len))
		found |= 1u << CERT_NAME_MISMATCH;
	if (leaf->self_signed)
		found |= 1u << CERT_SELF_SIGNED;
	else if (!issuer_present(c, chain))
		found |= 1u << CERT_CHAIN_INCOMPLETE;
	return found;
}

const char *cert_finding_name(int finding)
{
	static const char *const names[CERT_FINDINGS] = {
		[CERT_EXPIRED] = "expired",
		[CERT_NOT_YET_VALID] = "not_yet_valid",
		[CERT_EXPIRING] = "expiring_soon",
		[CERT_NAME_MISMATCH] = "name_mismatch",
		[CERT_CHAIN_INCOMPLETE] = "chain_incomplete",
		[CERT_SELF_SIGNED] = "self_signed",
		[CERT_WEAK_KEY] = "weak_key",
	};

	return finding >= 0 && finding < CERT_FINDINGS ? names[finding] : "unknown";
}

long cert_chain_verify(const struct cert_cache *c, const struct cert_chain *chain)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	long err = X509_V_ERR_UNSPECIFIED;
	int i;

	if (!ctx || !untrusted || !chain->n)
		goto out;
	for (i = 1; i < chain->n; i++)
		if (!sk_X509_push(untrusted, chain->cert[i]->x509))
			goto out;
	if (!X509_STORE_CTX_init(ctx, c->store, chain->cert[0]->x509, untrusted) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER))
		goto out;
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	return err;
}

void cert_chain_parse(const __u8 *msg, size_t msg_len, struct cert_cache *cache,
		      struct cert_chain *chain)
{
	struct cursor body = { msg, msg_len }, list, der;
	__u32 len;
	struct cert *cert;

	if (get_u24(&body, &len))
		return;
	if (get_bytes(&body, len, &list)) {
		list = body;	/* what came of it */
		chain->cut = true;
	}
	while (list.n) {
		if (get_u24(&list, &len) || get_bytes(&list, len, &der)) {
			chain->cut = true;
			return;
		}
		if (chain->n == CERT_CHAIN_MAX) {
			chain->cut = true;
			return;
		}
		cert = cert_cache_get(cache, der.p, der.n);
		if (cert)
			chain->cert[chain->n++] = cert;
	}
}
