/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bytes from the wire, made safe for JSON strings and terminals. */
#ifndef __ESCAPE_H
#define __ESCAPE_H

#include <stdio.h>
#include <stddef.h>

/* Inside a JSON string: quotes, backslashes, control and non-ASCII bytes
 * become escapes, so the output is valid JSON (and ASCII) whatever the input. */
void json_escape(FILE *out, const void *bytes, size_t len);
/* The same into dst, which has room for JSON_ESCAPE_MAX bytes per byte;
 * returns the length written (no NUL). */
#define JSON_ESCAPE_MAX	6	/* \u00XX */
size_t json_escape_to(char *dst, const void *bytes, size_t len);
/* For a terminal: anything outside printable ASCII becomes \xHH. */
void text_escape(FILE *out, const void *bytes, size_t len);
/* The same, spaces kept: for text whose fields are not split on spaces. */
void text_escape_spaced(FILE *out, const void *bytes, size_t len);
/* text_escape() into buf, NUL-terminated, cut before an escape that does
 * not fit. */
void escape_to_buf(char *buf, size_t size, const void *bytes, size_t len);

#endif /* __ESCAPE_H */
