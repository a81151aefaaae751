// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tests of the collector's pure parts: diagnosis, escaping, options,
 * the -w pcapng writer, the host build's maps. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "bpf_host.h"
#include "diagnose.h"
#include "escape.h"
#include "options.h"
#include "output.h"
#include "pcap_write.h"
#include "report.h"
#include "check.h"
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>



static void escaped(void (*fn)(FILE *, const void *, size_t), const void *in, size_t len,
		    char *out, size_t size)
{
	FILE *f = fmemopen(out, size, "w");

	fn(f, in, len);
	fclose(f);
}

static void test_escape(void)
{
	char out[256];

	escaped(json_escape, "a\"b\\c\n\x01\x7f\xff", 9, out, sizeof(out));
	CHECK(!strcmp(out, "a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff"), "json: %s", out);
	escaped(json_escape, "x\0y", 3, out, sizeof(out));
	CHECK(!strcmp(out, "x\\u0000y"), "json NUL: %s", out);
	escaped(text_escape, "ok.test\x1b[2J \\", 13, out, sizeof(out));
	CHECK(!strcmp(out, "ok.test\\x1b[2J\\x20\\\\"), "text: %s", out);
}

static struct event ev(__u8 cause)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.end_cause = cause;
	e.flow.close_from = SIDE_NONE;
	e.flow.not_tls_from = SIDE_NONE;
	e.flow.ch.flags = HELLO_SEEN;
	e.flow.dir[SIDE_CLIENT].saw_payload = 1;
	return e;
}

static void with_alert(struct event *e, __u8 from, __u8 level, __u8 code)
{
	e->flow.alert.flags = ALERT_SEEN;
	e->flow.alert.from = from;
	e->flow.alert.level = level;
	e->flow.alert.code = code;
}

static enum reason reason_of(const struct event *e, bool *inferred)
{
	struct diagnosis d;

	diagnose(e, &d);
	if (inferred)
		*inferred = d.inferred;
	return d.success ? REASON_NONE : d.reason;
}

static void test_diagnose_alerts(void)
{
	static const struct {
		__u8 from, code;
		bool server_hello, cert_request, sni;
		enum reason want;
	} cases[] = {
		{ SIDE_SERVER, 70, false, false, true, REASON_PROTOCOL_VERSION },
		{ SIDE_SERVER, 86, false, false, true, REASON_PROTOCOL_VERSION },
		{ SIDE_SERVER, 40, false, false, true, REASON_NO_SHARED_CIPHER },
		{ SIDE_SERVER, 71, false, false, true, REASON_NO_SHARED_CIPHER },
		{ SIDE_SERVER, 40, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 40, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_CLIENT, 48, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 42, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 43, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 46, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 45, true, false, true, REASON_EXPIRED_CERTIFICATE },
		{ SIDE_CLIENT, 44, true, false, true, REASON_REVOKED_CERTIFICATE },
		{ SIDE_SERVER, 48, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 42, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 45, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 116, true, false, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 47, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_SERVER, 112, false, false, false, REASON_MISSING_SNI },
		{ SIDE_SERVER, 112, false, false, true, REASON_UNKNOWN_SNI },
		{ SIDE_SERVER, 120, true, false, true, REASON_ALPN_MISMATCH },
		{ SIDE_SERVER, 80, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_CLIENT, 40, true, false, true, REASON_OTHER_ALERT },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event e = ev(END_ALERT);
		enum reason got;

		with_alert(&e, cases[i].from, 2, cases[i].code);
		if (cases[i].server_hello)
			e.flow.sh.flags |= SERVER_HELLO_SEEN;
		if (cases[i].cert_request)
			e.flow.sh.flags |= SERVER_CERT_REQUEST;
		if (cases[i].sni)
			e.flow.ch.flags |= HELLO_HAS_SNI;
		got = reason_of(&e, NULL);
		CHECK(got == cases[i].want, "alert %u from %u: %s, want %s", cases[i].code,
		      cases[i].from, reason_name(got), reason_name(cases[i].want));
	}
}

/* A client that refuses the TLS 1.1 a server chose, with another alert. */
static void test_diagnose_old_version(void)
{
	static const __u8 codes[] = { 40, 71, 80 };
	struct event e;
	bool inferred;
	size_t i;

	for (i = 0; i < sizeof(codes); i++) {
		e = ev(END_ALERT);
		with_alert(&e, SIDE_CLIENT, 2, codes[i]);
		e.flow.sh.flags |= SERVER_HELLO_SEEN;
		e.flow.sh.version = 0x0302;
		CHECK(reason_of(&e, &inferred) == REASON_PROTOCOL_VERSION && inferred,
		      "alert %u after TLS 1.1", codes[i]);
		/* Not at TLS 1.2, nor from the server. */
		e.flow.sh.version = 0x0303;
		CHECK(reason_of(&e, &inferred) == REASON_OTHER_ALERT && !inferred,
		      "alert %u after TLS 1.2", codes[i]);
		e.flow.sh.version = 0x0302;
		e.flow.alert.from = SIDE_SERVER;
		CHECK(reason_of(&e, NULL) != REASON_PROTOCOL_VERSION, "server alert %u", codes[i]);
	}
}

static void test_diagnose_other(void)
{
	struct event e;
	bool inferred;

	e = ev(END_ESTABLISHED);
	CHECK(reason_of(&e, NULL) == REASON_NONE, "established is success");
	e = ev(END_NOT_TLS);
	CHECK(reason_of(&e, NULL) == REASON_NOT_TLS, "not_tls");
	e = ev(END_TIMEOUT);
	CHECK(reason_of(&e, NULL) == REASON_TIMEOUT, "timeout");
	e = ev(END_CLOSE);
	e.flow.ch.flags = 0;
	e.flow.dir[SIDE_CLIENT].saw_payload = 0;
	e.flow.close_from = SIDE_CLIENT;
	CHECK(reason_of(&e, NULL) == REASON_NO_CLIENT_HELLO, "no_client_hello");
	e = ev(END_CLOSE);
	e.flow.close_from = SIDE_SERVER;
	CHECK(reason_of(&e, NULL) == REASON_SERVER_ABORT, "server_abort");
	e.flow.close_from = SIDE_CLIENT;
	CHECK(reason_of(&e, NULL) == REASON_CLIENT_ABORT, "client_abort");
	/* close_notify is a close, not a reason */
	with_alert(&e, SIDE_CLIENT, 1, 0);
	CHECK(reason_of(&e, NULL) == REASON_CLIENT_ABORT, "close_notify then close");
	e = ev(END_ALERT);
	with_alert(&e, SIDE_SERVER, 2, 90);
	CHECK(reason_of(&e, NULL) == REASON_SERVER_ABORT, "server user_canceled");
	e = ev(END_CLOSE);
	e.flow.ch.flags |= HELLO_SSLV2;
	CHECK(reason_of(&e, NULL) == REASON_PROTOCOL_VERSION, "sslv2");

	/* TLS 1.3 encrypted alerts */
	e = ev(END_CLOSE);
	e.flow.sh.flags = SERVER_HELLO_SEEN;
	e.flow.sh.version = 0x0304;
	e.flow.alert.flags = ALERT_SEEN | ALERT_ENCRYPTED;
	e.flow.alert.from = SIDE_CLIENT;
	CHECK(reason_of(&e, &inferred) == REASON_UNTRUSTED_CERTIFICATE && inferred,
	      "client encrypted alert before its Finished");
	e.flow.alert.from = SIDE_SERVER;
	e.flow.dir[SIDE_CLIENT].enc_records = 3;
	e.flow.dir[SIDE_CLIENT].enc_bytes = 1133;
	CHECK(reason_of(&e, &inferred) == REASON_CLIENT_CERTIFICATE && inferred,
	      "server encrypted alert after a client certificate");
	e.flow.dir[SIDE_CLIENT].enc_records = 1;
	e.flow.dir[SIDE_CLIENT].enc_bytes = 53;
	CHECK(reason_of(&e, NULL) == REASON_OTHER_ALERT, "after a bare Finished");
	e.flow.sh.version = 0x0303;
	CHECK(reason_of(&e, NULL) == REASON_OTHER_ALERT, "TLS 1.2 encrypted alert");
}

/* Lengths no kernel sends are clamped to their arrays: before, the text
 * line read past the event (found by fuzz_records). */
static void test_event_clamp(void)
{
	struct event e = ev(END_NOT_TLS);
	struct flow *f = &e.flow;
	struct report r;
	char out[4096] = "", *hist;
	FILE *mem;

	current = "event_clamp";
	memset(f->hist, 'h', sizeof(f->hist));
	f->not_tls_from = SIDE_CLIENT;
	f->hist_len = f->peek_len = f->ch.session_id_len = 255;
	f->ch.sni_len = f->ch.alpn_len = f->sh.alpn_len = 255;
	event_clamp(&e);
	CHECK(f->hist_len == TLSNOOP_HIST_MAX && f->peek_len == TLSNOOP_PEEK_MAX &&
	      f->ch.sni_len == TLSNOOP_SNI_MAX && f->ch.alpn_len == TLSNOOP_ALPN_MAX &&
	      f->ch.session_id_len == TLSNOOP_SID_MAX &&
	      f->sh.alpn_len == TLSNOOP_SERVER_ALPN_MAX, "lengths %u %u %u %u %u %u",
	      f->hist_len, f->peek_len, f->ch.sni_len, f->ch.alpn_len, f->ch.session_id_len,
	      f->sh.alpn_len);
	report_init(&r, &e, NULL, 0);
	mem = fmemopen(out, sizeof(out) - 1, "w");
	out_text_event(mem, &r);
	fclose(mem);
	hist = strstr(out, " hist=");
	CHECK(hist && strspn(hist + 6, "h") == TLSNOOP_HIST_MAX &&
	      !strcmp(hist + 6 + TLSNOOP_HIST_MAX, "\n"), "%s", out);
	/* In range, nothing changes. */
	e = ev(END_ESTABLISHED);
	f->hist_len = 3;
	f->ch.sni_len = TLSNOOP_SNI_MAX;
	event_clamp(&e);
	CHECK(f->hist_len == 3 && f->ch.sni_len == TLSNOOP_SNI_MAX && !f->peek_len,
	      "in range: %u %u %u", f->hist_len, f->ch.sni_len, f->peek_len);
}

static void test_ports(void)
{
	__u16 p[MAX_PORTS];
	int n;

	CHECK(!parse_ports("443", p, &n) && n == 1 && p[0] == 443, "443");
	CHECK(!parse_ports("443,8443,1", p, &n) && n == 3 && p[1] == 8443 && p[2] == 1, "list");
	CHECK(parse_ports("", p, &n), "empty");
	CHECK(parse_ports("0", p, &n), "0");
	CHECK(parse_ports("65536", p, &n), "65536");
	CHECK(parse_ports("443,", p, &n), "trailing comma");
	CHECK(parse_ports("443,,8443", p, &n), "empty item");
	CHECK(parse_ports("-1", p, &n), "negative");
	CHECK(parse_ports("443 ", p, &n), "space");
	CHECK(parse_ports("44a", p, &n), "junk");
	CHECK(parse_ports("99999999999999999999", p, &n), "overflow");
}

static void test_client_rate(void)
{
	__u32 r, b;

	current = "client_rate";
	CHECK(!parse_client_rate("50", &r, &b) && r == 50 && b == 100, "50: %u/%u", r, b);
	CHECK(!parse_client_rate("50/7", &r, &b) && r == 50 && b == 7, "50/7: %u/%u", r, b);
	CHECK(!parse_client_rate("0", &r, &b) && r == 0 && b == 0, "0: %u/%u", r, b);
	CHECK(!parse_client_rate("1000000/1000000", &r, &b), "maximum");
	CHECK(parse_client_rate("1000001", &r, &b), "over the maximum");
	CHECK(parse_client_rate("0/5", &r, &b), "0/5");
	CHECK(parse_client_rate("5/0", &r, &b), "burst 0");
	CHECK(parse_client_rate("", &r, &b), "empty");
	CHECK(parse_client_rate("5/", &r, &b), "no burst");
	CHECK(parse_client_rate("/5", &r, &b), "no rate");
	CHECK(parse_client_rate("5/5/5", &r, &b), "two slashes");
	CHECK(parse_client_rate("-5", &r, &b), "negative");
	CHECK(parse_client_rate("5 ", &r, &b), "space");
	CHECK(parse_client_rate("5,10", &r, &b), "comma");
	CHECK(parse_client_rate("+5", &r, &b), "plus");
	CHECK(parse_client_rate("99999999999999999999", &r, &b), "overflow");
}

static void test_interfaces(void)
{
	char names[MAX_INTERFACES][IF_NAMESIZE], many[MAX_INTERFACES * 4 + 8] = "";
	int n, i;

	CHECK(parse_interfaces("eth0", names, &n) == IFACES_OK && n == 1 &&
	      !strcmp(names[0], "eth0"), "one");
	CHECK(parse_interfaces("eth0,eth1", names, &n) == IFACES_OK && n == 2 &&
	      !strcmp(names[1], "eth1"), "two");
	CHECK(parse_interfaces("abcdefghijklmno", names, &n) == IFACES_OK, "15 bytes");
	CHECK(parse_interfaces("abcdefghijklmnop", names, &n) == IFACES_BAD_NAME, "16 bytes");
	CHECK(parse_interfaces("", names, &n) == IFACES_BAD_NAME, "empty");
	CHECK(parse_interfaces("a,,b", names, &n) == IFACES_BAD_NAME, "empty item");
	CHECK(parse_interfaces("a,", names, &n) == IFACES_BAD_NAME, "trailing comma");
	CHECK(parse_interfaces(",a", names, &n) == IFACES_BAD_NAME, "leading comma");
	CHECK(parse_interfaces("a,b,a", names, &n) == IFACES_DUPLICATE && n == 2 &&
	      !strcmp(names[n], "a"), "duplicate");
	for (i = 0; i < MAX_INTERFACES; i++)
		sprintf(many + strlen(many), "%si%d", i ? "," : "", i);
	CHECK(parse_interfaces(many, names, &n) == IFACES_OK && n == MAX_INTERFACES, "16");
	strcat(many, ",x");
	CHECK(parse_interfaces(many, names, &n) == IFACES_TOO_MANY, "17");
}

/* ------------------------------------------------------------ -w writer */

static struct flow_key conn(__u8 n)
{
	struct flow_key k = { .client_addr = { 198, 18, 0, n }, .server_addr = { 198, 18, 0, 1 },
			      .client_port = 40000 + n, .server_port = 443, .family = 4 };

	return k;
}

/* A REC_PACKET record of `len` bytes (a pattern) at time t. */
static void put_packet(struct pcap_writer *w, const struct flow_key *k, __u64 t, __u32 len)
{
	static __u8 rec[sizeof(struct packet_rec) + TLSNOOP_PACKET_SNAP];
	struct packet_rec *r = (struct packet_rec *)rec;
	__u32 i;

	memset(r, 0, sizeof(*r));
	r->type = REC_PACKET;
	r->len = len;
	r->key = *k;
	r->t = t;
	r->wire_len = len + 100;
	for (i = 0; i < len; i++)
		rec[sizeof(*r) + i] = i;
	pcap_writer_put(w, rec, sizeof(*r) + len);
}

static void outcome(struct pcap_writer *w, const struct flow_key *k, bool failed)
{
	struct event e = ev(END_ALERT);
	struct report r;

	e.key = *k;
	e.t_end = 5000;
	if (failed)
		with_alert(&e, SIDE_SERVER, 2, 40);
	else
		e.end_cause = END_ESTABLISHED;
	report_init(&r, &e, NULL, 0);
	pcap_writer_event(w, &r, 1000000000ULL);
}

/* Only a failure's packets are written, whole, at their times, with the
 * event line as comment; the bounds hold and are reported. */
static void test_pcap_write(void)
{
	char path[] = "/tmp/test_user_XXXXXX", report[512] = "", *file = NULL;
	struct flow_key a = conn(10), b = conn(11), capped = conn(12), k;
	__u64 stats[STAT_MAX] = {};
	struct pcap_pkthdr *h;
	const u_char *data;
	struct pcap_writer *w;
	char errbuf[PCAP_ERRBUF_SIZE];
	size_t size = 0;
	pcap_t *p;
	FILE *f;
	int fd = mkstemp(path), n = 0, i;

	current = "pcap_write";
	w = pcap_writer_open(path, "eth0", 8);
	CHECK(fd >= 0 && w, "open %s", path);
	if (fd < 0 || !w)
		return;
	close(fd);
	put_packet(w, &a, 1000, 74);
	put_packet(w, &b, 1500, 74);
	put_packet(w, &a, 2000, TLSNOOP_PACKET_SNAP);
	for (i = 0; i < 10; i++)	/* 7 records of 4160 bytes fit in 32 KiB */
		put_packet(w, &capped, 3000, TLSNOOP_PACKET_SNAP);
	outcome(w, &capped, false);
	outcome(w, &b, false);
	outcome(w, &a, true);
	for (i = 0; i < 40; i++) {	/* 8 held at most: the oldest go */
		k = conn(100 + i);
		put_packet(w, &k, 4000, 60);
	}
	f = fmemopen(report, sizeof(report), "w");
	pcap_writer_report(f, w, stats);
	fclose(f);
	CHECK(strstr(report, "wrote 1 failed handshakes (2 packets) to /tmp/") &&
	      strstr(report, "3 packets over the per-connection cap") &&
	      sscanf(strstr(report, "half full, ") ?: "", "half full, %d", &n) == 1 &&
	      n >= 32 && n < 40, "report: %s", report);
	n = 0;
	CHECK(pcap_writer_close(w) == 0, "close");

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	CHECK(p && pcap_datalink(p) == DLT_EN10MB, "libpcap reads it: %s", p ? "" : errbuf);
	while (p && pcap_next_ex(p, &h, &data) == 1) {
		__u32 len = n ? TLSNOOP_PACKET_SNAP : 74;

		CHECK(h->caplen == len && h->len == len + 100 && data[len - 1] == (__u8)(len - 1) &&
		      h->ts.tv_sec == 1 && h->ts.tv_usec == (n ? 2000 : 1000),
		      "packet %d: %u/%u bytes at %ld.%09ld", n, h->caplen, h->len,
		      (long)h->ts.tv_sec, (long)h->ts.tv_usec);
		n++;
	}
	CHECK(n == 2, "%d packets in the file", n);
	if (p)
		pcap_close(p);
	f = fopen(path, "rb");
	if (f) {
		file = malloc(1 << 16);
		size = file ? fread(file, 1, 1 << 16, f) : 0;
		fclose(f);
	}
	CHECK(file && memmem(file, size, "tlsnoop: ", 9) &&
	      memmem(file, size, " FAIL ", 6) &&
	      memmem(file, size, "alert=server:handshake_failure(40)", 34) &&
	      memmem(file, size, "198.18.0.10:40010 -> 198.18.0.1:443", 35) &&
	      !memmem(file, size, "198.18.0.12", 11), "comments");
	free(file);
	unlink(path);

	CHECK(!pcap_writer_open("/nonexistent/dir/x.pcapng", NULL, 8), "unwritable path");
}

static int count_record(void *ctx, void *data, size_t size)
{
	(void)data;
	*(size_t *)ctx += size;
	return 0;
}

/* The host build's LRU hash: full, it evicts the least recently used (a
 * lookup makes an entry recent; a copy, as the collector's, does not). */
static void test_host_lru(void)
{
	struct host_map m, ring;
	struct flow_key k[5] = {}, next;
	__u64 v = 0, got;
	size_t bytes = 0;
	void *rec;
	int i, n = 0;

	current = "host LRU hash";
	for (i = 0; i < 5; i++)
		k[i].client_port = i;
	CHECK(!host_map_init(&m, BPF_MAP_TYPE_LRU_HASH, sizeof(k[0]), sizeof(v), 4), "init");
	for (i = 0; i < 4; i++, v++)
		CHECK(!host_map_update(&m, &k[i], &v, BPF_NOEXIST), "insert %d", i);
	CHECK(host_map_update(&m, &k[1], &v, BPF_NOEXIST) == -EEXIST, "NOEXIST on a key there");
	CHECK(host_map_update(&m, &k[4], &v, BPF_EXIST) == -ENOENT, "EXIST on a key not there");
	CHECK(host_map_lookup(&m, &k[0]) != NULL, "lookup 0");	/* 1 is now the oldest */
	CHECK(!host_map_copy(&m, &k[1], &got) && got == 1, "copy 1: %llu",
	      (unsigned long long)got);
	CHECK(!host_map_update(&m, &k[4], &v, BPF_NOEXIST), "insert 4 into the full map");
	CHECK(m.evicted == 1, "evicted %llu", (unsigned long long)m.evicted);
	CHECK(host_map_copy(&m, &k[1], &got) == -ENOENT, "1, the least recently used, evicted");
	CHECK(!host_map_delete(&m, &k[2]) && host_map_delete(&m, &k[2]) == -ENOENT, "delete 2");
	for (i = 0; !host_map_next_key(&m, i ? &next : NULL, &next); i++)
		n = n * 10 + next.client_port;
	CHECK(n == 304, "keys from the least recently used: %d", n);	/* 3, 0, 4 */
	host_map_free(&m);

	current = "host ring buffer";
	CHECK(!host_map_init(&ring, BPF_MAP_TYPE_RINGBUF, 0, 0, 64), "init");
	CHECK(!host_ring_output(&ring, "abc", 3), "output");
	rec = host_ring_reserve(&ring, 20);
	CHECK(rec != NULL, "reserve");
	host_ring_discard(rec);
	CHECK(ring.ring_used == 16 + 32, "used %llu", (unsigned long long)ring.ring_used);
	CHECK(host_ring_reserve(&ring, 17) == NULL, "no room for a 17-byte record");
	CHECK(host_ring_consume(&ring, count_record, &bytes) == 1 && bytes == 3,
	      "one record of 3 bytes read, the discarded one not");
	CHECK(ring.ring_used == 0 && host_ring_reserve(&ring, 40) != NULL, "room again");
	host_map_free(&ring);
}

int main(void)
{
	test_escape();
	test_diagnose_alerts();
	test_diagnose_other();
	test_diagnose_old_version();
	test_ports();
	test_client_rate();
	test_interfaces();
	test_pcap_write();
	test_host_lru();
	test_event_clamp();
	printf("test_user: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
