// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsnoop check: signature schemes, secure renegotiation and
 * TLS_FALLBACK_SCSV (docs/check.md). OCSP stapling is asked for on the
 * first connection (check.c).
 */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "active_check.h"
#include "names.h"

#define ALERT_INAPPROPRIATE_FALLBACK	86

/* libssl's name of a scheme: its IANA name, or for the TLS 1.2 (hash,
 * signature) pairs libssl names no other way, "RSA+SHA224" and the like. */
static const char *libssl_sigalg(SSL_CTX *sctx, const struct iana_name *n, char *buf,
				 size_t size)
{
	static const char *const hashes[] = { NULL, "MD5", "SHA1", "SHA224", "SHA256", "SHA384",
					      "SHA512" };
	static const char *const sigs[] = { NULL, "RSA", "DSA", "ECDSA" };
	unsigned int hash = n->id >> 8, sig = n->id & 0xff;

	if (SSL_CTX_set1_sigalgs_list(sctx, n->name))
		return n->name;
	if (!hash || hash > 6 || !sig || sig > 3)
		return NULL;
	snprintf(buf, size, "%s+%s", sigs[sig], hashes[hash]);
	return SSL_CTX_set1_sigalgs_list(sctx, buf) ? buf : NULL;
}

/* The signature schemes this libssl can offer: IANA ids, libssl's names. */
static int local_sigalgs(__u16 *ids, char (*names)[32], int max)
{
	SSL_CTX *sctx = probe_ssl_ctx(0);
	const char *name;
	size_t i;
	int n = 0;

	for (i = 0; sctx && i < iana_sigalgs_count && n < max; i++) {
		name = libssl_sigalg(sctx, &iana_sigalgs[i], names[n], sizeof(names[n]));
		if (!name)
			continue;
		if (name != names[n])
			snprintf(names[n], sizeof(names[n]), "%s", name);
		ids[n++] = iana_sigalgs[i].id;
	}
	SSL_CTX_free(sctx);
	ERR_clear_error();
	return n;
}

void check_sigalgs(struct check_run *run, struct version_report *v)
{
	struct probe_offer offer = { .version = v->version, .sni = run->sni };
	struct probe_result res;
	char names[CHECK_SIGALGS_MAX][32];
	__u16 ids[CHECK_SIGALGS_MAX];
	int n = local_sigalgs(ids, names, CHECK_SIGALGS_MAX), i;

	/* Below TLS 1.3 only (EC)DHE suites carry the server's signature. */
	if (v->version != TLS1_3_VERSION)
		offer.ciphers = "kECDHE:kDHE";
	for (i = 0; i < n && !run->r->out_of_time; i++) {
		offer.sigalgs = names[i];
		v->n_sigalgs_tested++;
		check_probe(run, &offer, &res);
		if (res.status == PROBE_HELLO && res.version == v->version && res.sigalg == ids[i])
			v->sigalgs[v->n_sigalgs++] = ids[i];
	}
}

/* The highest accepted version at most `max` (in a libssl handshake, if
 * libssl_only), or NULL. */
static const struct version_report *highest_accepted(const struct check_report *r, __u16 max,
						     bool libssl_only)
{
	const struct version_report *v;
	int i;

	for (i = CHECK_VERSIONS - 1; i >= 0; i--) {
		v = &r->versions[i];
		if (v->verdict == VERSION_ACCEPTED && (!libssl_only || !v->raw_only) &&
		    v->version <= max)
			return v;
	}
	return NULL;
}

/* The report of version v, or NULL. */
static const struct version_report *version_of(const struct check_report *r, __u16 v)
{
	int i;

	for (i = 0; i < CHECK_VERSIONS; i++)
		if (r->versions[i].version == v)
			return &r->versions[i];
	return NULL;
}

/*
 * A retry one version below the highest accepted, marked as a fallback
 * (RFC 7507): a server that knows TLS_FALLBACK_SCSV refuses it with
 * inappropriate_fallback. One that refuses the lower version anyway leaves
 * nothing to downgrade to: not applicable, whatever it says.
 */
static void check_fallback(struct check_run *run)
{
	struct features_report *f = &run->r->features;
	const struct version_report *top = highest_accepted(run->r, TLS1_3_VERSION, true), *lower_v;
	struct probe_offer offer = { .sni = run->sni, .fallback_scsv = true };
	struct probe_result res;
	const char *lower;

	if (!top || top->version <= TLS1_VERSION) {
		snprintf(f->fallback_detail, sizeof(f->fallback_detail), "not testable: %s",
			 top ? "this libssl offers no version below the highest accepted" :
			       "no version accepted in a handshake this libssl can make");
		return;
	}
	offer.version = f->fallback_version = top->version - 1;
	lower = tls_version_name(offer.version);
	lower_v = version_of(run->r, offer.version);
	check_probe(run, &offer, &res);
	if (res.status == PROBE_ALERT && res.alert == ALERT_INAPPROPRIATE_FALLBACK) {
		f->fallback_scsv = ANSWER_YES;
		snprintf(f->fallback_detail, sizeof(f->fallback_detail),
			 "a retry at TLS %s was refused: inappropriate_fallback", lower);
	} else if (res.status == PROBE_HELLO) {
		f->fallback_scsv = ANSWER_NO;
		snprintf(f->fallback_detail, sizeof(f->fallback_detail),
			 "a retry at TLS %s was accepted: a downgrade goes unnoticed", lower);
	} else if (lower_v && lower_v->raw_only) {
		snprintf(f->fallback_detail, sizeof(f->fallback_detail),
			 "not testable: TLS %s is accepted only with suites this libssl cannot offer",
			 lower);
	} else if (lower_v && lower_v->verdict == VERSION_REFUSED) {
		snprintf(f->fallback_detail, sizeof(f->fallback_detail),
			 "not applicable: TLS %s is refused anyway, no downgrade to guard against",
			 lower);
	} else {
		snprintf(f->fallback_detail, sizeof(f->fallback_detail), "%s", res.detail);
	}
}

void check_features(struct check_run *run)
{
	struct features_report *f = &run->r->features;
	const struct version_report *v = highest_accepted(run->r, TLS1_2_VERSION, false);

	/* TLS 1.3 has no renegotiation: the answer is at the highest below. */
	if (v) {
		f->renegotiation_version = v->version;
		f->secure_renegotiation = v->secure_renegotiation ? ANSWER_YES : ANSWER_NO;
	}
	if (!run->r->out_of_time)
		check_fallback(run);
}
