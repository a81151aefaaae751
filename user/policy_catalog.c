// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Built-in policies: versions and cipher suites as their publishers list
 * them, written as OpenSSL cipher strings (expanded by libssl at start).
 * docs/policies.md cites the source of each entry and says which ones could
 * be checked against it.
 */
#include <string.h>
#include "policy.h"

#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* AWS Elastic Load Balancing, in the order describe-ssl-policies gives. */
#define ELB_FS_GCM "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
		   "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define ELB_FS_SHA2 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
		    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
		    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
		    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384"
#define ELB_RSA_SHA2 "AES128-GCM-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES256-SHA256"
#define ELB_2016_08 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
		    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
		    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
		    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
		    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:" \
		    "ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:" \
		    "AES128-GCM-SHA256:AES128-SHA256:AES128-SHA:" \
		    "AES256-GCM-SHA384:AES256-SHA256:AES256-SHA"

/* Mozilla Server Side TLS 5.7 (guidelines/5.7.json): "ciphersuites" then
 * "ciphers.openssl", and "tls_curves". */
#define MOZ_INTERMEDIATE "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
			 "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
			 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
			 "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
			 "DHE-RSA-CHACHA20-POLY1305"
#define MOZ_OLD MOZ_INTERMEDIATE ":ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:" \
		"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:" \
		"ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:" \
		"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:" \
		"DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:" \
		"AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:" \
		"AES128-SHA:AES256-SHA:DES-CBC3-SHA"
#define MOZ_CURVES "X25519:prime256v1:secp384r1"

const struct policy_entry policy_catalog[] = {
	{ "ELBSecurityPolicy-TLS13-1-2-2021-06", TLS13_SUITES ":" ELB_FS_SHA2,
	  "TLSv1.2", "TLSv1.3", NULL },
	{ "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", TLS13_SUITES ":" ELB_FS_GCM,
	  "TLSv1.2", "TLSv1.3", NULL },
	{ "ELBSecurityPolicy-TLS13-1-3-2021-06", TLS13_SUITES, "TLSv1.3", "TLSv1.3", NULL },
	{ "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", TLS13_SUITES ":" ELB_FS_SHA2 ":" ELB_RSA_SHA2,
	  "TLSv1.2", "TLSv1.3", NULL },
	{ "ELBSecurityPolicy-2016-08", ELB_2016_08, "TLSv1", "TLSv1.2", NULL },
	{ "ELBSecurityPolicy-TLS-1-2-2017-01", ELB_FS_SHA2 ":" ELB_RSA_SHA2,
	  "TLSv1.2", "TLSv1.2", NULL },
	{ "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", ELB_2016_08, "TLSv1.2", "TLSv1.2", NULL },
	{ "ELBSecurityPolicy-FS-1-2-Res-2020-10", ELB_FS_GCM, "TLSv1.2", "TLSv1.2", NULL },
	{ "mozilla-modern", TLS13_SUITES, "TLSv1.3", "TLSv1.3", MOZ_CURVES },
	{ "mozilla-intermediate", TLS13_SUITES ":" MOZ_INTERMEDIATE, "TLSv1.2", "TLSv1.3",
	  MOZ_CURVES },
	{ "mozilla-old", TLS13_SUITES ":" MOZ_OLD, "TLSv1", "TLSv1.3", MOZ_CURVES },
};

const size_t policy_catalog_count = sizeof(policy_catalog) / sizeof(policy_catalog[0]);

const struct policy_entry *policy_catalog_find(const char *name)
{
	size_t i;

	for (i = 0; i < policy_catalog_count; i++)
		if (!strcmp(policy_catalog[i].name, name))
			return &policy_catalog[i];
	return NULL;
}
