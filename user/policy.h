/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Security-policy what-if: would a server with this TLS policy (versions,
 * cipher suites, groups) and certificate have accepted this ClientHello?
 * Policies are OpenSSL cipher strings expanded by libssl itself, as the
 * server would; docs/policies.md describes the decision model and its limits.
 */
#ifndef __POLICY_H
#define __POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "hello.h"

#define POLICY_MAX		8	/* --policy given at most this often */
#define POLICY_SUITES_MAX	160	/* more than any libssl expansion gives */
#define POLICY_GROUPS_MAX	16
#define POLICY_NAME_MAX		256

enum policy_reason {
	POLICY_ACCEPT,
	POLICY_VERSION,		/* no version in common */
	POLICY_CIPHER,		/* no suite usable at that version with the certificate */
	POLICY_GROUP,		/* (EC)DHE or TLS 1.3 without a group in common */
	POLICY_SIGALG,		/* no signature algorithm usable with the certificate */
	POLICY_REASON_MAX,
};

enum policy_cert {
	POLICY_CERT_RSA,
	POLICY_CERT_ECDSA,	/* P-256 */
};

enum policy_kx { KX_ECDHE, KX_DHE, KX_RSA, KX_TLS13, KX_OTHER };
enum policy_auth { AUTH_RSA, AUTH_ECDSA, AUTH_TLS13, AUTH_OTHER };

/* A suite the server allows, as libssl describes it. */
struct policy_suite {
	__u16 id;		/* IANA */
	__u16 min_version;	/* first version it can be used in */
	__u16 max_version;
	enum policy_kx kx;
	enum policy_auth auth;
};

struct policy {
	char name[POLICY_NAME_MAX];	/* catalogue name, or the SPEC as given */
	__u16 min_version, max_version;
	int n_suites;
	struct policy_suite suites[POLICY_SUITES_MAX];	/* server preference order */
	int n_groups;
	__u16 groups[POLICY_GROUPS_MAX];	/* IANA ids */
};

/* The policies given with --policy, and the certificate they assume. */
struct policy_set {
	int n;
	enum policy_cert cert;
	struct policy policy[POLICY_MAX];
};

/* What a server with each policy would do with one ClientHello. */
struct policy_verdicts {
	int n;				/* 0: no complete ClientHello to judge */
	const struct policy *policy[POLICY_MAX];
	enum policy_reason why[POLICY_MAX];
};

/*
 * Parse SPEC: a catalogue name, or openssl:CIPHERSTRING:MINVER[:MAXVER]
 * with versions TLSv1, TLSv1.1, TLSv1.2, TLSv1.3. 0 on success; on bad
 * input -1 with a one-line reason in err.
 */
int policy_parse(const char *spec, struct policy *p, char *err, size_t err_size);
/* The server's decision for hello `h` (complete, see policy_can_judge). */
enum policy_reason policy_evaluate(const struct policy *p, enum policy_cert cert,
				   const struct hello_info *h);
/* A hello whose lists were all read: truncated and SSLv2 hellos are not judged. */
bool policy_can_judge(const struct hello_info *h);
/* Every policy's verdict on h (NULL: none came), into v. */
void policy_judge(const struct policy_set *set, const struct hello_info *h,
		  struct policy_verdicts *v);
/* "accept", "version", "cipher", "group", "sigalg". */
const char *policy_reason_name(enum policy_reason why);
/* "TLSv1.2" for 0x0303; "?" when unknown. */
const char *policy_version_name(__u16 version);

/* The built-in catalogue (policy_catalog.c). */
struct policy_entry {
	const char *name;
	const char *ciphers;	/* OpenSSL cipher string; TLS_* names are TLS 1.3 suites */
	const char *min_version, *max_version;	/* OpenSSL names */
	const char *groups;	/* NULL: OpenSSL's default server groups */
};

extern const struct policy_entry policy_catalog[];
extern const size_t policy_catalog_count;
const struct policy_entry *policy_catalog_find(const char *name);

#endif /* __POLICY_H */
