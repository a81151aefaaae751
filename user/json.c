// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON writer of the events and of tlsnoop check (json.h). */
#include <string.h>
#include "escape.h"
#include "fmt.h"
#include "json.h"

static void json_drain(struct json *j)
{
	fwrite(j->buf, 1, j->len, j->out);
	j->len = 0;
}

/* Room for n more bytes (n at most JSON_BUF). */
static char *json_room(struct json *j, size_t n)
{
	if (JSON_BUF - j->len < n)
		json_drain(j);
	return j->buf + j->len;
}

void json_put(struct json *j, const char *s, size_t n)
{
	if (n > JSON_BUF) {
		json_drain(j);
		fwrite(s, 1, n, j->out);
		return;
	}
	memcpy(json_room(j, n), s, n);
	j->len += n;
}

void json_putc(struct json *j, char c)
{
	*json_room(j, 1) = c;
	j->len++;
}

void json_key(struct json *j, const char *key)
{
	if (j->has_member[j->depth])
		json_putc(j, ',');
	j->has_member[j->depth] = true;
	if (key) {
		json_putc(j, '"');
		json_put(j, key, strlen(key));
		json_put(j, "\":", 2);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	json_putc(j, bracket);
	j->has_member[++j->depth] = false;
}

void json_close(struct json *j, char bracket)
{
	json_putc(j, bracket);
	j->depth--;
}

void json_bytes(struct json *j, const char *key, const void *s, size_t len)
{
	const char *p = s;
	size_t n;

	json_key(j, key);
	json_putc(j, '"');
	for (; len; len -= n, p += n) {
		n = len < JSON_BUF / JSON_ESCAPE_MAX ? len : JSON_BUF / JSON_ESCAPE_MAX;
		j->len += json_escape_to(json_room(j, n * JSON_ESCAPE_MAX), p, n);
	}
	json_putc(j, '"');
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_putc(j, '"');
	json_put(j, s, strlen(s));	/* only for strings of our own */
	json_putc(j, '"');
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	j->len += fmt_dec(json_room(j, FMT_DEC_MAX), v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	if (v)
		json_put(j, "true", 4);
	else
		json_put(j, "false", 5);
}

void json_begin(struct json *j, FILE *out)
{
	j->out = out;
	j->len = 0;
	j->depth = 0;
	j->has_member[0] = false;
	json_open(j, NULL, '{');
}

void json_end(struct json *j)
{
	json_close(j, '}');
	json_putc(j, '\n');
	json_drain(j);
}

void json_str_bytes(struct json *j, const char *key, const struct cert_str *s)
{
	json_bytes(j, key, s->s, s->len);
}

void json_date(struct json *j, const char *key, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	json_str(j, key, buf);
}

void json_sha256(struct json *j, const char *key, const __u8 *sha256)
{
	char hex[65];
	int i;

	for (i = 0; i < 32; i++)
		snprintf(&hex[2 * i], 3, "%02X", sha256[i]);
	json_str(j, key, hex);
}

void json_alt_names(struct json *j, const struct cert *c)
{
	int i;

	json_open(j, "alternative_names", '[');
	for (i = 0; i < c->n_names; i++)
		json_str_bytes(j, NULL, &c->names[i]);
	json_close(j, ']');
}

void json_cert_details(struct json *j, const struct cert *c)
{
	json_str(j, "serial_number", c->serial);
	json_date(j, "not_before", c->not_before);
	json_date(j, "not_after", c->not_after);
	json_str(j, "public_key_algorithm", c->key_type);
	json_uint(j, "public_key_size", c->key_bits > 0 ? c->key_bits : 0);
	json_str(j, "signature_algorithm", c->sig_alg);
}

/* tlsnoop.certificates.server / .client: the whole chain, in the order sent. */
void json_chain(struct json *j, const char *key, const struct cert_chain *chain)
{
	int i;

	json_open(j, key, '[');
	for (i = 0; i < chain->n; i++) {
		const struct cert *c = chain->cert[i];

		json_open(j, NULL, '{');
		json_str_bytes(j, "subject", &c->subject);
		if (c->common_name.len)
			json_str_bytes(j, "common_name", &c->common_name);
		if (c->n_names)
			json_alt_names(j, c);
		json_str_bytes(j, "issuer", &c->issuer);
		json_cert_details(j, c);
		json_sha256(j, "sha256", c->sha256);
		json_bool(j, "self_signed", c->self_signed);
		json_close(j, '}');
	}
	json_close(j, ']');
}

void json_findings(struct json *j, const char *key, unsigned int findings)
{
	int f;

	json_open(j, key, '[');
	for (f = 0; f < CERT_FINDINGS; f++)
		if (findings & 1u << f)
			json_str(j, NULL, cert_finding_name(f));
	json_close(j, ']');
}
