/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Structures shared by the BPF programs and the userspace collector: the
 * per-connection handshake state kept in the flow map and the outcome event
 * pushed through the ring buffer. Include after vmlinux.h (BPF) or
 * <linux/types.h> (userspace).
 */
#ifndef __TLSNOOP_H
#define __TLSNOOP_H

#define TLSNOOP_SNI_MAX		128	/* longer names are truncated and flagged */
#define TLSNOOP_ALPN_MAX	32	/* raw ALPN protocol_name_list bytes kept */
#define TLSNOOP_SID_MAX		32	/* TLS session id, for the 1.2 resumption echo */
#define TLSNOOP_HIST_MAX	24	/* handshake history letters kept */
#define TLSNOOP_PEEK_MAX	8	/* first payload bytes kept when not TLS */

/* A ClientHello is reassembled up to this size when it spans segments. */
#define TLSNOOP_HELLO_MAX	4096
#define TLSNOOP_HELLO_MASK	(TLSNOOP_HELLO_MAX - 1)
/* Slack after a hello buffer so fixed-size masked reads stay in bounds. */
#define TLSNOOP_HELLO_SLACK	256

/*
 * -w: the packets of a handshake in progress are copied to the collector,
 * each up to this many bytes: a whole frame at MTU 1500 (a post-quantum
 * ClientHello's two segments) and, on egress, the head of a TSO packet,
 * where a server's first flight usually lies whole.
 */
#define TLSNOOP_PACKET_SNAP	4096
/* Ring-buffer bytes (records with their headers) one connection's packets
 * may take: enough for a failed handshake's packets, and no flood. */
#define TLSNOOP_PACKET_CAP	32768

/*
 * Certificates: in TLS <= 1.2 the Certificate messages travel in clear.
 * The segments of the flights that may carry them are handed over, up to
 * this many bytes of each direction's TCP stream (a chain of a few 4096-bit
 * RSA certificates fits); the collector reassembles and parses them.
 */
#define TLSNOOP_FLIGHT_MAX	16384

#define TLSNOOP_DEFAULT_FLOWS	65536
#define TLSNOOP_DEFAULT_PORT	443

/*
 * Per-client budget of new handshakes (--per-client-rate): a token bucket
 * per client address (IPv6: per /64), refilled at RATE per second, holding
 * at most BURST. The buckets live in a table of TLSNOOP_CLIENTS, in sets
 * of TLSNOOP_CLIENT_WAYS by a hash of the client; a new client takes the
 * way whose bucket is the fullest (a full one knows nothing a new one does
 * not), so a client over its budget stays there.
 */
#define TLSNOOP_CLIENT_SET_BITS		11
#define TLSNOOP_CLIENT_WAYS		4
#define TLSNOOP_CLIENTS			(TLSNOOP_CLIENT_WAYS << TLSNOOP_CLIENT_SET_BITS)
#define TLSNOOP_DEFAULT_CLIENT_RATE	1000
#define TLSNOOP_DEFAULT_CLIENT_BURST	2000

struct client_budget {
	__u64 client;		/* IPv4 address, or an IPv6 address's /64 (a host
				 * may use all of its /64), as 8 bytes */
	__u32 family;		/* 4 or 6; 0: a free way */
	__u32 pad;
	__u64 tat;		/* GCRA: when the bucket is full again (ns) */
};

enum tlsnoop_side {
	SIDE_CLIENT = 0,
	SIDE_SERVER = 1,
	SIDE_NONE = 2,
};

/* Which of the load balancer's connections a handshake is on. */
enum flow_role {
	ROLE_FRONTEND = 0,	/* a client's, to this host */
	ROLE_BACKEND = 1,	/* this host's, to a backend: it is the TLS client */
};

/* Connection key: both directions of a connection map to the same key. */
struct flow_key {
	__u8 client_addr[16];	/* IPv4 in the first 4 bytes, rest zero */
	__u8 server_addr[16];
	__u16 client_port;	/* host byte order */
	__u16 server_port;
	__u8 family;		/* 4 or 6 */
	__u8 pad[3];
};

/*
 * Pre-filter in front of the flow map: flows counted per hash slot of their
 * key. A packet whose slot counts zero belongs to no tracked handshake and
 * skips the map lookup. Raised before a flow is inserted and lowered after
 * it is deleted (by the kernel or the collector), so a zero is never wrong;
 * flows the LRU evicts leave their count behind, which costs only lookups.
 */
#define TLSNOOP_SLOT_BITS	18
#define TLSNOOP_SLOTS		(1u << TLSNOOP_SLOT_BITS)

static inline __u32 flow_slot(const struct flow_key *k)
{
	const __u32 *c = (const __u32 *)k->client_addr, *s = (const __u32 *)k->server_addr;
	__u64 h = ((__u64)(c[0] ^ c[1] ^ c[2] ^ c[3]) << 32 | (s[0] ^ s[1] ^ s[2] ^ s[3])) ^
		  ((__u64)k->client_port << 16 | k->server_port);

	h *= 0x9E3779B97F4A7C15ULL;	/* Fibonacci hashing: the top bits mix all */
	return h >> (64 - TLSNOOP_SLOT_BITS);
}

/* What the ClientHello offered. */
enum hello_flags {
	HELLO_SEEN		= 1 << 0,
	HELLO_HAS_SNI		= 1 << 1,
	HELLO_SNI_TRUNCATED	= 1 << 2,
	HELLO_HAS_ALPN		= 1 << 3,
	HELLO_ALPN_TRUNCATED	= 1 << 4,
	HELLO_HAS_SUPP_VERSIONS	= 1 << 5,
	HELLO_HAS_KEY_SHARE	= 1 << 6,
	HELLO_HAS_PSK		= 1 << 7,
	HELLO_HAS_EARLY_DATA	= 1 << 8,
	HELLO_TRUNCATED		= 1 << 9,	/* parsed from an incomplete hello */
	HELLO_SPLIT		= 1 << 10,	/* reassembled from several segments */
	HELLO_SSLV2		= 1 << 11,	/* SSLv2-format ClientHello */
	HELLO_HAS_TICKET	= 1 << 12,	/* a non-empty session_ticket: resuming */
	HELLO_FLAGS_ALL		= (HELLO_HAS_TICKET << 1) - 1,	/* keep the last above */
};

/* Offered versions: bit n is 0x0300 + n (SSL 3.0 .. TLS 1.3). */
#define VERSION_BIT(v)	(((v) >= 0x0300 && (v) <= 0x0304) ? 1u << ((v) - 0x0300) : 0)

struct client_hello {
	__u16 flags;		/* enum hello_flags */
	__u16 record_version;	/* version field of the record header */
	__u16 legacy_version;	/* client_version in the hello body */
	__u16 max_version;	/* highest non-GREASE supported_versions entry */
	__u16 cipher_count;	/* GREASE included, as on the wire */
	__u16 ext_count;
	__u8 versions_mask;	/* VERSION_BIT of every offered version */
	__u8 session_id_len;
	__u8 sni_len;
	__u8 alpn_len;
	__u32 hello_len;	/* handshake message length */
	char sni[TLSNOOP_SNI_MAX];
	__u8 alpn[TLSNOOP_ALPN_MAX];	/* wire format: len-prefixed names */
	__u8 session_id[TLSNOOP_SID_MAX];
};

enum server_flags {
	SERVER_HELLO_SEEN	= 1 << 0,
	SERVER_HRR		= 1 << 1,	/* a HelloRetryRequest came first */
	SERVER_RESUMED		= 1 << 2,	/* session id echo or PSK accepted */
	SERVER_CERT_REQUEST	= 1 << 3,	/* TLS 1.2 CertificateRequest seen */
	SERVER_CERT		= 1 << 4,	/* TLS <= 1.2 Certificate seen */
};

#define TLSNOOP_SERVER_ALPN_MAX	15

struct server_hello {
	__u16 flags;		/* enum server_flags */
	__u16 legacy_version;
	__u16 version;		/* negotiated: supported_versions if present */
	__u16 cipher;
	__u8 alpn_len;		/* protocol chosen in a plaintext ServerHello */
	char alpn[TLSNOOP_SERVER_ALPN_MAX];
};

enum alert_flags {
	ALERT_SEEN		= 1 << 0,
	ALERT_ENCRYPTED		= 1 << 1,	/* level and code unknown */
};

struct alert {
	__u8 flags;		/* enum alert_flags */
	__u8 from;		/* enum tlsnoop_side */
	__u8 level;
	__u8 code;
	__u16 record_len;
	__u16 pad;
};

/* Why the kernel (or the collector's expiry) ended tracking of a handshake. */
enum end_cause {
	END_ESTABLISHED = 1,	/* handshake completed */
	END_ALERT,		/* fatal plaintext alert */
	END_CLOSE,		/* FIN or RST before established */
	END_NOT_TLS,		/* first payload of a side is not a TLS record */
	END_TIMEOUT,		/* idle half-done handshake expired by the collector */
};

enum close_kind {
	CLOSE_NONE = 0,
	CLOSE_FIN,
	CLOSE_RST,
};

enum flow_phase {
	PHASE_TCP = 0,		/* SYN seen, no TLS yet */
	PHASE_CLIENT_HELLO,	/* ClientHello seen */
	PHASE_SERVER_HELLO,	/* ServerHello seen, handshake in progress */
	PHASE_DONE,		/* outcome emitted */
};

/* Per-direction TLS record stream position. */
struct record_stream {
	__u32 next_seq;		/* TCP sequence where the next record starts */
	__u8 synced;		/* next_seq is valid */
	__u8 saw_payload;
	__u8 ccs;		/* ChangeCipherSpec sent */
	__u8 start_known;	/* next_seq set by this side's SYN, no payload yet */
	__u16 enc_records;	/* encrypted records before established */
	__u16 pad2;
	__u32 enc_bytes;	/* their payload bytes */
	__u32 start_seq;	/* the stream's first byte: after the SYN, or the
				 * first payload seen */
};

/* Handshake state of one connection: the flow map value. */
struct flow {
	__u64 t_first;		/* SYN, or first packet seen (ns, CLOCK_MONOTONIC; offline: capture time) */
	__u64 t_client_hello;
	__u64 t_server_hello;
	__u64 t_last;		/* last packet of this connection */
	__u32 ifindex;
	__u8 phase;		/* enum flow_phase */
	__u8 syn_seen;
	__u8 role;		/* enum flow_role */
	__u8 close_from;	/* enum tlsnoop_side, or SIDE_NONE */
	__u8 close_kind;	/* enum close_kind */
	__u8 not_tls_from;	/* SIDE_NONE, or the side whose payload was not TLS */
	__u8 hist_len;
	__u8 enc_alert_pending;	/* an alert-sized encrypted record awaits a close */
	__u8 hello_reasm;	/* ClientHello reassembly in progress */
	__u8 client_closed;	/* TLS 1.3: alert-sized client record after its
				 * Finished, i.e. its close_notify */
	__u8 peek_len;
	__u16 packet_bytes;	/* -w: ring-buffer bytes its packets took */
	__u8 peek[TLSNOOP_PEEK_MAX];	/* first bytes of a non-TLS payload */
	char hist[TLSNOOP_HIST_MAX];
	struct record_stream dir[2];	/* indexed by enum tlsnoop_side */
	struct client_hello ch;
	struct server_hello sh;
	struct alert alert;
};

/* Ring-buffer records start with their type. */
enum rec_type {
	REC_EVENT = 1,		/* struct event: a handshake's outcome */
	REC_HELLO,		/* struct hello_rec: a ClientHello's bytes */
	REC_PACKET,		/* struct packet_rec: a packet's bytes (-w) */
	REC_FLIGHT,		/* struct flight_rec: a TLS <= 1.2 flight's bytes */
};

struct event {
	__u32 type;		/* REC_EVENT */
	__u32 pad0;
	struct flow_key key;
	struct flow flow;
	__u64 t_end;
	__u8 end_cause;		/* enum end_cause */
	__u8 pad[7];
};

/*
 * A ClientHello handed to the collector, which parses it: `len` bytes from
 * its record header follow. It precedes its connection's event in the ring
 * buffer; the collector matches the two by key.
 */
struct hello_rec {
	__u32 type;		/* REC_HELLO */
	__u32 len;		/* bytes that follow, at most TLSNOOP_HELLO_MAX */
	struct flow_key key;
	__u16 flags;		/* HELLO_SPLIT, HELLO_TRUNCATED */
	__u16 pad[3];
};

/*
 * A ClientHello's bytes: copied out of the packet (per-CPU scratch) or
 * reassembled when it spans segments (hello_bufs). `rec` and `data` are
 * contiguous: the ring-buffer record is one copy from `rec`.
 */
struct hello_buf {
	__u32 base_seq;		/* sequence of the record header's first byte */
	__u32 have;		/* contiguous bytes received from base_seq */
	__u32 want;		/* record header + handshake length */
	__u32 pad;
	struct hello_rec rec;
	__u8 data[TLSNOOP_HELLO_MAX + TLSNOOP_HELLO_SLACK];
};

_Static_assert(__builtin_offsetof(struct hello_buf, data) ==
	       __builtin_offsetof(struct hello_buf, rec) + sizeof(struct hello_rec),
	       "hello_rec must be followed by its data");

/*
 * -w: a packet of a handshake in progress, as the program saw it (from its
 * Ethernet header): `len` bytes of it follow. It precedes its connection's
 * event in the ring buffer.
 */
struct packet_rec {
	__u32 type;		/* REC_PACKET */
	__u32 len;		/* bytes that follow, at most TLSNOOP_PACKET_SNAP */
	struct flow_key key;
	__u64 t;		/* the flow's clock (t_last) for this packet */
	__u32 wire_len;		/* the whole packet's length */
	__u8 side;		/* enum tlsnoop_side of its sender */
	__u8 pad[3];
};

struct packet_buf {
	struct packet_rec rec;
	__u8 data[TLSNOOP_PACKET_SNAP];
};

/*
 * A payload segment of a TLS <= 1.2 flight that may carry a Certificate
 * (the server's from its ServerHello on; the client's after a
 * CertificateRequest), each until its side's ChangeCipherSpec: `len` bytes
 * from `offset` in the side's stream (from start_seq) follow. It precedes
 * its connection's event in the ring buffer.
 */
struct flight_rec {
	__u32 type;		/* REC_FLIGHT */
	__u32 len;		/* bytes that follow, at most TLSNOOP_FLIGHT_MAX */
	struct flow_key key;
	__u32 offset;		/* offset + len <= TLSNOOP_FLIGHT_MAX */
	__u8 side;		/* enum tlsnoop_side of its sender */
	__u8 pad[3];
};

struct flight_buf {
	struct flight_rec rec;
	__u8 data[TLSNOOP_FLIGHT_MAX];
};

/* Kernel counters (per-CPU array, summed by the collector). */
enum tlsnoop_stat {
	STAT_RINGBUF_DROPS = 0,	/* events lost: ring buffer full */
	STAT_FLOW_FULL,		/* flow could not be created */
	STAT_HELLO_TRUNCATED,	/* hello larger than TLSNOOP_HELLO_MAX */
	STAT_DESYNC,		/* record stream lost (gap, reorder) */
	STAT_FRAGMENTS,		/* IP fragments skipped */
	STAT_HELLO_LOST,	/* hello bytes not handed over: ring buffer full */
	STAT_PACKET_CAPPED,	/* -w: packet not copied, connection over its cap */
	STAT_PACKET_LOST,	/* -w: packet not copied, ring buffer half full */
	STAT_CLIENT_OVER_BUDGET,	/* new handshake not tracked: client over its budget */
	STAT_FLOWS_EVICTED,	/* collector's: flows the LRU evicted (collector_expire) */
	STAT_FLIGHT_CAPPED,	/* flight segment (part) not copied: past TLSNOOP_FLIGHT_MAX */
	STAT_FLIGHT_LOST,	/* flight segment not copied: ring buffer half full; and
				 * the collector's: flights it could not hold */
	STAT_MAX,
};

#endif /* __TLSNOOP_H */
