// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the real BPF programs through BPF_PROG_TEST_RUN: crafted
 * conversations go through xdp_tlsnoop (and tc_tlsnoop), and the events
 * they leave in the ring buffer are checked field by field, together with
 * the collector's diagnosis. Every run must return the pass verdict.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "pkt.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "collect.h"
#include "diagnose.h"
#include "hello_table.h"

#define XDP_PASS_ 2
#define TC_ACT_OK_ 0
#define MAX_EVENTS 64

static struct tlsnoop_bpf *skel;
static struct ring_buffer *rb;
static struct event events[MAX_EVENTS];
static int n_events;
static bool use_tc;
/* TC runs: the device a packet came in on (0: sent from a local socket),
 * and the one it is on (0: the test run's default, loopback). */
static __u32 tc_ingress_ifindex = 1, tc_ifindex;


static struct hello_table *hellos;
/* Packet records (-w), with how many events came before each. */
#define MAX_PACKETS 32
static struct {
	struct packet_rec rec;
	__u8 data[TLSNOOP_PACKET_SNAP];
	int events_before;
} packets[MAX_PACKETS];
static int n_packets, packets_total;
/* Flight records (certificates), with how many events came before each. */
#define MAX_FLIGHTS 16
static struct {
	struct flight_rec rec;
	__u8 data[TLSNOOP_FLIGHT_MAX];
	int events_before;
} flights[MAX_FLIGHTS];
static int n_flights;
/* The last ClientHello record handed over, as it came. */
static __u8 last_hello[sizeof(struct hello_rec) + TLSNOOP_HELLO_MAX];
static size_t last_hello_size;

/* As the collector does: hellos wait in the table for their events. */
static int on_event(void *ctx, void *data, size_t size)
{
	__u32 type = *(__u32 *)data;

	(void)ctx;
	if (type == REC_HELLO && size <= sizeof(last_hello)) {
		memcpy(last_hello, data, size);
		last_hello_size = size;
		hello_table_put(hellos, data, size);
	} else if (type == REC_EVENT && size >= sizeof(struct event) && n_events < MAX_EVENTS) {
		memcpy(&events[n_events], data, sizeof(struct event));
		hello_table_take(hellos, &events[n_events++]);
	} else if (type == REC_FLIGHT && size >= sizeof(struct flight_rec)) {
		CHECK(n_flights < MAX_FLIGHTS && size <= sizeof(flights[0].rec) + TLSNOOP_FLIGHT_MAX &&
		      size == sizeof(struct flight_rec) + ((struct flight_rec *)data)->len,
		      "flight record %d of %zu bytes", n_flights, size);
		if (n_flights < MAX_FLIGHTS && size <= sizeof(flights[0].rec) + TLSNOOP_FLIGHT_MAX) {
			memcpy(&flights[n_flights], data, size);
			flights[n_flights++].events_before = n_events;
		}
	} else if (type == REC_PACKET && size >= sizeof(struct packet_rec)) {
		packets_total++;
		if (n_packets < MAX_PACKETS && size <= sizeof(packets[0].rec) + TLSNOOP_PACKET_SNAP) {
			memcpy(&packets[n_packets], data, size);
			packets[n_packets++].events_before = n_events;
		}
	}
	return 0;
}

static __u64 stat_sum(enum tlsnoop_stat s)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 vals[256] = {}, sum = 0;
	__u32 k = s;

	if (ncpu > 256 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &k, vals))
		return 0;
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static void run_frame(const struct pkt *p)
{
	int fd = bpf_program__fd(use_tc ? skel->progs.tc_tlsnoop : skel->progs.xdp_tlsnoop);
	struct __sk_buff skb = { .ingress_ifindex = tc_ingress_ifindex, .ifindex = tc_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->buf, .data_size_in = p->len,
		    .repeat = 1, .ctx_in = use_tc ? &skb : NULL,
		    .ctx_size_in = use_tc ? sizeof(skb) : 0);
	int err = bpf_prog_test_run_opts(fd, &opts);

	CHECK(!err, "test run failed: %s", strerror(errno));
	CHECK(opts.retval == (use_tc ? TC_ACT_OK_ : XDP_PASS_), "verdict %u is not pass",
	      opts.retval);
}

static int flows_count(void)
{
	int fd = bpf_map__fd(skel->maps.flows), n = 0;
	struct flow_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static __u64 slots_total(void)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < TLSNOOP_SLOTS; i++)
		sum += skel->bss->flow_slots[i];
	return sum;
}

/* Start each test with no flows and no events. */
static void reset(const char *name)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct flow_key k;

	current = name;
	/* As the collector's expiry does: delete, then lower the slot. */
	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (!bpf_map_delete_elem(fd, &k))
			skel->bss->flow_slots[flow_slot(&k)]--;
	CHECK(slots_total() == 0, "flow slot counts do not balance: %llu",
	      (unsigned long long)slots_total());
	ring_buffer__consume(rb);
	n_events = 0;
	n_packets = 0;
	n_flights = 0;
}

static int collect(void)
{
	ring_buffer__consume(rb);
	return n_events;
}

/* ------------------------------------------------------------ conversations */

struct conv {
	struct pkt_flow f;
	struct pkt frames[8];
};

static void conv_init(struct conv *c, int family, int vlans)
{
	struct pkt_l3l4 o = {
		.family = family,
		.saddr = family == 6 ? "2001:db8::2" : "198.18.0.2",
		.daddr = family == 6 ? "2001:db8::1" : "198.18.0.1",
		.sport = 40000, .dport = 443, .seq = 1000, .vlans = vlans,
		.vlan_id = { 100, 200 },
	};

	pkt_flow_init(&c->f, &o);
}

/* One segment from side `dir` (0 client, 1 server) with the bytes of b. */
static void send_bytes(struct conv *c, int dir, __u8 flags, const void *data, size_t len)
{
	pkt_flow_send(&c->f, dir, &c->frames[0], flags | PKT_ACK, data, len);
	run_frame(&c->frames[0]);
}

static void send_tls(struct conv *c, int dir, const struct tlsbuf *b)
{
	send_bytes(c, dir, PKT_PSH, b->b, b->len);
}

/* Segments of b cut at `cuts`. */
static void send_split(struct conv *c, int dir, const struct tlsbuf *b, const size_t *cuts,
		       size_t n)
{
	size_t i, frames = pkt_flow_split(&c->f, dir, c->frames, PKT_ACK, b->b, b->len, cuts, n);

	for (i = 0; i < frames; i++)
		run_frame(&c->frames[i]);
}

static void tcp_handshake(struct conv *c)
{
	size_t i, n = pkt_flow_handshake(&c->f, c->frames);

	for (i = 0; i < n; i++)
		run_frame(&c->frames[i]);
}

static void client_hello(struct tlsbuf *b, const char *sni, bool pq)
{
	struct tlsb_ch ch;

	tlsb_ch_browser(&ch, sni, pq);
	if (!sni) {
		int i, n = 0;

		for (i = 0; i < ch.n_exts; i++)
			if (ch.exts[i].type != TLSB_EXT_SERVER_NAME)
				ch.exts[n++] = ch.exts[i];
		ch.n_exts = n;
	}
	memset(b, 0, sizeof(*b));
	tlsb_client_hello(b, &ch);
}

static void server_hello(struct tlsbuf *b, __u16 version)
{
	struct tlsb_sh sh;

	tlsb_sh_init(&sh, version);
	memset(b, 0, sizeof(*b));
	tlsb_server_hello(b, &sh);
}

/* The single event of a test, with its diagnosis. */
static const struct event *one_event(struct diagnosis *d)
{
	int n = collect();

	CHECK(n == 1, "expected 1 event, got %d", n);
	if (n < 1)
		return NULL;
	diagnose(&events[0], d);
	return &events[0];
}

static bool hist_is(const struct event *e, const char *want)
{
	return e->flow.hist_len == strlen(want) && !memcmp(e->flow.hist, want, e->flow.hist_len);
}

static bool sni_is(const struct event *e, const char *want)
{
	return e->flow.ch.sni_len == strlen(want) && !memcmp(e->flow.ch.sni, want, strlen(want));
}

/* ------------------------------------------------------------------- tests */

static struct tlsbuf b;
static struct conv c;

/* A new connection: TCP handshake, then the client's hello. */
static void start_with_hello(const char *name, const char *sni)
{
	reset(name);
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, sni, false);
	send_tls(&c, 0, &b);
}

/* TLS 1.2 server flight: ServerHello, Certificate, ServerKeyExchange,
 * [CertificateRequest,] ServerHelloDone. */
static void tls12_server_flight(bool cert_request)
{
	server_hello(&b, 0x0303);
	tlsb_certificate(&b, 1200, 2);
	tlsb_server_key_exchange(&b);
	if (cert_request)
		tlsb_certificate_request(&b);
	tlsb_server_hello_done(&b);
	send_tls(&c, 1, &b);
}

/* TLS 1.3 server flight: ServerHello, CCS, then encrypted EncryptedExtensions,
 * [CertificateRequest,] Certificate, CertificateVerify, Finished. */
static void tls13_server_flight(bool cert_request)
{
	server_hello(&b, 0x0304);
	tlsb_ccs(&b);
	tlsb_record(&b, 0x17, 30);
	if (cert_request)
		tlsb_record(&b, 0x17, 60);
	tlsb_record(&b, 0x17, 900);
	tlsb_record(&b, 0x17, 280);
	tlsb_record(&b, 0x17, 53);
	send_tls(&c, 1, &b);
}

/* Encrypted records of these sizes from side dir, after a CCS if ccs. */
static void send_encrypted(int dir, bool ccs, const int *lens, int n)
{
	int i;

	memset(&b, 0, sizeof(b));
	if (ccs)
		tlsb_ccs(&b);
	for (i = 0; i < n; i++)
		tlsb_record(&b, 0x17, lens[i]);
	send_tls(&c, dir, &b);
}

static void send_alert(int dir, __u8 code)
{
	memset(&b, 0, sizeof(b));
	tlsb_alert(&b, 2, code);
	send_tls(&c, dir, &b);
}

/* A TLS 1.3 handshake up to the client's Finished. */
static void tls13_until_client_finished(const char *name, const char *sni)
{
	static const int finished[] = { 53 };

	start_with_hello(name, sni);
	tls13_server_flight(false);
	send_encrypted(0, true, finished, 1);
}

static void test_tls13_success(void)
{
	struct diagnosis d;
	const struct event *e;

	static const int ticket[] = { 250 };

	tls13_until_client_finished(use_tc ? "tls13_success_tc" : "tls13_success", "a.example");
	CHECK(collect() == 0, "no event before the server answers the client's Finished");
	send_encrypted(1, false, ticket, 1);	/* NewSessionTicket */
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->end_cause == END_ESTABLISHED, "end %u", e->end_cause);
	CHECK(d.success, "not success");
	CHECK(e->flow.sh.version == 0x0304 && e->flow.sh.cipher == 0x1301, "version %x cipher %x",
	      e->flow.sh.version, e->flow.sh.cipher);
	CHECK(sni_is(e, "a.example"), "sni %.*s", e->flow.ch.sni_len, e->flow.ch.sni);
	CHECK(e->flow.ch.max_version == 0x0304 && e->flow.ch.legacy_version == 0x0303,
	      "max %x legacy %x", e->flow.ch.max_version, e->flow.ch.legacy_version);
	CHECK(e->flow.ch.versions_mask == (VERSION_BIT(0x0304) | VERSION_BIT(0x0303)), "mask %x",
	      e->flow.ch.versions_mask);
	CHECK(e->flow.ch.cipher_count == 16 && e->flow.ch.ext_count == 15, "ciphers %u exts %u",
	      e->flow.ch.cipher_count, e->flow.ch.ext_count);
	CHECK(e->flow.ch.alpn_len == 12 && !memcmp(e->flow.ch.alpn, "\x02h2\x08http/1.1", 12),
	      "alpn");
	CHECK(e->flow.ch.session_id_len == 32, "sid %u", e->flow.ch.session_id_len);
	CHECK((e->flow.ch.flags & HELLO_HAS_KEY_SHARE) && !(e->flow.ch.flags & HELLO_HAS_PSK) &&
	      !(e->flow.ch.flags & HELLO_HAS_EARLY_DATA), "flags %x", e->flow.ch.flags);
	CHECK(!(e->flow.sh.flags & SERVER_RESUMED), "TLS 1.3 sid echo is not resumption");
	CHECK(hist_is(e, "CsiddddIDd"), "hist %.*s", e->flow.hist_len, e->flow.hist);
	CHECK(!memcmp(e->key.client_addr, "\xc6\x12\x00\x02", 4) && e->key.client_port == 40000 &&
	      e->key.server_port == 443 && e->key.family == 4, "key");
	CHECK(e->flow.syn_seen && e->flow.t_first <= e->flow.t_client_hello &&
	      e->flow.t_client_hello <= e->flow.t_server_hello && e->flow.t_server_hello <= e->t_end,
	      "times");
	CHECK(flows_count() == 0, "flow left behind");
}

static void test_tls12_success(void)
{
	struct diagnosis d;
	const struct event *e;

	start_with_hello("tls12_success", "b.example");
	tls12_server_flight(false);
	memset(&b, 0, sizeof(b));
	tlsb_client_key_exchange(&b);
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);	/* encrypted Finished */
	send_tls(&c, 0, &b);
	CHECK(collect() == 0, "established too early");
	memset(&b, 0, sizeof(b));
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 1, &b);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(d.success && e->end_cause == END_ESTABLISHED, "not established");
	CHECK(e->flow.sh.version == 0x0303 && e->flow.sh.cipher == 0xc02f, "version %x cipher %x",
	      e->flow.sh.version, e->flow.sh.cipher);
	CHECK(hist_is(e, "CsxknGIFif"), "hist %.*s", e->flow.hist_len, e->flow.hist);
	CHECK(e->flow.sh.flags & SERVER_CERT, "certificate not seen");
	CHECK(!(e->flow.sh.flags & SERVER_RESUMED), "new session id is not resumption");
}

static void test_tls12_resumed(void)
{
	struct diagnosis d;
	const struct event *e;
	struct tlsb_sh sh;

	start_with_hello("tls12_resumed", "b.example");
	tlsb_sh_init(&sh, 0x0303);
	pkt_pattern(sh.sid, sizeof(sh.sid), 2);	/* echo of tlsb_ch_browser's id */
	memset(&b, 0, sizeof(b));
	tlsb_server_hello(&b, &sh);
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 1, &b);
	memset(&b, 0, sizeof(b));
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 0, &b);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(d.success && (e->flow.sh.flags & SERVER_RESUMED), "resumption not seen");
	CHECK(hist_is(e, "CsifIF"), "hist %.*s", e->flow.hist_len, e->flow.hist);
}

/* A server alert in answer to the ClientHello. */
static void alert_case(const char *name, const char *sni, __u8 code, enum reason want)
{
	struct diagnosis d;
	const struct event *e;

	start_with_hello(name, sni);
	send_alert(1, code);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->end_cause == END_ALERT && e->flow.alert.from == SIDE_SERVER &&
	      e->flow.alert.code == code && e->flow.alert.level == 2 &&
	      !(e->flow.alert.flags & ALERT_ENCRYPTED), "alert %u from %u", e->flow.alert.code,
	      e->flow.alert.from);
	CHECK(!d.success && d.reason == want && !d.inferred, "reason %s, want %s",
	      reason_name(d.reason), reason_name(want));
	CHECK(hist_is(e, "Cl"), "hist %.*s", e->flow.hist_len, e->flow.hist);
}

static void test_server_alerts(void)
{
	alert_case("protocol_version", "a.example", 70, REASON_PROTOCOL_VERSION);
	alert_case("no_shared_cipher", "a.example", 40, REASON_NO_SHARED_CIPHER);
	alert_case("missing_sni", NULL, 112, REASON_MISSING_SNI);
	alert_case("unknown_sni", "nope.example", 112, REASON_UNKNOWN_SNI);
	alert_case("alpn_mismatch", "a.example", 120, REASON_ALPN_MISMATCH);
	alert_case("other_alert", "a.example", 50, REASON_OTHER_ALERT);
}

/* TLS 1.2: the client refuses the server's certificate with a plaintext alert. */
static void client_cert_alert(const char *name, __u8 code, enum reason want)
{
	struct diagnosis d;
	const struct event *e;

	start_with_hello(name, "a.example");
	tls12_server_flight(false);
	send_alert(0, code);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->flow.alert.from == SIDE_CLIENT && e->flow.alert.code == code, "alert");
	CHECK(d.reason == want, "reason %s want %s", reason_name(d.reason), reason_name(want));
}

static void test_client_alerts(void)
{
	client_cert_alert("unknown_ca", 48, REASON_UNTRUSTED_CERTIFICATE);
	client_cert_alert("bad_certificate", 42, REASON_UNTRUSTED_CERTIFICATE);
	client_cert_alert("expired", 45, REASON_EXPIRED_CERTIFICATE);
	client_cert_alert("revoked", 44, REASON_REVOKED_CERTIFICATE);
}

/* TLS 1.2 mutual TLS: the server asked for a certificate and refuses it. */
static void test_tls12_mtls(void)
{
	struct diagnosis d;
	const struct event *e;

	start_with_hello("tls12_mtls", "a.example");
	tls12_server_flight(true);
	memset(&b, 0, sizeof(b));
	tlsb_handshake(&b, 11, 3);	/* empty Certificate */
	tlsb_client_key_exchange(&b);
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 0, &b);
	send_alert(1, 40);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->flow.sh.flags & SERVER_CERT_REQUEST, "CertificateRequest not seen");
	CHECK(d.reason == REASON_CLIENT_CERTIFICATE, "reason %s", reason_name(d.reason));
	CHECK(hist_is(e, "CsxkrnXGIFl"), "hist %.*s", e->flow.hist_len, e->flow.hist);
}

/* TLS 1.3: the client's encrypted alert before its Finished, then FIN. */
static void test_tls13_client_rejects(void)
{
	struct diagnosis d;
	const struct event *e;

	static const int alert[] = { 19 };

	start_with_hello("tls13_client_encrypted_alert", "a.example");
	tls13_server_flight(false);
	send_encrypted(0, true, alert, 1);
	CHECK(collect() == 0, "an alert-sized record alone is not yet a failure");
	send_bytes(&c, 0, PKT_FIN, NULL, 0);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->end_cause == END_CLOSE && (e->flow.alert.flags & ALERT_ENCRYPTED) &&
	      e->flow.alert.from == SIDE_CLIENT && e->flow.alert.record_len == 19, "alert");
	CHECK(d.reason == REASON_UNTRUSTED_CERTIFICATE && d.inferred, "reason %s inferred %d",
	      reason_name(d.reason), d.inferred);
}

/* TLS 1.3 mutual TLS: a client flight with a certificate, the server's
 * encrypted alert, then RST (haproxy). */
static void test_tls13_mtls(void)
{
	struct diagnosis d;
	const struct event *e;

	static const int client_flight[] = { 800, 280, 53 }, alert[] = { 19 };

	start_with_hello("tls13_mtls", "a.example");
	tls13_server_flight(true);
	send_encrypted(0, true, client_flight, 3);	/* Certificate, CertificateVerify, Finished */
	send_encrypted(1, false, alert, 1);
	CHECK(collect() == 0, "not established by an alert-sized record");
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->flow.alert.from == SIDE_SERVER && (e->flow.alert.flags & ALERT_ENCRYPTED), "alert");
	CHECK(e->flow.close_from == SIDE_SERVER && e->flow.close_kind == CLOSE_RST, "close");
	CHECK(d.reason == REASON_CLIENT_CERTIFICATE && d.inferred, "reason %s",
	      reason_name(d.reason));
}

static void test_not_tls(void)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct diagnosis d;
	const struct event *e;

	reset("not_tls");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	send_bytes(&c, 0, PKT_PSH, get, sizeof(get) - 1);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->end_cause == END_NOT_TLS && e->flow.not_tls_from == SIDE_CLIENT, "end %u",
	      e->end_cause);
	CHECK(!memcmp(e->flow.peek, "GET / HT", 8), "peek");
	CHECK(d.reason == REASON_NOT_TLS, "reason %s", reason_name(d.reason));

	/* A record, but not a handshake: not a TLS client either. */
	reset("not_tls_appdata_first");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	memset(&b, 0, sizeof(b));
	tlsb_record(&b, 0x17, 40);
	send_tls(&c, 0, &b);
	if (one_event(&d))
		CHECK(d.reason == REASON_NOT_TLS && events[0].flow.peek[0] == 0x17, "reason %s",
		      reason_name(d.reason));
}

/* Plain HTTP to `port`, run as XDP or TC (ingress_ifindex: 0 sent from a
 * local socket): the role of the not_tls event. */
static int role_of(bool tc, __u32 ingress_ifindex, __u32 ifindex, __u16 port)
{
	static const char get[] = "GET / HTTP/1.1\r\n\r\n";
	struct diagnosis d;
	const struct event *e;

	reset("roles");
	use_tc = tc;
	tc_ingress_ifindex = ingress_ifindex;
	tc_ifindex = ifindex;
	conv_init(&c, 4, 0);
	c.f.dir[0].dport = c.f.dir[1].sport = port;
	tcp_handshake(&c);
	send_bytes(&c, 0, PKT_PSH, get, sizeof(get) - 1);
	e = one_event(&d);
	use_tc = false;
	tc_ingress_ifindex = 1;
	tc_ifindex = 0;
	return e ? e->flow.role : -1;
}

/* A device of this namespace other than loopback, for packets to go out on. */
static __u32 other_device(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	__u32 found = 0;

	for (i = ifs; i && i->if_index && !found; i++)
		if (i->if_index != 1)
			found = i->if_index;
	if_freenameindex(ifs);
	return found;
}

/* Frontend: a client's connection to this host; backend: one this host
 * opened (its SYN left from a local socket), or to a --backend-ports port. */
static void test_roles(void)
{
	__u32 dev = other_device();
	int r;

	r = role_of(false, 0, 0, 443);
	CHECK(r == ROLE_FRONTEND, "XDP, port 443: role %d", r);
	if (dev) {
		r = role_of(true, 1, dev, 443);
		CHECK(r == ROLE_FRONTEND, "TC, received, port 443: role %d", r);
		r = role_of(true, 0, dev, 443);
		CHECK(r == ROLE_BACKEND, "TC, from a local socket, port 443: role %d", r);
	} else {
		/* A guest with no network (check-debian-kernel.sh). */
		printf("test_bpf: no device but loopback: the backend role of a packet sent "
		       "on one is not checked here\n");
	}
	r = role_of(true, 0, 1, 443);
	CHECK(r == ROLE_FRONTEND, "TC, from a local socket over loopback: role %d", r);
	r = role_of(false, 0, 0, 9443);
	CHECK(r == ROLE_BACKEND, "XDP, backend port 9443: role %d", r);
}

static void test_no_client_hello(void)
{
	struct diagnosis d;
	const struct event *e;

	reset("no_client_hello");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	send_bytes(&c, 0, PKT_FIN, NULL, 0);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(e->end_cause == END_CLOSE && e->flow.close_from == SIDE_CLIENT &&
	      e->flow.close_kind == CLOSE_FIN, "close");
	CHECK(d.reason == REASON_NO_CLIENT_HELLO, "reason %s", reason_name(d.reason));
}

static void test_aborts(void)
{
	struct diagnosis d;
	const struct event *e;
	int side;

	for (side = 0; side < 2; side++) {
		reset(side ? "server_abort" : "client_abort");
		conv_init(&c, 4, 0);
		tcp_handshake(&c);
		client_hello(&b, "a.example", false);
		send_tls(&c, 0, &b);
		send_bytes(&c, side, PKT_RST, NULL, 0);
		e = one_event(&d);
		if (!e)
			continue;
		CHECK(d.reason == (side ? REASON_SERVER_ABORT : REASON_CLIENT_ABORT), "reason %s",
		      reason_name(d.reason));
	}
}

/* A post-quantum sized hello split so that the SNI is in the last segment. */
static void split_case(const char *name, int pieces, bool pq)
{
	const struct event *e;
	size_t cuts[2];
	long sni;

	reset(name);
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "split.example", pq);
	sni = tlsb_sni_offset(&b, 0);
	CHECK(sni > 20, "sni offset %ld", sni);
	cuts[0] = 10;
	cuts[1] = sni - 5;
	if (pieces == 2)
		cuts[0] = sni - 5;
	send_split(&c, 0, &b, cuts, pieces - 1);
	server_hello(&b, 0x0304);
	send_tls(&c, 1, &b);
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	CHECK(collect() == 1, "events %d", n_events);
	if (n_events < 1)
		return;
	e = &events[0];
	CHECK(sni_is(e, "split.example"), "sni %.*s", e->flow.ch.sni_len, e->flow.ch.sni);
	CHECK(e->flow.ch.flags & HELLO_SPLIT, "not flagged split");
	CHECK(!(e->flow.ch.flags & HELLO_TRUNCATED), "truncated");
	CHECK(e->flow.ch.max_version == 0x0304 && e->flow.ch.alpn_len == 12, "versions/alpn");
	CHECK(e->flow.sh.version == 0x0304, "server hello after a split hello");
	CHECK(hist_is(e, "Cs"), "hist %.*s", e->flow.hist_len, e->flow.hist);
}

/* The second segment of each side's first flight overtakes the first (as
 * a reordering network, or a capture merged out of order, delivers them):
 * only the stream's start, known from the SYN, may say whether it is TLS. */
static void test_reordered_first_segments(void)
{
	const struct event *e;
	struct pkt late;
	size_t cuts[1];

	reset("reordered_first_segments");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "reorder.example", false);
	cuts[0] = tlsb_sni_offset(&b, 0) + 40;
	pkt_flow_split(&c.f, 0, c.frames, PKT_ACK, b.b, b.len, cuts, 1);
	late = c.frames[0];
	run_frame(&c.frames[1]);
	run_frame(&late);
	server_hello(&b, 0x0303);
	tlsb_server_hello_done(&b);
	cuts[0] = 90;
	pkt_flow_split(&c.f, 1, c.frames, PKT_ACK, b.b, b.len, cuts, 1);
	late = c.frames[0];
	run_frame(&c.frames[1]);
	run_frame(&late);
	send_bytes(&c, 0, PKT_RST, NULL, 0);
	CHECK(collect() == 1, "events %d", n_events);
	if (!n_events)
		return;
	e = &events[0];
	CHECK(e->end_cause == END_CLOSE && e->flow.not_tls_from == SIDE_NONE, "end %u not_tls %u",
	      e->end_cause, e->flow.not_tls_from);
	/* The early segments are not kept: the hello is what its first
	 * segment held, the server's flight what its first segment held. */
	CHECK(sni_is(e, "reorder.example") && (e->flow.ch.flags & HELLO_TRUNCATED) &&
	      e->flow.sh.version == 0x0303, "sni %.*s flags %x server version %x",
	      e->flow.ch.sni_len, e->flow.ch.sni, e->flow.ch.flags, e->flow.sh.version);
}

/* The connection ends before the hello's last segment: the held part. */
static void test_split_hello_cut(void)
{
	size_t cuts[1];
	long sni;

	reset("split_hello_cut");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "cut.example", true);
	sni = tlsb_sni_offset(&b, 0);
	cuts[0] = sni + 40;
	pkt_flow_split(&c.f, 0, c.frames, PKT_ACK, b.b, b.len, cuts, 1);
	run_frame(&c.frames[0]);
	send_bytes(&c, 0, PKT_RST, NULL, 0);
	CHECK(collect() == 1, "events %d", n_events);
	if (!n_events)
		return;
	CHECK(sni_is(&events[0], "cut.example") &&
	      (events[0].flow.ch.flags & (HELLO_TRUNCATED | HELLO_SPLIT)) ==
	      (HELLO_TRUNCATED | HELLO_SPLIT), "sni %.*s flags %x", events[0].flow.ch.sni_len,
	      events[0].flow.ch.sni, events[0].flow.ch.flags);
	CHECK(hist_is(&events[0], "C"), "hist %.*s", events[0].flow.hist_len,
	      events[0].flow.hist);
}

static void test_split_hellos(void)
{
	split_case("split_2", 2, false);
	split_case("split_3", 3, false);
	split_case("split_3_pq", 3, true);
}

/* SNI behind two VLAN tags, IP options, IPv6 extension headers, TCP options. */
static void layout_case(const char *name, int family, int vlans, __u8 ip_opt, __u8 tcp_opt,
			int n_ext6)
{
	const struct event *e;

	reset(name);
	conv_init(&c, family, vlans);
	c.f.dir[0].ip_optlen = c.f.dir[1].ip_optlen = ip_opt;
	c.f.dir[0].tcp_optlen = c.f.dir[1].tcp_optlen = tcp_opt;
	c.f.dir[0].n_ext6 = c.f.dir[1].n_ext6 = n_ext6;
	c.f.dir[0].ext6[0] = c.f.dir[1].ext6[0] = (struct pkt_ext6){ 0, 16 };	/* hop-by-hop */
	c.f.dir[0].ext6[1] = c.f.dir[1].ext6[1] = (struct pkt_ext6){ 60, 8 };	/* dest opts */
	tcp_handshake(&c);
	client_hello(&b, "layout.example", false);
	send_tls(&c, 0, &b);
	memset(&b, 0, sizeof(b));
	tlsb_alert(&b, 2, 112);
	send_tls(&c, 1, &b);
	CHECK(collect() == 1, "events %d", n_events);
	if (n_events < 1)
		return;
	e = &events[0];
	CHECK(sni_is(e, "layout.example") && e->key.family == family, "sni/family");
	if (family == 6)
		CHECK(!memcmp(e->key.client_addr, "\x20\x01\x0d\xb8", 4) &&
		      e->key.client_addr[15] == 2, "ipv6 client address");
}

static void test_layouts(void)
{
	layout_case("vlan1_ipopts", 4, 1, 12, 20, 0);
	layout_case("vlan2_tcpopts", 4, 2, 40, 40, 0);
	layout_case("ipv6", 6, 0, 0, 12, 0);
	layout_case("ipv6_ext_vlan", 6, 2, 0, 20, 2);
}

static void test_fragment_skipped(void)
{
	struct pkt_l3l4 o = {
		.family = 4, .saddr = "198.18.0.2", .daddr = "198.18.0.1", .sport = 40001,
		.dport = 443, .flags = PKT_SYN, .seq = 1, .frag_mf = true,
	};
	__u64 before = stat_sum(STAT_FRAGMENTS);

	reset("fragment");
	pkt_tcp(&c.frames[0], &o, NULL, 0);
	run_frame(&c.frames[0]);
	CHECK(flows_count() == 0, "a fragment opened a flow");
	CHECK(stat_sum(STAT_FRAGMENTS) == before + 1, "fragment not counted");
}

static void test_unwatched_port(void)
{
	reset("unwatched");
	conv_init(&c, 4, 0);
	c.f.dir[0].dport = c.f.dir[1].sport = 8080;
	tcp_handshake(&c);
	client_hello(&b, "a.example", false);
	send_tls(&c, 0, &b);
	CHECK(flows_count() == 0 && collect() == 0, "unwatched port tracked");
}

/* A client whose first handshake message is not a ClientHello. */
static void test_not_a_hello(void)
{
	struct diagnosis d;

	reset("handshake_not_hello");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	memset(&b, 0, sizeof(b));
	tlsb_client_key_exchange(&b);
	send_tls(&c, 0, &b);
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	if (!one_event(&d))
		return;
	CHECK(!(events[0].flow.ch.flags & HELLO_SEEN) && hist_is(&events[0], "Z"), "hist %.*s",
	      events[0].flow.hist_len, events[0].flow.hist);
	CHECK(d.reason == REASON_SERVER_ABORT, "reason %s", reason_name(d.reason));
}

/* Without a SYN, only a well-formed ClientHello opens a flow. */
static void test_midstream(void)
{
	static const __u8 fake[] = { 0x16, 0x03, 0x03, 0x00, 0x40, 0x01, 0x00, 0x10, 0x00 };
	const struct event *e;

	reset("midstream_hello");
	conv_init(&c, 4, 0);
	client_hello(&b, "mid.example", false);
	send_tls(&c, 0, &b);
	CHECK(flows_count() == 1, "hello without SYN not tracked");
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	CHECK(collect() == 1, "events %d", n_events);
	e = &events[0];
	CHECK(n_events && sni_is(e, "mid.example") && !e->flow.syn_seen, "sni");

	reset("midstream_encrypted");
	conv_init(&c, 4, 0);
	send_bytes(&c, 0, PKT_PSH, fake, sizeof(fake));
	CHECK(flows_count() == 0, "an inconsistent handshake record opened a flow");
}

/* A new SYN on the ports of an unfinished handshake ends that one. */
static void test_port_reuse(void)
{
	const struct event *e;

	start_with_hello("port_reuse", "old.example");
	c.f.dir[0].seq += 100000;
	tcp_handshake(&c);
	CHECK(collect() == 1 && events[0].end_cause == END_TIMEOUT, "old handshake not ended");
	client_hello(&b, "new.example", false);
	send_tls(&c, 0, &b);
	send_alert(1, 112);
	CHECK(collect() == 2, "events %d", n_events);
	if (n_events < 2)
		return;
	e = &events[1];
	CHECK(sni_is(e, "new.example") && e->end_cause == END_ALERT, "new handshake");
}

/* TCP Fast Open: the ClientHello rides on the SYN. */
static void test_fast_open(void)
{
	struct diagnosis d;
	const struct event *e;

	reset("fast_open");
	conv_init(&c, 4, 0);
	client_hello(&b, "tfo.example", false);
	pkt_flow_send(&c.f, 0, &c.frames[0], PKT_SYN, b.b, b.len);
	run_frame(&c.frames[0]);
	pkt_flow_send(&c.f, 1, &c.frames[0], PKT_SYN | PKT_ACK, NULL, 0);
	run_frame(&c.frames[0]);
	memset(&b, 0, sizeof(b));
	tlsb_alert(&b, 2, 112);
	send_tls(&c, 1, &b);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(sni_is(e, "tfo.example") && e->flow.syn_seen, "sni %.*s", e->flow.ch.sni_len,
	      e->flow.ch.sni);
	CHECK(d.reason == REASON_UNKNOWN_SNI, "reason %s", reason_name(d.reason));
}

static void test_sslv2(void)
{
	static const __u16 ciphers[] = { 0x0035, 0x002f };
	struct diagnosis d;

	reset("sslv2_hello");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	memset(&b, 0, sizeof(b));
	tlsb_sslv2_hello(&b, 0x0301, ciphers, 2);
	send_tls(&c, 0, &b);
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	if (!one_event(&d))
		return;
	CHECK(events[0].flow.ch.flags & HELLO_SSLV2, "not flagged sslv2");
	CHECK(d.reason == REASON_PROTOCOL_VERSION, "reason %s", reason_name(d.reason));
}

/* HelloRetryRequest, with the middlebox-compatibility CCS from both sides:
 * the second ClientHello is no Finished, and the real ServerHello counts. */
static void test_hrr(void)
{
	static const int finished[] = { 53 }, ticket[] = { 250 };
	struct diagnosis d;
	struct tlsb_sh sh;
	const struct event *e;

	start_with_hello("hello_retry_request", "a.example");
	tlsb_sh_init(&sh, 0x0304);
	sh.hrr = true;
	memset(&b, 0, sizeof(b));
	tlsb_server_hello(&b, &sh);
	tlsb_ccs(&b);
	send_tls(&c, 1, &b);
	client_hello(&b, "a.example", false);
	memmove(b.b + 6, b.b, b.len);	/* CCS first, then the second hello */
	memcpy(b.b, "\x14\x03\x03\x00\x01\x01", 6);
	b.len += 6;
	send_tls(&c, 0, &b);
	CHECK(collect() == 0, "a second ClientHello is not a Finished");
	server_hello(&b, 0x0304);
	tlsb_record(&b, 0x17, 30);
	tlsb_record(&b, 0x17, 900);
	tlsb_record(&b, 0x17, 280);
	tlsb_record(&b, 0x17, 53);
	send_tls(&c, 1, &b);
	send_encrypted(0, false, finished, 1);
	send_encrypted(1, false, ticket, 1);
	e = one_event(&d);
	if (!e)
		return;
	CHECK(d.success, "not established");
	CHECK(hist_is(e, "CjiICsddddDd"), "hist %.*s", e->flow.hist_len, e->flow.hist);
	CHECK((e->flow.sh.flags & SERVER_HELLO_SEEN) && (e->flow.sh.flags & SERVER_HRR) &&
	      e->flow.sh.version == 0x0304 && e->flow.sh.cipher == 0x1301, "sh %x", e->flow.sh.flags);
}

/* TLS 1.3 client that closes right after its Finished (a health check). */
static void test_tls13_quick_close(void)
{
	static const int close_notify[] = { 19 }, ticket[] = { 250 };
	struct diagnosis d;

	/* The server answers the close_notify with its own. */
	tls13_until_client_finished("tls13_quick_close", "q.example");
	send_encrypted(0, false, close_notify, 1);
	send_bytes(&c, 0, PKT_FIN, NULL, 0);
	CHECK(collect() == 0, "a client FIN after its Finished only half-closes");
	send_encrypted(1, false, close_notify, 1);
	if (one_event(&d))
		CHECK(d.success, "quick close reported as %s", reason_name(d.reason));

	/* The server sends its ticket first. */
	tls13_until_client_finished("tls13_quick_close_ticket", "q.example");
	send_encrypted(0, false, close_notify, 1);
	send_encrypted(1, false, ticket, 1);
	if (one_event(&d))
		CHECK(d.success, "quick close with ticket reported as %s", reason_name(d.reason));
}

/* A stream that meets a bad record header picks up at the next record. */
static void test_resync(void)
{
	static const __u8 junk[] = { 0x99, 0x98, 0x97, 0x96, 0x95, 0x94 };
	struct diagnosis d;

	start_with_hello("resync", "r.example");
	tls12_server_flight(false);
	send_bytes(&c, 1, PKT_PSH, junk, sizeof(junk));
	send_alert(1, 80);
	if (one_event(&d))
		CHECK(d.reason == REASON_OTHER_ALERT && events[0].flow.alert.code == 80,
		      "alert after a bad header: %s", reason_name(d.reason));
}

/* Every truncation of a ClientHello frame, and garbage: always pass. */
static void test_truncated_and_garbage(void)
{
	struct pkt *f = &c.frames[1];
	size_t len;

	reset("truncated");
	conv_init(&c, 4, 0);
	client_hello(&b, "cut.example", true);
	pkt_flow_send(&c.f, 0, f, PKT_ACK | PKT_PSH, b.b, b.len > 1400 ? 1400 : b.len);
	/* BPF_PROG_TEST_RUN takes nothing shorter than an Ethernet header. */
	for (len = 14; len <= f->len; len += (len < 120 ? 1 : 37)) {
		struct pkt cut = *f;

		cut.len = len;
		run_frame(&cut);
		reset("truncated");
	}
	reset("garbage");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	memset(&b, 0, sizeof(b));
	tlsb_garbage(&b, 300);
	send_tls(&c, 0, &b);
	CHECK(collect() == 1 && events[0].end_cause == END_NOT_TLS, "garbage not reported");
}

/* The kernel hands the ClientHello over byte for byte, keyed by its flow,
 * before the event; only the hello record, nothing around it. */
static void handoff_case(const char *name, const char *sni, bool pq, bool split)
{
	const struct hello_rec *rec = (const struct hello_rec *)last_hello;
	size_t cuts[1];

	reset(name);
	last_hello_size = 0;
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, sni, pq);
	if (split) {
		cuts[0] = b.len / 2;
		pkt_flow_split(&c.f, 0, c.frames, PKT_ACK, b.b, b.len, cuts, 1);
		run_frame(&c.frames[0]);
		run_frame(&c.frames[1]);
	} else {
		send_tls(&c, 0, &b);
	}
	CHECK(collect() == 0, "an event before the outcome");
	CHECK(last_hello_size == sizeof(*rec) + b.len && rec->len == b.len &&
	      !memcmp(rec + 1, b.b, b.len), "hello record %zu bytes, want %zu",
	      last_hello_size, sizeof(*rec) + b.len);
	CHECK(rec->flags == (split ? HELLO_SPLIT : 0), "hello record flags %x", rec->flags);
	send_bytes(&c, 0, PKT_RST, NULL, 0);
	CHECK(collect() == 1 && (!sni || sni_is(&events[0], sni)), "event with its hello");
	CHECK(n_events && !memcmp(&rec->key, &events[0].key, sizeof(rec->key)),
	      "hello record key is not its event's");
}

static void test_hello_handoff(void)
{
	handoff_case("handoff_browser", "same.example", false, false);
	handoff_case("handoff_pq", "pq.same.example", true, false);
	handoff_case("handoff_pq_split", "pq.split.example", true, true);
	handoff_case("handoff_no_sni", NULL, false, false);
}

/* Reading a capture: a packet's time is clock_override_ns when it is set,
 * the kernel's clock again when it is 0. */
static void test_clock_override(void)
{
	static const __u64 t0 = 1700000000ULL * 1000000000ULL;
	struct diagnosis d;
	const struct event *e;

	reset("clock_override");
	conv_init(&c, 4, 0);
	skel->bss->clock_override_ns = t0;
	tcp_handshake(&c);
	skel->bss->clock_override_ns = t0 + 1000;
	client_hello(&b, "a.example", false);
	send_tls(&c, 0, &b);
	skel->bss->clock_override_ns = t0 + 5000;
	send_alert(1, 40);
	e = one_event(&d);
	if (e)
		CHECK(e->flow.t_first == t0 && e->flow.t_client_hello == t0 + 1000 &&
		      e->flow.t_last == t0 + 5000 && e->t_end == t0 + 5000,
		      "times %llu %llu %llu", (unsigned long long)e->flow.t_first,
		      (unsigned long long)e->flow.t_client_hello, (unsigned long long)e->t_end);

	skel->bss->clock_override_ns = 0;
	start_with_hello("clock_override_off", "a.example");
	send_alert(1, 40);
	e = one_event(&d);
	if (e)
		CHECK(e->flow.t_first && e->flow.t_first < t0 && e->t_end >= e->flow.t_first,
		      "live times %llu %llu", (unsigned long long)e->flow.t_first,
		      (unsigned long long)e->t_end);
}

/* ------------------------------------------------- flood bounds: budget, LRU */

/* The skeleton of the bounds tests: 1024 flows, a budget of 10/s burst 5. */
#define SMALL_FLOWS	1024
#define SMALL_RATE	10
#define SMALL_BURST	5

/* A client SYN to port 443 from addr:sport (IPv6 when addr has a colon). */
static void syn_from(const char *addr, __u16 sport)
{
	bool v6 = strchr(addr, ':') != NULL;
	struct pkt_l3l4 o = {
		.family = v6 ? 6 : 4, .saddr = addr, .daddr = v6 ? "2001:db8::1" : "198.18.0.1",
		.sport = sport, .dport = 443, .flags = PKT_SYN, .seq = 1000,
	};

	pkt_tcp(&c.frames[0], &o, NULL, 0);
	run_frame(&c.frames[0]);
}

/* The budget bites at the burst, refills at the rate, per client (per /64
 * in IPv6); packets that open nothing never consult it, and handshakes it
 * let in go on. */
static void test_client_budget(void)
{
	static const __u64 t0 = 1800000000ULL * 1000000000ULL, interval = 1000000000 / SMALL_RATE;
	__u64 over = stat_sum(STAT_CLIENT_OVER_BUDGET);
	struct pkt_l3l4 o = { .family = 4, .saddr = "198.18.0.2", .daddr = "198.18.0.1",
			      .sport = 45000, .dport = 443, .flags = PKT_ACK | PKT_PSH };
	struct diagnosis d;
	const struct event *e;
	int i;

	reset("client_budget");
	skel->bss->clock_override_ns = t0;
	conv_init(&c, 4, 0);
	tcp_handshake(&c);		/* 198.18.0.2:40000 takes a token */
	for (i = 1; i < SMALL_BURST + 2; i++)
		syn_from("198.18.0.2", 41000 + i);
	CHECK(flows_count() == SMALL_BURST && stat_sum(STAT_CLIENT_OVER_BUDGET) - over == 2,
	      "burst: %d flows, %llu over budget", flows_count(),
	      (unsigned long long)(stat_sum(STAT_CLIENT_OVER_BUDGET) - over));
	syn_from("198.18.0.3", 41000);
	CHECK(flows_count() == SMALL_BURST + 1, "another client: %d flows", flows_count());

	/* Over budget: packets that open nothing never consult it. */
	over = stat_sum(STAT_CLIENT_OVER_BUDGET);
	memset(&b, 0, sizeof(b));
	tlsb_app_data(&b, 100);
	pkt_tcp(&c.frames[0], &o, b.b, b.len);
	run_frame(&c.frames[0]);
	o = (struct pkt_l3l4){ .family = 4, .saddr = "198.18.0.1", .daddr = "198.18.0.2",
			       .sport = 443, .dport = 45000, .flags = PKT_ACK | PKT_PSH };
	pkt_tcp(&c.frames[0], &o, b.b, b.len);
	run_frame(&c.frames[0]);
	CHECK(stat_sum(STAT_CLIENT_OVER_BUDGET) == over && flows_count() == SMALL_BURST + 1,
	      "untracked traffic consulted the budget");

	/* One interval later, one more; a whole bucket later, a burst again. */
	skel->bss->clock_override_ns = t0 + interval;
	syn_from("198.18.0.2", 42000);
	syn_from("198.18.0.2", 42001);
	CHECK(flows_count() == SMALL_BURST + 2 && stat_sum(STAT_CLIENT_OVER_BUDGET) - over == 1,
	      "refill: %d flows", flows_count());
	skel->bss->clock_override_ns = t0 + 10 * 1000000000ULL;
	for (i = 0; i < SMALL_BURST + 1; i++)
		syn_from("198.18.0.2", 43000 + i);
	CHECK(flows_count() == 2 * SMALL_BURST + 2 && stat_sum(STAT_CLIENT_OVER_BUDGET) - over == 2,
	      "full again: %d flows", flows_count());

	/* Over budget again, the handshake it let in first goes on. */
	client_hello(&b, "budget.example", false);
	send_tls(&c, 0, &b);
	send_alert(1, 40);
	e = one_event(&d);
	CHECK(e && sni_is(e, "budget.example") && e->end_cause == END_ALERT,
	      "the event of a handshake let in");

	/* IPv6: one budget per /64. */
	reset("client_budget_v6");
	for (i = 0; i < SMALL_BURST; i++)
		syn_from(i % 2 ? "2001:db8:0:1::1" : "2001:db8:0:1::2", 41000 + i);
	syn_from("2001:db8:0:1::3", 41100);
	syn_from("2001:db8:0:2::1", 41100);
	CHECK(flows_count() == SMALL_BURST + 1, "/64: %d flows", flows_count());
	skel->bss->clock_override_ns = 0;
}

/*
 * A flood of new clients, many more than the flow table holds: the LRU
 * evicts, and the collector's expiry counts every flow evicted (created,
 * neither ended nor expired, and gone) and takes their counts off the
 * pre-filter. A client over its budget stays so, however many new clients
 * pass through its set of budgets.
 */
static void test_evictions(void)
{
	static const __u64 t0 = 1800000000ULL * 1000000000ULL;
	struct collector col = { .timeout_ns = 3600 * 1000000000ULL, .capture_ns = t0 };
	__u64 stats[STAT_MAX], in_progress, over = stat_sum(STAT_CLIENT_OVER_BUDGET);
	int i, clients = 10 * TLSNOOP_CLIENTS / 4, n = clients + SMALL_BURST, present;
	char addr[32];

	reset("evictions");
	skel->bss->clock_override_ns = t0;
	CHECK(!collector_init(&col, skel), "collector_init");
	for (i = 0; i <= SMALL_BURST; i++)
		syn_from("198.18.0.2", 44000 + i);
	for (i = 0; i < clients; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		syn_from(addr, 40000);
	}
	syn_from("198.18.0.2", 45000);
	CHECK(stat_sum(STAT_CLIENT_OVER_BUDGET) - over == 2, "a client over budget forgotten: %llu",
	      (unsigned long long)(stat_sum(STAT_CLIENT_OVER_BUDGET) - over));
	present = flows_count();
	CHECK(present > 0 && present <= SMALL_FLOWS, "%d flows present", present);
	/* An excess counts at the second walk that finds it. */
	collector_expire(&col);
	collector_stats(&col, stats);
	CHECK(stats[STAT_FLOWS_EVICTED] == 0, "first walk: %llu",
	      (unsigned long long)stats[STAT_FLOWS_EVICTED]);
	in_progress = collector_expire(&col);
	collector_stats(&col, stats);
	CHECK(stats[STAT_FLOWS_EVICTED] == (__u64)(n - present) && in_progress == (__u64)present,
	      "%llu evicted of %d created, %d present, %llu in progress",
	      (unsigned long long)stats[STAT_FLOWS_EVICTED], n, present,
	      (unsigned long long)in_progress);
	CHECK(slots_total() == (__u64)present, "pre-filter counts %llu for %d flows",
	      (unsigned long long)slots_total(), present);
	collector_expire(&col);
	collector_stats(&col, stats);
	CHECK(stats[STAT_FLOWS_EVICTED] == (__u64)(n - present), "counted twice: %llu",
	      (unsigned long long)stats[STAT_FLOWS_EVICTED]);
	collector_free(&col);
	skel->bss->clock_override_ns = 0;
	reset("evictions_done");
}

/*
 * Expiry reads its clock once, then walks the flows: a packet handled during
 * the walk leaves a flow last seen after that clock. Such a flow is not idle
 * (the difference must not wrap around); one idle for the timeout is.
 */
static void test_expiry_clock(void)
{
	static const __u64 t0 = 1700000000ULL * 1000000000ULL;
	struct collector col = { .timeout_ns = 10 * 1000000000ULL, .capture_ns = t0 - 1000 };

	reset("expiry_clock");
	skel->bss->clock_override_ns = t0;
	CHECK(!collector_init(&col, skel), "collector_init");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	CHECK(collector_expire(&col) == 1 && col.agg->total == 0,
	      "a flow seen after the expiry clock was expired (%llu events)",
	      (unsigned long long)col.agg->total);
	col.capture_ns = t0 + 9 * 1000000000ULL;
	CHECK(collector_expire(&col) == 1 && col.agg->total == 0, "expired before the timeout");
	col.capture_ns = t0 + 11 * 1000000000ULL;
	CHECK(collector_expire(&col) == 0 && col.agg->total == 1 && col.agg->success == 0,
	      "idle flow not expired: %llu", (unsigned long long)col.agg->total);
	collector_free(&col);
	skel->bss->clock_override_ns = 0;
	reset("expiry_clock_done");
}

/* The bounds tests, in a skeleton of their own. */
static void test_bounds(void)
{
	struct tlsnoop_bpf *plain = skel;
	struct ring_buffer *plain_rb = rb;
	struct tlsnoop_bpf *small = tlsnoop_bpf__open();

	if (!small)
		return;
	small->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	bpf_map__set_max_entries(small->maps.flows, SMALL_FLOWS);
	client_budget_set(small, SMALL_RATE, SMALL_BURST);
	current = "bounds_load";
	CHECK(!tlsnoop_bpf__load(small), "load with %d flows", SMALL_FLOWS);
	skel = small;
	rb = ring_buffer__new(bpf_map__fd(small->maps.events), on_event, NULL, NULL);
	if (rb) {
		test_client_budget();
		test_evictions();
		ring_buffer__free(rb);
	}
	tlsnoop_bpf__destroy(small);
	skel = plain;
	rb = plain_rb;
}

/* -------------------------------------------------------- flights (certificates) */

/* Flight record i: from `side`, `len` bytes at `offset` in its stream, equal to
 * `want` there, before any event. */
static bool flight_is(int i, int side, __u32 offset, const void *want, __u32 len)
{
	return i < n_flights && flights[i].rec.side == side && flights[i].rec.offset == offset &&
	       flights[i].rec.len == len && !memcmp(flights[i].data, want, len) &&
	       flights[i].events_before == 0;
}

/* The client's second flight (with its Certificate if `cert`), CCS,
 * Finished; then the server's CCS and Finished. */
static void tls12_finish(bool cert)
{
	memset(&b, 0, sizeof(b));
	if (cert)
		tlsb_certificate(&b, 700, 1);
	tlsb_client_key_exchange(&b);
	if (cert)
		tlsb_handshake(&b, 15, 72);	/* CertificateVerify */
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 0, &b);
	memset(&b, 0, sizeof(b));
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 1, &b);
}

/* TLS 1.2: the server's flight from its ServerHello, at offset 0 of its
 * stream; nothing of the client's without a CertificateRequest; nothing
 * after the ChangeCipherSpecs. */
static void test_flights_tls12(void)
{
	struct tlsbuf flight;

	start_with_hello(use_tc ? "flights_tls12_tc" : "flights_tls12", "cert.example");
	CHECK(collect() == 0 && n_flights == 0, "%d flights before the ServerHello", n_flights);
	tls12_server_flight(false);
	flight = b;
	collect();
	CHECK(n_flights == 1 && flight_is(0, SIDE_SERVER, 0, flight.b, flight.len),
	      "server flight: %d records, offset %u len %u", n_flights,
	      n_flights ? flights[0].rec.offset : 0, n_flights ? flights[0].rec.len : 0);
	tls12_finish(false);
	CHECK(collect() == 1 && n_flights == 1, "%d events, %d flights", n_events, n_flights);
	CHECK(n_flights && !memcmp(&flights[0].rec.key, &events[0].key, sizeof(events[0].key)),
	      "flight key is not the event's");
}

/* A flight cut in segments, each at its offset; the first holds only the
 * ServerHello's start, which says the version already. */
static void test_flights_split(void)
{
	size_t cuts[] = { 20, 700, 1500 };
	int i;

	reset("flights_split");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "split.example", false);
	send_tls(&c, 0, &b);
	server_hello(&b, 0x0303);
	tlsb_certificate(&b, 1800, 2);
	tlsb_server_hello_done(&b);
	send_split(&c, 1, &b, cuts, 3);
	collect();
	CHECK(n_flights == 4, "%d flight records", n_flights);
	for (i = 0; i < n_flights && i < 4; i++)
		CHECK(flight_is(i, SIDE_SERVER, i ? cuts[i - 1] : 0, b.b + (i ? cuts[i - 1] : 0),
				(i < 3 ? cuts[i] : b.len) - (i ? cuts[i - 1] : 0)),
		      "record %d: offset %u len %u", i, flights[i].rec.offset, flights[i].rec.len);
}

/* Mutual TLS 1.2: the client's flight after the CertificateRequest, at its
 * offset after the ClientHello, up to and with its ChangeCipherSpec. */
static void test_flights_mtls(void)
{
	size_t hello_len;

	reset("flights_mtls");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "mtls.example", false);
	hello_len = b.len;
	send_tls(&c, 0, &b);
	tls12_server_flight(true);
	tls12_finish(true);
	collect();
	CHECK(n_events == 1 && n_flights == 2, "%d events, %d flights", n_events, n_flights);
	CHECK(n_flights == 2 && flights[0].rec.side == SIDE_SERVER && flights[0].rec.offset == 0,
	      "server flight first");
	CHECK(n_flights == 2 && flights[1].rec.side == SIDE_CLIENT &&
	      flights[1].rec.offset == hello_len && flights[1].data[5] == 11,
	      "client flight: offset %u (hello %zu), first message %u",
	      n_flights == 2 ? flights[1].rec.offset : 0, hello_len,
	      n_flights == 2 ? flights[1].data[5] : 0);
}

/* None in TLS 1.3 (encrypted certificates), none in a resumed 1.2 one. */
static void test_flights_none(void)
{
	static const int finished[] = { 53 };
	struct tlsb_sh sh;

	tls13_until_client_finished("flights_tls13", "c.example");
	send_encrypted(1, false, finished, 1);
	CHECK(collect() == 1 && n_flights == 0, "TLS 1.3: %d events, %d flights", n_events,
	      n_flights);
	start_with_hello("flights_resumed", "r.example");
	tlsb_sh_init(&sh, 0x0303);
	pkt_pattern(sh.sid, sizeof(sh.sid), 2);
	memset(&b, 0, sizeof(b));
	tlsb_server_hello(&b, &sh);
	tlsb_ccs(&b);
	tlsb_record(&b, 0x16, 40);
	send_tls(&c, 1, &b);
	CHECK(collect() == 0 && n_flights == 0, "resumed: %d flights", n_flights);
}

/* At most TLSNOOP_FLIGHT_MAX bytes of a side's stream; what lies past it
 * is counted. */
static void test_flights_bounded(void)
{
	__u64 capped = stat_sum(STAT_FLIGHT_CAPPED), bytes = 0;
	size_t cuts[7];	/* 8 segments: as many frames as a conv holds */
	int i;

	reset("flights_bounded");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "big.example", false);
	send_tls(&c, 0, &b);
	server_hello(&b, 0x0303);
	for (i = 0; i < 3; i++)
		tlsb_certificate(&b, 4000, 2);
	tlsb_server_hello_done(&b);
	for (i = 0; i < 7; i++)
		cuts[i] = (i + 1) * 3400;
	send_split(&c, 1, &b, cuts, 7);
	collect();
	for (i = 0; i < n_flights; i++) {
		CHECK(flights[i].rec.offset + flights[i].rec.len <= TLSNOOP_FLIGHT_MAX &&
		      !memcmp(flights[i].data, b.b + flights[i].rec.offset, flights[i].rec.len),
		      "record %d: offset %u len %u", i, flights[i].rec.offset, flights[i].rec.len);
		bytes += flights[i].rec.len;
	}
	CHECK(bytes == TLSNOOP_FLIGHT_MAX, "%llu bytes copied", (unsigned long long)bytes);
	/* The segment across the bound, and the three past it. */
	CHECK(b.len > 7 * 3400 && stat_sum(STAT_FLIGHT_CAPPED) - capped == 4, "%llu capped",
	      (unsigned long long)(stat_sum(STAT_FLIGHT_CAPPED) - capped));
}

static void test_flights(void)
{
	test_flights_tls12();
	test_flights_split();
	test_flights_mtls();
	test_flights_none();
	test_flights_bounded();
}

/* ------------------------------------------------------------ -w: packets */

/* Packet record i is frame p, from side `side`, whole. */
static bool packet_is(int i, const struct pkt *p, int side)
{
	return i < n_packets && packets[i].rec.side == side && packets[i].rec.len == p->len &&
	       packets[i].rec.wire_len == p->len && !memcmp(packets[i].data, p->buf, p->len);
}

/* Every packet of a handshake, from the SYN to the alert, before its event;
 * nothing after it. */
static void test_packets_of_handshake(void)
{
	int i;

	reset(use_tc ? "packets_handshake_tc" : "packets_handshake");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	collect();
	CHECK(n_packets == 3 && packet_is(0, &c.frames[0], SIDE_CLIENT) &&
	      packet_is(1, &c.frames[1], SIDE_SERVER) && packet_is(2, &c.frames[2], SIDE_CLIENT),
	      "TCP handshake: %d packets", n_packets);
	client_hello(&b, "w.example", true);
	send_tls(&c, 0, &b);
	collect();
	CHECK(n_packets == 4 && packet_is(3, &c.frames[0], SIDE_CLIENT), "hello: %d packets",
	      n_packets);
	send_alert(1, 40);
	collect();
	CHECK(n_packets == 5 && packet_is(4, &c.frames[0], SIDE_SERVER), "alert: %d packets",
	      n_packets);
	CHECK(n_events == 1 && packets[4].events_before == 0, "%d events, alert record after "
	      "%d", n_events, n_packets == 5 ? packets[4].events_before : -1);
	for (i = 0; n_events == 1 && i < n_packets; i++)
		CHECK(!memcmp(&packets[i].rec.key, &events[0].key, sizeof(events[0].key)) &&
		      packets[i].rec.t >= events[0].flow.t_first &&
		      packets[i].rec.t <= events[0].t_end, "packet %d: key or time", i);
	send_bytes(&c, 0, PKT_FIN, NULL, 0);
	send_bytes(&c, 1, PKT_RST, NULL, 0);
	collect();
	CHECK(n_packets == 5, "packets after the event copied: %d", n_packets);
}

/* A connection's records stop at TLSNOOP_PACKET_CAP; each packet is cut at
 * TLSNOOP_PACKET_SNAP. A small packet that still fits goes on. */
static void test_packets_cap(void)
{
	__u64 capped = stat_sum(STAT_PACKET_CAPPED), bytes = 0;
	size_t cuts[6];
	int i, round, big = 0;

	reset("packets_cap");
	conv_init(&c, 4, 0);
	tcp_handshake(&c);
	client_hello(&b, "cap.example", false);
	send_tls(&c, 0, &b);
	server_hello(&b, 0x0303);
	send_tls(&c, 1, &b);
	for (round = 0; round < 2; round++) {
		memset(&b, 0, sizeof(b));
		for (i = 0; i < 3; i++)
			tlsb_record(&b, 0x17, 15000);
		for (i = 0; i < 6; i++)
			cuts[i] = (i + 1) * (b.len / 7);
		send_split(&c, 1, &b, cuts, 6);
	}
	send_alert(0, 48);
	collect();
	for (i = 0; i < n_packets; i++) {
		bytes += sizeof(packets[i].rec) + packets[i].rec.len;
		if (packets[i].rec.wire_len > TLSNOOP_PACKET_SNAP)
			big += packets[i].rec.len == TLSNOOP_PACKET_SNAP;
	}
	CHECK(bytes <= TLSNOOP_PACKET_CAP, "%llu bytes of records", (unsigned long long)bytes);
	CHECK(big >= 4 && stat_sum(STAT_PACKET_CAPPED) - capped >= 4,
	      "%d big packets cut at the snap length, %llu capped", big,
	      (unsigned long long)(stat_sum(STAT_PACKET_CAPPED) - capped));
	CHECK(n_events == 1 && n_packets && packet_is(n_packets - 1, &c.frames[0], SIDE_CLIENT) &&
	      packets[n_packets - 1].events_before == 0, "the alert after the cap: %d packets, "
	      "%d events", n_packets, n_events);
}

/* Without the flag nothing was copied; with it, the same verdicts and the
 * same events (the -w program runs the state machine unchanged). */
static void test_packets(void)
{
	struct tlsnoop_bpf *plain = skel;
	struct ring_buffer *plain_rb = rb;
	struct tlsnoop_bpf *w;

	current = "packets_flag_off";
	CHECK(packets_total == 0, "%d packets copied without copy_packets", packets_total);
	w = tlsnoop_bpf__open();
	if (!w)
		return;
	w->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	w->rodata->copy_packets = true;
	CHECK(!tlsnoop_bpf__load(w), "load with copy_packets");
	skel = w;
	rb = ring_buffer__new(bpf_map__fd(w->maps.events), on_event, NULL, NULL);
	if (rb) {
		test_packets_of_handshake();
		test_packets_cap();
		test_tls13_success();
		test_split_hellos();
		use_tc = true;
		test_packets_of_handshake();
		use_tc = false;
		reset("packets_done");
		ring_buffer__free(rb);
	}
	tlsnoop_bpf__destroy(w);
	skel = plain;
	rb = plain_rb;
}

int main(void)
{
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "test_bpf: must run as root (loads BPF programs)\n");
		return 1;
	}
	skel = tlsnoop_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	skel->rodata->watched_ports[8443 >> 3] |= 1 << (8443 & 7);
	skel->rodata->watched_ports[9443 >> 3] |= 1 << (9443 & 7);
	skel->rodata->backend_ports[9443 >> 3] |= 1 << (9443 & 7);
	/* As tlsnoop loads it: the tests' one client stays within the budget. */
	client_budget_set(skel, TLSNOOP_DEFAULT_CLIENT_RATE, TLSNOOP_DEFAULT_CLIENT_BURST);
	err = tlsnoop_bpf__load(skel);
	if (err) {
		fprintf(stderr, "test_bpf: load failed: %s\n", strerror(-err));
		return 1;
	}
	hellos = hello_table_new(MAX_EVENTS);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb || !hellos)
		return 1;

	test_tls13_success();
	test_tls12_success();
	test_tls12_resumed();
	test_server_alerts();
	test_client_alerts();
	test_tls12_mtls();
	test_tls13_client_rejects();
	test_tls13_mtls();
	test_not_tls();
	test_roles();
	test_no_client_hello();
	test_aborts();
	test_split_hellos();
	test_split_hello_cut();
	test_reordered_first_segments();
	test_expiry_clock();
	test_layouts();
	test_fragment_skipped();
	test_unwatched_port();
	test_midstream();
	test_fast_open();
	test_not_a_hello();
	test_port_reuse();
	test_sslv2();
	test_hrr();
	test_tls13_quick_close();
	test_resync();
	test_truncated_and_garbage();
	test_hello_handoff();
	test_clock_override();
	test_flights();
	test_packets();
	test_bounds();
	use_tc = true;
	test_tls13_success();
	test_split_hellos();
	test_layouts();
	test_flights_tls12();

	ring_buffer__free(rb);
	hello_table_free(hellos);
	tlsnoop_bpf__destroy(skel);
	printf("test_bpf: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
