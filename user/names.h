/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* IANA names: TLS versions, cipher suites, alert descriptions. */
#ifndef __NAMES_H
#define __NAMES_H

#include <stddef.h>
#include <linux/types.h>

/* "1.3", "1.2", ..., "3.0" for SSL 3.0, or NULL when unknown. */
const char *tls_version_name(__u16 version);
/* "tls" or "ssl" for a known version. */
const char *tls_version_protocol(__u16 version);
/* IANA cipher suite name; writes "0xC02F" into buf for unknown ones. */
const char *tls_cipher_name(__u16 cipher, char *buf, size_t size);
/* IANA alert description ("unknown_ca"), or NULL. */
const char *tls_alert_name(__u8 code);

#endif /* __NAMES_H */
