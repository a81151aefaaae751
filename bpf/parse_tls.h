/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS record, ServerHello and handshake-header parsing over a buffer that
 * holds a record from its header on. Every read is masked to the buffer's
 * size (so the verifier can prove it in bounds) and checked against the
 * record's real length (so parsing stays correct). The buffer must have
 * TLSNOOP_HELLO_MAX + TLSNOOP_HELLO_SLACK readable bytes. The ClientHello
 * is not parsed here: its bytes go to the collector (user/hello.c).
 */
#ifndef __PARSE_TLS_H
#define __PARSE_TLS_H

#include "tlsnoop.h"

/* Copy at most `max` bytes. The barrier keeps clang from dropping a clamp
 * it can prove redundant but the verifier cannot. */
#define TLS_COPY_MAX(dst, len, max, buf, off)				\
	do {								\
		__u64 __n = (len);					\
		asm volatile("" : "+r"(__n));				\
		if (__n > (max))					\
			__n = (max);					\
		bpf_probe_read_kernel(dst, __n, (buf) + ((off) & TLSNOOP_HELLO_MASK));	\
	} while (0)

#define TLS_RECORD_HDR		5
#define TLS_HS_HDR		4
#define TLS_RECORD_MAX		(16384 + 2048)	/* TLSCiphertext upper bound */

#define TLS_CT_CCS		20
#define TLS_CT_ALERT		21
#define TLS_CT_HANDSHAKE	22
#define TLS_CT_APPDATA		23
#define TLS_CT_HEARTBEAT	24

#define TLS_HS_CLIENT_HELLO	1
#define TLS_HS_SERVER_HELLO	2

#define TLS_EXT_ALPN		16
#define TLS_EXT_PSK		41
#define TLS_EXT_SUPP_VERSIONS	43

#define TLS_EXT_MAX		40	/* extensions walked per ServerHello */

struct tls_cursor {
	const __u8 *buf;
	__u32 off;
	__u32 end;		/* bytes of the record present in buf */
};

static __always_inline __u8 tls_u8_at(const __u8 *buf, __u32 off)
{
	return buf[off & TLSNOOP_HELLO_MASK];
}

static __always_inline __u16 tls_u16_at(const __u8 *buf, __u32 off)
{
	return (__u16)tls_u8_at(buf, off) << 8 | tls_u8_at(buf, off + 1);
}

static __always_inline __u32 tls_u24_at(const __u8 *buf, __u32 off)
{
	return (__u32)tls_u8_at(buf, off) << 16 | tls_u16_at(buf, off + 1);
}

static __always_inline int tls_need(const struct tls_cursor *c, __u32 n)
{
	return c->off + n <= c->end;
}

static __always_inline int tls_skip(struct tls_cursor *c, __u32 n)
{
	if (!tls_need(c, n))
		return -1;
	c->off += n;
	return 0;
}

static __always_inline int tls_read_u8(struct tls_cursor *c, __u32 *v)
{
	if (!tls_need(c, 1))
		return -1;
	*v = tls_u8_at(c->buf, c->off);
	c->off += 1;
	return 0;
}

static __always_inline int tls_read_u16(struct tls_cursor *c, __u32 *v)
{
	if (!tls_need(c, 2))
		return -1;
	*v = tls_u16_at(c->buf, c->off);
	c->off += 2;
	return 0;
}

/* Does the 5-byte record header look like TLS (SSL 3.0 to TLS 1.3)? */
static __always_inline int tls_record_valid(__u8 type, __u8 major, __u8 minor, __u32 len)
{
	return type >= TLS_CT_CCS && type <= TLS_CT_HEARTBEAT && major == 3 &&
	       minor <= 4 && len > 0 && len <= TLS_RECORD_MAX;
}

/*
 * Handshake record header plus handshake message header: returns the
 * handshake type and length, the cursor left at the message body.
 */
static __always_inline int tls_handshake_start(struct tls_cursor *c, __u32 *hs_type,
					       __u32 *hs_len)
{
	if (!tls_need(c, TLS_RECORD_HDR + TLS_HS_HDR))
		return -1;
	*hs_type = tls_u8_at(c->buf, TLS_RECORD_HDR);
	*hs_len = tls_u24_at(c->buf, TLS_RECORD_HDR + 1);
	c->off = TLS_RECORD_HDR + TLS_HS_HDR;
	return 0;
}

/* SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest. */
static const __u8 tls_hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02,
	0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
	0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static __always_inline int tls_is_hrr(const __u8 *buf, __u32 off)
{
	int i;

	/* Unrolled, so the constant folds into the code. */
	_Pragma("unroll")
	for (i = 0; i < 32; i++)
		if (tls_u8_at(buf, off + i) != tls_hrr_random[i])
			return 0;
	return 1;
}

/* ALPN in a ServerHello: a list holding exactly the one chosen protocol. */
static __always_inline void tls_server_alpn(struct tls_cursor *c, __u32 ext_len,
					    struct server_hello *sh)
{
	__u32 len = tls_u8_at(c->buf, c->off + 2);

	if (len == 0 || 3 + len > ext_len)
		return;
	if (len > TLSNOOP_SERVER_ALPN_MAX)
		len = TLSNOOP_SERVER_ALPN_MAX;
	TLS_COPY_MAX(sh->alpn, len, TLSNOOP_SERVER_ALPN_MAX, c->buf, c->off + 3);
	sh->alpn_len = len;
}

static __always_inline int tls_server_ext(struct tls_cursor *c, struct server_hello *sh)
{
	__u32 type, len, ext_end;

	if (tls_read_u16(c, &type) || tls_read_u16(c, &len))
		return -1;
	ext_end = c->off + len;
	if (ext_end > c->end)
		return -1;
	if (type == TLS_EXT_SUPP_VERSIONS && len == 2)
		sh->version = tls_u16_at(c->buf, c->off);
	else if (type == TLS_EXT_PSK)
		sh->flags |= SERVER_RESUMED;
	else if (type == TLS_EXT_ALPN && len >= 3)
		tls_server_alpn(c, len, sh);
	c->off = ext_end;
	return 0;
}

struct server_ext_walk {
	struct tls_cursor c;
	struct server_hello *sh;
};

static long tls_server_ext_cb(__u32 i, void *data)
{
	struct server_ext_walk *w = data;

	(void)i;
	if (w->c.off >= w->c.end)
		return 1;
	return tls_server_ext(&w->c, w->sh) ? 1 : 0;
}

/*
 * Parse a ServerHello record. `ch` is the connection's ClientHello, for the
 * TLS 1.2 resumption check (the server echoes the client's session id).
 */
__attribute__((noinline)) int tls_parse_server_hello(const struct hello_buf *hb, __u32 have,
				      const struct client_hello *ch, struct server_hello *sh)
{
	struct tls_cursor c = { .off = 0, .end = have };
	struct server_ext_walk w = {};
	__u32 hs_type, hs_len, v, n, i, sid_off, exts_end;
	const __u8 *buf;
	int echo;

	if (!hb || !ch || !sh)
		return -1;
	buf = c.buf = hb->data;
	if (have > TLSNOOP_HELLO_MAX)
		c.end = TLSNOOP_HELLO_MAX;
	if (tls_handshake_start(&c, &hs_type, &hs_len) || hs_type != TLS_HS_SERVER_HELLO)
		return -1;
	if (TLS_RECORD_HDR + TLS_HS_HDR + hs_len < c.end)
		c.end = TLS_RECORD_HDR + TLS_HS_HDR + hs_len;
	sh->flags |= SERVER_HELLO_SEEN;
	if (tls_read_u16(&c, &v) || !tls_need(&c, 32))
		return 0;
	sh->legacy_version = v;
	sh->version = v;
	if (tls_is_hrr(buf, c.off))
		sh->flags |= SERVER_HRR;
	c.off += 32;
	if (tls_read_u8(&c, &n) || n > TLSNOOP_SID_MAX || !tls_need(&c, n))
		return 0;
	sid_off = c.off;
	echo = n && n == ch->session_id_len;
	for (i = 0; i < TLSNOOP_SID_MAX; i++) {
		if (i >= n)
			break;
		if (tls_u8_at(buf, sid_off + i) != ch->session_id[i])
			echo = 0;
	}
	c.off += n;
	if (tls_read_u16(&c, &v))
		return 0;
	sh->cipher = v;
	if (tls_skip(&c, 1) || tls_read_u16(&c, &n))
		return 0;
	exts_end = c.off + n;
	if (exts_end < c.end)
		c.end = exts_end;
	w.c = c;
	w.sh = sh;
	bpf_loop(TLS_EXT_MAX, tls_server_ext_cb, &w, 0);
	/* Below TLS 1.3 a resumed session is the echo of the client's id. */
	if (sh->version < 0x0304 && echo)
		sh->flags |= SERVER_RESUMED;
	return 0;
}

#endif /* __PARSE_TLS_H */
