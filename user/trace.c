// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tlsnoop's JSON event lines read back (trace.h), with json-c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "names.h"
#include "trace.h"

#define EXT_SUPPORTED_VERSIONS	43
/* Events nest three objects deep (tls.client.x509.subject); anything much
 * deeper is not one. */
#define TRACE_DEPTH		8

/* obj.a.b...: the member at the end of a dotted path, of type `type`. */
static struct json_object *member(struct json_object *obj, const char *path, json_type type)
{
	char key[32];
	const char *dot;
	size_t len;

	for (;;) {
		if (!json_object_is_type(obj, json_type_object))
			return NULL;
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		if (!json_object_object_get_ex(obj, key, &obj))
			return NULL;
		if (!dot)
			return json_object_is_type(obj, type) ? obj : NULL;
		path = dot + 1;
	}
}

static const char *member_str(struct json_object *obj, const char *path)
{
	struct json_object *s = member(obj, path, json_type_string);

	return s ? json_object_get_string(s) : NULL;
}

static bool member_true(struct json_object *obj, const char *path)
{
	struct json_object *b = member(obj, path, json_type_boolean);

	return b && json_object_get_boolean(b);
}

/* An address as the collector writes it: family and 16 bytes (IPv4 first). */
static int address(const char *text, __u8 addr[16], __u8 *family)
{
	if (!text)
		return -1;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

/* An array of names into ids, in order: names this build does not know
 * (a newer tlsnoop's) are left out. Past `max` entries: *cut. */
static __u16 id_list(struct json_object *arr, int (*id_of)(const char *, __u16 *), __u16 *ids,
		     __u16 max, bool *cut)
{
	size_t i, n = json_object_array_length(arr);
	struct json_object *s;
	__u16 k = 0, id;

	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(s, json_type_string) ||
		    id_of(json_object_get_string(s), &id))
			continue;
		if (k == max) {
			*cut = true;
			break;
		}
		ids[k++] = id;
	}
	return k;
}

/* What a JA4 is made of (letters, digits, '_'): nothing else is kept. */
static bool ja4_plausible(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

	return n && n <= JA4_LEN && !s[n];
}

/* tls.client and tlsnoop.client_hello back into what hello_parse() gave. */
static void hello_fields(struct json_object *root, struct trace_event *t)
{
	struct json_object *client = member(root, "tls.client", json_type_object);
	struct json_object *ciphers = member(client, "supported_ciphers", json_type_array);
	struct json_object *exts = member(client, "extensions", json_type_array);
	struct json_object *list;
	struct hello_info *h = &t->hello;
	struct client_hello *ch = &h->ch;
	const char *s;
	size_t i;

	if (!member(root, "tlsnoop.client_hello", json_type_object))
		return;
	ch->flags = HELLO_SEEN;
	if (member_true(root, "tlsnoop.client_hello.sslv2"))
		ch->flags |= HELLO_SSLV2;
	s = member_str(root, "tlsnoop.client_hello.legacy_version");
	ch->legacy_version = s ? tls_version_id(s) : 0;
	s = member_str(root, "tlsnoop.client_hello.max_version");
	ch->max_version = s ? tls_version_id(s) : 0;
	/* Without the lists (the hello's bytes never reached the collector)
	 * nothing can be judged. */
	if (!ciphers || !exts)
		return;
	t->has_hello = true;
	h->lists_cut = member_true(client, "lists_truncated");
	h->n_ciphers = id_list(ciphers, tls_cipher_id, h->ciphers, HELLO_LIST_MAX, &h->lists_cut);
	h->n_exts = id_list(exts, tls_extension_id, h->exts, HELLO_LIST_MAX, &h->lists_cut);
	list = member(client, "supported_groups", json_type_array);
	if (list)
		h->n_groups = id_list(list, tls_group_id, h->groups, HELLO_LIST_MAX,
				      &h->lists_cut);
	list = member(client, "signature_algorithms", json_type_array);
	if (list)
		h->n_sigalgs = id_list(list, tls_sigalg_id, h->sigalgs, HELLO_LIST_MAX,
				       &h->lists_cut);
	for (i = 0; i < h->n_exts; i++)
		if (h->exts[i] == EXT_SUPPORTED_VERSIONS)
			ch->flags |= HELLO_HAS_SUPP_VERSIONS;
	list = member(client, "supported_versions", json_type_array);
	for (i = 0; list && i < json_object_array_length(list); i++) {
		s = json_object_get_string(json_object_array_get_idx(list, i));
		ch->versions_mask |= VERSION_BIT(s ? tls_version_id(s) : 0);
	}
	/* A JA4 is there when the whole hello was read: `truncated` alone
	 * may only say that the SNI or ALPN was too long to keep. */
	s = member_str(client, "ja4");
	if (s && ja4_plausible(s))
		strcpy(h->ja4, s);
	else
		ch->flags |= HELLO_TRUNCATED;
}

/* One line, with a tokener of the caller's (reset here). */
static int parse_line(struct json_tokener *tok, const char *line, size_t len,
		      struct trace_event *t)
{
	struct json_object *root, *port;
	const char *outcome, *side;
	struct flow_key *k = &t->e.key;
	__u8 family;
	int err = -1;
	__s64 p;

	memset(t, 0, sizeof(*t));
	json_tokener_reset(tok);
	root = json_tokener_parse_ex(tok, line, len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		goto out;
	outcome = member_str(root, "event.outcome");
	port = member(root, "destination.port", json_type_int);
	p = port ? json_object_get_int64(port) : 0;
	if (!outcome || p < 1 || p > 65535 ||
	    address(member_str(root, "source.ip"), k->client_addr, &k->family) ||
	    address(member_str(root, "destination.ip"), k->server_addr, &family) ||
	    family != k->family)
		goto out;
	k->server_port = p;
	t->success = !strcmp(outcome, "success");
	side = member_str(root, "tlsnoop.side");
	t->backend = side && !strcmp(side, "backend");
	hello_fields(root, t);
	err = 0;
out:
	json_object_put(root);
	return err;
}

static struct json_tokener *tokener_new(void)
{
	struct json_tokener *tok = json_tokener_new_ex(TRACE_DEPTH);

	if (tok)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return tok;
}

int trace_parse_line(const char *line, size_t len, struct trace_event *t)
{
	struct json_tokener *tok = tokener_new();
	int err;

	if (!tok)
		return -1;
	err = parse_line(tok, line, len, t);
	json_tokener_free(tok);
	return err;
}

/* The next line of f into buf, without its newline: its length, or -1 at
 * the end. A line longer than the buffer is passed over (*too_long). */
static ssize_t next_line(FILE *f, char *buf, size_t size, bool *too_long)
{
	size_t len;
	int c;

	*too_long = false;
	if (!fgets(buf, size, f))
		return -1;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		return len - 1;
	if (feof(f))
		return len;
	*too_long = true;
	while ((c = getc(f)) != EOF && c != '\n')
		;
	return 0;
}

int trace_read(FILE *f, trace_fn fn, void *ctx, struct trace_stats *stats)
{
	struct trace_event *t = malloc(sizeof(*t));
	char *buf = malloc(TRACE_LINE_MAX);
	struct json_tokener *tok = tokener_new();
	bool too_long;
	ssize_t len;
	int err = -1;

	memset(stats, 0, sizeof(*stats));
	if (!t || !buf || !tok) {
		errno = ENOMEM;
		goto out;
	}
	while ((len = next_line(f, buf, TRACE_LINE_MAX, &too_long)) >= 0) {
		if (!len && !too_long)
			continue;
		stats->lines++;
		if (too_long || parse_line(tok, buf, len, t)) {
			stats->skipped++;
			continue;
		}
		stats->events++;
		fn(t, ctx);
	}
	err = ferror(f) ? -1 : 0;
out:
	if (tok)
		json_tokener_free(tok);
	free(buf);
	free(t);
	return err;
}
