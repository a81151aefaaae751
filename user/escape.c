// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "escape.h"

void json_escape(FILE *out, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			/* Non-ASCII bytes are not assumed to be UTF-8:
			 * each is one escaped code point (Latin-1). */
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void text_escape(FILE *out, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\\')
			fputs("\\\\", out);
		else if (c < 0x20 || c >= 0x7f || c == ' ')
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}
