/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * X.509 certificates from TLS <= 1.2 Certificate messages, parsed with
 * OpenSSL's libcrypto: what the events say of each (subject, names, issuer,
 * validity, key, signature, fingerprint) and what is wrong with a chain.
 * Parsed certificates are cached by SHA-256 fingerprint, a bounded number.
 */
#ifndef __CERT_H
#define __CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include <openssl/x509.h>

#define CERT_CHAIN_MAX		8	/* certificates of a chain kept */
#define CERT_NAMES_MAX		16	/* subjectAltName DNS names and IPs kept */
#define CERT_STR_MAX		256	/* longer strings are cut */
#define CERT_CACHE_DEFAULT	1024
#define CERT_WARN_DAYS_DEFAULT	21

/* Bytes as the certificate holds them (an attacker's choice): escape on output. */
struct cert_str {
	__u16 len;
	char s[CERT_STR_MAX];
};

struct cert {
	X509 *x509;
	unsigned int refs;		/* the cache's and every chain's */
	__u8 sha256[32];
	struct cert_str subject;	/* RFC 2253 distinguished name */
	struct cert_str issuer;
	struct cert_str common_name;	/* len 0: none */
	struct cert_str names[CERT_NAMES_MAX];	/* DNS names, then IP addresses */
	int n_names;
	char serial[2 * 32 + 1];	/* upper-case hex, cut at 32 bytes */
	time_t not_before, not_after;	/* 0: unreadable */
	const char *key_type;		/* "RSA", "EC", ... */
	int key_bits;
	const char *sig_alg;		/* OpenSSL's long name */
	bool self_signed;		/* issued by itself, its signature valid */
	__s8 root_issued;		/* by a root of the trust store: 1, 0; -1 not asked yet */
};

struct cert_chain {
	int n;
	struct cert *cert[CERT_CHAIN_MAX];	/* [0]: the peer's own (leaf) */
	bool cut;			/* more certificates than kept, or bytes missing */
};

enum cert_finding {
	CERT_EXPIRED,		/* a certificate of the chain expired at handshake time */
	CERT_NOT_YET_VALID,
	CERT_EXPIRING,		/* one expires within --cert-warn-days */
	CERT_NAME_MISMATCH,	/* the SNI is none of the leaf's names */
	CERT_CHAIN_INCOMPLETE,	/* the leaf's issuer is neither sent nor a trusted root */
	CERT_SELF_SIGNED,	/* the leaf */
	CERT_WEAK_KEY,		/* RSA or DSA under 2048 bits, EC under 224 */
	CERT_FINDINGS,
};

struct cert_cache;

/* Room for `capacity` certificates; `store`: the trust store the chain
 * check looks roots up in (taken over), NULL for the system's. */
struct cert_cache *cert_cache_new(size_t capacity, X509_STORE *store);
void cert_cache_free(struct cert_cache *c);
/* The certificate of these DER bytes, with a reference for the caller;
 * NULL when they are no certificate. */
struct cert *cert_cache_get(struct cert_cache *c, const __u8 *der, size_t len);
/* Certificates parsed (not found in the cache). */
__u64 cert_cache_parsed(const struct cert_cache *c);
void cert_put(struct cert *cert);
void cert_chain_release(struct cert_chain *chain);
/* The certificate_list of a TLS <= 1.2 Certificate message's body (msg_len
 * bytes, possibly cut short) into chain, through cache; chain->cut when
 * certificates were left out or their bytes are missing or malformed. */
void cert_chain_parse(const __u8 *msg, size_t msg_len, struct cert_cache *cache,
		      struct cert_chain *chain);

/*
 * What is wrong with a chain at time `at`, as bits of enum cert_finding.
 * `sni` (not NUL-terminated, may be NULL) is checked against the leaf.
 */
unsigned int cert_findings(const struct cert_cache *c, const struct cert_chain *chain,
			   const char *sni, size_t sni_len, time_t at, unsigned int warn_days);
const char *cert_finding_name(int finding);
/* The chain verified against the cache's trust store now, as a TLS client
 * verifies a server's (leaf first, the rest untrusted): X509_V_OK or the
 * error, X509_V_ERR_UNSPECIFIED when it cannot be verified at all. */
long cert_chain_verify(const struct cert_cache *c, const struct cert_chain *chain);

#endif /* __CERT_H */
