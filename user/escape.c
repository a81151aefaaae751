// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include "escape.h"
#include "fmt.h"

size_t json_escape_to(char *dst, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	char *d = dst;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* Non-ASCII bytes are not assumed to be UTF-8: each
			 * is one escaped code point (Latin-1). */
			memcpy(d, "\\u00", 4);
			fmt_hex(d + 4, c, 2);
			d += JSON_ESCAPE_MAX;
		} else {
			*d++ = c;
		}
	}
	return d - dst;
}

void json_escape(FILE *out, const void *bytes, size_t len)
{
	char buf[256 * JSON_ESCAPE_MAX];
	const char *p = bytes;
	size_t n;

	for (; len; len -= n, p += n) {
		n = len < 256 ? len : 256;
		fwrite(buf, 1, json_escape_to(buf, p, n), out);
	}
}

/* One byte for a terminal, in out (5 bytes); returns its length. */
static int text_escape_byte(unsigned char c, char *out, bool keep_space)
{
	if (c == '\\')
		return snprintf(out, 5, "\\\\");
	if (c < 0x20 || c >= 0x7f || (c == ' ' && !keep_space))
		return snprintf(out, 5, "\\x%02x", c);
	out[0] = c;
	out[1] = '\0';
	return 1;
}

static void text_escape_to(FILE *out, const void *bytes, size_t len, bool keep_space)
{
	const unsigned char *p = bytes;
	char esc[5];
	size_t i;

	for (i = 0; i < len; i++) {
		text_escape_byte(p[i], esc, keep_space);
		fputs(esc, out);
	}
}

void text_escape(FILE *out, const void *bytes, size_t len)
{
	text_escape_to(out, bytes, len, false);
}

void text_escape_spaced(FILE *out, const void *bytes, size_t len)
{
	text_escape_to(out, bytes, len, true);
}

void escape_to_buf(char *buf, size_t size, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	size_t used = 0, i;
	char esc[5];
	int n;

	if (!size)
		return;
	for (i = 0; i < len; i++) {
		n = text_escape_byte(p[i], esc, false);
		if (used + n >= size)
			break;
		memcpy(buf + used, esc, n);
		used += n;
	}
	buf[used] = '\0';
}
