// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include "fingerprint.h"
#include "names.h"

const char *tls_version_name(__u16 version)
{
	switch (version) {
	case 0x0300: return "3.0";
	case 0x0301: return "1.0";
	case 0x0302: return "1.1";
	case 0x0303: return "1.2";
	case 0x0304: return "1.3";
	default: return NULL;
	}
}

const char *tls_version_protocol(__u16 version)
{
	if (version == 0x0300)
		return "ssl";
	return tls_version_name(version) ? "tls" : NULL;
}

static int by_id(const void *key, const void *elem)
{
	return (int)*(const __u16 *)key - (int)((const struct iana_name *)elem)->id;
}

/* The IANA name of v in a sorted table; GREASE marked; else hex in buf. */
static const char *iana_lookup(const struct iana_name *table, size_t count, __u16 v, char *buf,
			       size_t size)
{
	const struct iana_name *n;

	if (tls_is_grease(v)) {
		snprintf(buf, size, "GREASE (0x%04X)", v);
		return buf;
	}
	n = bsearch(&v, table, count, sizeof(*table), by_id);
	if (n)
		return n->name;
	snprintf(buf, size, "0x%04X", v);
	return buf;
}

const char *tls_cipher_name(__u16 cipher, char *buf, size_t size)
{
	return iana_lookup(iana_ciphers, iana_ciphers_count, cipher, buf, size);
}

const char *tls_extension_name(__u16 type, char *buf, size_t size)
{
	return iana_lookup(iana_extensions, iana_extensions_count, type, buf, size);
}

const char *tls_group_name(__u16 group, char *buf, size_t size)
{
	return iana_lookup(iana_groups, iana_groups_count, group, buf, size);
}

const char *tls_sigalg_name(__u16 scheme, char *buf, size_t size)
{
	return iana_lookup(iana_sigalgs, iana_sigalgs_count, scheme, buf, size);
}

const char *tls_alert_name(__u8 code)
{
	switch (code) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";
	case 40: return "handshake_failure";
	case 41: return "no_certificate";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 60: return "export_restriction";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 111: return "certificate_unobtainable";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 114: return "bad_certificate_hash_value";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return NULL;
	}
}
