// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ClientHello parser. The kernel hands over the hello's bytes as they came
 * from the wire (an attacker's choice); every read goes through a cursor
 * that knows how many bytes are left, so nothing is read past them.
 */
#include <stdlib.h>
#include <string.h>
#include "cursor.h"
#include "hello.h"

#define TLS_RECORD_HDR		5
#define TLS_CT_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1

#define EXT_SNI			0
#define EXT_GROUPS		10
#define EXT_POINT_FORMATS	11
#define EXT_SIGALGS		13
#define EXT_ALPN		16
#define EXT_SESSION_TICKET	35
#define EXT_PSK			41
#define EXT_EARLY_DATA		42
#define EXT_SUPP_VERSIONS	43
#define EXT_KEY_SHARE		51

/* A vector with a 1- or 2-byte length prefix. */
static int get_vec8(struct cursor *c, struct cursor *out)
{
	__u32 n;

	return get_u8(c, &n) || get_bytes(c, n, out) ? -1 : 0;
}

static int get_vec16(struct cursor *c, struct cursor *out)
{
	__u32 n;

	return get_u16(c, &n) || get_bytes(c, n, out) ? -1 : 0;
}

/* Keep at most max bytes of a name; returns the length kept. */
static __u8 keep(void *dst, size_t max, const struct cursor *src, __u16 *flags, __u16 cut_flag)
{
	size_t n = src->n;

	if (n > max) {
		n = max;
		*flags |= cut_flag;
	}
	memcpy(dst, src->p, n);
	return n;
}

/* server_name: a list of (type, name); the first host_name (type 0) counts. */
static void ext_sni(struct cursor ext, struct client_hello *ch)
{
	struct cursor list, name;
	__u32 type;

	if (get_vec16(&ext, &list))
		return;
	while (!get_u8(&list, &type) && !get_vec16(&list, &name)) {
		if (type != 0)
			continue;
		if (name.n) {
			ch->flags |= HELLO_HAS_SNI;
			ch->sni_len = keep(ch->sni, TLSNOOP_SNI_MAX, &name, &ch->flags,
					   HELLO_SNI_TRUNCATED);
		}
		return;
	}
}

static void ext_alpn(struct cursor ext, struct client_hello *ch, struct offered *o)
{
	struct cursor list, first;

	ch->flags |= HELLO_HAS_ALPN;
	if (get_vec16(&ext, &list))
		return;
	ch->alpn_len = keep(ch->alpn, TLSNOOP_ALPN_MAX, &list, &ch->flags, HELLO_ALPN_TRUNCATED);
	if (!get_vec8(&list, &first)) {
		o->alpn0 = first.p;
		o->alpn0_len = first.n;
	}
}

/* The values of a vector already read. */
static void u16_list_raw(struct cursor list, struct u16_list *out)
{
	__u32 v;

	while (out->n < OFFERED_MAX && !get_u16(&list, &v))
		out->v[out->n++] = v;
}

/* A list of u16 values in a vector with a length prefix of `prefix` bytes. */
static void u16_list(struct cursor ext, int prefix, struct u16_list *out)
{
	struct cursor list;

	if (!(prefix == 1 ? get_vec8(&ext, &list) : get_vec16(&ext, &list)))
		u16_list_raw(list, out);
}

static void point_formats(struct cursor ext, struct offered *o)
{
	struct cursor list;
	__u32 v;

	if (get_vec8(&ext, &list))
		return;
	while (o->n_formats < sizeof(o->formats) && !get_u8(&list, &v))
		o->formats[o->n_formats++] = v;
}

static void ext_versions(struct cursor ext, struct client_hello *ch, struct offered *o)
{
	__u16 v, i;

	ch->flags |= HELLO_HAS_SUPP_VERSIONS;
	u16_list(ext, 1, &o->versions);
	for (i = 0; i < o->versions.n; i++) {
		v = o->versions.v[i];
		if (tls_is_grease(v))
			continue;
		ch->versions_mask |= VERSION_BIT(v);
		if ((v >> 8) == 3 && v > ch->max_version)
			ch->max_version = v;
	}
}

static void extensions(struct cursor exts, struct client_hello *ch, struct offered *o)
{
	struct cursor data;
	__u32 type;

	while (!get_u16(&exts, &type) && !get_vec16(&exts, &data)) {
		ch->ext_count++;
		if (o->exts.n < OFFERED_MAX)
			o->exts.v[o->exts.n++] = type;
		switch (type) {
		case EXT_SNI:
			ext_sni(data, ch);
			break;
		case EXT_GROUPS:
			u16_list(data, 2, &o->groups);
			break;
		case EXT_POINT_FORMATS:
			point_formats(data, o);
			break;
		case EXT_SIGALGS:
			u16_list(data, 2, &o->sigalgs);
			break;
		case EXT_ALPN:
			ext_alpn(data, ch, o);
			break;
		case EXT_SUPP_VERSIONS:
			ext_versions(data, ch, o);
			break;
		case EXT_KEY_SHARE:
			ch->flags |= HELLO_HAS_KEY_SHARE;
			break;
		case EXT_SESSION_TICKET:
			/* Empty: asks for a ticket; with one: resumes from it. */
			if (data.n)
				ch->flags |= HELLO_HAS_TICKET;
			break;
		case EXT_PSK:
			ch->flags |= HELLO_HAS_PSK;
			break;
		case EXT_EARLY_DATA:
			ch->flags |= HELLO_HAS_EARLY_DATA;
			break;
		}
	}
}

/* The hello's facts into ch, its lists into o. */
static int parse(const __u8 *rec, size_t len, struct client_hello *ch, struct offered *o)
{
	struct cursor c = { rec, len }, body, msg, v;
	__u32 type, rec_version, rec_len, hs_type, hs_len, u;

	if (get_u8(&c, &type) || type != TLS_CT_HANDSHAKE || get_u16(&c, &rec_version) ||
	    get_u16(&c, &rec_len))
		return -1;
	/* Parse no further than this record, nor than the message. */
	body = c;
	if (body.n > rec_len)
		body.n = rec_len;
	if (get_u8(&body, &hs_type) || hs_type != TLS_HS_CLIENT_HELLO || get_u24(&body, &hs_len))
		return -1;
	ch->flags |= HELLO_SEEN;
	ch->record_version = rec_version;
	ch->hello_len = hs_len;
	if (c.n < rec_len || body.n < hs_len)
		ch->flags |= HELLO_TRUNCATED;
	msg = body;
	if (msg.n > hs_len)
		msg.n = hs_len;

	if (get_u16(&msg, &u))
		return 0;
	ch->legacy_version = u;
	o->legacy_version = u;
	if (get_bytes(&msg, 32, &v) || get_vec8(&msg, &v) || v.n > TLSNOOP_SID_MAX)
		return 0;
	ch->session_id_len = v.n;
	memcpy(ch->session_id, v.p, v.n);
	if (get_vec16(&msg, &v))
		return 0;
	ch->cipher_count = v.n / 2;
	u16_list_raw(v, &o->ciphers);
	if (get_vec8(&msg, &v) || get_u16(&msg, &u))	/* compression, extensions */
		return 0;
	/* A hello cut short: the extensions that are all here still count. */
	if (get_bytes(&msg, u < msg.n ? u : msg.n, &v))
		return 0;
	extensions(v, ch, o);
	return 0;
}

/* Keep at most HELLO_LIST_MAX entries of a list. */
static __u16 keep_list(__u16 *dst, const struct u16_list *src, bool *cut)
{
	__u16 n = src->n < HELLO_LIST_MAX ? src->n : HELLO_LIST_MAX;

	*cut |= n < src->n;
	memcpy(dst, src->v, n * sizeof(*dst));
	return n;
}

int hello_parse(const __u8 *rec, size_t len, struct hello_info *hi)
{
	struct offered *o = calloc(1, sizeof(*o));
	int err = -1;

	memset(hi, 0, sizeof(*hi));
	if (!o || parse(rec, len, &hi->ch, o))
		goto cleanup;
	hi->n_ciphers = keep_list(hi->ciphers, &o->ciphers, &hi->lists_cut);
	hi->n_exts = keep_list(hi->exts, &o->exts, &hi->lists_cut);
	hi->n_groups = keep_list(hi->groups, &o->groups, &hi->lists_cut);
	hi->n_sigalgs = keep_list(hi->sigalgs, &o->sigalgs, &hi->lists_cut);
	/* A fingerprint of part of a hello would name a client that is not. */
	if (!(hi->ch.flags & HELLO_TRUNCATED) &&
	    (fingerprint_ja3(o, hi->ja3) || fingerprint_ja4(o, hi->ja4)))
		hi->ja3[0] = hi->ja4[0] = '\0';
	err = 0;
cleanup:
	free(o);
	return err;
}

int hello_parse_client(const __u8 *rec, size_t len, struct client_hello *ch)
{
	struct offered *o = calloc(1, sizeof(*o));
	int err = o ? parse(rec, len, ch, o) : -1;

	free(o);
	return err;
}
