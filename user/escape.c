// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* fputs_unlocked, fwrite_unlocked */
#include <string.h>
#include "escape.h"
#include "fmt.h"

static int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void json_escape(FILE *out, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	char esc[6] = "\\u00";
	size_t i = 0, run;

	flockfile(out);
	while (i < len) {
		for (run = i; run < len && json_plain(p[run]); run++)
			;
		fwrite_unlocked(p + i, 1, run - i, out);
		if (run == len)
			break;
		if (p[run] == '"' || p[run] == '\\') {
			putc_unlocked('\\', out);
			putc_unlocked(p[run], out);
		} else {
			/* Non-ASCII bytes are not assumed to be UTF-8: each
			 * is one escaped code point (Latin-1). */
			fmt_hex(esc + 4, p[run], 2);
			fwrite_unlocked(esc, 1, sizeof(esc), out);
		}
		i = run + 1;
	}
	funlockfile(out);
}

/* One byte for a terminal, in out (5 bytes); returns its length. */
static int text_escape_byte(unsigned char c, char *out)
{
	if (c == '\\')
		return snprintf(out, 5, "\\\\");
	if (c < 0x20 || c >= 0x7f || c == ' ')
		return snprintf(out, 5, "\\x%02x", c);
	out[0] = c;
	out[1] = '\0';
	return 1;
}

void text_escape(FILE *out, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	char esc[5];
	size_t i;

	for (i = 0; i < len; i++) {
		text_escape_byte(p[i], esc);
		fputs(esc, out);
	}
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
		n = text_escape_byte(p[i], esc);
		if (used + n >= size)
			break;
		memcpy(buf + used, esc, n);
		used += n;
	}
	buf[used] = '\0';
}
