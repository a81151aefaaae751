// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the ClientHello parser (user/hello.c) and of the table that joins
 * hellos to their events (user/hello_table.c). Hellos come from pkt.h's
 * builder and what the parser must find is read from the builder's input,
 * never from the parser. Every parse reads from an exactly-sized heap copy:
 * built with -fsanitize=address (make unit), any over-read aborts.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "hello.h"
#include "hello_table.h"
#include "pkt.h"
#include "check.h"

#define REC_HDR		5
#define HS_HDR		4
#define SNI		"www.example.com"

static struct tlsbuf buf;	/* 64 KiB: too large for the stack */

/* Parse the first @len bytes of @p from a copy of exactly @len bytes. */
static int parse(const __u8 *p, size_t len, struct client_hello *ch)
{
	__u8 *copy = malloc(len);
	int rc;

	if (!copy && len)
		pkt_fail("out of memory");
	memcpy(copy, p, len);
	memset(ch, 0, sizeof(*ch));
	rc = hello_parse_client(copy, len, ch);
	free(copy);
	return rc;
}

/* The ClientHello record for @c, alone in buf; returns its length. */
static size_t build(const struct tlsb_ch *c)
{
	buf.len = 0;
	tlsb_client_hello(&buf, c);
	return buf.len;
}

static void drop_ext(struct tlsb_ch *c, __u16 type)
{
	int i, n = 0;

	for (i = 0; i < c->n_exts; i++)
		if (c->exts[i].type != type)
			c->exts[n++] = c->exts[i];
	c->n_exts = n;
}

/* Replace the body of extension @type with @len raw bytes. */
static void raw_ext(struct tlsb_ch *c, __u16 type, const void *data, __u16 len)
{
	int i;

	for (i = 0; i < c->n_exts; i++)
		if (c->exts[i].type == type)
			c->exts[i] = (struct tlsb_ext){ type, len, data };
}

static void add_ext(struct tlsb_ch *c, __u16 type)
{
	c->exts[c->n_exts++] = (struct tlsb_ext){ .type = type };
}

/* ALPN protocol_name_list bytes, as the RFC lays them out. */
static size_t alpn_wire(const struct tlsb_ch *c, __u8 *out)
{
	size_t n = 0, len;
	int i;

	for (i = 0; i < c->n_alpn; i++) {
		len = strlen(c->alpn[i]);
		out[n++] = len;
		memcpy(out + n, c->alpn[i], len);
		n += len;
	}
	return n;
}

/* Where an extension of the hello in buf ends. */
static size_t ext_end(__u16 type)
{
	long at = tlsb_ext_offset(&buf, 0, type);

	if (at < 0)
		pkt_fail("no such extension");
	return at + 4 + pkt_rd16(buf.b + at + 2);
}

/* Extensions of the hello in buf that end within @cut bytes. */
static int exts_within(const struct tlsb_ch *c, size_t cut)
{
	int i, n = 0;

	for (i = 0; i < c->n_exts; i++)
		n += ext_end(c->exts[i].type) <= cut;
	return n;
}

/* Offsets in the record of the parts before the extensions. */
struct layout {
	size_t sid;		/* session id length byte */
	size_t ciphers;		/* cipher suites length */
	size_t comp;		/* compression methods length */
	size_t exts;		/* extensions length */
	size_t end;		/* end of the record */
};

static struct layout layout_of(const struct tlsb_ch *c, size_t len)
{
	struct layout l;

	l.sid = REC_HDR + HS_HDR + 2 + 32;
	l.ciphers = l.sid + 1 + c->sid_len;
	l.comp = l.ciphers + 2 + 2 * c->n_ciphers;
	l.exts = l.comp + 1 + c->n_comp;
	l.end = len;
	return l;
}

/* --------------------------------------------------------------- parser */

static void check_browser(const char *name, bool pq)
{
	__u16 want_flags = HELLO_SEEN | HELLO_HAS_SNI | HELLO_HAS_ALPN |
			   HELLO_HAS_SUPP_VERSIONS | HELLO_HAS_KEY_SHARE;
	struct client_hello ch;
	struct tlsb_ch c;
	__u8 alpn[64];
	size_t len, alpn_len;

	current = name;
	tlsb_ch_browser(&c, SNI, pq);
	len = build(&c);
	alpn_len = alpn_wire(&c, alpn);
	CHECK(parse(buf.b, len, &ch) == 0, "not parsed");
	CHECK(ch.flags == want_flags, "flags %#x, want %#x", ch.flags, want_flags);
	CHECK(ch.record_version == c.record_version, "record version %#x", ch.record_version);
	CHECK(ch.legacy_version == c.version, "legacy version %#x", ch.legacy_version);
	CHECK(ch.max_version == 0x0304, "max version %#x", ch.max_version);
	CHECK(ch.versions_mask == (VERSION_BIT(0x0304) | VERSION_BIT(0x0303)),
	      "versions mask %#x", ch.versions_mask);
	CHECK(ch.cipher_count == c.n_ciphers, "cipher count %u", ch.cipher_count);
	CHECK(ch.ext_count == c.n_exts, "ext count %u, want %d", ch.ext_count, c.n_exts);
	CHECK(ch.session_id_len == c.sid_len && !memcmp(ch.session_id, c.sid, c.sid_len),
	      "session id (%u bytes)", ch.session_id_len);
	CHECK(ch.sni_len == strlen(SNI) && !memcmp(ch.sni, SNI, ch.sni_len), "sni %.*s",
	      ch.sni_len, ch.sni);
	CHECK(ch.alpn_len == alpn_len && !memcmp(ch.alpn, alpn, alpn_len), "alpn (%u bytes)",
	      ch.alpn_len);
	CHECK(ch.hello_len == len - REC_HDR - HS_HDR, "hello len %u of %zu", ch.hello_len, len);
	if (pq)
		CHECK(ch.hello_len > 1216, "post-quantum hello of %zu bytes", len);
}

/* A resumption: pre_shared_key and early_data offered. */
static void test_resumption(void)
{
	struct client_hello ch;
	struct tlsb_ch c;

	current = "resumption";
	tlsb_ch_browser(&c, SNI, false);
	c.psk_identity_len = 120;
	add_ext(&c, TLSB_EXT_EARLY_DATA);
	add_ext(&c, TLSB_EXT_PRE_SHARED_KEY);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & (HELLO_HAS_PSK | HELLO_HAS_EARLY_DATA)) ==
	      (HELLO_HAS_PSK | HELLO_HAS_EARLY_DATA), "flags %#x", ch.flags);
	CHECK(ch.ext_count == c.n_exts, "ext count %u", ch.ext_count);
	CHECK(!(ch.flags & HELLO_TRUNCATED), "flags %#x", ch.flags);
	CHECK(!(ch.flags & HELLO_HAS_TICKET), "flags %#x", ch.flags);
}

/* session_ticket: empty asks for a ticket, non-empty resumes from one. */
static void test_session_ticket(void)
{
	static const __u8 ticket[160] = { 0x5e };
	struct client_hello ch;
	struct tlsb_ch c;

	current = "session ticket";
	tlsb_ch_browser(&c, SNI, false);
	c.exts[c.n_exts++] = (struct tlsb_ext){ 35, 0, "" };
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & HELLO_HAS_TICKET), "an empty ticket counts: flags %#x", ch.flags);
	raw_ext(&c, 35, ticket, sizeof(ticket));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(ch.flags & HELLO_HAS_TICKET, "the ticket is not seen: flags %#x", ch.flags);
}

/* TLS 1.2 only: no supported_versions, no key_share. */
static void test_tls12(void)
{
	struct client_hello ch;
	struct tlsb_ch c;

	current = "tls1.2 hello";
	tlsb_ch_browser(&c, SNI, false);
	drop_ext(&c, TLSB_EXT_SUPPORTED_VERSIONS);
	drop_ext(&c, TLSB_EXT_KEY_SHARE);
	c.sid_len = 0;
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & (HELLO_HAS_SUPP_VERSIONS | HELLO_HAS_KEY_SHARE)), "flags %#x",
	      ch.flags);
	CHECK(ch.max_version == 0 && ch.versions_mask == 0, "versions %#x mask %#x",
	      ch.max_version, ch.versions_mask);
	CHECK(ch.session_id_len == 0, "session id of %u bytes", ch.session_id_len);
}

static void test_sni(void)
{
	static const __u8 other_first[] = {
		0, 20,
		1, 0, 4, 'x', '.', 'i', 'p',				/* not host_name */
		0, 0, 10, 'h', 'o', 's', 't', '.', 't', 'e', 's', 't', 's',
	};
	static const __u8 only_other[] = { 0, 7, 1, 0, 4, 'x', '.', 'i', 'p' };
	static const __u8 empty_name[] = { 0, 3, 0, 0, 0 };
	char name[201];
	struct client_hello ch;
	struct tlsb_ch c;

	current = "no server_name";
	tlsb_ch_browser(&c, SNI, false);
	drop_ext(&c, TLSB_EXT_SERVER_NAME);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & HELLO_HAS_SNI) && ch.sni_len == 0, "flags %#x sni_len %u", ch.flags,
	      ch.sni_len);
	CHECK(ch.ext_count == c.n_exts, "ext count %u", ch.ext_count);

	current = "empty server_name";
	tlsb_ch_browser(&c, NULL, false);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & HELLO_HAS_SNI) && ch.sni_len == 0, "flags %#x", ch.flags);

	current = "empty host_name";
	raw_ext(&c, TLSB_EXT_SERVER_NAME, empty_name, sizeof(empty_name));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & HELLO_HAS_SNI) && ch.sni_len == 0, "flags %#x", ch.flags);

	current = "sni of TLSNOOP_SNI_MAX";
	memset(name, 'a', TLSNOOP_SNI_MAX);
	name[TLSNOOP_SNI_MAX] = 0;
	tlsb_ch_browser(&c, name, false);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & (HELLO_HAS_SNI | HELLO_SNI_TRUNCATED)) == HELLO_HAS_SNI &&
	      ch.sni_len == TLSNOOP_SNI_MAX, "flags %#x sni_len %u", ch.flags, ch.sni_len);

	current = "sni longer than TLSNOOP_SNI_MAX";
	for (size_t i = 0; i < sizeof(name) - 1; i++)
		name[i] = 'a' + i % 26;
	name[sizeof(name) - 1] = 0;
	tlsb_ch_browser(&c, name, false);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & (HELLO_HAS_SNI | HELLO_SNI_TRUNCATED)) ==
	      (HELLO_HAS_SNI | HELLO_SNI_TRUNCATED), "flags %#x", ch.flags);
	CHECK(ch.sni_len == TLSNOOP_SNI_MAX && !memcmp(ch.sni, name, TLSNOOP_SNI_MAX),
	      "sni_len %u", ch.sni_len);
	CHECK(ch.ext_count == c.n_exts && (ch.flags & HELLO_HAS_ALPN), "after the sni: %u, %#x",
	      ch.ext_count, ch.flags);

	current = "host_name after another name type";
	tlsb_ch_browser(&c, NULL, false);
	raw_ext(&c, TLSB_EXT_SERVER_NAME, other_first, sizeof(other_first));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_HAS_SNI) && ch.sni_len == 10 && !memcmp(ch.sni, "host.tests", 10),
	      "sni %.*s", ch.sni_len, ch.sni);

	current = "no host_name in the list";
	raw_ext(&c, TLSB_EXT_SERVER_NAME, only_other, sizeof(only_other));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(!(ch.flags & HELLO_HAS_SNI) && ch.sni_len == 0, "flags %#x", ch.flags);
}

static void test_alpn(void)
{
	static const char *const names[] = { "h2", "http/1.1", "spdy/3.1", "h2c", "acme-tls/1" };
	__u8 alpn[64];
	size_t n;
	struct client_hello ch;
	struct tlsb_ch c;

	current = "alpn longer than TLSNOOP_ALPN_MAX";
	tlsb_ch_browser(&c, SNI, false);
	c.n_alpn = PKT_NELEM(names);
	memcpy(c.alpn, names, sizeof(names));
	n = alpn_wire(&c, alpn);
	CHECK(n > TLSNOOP_ALPN_MAX, "only %zu bytes of names", n);
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & (HELLO_HAS_ALPN | HELLO_ALPN_TRUNCATED)) ==
	      (HELLO_HAS_ALPN | HELLO_ALPN_TRUNCATED), "flags %#x", ch.flags);
	CHECK(ch.alpn_len == TLSNOOP_ALPN_MAX && !memcmp(ch.alpn, alpn, TLSNOOP_ALPN_MAX),
	      "alpn_len %u", ch.alpn_len);
	CHECK(ch.ext_count == c.n_exts, "ext count %u", ch.ext_count);
}

static void test_versions(void)
{
	static const __u16 versions[] = {
		TLSB_GREASE(0), 0x0303, TLSB_GREASE(15), 0x7f1c, 0x0302, TLSB_GREASE(7),
	};
	static const __u8 odd_list[] = { 5, 0x03, 0x04, 0x03, 0x03, 0x03 };
	static const __u8 long_list[] = { 9, 0x03, 0x04 };
	struct client_hello ch;
	struct tlsb_ch c;

	current = "GREASE in supported_versions";
	tlsb_ch_browser(&c, SNI, false);
	c.n_versions = PKT_NELEM(versions);
	memcpy(c.versions, versions, sizeof(versions));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(ch.max_version == 0x0303, "max version %#x", ch.max_version);
	CHECK(ch.versions_mask == (VERSION_BIT(0x0303) | VERSION_BIT(0x0302)), "mask %#x",
	      ch.versions_mask);

	current = "only GREASE in supported_versions";
	c.n_versions = 1;
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_HAS_SUPP_VERSIONS) && ch.max_version == 0 &&
	      ch.versions_mask == 0, "max version %#x mask %#x", ch.max_version,
	      ch.versions_mask);

	current = "supported_versions of odd length";
	raw_ext(&c, TLSB_EXT_SUPPORTED_VERSIONS, odd_list, sizeof(odd_list));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(ch.max_version == 0x0304 && ch.versions_mask == (VERSION_BIT(0x0304) |
	      VERSION_BIT(0x0303)), "max version %#x mask %#x", ch.max_version,
	      ch.versions_mask);

	current = "supported_versions list longer than its extension";
	raw_ext(&c, TLSB_EXT_SUPPORTED_VERSIONS, long_list, sizeof(long_list));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_HAS_SUPP_VERSIONS) && ch.max_version == 0, "max version %#x",
	      ch.max_version);
	CHECK(ch.ext_count == c.n_exts, "ext count %u", ch.ext_count);
}

static void test_no_extensions(void)
{
	struct client_hello ch;
	struct tlsb_ch c;
	size_t len;

	current = "no extensions";
	tlsb_ch_browser(&c, SNI, false);
	c.n_exts = 0;
	len = build(&c);
	CHECK(len == layout_of(&c, len).exts, "extensions length written");
	CHECK(parse(buf.b, len, &ch) == 0, "not parsed");
	CHECK(ch.flags == HELLO_SEEN, "flags %#x", ch.flags);
	CHECK(ch.ext_count == 0 && ch.cipher_count == c.n_ciphers &&
	      ch.session_id_len == c.sid_len, "ext count %u cipher count %u sid %u",
	      ch.ext_count, ch.cipher_count, ch.session_id_len);
}

/*
 * What a hello cut after @cut bytes must give, next to the whole one: only
 * the parts wholly inside the cut, and HELLO_TRUNCATED unless nothing is cut.
 */
static const char *cut_wrong(const struct tlsb_ch *c, const struct layout *l, size_t cut,
			     const struct client_hello *whole)
{
	static const struct { __u16 type, flag; } with_flag[] = {
		{ TLSB_EXT_SERVER_NAME, HELLO_HAS_SNI },
		{ TLSB_EXT_ALPN, HELLO_HAS_ALPN },
		{ TLSB_EXT_SUPPORTED_VERSIONS, HELLO_HAS_SUPP_VERSIONS },
		{ TLSB_EXT_KEY_SHARE, HELLO_HAS_KEY_SHARE },
	};
	__u16 want_flags = HELLO_SEEN | (cut < l->end ? HELLO_TRUNCATED : 0);
	struct client_hello ch;
	int i;

	if (parse(buf.b, cut, &ch))
		return cut >= REC_HDR + HS_HDR ? "not parsed" : NULL;
	if (cut < REC_HDR + HS_HDR)
		return "parsed without a handshake header";
	for (i = 0; i < (int)PKT_NELEM(with_flag); i++)
		if (ext_end(with_flag[i].type) <= cut)
			want_flags |= with_flag[i].flag;
	if (ch.flags != want_flags)
		return "flags";
	if (ch.record_version != whole->record_version || ch.hello_len != whole->hello_len)
		return "record version or hello length";
	if (ch.legacy_version != (cut >= l->sid - 32 ? whole->legacy_version : 0))
		return "legacy version";
	if (ch.session_id_len != (cut >= l->ciphers ? c->sid_len : 0))
		return "session id";
	if (ch.cipher_count != (cut >= l->comp ? c->n_ciphers : 0))
		return "cipher count";
	if (ch.ext_count != exts_within(c, cut))
		return "extension count";
	if (ch.sni_len != (ch.flags & HELLO_HAS_SNI ? whole->sni_len : 0) ||
	    memcmp(ch.sni, whole->sni, ch.sni_len))
		return "sni";
	if (ch.alpn_len != (ch.flags & HELLO_HAS_ALPN ? whole->alpn_len : 0) ||
	    memcmp(ch.alpn, whole->alpn, ch.alpn_len))
		return "alpn";
	if (ch.max_version != (ch.flags & HELLO_HAS_SUPP_VERSIONS ? whole->max_version : 0))
		return "max version";
	return NULL;
}

static void check_cuts(const char *name, bool pq)
{
	struct client_hello whole;
	struct tlsb_ch c;
	struct layout l;
	const char *why = NULL;
	size_t len, cut, bad = 0;

	current = name;
	tlsb_ch_browser(&c, SNI, pq);
	len = build(&c);
	l = layout_of(&c, len);
	CHECK(parse(buf.b, len, &whole) == 0, "whole hello not parsed");
	for (cut = 0; cut <= len && !why; cut++) {
		why = cut_wrong(&c, &l, cut, &whole);
		bad = cut;
	}
	CHECK(!why, "cut at %zu of %zu: %s", bad, len, why);
}

static __u8 lied[TLSBUF_MAX];

/* The hello in buf with its length field at @at, of @w bytes, set to @v. */
static const __u8 *lie(size_t at, int w, __u32 v)
{
	memcpy(lied, buf.b, buf.len);
	if (w == 1)
		lied[at] = v;
	else if (w == 2)
		pkt_wr16(lied + at, v);
	else
		pkt_wr24(lied + at, v);
	return lied;
}

static void test_record_lies(void)
{
	struct client_hello ch;
	struct tlsb_ch c;
	size_t len;

	tlsb_ch_browser(&c, SNI, false);
	len = build(&c);

	current = "record longer than the data";
	CHECK(parse(lie(3, 2, len - REC_HDR + 100), len, &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_TRUNCATED) && ch.ext_count == c.n_exts, "flags %#x exts %u",
	      ch.flags, ch.ext_count);

	current = "record shorter than the data";
	CHECK(parse(lie(3, 2, len - REC_HDR - 10), len, &ch) == 0, "not parsed");
	CHECK(ch.flags & HELLO_TRUNCATED, "flags %#x", ch.flags);
	CHECK(ch.ext_count == exts_within(&c, len - 10), "ext count %u, want %d",
	      ch.ext_count, exts_within(&c, len - 10));

	current = "record too short for a handshake header";
	CHECK(parse(lie(3, 2, 3), len, &ch) == -1 && ch.flags == 0, "flags %#x", ch.flags);
	CHECK(parse(lie(3, 2, 0), len, &ch) == -1 && ch.flags == 0, "flags %#x", ch.flags);
}

static void test_handshake_lies(void)
{
	struct client_hello ch;
	struct tlsb_ch c;
	size_t len, msg;

	tlsb_ch_browser(&c, SNI, false);
	len = build(&c);
	msg = len - REC_HDR - HS_HDR;

	current = "handshake longer than the record";
	CHECK(parse(lie(6, 3, msg + 50), len, &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_TRUNCATED) && ch.hello_len == msg + 50 &&
	      ch.ext_count == c.n_exts, "flags %#x len %u exts %u", ch.flags, ch.hello_len,
	      ch.ext_count);

	current = "handshake of 16 MiB";
	CHECK(parse(lie(6, 3, 0xffffff), len, &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_TRUNCATED) && ch.ext_count == c.n_exts, "flags %#x exts %u",
	      ch.flags, ch.ext_count);

	current = "handshake ends in the random";
	CHECK(parse(lie(6, 3, 20), len, &ch) == 0, "not parsed");
	CHECK(ch.legacy_version == c.version && ch.session_id_len == 0 &&
	      ch.cipher_count == 0 && ch.ext_count == 0 && !(ch.flags & HELLO_HAS_SNI),
	      "parsed past the message: sid %u ciphers %u exts %u", ch.session_id_len,
	      ch.cipher_count, ch.ext_count);

	current = "handshake shorter than its extensions";
	CHECK(parse(lie(6, 3, msg - 10), len, &ch) == 0, "not parsed");
	CHECK(ch.ext_count == exts_within(&c, len - 10), "ext count %u, want %d",
	      ch.ext_count, exts_within(&c, len - 10));
}

static void test_body_lies(void)
{
	struct client_hello ch;
	struct tlsb_ch c;
	struct layout l;
	size_t len;

	current = "session id longer than the hello";
	tlsb_ch_browser(&c, SNI, false);
	c.n_exts = 0;
	len = build(&c);
	l = layout_of(&c, len);
	CHECK(parse(lie(l.sid, 1, 255), len, &ch) == 0 && ch.session_id_len == 0 &&
	      ch.cipher_count == 0, "sid %u ciphers %u", ch.session_id_len, ch.cipher_count);

	tlsb_ch_browser(&c, SNI, false);
	len = build(&c);

	current = "session id longer than 32";
	CHECK(parse(lie(l.sid, 1, 33), len, &ch) == 0, "not parsed");
	CHECK(ch.legacy_version == c.version && ch.session_id_len == 0 && ch.cipher_count == 0 &&
	      ch.ext_count == 0, "sid %u ciphers %u exts %u", ch.session_id_len,
	      ch.cipher_count, ch.ext_count);
	CHECK(parse(lie(l.sid, 1, 255), len, &ch) == 0 && ch.session_id_len == 0, "sid %u",
	      ch.session_id_len);

	current = "cipher suites longer than the hello";
	CHECK(parse(lie(l.ciphers, 2, 0xffff), len, &ch) == 0, "not parsed");
	CHECK(ch.session_id_len == c.sid_len && ch.cipher_count == 0 && ch.ext_count == 0,
	      "sid %u ciphers %u exts %u", ch.session_id_len, ch.cipher_count, ch.ext_count);

	current = "cipher suites of odd length";
	CHECK(parse(lie(l.ciphers, 2, 2 * c.n_ciphers - 1), len, &ch) == 0 &&
	      ch.cipher_count == c.n_ciphers - 1, "ciphers %u", ch.cipher_count);

	current = "cipher suites shorter than the list";
	CHECK(parse(lie(l.ciphers, 2, 4), len, &ch) == 0 && ch.cipher_count == 2, "ciphers %u",
	      ch.cipher_count);

	current = "extensions longer than the hello";
	CHECK(parse(lie(l.exts, 2, 0xffff), len, &ch) == 0, "not parsed");
	CHECK(ch.ext_count == c.n_exts && (ch.flags & HELLO_HAS_SUPP_VERSIONS), "exts %u",
	      ch.ext_count);

	current = "extensions shorter than the hello";
	CHECK(parse(lie(l.exts, 2, ext_end(TLSB_EXT_ALPN) - l.exts - 2), len, &ch) == 0,
	      "not parsed");
	CHECK(ch.ext_count == exts_within(&c, ext_end(TLSB_EXT_ALPN)) &&
	      (ch.flags & HELLO_HAS_ALPN) && !(ch.flags & HELLO_HAS_KEY_SHARE),
	      "exts %u flags %#x", ch.ext_count, ch.flags);

	current = "extensions length odd";
	CHECK(parse(lie(l.exts, 2, 3), len, &ch) == 0 && ch.ext_count == 0, "exts %u",
	      ch.ext_count);
}

static void test_extension_lies(void)
{
	static const __u8 list_long[] = { 0, 40, 0, 0, 3, 'a', '.', 'b' };
	static const __u8 name_long[] = { 0, 6, 0, 0, 40, 'a', '.', 'b' };
	static const __u8 name_short[] = { 0, 18, 0, 0, 3, 'w', 'w', 'w', '.', 'e', 'x', 'a',
					   'm', 'p', 'l', 'e', '.', 'c', 'o', 'm' };
	static const __u8 alpn_long[] = { 0, 40, 2, 'h', '2' };
	struct client_hello ch;
	struct tlsb_ch c;
	size_t len;
	long sni;

	tlsb_ch_browser(&c, SNI, false);
	len = build(&c);
	sni = tlsb_ext_offset(&buf, 0, TLSB_EXT_SERVER_NAME);

	current = "server_name longer than the hello";
	CHECK(parse(lie(sni + 2, 2, 0xffff), len, &ch) == 0, "not parsed");
	CHECK(ch.ext_count == exts_within(&c, sni) && !(ch.flags & HELLO_HAS_SNI),
	      "exts %u flags %#x", ch.ext_count, ch.flags);

	current = "server_name of length 0, its body read as extensions";
	CHECK(parse(lie(sni + 2, 2, 0), len, &ch) == 0 && !(ch.flags & HELLO_HAS_SNI),
	      "flags %#x", ch.flags);

	current = "server_name one byte short";
	CHECK(parse(lie(sni + 2, 2, pkt_rd16(buf.b + sni + 2) - 1), len, &ch) == 0 &&
	      !(ch.flags & HELLO_HAS_SNI), "flags %#x", ch.flags);

	current = "server_name list longer than its extension";
	tlsb_ch_browser(&c, NULL, false);
	raw_ext(&c, TLSB_EXT_SERVER_NAME, list_long, sizeof(list_long));
	CHECK(parse(buf.b, build(&c), &ch) == 0 && !(ch.flags & HELLO_HAS_SNI), "flags %#x",
	      ch.flags);

	current = "host_name longer than its list";
	raw_ext(&c, TLSB_EXT_SERVER_NAME, name_long, sizeof(name_long));
	CHECK(parse(buf.b, build(&c), &ch) == 0 && !(ch.flags & HELLO_HAS_SNI), "flags %#x",
	      ch.flags);

	current = "host_name shorter than its list";
	raw_ext(&c, TLSB_EXT_SERVER_NAME, name_short, sizeof(name_short));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK(ch.sni_len == 3 && !memcmp(ch.sni, "www", 3), "sni %.*s", ch.sni_len, ch.sni);

	current = "alpn list longer than its extension";
	raw_ext(&c, TLSB_EXT_ALPN, alpn_long, sizeof(alpn_long));
	CHECK(parse(buf.b, build(&c), &ch) == 0, "not parsed");
	CHECK((ch.flags & HELLO_HAS_ALPN) && ch.alpn_len == 0, "alpn_len %u", ch.alpn_len);
}

/* Records that are not a ClientHello, each alone in buf. */
static void alert(void) { tlsb_alert(&buf, 2, 40); }
static void app_data(void) { tlsb_app_data(&buf, 100); }
static void ccs(void) { tlsb_ccs(&buf); }
static void garbage(void) { tlsb_garbage(&buf, 100); }
static void certificate(void) { tlsb_certificate(&buf, 500, 1); }
static void key_exchange(void) { tlsb_client_key_exchange(&buf); }
static void finished(void) { tlsb_handshake(&buf, TLSB_FINISHED, 32); }

static void sslv2_hello(void)
{
	static const __u16 ciphers[] = { 0x0039, 0x0038, 0x0035 };

	tlsb_sslv2_hello(&buf, 0x0301, ciphers, PKT_NELEM(ciphers));
}

static void server_hello(void)
{
	struct tlsb_sh s;

	tlsb_sh_init(&s, 0x0304);
	tlsb_server_hello(&buf, &s);
}

/* -1, and nothing filled in. */
static void test_not_client_hello(void)
{
	static const struct {
		const char *name;
		void (*make)(void);
	} cases[] = {
		{ "alert", alert },
		{ "application data", app_data },
		{ "change_cipher_spec", ccs },
		{ "garbage", garbage },
		{ "SSLv2 hello", sslv2_hello },
		{ "ServerHello", server_hello },
		{ "Certificate", certificate },
		{ "ClientKeyExchange", key_exchange },
		{ "Finished", finished },
	};
	struct client_hello ch;
	size_t i;

	for (i = 0; i < PKT_NELEM(cases); i++) {
		current = cases[i].name;
		buf.len = 0;
		cases[i].make();
		CHECK(parse(buf.b, buf.len, &ch) == -1 && ch.flags == 0, "flags %#x", ch.flags);
	}
	current = "no bytes";
	CHECK(parse(buf.b, 0, &ch) == -1 && ch.flags == 0, "flags %#x", ch.flags);
}

/* ---------------------------------------------------------- hello table */

static struct flow_key key_of(__u16 client_port)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	pkt_addr(AF_INET, "192.0.2.1", k.client_addr);
	pkt_addr(AF_INET, "198.51.100.2", k.server_addr);
	k.client_port = client_port;
	k.server_port = 443;
	return k;
}

/* A ClientHello naming @sni, alone in buf; returns its length. */
static size_t hello_for(const char *sni)
{
	struct tlsb_ch c;

	tlsb_ch_browser(&c, sni, false);
	return build(&c);
}

/*
 * Hand the table a REC_HELLO record of @size bytes (header included) saying
 * @len bytes follow, from an exactly-sized heap copy; the bytes are buf's.
 */
static void put_rec(struct hello_table *t, const struct flow_key *k, __u16 flags, __u32 len,
		    size_t size)
{
	__u8 *rec = malloc(size);
	struct hello_rec hdr = { .type = REC_HELLO, .len = len, .key = *k, .flags = flags };

	if (!rec)
		pkt_fail("out of memory");
	memcpy(rec, &hdr, size < sizeof(hdr) ? size : sizeof(hdr));
	if (size > sizeof(hdr))
		memcpy(rec + sizeof(hdr), buf.b, size - sizeof(hdr));
	hello_table_put(t, rec, size);
	free(rec);
}

static void put(struct hello_table *t, __u16 port, const char *sni, __u16 flags)
{
	struct flow_key k = key_of(port);
	size_t len = hello_for(sni);

	put_rec(t, &k, flags, len, sizeof(struct hello_rec) + len);
}

/* An event for @port whose hello the kernel flagged @flags. */
static struct event event_of(__u16 port, __u16 flags)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.type = REC_EVENT;
	e.key = key_of(port);
	e.flow.ch.flags = flags;
	return e;
}

/* The SNI hello_table_take() gave the event for @port, or NULL. */
static bool took(struct hello_table *t, __u16 port, const char *sni)
{
	struct event e = event_of(port, HELLO_SEEN);

	hello_table_take(t, &e);
	return (e.flow.ch.flags & HELLO_HAS_SNI) && e.flow.ch.sni_len == strlen(sni) &&
	       !memcmp(e.flow.ch.sni, sni, e.flow.ch.sni_len);
}

static void test_table_join(void)
{
	struct hello_table *t = hello_table_new(64);
	struct event e, before;

	current = "put then take";
	put(t, 1000, "a.test", HELLO_SPLIT);
	e = event_of(1000, HELLO_SEEN | HELLO_TRUNCATED | HELLO_HAS_PSK);
	hello_table_take(t, &e);
	CHECK(e.flow.ch.sni_len == 6 && !memcmp(e.flow.ch.sni, "a.test", 6), "sni %.*s",
	      e.flow.ch.sni_len, e.flow.ch.sni);
	CHECK(e.flow.ch.cipher_count == 16 && e.flow.ch.session_id_len == 32,
	      "ciphers %u sid %u", e.flow.ch.cipher_count, e.flow.ch.session_id_len);
	/* The kernel's flags stay: split by the record, truncated by the event. */
	CHECK((e.flow.ch.flags & (HELLO_SEEN | HELLO_SPLIT | HELLO_TRUNCATED | HELLO_HAS_SNI)) ==
	      (HELLO_SEEN | HELLO_SPLIT | HELLO_TRUNCATED | HELLO_HAS_SNI), "flags %#x",
	      e.flow.ch.flags);
	CHECK(!(e.flow.ch.flags & HELLO_HAS_PSK), "the parser's flags are the hello's: %#x",
	      e.flow.ch.flags);

	current = "take once";
	CHECK(!took(t, 1000, "a.test"), "taken twice");

	current = "take without put";
	e = event_of(1001, HELLO_SEEN | HELLO_SSLV2);
	e.flow.ch.legacy_version = 0x0002;
	before = e;
	hello_table_take(t, &e);
	CHECK(!memcmp(&e, &before, sizeof(e)), "event changed");

	current = "put again replaces";
	put(t, 1002, "first.test", 0);
	put(t, 1002, "second.test", 0);
	CHECK(took(t, 1002, "second.test"), "not the second hello");
	CHECK(!took(t, 1002, "first.test") && !took(t, 1002, "second.test"), "left behind");
	CHECK(hello_table_evicted(t) == 0, "evicted %llu",
	      (unsigned long long)hello_table_evicted(t));
	hello_table_free(t);
}

/* A table of capacity 4 is one set: every key competes for its 4 ways. */
static void test_table_evict(void)
{
	struct hello_table *t = hello_table_new(4);
	char sni[5][16];
	__u16 port;

	current = "overfill evicts the oldest";
	for (port = 0; port < 5; port++) {
		snprintf(sni[port], sizeof(sni[port]), "h%u.test", port);
		put(t, 2000 + port, sni[port], 0);
	}
	CHECK(hello_table_evicted(t) == 1, "evicted %llu",
	      (unsigned long long)hello_table_evicted(t));
	CHECK(!took(t, 2000, sni[0]), "oldest kept");
	for (port = 1; port < 5; port++)
		CHECK(took(t, 2000 + port, sni[port]), "port %u lost", 2000 + port);

	current = "a replaced hello is the newest";
	for (port = 0; port < 4; port++)
		put(t, 2000 + port, sni[port], 0);
	put(t, 2000, sni[0], 0);
	put(t, 2004, sni[4], 0);
	CHECK(hello_table_evicted(t) == 2, "evicted %llu",
	      (unsigned long long)hello_table_evicted(t));
	CHECK(!took(t, 2001, sni[1]), "port 2001 kept");
	CHECK(took(t, 2000, sni[0]) && took(t, 2004, sni[4]), "newest lost");

	current = "taken hellos free their ways";
	CHECK(took(t, 2002, sni[2]) && took(t, 2003, sni[3]), "lost");
	for (port = 0; port < 4; port++)
		put(t, 2000 + port, sni[port], 0);
	CHECK(hello_table_evicted(t) == 2, "evicted %llu",
	      (unsigned long long)hello_table_evicted(t));
	hello_table_free(t);
}

static void test_table_malformed(void)
{
	struct hello_table *t = hello_table_new(64);
	const size_t hdr = sizeof(struct hello_rec);
	struct flow_key k = key_of(3000);
	struct tlsb_ch c;
	size_t len;

	len = hello_for("m.test");
	current = "record smaller than its header";
	put_rec(t, &k, 0, 0, hdr - 1);
	put_rec(t, &k, 0, 0, 0);
	CHECK(!took(t, 3000, "m.test"), "kept");

	current = "len larger than the bytes given";
	put_rec(t, &k, 0, len + 1, hdr + len);
	put_rec(t, &k, 0, 0xffffffff, hdr + len);
	CHECK(!took(t, 3000, "m.test"), "kept");

	current = "not a ClientHello";
	buf.len = 0;
	tlsb_alert(&buf, 2, 40);
	put_rec(t, &k, 0, buf.len, hdr + buf.len);
	CHECK(!took(t, 3000, "m.test"), "kept");

	/* A hello padded to fill TLSNOOP_HELLO_MAX is taken, one byte more is not. */
	current = "hello of TLSNOOP_HELLO_MAX";
	tlsb_ch_browser(&c, "m.test", false);
	add_ext(&c, TLSB_EXT_PADDING);
	c.pad_to = TLSNOOP_HELLO_MAX - REC_HDR;
	len = build(&c);
	CHECK(len == TLSNOOP_HELLO_MAX, "built %zu bytes", len);
	put_rec(t, &k, 0, len, hdr + len);
	CHECK(took(t, 3000, "m.test"), "not kept");

	current = "len larger than TLSNOOP_HELLO_MAX";
	put_rec(t, &k, 0, len + 1, hdr + len + 1);
	CHECK(!took(t, 3000, "m.test"), "kept");
	CHECK(hello_table_evicted(t) == 0, "evicted %llu",
	      (unsigned long long)hello_table_evicted(t));
	hello_table_free(t);
}

int main(void)
{
	check_browser("browser hello", false);
	check_browser("post-quantum hello", true);
	test_resumption();
	test_session_ticket();
	test_tls12();
	test_sni();
	test_alpn();
	test_versions();
	test_no_extensions();
	check_cuts("browser hello cut at every byte", false);
	check_cuts("post-quantum hello cut at every byte", true);
	test_record_lies();
	test_handshake_lies();
	test_body_lies();
	test_extension_lies();
	test_not_client_hello();
	test_table_join();
	test_table_evict();
	test_table_malformed();
	printf("test_hello: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
