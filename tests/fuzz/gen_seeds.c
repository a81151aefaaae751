// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Seed corpora, from the unit tests' builder, one file each:
 * - for fuzz_hello in HELLO_DIR: ClientHellos (and a few records that are not);
 * - for fuzz_records in RECORD_DIR: the ring-buffer records of connections
 *   as the kernel sends them (their packets with -w, their hello, their
 *   event), one for every outcome and reason, with those hellos;
 * - for fuzz_capture in CAPTURE_DIR: pcap files of a client's connection
 *   (SYN, hello, FIN) with those hellos, in every link type tlsnoop reads.
 * Usage: gen_seeds HELLO_DIR RECORD_DIR CAPTURE_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "pkt.h"
#include "tlsnoop.h"

#define HELLOS_KEPT	16

static struct tlsbuf buf;

/* The hello seeds, kept for the record seeds. */
static struct kept_hello {
	__u8 b[TLSNOOP_HELLO_MAX];
	size_t len;
} kept[HELLOS_KEPT];
static int n_kept;

static int write_file(const char *dir, const char *name, const void *bytes, size_t len)
{
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fwrite(bytes, 1, len, f) != len;
	return fclose(f) || err ? -1 : 0;
}

static int write_seed(const char *dir, const char *name)
{
	int err = write_file(dir, name, buf.b, buf.len);

	if (n_kept < HELLOS_KEPT && buf.len <= TLSNOOP_HELLO_MAX) {
		memcpy(kept[n_kept].b, buf.b, buf.len);
		kept[n_kept++].len = buf.len;
	}
	buf.len = 0;
	return err;
}

static void add_ext(struct tlsb_ch *c, __u16 type)
{
	c->exts[c->n_exts++] = (struct tlsb_ext){ .type = type };
}

/* Variations on the browser hello: one seed per branch of the parser. */
static int client_hellos(const char *dir)
{
	static const char *const alpn[] = { "h2", "http/1.1", "spdy/3.1", "h2c", "acme-tls/1" };
	char long_name[201];
	struct tlsb_ch c;
	int err = 0;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;

	tlsb_ch_browser(&c, "www.example.com", false);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "browser");

	tlsb_ch_browser(&c, "www.example.com", true);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "post-quantum");

	tlsb_ch_browser(&c, long_name, false);
	c.n_alpn = PKT_NELEM(alpn);
	memcpy(c.alpn, alpn, sizeof(alpn));
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "long-names");

	tlsb_ch_browser(&c, "resume.example.com", false);
	c.psk_identity_len = 64;
	add_ext(&c, TLSB_EXT_EARLY_DATA);
	add_ext(&c, TLSB_EXT_PRE_SHARED_KEY);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "resumption");

	tlsb_ch_browser(&c, NULL, false);
	c.sid_len = 0;
	c.n_exts = 0;
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "no-extensions");

	tlsb_ch_browser(&c, "padded.example.com", false);
	add_ext(&c, TLSB_EXT_PADDING);
	c.pad_to = 512;
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "padded");
	return err;
}

static int other_records(const char *dir)
{
	static const __u16 v2_ciphers[] = { 0x0039, 0x0035 };
	struct tlsb_sh s;
	int err = 0;

	tlsb_sh_init(&s, 0x0304);
	tlsb_server_hello(&buf, &s);
	err |= write_seed(dir, "server-hello");
	tlsb_alert(&buf, 2, 40);
	err |= write_seed(dir, "alert");
	tlsb_sslv2_hello(&buf, 0x0301, v2_ciphers, PKT_NELEM(v2_ciphers));
	err |= write_seed(dir, "sslv2-hello");
	return err;
}

/* ------------------------------------------------- fuzz_records seeds */

/* How a connection ended, as its event says. */
struct outcome {
	const char *name;
	__u8 end_cause;
	__u8 alert_flags, alert_from, alert_code;
	__u8 close_from, close_kind;
	bool server_hello;
	const char *hist;
};

/* A history with a Certificate ('x') is TLS 1.2's: its flights come as
 * REC_FLIGHT records; one with a CertificateRequest ('r') is mutual. */
static bool has_flights(const struct outcome *o)
{
	return strchr(o->hist, 'x') != NULL;
}

static bool is_mutual(const struct outcome *o)
{
	return strchr(o->hist, 'r') != NULL;
}

static const struct outcome outcomes[] = {
	{ "established", END_ESTABLISHED, 0, 0, 0, SIDE_NONE, 0, true, "CsiddddIDd" },
	{ "protocol-version", END_ALERT, ALERT_SEEN, SIDE_SERVER, 70, SIDE_NONE, 0, false, "Cl" },
	{ "no-shared-cipher", END_ALERT, ALERT_SEEN, SIDE_SERVER, 40, SIDE_NONE, 0, false, "Cl" },
	{ "unknown-ca", END_ALERT, ALERT_SEEN, SIDE_CLIENT, 48, SIDE_NONE, 0, true, "CsxknL" },
	{ "cert-expired", END_ALERT, ALERT_SEEN, SIDE_CLIENT, 45, SIDE_NONE, 0, true, "CsxknL" },
	{ "cert-revoked", END_ALERT, ALERT_SEEN, SIDE_CLIENT, 44, SIDE_NONE, 0, true, "CsxknL" },
	{ "cert-required", END_ALERT, ALERT_SEEN, SIDE_SERVER, 116, SIDE_NONE, 0, true, "CsxrnXGl" },
	{ "unrecognized-name", END_ALERT, ALERT_SEEN, SIDE_SERVER, 112, SIDE_NONE, 0, false, "Cl" },
	{ "no-application-protocol", END_ALERT, ALERT_SEEN, SIDE_SERVER, 120, SIDE_NONE, 0, false,
	  "Cl" },
	{ "other-alert", END_ALERT, ALERT_SEEN, SIDE_SERVER, 80, SIDE_NONE, 0, true, "Csl" },
	{ "encrypted-client-alert", END_CLOSE, ALERT_SEEN | ALERT_ENCRYPTED, SIDE_CLIENT, 0,
	  SIDE_CLIENT, CLOSE_FIN, true, "CsidddD" },
	{ "encrypted-server-alert", END_CLOSE, ALERT_SEEN | ALERT_ENCRYPTED, SIDE_SERVER, 0,
	  SIDE_SERVER, CLOSE_RST, true, "CsidddIDDDd" },
	{ "client-fin", END_CLOSE, 0, 0, 0, SIDE_CLIENT, CLOSE_FIN, false, "C" },
	{ "server-rst", END_CLOSE, 0, 0, 0, SIDE_SERVER, CLOSE_RST, true, "Cs" },
	{ "close-notify", END_CLOSE, ALERT_SEEN, SIDE_CLIENT, 0, SIDE_CLIENT, CLOSE_FIN, false,
	  "CL" },
	{ "timeout", END_TIMEOUT, 0, 0, 0, SIDE_NONE, 0, true, "Cs" },
};

/* fuzz_records' input: a settings byte, then records behind their length. */
static struct {
	__u8 b[1 << 16];
	size_t len;
} input;

static void add_record(const void *head, size_t head_len, const void *body, size_t body_len)
{
	size_t len = head_len + body_len;

	input.b[input.len++] = len;
	input.b[input.len++] = len >> 8;
	memcpy(input.b + input.len, head, head_len);
	memcpy(input.b + input.len + head_len, body, body_len);
	input.len += len;
}

static struct flow_key conn_key(int family, __u16 client_port)
{
	struct flow_key k = { .client_port = client_port, .server_port = 443, .family = family };

	pkt_addr(family == 6 ? AF_INET6 : AF_INET, family == 6 ? "2001:db8::17" : "198.51.100.17",
		 k.client_addr);
	pkt_addr(family == 6 ? AF_INET6 : AF_INET, family == 6 ? "2001:db8::10" : "192.0.2.10",
		 k.server_addr);
	return k;
}

/* -w: the client's SYN and hello segments, as the kernel copies them. */
static void add_packets(const struct flow_key *k, const struct kept_hello *h, __u64 t)
{
	struct pkt_l3l4 o = { .family = k->family, .sport = k->client_port, .dport = 443,
			      .flags = PKT_SYN, .seq = 1000 };
	struct packet_rec rec = { .type = REC_PACKET, .key = *k, .side = SIDE_CLIENT, .t = t };
	static struct pkt frame;

	o.saddr = k->family == 6 ? "2001:db8::17" : "198.51.100.17";
	o.daddr = k->family == 6 ? "2001:db8::10" : "192.0.2.10";
	pkt_tcp(&frame, &o, NULL, 0);
	rec.len = rec.wire_len = frame.len;
	add_record(&rec, sizeof(rec), frame.buf, frame.len);
	o.flags = PKT_ACK | PKT_PSH;
	o.seq++;
	pkt_tcp(&frame, &o, h->b, h->len);
	rec.wire_len = frame.len;
	rec.len = frame.len < TLSNOOP_PACKET_SNAP ? frame.len : TLSNOOP_PACKET_SNAP;
	add_record(&rec, sizeof(rec), frame.buf, rec.len);
}

/* The kernel's own summary of the hello: the collector's parse replaces it. */
static void add_event(const struct flow_key *k, const struct outcome *o, __u64 t)
{
	static const char sni[] = "shop.example.com", alpn[] = "\x02h2\x08http/1.1";
	struct event e = { .type = REC_EVENT, .key = *k, .end_cause = o->end_cause };
	struct flow *f = &e.flow;

	f->t_first = t;
	f->t_client_hello = t + 1000000;
	f->t_last = e.t_end = t + 25000000;
	f->ifindex = 2;
	f->phase = PHASE_DONE;
	f->syn_seen = 1;
	f->close_from = o->close_from;
	f->close_kind = o->close_kind;
	f->not_tls_from = SIDE_NONE;
	f->hist_len = strlen(o->hist);
	memcpy(f->hist, o->hist, f->hist_len);
	f->dir[SIDE_CLIENT].saw_payload = 1;
	f->ch.flags = HELLO_SEEN | HELLO_HAS_SNI | HELLO_HAS_ALPN | HELLO_HAS_SUPP_VERSIONS;
	f->ch.legacy_version = 0x0303;
	f->ch.max_version = 0x0304;
	f->ch.versions_mask = VERSION_BIT(0x0303) | VERSION_BIT(0x0304);
	f->ch.sni_len = sizeof(sni) - 1;
	memcpy(f->ch.sni, sni, f->ch.sni_len);
	f->ch.alpn_len = sizeof(alpn) - 1;
	memcpy(f->ch.alpn, alpn, f->ch.alpn_len);
	if (o->server_hello) {
		f->t_server_hello = t + 3000000;
		f->sh.flags = SERVER_HELLO_SEEN;
		f->sh.version = 0x0304;
		f->sh.cipher = 0x1302;
		if (has_flights(o)) {
			f->sh.flags |= SERVER_CERT | (is_mutual(o) ? SERVER_CERT_REQUEST : 0);
			f->sh.version = 0x0303;
			f->sh.cipher = 0xc02f;
		}
		f->sh.alpn_len = 2;
		memcpy(f->sh.alpn, "h2", 2);
		f->dir[SIDE_CLIENT].enc_records = o->alert_from == SIDE_SERVER ? 3 : 0;
		f->dir[SIDE_CLIENT].enc_bytes = o->alert_from == SIDE_SERVER ? 1133 : 0;
	}
	f->alert.flags = o->alert_flags;
	f->alert.from = o->alert_from;
	f->alert.level = o->alert_flags & ALERT_ENCRYPTED ? 0 : 2;
	f->alert.code = o->alert_code;
	f->alert.record_len = o->alert_flags & ALERT_ENCRYPTED ? 19 : 2;
	add_record(&e, sizeof(e), NULL, 0);
}

/* A side's flight, as the kernel copies it: in two records, the second first. */
static void add_flight(const struct flow_key *k, int side, const __u8 *bytes, size_t len)
{
	struct flight_rec rec = { .type = REC_FLIGHT, .key = *k, .side = side };
	size_t half = len / 2;

	rec.offset = half;
	rec.len = len - half;
	add_record(&rec, sizeof(rec), bytes + half, rec.len);
	rec.offset = 0;
	rec.len = half;
	add_record(&rec, sizeof(rec), bytes, half);
}

static void add_flights(const struct flow_key *k, const struct outcome *o)
{
	static struct tlsbuf b;
	bool mutual = is_mutual(o);
	struct tlsb_sh s;

	tlsb_sh_init(&s, 0x0303);
	s.cipher = 0xc02f;
	b.len = 0;
	tlsb_server_hello(&b, &s);
	tlsb_certificate(&b, 300, 2);
	if (mutual)
		tlsb_certificate_request(&b);
	tlsb_server_hello_done(&b);
	add_flight(k, SIDE_SERVER, b.b, b.len);
	if (!mutual)
		return;
	b.len = 0;
	tlsb_certificate(&b, 200, 1);
	add_flight(k, SIDE_CLIENT, b.b, b.len);
}

/* A connection whose first bytes were not TLS: no hello, no packets. */
static void add_not_tls(const struct flow_key *k, __u64 t)
{
	struct event e = { .type = REC_EVENT, .key = *k, .end_cause = END_NOT_TLS };

	e.flow.t_first = t;
	e.flow.t_last = e.t_end = t + 500000;
	e.flow.phase = PHASE_DONE;
	e.flow.close_from = SIDE_NONE;
	e.flow.not_tls_from = SIDE_CLIENT;
	e.flow.peek_len = 8;
	memcpy(e.flow.peek, "GET / HT", 8);
	add_record(&e, sizeof(e), NULL, 0);
}

/* A connection as the ring buffer carries it: packets, hello, event. */
static void add_connection(size_t i)
{
	const struct kept_hello *h = &kept[i % n_kept];
	struct flow_key k = conn_key(i % 3 ? 4 : 6, 40000 + i);
	struct hello_rec rec = { .type = REC_HELLO, .len = h->len, .key = k };
	__u64 t = 1000000000ULL * (i + 1);

	add_packets(&k, h, t);
	add_record(&rec, sizeof(rec), h->b, h->len);
	if (has_flights(&outcomes[i]))
		add_flights(&k, &outcomes[i]);
	add_event(&k, &outcomes[i], t);
}

static void start_input(bool json)
{
	input.len = 0;
	input.b[input.len++] = json;	/* fuzz_records' SET_JSON */
}

/* Every outcome, with the hellos in turn, IPv4 and IPv6, text and JSON;
 * then a few connections in one input, events without their hello. */
static int connections(const char *dir)
{
	struct flow_key k = conn_key(4, 39999);
	int err = 0;
	size_t i;

	if (!n_kept)
		return -1;
	for (i = 0; i < PKT_NELEM(outcomes); i++) {
		start_input(i & 1);
		add_connection(i);
		err |= write_file(dir, outcomes[i].name, input.b, input.len);
	}
	start_input(true);
	for (i = 0; i < 3; i++)
		add_connection(i);
	err |= write_file(dir, "three-connections", input.b, input.len);
	start_input(true);
	add_not_tls(&k, 1000000000ULL);
	err |= write_file(dir, "not-tls", input.b, input.len);
	/* No hello: the kernel's summary of it is all there is. */
	start_input(false);
	add_event(&k, &outcomes[2], 1000000000ULL);
	err |= write_file(dir, "event-alone", input.b, input.len);
	return err;
}

/* Link types and what comes before the IP header in each (pcap's DLT_*). */
static const struct link {
	const char *name;
	__u32 dlt;
	__u8 head[20];
	size_t head_len;	/* replaces the Ethernet header; 14: it stays */
} links[] = {
	{ "ethernet", 1, {}, 14 },
	{ "raw", 101, {}, 0 },
	/* SLL: packet type, ARPHRD, address length, address, protocol (IPv4) */
	{ "sll", 113, { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00 }, 16 },
	/* SLL2: protocol (IPv4), reserved, ifindex, ARPHRD, type, address */
	{ "sll2", 276, { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0 }, 20 },
};

static int pcap_append(FILE *f, const struct link *l, const struct pkt *frame, __u32 sec)
{
	__u32 len = frame->len - 14 + (l->head_len == 14 ? 14 : l->head_len);
	__u32 rec[4] = { sec, 0, len, len };

	if (fwrite(rec, sizeof(rec), 1, f) != 1)
		return -1;
	if (l->head_len == 14)
		return fwrite(frame->buf, frame->len, 1, f) == 1 ? 0 : -1;
	if (l->head_len && fwrite(l->head, l->head_len, 1, f) != 1)
		return -1;
	return fwrite(frame->buf + 14, frame->len - 14, 1, f) == 1 ? 0 : -1;
}

/* A client's IPv4 connection to 443: SYN, its hello, FIN; in one link type. */
static int capture(const char *dir, const struct link *l, const struct kept_hello *h, int n)
{
	struct pkt_l3l4 o = { .family = 4, .saddr = "198.51.100.17", .daddr = "192.0.2.10",
			      .sport = 40000 + n, .dport = 443, .flags = PKT_SYN, .seq = 1000 };
	/* magic, version 2.4, zone, sigfigs, snaplen, link type */
	__u32 head[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, l->dlt };
	static struct pkt frame;
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s-%d.pcap", dir, l->name, n);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fwrite(head, sizeof(head), 1, f) != 1;
	pkt_tcp(&frame, &o, NULL, 0);
	err |= pcap_append(f, l, &frame, 1);
	o.flags = PKT_ACK | PKT_PSH;
	o.seq++;
	pkt_tcp(&frame, &o, h->b, h->len);
	err |= pcap_append(f, l, &frame, 2);
	o.flags = PKT_ACK | PKT_FIN;
	o.seq += h->len;
	pkt_tcp(&frame, &o, NULL, 0);
	err |= pcap_append(f, l, &frame, 3);
	return fclose(f) || err ? -1 : 0;
}

static int captures(const char *dir)
{
	int err = 0, i;
	size_t l;

	for (l = 0; l < PKT_NELEM(links); l++)
		for (i = 0; i < n_kept && i < 4; i++)
			err |= capture(dir, &links[l], &kept[i], i);
	return err;
}

/* What servers answer tlsnoop check's own hellos: ServerHellos with and
 * without the Certificate after them (whole, and in small records), SSL
 * 3.0's, TLS 1.3's, an alert. */
static int server_replies(const char *dir)
{
	static struct tlsbuf b;
	static const __u16 versions[] = { 0x0300, 0x0303, 0x0304 };
	struct tlsb_sh s;
	char name[64];
	size_t rec;
	unsigned int i;
	int err = 0;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		tlsb_sh_init(&s, versions[i]);
		b.len = 0;
		tlsb_server_hello(&b, &s);
		snprintf(name, sizeof(name), "sh-%04x", versions[i]);
		err |= write_file(dir, name, b.b, b.len);
	}
	tlsb_sh_init(&s, 0x0303);
	s.cipher = 0x000a;
	b.len = 0;
	tlsb_server_hello(&b, &s);
	rec = tlsb_certificate(&b, 300, 2);
	tlsb_server_key_exchange(&b);
	tlsb_server_hello_done(&b);
	err |= write_file(dir, "flight", b.b, b.len);
	tlsb_refragment(&b, rec, 100);
	err |= write_file(dir, "flight-fragments", b.b, b.len);
	b.len = 0;
	tlsb_alert(&b, 2, 40);
	err |= write_file(dir, "alert", b.b, b.len);
	return err;
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 5) {
		fprintf(stderr, "usage: %s HELLO_DIR RECORD_DIR CAPTURE_DIR REPLY_DIR\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (mkdir(argv[i], 0755) && errno != EEXIST) {
			perror(argv[i]);
			return 1;
		}
	if (client_hellos(argv[1]) || other_records(argv[1]) || connections(argv[2]) ||
	    captures(argv[3]) || server_replies(argv[4])) {
		fprintf(stderr, "gen_seeds: cannot write to %s, %s, %s or %s\n", argv[1], argv[2],
			argv[3], argv[4]);
		return 1;
	}
	return 0;
}
