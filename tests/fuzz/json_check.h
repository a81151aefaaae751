/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Checks of the collector's output lines, shared by the fuzzers: a strict
 * JSON reader and the printable-ASCII rule.
 */
#ifndef __JSON_CHECK_H
#define __JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A strict recursive-descent reader: RFC 8259 values, nothing after. */
struct json_in {
	const char *p, *end;
	int depth;
};

static inline bool json_value(struct json_in *j);

static inline void json_ws(struct json_in *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static inline bool json_eat(struct json_in *j, char c)
{
	json_ws(j);
	if (j->p >= j->end || *j->p != c)
		return false;
	j->p++;
	return true;
}

static inline bool json_string(struct json_in *j)
{
	int i;

	if (!json_eat(j, '"'))
		return false;
	while (j->p < j->end) {
		unsigned char c = *j->p++;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (j->p >= j->end)
			return false;
		c = *j->p++;
		if (strchr("\"\\/bfnrt", c))
			continue;
		if (c != 'u' || j->end - j->p < 4)
			return false;
		for (i = 0; i < 4; i++, j->p++)
			if (!strchr("0123456789abcdefABCDEF", *j->p))
				return false;
	}
	return false;
}

static inline bool json_digits(struct json_in *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

static inline bool json_number(struct json_in *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!json_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.' && (j->p++, !json_digits(j)))
		return false;
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		return json_digits(j);
	}
	return true;
}

/* Object or array, its opening bracket eaten. */
static inline bool json_members(struct json_in *j, bool object)
{
	char close = object ? '}' : ']';

	if (json_eat(j, close))
		return true;
	do {
		if (object && (!json_string(j) || !json_eat(j, ':')))
			return false;
		if (!json_value(j))
			return false;
	} while (json_eat(j, ','));
	return json_eat(j, close);
}

static inline bool json_literal(struct json_in *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

static inline bool json_value(struct json_in *j)
{
	bool ok;

	json_ws(j);
	if (j->p >= j->end || ++j->depth > 32)
		return false;
	switch (*j->p) {
	case '{':
	case '[':
		ok = json_members(j, *j->p++ == '{');
		break;
	case '"':
		ok = json_string(j);
		break;
	case 't':
		ok = json_literal(j, "true");
		break;
	case 'f':
		ok = json_literal(j, "false");
		break;
	case 'n':
		ok = json_literal(j, "null");
		break;
	default:
		ok = json_number(j);
	}
	j->depth--;
	return ok;
}

static inline bool json_object_valid(const char *s, size_t n)
{
	struct json_in j = { .p = s, .end = s + n };

	json_ws(&j);
	if (j.p >= j.end || *j.p != '{' || !json_value(&j))
		return false;
	json_ws(&j);
	return j.p == j.end;
}

/* The reader must tell good from bad, or its verdicts mean nothing: the
 * first sample it misjudges, or NULL. */
static inline const char *json_reader_misjudges(void)
{
	static const char *const good[] = {
		"{}", "{\"a\":[1,-2.5e3,{\"b\":true,\"c\":null}],\"d\":\"\\u00e9\\\"\"}",
	};
	static const char *const bad[] = {
		"{\"a\":1,}", "{\"a\":\"\\u00zz\"}", "{\"a\":[1}", "{\"a\":1}}", "{\"a\" 1}",
		"{\"a\":01}", "{\"a\":\"\x01\"}", "[1]", "{\"a\":tru}",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!json_object_valid(good[i], strlen(good[i])))
			return good[i];
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_object_valid(bad[i], strlen(bad[i])))
			return bad[i];
	return NULL;
}

/* One output line: printable ASCII, one newline at its end. */
static inline bool line_clean(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[n - 1] != '\n')
		return false;
	for (i = 0; i + 1 < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

#endif /* __JSON_CHECK_H */
