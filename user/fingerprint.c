// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JA3: MD5 of "version,ciphers,extensions,groups,point_formats" (decimal,
 * '-'-separated, GREASE left out). JA4 as FoxIO's reference implementation
 * computes it (rust/ja4/src/tls.rs), where it and the written specification
 * differ (see docs/fingerprints.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "fingerprint.h"
#include "fmt.h"

#define EXT_SNI			0x0000
#define EXT_ALPN		0x0010
#define EXT_QUIC_PARAMS		0x0039
/* Room for a list of OFFERED_MAX values of up to 5 digits and a separator. */
#define LIST_TEXT_MAX		(OFFERED_MAX * 6 + 1)

enum list_format { LIST_DEC, LIST_HEX4 };

/* Append values as text (decimal, or 4 hex digits), GREASE left out if
 * asked. */
static size_t list_text(char *buf, size_t size, const __u16 *v, size_t n, enum list_format fmt,
			char sep, int skip_grease)
{
	size_t len = 0, i;
	int first = 1;

	buf[0] = '\0';
	for (i = 0; i < n && len + 8 < size; i++) {
		if (skip_grease && tls_is_grease(v[i]))
			continue;
		if (!first)
			buf[len++] = sep;
		if (fmt == LIST_DEC) {
			len += fmt_dec(buf + len, v[i]);
		} else {
			fmt_hex(buf + len, v[i], 4);
			len += 4;
		}
		first = 0;
	}
	buf[len] = '\0';
	return len;
}

/* OpenSSL 3 looks an algorithm up on each EVP_md5()/EVP_sha256() digest
 * unless it is fetched once: a tenth of a capture's reading time. */
static const EVP_MD *md_fetched(EVP_MD **md, const char *name)
{
	if (!*md)
		*md = EVP_MD_fetch(NULL, name, NULL);
	return *md;
}

static int digest_hex(const EVP_MD *md, const char *text, size_t len, char *out, size_t hex_len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int d_len = 0, i;

	if (!md || !EVP_Digest(text, len, d, &d_len, md, NULL) || d_len * 2 < hex_len)
		return -1;
	for (i = 0; i < hex_len / 2; i++)
		fmt_hex(out + 2 * i, d[i], 2);
	out[hex_len] = '\0';
	return 0;
}

int fingerprint_ja3(const struct offered *o, char *out)
{
	static EVP_MD *md5;
	char *text = malloc(5 * LIST_TEXT_MAX), *p;
	__u16 formats[256];
	size_t len, i;
	int err;

	if (!text)
		return -1;
	for (i = 0; i < o->n_formats; i++)
		formats[i] = o->formats[i];
	p = text;
	p += fmt_dec(p, o->legacy_version);
	*p++ = ',';
	p += list_text(p, LIST_TEXT_MAX, o->ciphers.v, o->ciphers.n, LIST_DEC, '-', 1);
	*p++ = ',';
	p += list_text(p, LIST_TEXT_MAX, o->exts.v, o->exts.n, LIST_DEC, '-', 1);
	*p++ = ',';
	p += list_text(p, LIST_TEXT_MAX, o->groups.v, o->groups.n, LIST_DEC, '-', 1);
	*p++ = ',';
	p += list_text(p, LIST_TEXT_MAX, formats, o->n_formats, LIST_DEC, '-', 0);
	len = p - text;
	err = digest_hex(md_fetched(&md5, "MD5"), text, len, out, JA3_LEN);
	free(text);
	return err;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const __u16 *)a - (int)*(const __u16 *)b;
}

/* Non-GREASE values, sorted; without SNI and ALPN when asked (extensions). */
static size_t sorted_without_grease(const struct u16_list *l, __u16 *out, int drop_sni_alpn)
{
	size_t n = 0, i;

	for (i = 0; i < l->n; i++) {
		if (tls_is_grease(l->v[i]))
			continue;
		if (drop_sni_alpn && (l->v[i] == EXT_SNI || l->v[i] == EXT_ALPN))
			continue;
		out[n++] = l->v[i];
	}
	qsort(out, n, sizeof(*out), cmp_u16);
	return n;
}

static size_t count_without_grease(const struct u16_list *l)
{
	size_t n = 0, i;

	for (i = 0; i < l->n; i++)
		n += !tls_is_grease(l->v[i]);
	return n;
}

static int has_value(const struct u16_list *l, __u16 v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == v)
			return 1;
	return 0;
}

/* The highest non-GREASE supported_versions entry, else the legacy version. */
static const char *ja4_version(const struct offered *o)
{
	__u16 v = o->legacy_version, max = 0;
	size_t i;

	if (has_value(&o->exts, 43)) {
		for (i = 0; i < o->versions.n; i++)
			if (!tls_is_grease(o->versions.v[i]) && o->versions.v[i] > max)
				max = o->versions.v[i];
		v = max;
	}
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	default: return "00";
	}
}

/* Length of the UTF-8 sequence starting at p (n bytes left), 1 if invalid. */
static size_t utf8_len(const __u8 *p, size_t n)
{
	size_t len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 :
		     (*p & 0xF8) == 0xF0 ? 4 : 1, i;

	if (len > n)
		return 1;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 1;
	return len;
}

/*
 * First and last character of the first ALPN value; a non-ASCII character
 * counts as '9', a value of one character gives it and '0', no value "00"
 * (the reference implementation's rules, on the value read as UTF-8).
 */
static void ja4_alpn(const struct offered *o, char out[2])
{
	const __u8 *p = o->alpn0;
	size_t n = o->alpn0_len, first_len;

	out[0] = out[1] = '0';
	if (!p || !n)
		return;
	first_len = utf8_len(p, n);
	out[0] = p[0] < 0x80 ? p[0] : '9';
	if (first_len == n)
		return;
	out[1] = p[n - 1] < 0x80 ? p[n - 1] : '9';
}

/* SHA-256 of text, first 12 hex digits; twelve zeros for no text. */
static int hash12(const char *text, size_t len, char *out)
{
	static EVP_MD *sha256;

	if (!len) {
		memcpy(out, "000000000000", 13);
		return 0;
	}
	return digest_hex(md_fetched(&sha256, "SHA256"), text, len, out, 12);
}

int fingerprint_ja4(const struct offered *o, char *out)
{
	__u16 *sorted = malloc(OFFERED_MAX * sizeof(*sorted));
	char *text = malloc(2 * LIST_TEXT_MAX), alpn[2], a[13], b[13];
	size_t n, len;
	int err = -1;

	if (!sorted || !text)
		goto cleanup;
	ja4_alpn(o, alpn);
	n = sorted_without_grease(&o->ciphers, sorted, 0);
	len = list_text(text, LIST_TEXT_MAX, sorted, n, LIST_HEX4, ',', 0);
	if (hash12(text, len, a))
		goto cleanup;
	n = sorted_without_grease(&o->exts, sorted, 1);
	len = list_text(text, LIST_TEXT_MAX, sorted, n, LIST_HEX4, ',', 0);
	/* "_sigalgs" only when there are any (the specification's rule). */
	if (o->sigalgs.n) {
		text[len++] = '_';
		len += list_text(text + len, LIST_TEXT_MAX, o->sigalgs.v, o->sigalgs.n,
				 LIST_HEX4, ',', 0);
	}
	if (hash12(text, len, b))
		goto cleanup;
	n = count_without_grease(&o->ciphers);
	len = count_without_grease(&o->exts);
	snprintf(out, JA4_LEN + 1, "%c%s%c%02zu%02zu%c%c_%s_%s",
		 has_value(&o->exts, EXT_QUIC_PARAMS) ? 'q' : 't', ja4_version(o),
		 has_value(&o->exts, EXT_SNI) ? 'd' : 'i', n > 99 ? 99 : n, len > 99 ? 99 : len,
		 alpn[0], alpn[1], a, b);
	err = 0;
cleanup:
	free(sorted);
	free(text);
	return err;
}
