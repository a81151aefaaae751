/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Client fingerprints of a ClientHello: JA3 (Salesforce) and JA4 (FoxIO,
 * BSD-3-Clause; the rest of JA4+ is under a restrictive licence and not
 * implemented). Computed from the complete offered lists.
 */
#ifndef __FINGERPRINT_H
#define __FINGERPRINT_H

#include <stddef.h>
#include <linux/types.h>

/* More entries than a 4096-byte hello can hold. */
#define OFFERED_MAX	2048

struct u16_list {
	__u16 n;
	__u16 v[OFFERED_MAX];
};

/* Everything a ClientHello offered, in wire order, GREASE included. */
struct offered {
	__u16 legacy_version;
	struct u16_list ciphers, exts, groups, sigalgs, versions;
	__u16 n_formats;
	__u8 formats[256];		/* ec_point_formats */
	const __u8 *alpn0;		/* the first ALPN protocol name, or NULL */
	size_t alpn0_len;
};

#define JA3_LEN	32	/* MD5 in hex */
#define JA4_LEN	36	/* t13d1516h2_8daaf6152771_e5627efa2ab1 */

/* GREASE values (RFC 8701) are 0x?A?A with both bytes equal. */
static inline int tls_is_grease(__u16 v)
{
	return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);
}

/* out: JA3_LEN + 1 bytes; 0 on success. */
int fingerprint_ja3(const struct offered *o, char *out);
/* out: JA4_LEN + 1 bytes; 0 on success. */
int fingerprint_ja4(const struct offered *o, char *out);

#endif /* __FINGERPRINT_H */
