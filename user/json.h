/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A JSON writer: members put together in a buffer, written in large parts.
 * Keys and json_str() values are our own strings; bytes from the network
 * go through json_bytes(), which escapes them.
 */
#ifndef __JSON_H
#define __JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>
#include "cert.h"

#define JSON_DEPTH	8
#define JSON_BUF	(16 << 10)	/* a long event is written in parts */

struct json {
	FILE *out;
	size_t len;		/* bytes in buf */
	int depth;
	bool has_member[JSON_DEPTH];
	char buf[JSON_BUF];
};

/* A document on out: json_begin opens its object, json_end closes it,
 * ends the line and writes what is left. */
void json_begin(struct json *j, FILE *out);
void json_end(struct json *j);
void json_put(struct json *j, const char *s, size_t n);
void json_putc(struct json *j, char c);
/* The comma before a member, and its key (NULL in an array). */
void json_key(struct json *j, const char *key);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
/* Bytes as a string, escaped. */
void json_bytes(struct json *j, const char *key, const void *s, size_t len);
/* A string of our own, not escaped. */
void json_str(struct json *j, const char *key, const char *s);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_bool(struct json *j, const char *key, bool v);
/* "2026-11-22T14:02:11.000Z" */
void json_date(struct json *j, const char *key, time_t t);
/* Upper-case hex. */
void json_sha256(struct json *j, const char *key, const __u8 *sha256);

/* Certificates: a certificate's string, its subjectAltNames, a chain in
 * the order sent, and findings (bits of enum cert_finding) by name. */
void json_str_bytes(struct json *j, const char *key, const struct cert_str *s);
void json_alt_names(struct json *j, const struct cert *c);
/* Serial, validity, key and signature algorithm, as ECS x509.* names them. */
void json_cert_details(struct json *j, const struct cert *c);
void json_chain(struct json *j, const char *key, const struct cert_chain *chain);
void json_findings(struct json *j, const char *key, unsigned int findings);

#endif /* __JSON_H */
