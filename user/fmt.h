/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Numbers as text without printf's parsing of a format: reading a capture,
 * the collector writes tens of them per handshake. */
#ifndef __FMT_H
#define __FMT_H

#include <stddef.h>
#include <string.h>

#define FMT_DEC_MAX	20	/* digits of the largest unsigned long long */

/* v in decimal, no NUL; returns the length. */
static inline size_t fmt_dec(char *out, unsigned long long v)
{
	char rev[FMT_DEC_MAX];
	size_t n = 0, i;

	do {
		rev[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

/* The low `digits` digits of v in decimal, zero-padded, no NUL. */
static inline void fmt_dec_fixed(char *out, unsigned long long v, size_t digits)
{
	while (digits--) {
		out[digits] = '0' + v % 10;
		v /= 10;
	}
}

/* The low `digits` hex digits of v, lower case, no NUL. */
static inline void fmt_hex(char *out, unsigned long long v, size_t digits)
{
	while (digits--) {
		out[digits] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
}

/* An IPv4 address as inet_ntop writes it ("192.0.2.1"), NUL-terminated:
 * at most 16 bytes. Returns the length. */
static inline size_t fmt_ipv4(char *out, const unsigned char addr[4])
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			out[n++] = '.';
		n += fmt_dec(out + n, addr[i]);
	}
	out[n] = '\0';
	return n;
}

/* Copy a string into size bytes, cut if longer, always NUL-terminated (as
 * snprintf("%s") does, without parsing a format). */
static inline void fmt_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

#endif /* __FMT_H */
