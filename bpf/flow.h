/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-connection handshake state machine: follows the TLS record stream
 * of both directions of a watched connection, fills `struct flow`, and emits
 * one event when the handshake ends (established, fatal alert, close, or
 * first bytes that are not TLS). Included by tlsnoop.bpf.c after the maps
 * and the ctx_load/stat_inc/port_watched helpers it uses.
 */
#ifndef __FLOW_H
#define __FLOW_H

#define RECORDS_PER_SEGMENT	16	/* records walked in one segment */
#define MESSAGES_PER_RECORD	4	/* handshake messages walked in one record */
/* Reassembly copies in chunks no longer than the buffer's slack, so that a
 * masked offset plus a chunk stays inside it. */
#define HELLO_CHUNK		TLSNOOP_HELLO_SLACK
#define LOOPBACK_IFINDEX	1
#define HELLO_CHUNKS		(TLSNOOP_HELLO_MAX / HELLO_CHUNK)
/* In a ClientHello record: client_version, and the session id after the
 * 32-byte random and its length byte. */
#define HELLO_VERSION_OFF	(TLS_RECORD_HDR + TLS_HS_HDR)
#define HELLO_SID_OFF		(HELLO_VERSION_OFF + 2 + 32 + 1)
#define TLS13_ALERT_LEN		19	/* 2 + inner type + 16-byte AEAD tag */
#define TLS13_ALERT_LEN_CCM8	11	/* with TLS_AES_128_CCM_8_SHA256 */
#define TLS13_FINISHED_MAX	69	/* a Finished alone: 53 (SHA-256) or 69 (SHA-384) */

enum { SEGMENT_GO_ON = 0, SEGMENT_DONE };

/* A segment on a watched port, and the TLS record being handled in it. */
struct tls_job {
	__u64 payload_off;	/* segment payload start in the frame */
	__u64 payload_len;
	__u64 off;		/* record start within the payload */
	__u64 rec_len;		/* record length, header excluded */
	__u32 seq;		/* TCP sequence of the payload's first byte */
	__u32 ifindex;
	__u8 side;		/* enum tlsnoop_side */
	__u8 type;		/* record content type */
	__u8 tcp_flags;
	__u8 local;		/* sent from a socket of this host (TC egress) */
};

/* Zeek's ssl_history letters for handshake message types (lower case). */
/*
 * Map helpers with a flow key: 6.1's verifier takes a key only from the
 * stack, the packet or a map, not from a global function's pointer argument
 * (newer kernels do). The key is copied into a per-CPU slot of a global
 * (a map value, and no NULL path), not onto the stack, whose 512 bytes the
 * call chain nearly fills.
 */
static __always_inline struct flow_key *key_in_map(const struct flow_key *key)
{
	struct flow_key *k = &key_slots[bpf_get_smp_processor_id() & (TLSNOOP_KEY_SLOTS - 1)];

	*k = *key;
	return k;
}

static __always_inline void *key_lookup(void *map, const struct flow_key *key)
{
	return bpf_map_lookup_elem(map, key_in_map(key));
}

static __always_inline long key_update(void *map, const struct flow_key *key, const void *value,
				       __u64 flags)
{
	return bpf_map_update_elem(map, key_in_map(key), value, flags);
}

static __always_inline long key_delete(void *map, const struct flow_key *key)
{
	return bpf_map_delete_elem(map, key_in_map(key));
}

static __always_inline char hs_letter(__u32 type)
{
	switch (type) {
	case 0: return 'h';	/* hello_request */
	case 1: return 'c';	/* client_hello */
	case 2: return 's';	/* server_hello */
	case 3: return 'v';	/* hello_verify_request */
	case 4: return 't';	/* new_session_ticket */
	case 5: return 'e';	/* end_of_early_data */
	case 8: return 'o';	/* encrypted_extensions */
	case 11: return 'x';	/* certificate */
	case 12: return 'k';	/* server_key_exchange */
	case 13: return 'r';	/* certificate_request */
	case 14: return 'n';	/* server_hello_done */
	case 15: return 'y';	/* certificate_verify */
	case 16: return 'g';	/* client_key_exchange */
	case 20: return 'f';	/* finished */
	case 22: return 'u';	/* certificate_status */
	default: return 'z';	/* unassigned */
	}
}

/* Upper case for what the client sent, lower case for the server. */
static __always_inline void hist_add(struct flow *f, int side, char lower)
{
	__u32 n = f->hist_len;

	if (n >= TLSNOOP_HIST_MAX)
		return;
	f->hist[n] = side == SIDE_CLIENT ? lower - 'a' + 'A' : lower;
	f->hist_len = n + 1;
}

/* SERVER_HELLO_SEEN is only ever set by a real ServerHello, not an HRR. */
static __always_inline int flow_is_tls13(const struct flow *f)
{
	return (f->sh.flags & SERVER_HELLO_SEEN) && f->sh.version >= 0x0304;
}

/*
 * A ClientHello's bytes (`have` of them, from its record header) go to the
 * collector, which parses them: the kernel keeps only the facts its own
 * state machine needs, the legacy version and the session id a TLS 1.2
 * ServerHello may echo. Returns -1 when the message is not a ClientHello.
 * Global, so that it is verified once and not at every caller.
 */
__attribute__((noinline)) int hello_handoff(struct flow *f, struct flow_key *key,
					    struct hello_buf *hb, __u32 have, __u16 flags)
{
	const __u8 *d;
	__u32 sid_len = 0, i;
	__u64 size;

	if (!f || !key || !hb)
		return -1;
	d = hb->data;
	if (have < TLS_RECORD_HDR + 1 || have > TLSNOOP_HELLO_MAX ||
	    d[TLS_RECORD_HDR] != TLS_HS_CLIENT_HELLO)
		return -1;
	f->ch.flags |= HELLO_SEEN | flags;
	if (have >= HELLO_VERSION_OFF + 2)
		f->ch.legacy_version = (__u16)d[HELLO_VERSION_OFF] << 8 | d[HELLO_VERSION_OFF + 1];
	if (have >= HELLO_SID_OFF) {
		sid_len = d[HELLO_SID_OFF - 1];
		if (sid_len > TLSNOOP_SID_MAX || HELLO_SID_OFF + sid_len > have)
			sid_len = 0;
	}
	f->ch.session_id_len = sid_len;
	for (i = 0; i < TLSNOOP_SID_MAX; i++)
		f->ch.session_id[i] = i < sid_len ? d[HELLO_SID_OFF + i] : 0;

	hb->rec.type = REC_HELLO;
	hb->rec.len = have;
	hb->rec.key = *key;
	hb->rec.flags = flags;
	/* Bound the size again where the verifier sees it (clang may test a
	 * copy of `have` above). */
	size = sizeof(hb->rec) + have;
	asm volatile("" : "+r"(size));
	if (size > sizeof(hb->rec) + TLSNOOP_HELLO_MAX ||
	    bpf_ringbuf_output(&events, &hb->rec, size, 0))
		stat_inc(STAT_HELLO_LOST);
	return 0;
}

static __always_inline void client_hello_seen(struct flow *f, struct flow_key *key,
					      struct hello_buf *hb, __u32 have, __u16 flags)
{
	if (hello_handoff(f, key, hb, have, flags)) {
		hist_add(f, SIDE_CLIENT, 'z');	/* a handshake message, not a hello */
		return;
	}
	f->phase = PHASE_CLIENT_HELLO;
	f->t_client_hello = f->t_last;
	hist_add(f, SIDE_CLIENT, 'c');
}

/* The handshake ends with its ClientHello still being reassembled: what
 * came of it goes to the collector, so that the event still says what was
 * offered. */
static __always_inline void hello_partial(struct flow *f, struct flow_key *key)
{
	struct hello_buf *hb = key_lookup(&hello_bufs, key);

	if (hb)
		client_hello_seen(f, key, hb, hb->have, HELLO_SPLIT | HELLO_TRUNCATED);
}

/*
 * Report the handshake and stop tracking it. Ingress and egress may run on
 * two CPUs at once: whoever deletes the flow from the map owns its event,
 * so there is exactly one (the collector's expiry follows the same rule).
 */
static __always_inline void flow_emit(struct flow *f, struct flow_key *key, __u8 cause)
{
	struct event *e;
	int reasm = f->hello_reasm;

	if (reasm)
		hello_partial(f, key);
	f->phase = PHASE_DONE;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	/* Each path tests e once: 6.1's verifier does not know a reserved
	 * record tested non-NULL stays so, and would see it leak. */
	if (!e) {
		if (key_delete(&flows, key))
			return;
		stat_inc(STAT_RINGBUF_DROPS);
	} else {
		e->type = REC_EVENT;
		e->pad0 = 0;
		e->key = *key;
		__builtin_memcpy(&e->flow, f, sizeof(*f));
		e->t_end = f->t_last;
		e->end_cause = cause;
		/* Reserved ring-buffer memory holds older records' bytes. */
		__builtin_memset(e->pad, 0, sizeof(e->pad));
		if (key_delete(&flows, key)) {
			bpf_ringbuf_discard(e, 0);
			return;
		}
		bpf_ringbuf_submit(e, 0);
	}
	__sync_fetch_and_add(&flow_slots[flow_slot(key)], -1);
	if (reasm)
		key_delete(&hello_bufs, key);
}

/*
 * A length from 1 to `max` (a power of two), already checked to be so, in a
 * form whose lower bound 6.1's verifier also sees (it does not learn one from
 * a comparison with 0); the value is unchanged.
 */
#define LEN_1_TO(len, max)	((((len) - 1) & ((max) - 1)) + 1)

/* Copy n segment bytes into a reassembly buffer at `at`, in masked chunks. */
static __always_inline void hello_append(void *ctx, bool xdp, struct hello_buf *hb,
					 __u64 src, __u64 at, __u64 n)
{
	__u64 done = 0, chunk;
	int i;

	for (i = 0; i < HELLO_CHUNKS; i++) {
		if (done >= n)
			break;
		chunk = n - done;
		if (chunk > HELLO_CHUNK)
			chunk = HELLO_CHUNK;
		if (chunk < 1)
			break;
		if (ctx_load(ctx, xdp, src + done, &hb->data[(at + done) & TLSNOOP_HELLO_MASK],
			     LEN_1_TO(chunk, HELLO_CHUNK)))
			break;
		done += chunk;
	}
}

/*
 * A ClientHello record starting at payload offset `off`. Parsed at once
 * when it is all here; otherwise its first part goes to a reassembly
 * buffer and the rest follows in the next segments.
 */
static __always_inline void client_hello_record(void *ctx, bool xdp, struct flow *f,
						struct flow_key *key, const struct tls_job *j)
{
	__u32 zero = 0;
	struct hello_buf *hb = bpf_map_lookup_elem(&scratch, &zero);
	__u64 want = TLS_RECORD_HDR + j->rec_len, have = j->payload_len - j->off;

	if (!hb)
		return;
	if (want > TLSNOOP_HELLO_MAX) {
		want = TLSNOOP_HELLO_MAX;
		stat_inc(STAT_HELLO_TRUNCATED);
	}
	if (have > want)
		have = want;
	if (have < 1 || have > TLSNOOP_HELLO_MAX)
		return;
	if (ctx_load(ctx, xdp, j->payload_off + j->off, hb->data,
		     LEN_1_TO(have, TLSNOOP_HELLO_MAX)))
		return;
	if (have == want) {
		client_hello_seen(f, key, hb, have, 0);
		return;
	}
	hb->base_seq = j->seq + j->off;
	hb->have = have;
	hb->want = want;
	if (key_update(&hello_bufs, key, hb, BPF_ANY) == 0) {
		f->hello_reasm = 1;
		f->ch.flags |= HELLO_SPLIT;
	} else {
		client_hello_seen(f, key, hb, have, HELLO_TRUNCATED);
	}
}

/* The next segment of a ClientHello being reassembled. */
static __always_inline void client_hello_continue(void *ctx, bool xdp, struct flow *f,
						  struct flow_key *key, const struct tls_job *j)
{
	struct hello_buf *hb = key_lookup(&hello_bufs, key);
	__u64 at, skip, n;

	if (!hb) {
		/* Evicted: what we had is gone. */
		f->hello_reasm = 0;
		f->ch.flags |= HELLO_SEEN | HELLO_TRUNCATED | HELLO_SPLIT;
		f->phase = PHASE_CLIENT_HELLO;
		hist_add(f, SIDE_CLIENT, 'c');
		return;
	}
	at = (__u32)(j->seq - hb->base_seq);
	if (at > hb->have)	/* a gap: parse what we have */
		goto parse;
	skip = hb->have - at;
	if (skip >= j->payload_len)	/* retransmission of what we have */
		return;
	n = j->payload_len - skip;
	if (n > hb->want - hb->have)
		n = hb->want - hb->have;
	hello_append(ctx, xdp, hb, j->payload_off + skip, hb->have, n);
	hb->have += n;
	if (hb->have < hb->want)
		return;
parse:
	client_hello_seen(f, key, hb, hb->have,
			  hb->have < hb->want ? HELLO_SPLIT | HELLO_TRUNCATED : HELLO_SPLIT);
	f->hello_reasm = 0;
	key_delete(&hello_bufs, key);
}

static __always_inline void server_hello_record(void *ctx, bool xdp, struct flow *f,
						const struct tls_job *j)
{
	__u32 zero = 0;
	struct hello_buf *hb = bpf_map_lookup_elem(&scratch, &zero);
	__u64 have = j->payload_len - j->off;
	__u16 after_hrr;

	if (!hb)
		return;
	if (have > TLS_RECORD_HDR + j->rec_len)
		have = TLS_RECORD_HDR + j->rec_len;
	if (have > TLSNOOP_HELLO_MAX)
		have = TLSNOOP_HELLO_MAX;
	if (have < 1)
		return;
	if (ctx_load(ctx, xdp, j->payload_off + j->off, hb->data,
		     LEN_1_TO(have, TLSNOOP_HELLO_MAX)))
		return;
	/* A HelloRetryRequest is followed by a second ClientHello and the
	 * real ServerHello: only that one says what was negotiated. */
	after_hrr = f->sh.flags & SERVER_HRR;
	f->sh.flags &= ~SERVER_HRR;
	if (tls_parse_server_hello(hb, have, &f->ch, &f->sh))
		return;
	if (f->sh.flags & SERVER_HRR) {
		f->sh.flags &= ~SERVER_HELLO_SEEN;
		hist_add(f, SIDE_SERVER, 'j');
		return;
	}
	f->sh.flags |= after_hrr;
	f->phase = PHASE_SERVER_HELLO;
	f->t_server_hello = f->t_last;
	hist_add(f, SIDE_SERVER, 's');
}

/*
 * Plaintext handshake messages after the hellos (TLS 1.2 flights): one
 * history letter each, and the facts diagnosis needs. `first` is the
 * offset of the first message not yet accounted for.
 */
static __always_inline void handshake_messages(void *ctx, bool xdp, struct flow *f,
					       const struct tls_job *j, __u64 first)
{
	__u64 rec_end = j->off + TLS_RECORD_HDR + j->rec_len;
	int side = j->side;
	__u8 hdr[TLS_HS_HDR];
	__u64 msg = first;
	__u32 type;
	int i;

	if (rec_end > j->payload_len)
		rec_end = j->payload_len;
	for (i = 0; i < MESSAGES_PER_RECORD; i++) {
		if (msg + TLS_HS_HDR > rec_end)
			break;
		if (ctx_peek(ctx, xdp, j->payload_off + msg, hdr, TLS_HS_HDR))
			break;
		type = hdr[0];
		if (side == SIDE_SERVER && type == 13)
			f->sh.flags |= SERVER_CERT_REQUEST;
		if (side == SIDE_SERVER && type == 11)
			f->sh.flags |= SERVER_CERT;
		hist_add(f, side, hs_letter(type));
		msg += TLS_HS_HDR + ((__u32)hdr[1] << 16 | (__u32)hdr[2] << 8 | hdr[3]);
	}
}

/* TLS 1.2 and below: done when both sides have sent ChangeCipherSpec and
 * the second of them has sent its (encrypted) Finished after it. */
static __always_inline int tls12_finished(struct flow *f, int side)
{
	return f->dir[side & 1].ccs && f->dir[!side].ccs && !flow_is_tls13(f);
}

static __always_inline int handshake_record(void *ctx, bool xdp, struct flow *f,
					    struct flow_key *key, const struct tls_job *j)
{
	__u64 first = j->off + TLS_RECORD_HDR;
	int side = j->side;
	__u8 hs[TLS_HS_HDR];

	if (f->dir[side & 1].ccs) {
		/* After ChangeCipherSpec: an encrypted Finished. */
		hist_add(f, side, 'f');
		if (tls12_finished(f, side)) {
			flow_emit(f, key, END_ESTABLISHED);
			return SEGMENT_DONE;
		}
		return SEGMENT_GO_ON;
	}
	if (side == SIDE_CLIENT && !(f->ch.flags & HELLO_SEEN)) {
		client_hello_record(ctx, xdp, f, key, j);
		return SEGMENT_GO_ON;
	}
	if (side == SIDE_SERVER && !(f->sh.flags & SERVER_HELLO_SEEN) &&
	    first + TLS_HS_HDR <= j->payload_len &&
	    !ctx_peek(ctx, xdp, j->payload_off + first, hs, TLS_HS_HDR) &&
	    hs[0] == TLS_HS_SERVER_HELLO) {
		server_hello_record(ctx, xdp, f, j);
		/* Messages coalesced after the ServerHello in the same record. */
		first += TLS_HS_HDR + ((__u32)hs[1] << 16 | (__u32)hs[2] << 8 | hs[3]);
	}
	handshake_messages(ctx, xdp, f, j, first);
	return SEGMENT_GO_ON;
}

static __always_inline void alert_record(void *ctx, bool xdp, struct flow *f,
					 const struct tls_job *j, int *fatal)
{
	__u64 off = j->off, rec_len = j->rec_len;
	int side = j->side;
	__u8 body[2];

	hist_add(f, side, 'l');
	if (rec_len != 2) {
		/* Encrypted (after ChangeCipherSpec): level and code unknown. */
		if (f->alert.flags & ALERT_SEEN)
			return;
		f->alert.flags = ALERT_SEEN | ALERT_ENCRYPTED;
		f->alert.from = side;
		f->alert.record_len = rec_len;
		f->enc_alert_pending = 1;
		return;
	}
	if (off + TLS_RECORD_HDR + 2 > j->payload_len ||
	    ctx_peek(ctx, xdp, j->payload_off + off + TLS_RECORD_HDR, body, 2))
		return;
	/* Keep the first alert, unless a fatal one follows a warning. */
	if (!(f->alert.flags & ALERT_SEEN) ||
	    (f->alert.level != 2 && body[0] == 2)) {
		f->alert.flags = ALERT_SEEN;
		f->alert.from = side;
		f->alert.level = body[0];
		f->alert.code = body[1];
		f->alert.record_len = 2;
	}
	*fatal = body[0] == 2;
}

/* Did the client's flight carry only its Finished (no certificate)? */
static __always_inline int rs_client_finished_only(const struct flow *f)
{
	return f->dir[SIDE_CLIENT].enc_records == 1 &&
	       f->dir[SIDE_CLIENT].enc_bytes <= TLS13_FINISHED_MAX;
}

/*
 * Encrypted records. In TLS 1.3 everything after the ServerHello is one:
 * the handshake is done when the server sends a record after the client's
 * second flight (its NewSessionTicket or first data). An alert-sized record
 * before that is most likely an alert; it is confirmed by a close.
 */
static __always_inline int appdata_record(struct flow *f, struct flow_key *key, int side,
					  __u64 rec_len)
{
	struct record_stream *rs = &f->dir[side & 1];
	__u64 alert_len = f->sh.cipher == 0x1305 ? TLS13_ALERT_LEN_CCM8 : TLS13_ALERT_LEN;

	hist_add(f, side, 'd');
	if (!(f->sh.flags & SERVER_HELLO_SEEN))
		return SEGMENT_GO_ON;		/* 0-RTT early data */
	if (!flow_is_tls13(f)) {
		if (tls12_finished(f, side)) {
			flow_emit(f, key, END_ESTABLISHED);
			return SEGMENT_DONE;
		}
		return SEGMENT_GO_ON;
	}
	if (side == SIDE_CLIENT && f->dir[SIDE_SERVER].enc_records == 0)
		return SEGMENT_GO_ON;		/* early data before the server's flight */
	if (rec_len == alert_len && side == SIDE_CLIENT && rs->enc_records > 0) {
		/* After its Finished a client has nothing to refuse: this
		 * is its close_notify. */
		f->client_closed = 1;
		return SEGMENT_GO_ON;
	}
	if (rec_len == alert_len && side == SIDE_SERVER && f->client_closed &&
	    rs_client_finished_only(f)) {
		/* The server's close_notify answering the client's. */
		flow_emit(f, key, END_ESTABLISHED);
		return SEGMENT_DONE;
	}
	if (rec_len == alert_len) {
		if (!(f->alert.flags & ALERT_SEEN)) {
			f->alert.flags = ALERT_SEEN | ALERT_ENCRYPTED;
			f->alert.from = side;
			f->alert.record_len = rec_len;
			f->enc_alert_pending = 1;
		}
		return SEGMENT_GO_ON;
	}
	if (f->enc_alert_pending && f->alert.from == side &&
	    (f->alert.flags & ALERT_ENCRYPTED)) {
		/* More data followed: it was not an alert. */
		f->enc_alert_pending = 0;
		f->alert.flags = 0;
	}
	rs->enc_records++;
	rs->enc_bytes += rec_len;
	if (side == SIDE_SERVER && f->dir[SIDE_CLIENT].enc_records > 0 && !f->enc_alert_pending) {
		flow_emit(f, key, END_ESTABLISHED);
		return SEGMENT_DONE;
	}
	return SEGMENT_GO_ON;
}

static __always_inline int tls_record(void *ctx, bool xdp, struct flow *f, struct flow_key *key,
				      const struct tls_job *j)
{
	int fatal = 0;

	switch (j->type) {
	case TLS_CT_HANDSHAKE:
		return handshake_record(ctx, xdp, f, key, j);
	case TLS_CT_CCS:
		/* Below TLS 1.3 it starts encryption; in TLS 1.3 (after a
		 * ServerHello or an HRR) it is only for middleboxes. */
		if ((f->sh.flags & SERVER_HELLO_SEEN) && !flow_is_tls13(f))
			f->dir[j->side & 1].ccs = 1;
		hist_add(f, j->side, 'i');
		return SEGMENT_GO_ON;
	case TLS_CT_ALERT:
		alert_record(ctx, xdp, f, j, &fatal);
		if (fatal) {
			flow_emit(f, key, END_ALERT);
			return SEGMENT_DONE;
		}
		return SEGMENT_GO_ON;
	case TLS_CT_APPDATA:
		return appdata_record(f, key, j->side, j->rec_len);
	default:
		hist_add(f, j->side, 'b');	/* heartbeat */
		return SEGMENT_GO_ON;
	}
}

/* Each record is handled by a global function per program type: the
 * verifier checks it once instead of once per record and path. */
__attribute__((noinline)) int tls_record_xdp(struct xdp_md *ctx, struct flow *f,
					     struct flow_key *key, const struct tls_job *j)
{
	if (!ctx || !f || !key || !j)
		return SEGMENT_GO_ON;
	return tls_record(ctx, true, f, key, j);
}

__attribute__((noinline)) int tls_record_tc(struct __sk_buff *ctx, struct flow *f,
					    struct flow_key *key, const struct tls_job *j)
{
	if (!ctx || !f || !key || !j)
		return SEGMENT_GO_ON;
	return tls_record(ctx, false, f, key, j);
}

/*
 * The first payload bytes of a side decide whether it speaks TLS at all.
 * An SSLv2-format ClientHello is a TLS client too old for any server.
 */
static __always_inline int first_payload(void *ctx, bool xdp, struct flow *f,
					 struct flow_key *key, const struct tls_job *j)
{
	__u8 b[TLSNOOP_PEEK_MAX] = {};
	__u64 n = j->payload_len;
	int side = j->side;

	if (n > TLSNOOP_PEEK_MAX)
		n = TLSNOOP_PEEK_MAX;
	if (n < 1 || ctx_load(ctx, xdp, j->payload_off, b, LEN_1_TO(n, TLSNOOP_PEEK_MAX)))
		return SEGMENT_GO_ON;
	if (side == SIDE_CLIENT && (b[0] & 0x80) && b[2] == TLS_HS_CLIENT_HELLO) {
		f->ch.flags |= HELLO_SEEN | HELLO_SSLV2;
		f->ch.legacy_version = (__u16)b[3] << 8 | b[4];
		f->phase = PHASE_CLIENT_HELLO;
		f->t_client_hello = f->t_last;
		hist_add(f, side, 'c');
		return SEGMENT_GO_ON;
	}
	/* A client opens with a handshake record; a server with one, or with
	 * an alert refusing the hello. */
	if ((b[0] == TLS_CT_HANDSHAKE || (side == SIDE_SERVER && b[0] == TLS_CT_ALERT)) &&
	    (n < 2 || b[1] == 3))
		return SEGMENT_GO_ON;
	f->not_tls_from = side;
	f->peek_len = n;
	__builtin_memcpy(f->peek, b, sizeof(b));
	flow_emit(f, key, END_NOT_TLS);
	return SEGMENT_DONE;
}

/* Walk the records that start in this segment. */
static __always_inline int flow_payload(void *ctx, bool xdp, struct flow *f,
					struct flow_key *key, struct tls_job *j)
{
	struct record_stream *rs = &f->dir[j->side & 1];
	__u8 hdr[TLS_RECORD_HDR];
	__u64 off, rec_len;
	__s32 delta;
	int i, ret;

	if (!rs->saw_payload) {
		/* A later segment overtook the first (or the first was not
		 * seen): only the stream's start may say whether it is TLS. */
		if (rs->start_known && j->seq != rs->next_seq)
			return SEGMENT_GO_ON;
		rs->saw_payload = 1;
		rs->synced = 1;
		rs->next_seq = j->seq;
		rs->start_seq = j->seq;
		if (first_payload(ctx, xdp, f, key, j))
			return SEGMENT_DONE;
		/* An SSLv2 hello is no TLS record: the walk starts at the
		 * first TLS record that follows, if a server accepts it. */
		if (f->ch.flags & HELLO_SSLV2)
			rs->synced = 0;
	}
	if (j->side == SIDE_CLIENT && f->hello_reasm)
		client_hello_continue(ctx, xdp, f, key, j);

	delta = rs->next_seq - j->seq;
	if (!rs->synced || delta < 0) {
		/* Lost (bytes missed, or a bad header): pick the stream up
		 * again only at something that looks like a record header. */
		if (ctx_peek(ctx, xdp, j->payload_off, hdr, TLS_RECORD_HDR) ||
		    !tls_record_valid(hdr[0], hdr[1], hdr[2], (__u32)hdr[3] << 8 | hdr[4]))
			return SEGMENT_GO_ON;
		stat_inc(STAT_DESYNC);
		rs->synced = 1;
		delta = 0;
	}
	off = delta;
	for (i = 0; i < RECORDS_PER_SEGMENT; i++) {
		if (off + TLS_RECORD_HDR > j->payload_len)
			break;
		if (ctx_peek(ctx, xdp, j->payload_off + off, hdr, TLS_RECORD_HDR))
			break;
		rec_len = (__u32)hdr[3] << 8 | hdr[4];
		if (!tls_record_valid(hdr[0], hdr[1], hdr[2], rec_len)) {
			rs->synced = 0;
			stat_inc(STAT_DESYNC);
			return SEGMENT_GO_ON;
		}
		j->off = off;
		j->rec_len = rec_len;
		j->type = hdr[0];
		ret = xdp ? tls_record_xdp(ctx, f, key, j) : tls_record_tc(ctx, f, key, j);
		if (ret)
			return SEGMENT_DONE;
		off += TLS_RECORD_HDR + rec_len;
	}
	rs->next_seq = j->seq + off;
	return SEGMENT_GO_ON;
}

/* Global per program type, like tls_record_xdp/_tc: the paths through the
 * record walk (direct reads or helper) then do not multiply what follows. */
__attribute__((noinline)) int flow_payload_xdp(struct xdp_md *ctx, struct flow *f,
					       struct flow_key *key, struct tls_job *j)
{
	if (!ctx || !f || !key || !j)
		return SEGMENT_GO_ON;
	return flow_payload(ctx, true, f, key, j);
}

__attribute__((noinline)) int flow_payload_tc(struct __sk_buff *ctx, struct flow *f,
					      struct flow_key *key, struct tls_job *j)
{
	if (!ctx || !f || !key || !j)
		return SEGMENT_GO_ON;
	return flow_payload(ctx, false, f, key, j);
}

/*
 * FIN or RST before the handshake completed. A FIN from a side that has
 * sent all its handshake messages only half-closes: the peer still decides.
 */
static __always_inline void flow_close(struct flow *f, struct flow_key *key, int side, __u32 flags)
{
	int flight_sent = flow_is_tls13(f) ? side == SIDE_CLIENT &&
					     f->dir[SIDE_CLIENT].enc_records > 0
					   : f->dir[side & 1].ccs;

	f->close_from = side;
	f->close_kind = flags & TCP_RST ? CLOSE_RST : CLOSE_FIN;
	if (!(flags & TCP_RST) && flight_sent && !f->enc_alert_pending)
		return;
	flow_emit(f, key, END_CLOSE);
}

/*
 * Tracking starts at a client SYN, or at a ClientHello if the SYN was
 * missed. Checked before anything costly: most packets on a watched port
 * belong to no handshake.
 */
static __always_inline int flow_may_start(void *ctx, bool xdp, const struct tls_job *j)
{
	__u8 h[9];

	if (j->side != SIDE_CLIENT)
		return 0;
	if ((j->tcp_flags & TCP_SYN) && !(j->tcp_flags & TCP_ACK))
		return 1;
	/* Mid-stream: only a well-formed ClientHello start, so that
	 * encrypted records never open a flow. */
	if (j->payload_len < sizeof(h) || ctx_peek(ctx, xdp, j->payload_off, h, sizeof(h)))
		return 0;
	return h[0] == TLS_CT_HANDSHAKE && h[1] == 3 && h[5] == TLS_HS_CLIENT_HELLO &&
	       ((__u32)h[6] << 16 | (__u32)h[7] << 8 | h[8]) + TLS_HS_HDR <=
	       ((__u32)h[3] << 8 | h[4]);
}

/* The set of a client's budget: Fibonacci hashing, as flow_slot (the mask
 * is for the verifier). */
static __always_inline struct client_budget *client_set(__u64 client, __u32 family)
{
	__u32 set = ((client ^ family) * 0x9E3779B97F4A7C15ULL) >> (64 - TLSNOOP_CLIENT_SET_BITS);

	return &client_budgets[(set & ((1u << TLSNOOP_CLIENT_SET_BITS) - 1)) * TLSNOOP_CLIENT_WAYS];
}

/*
 * May this client start one more tracked handshake? A token bucket kept as
 * GCRA: `tat` is when the client's bucket is full again; a token moves it
 * one interval on, and none is left while it lies more than the tolerance
 * ahead. Asked only when a flow is about to be created: that is where what
 * a flood costs starts (the insert, room in the table, the hello's copy,
 * the event). No lock: two CPUs racing on one set may let a handshake more
 * through, or start a bucket over.
 */
static __always_inline bool client_budget_take(const struct flow_key *key, __u64 now)
{
	struct client_budget *set, *b = NULL, *fullest;
	__u32 family = key->family;
	__u64 client, t;
	int i;

	if (!budget_interval_ns)
		return true;
	__builtin_memcpy(&client, key->client_addr, sizeof(client));
	set = client_set(client, family);
	fullest = &set[0];
	for (i = 0; i < TLSNOOP_CLIENT_WAYS; i++) {
		if (set[i].client == client && set[i].family == family) {
			b = &set[i];
			break;
		}
		if (set[i].tat < fullest->tat)
			fullest = &set[i];
	}
	if (!b) {
		b = fullest;
		b->client = client;
		b->family = family;
		b->tat = now;
	}
	t = b->tat;
	/* Further ahead than a full bucket allows: the clock went back (the
	 * kernel's after a capture's), so start over. */
	if (t < now || t - now > budget_tolerance_ns + budget_interval_ns)
		t = now;
	if (t - now > budget_tolerance_ns)
		return false;
	b->tat = t + budget_interval_ns;
	return true;
}

static __always_inline struct flow *flow_create(struct flow_key *key, const struct tls_job *j,
						__u64 now, bool backend)
{
	__u32 *slot = &flow_slots[flow_slot(key)];
	struct flow *f;

	/* The budget is against floods from outside: this host's own
	 * connections to its backends are not held to it. */
	if (!backend && !client_budget_take(key, now)) {
		stat_inc(STAT_CLIENT_OVER_BUDGET);
		return NULL;
	}
	__sync_fetch_and_add(slot, 1);
	if (key_update(&flows, key, &zero_flow, BPF_NOEXIST)) {
		__sync_fetch_and_add(slot, -1);
		stat_inc(STAT_FLOW_FULL);
		return NULL;
	}
	f = key_lookup(&flows, key);
	if (!f)
		return NULL;
	f->t_first = now;
	f->close_from = SIDE_NONE;
	f->not_tls_from = SIDE_NONE;
	f->syn_seen = !!(j->tcp_flags & TCP_SYN);
	f->role = backend ? ROLE_BACKEND : ROLE_FRONTEND;
	return f;
}

static __always_inline void flow_key_fill(struct flow_key *key, struct segment *seg, int side)
{
	__u16 sport = bpf_ntohs(seg->tcp->source), dport = bpf_ntohs(seg->tcp->dest);
	int from_client = side == SIDE_CLIENT;

	key->family = seg->family;
	key->client_port = from_client ? sport : dport;
	key->server_port = from_client ? dport : sport;
	if (seg->family == 4) {
		struct iphdr *ip = seg->l3;

		__builtin_memcpy(key->client_addr, from_client ? &ip->saddr : &ip->daddr, 4);
		__builtin_memcpy(key->server_addr, from_client ? &ip->daddr : &ip->saddr, 4);
	} else {
		struct ipv6hdr *ip6 = seg->l3;

		__builtin_memcpy(key->client_addr, from_client ? &ip6->saddr : &ip6->daddr, 16);
		__builtin_memcpy(key->server_addr, from_client ? &ip6->daddr : &ip6->saddr, 16);
	}
}

/*
 * -w: the packet, up to TLSNOOP_PACKET_SNAP bytes, goes to the collector,
 * which writes it out if the handshake fails. At most TLSNOOP_PACKET_CAP
 * bytes per connection, and never into the second half of the ring buffer:
 * that stays for hellos and events.
 */
static __always_inline void packet_copy(void *ctx, bool xdp, struct flow *f,
					struct flow_key *key, int side)
{
	__u64 wire_len = xdp ? bpf_xdp_get_buff_len(ctx) : ((struct __sk_buff *)ctx)->len;
	__u64 len = wire_len < TLSNOOP_PACKET_SNAP ? wire_len : TLSNOOP_PACKET_SNAP;
	__u64 size = sizeof(struct packet_rec) + len;
	struct packet_buf *pb;
	__u32 zero = 0;

	if (f->packet_bytes + size > TLSNOOP_PACKET_CAP) {
		stat_inc(STAT_PACKET_CAPPED);
		return;
	}
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > EVENTS_RING_SIZE / 2) {
		stat_inc(STAT_PACKET_LOST);
		return;
	}
	pb = bpf_map_lookup_elem(&packet_scratch, &zero);
	if (!pb || len < 1)
		return;
	len = LEN_1_TO(len, TLSNOOP_PACKET_SNAP);
	if (ctx_load(ctx, xdp, 0, pb->data, len))
		return;
	pb->rec.type = REC_PACKET;
	pb->rec.len = len;
	pb->rec.key = *key;
	pb->rec.t = f->t_last;
	pb->rec.wire_len = wire_len;
	pb->rec.side = side;
	/* Bound the size again where the verifier sees it, as in hello_handoff. */
	asm volatile("" : "+r"(size));
	if (size > sizeof(pb->rec) + TLSNOOP_PACKET_SNAP ||
	    bpf_ringbuf_output(&events, &pb->rec, size, 0)) {
		stat_inc(STAT_PACKET_LOST);
		return;
	}
	f->packet_bytes += size;
}

/* Global per program type: verified once, apart from the state machine. */
__attribute__((noinline)) int packet_copy_xdp(struct xdp_md *ctx, struct flow *f,
					      struct flow_key *key, int side)
{
	if (ctx && f && key)
		packet_copy(ctx, true, f, key, side);
	return 0;
}

__attribute__((noinline)) int packet_copy_tc(struct __sk_buff *ctx, struct flow *f,
					     struct flow_key *key, int side)
{
	if (ctx && f && key)
		packet_copy(ctx, false, f, key, side);
	return 0;
}

/*
 * Certificates: in TLS <= 1.2 the server's Certificate, and the client's
 * when asked for, go in clear; the collector parses them. Wanted from the
 * segment holding a ServerHello that chose TLS <= 1.2 (the Certificate
 * usually follows it there) until the side's ChangeCipherSpec, which may
 * share the client's segment: `ccs_before` is whether it came earlier. A
 * resumed session sends none.
 */
static __always_inline bool flight_wanted(const struct flow *f, int side, __u8 ccs_before)
{
	if (!(f->sh.flags & SERVER_HELLO_SEEN) || (f->sh.flags & SERVER_RESUMED) ||
	    flow_is_tls13(f) || ccs_before)
		return false;
	return side == SIDE_SERVER || (f->sh.flags & SERVER_CERT_REQUEST);
}

/*
 * The segment's payload goes to the collector with its offset in the
 * side's stream, up to TLSNOOP_FLIGHT_MAX bytes of the stream, and never
 * into the second half of the ring buffer (as packet_copy).
 */
static __always_inline void flight_copy(void *ctx, bool xdp, struct flow *f,
					struct flow_key *key, const struct tls_job *j)
{
	__u64 offset = (__u32)(j->seq - f->dir[j->side & 1].start_seq), len = j->payload_len;
	struct flight_buf *fb;
	__u32 zero = 0;
	__u64 size;

	if (offset >= TLSNOOP_FLIGHT_MAX) {
		stat_inc(STAT_FLIGHT_CAPPED);
		return;
	}
	if (len > TLSNOOP_FLIGHT_MAX - offset) {
		len = TLSNOOP_FLIGHT_MAX - offset;
		stat_inc(STAT_FLIGHT_CAPPED);
	}
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > EVENTS_RING_SIZE / 2) {
		stat_inc(STAT_FLIGHT_LOST);
		return;
	}
	fb = bpf_map_lookup_elem(&flight_scratch, &zero);
	if (!fb || len < 1)
		return;
	len = LEN_1_TO(len, TLSNOOP_FLIGHT_MAX);
	if (ctx_load(ctx, xdp, j->payload_off, fb->data, len))
		return;
	fb->rec.type = REC_FLIGHT;
	fb->rec.len = len;
	fb->rec.key = *key;
	fb->rec.offset = offset;
	fb->rec.side = j->side;
	size = sizeof(fb->rec) + len;
	/* Bound the size again where the verifier sees it, as in packet_copy. */
	asm volatile("" : "+r"(size));
	if (size > sizeof(fb->rec) + TLSNOOP_FLIGHT_MAX ||
	    bpf_ringbuf_output(&events, &fb->rec, size, 0))
		stat_inc(STAT_FLIGHT_LOST);
}

/* Global per program type, as packet_copy_xdp/_tc. */
__attribute__((noinline)) int flight_copy_xdp(struct xdp_md *ctx, struct flow *f,
					      struct flow_key *key, const struct tls_job *j)
{
	if (ctx && f && key && j)
		flight_copy(ctx, true, f, key, j);
	return 0;
}

__attribute__((noinline)) int flight_copy_tc(struct __sk_buff *ctx, struct flow *f,
					     struct flow_key *key, const struct tls_job *j)
{
	if (ctx && f && key && j)
		flight_copy(ctx, false, f, key, j);
	return 0;
}

static __always_inline void flow_packet(void *ctx, bool xdp, struct flow_key *key,
					struct tls_job *j, struct flow *f)
{
	/* The one clock read of a packet: the capture's time offline. */
	__u64 now = clock_override_ns ?: bpf_ktime_get_ns();
	__u8 flags = j->tcp_flags;

	/* A new connection on the ports of one whose end we never saw: that
	 * one was abandoned mid-handshake. (A retransmitted SYN finds no
	 * payload yet, and one with data is a Fast Open retransmission.) */
	if (f && j->side == SIDE_CLIENT && (flags & TCP_SYN) && !(flags & TCP_ACK) &&
	    !j->payload_len &&
	    (f->dir[SIDE_CLIENT].saw_payload || f->dir[SIDE_SERVER].saw_payload)) {
		flow_emit(f, key, END_TIMEOUT);
		f = NULL;
	}
	if (!f) {
		/* This host opened it (its SYN or ClientHello left from a
		 * local socket): it is the TLS client, towards a backend. */
		f = flow_create(key, j, now, j->local || port_backend(key->server_port));
		if (!f)
			return;
	}
	f->t_last = now;
	/* Where the client's packets come in (backend: go out): the event's
	 * interface. */
	if (j->side == SIDE_CLIENT && !f->ifindex)
		f->ifindex = j->ifindex;
	/* Before the packet is handled: its record precedes the event it may
	 * end the handshake with. */
	if (copy_packets) {
		if (xdp)
			packet_copy_xdp(ctx, f, key, j->side);
		else
			packet_copy_tc(ctx, f, key, j->side);
	}
	if (flags & TCP_SYN) {
		/* The SYN takes one sequence number: the stream starts after
		 * it. A SYN carries data only with TCP Fast Open: the hello. */
		j->seq++;
		f->dir[j->side & 1].next_seq = j->seq;
		f->dir[j->side & 1].start_known = 1;
		if (!j->payload_len)
			return;
	}
	if (j->payload_len) {
		__u8 ccs_before = f->dir[j->side & 1].ccs;

		if (xdp ? flow_payload_xdp(ctx, f, key, j) : flow_payload_tc(ctx, f, key, j))
			return;
		/* After the walk, which may have found the ServerHello; a
		 * segment that ended the handshake is not wanted. */
		if (flight_wanted(f, j->side, ccs_before)) {
			if (xdp)
				flight_copy_xdp(ctx, f, key, j);
			else
				flight_copy_tc(ctx, f, key, j);
		}
	}
	if (flags & (TCP_FIN | TCP_RST))
		flow_close(f, key, j->side, flags);
}

/* Global per program type, for the same reason as tls_record_xdp/_tc.
 * `f` is the flow found by the caller, or NULL to start one. */
__attribute__((noinline)) int flow_packet_xdp(struct xdp_md *ctx, struct flow_key *key,
					      struct tls_job *j, struct flow *f)
{
	if (ctx && key && j) {
		j->ifindex = ctx->ingress_ifindex;
		flow_packet(ctx, true, key, j, f);
	}
	return 0;
}

__attribute__((noinline)) int flow_packet_tc(struct __sk_buff *ctx, struct flow_key *key,
					     struct tls_job *j, struct flow *f)
{
	if (ctx && key && j) {
		/* Where it came in, also on egress; none: sent from a socket
		 * of this host (a forwarded packet has one), out of ifindex.
		 * Both read unconditionally: clang would otherwise pick the
		 * field's address, and the verifier refuses a moved ctx. */
		__u32 in = ctx->ingress_ifindex, out = ctx->ifindex;

		barrier_var(out);
		/* Loopback (ifindex 1 in every namespace) joins two sockets of
		 * this host: neither end is a backend. */
		j->local = !in && out != LOOPBACK_IFINDEX;
		j->ifindex = in ?: out;
		flow_packet(ctx, false, key, j, f);
	}
	return 0;
}

/* A segment on a watched port: is it part of a handshake we follow? */
static __always_inline void track_segment(void *ctx, bool xdp, void *frame, struct segment *seg,
					  int side)
{
	struct flow_key key = {};
	struct tls_job j = {};
	struct flow *f;

	if (tcp_payload(seg, frame))
		return;

	/* From here on only scalars: the verifier then checks what follows
	 * once, not once per way the headers were laid out. */
	flow_key_fill(&key, seg, side);
	j.side = side;
	j.tcp_flags = ((__u8 *)seg->tcp)[13];
	j.seq = bpf_ntohl(seg->tcp->seq);
	j.payload_off = seg->payload_off;
	j.payload_len = seg->payload_len;

	f = flow_slots[flow_slot(&key)] ? bpf_map_lookup_elem(&flows, &key) : NULL;
	if (!f && !flow_may_start(ctx, xdp, &j))
		return;
	if (xdp)
		flow_packet_xdp(ctx, &key, &j, f);
	else
		flow_packet_tc(ctx, &key, &j, f);
}

/* Every packet: as little as possible before the port check. */
static __always_inline void handle_packet(void *ctx, bool xdp, void *data, void *data_end)
{
	struct segment seg;
	int ret;

	ret = parse_segment(data, data_end, &seg);
	if (ret) {
		if (ret == PARSE_FRAGMENT)
			stat_inc(STAT_FRAGMENTS);
		return;
	}
	if (port_watched(bpf_ntohs(seg.tcp->dest)))
		track_segment(ctx, xdp, data, &seg, SIDE_CLIENT);
	else if (port_watched(bpf_ntohs(seg.tcp->source)))
		track_segment(ctx, xdp, data, &seg, SIDE_SERVER);
}

#endif /* __FLOW_H */
