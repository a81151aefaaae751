/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* IANA names: TLS versions, cipher suites, extensions, groups, signature
 * schemes, alert descriptions. */
#ifndef __NAMES_H
#define __NAMES_H

#include <stddef.h>
#include <linux/types.h>

/* "1.3", "1.2", ..., "3.0" for SSL 3.0, or NULL when unknown. */
const char *tls_version_name(__u16 version);
/* "tls" or "ssl" for a known version. */
const char *tls_version_protocol(__u16 version);
/* IANA names; for unknown values "0xC0FF" and for GREASE values
 * "GREASE (0x0A0A)" written into buf (16 bytes are enough). */
const char *tls_cipher_name(__u16 cipher, char *buf, size_t size);
const char *tls_extension_name(__u16 type, char *buf, size_t size);
const char *tls_group_name(__u16 group, char *buf, size_t size);
const char *tls_sigalg_name(__u16 scheme, char *buf, size_t size);

/* The registries, sorted by id (names_iana.c, from scripts/gen-names.sh). */
struct iana_name {
	__u16 id;
	const char *name;
};
extern const struct iana_name iana_ciphers[], iana_extensions[], iana_groups[], iana_sigalgs[];
extern const size_t iana_ciphers_count, iana_extensions_count, iana_groups_count,
	iana_sigalgs_count;
/* The other way, for names as the functions above write them (tlsnoop's
 * own JSON read back): IANA names, "0xC0FF", "GREASE (0x0A0A)". 0 and the
 * id in *id; -1 for any other string. */
int tls_cipher_id(const char *name, __u16 *id);
int tls_extension_id(const char *name, __u16 *id);
int tls_group_id(const char *name, __u16 *id);
int tls_sigalg_id(const char *name, __u16 *id);
/* "1.3" -> 0x0304, ..., "3.0" -> 0x0300; 0 for anything else. */
__u16 tls_version_id(const char *name);

/* IANA alert description ("unknown_ca"), or NULL. */
const char *tls_alert_name(__u8 code);

#endif /* __NAMES_H */
