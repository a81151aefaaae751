// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

__u16 tls_version_id(const char *name)
{
	__u16 v;

	for (v = 0x0300; v <= 0x0304; v++)
		if (!strcmp(name, tls_version_name(v)))
			return v;
	return 0;
}

/* A registry sorted by name, made on first use. A few names belong to two
 * code points (a draft's and the final one: 0xCC13 and 0xCCA8 are both
 * TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256); the later one, the highest,
 * is kept. */
struct name_index {
	const struct iana_name *table;
	const size_t *count;
	const struct iana_name **by_name;
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct iana_name *const *)a)->name,
		      (*(const struct iana_name *const *)b)->name);
}

/* By name, then the highest id first. */
static int by_name_id(const void *a, const void *b)
{
	const struct iana_name *x = *(const struct iana_name *const *)a;
	const struct iana_name *y = *(const struct iana_name *const *)b;

	return by_name(a, b) ?: (int)y->id - (int)x->id;
}

static int index_build(struct name_index *ix)
{
	size_t i;

	ix->by_name = malloc(*ix->count * sizeof(*ix->by_name));
	if (!ix->by_name)
		return -1;
	for (i = 0; i < *ix->count; i++)
		ix->by_name[i] = &ix->table[i];
	qsort(ix->by_name, *ix->count, sizeof(*ix->by_name), by_name_id);
	for (i = 0; i < *ix->count; i++)
		if (!ix->n || strcmp(ix->by_name[ix->n - 1]->name, ix->by_name[i]->name))
			ix->by_name[ix->n++] = ix->by_name[i];
	return 0;
}

/* "0x" and exactly four hex digits, as iana_lookup() writes them. */
static int hex_id(const char *s, size_t len, __u16 *id)
{
	unsigned int v = 0;
	size_t i;

	if (len != 6 || s[0] != '0' || s[1] != 'x')
		return -1;
	for (i = 2; i < 6; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (s[i] - '0');
		else if (s[i] >= 'A' && s[i] <= 'F')
			v = v << 4 | (s[i] - 'A' + 10);
		else
			return -1;
	}
	*id = v;
	return 0;
}

static int iana_id(struct name_index *ix, const char *name, __u16 *id)
{
	static const char grease[] = "GREASE (";
	const struct iana_name key = { .name = name }, *k = &key, **found;
	size_t len = strlen(name);

	if (!strncmp(name, grease, sizeof(grease) - 1))
		return len == sizeof(grease) - 1 + 7 && name[len - 1] == ')' &&
		       !hex_id(name + sizeof(grease) - 1, 6, id) && tls_is_grease(*id) ? 0 : -1;
	if (!hex_id(name, len, id))
		return 0;
	if (!ix->by_name && index_build(ix))
		return -1;
	found = bsearch(&k, ix->by_name, ix->n, sizeof(*ix->by_name), by_name);
	if (!found)
		return -1;
	*id = (*found)->id;
	return 0;
}

int tls_cipher_id(const char *name, __u16 *id)
{
	static struct name_index ix = { iana_ciphers, &iana_ciphers_count, NULL, 0 };

	return iana_id(&ix, name, id);
}

int tls_extension_id(const char *name, __u16 *id)
{
	static struct name_index ix = { iana_extensions, &iana_extensions_count, NULL, 0 };

	return iana_id(&ix, name, id);
}

int tls_group_id(const char *name, __u16 *id)
{
	static struct name_index ix = { iana_groups, &iana_groups_count, NULL, 0 };

	return iana_id(&ix, name, id);
}

int tls_sigalg_id(const char *name, __u16 *id)
{
	static struct name_index ix = { iana_sigalgs, &iana_sigalgs_count, NULL, 0 };

	return iana_id(&ix, name, id);
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
