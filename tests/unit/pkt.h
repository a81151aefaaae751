/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Packet builder for unit tests and benchmarks: Ethernet frames carrying TCP
 * segments (VLAN tags, IPv4 options and fragments, IPv6 extension headers,
 * TCP options, correct checksums), the TLS records they carry, and a pcap
 * writer to look at them. Header-only; misuse or overflow aborts.
 *
 * Frames:	pkt_tcp() builds one segment from a struct pkt_l3l4;
 *		pkt_flow_*() track both directions' seq/ack for a conversation.
 * TLS:		tlsb_*() append one record (or a few, when a handshake message
 *		exceeds TLSB_REC_MAX) to a struct tlsbuf and return its offset.
 */
#ifndef __PKT_H
#define __PKT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define PKT_MAX		9216	/* jumbo frame */
#define PKT_EXT6_MAX	4
#define PKT_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static inline void pkt_fail(const char *what)
{
	fprintf(stderr, "pkt: %s\n", what);
	abort();
}

static inline void pkt_wr16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void pkt_wr24(__u8 *p, __u32 v)
{
	p[0] = v >> 16;
	pkt_wr16(p + 1, v);
}

static inline void pkt_wr32(__u8 *p, __u32 v)
{
	pkt_wr16(p, v >> 16);
	pkt_wr16(p + 2, v);
}

static inline __u16 pkt_rd16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

/* Deterministic filler bytes: a function of @seed and the position. */
static inline void pkt_pattern(__u8 *p, size_t n, __u32 seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (seed + i) * 0x9e3779b1u >> 24;
}

/* ------------------------------------------------------------------ frames */

enum {
	PKT_FIN = 0x01,
	PKT_SYN = 0x02,
	PKT_RST = 0x04,
	PKT_PSH = 0x08,
	PKT_ACK = 0x10,
};

struct pkt {
	__u8 buf[PKT_MAX];
	size_t len;
};

struct pkt_ext6 {
	__u8 type;	/* IPPROTO_HOPOPTS, _ROUTING, _DSTOPTS or _FRAGMENT */
	__u16 len;	/* bytes, multiple of 8, <= 2048; 0 is 8 (routing: 8 + 16n, 0 is 24) */
};

struct pkt_l3l4 {
	int family;			/* 4 or 6 */
	const char *saddr, *daddr;	/* text, for inet_pton() */
	__u16 sport, dport;
	__u8 flags;			/* PKT_SYN, PKT_ACK, ... */
	__u32 seq, ack;			/* ack is sent only with PKT_ACK */
	int vlans;			/* 0..2 tags; the outer is 802.1ad when 2 */
	__u16 vlan_id[2];		/* outer first */
	__u8 ip_optlen;			/* IPv4 options, multiple of 4, <= 40:
					 * NOP + empty record route (ping -R) */
	__u8 tcp_optlen;		/* multiple of 4, <= 40: see pkt_tcp_opts() */
	__u16 ip_id;			/* IPv4 id, IPv6 fragment id */
	/*
	 * Fragments: IPv4 when frag_off or frag_mf is set, IPv6 when ext6
	 * has a fragment header. The frame then carries frag_len bytes (0:
	 * all the rest) from frag_off * 8 of the fragmentable part: the
	 * extension headers after the fragment header, TCP header, payload.
	 */
	__u16 frag_off;			/* 8-byte units */
	bool frag_mf;
	__u16 frag_len;
	int n_ext6;
	struct pkt_ext6 ext6[PKT_EXT6_MAX];	/* IPv6, in order, before TCP */
};

static inline __u32 pkt_sum(__u32 s, const __u8 *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += pkt_rd16(p);
	if (n)
		s += p[0] << 8;
	return s;
}

static inline __u16 pkt_csum(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/*
 * TCP options: MSS, SACK-permitted + timestamps, NOP + window scale on a
 * SYN; NOP NOP + timestamps otherwise; as many as fit in @n, then EOL and
 * zeros (not NOPs: tshark warns about 4 NOPs in a row).
 */
static inline void pkt_tcp_opts(__u8 *p, size_t n, bool syn)
{
	static const __u8 mss[] = { 2, 4, 0x05, 0xb4 };
	static const __u8 sack_ts[] = { 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const __u8 ws[] = { 1, 3, 3, 7 };
	static const __u8 ts[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1 };
	const struct { const __u8 *p; size_t n; } syn_opts[] = {
		{ mss, sizeof(mss) }, { sack_ts, sizeof(sack_ts) }, { ws, sizeof(ws) },
	}, ack_opts[] = {
		{ ts, sizeof(ts) },
	}, *o = syn ? syn_opts : ack_opts;
	size_t i, cnt = syn ? PKT_NELEM(syn_opts) : PKT_NELEM(ack_opts);

	memset(p, 0, n);
	for (i = 0; i < cnt && o[i].n <= n; n -= o[i].n, p += o[i].n, i++)
		memcpy(p, o[i].p, o[i].n);
}

/* IPv6 options area of @n bytes: padding (at most 7 bytes in a row, as
 * Linux wants) and experimental option 0x1e, which receivers skip. */
static inline void pkt_tlv_fill(__u8 *p, size_t n)
{
	while (n > 7) {
		size_t k = n - 2 > 257 ? 257 : n - 2;

		p[0] = 0x1e;
		p[1] = k - 2;
		memset(p + 2, 0, k - 2);
		p += k;
		n -= k;
	}
	if (n == 1) {
		p[0] = 0;	/* Pad1 */
	} else if (n) {
		p[0] = 1;	/* PadN */
		p[1] = n - 2;
		memset(p + 2, 0, n - 2);
	}
}

static inline void pkt_addr(int af, const char *s, __u8 *p)
{
	if (!s || inet_pton(af, s, p) != 1)
		pkt_fail("bad address");
}

/* Build the frame for one TCP segment carrying @data. */
static inline void pkt_tcp(struct pkt *p, const struct pkt_l3l4 *o, const void *data, size_t len)
{
	static const __u8 macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	size_t room = 14 + 8 + 60 + 60 + len, thl = 20 + o->tcp_optlen, n;
	__u8 *b = p->buf, *l3, *th, *frag = NULL, *nh, *end;
	int i;

	if (o->family != 4 && o->family != 6)
		pkt_fail("bad family");
	if (o->vlans < 0 || o->vlans > 2 || o->ip_optlen % 4 || o->ip_optlen > 40 ||
	    o->tcp_optlen % 4 || o->tcp_optlen > 40 || o->n_ext6 < 0 || o->n_ext6 > PKT_EXT6_MAX)
		pkt_fail("bad pkt_l3l4");
	for (i = 0; i < o->n_ext6; i++)
		room += o->ext6[i].len + 24;
	if (room > PKT_MAX)
		pkt_fail("frame too long");

	memcpy(b, macs, sizeof(macs));
	n = 12;
	for (i = 0; i < o->vlans; i++, n += 4) {
		pkt_wr16(b + n, o->vlans == 2 && !i ? 0x88a8 : 0x8100);
		pkt_wr16(b + n + 2, o->vlan_id[i] & 0xfff);
	}
	pkt_wr16(b + n, o->family == 4 ? 0x0800 : 0x86dd);
	l3 = b + n + 2;

	if (o->family == 4) {
		size_t hl = 20 + o->ip_optlen;

		memset(l3, 0, hl);
		l3[0] = 0x40 | hl / 4;
		pkt_wr16(l3 + 4, o->ip_id);
		if (o->frag_off || o->frag_mf) {
			pkt_wr16(l3 + 6, (o->frag_mf ? 0x2000 : 0) | (o->frag_off & 0x1fff));
			frag = l3 + hl;
		} else {
			pkt_wr16(l3 + 6, 0x4000);	/* DF */
		}
		l3[8] = 64;
		l3[9] = IPPROTO_TCP;
		pkt_addr(AF_INET, o->saddr, l3 + 12);
		pkt_addr(AF_INET, o->daddr, l3 + 16);
		if (o->ip_optlen) {	/* as ping -R: NOP, empty record route */
			l3[20] = 1;
			l3[21] = 7;
			l3[22] = o->ip_optlen - 1;
			l3[23] = 4;
		}
		th = l3 + hl;
	} else {
		pkt_wr32(l3, 0x60000000);
		l3[7] = 64;
		pkt_addr(AF_INET6, o->saddr, l3 + 8);
		pkt_addr(AF_INET6, o->daddr, l3 + 24);
		nh = l3 + 6;
		th = l3 + 40;
		for (i = 0; i < o->n_ext6; i++) {
			const struct pkt_ext6 *e = &o->ext6[i];
			size_t el = e->type == IPPROTO_FRAGMENT ? 8 : e->len ? e->len :
				    e->type == IPPROTO_ROUTING ? 24 : 8;

			if (el % 8 || el > 2048)
				pkt_fail("bad IPv6 extension length");
			*nh = e->type;
			nh = th;
			memset(th, 0, el);
			switch (e->type) {
			case IPPROTO_HOPOPTS:
			case IPPROTO_DSTOPTS:
				th[1] = el / 8 - 1;
				pkt_tlv_fill(th + 2, el - 2);
				break;
			case IPPROTO_ROUTING:	/* SRv6, segments left 0 */
				if (el < 24 || (el - 8) % 16)
					pkt_fail("bad IPv6 routing header length");
				th[1] = el / 8 - 1;
				th[2] = 4;
				th[4] = (el - 8) / 16 - 1;
				for (n = 8; n < el; n += 16)
					memcpy(th + n, l3 + 24, 16);
				break;
			case IPPROTO_FRAGMENT:
				pkt_wr16(th + 2, (o->frag_off & 0x1fff) << 3 | o->frag_mf);
				pkt_wr32(th + 4, o->ip_id);
				frag = th + 8;
				break;
			default:
				pkt_fail("bad IPv6 extension type");
			}
			th += el;
		}
		*nh = IPPROTO_TCP;
	}

	pkt_wr16(th, o->sport);
	pkt_wr16(th + 2, o->dport);
	pkt_wr32(th + 4, o->seq);
	pkt_wr32(th + 8, o->flags & PKT_ACK ? o->ack : 0);
	th[12] = thl / 4 << 4;
	th[13] = o->flags;
	pkt_wr16(th + 14, 65535);
	pkt_wr32(th + 16, 0);
	pkt_tcp_opts(th + 20, o->tcp_optlen, o->flags & PKT_SYN);
	if (len)
		memcpy(th + thl, data, len);
	end = th + thl + len;
	if (o->family == 4)
		pkt_wr16(th + 16, pkt_csum(pkt_sum(IPPROTO_TCP + thl + len, l3 + 12, 8) +
					   pkt_sum(0, th, thl + len)));
	else
		pkt_wr16(th + 16, pkt_csum(pkt_sum(IPPROTO_TCP + thl + len, l3 + 8, 32) +
					   pkt_sum(0, th, thl + len)));

	if (frag) {
		size_t off = o->frag_off * 8u, have = end - frag;
		size_t cut = o->frag_len ? o->frag_len : have - off;

		if (off + cut > have)
			pkt_fail("fragment beyond the datagram");
		memmove(frag, frag + off, cut);
		end = frag + cut;
	}

	if (o->family == 4) {
		pkt_wr16(l3 + 2, end - l3);
		pkt_wr16(l3 + 10, pkt_csum(pkt_sum(0, l3, (l3[0] & 15) * 4)));
	} else {
		pkt_wr16(l3 + 4, end - l3 - 40);
	}
	p->len = end - b;
}

/*
 * Build one frame per piece of @data cut at the ascending offsets @cuts,
 * advancing o->seq; returns the number of frames (n_cuts + 1).
 */
static inline size_t pkt_tcp_split(struct pkt *p, struct pkt_l3l4 *o, const void *data,
				   size_t len, const size_t *cuts, size_t n_cuts)
{
	size_t i, at = 0;

	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;

		if (end < at || end > len)
			pkt_fail("bad cut");
		pkt_tcp(&p[i], o, (const __u8 *)data + at, end - at);
		o->seq += end - at;
		at = end;
	}
	return n_cuts + 1;
}

/* A TCP conversation: dir[0] client to server, dir[1] server to client. */
struct pkt_flow {
	struct pkt_l3l4 dir[2];
};

/* Client side from @c; the server side mirrors it, its ISN is c->seq + 2^31. */
static inline void pkt_flow_init(struct pkt_flow *f, const struct pkt_l3l4 *c)
{
	f->dir[0] = *c;
	f->dir[1] = *c;
	f->dir[1].saddr = c->daddr;
	f->dir[1].daddr = c->saddr;
	f->dir[1].sport = c->dport;
	f->dir[1].dport = c->sport;
	f->dir[1].seq = c->seq + 0x80000000u;
}

/* Segments of @data from side @dir (0 client, 1 server) acking the peer. */
static inline size_t pkt_flow_split(struct pkt_flow *f, int dir, struct pkt *p, __u8 flags,
				    const void *data, size_t len, const size_t *cuts, size_t n_cuts)
{
	struct pkt_l3l4 *o = &f->dir[dir];

	o->flags = flags;
	o->ack = f->dir[!dir].seq;
	return pkt_tcp_split(p, o, data, len, cuts, n_cuts);
}

/* One segment; SYN and FIN take a sequence number. Returns 1. */
static inline size_t pkt_flow_send(struct pkt_flow *f, int dir, struct pkt *p, __u8 flags,
				   const void *data, size_t len)
{
	pkt_flow_split(f, dir, p, flags, data, len, NULL, 0);
	f->dir[dir].seq += !!(flags & (PKT_SYN | PKT_FIN));
	return 1;
}

/* SYN, SYN-ACK, ACK. Returns 3. */
static inline size_t pkt_flow_handshake(struct pkt_flow *f, struct pkt *p)
{
	pkt_flow_send(f, 0, &p[0], PKT_SYN, NULL, 0);
	pkt_flow_send(f, 1, &p[1], PKT_SYN | PKT_ACK, NULL, 0);
	pkt_flow_send(f, 0, &p[2], PKT_ACK, NULL, 0);
	return 3;
}

static inline void pkt_le32(__u8 *p, __u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> 8 * i;
}

/* Classic pcap, linktype Ethernet, frames 1 ms apart. Returns 0 or -1. */
static inline int pkt_pcap_write(const char *path, const struct pkt *f, size_t n)
{
	__u8 h[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	FILE *fp = fopen(path, "wb");
	size_t i;
	int err;

	if (!fp)
		return -1;
	pkt_le32(h + 16, PKT_MAX);
	pkt_le32(h + 20, 1);
	err = fwrite(h, sizeof(h), 1, fp) != 1;
	for (i = 0; i < n && !err; i++) {
		pkt_le32(h, 1700000000 + i / 1000);
		pkt_le32(h + 4, i % 1000 * 1000);
		pkt_le32(h + 8, f[i].len);
		pkt_le32(h + 12, f[i].len);
		err = fwrite(h, 16, 1, fp) != 1 || fwrite(f[i].buf, f[i].len, 1, fp) != 1;
	}
	return fclose(fp) || err ? -1 : 0;
}

/* --------------------------------------------------------------------- TLS */

#define TLSBUF_MAX	65536
#define TLSB_REC_MAX	16384	/* record payload limit of plaintext records */
#define TLSB_LIST_MAX	32

#define TLSB_GREASE(i)	(0x0a0a | ((i) & 15) << 12 | ((i) & 15) << 4)

enum {	/* content types */
	TLSB_CHANGE_CIPHER_SPEC	= 20,
	TLSB_ALERT		= 21,
	TLSB_HANDSHAKE		= 22,
	TLSB_APPLICATION_DATA	= 23,
};

enum {	/* handshake types */
	TLSB_CLIENT_HELLO	= 1,
	TLSB_SERVER_HELLO	= 2,
	TLSB_NEW_SESSION_TICKET	= 4,
	TLSB_CERTIFICATE		= 11,
	TLSB_SERVER_KEY_EXCHANGE	= 12,
	TLSB_CERTIFICATE_REQUEST	= 13,
	TLSB_SERVER_HELLO_DONE	= 14,
	TLSB_CLIENT_KEY_EXCHANGE	= 16,
	TLSB_FINISHED		= 20,
};

enum {	/* extension types */
	TLSB_EXT_SERVER_NAME		= 0,
	TLSB_EXT_STATUS_REQUEST		= 5,
	TLSB_EXT_SUPPORTED_GROUPS	= 10,
	TLSB_EXT_EC_POINT_FORMATS	= 11,
	TLSB_EXT_SIGNATURE_ALGORITHMS	= 13,
	TLSB_EXT_ALPN			= 16,
	TLSB_EXT_SCT			= 18,
	TLSB_EXT_PADDING			= 21,
	TLSB_EXT_EXTENDED_MASTER_SECRET	= 23,
	TLSB_EXT_COMPRESS_CERTIFICATE	= 27,
	TLSB_EXT_SESSION_TICKET		= 35,
	TLSB_EXT_PRE_SHARED_KEY		= 41,
	TLSB_EXT_EARLY_DATA		= 42,
	TLSB_EXT_SUPPORTED_VERSIONS	= 43,
	TLSB_EXT_PSK_KEY_EXCHANGE_MODES	= 45,
	TLSB_EXT_KEY_SHARE		= 51,
	TLSB_EXT_APPLICATION_SETTINGS	= 17513,
	TLSB_EXT_RENEGOTIATION_INFO	= 0xff01,
};

enum {	/* named groups */
	TLSB_GROUP_SECP256R1		= 0x0017,
	TLSB_GROUP_SECP384R1		= 0x0018,
	TLSB_GROUP_X25519		= 0x001d,
	TLSB_GROUP_X25519MLKEM768	= 0x11ec,
};

struct tlsbuf {
	__u8 b[TLSBUF_MAX];
	size_t len;
	__u16 version;	/* of records other than a ClientHello; 0 is 0x0303 */
};

struct tlsb_ext {
	__u16 type;
	__u16 len;		/* of data */
	const void *data;	/* body as is; NULL: built from the hello */
};

struct tlsb_share {
	__u16 group;
	__u16 len;		/* key bytes: 32 for X25519, 1216 for X25519MLKEM768 */
};

/*
 * ClientHello. Extensions are written in exts[] order; with data NULL the
 * body of a type below comes from the matching field, GREASE and unlisted
 * types get an empty body, except canned ones: status_request (OCSP),
 * ec_point_formats, compress_certificate, psk_key_exchange_modes (psk_dhe_ke),
 * application_settings (h2), renegotiation_info. pre_shared_key belongs last.
 */
struct tlsb_ch {
	__u16 record_version;
	__u16 version;			/* legacy_version */
	__u8 random[32];
	__u8 sid_len;			/* 0..32 */
	__u8 sid[32];
	int n_ciphers;
	__u16 ciphers[TLSB_LIST_MAX];
	int n_comp;
	__u8 comp[4];
	const char *sni;		/* server_name: host_name; NULL: empty */
	int n_alpn;
	const char *alpn[8];		/* ALPN */
	int n_versions;
	__u16 versions[8];		/* supported_versions */
	int n_groups;
	__u16 groups[16];		/* supported_groups */
	int n_sigalgs;
	__u16 sigalgs[16];		/* signature_algorithms */
	int n_shares;
	struct tlsb_share shares[4];	/* key_share */
	__u16 psk_identity_len;		/* pre_shared_key: one identity, a 32-byte binder */
	__u16 pad_to;			/* padding grows the handshake message,
					 * header included, to this many bytes */
	int n_exts;
	struct tlsb_ext exts[TLSB_LIST_MAX];
};

/*
 * ServerHello, or HelloRetryRequest when hrr. Extensions as for tlsb_ch;
 * generated bodies: supported_versions, key_share (group only for an HRR),
 * pre_shared_key, ALPN.
 */
struct tlsb_sh {
	__u16 version;			/* legacy_version */
	bool hrr;			/* random is the HelloRetryRequest magic */
	__u8 random[32];
	__u8 sid_len;
	__u8 sid[32];
	__u16 cipher;
	__u8 comp;
	__u16 selected_version;		/* supported_versions */
	struct tlsb_share share;		/* key_share */
	__u16 psk_identity;		/* pre_shared_key: selected identity */
	const char *alpn;		/* ALPN: one protocol */
	int n_exts;
	struct tlsb_ext exts[16];
};

static inline __u8 *tlsb_put(struct tlsbuf *b, size_t n)
{
	__u8 *p = b->b + b->len;

	if (n > TLSBUF_MAX - b->len)
		pkt_fail("tlsbuf overflow");
	b->len += n;
	return p;
}

static inline void tlsb_u8(struct tlsbuf *b, __u8 v)
{
	*tlsb_put(b, 1) = v;
}

static inline void tlsb_u16(struct tlsbuf *b, __u16 v)
{
	pkt_wr16(tlsb_put(b, 2), v);
}

static inline void tlsb_mem(struct tlsbuf *b, const void *p, size_t n)
{
	if (n)
		memcpy(tlsb_put(b, n), p, n);
}

static inline void tlsb_fill(struct tlsbuf *b, size_t n)
{
	__u32 seed = b->len;

	pkt_pattern(tlsb_put(b, n), n, seed);
}

/* Store the length of what follows the @w-byte length field at @at. */
static inline void tlsb_patch(struct tlsbuf *b, size_t at, int w)
{
	size_t n = b->len - at - w;

	if (w == 2 && n > 0xffff)
		pkt_fail("vector too long");
	if (w == 2)
		pkt_wr16(b->b + at, n);
	else
		pkt_wr24(b->b + at, n);
}

/* Insert @n zero bytes at @at. */
static inline void tlsb_insert(struct tlsbuf *b, size_t at, size_t n)
{
	size_t tail = b->len - at;

	tlsb_put(b, n);
	memmove(b->b + at + n, b->b + at, tail);
	memset(b->b + at, 0, n);
}

static inline __u16 tlsb_ver(const struct tlsbuf *b)
{
	return b->version ? b->version : 0x0303;
}

/* Record header, length patched by tlsb_close(). Returns its offset. */
static inline size_t tlsb_open(struct tlsbuf *b, __u8 type, __u16 version)
{
	size_t rec = b->len;

	tlsb_u8(b, type);
	tlsb_u16(b, version);
	tlsb_u16(b, 0);
	return rec;
}

static inline void tlsb_close(struct tlsbuf *b, size_t rec)
{
	tlsb_patch(b, rec + 3, 2);
}

/*
 * Cut the record at @rec, the last in @b, into records of at most @max
 * payload bytes, as a sender fragments a long handshake message.
 */
static inline void tlsb_refragment(struct tlsbuf *b, size_t rec, size_t max)
{
	size_t left = b->len - rec - 5;

	if (!max)
		pkt_fail("bad fragment size");
	while (left > max) {
		size_t next = rec + 5 + max;

		pkt_wr16(b->b + rec + 3, max);
		tlsb_insert(b, next, 5);
		memcpy(b->b + next, b->b + rec, 3);
		rec = next;
		left -= max;
	}
	pkt_wr16(b->b + rec + 3, left);
}

/* Merge the records from @from to the end into one, with the first's header. */
static inline void tlsb_coalesce(struct tlsbuf *b, size_t from)
{
	size_t r = from, out = from + 5;

	while (r + 5 <= b->len) {
		size_t n = pkt_rd16(b->b + r + 3);

		if (r + 5 + n > b->len)
			pkt_fail("truncated record");
		memmove(b->b + out, b->b + r + 5, n);
		out += n;
		r += 5 + n;
	}
	if (out - from - 5 > 0xffff)
		pkt_fail("record too long");
	pkt_wr16(b->b + from + 3, out - from - 5);
	b->len = out;
}

/* Record and handshake headers; tlsb_hs_end() patches both. */
static inline size_t tlsb_hs_begin(struct tlsbuf *b, __u8 type, __u16 version)
{
	size_t rec = tlsb_open(b, TLSB_HANDSHAKE, version);

	tlsb_u8(b, type);
	tlsb_put(b, 3);
	return rec;
}

static inline size_t tlsb_hs_end(struct tlsbuf *b, size_t rec)
{
	tlsb_patch(b, rec + 6, 3);
	if (b->len - rec - 5 > TLSB_REC_MAX)
		tlsb_refragment(b, rec, TLSB_REC_MAX);
	else
		tlsb_close(b, rec);
	return rec;
}

static inline void tlsb_u16_list(struct tlsbuf *b, int w, const __u16 *v, int n)
{
	size_t at = b->len;

	tlsb_put(b, w);
	for (int i = 0; i < n; i++)
		tlsb_u16(b, v[i]);
	if (w == 1)
		b->b[at] = 2 * n;
	else
		tlsb_patch(b, at, 2);
}

static inline void tlsb_alpn(struct tlsbuf *b, const char *const *names, int n)
{
	size_t at = b->len;

	tlsb_put(b, 2);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (!len || len > 255)
			pkt_fail("bad ALPN name");
		tlsb_u8(b, len);
		tlsb_mem(b, names[i], len);
	}
	tlsb_patch(b, at, 2);
}

static inline void tlsb_share_entry(struct tlsbuf *b, const struct tlsb_share *s)
{
	tlsb_u16(b, s->group);
	tlsb_u16(b, s->len);
	tlsb_fill(b, s->len);
}

/* Canned bodies of some extensions; empty for the rest. */
static inline void tlsb_canned(struct tlsbuf *b, __u16 type)
{
	static const struct { __u16 type; __u8 len, body[6]; } canned[] = {
		{ TLSB_EXT_STATUS_REQUEST, 5, { 1, 0, 0, 0, 0 } },
		{ TLSB_EXT_EC_POINT_FORMATS, 2, { 1, 0 } },
		{ TLSB_EXT_COMPRESS_CERTIFICATE, 3, { 2, 0, 2 } },
		{ TLSB_EXT_PSK_KEY_EXCHANGE_MODES, 2, { 1, 1 } },
		{ TLSB_EXT_APPLICATION_SETTINGS, 5, { 0, 3, 2, 'h', '2' } },
		{ TLSB_EXT_RENEGOTIATION_INFO, 1, { 0 } },
	};

	for (size_t i = 0; i < PKT_NELEM(canned); i++)
		if (canned[i].type == type)
			tlsb_mem(b, canned[i].body, canned[i].len);
}

static inline void tlsb_ch_ext(struct tlsbuf *b, const struct tlsb_ch *c, __u16 type)
{
	size_t at = b->len, n;
	int i;

	switch (type) {
	case TLSB_EXT_SERVER_NAME:
		if (!c->sni)
			break;
		n = strlen(c->sni);
		tlsb_u16(b, n + 3);
		tlsb_u8(b, 0);	/* host_name */
		tlsb_u16(b, n);
		tlsb_mem(b, c->sni, n);
		break;
	case TLSB_EXT_SUPPORTED_GROUPS:
		tlsb_u16_list(b, 2, c->groups, c->n_groups);
		break;
	case TLSB_EXT_SIGNATURE_ALGORITHMS:
		tlsb_u16_list(b, 2, c->sigalgs, c->n_sigalgs);
		break;
	case TLSB_EXT_ALPN:
		tlsb_alpn(b, c->alpn, c->n_alpn);
		break;
	case TLSB_EXT_SUPPORTED_VERSIONS:
		tlsb_u16_list(b, 1, c->versions, c->n_versions);
		break;
	case TLSB_EXT_KEY_SHARE:
		tlsb_put(b, 2);
		for (i = 0; i < c->n_shares; i++)
			tlsb_share_entry(b, &c->shares[i]);
		tlsb_patch(b, at, 2);
		break;
	case TLSB_EXT_PRE_SHARED_KEY:
		tlsb_u16(b, c->psk_identity_len + 6);
		tlsb_u16(b, c->psk_identity_len);
		tlsb_fill(b, c->psk_identity_len + 4);	/* identity, obfuscated age */
		tlsb_u16(b, 33);
		tlsb_u8(b, 32);
		tlsb_fill(b, 32);			/* binder */
		break;
	default:
		tlsb_canned(b, type);
	}
}

static inline void tlsb_sh_ext(struct tlsbuf *b, const struct tlsb_sh *s, __u16 type)
{
	switch (type) {
	case TLSB_EXT_SUPPORTED_VERSIONS:
		tlsb_u16(b, s->selected_version);
		break;
	case TLSB_EXT_KEY_SHARE:
		if (s->hrr)
			tlsb_u16(b, s->share.group);
		else
			tlsb_share_entry(b, &s->share);
		break;
	case TLSB_EXT_PRE_SHARED_KEY:
		tlsb_u16(b, s->psk_identity);
		break;
	case TLSB_EXT_ALPN:
		tlsb_alpn(b, &s->alpn, !!s->alpn);
		break;
	default:
		tlsb_canned(b, type);
	}
}

/* Record with a ClientHello. Returns its offset. */
static inline size_t tlsb_client_hello(struct tlsbuf *b, const struct tlsb_ch *c)
{
	size_t rec, at, exts, pad = 0, len;
	int i;

	if (c->sid_len > 32 || c->n_ciphers < 0 || c->n_ciphers > TLSB_LIST_MAX ||
	    c->n_comp < 0 || c->n_comp > 4 || c->n_alpn < 0 || c->n_alpn > 8 ||
	    c->n_versions < 0 || c->n_versions > 8 || c->n_groups < 0 || c->n_groups > 16 ||
	    c->n_sigalgs < 0 || c->n_sigalgs > 16 || c->n_shares < 0 || c->n_shares > 4 ||
	    c->n_exts < 0 || c->n_exts > TLSB_LIST_MAX)
		pkt_fail("bad tlsb_ch");

	rec = tlsb_hs_begin(b, TLSB_CLIENT_HELLO, c->record_version);
	tlsb_u16(b, c->version);
	tlsb_mem(b, c->random, 32);
	tlsb_u8(b, c->sid_len);
	tlsb_mem(b, c->sid, c->sid_len);
	tlsb_u16_list(b, 2, c->ciphers, c->n_ciphers);
	tlsb_u8(b, c->n_comp);
	tlsb_mem(b, c->comp, c->n_comp);
	if (c->n_exts) {
		exts = b->len;
		tlsb_put(b, 2);
		for (i = 0; i < c->n_exts; i++) {
			const struct tlsb_ext *e = &c->exts[i];

			tlsb_u16(b, e->type);
			at = b->len;
			tlsb_put(b, 2);
			if (e->data)
				tlsb_mem(b, e->data, e->len);
			else if (e->type == TLSB_EXT_PADDING)
				pad = b->len;
			else
				tlsb_ch_ext(b, c, e->type);
			tlsb_patch(b, at, 2);
		}
		len = b->len - rec - 5;
		if (pad && c->pad_to > len) {
			tlsb_insert(b, pad, c->pad_to - len);
			pkt_wr16(b->b + pad - 2, c->pad_to - len);
		}
		tlsb_patch(b, exts, 2);
	}
	return tlsb_hs_end(b, rec);
}

/* Record with a ServerHello (or HelloRetryRequest). Returns its offset. */
static inline size_t tlsb_server_hello(struct tlsbuf *b, const struct tlsb_sh *s)
{
	static const __u8 hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
		0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	size_t rec, at, exts;
	int i;

	if (s->sid_len > 32 || s->n_exts < 0 || s->n_exts > (int)PKT_NELEM(s->exts))
		pkt_fail("bad tlsb_sh");

	rec = tlsb_hs_begin(b, TLSB_SERVER_HELLO, tlsb_ver(b));
	tlsb_u16(b, s->version);
	tlsb_mem(b, s->hrr ? hrr_random : s->random, 32);
	tlsb_u8(b, s->sid_len);
	tlsb_mem(b, s->sid, s->sid_len);
	tlsb_u16(b, s->cipher);
	tlsb_u8(b, s->comp);
	if (s->n_exts) {
		exts = b->len;
		tlsb_put(b, 2);
		for (i = 0; i < s->n_exts; i++) {
			const struct tlsb_ext *e = &s->exts[i];

			tlsb_u16(b, e->type);
			at = b->len;
			tlsb_put(b, 2);
			if (e->data)
				tlsb_mem(b, e->data, e->len);
			else
				tlsb_sh_ext(b, s, e->type);
			tlsb_patch(b, at, 2);
		}
		tlsb_patch(b, exts, 2);
	}
	return tlsb_hs_end(b, rec);
}

/*
 * Chrome-like ClientHello: TLS 1.3 and 1.2, 16 cipher suites and 15
 * extensions, GREASE included, ALPN h2 and http/1.1, a 32-byte session id.
 * With @pq, X25519MLKEM768 is offered and shared first (~1.8 KB hello).
 */
static inline void tlsb_ch_browser(struct tlsb_ch *c, const char *sni, bool pq)
{
	static const __u16 ciphers[] = {
		TLSB_GREASE(0), 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
		0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
	};
	static const __u16 sigalgs[] = {
		0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
	};
	static const __u16 exts[] = {
		TLSB_GREASE(1), TLSB_EXT_SERVER_NAME, TLSB_EXT_EXTENDED_MASTER_SECRET,
		TLSB_EXT_RENEGOTIATION_INFO, TLSB_EXT_SUPPORTED_GROUPS, TLSB_EXT_EC_POINT_FORMATS,
		TLSB_EXT_SESSION_TICKET, TLSB_EXT_ALPN, TLSB_EXT_STATUS_REQUEST,
		TLSB_EXT_SIGNATURE_ALGORITHMS, TLSB_EXT_SCT, TLSB_EXT_KEY_SHARE,
		TLSB_EXT_PSK_KEY_EXCHANGE_MODES, TLSB_EXT_SUPPORTED_VERSIONS, TLSB_GREASE(2),
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	c->record_version = 0x0301;
	c->version = 0x0303;
	pkt_pattern(c->random, sizeof(c->random), 1);
	c->sid_len = 32;
	pkt_pattern(c->sid, sizeof(c->sid), 2);
	c->n_ciphers = PKT_NELEM(ciphers);
	memcpy(c->ciphers, ciphers, sizeof(ciphers));
	c->n_comp = 1;
	c->sni = sni;
	c->n_alpn = 2;
	c->alpn[0] = "h2";
	c->alpn[1] = "http/1.1";
	c->versions[c->n_versions++] = TLSB_GREASE(3);
	c->versions[c->n_versions++] = 0x0304;
	c->versions[c->n_versions++] = 0x0303;
	c->groups[c->n_groups++] = TLSB_GREASE(4);
	c->shares[c->n_shares++] = (struct tlsb_share){ TLSB_GREASE(4), 1 };
	if (pq) {
		c->groups[c->n_groups++] = TLSB_GROUP_X25519MLKEM768;
		c->shares[c->n_shares++] = (struct tlsb_share){ TLSB_GROUP_X25519MLKEM768, 1216 };
	}
	c->groups[c->n_groups++] = TLSB_GROUP_X25519;
	c->shares[c->n_shares++] = (struct tlsb_share){ TLSB_GROUP_X25519, 32 };
	c->groups[c->n_groups++] = TLSB_GROUP_SECP256R1;
	c->groups[c->n_groups++] = TLSB_GROUP_SECP384R1;
	c->n_sigalgs = PKT_NELEM(sigalgs);
	memcpy(c->sigalgs, sigalgs, sizeof(sigalgs));
	for (i = 0; i < PKT_NELEM(exts); i++)
		c->exts[c->n_exts++].type = exts[i];
}

/*
 * ServerHello answering tlsb_ch_browser(). 0x0304: TLS_AES_128_GCM_SHA256,
 * supported_versions and an X25519 key_share, the client's session id
 * echoed. Lower: that legacy version, ECDHE-RSA-AES128-GCM-SHA256,
 * renegotiation_info and extended_master_secret, a new session id.
 */
static inline void tlsb_sh_init(struct tlsb_sh *s, __u16 version)
{
	memset(s, 0, sizeof(*s));
	pkt_pattern(s->random, sizeof(s->random), 3);
	s->sid_len = 32;
	if (version >= 0x0304) {
		s->version = 0x0303;
		pkt_pattern(s->sid, sizeof(s->sid), 2);
		s->cipher = 0x1301;
		s->selected_version = version;
		s->share = (struct tlsb_share){ TLSB_GROUP_X25519, 32 };
		s->exts[s->n_exts++].type = TLSB_EXT_KEY_SHARE;
		s->exts[s->n_exts++].type = TLSB_EXT_SUPPORTED_VERSIONS;
	} else {
		s->version = version;
		pkt_pattern(s->sid, sizeof(s->sid), 4);
		s->cipher = 0xc02f;
		s->exts[s->n_exts++].type = TLSB_EXT_RENEGOTIATION_INFO;
		s->exts[s->n_exts++].type = TLSB_EXT_EXTENDED_MASTER_SECRET;
	}
}

/* Handshake message with @len filler bytes as body. */
static inline size_t tlsb_handshake(struct tlsbuf *b, __u8 type, size_t len)
{
	size_t rec = tlsb_hs_begin(b, type, tlsb_ver(b));

	tlsb_fill(b, len);
	return tlsb_hs_end(b, rec);
}

/*
 * TLS <= 1.2 Certificate: @n X.509 certificates of @len bytes (>= 113): an
 * empty-named RSA certificate whose signature is @len - 113 filler bytes.
 */
static inline size_t tlsb_certificate(struct tlsbuf *b, size_t len, int n)
{
	static const __u8 sigalg[] = {	/* sha256WithRSAEncryption */
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
	};
	static const __u8 tbs[] = {
		0x30, 0x57,
		0xa0, 0x03, 0x02, 0x01, 0x02,		/* v3 */
		0x02, 0x01, 0x01,			/* serial */
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
		0x30, 0x00,				/* issuer */
		0x30, 0x1e,				/* validity */
		0x17, 0x0d, '2', '5', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z',
		0x17, 0x0d, '3', '5', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z',
		0x30, 0x00,				/* subject */
		0x30, 0x1a,				/* rsaEncryption, n = 11, e = 3 */
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
		0x03, 0x09, 0x00, 0x30, 0x06, 0x02, 0x01, 0x0b, 0x02, 0x01, 0x03,
	};
	size_t rec, at, sig = len - 4 - sizeof(tbs) - sizeof(sigalg) - 4;

	if (len < 4 + sizeof(tbs) + sizeof(sigalg) + 5 || len > 0xffff)
		pkt_fail("bad certificate length");
	rec = tlsb_hs_begin(b, TLSB_CERTIFICATE, tlsb_ver(b));
	at = b->len;
	tlsb_put(b, 3);
	for (int i = 0; i < n; i++) {
		pkt_wr24(tlsb_put(b, 3), len);
		tlsb_u16(b, 0x3082);		/* SEQUENCE, 2-byte length */
		tlsb_u16(b, len - 4);
		tlsb_mem(b, tbs, sizeof(tbs));
		tlsb_mem(b, sigalg, sizeof(sigalg));
		tlsb_u16(b, 0x0382);		/* BIT STRING */
		tlsb_u16(b, sig);
		tlsb_u8(b, 0);			/* unused bits */
		tlsb_fill(b, sig - 1);
	}
	tlsb_patch(b, at, 3);
	return tlsb_hs_end(b, rec);
}

/* ECDHE X25519 parameters signed with rsa_pss_rsae_sha256 (2048-bit). */
static inline size_t tlsb_server_key_exchange(struct tlsbuf *b)
{
	size_t rec = tlsb_hs_begin(b, TLSB_SERVER_KEY_EXCHANGE, tlsb_ver(b));

	tlsb_u8(b, 3);		/* named_curve */
	tlsb_u16(b, TLSB_GROUP_X25519);
	tlsb_u8(b, 32);
	tlsb_fill(b, 32);
	tlsb_u16(b, 0x0804);
	tlsb_u16(b, 256);
	tlsb_fill(b, 256);
	return tlsb_hs_end(b, rec);
}

/* TLS 1.2 CertificateRequest: RSA and ECDSA, two signature schemes, no CAs. */
static inline size_t tlsb_certificate_request(struct tlsbuf *b)
{
	static const __u16 sigalgs[] = { 0x0403, 0x0804 };
	size_t rec = tlsb_hs_begin(b, TLSB_CERTIFICATE_REQUEST, tlsb_ver(b));

	tlsb_u8(b, 2);
	tlsb_u8(b, 1);		/* rsa_sign */
	tlsb_u8(b, 64);		/* ecdsa_sign */
	tlsb_u16_list(b, 2, sigalgs, PKT_NELEM(sigalgs));
	tlsb_u16(b, 0);
	return tlsb_hs_end(b, rec);
}

static inline size_t tlsb_server_hello_done(struct tlsbuf *b)
{
	return tlsb_handshake(b, TLSB_SERVER_HELLO_DONE, 0);
}

/* ECDHE ClientKeyExchange: a 32-byte public key. */
static inline size_t tlsb_client_key_exchange(struct tlsbuf *b)
{
	size_t rec = tlsb_hs_begin(b, TLSB_CLIENT_KEY_EXCHANGE, tlsb_ver(b));

	tlsb_u8(b, 32);
	tlsb_fill(b, 32);
	return tlsb_hs_end(b, rec);
}

/* Record of @len filler bytes: encrypted handshake, alert or data. */
static inline size_t tlsb_record(struct tlsbuf *b, __u8 type, size_t len)
{
	size_t rec = tlsb_open(b, type, tlsb_ver(b));

	tlsb_fill(b, len);
	tlsb_close(b, rec);
	return rec;
}

static inline size_t tlsb_app_data(struct tlsbuf *b, size_t len)
{
	return tlsb_record(b, TLSB_APPLICATION_DATA, len);
}

static inline size_t tlsb_ccs(struct tlsbuf *b)
{
	size_t rec = tlsb_open(b, TLSB_CHANGE_CIPHER_SPEC, tlsb_ver(b));

	tlsb_u8(b, 1);
	tlsb_close(b, rec);
	return rec;
}

/* Plaintext alert: @level 1 warning, 2 fatal. */
static inline size_t tlsb_alert(struct tlsbuf *b, __u8 level, __u8 code)
{
	size_t rec = tlsb_open(b, TLSB_ALERT, tlsb_ver(b));

	tlsb_u8(b, level);
	tlsb_u8(b, code);
	tlsb_close(b, rec);
	return rec;
}

/* SSLv2-format ClientHello (2-byte header), @ciphers as 3-byte 00xxxx specs. */
static inline size_t tlsb_sslv2_hello(struct tlsbuf *b, __u16 version, const __u16 *ciphers, int n)
{
	size_t rec = b->len;

	tlsb_u16(b, 0x8000 | (9 + 3 * n + 16));
	tlsb_u8(b, TLSB_CLIENT_HELLO);
	tlsb_u16(b, version);
	tlsb_u16(b, 3 * n);
	tlsb_u16(b, 0);		/* session id */
	tlsb_u16(b, 16);		/* challenge */
	for (int i = 0; i < n; i++) {
		tlsb_u8(b, 0);
		tlsb_u16(b, ciphers[i]);
	}
	tlsb_fill(b, 16);
	return rec;
}

/* @len filler bytes starting with 0x00: neither a TLS record nor SSLv2. */
static inline size_t tlsb_garbage(struct tlsbuf *b, size_t len)
{
	size_t at = b->len;

	tlsb_fill(b, len);
	if (len)
		b->b[at] = 0;
	return at;
}

/*
 * Offset in @b of extension @type (its type field) in the ClientHello or
 * ServerHello record at @rec, or -1.
 */
static inline long tlsb_ext_offset(const struct tlsbuf *b, size_t rec, __u16 type)
{
	const __u8 *p = b->b;
	size_t i = rec + 5 + 4 + 2 + 32, end;
	bool ch;

	if (rec + 9 > b->len || p[rec] != TLSB_HANDSHAKE)
		return -1;
	ch = p[rec + 5] == TLSB_CLIENT_HELLO;
	if (i + 1 > b->len)
		return -1;
	i += 1 + p[i];
	if (ch) {
		if (i + 2 > b->len)
			return -1;
		i += 2 + pkt_rd16(p + i);
		if (i + 1 > b->len)
			return -1;
		i += 1 + p[i];
	} else {
		i += 3;
	}
	if (i + 2 > b->len)
		return -1;
	end = i + 2 + pkt_rd16(p + i);
	if (end > b->len)
		end = b->len;
	for (i += 2; i + 4 <= end; i += 4 + pkt_rd16(p + i + 2))
		if (pkt_rd16(p + i) == type)
			return i;
	return -1;
}

/* Offset in @b of the SNI host name in the ClientHello at @rec, or -1. */
static inline long tlsb_sni_offset(const struct tlsbuf *b, size_t rec)
{
	long e = tlsb_ext_offset(b, rec, TLSB_EXT_SERVER_NAME);

	return e < 0 ? -1 : e + 9;
}

#endif /* __PKT_H */
