// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Self-check of pkt.h: builds a representative set of conversations, writes
 * them to the pcap file given as argument, and prints on stdout what tshark
 * must see, one "FRAME<TAB>display filter" line each, for check_pkt.sh.
 * Every conversation has its own client port.
 */
#include <stdarg.h>
#include "pkt.h"

#define MSS	1448

static struct pkt fr[256];
static size_t nfr;	/* frames built; also the number of the last one */
static struct tlsbuf tb;

static void expect(size_t frame, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%zu\t", frame);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void flow_init(struct pkt_flow *f, int family, __u16 sport, int vlans)
{
	struct pkt_l3l4 o = {
		.family = family,
		.saddr = family == 4 ? "192.0.2.1" : "2001:db8::1",
		.daddr = family == 4 ? "198.51.100.7" : "2001:db8:1::7",
		.sport = sport,
		.dport = 443,
		.seq = 1000u * sport,
		.vlans = vlans,
		.vlan_id = { 10, 20 },
		.tcp_optlen = 12,
	};

	pkt_flow_init(f, &o);
}

/* Handshake with SYN options, then checks common to every conversation. */
static void start(struct pkt_flow *f)
{
	__u8 optlen = f->dir[0].tcp_optlen;

	/* SYN options on all three: the ACK has timestamps and EOL padding */
	f->dir[0].tcp_optlen = f->dir[1].tcp_optlen = 20;
	nfr += pkt_flow_handshake(f, &fr[nfr]);
	f->dir[0].tcp_optlen = f->dir[1].tcp_optlen = optlen;
	expect(nfr - 2, "tcp.flags == 0x002 && tcp.options.mss_val == 1460 && tcp.options.wscale.shift == 7 && tcp.options.sack_perm");
	expect(nfr - 1, "tcp.flags == 0x012 && tcp.ack == 1");
	expect(nfr, "tcp.flags == 0x010 && tcp.options.timestamp.tsval == 1 && tcp.hdr_len == 40");
}

/* tb from side @dir in MSS-sized PSH/ACK segments; returns the last frame. */
static size_t send_tb(struct pkt_flow *f, int dir)
{
	size_t cuts[PKT_NELEM(tb.b) / MSS], n = 0, at;

	for (at = MSS; at < tb.len; at += MSS)
		cuts[n++] = at;
	nfr += pkt_flow_split(f, dir, &fr[nfr], PKT_PSH | PKT_ACK, tb.b, tb.len, cuts, n);
	tb.len = 0;
	return nfr;
}

static void expect_browser_hello(size_t n, const char *sni)
{
	expect(n, "tls.record.version == 0x0301 && tls.handshake.type == 1 && tls.handshake.version == 0x0303");
	expect(n, "tls.handshake.extensions_server_name == \"%s\"", sni);
	expect(n, "tls.handshake.extensions_alpn_str == \"h2\" && tls.handshake.extensions_alpn_str == \"http/1.1\" && count(tls.handshake.extensions_alpn_str) == 2");
	expect(n, "count(tls.handshake.ciphersuite) == 16 && tls.handshake.ciphersuite == 0x0a0a && tls.handshake.ciphersuite == 0x1301");
	expect(n, "count(tls.handshake.extension.type) == 15 && tls.handshake.extension.type == 0x1a1a && tls.handshake.extension.type == 0x2a2a");
	expect(n, "count(tls.handshake.extensions.supported_version) == 3 && tls.handshake.extensions.supported_version == 0x3a3a && tls.handshake.extensions.supported_version == 0x0304");
	expect(n, "tls.handshake.session_id_length == 32 && tls.handshake.extensions_key_share_group == 0x001d");
}

/* TLS 1.3 with a browser hello over IPv4, no VLAN. */
static void tls13(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	struct tlsb_sh sh;
	size_t n;

	flow_init(&f, 4, 40001, 0);
	start(&f);

	tlsb_ch_browser(&ch, "example.com", false);
	tlsb_client_hello(&tb, &ch);
	n = send_tb(&f, 0);
	expect_browser_hello(n, "example.com");
	expect(n, "!tls.handshake.extensions_key_share_group == 0x11ec && ip.flags.df == 1");

	tlsb_sh_init(&sh, 0x0304);
	tlsb_server_hello(&tb, &sh);
	tlsb_ccs(&tb);
	tlsb_record(&tb, TLSB_APPLICATION_DATA, 3000);
	n = send_tb(&f, 1);
	expect(n - 2, "tls.handshake.type == 2 && tls.handshake.ciphersuite == 0x1301 && tls.handshake.extensions.supported_version == 0x0304");
	expect(n - 2, "tls.handshake.extensions_key_share_group == 0x001d && tls.handshake.extensions_key_share_key_exchange_length == 32");
	expect(n - 2, "tls.record.content_type == 20");
	expect(n, "tls.record.opaque_type == 23 && tls.record.length == 3000");

	tlsb_ccs(&tb);
	tlsb_record(&tb, TLSB_APPLICATION_DATA, 53);
	tlsb_app_data(&tb, 100);
	n = send_tb(&f, 0);
	expect(n, "count(tls.record) == 3 && tls.record.length == 53 && tls.record.length == 100");

	tlsb_record(&tb, TLSB_APPLICATION_DATA, 19);	/* encrypted alert */
	n = send_tb(&f, 1);
	expect(n, "tls.record.opaque_type == 23 && tls.record.length == 19");
	nfr += pkt_flow_send(&f, 1, &fr[nfr], PKT_FIN | PKT_ACK, NULL, 0);
	nfr += pkt_flow_send(&f, 0, &fr[nfr], PKT_FIN | PKT_ACK, NULL, 0);
	nfr += pkt_flow_send(&f, 1, &fr[nfr], PKT_ACK, NULL, 0);
	expect(nfr - 2, "tcp.flags.fin == 1 && tcp.flags.ack == 1");
	expect(nfr, "tcp.flags == 0x010 && tcp.len == 0");
}

/* PQ-sized hello in one jumbo segment, IPv6 with extension headers, 1 VLAN. */
static void pq_ipv6(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	size_t n;

	flow_init(&f, 6, 40002, 1);
	f.dir[0].n_ext6 = f.dir[1].n_ext6 = 3;
	f.dir[0].ext6[0] = f.dir[1].ext6[0] = (struct pkt_ext6){ IPPROTO_HOPOPTS, 8 };
	f.dir[0].ext6[1] = f.dir[1].ext6[1] = (struct pkt_ext6){ IPPROTO_ROUTING, 24 };
	f.dir[0].ext6[2] = f.dir[1].ext6[2] = (struct pkt_ext6){ IPPROTO_DSTOPTS, 16 };
	start(&f);
	expect(nfr, "vlan.id == 10 && vlan.etype == 0x86dd && ipv6.nxt == 0 && ipv6.hopopts.nxt == 43 && ipv6.routing.nxt == 60 && ipv6.dstopts.nxt == 6");

	tlsb_ch_browser(&ch, "pq.example.org", true);
	tlsb_client_hello(&tb, &ch);
	if (tb.len < 1500 || tb.len > 2000)
		pkt_fail("PQ hello size");
	nfr += pkt_flow_send(&f, 0, &fr[nfr], PKT_PSH | PKT_ACK, tb.b, tb.len);
	n = nfr;
	tb.len = 0;
	expect_browser_hello(n, "pq.example.org");
	expect(n, "tls.handshake.extensions_key_share_group == 0x11ec && tls.handshake.extensions_key_share_key_exchange_length == 1216");
	expect(n, "tls.record.length > 1500 && vlan.id == 10 && ipv6.dstopts.len == 1");
}

/* Hello in 3 segments with the SNI in the last, 2 VLANs, IPv4 options. */
static void split3(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	size_t cuts[2];
	long sni;

	flow_init(&f, 4, 40003, 2);
	f.dir[0].ip_optlen = f.dir[1].ip_optlen = 8;
	f.dir[0].tcp_optlen = f.dir[1].tcp_optlen = 40;
	start(&f);
	expect(nfr, "ieee8021ad.id == 10 && vlan.id == 20 && ip.hdr_len == 28 && ip.opt.type == 1 && ip.opt.type == 7 && ip.opt.len == 7");

	tlsb_ch_browser(&ch, "split.example.net", false);
	tlsb_client_hello(&tb, &ch);
	sni = tlsb_sni_offset(&tb, 0);
	if (sni < 0 || memcmp(tb.b + sni, "split.example.net", 17))
		pkt_fail("tlsb_sni_offset");
	cuts[0] = 3;
	cuts[1] = sni + 1;
	nfr += pkt_flow_split(&f, 0, &fr[nfr], PKT_ACK, tb.b, tb.len, cuts, 2);
	tb.len = 0;
	expect(nfr - 2, "tcp.len == 3 && !tls.handshake && tcp.hdr_len == 60");
	expect(nfr - 1, "!tls.handshake && tcp.len == %ld", sni - 2);
	expect(nfr, "tcp.segment.count == 3 && tls.handshake.type == 1");
	expect_browser_hello(nfr, "split.example.net");
}

/* TLS 1.2 full handshake with a client certificate, IPv6, 2 VLANs. */
static void tls12(void)
{
	static const __u16 ciphers[] = { 0xc02f, 0xc030, 0x009c, 0x002f, 0x00ff };
	static const __u16 groups[] = { TLSB_GROUP_X25519, TLSB_GROUP_SECP256R1 };
	static const __u8 raw[] = { 0, 1, 2, 3 };
	struct pkt_flow f;
	struct tlsb_ch ch = {
		.record_version = 0x0301,
		.version = 0x0303,
		.n_ciphers = PKT_NELEM(ciphers),
		.n_comp = 1,
		.sni = "old.example.com",
		.n_groups = PKT_NELEM(groups),
		.n_exts = 5,
		.exts = {
			{ .type = TLSB_EXT_RENEGOTIATION_INFO },
			{ .type = TLSB_EXT_SERVER_NAME },
			{ .type = TLSB_EXT_SUPPORTED_GROUPS },
			{ .type = 0xfe00, .len = sizeof(raw), .data = raw },
			{ .type = TLSB_EXT_EC_POINT_FORMATS },
		},
	};
	struct tlsb_sh sh;
	size_t n, from;

	memcpy(ch.ciphers, ciphers, sizeof(ciphers));
	memcpy(ch.groups, groups, sizeof(groups));
	flow_init(&f, 6, 40004, 2);
	start(&f);

	tlsb_client_hello(&tb, &ch);
	n = send_tb(&f, 0);
	expect(n, "tls.handshake.type == 1 && count(tls.handshake.ciphersuite) == 5 && count(tls.handshake.extension.type) == 5");
	expect(n, "tls.handshake.session_id_length == 0 && !tls.handshake.extensions.supported_version && tls.handshake.extension.type == 0xfe00");
	expect(n, "tls.handshake.extensions_server_name == \"old.example.com\" && !tls.handshake.extensions_alpn_str");

	tlsb_sh_init(&sh, 0x0303);
	sh.alpn = "http/1.1";
	sh.exts[sh.n_exts++].type = TLSB_EXT_ALPN;
	tlsb_server_hello(&tb, &sh);
	tlsb_certificate(&tb, 1500, 2);
	tlsb_server_key_exchange(&tb);
	tlsb_certificate_request(&tb);
	tlsb_server_hello_done(&tb);
	n = send_tb(&f, 1);
	expect(n - 2, "tls.handshake.type == 2 && tls.handshake.version == 0x0303 && tls.handshake.ciphersuite == 0xc02f");
	expect(n - 2, "tls.handshake.extensions_alpn_str == \"http/1.1\" && !tls.handshake.extensions.supported_version");
	expect(n, "tls.handshake.type == 11 && tls.handshake.type == 12 && tls.handshake.type == 13 && tls.handshake.type == 14");
	expect(n, "count(tls.handshake.certificate_length) == 2 && tls.handshake.sig_len == 256 && tcp.segment.count == 3");

	from = tlsb_certificate(&tb, 300, 1);
	tlsb_client_key_exchange(&tb);
	tlsb_coalesce(&tb, from);
	tlsb_ccs(&tb);
	tlsb_record(&tb, TLSB_HANDSHAKE, 40);	/* encrypted Finished */
	n = send_tb(&f, 0);
	expect(n, "count(tls.record) == 3 && tls.handshake.type == 11 && tls.handshake.type == 16 && tls.record.content_type == 20");

	tlsb_ccs(&tb);
	tlsb_record(&tb, TLSB_HANDSHAKE, 40);
	n = send_tb(&f, 1);
	expect(n, "tls.record.content_type == 20 && tls.record.content_type == 22");

	tlsb_record(&tb, TLSB_ALERT, 26);		/* encrypted alert */
	n = send_tb(&f, 0);
	expect(n, "tls.record.content_type == 21 && tls.record.length == 26");
	nfr += pkt_flow_send(&f, 0, &fr[nfr], PKT_RST, NULL, 0);
	expect(nfr, "tcp.flags == 0x004 && tcp.ack == 0");
}

/* TLS 1.2 server flight coalesced into one record, session resumed. */
static void coalesced(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	struct tlsb_sh sh;
	size_t n, from;

	flow_init(&f, 4, 40005, 1);
	start(&f);
	tlsb_ch_browser(&ch, "coalesced.example.com", false);
	tlsb_client_hello(&tb, &ch);
	send_tb(&f, 0);

	tlsb_sh_init(&sh, 0x0303);
	memcpy(sh.sid, ch.sid, 32);
	from = tlsb_server_hello(&tb, &sh);
	tlsb_certificate(&tb, 1500, 1);
	tlsb_server_key_exchange(&tb);
	tlsb_server_hello_done(&tb);
	tlsb_coalesce(&tb, from);
	n = send_tb(&f, 1);
	expect(n, "count(tls.record) == 1 && count(tls.handshake) == 4 && tls.handshake.type == 2 && tls.handshake.type == 14");
	expect(n, "tls.handshake.session_id[0:4] == %02x:%02x:%02x:%02x", ch.sid[0], ch.sid[1], ch.sid[2], ch.sid[3]);
	expect(n, "tcp.segment.count == 2");
}

/* HelloRetryRequest, then a second hello and ServerHello. */
static void hrr(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	struct tlsb_sh sh;
	size_t n;

	flow_init(&f, 6, 40006, 0);
	start(&f);
	tlsb_ch_browser(&ch, "hrr.example.com", false);
	tlsb_client_hello(&tb, &ch);
	send_tb(&f, 0);

	tlsb_sh_init(&sh, 0x0304);
	sh.hrr = true;
	sh.share.group = TLSB_GROUP_SECP256R1;
	tlsb_server_hello(&tb, &sh);
	tlsb_ccs(&tb);
	n = send_tb(&f, 1);
	expect(n, "tls.handshake.type == 2 && tls.handshake.random == cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c");
	expect(n, "tls.handshake.extensions_key_share_selected_group == 0x0017 && tls.handshake.extensions.supported_version == 0x0304");

	ch.shares[1] = (struct tlsb_share){ TLSB_GROUP_SECP256R1, 65 };
	tlsb_ccs(&tb);
	tlsb_client_hello(&tb, &ch);
	n = send_tb(&f, 0);
	expect(n, "tls.handshake.type == 1 && tls.handshake.extensions_key_share_group == 0x0017 && tls.handshake.extensions_key_share_key_exchange_length == 65");

	tlsb_sh_init(&sh, 0x0304);
	sh.share = (struct tlsb_share){ TLSB_GROUP_SECP256R1, 65 };
	tlsb_server_hello(&tb, &sh);
	n = send_tb(&f, 1);
	expect(n, "tls.handshake.type == 2 && tls.handshake.extensions_key_share_group == 0x0017 && !tls.handshake.random == cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c");
}

/* PSK resumption with early data, padding, a raw extension; 0-RTT data. */
static void psk(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	struct tlsb_sh sh;
	size_t n;

	flow_init(&f, 4, 40007, 0);
	start(&f);
	tlsb_ch_browser(&ch, "psk.example.com", false);
	ch.pad_to = 512;
	ch.psk_identity_len = 100;
	ch.exts[ch.n_exts++].type = TLSB_EXT_EARLY_DATA;
	ch.exts[ch.n_exts++].type = TLSB_EXT_PADDING;
	ch.exts[ch.n_exts++] = (struct tlsb_ext){ 0x1234, 3, "abc" };
	ch.exts[ch.n_exts++].type = TLSB_EXT_PRE_SHARED_KEY;
	tlsb_client_hello(&tb, &ch);
	tlsb_ccs(&tb);
	tlsb_app_data(&tb, 200);
	n = send_tb(&f, 0);
	expect(n, "tls.handshake.type == 1 && tls.record.length == 512 && tls.handshake.length == 508");
	expect(n, "tls.handshake.extension.type == 42 && tls.handshake.extension.type == 21 && tls.handshake.extension.type == 45 && tls.handshake.extension.type == 0x1234");
	expect(n, "tls.handshake.extensions.psk.identity.identity_length == 100 && tls.handshake.extensions.psk.binders_len == 33");
	expect(n, "count(tls.handshake.extension.type) == 19 && tls.record.opaque_type == 23 && tls.record.length == 200");

	tlsb_sh_init(&sh, 0x0304);
	sh.exts[sh.n_exts++].type = TLSB_EXT_PRE_SHARED_KEY;
	tlsb_server_hello(&tb, &sh);
	n = send_tb(&f, 1);
	expect(n, "tls.handshake.type == 2 && tls.handshake.extensions.psk.identity.selected == 0");
}

/* Plaintext alerts: fatal handshake_failure, warning close_notify. */
static void alerts(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	size_t n;

	flow_init(&f, 6, 40008, 1);
	start(&f);
	tlsb_ch_browser(&ch, "alert.example.com", false);
	tlsb_client_hello(&tb, &ch);
	send_tb(&f, 0);

	tlsb_alert(&tb, 2, 40);
	n = send_tb(&f, 1);
	expect(n, "tls.alert_message.level == 2 && tls.alert_message.desc == 40 && tls.record.length == 2");
	tlsb_alert(&tb, 1, 0);
	n = send_tb(&f, 0);
	expect(n, "tls.alert_message.level == 1 && tls.alert_message.desc == 0");
}

/* Hello in two IPv4 fragments; hello in two IPv6 fragments. */
static void fragments(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	struct pkt_l3l4 *o = &f.dir[0];
	int family;

	for (family = 4; family <= 6; family += 2) {
		flow_init(&f, family, family == 4 ? 40009 : 40010, 0);
		start(&f);
		tlsb_ch_browser(&ch, "frag.example.com", false);
		tlsb_client_hello(&tb, &ch);
		o->ip_id = 0x1234;
		o->frag_mf = true;
		o->frag_len = 64;
		if (family == 6) {
			o->n_ext6 = 1;
			o->ext6[0].type = IPPROTO_FRAGMENT;
		}
		o->flags = PKT_PSH | PKT_ACK;
		o->ack = f.dir[1].seq;
		pkt_tcp(&fr[nfr++], o, tb.b, tb.len);
		o->frag_mf = false;
		o->frag_off = 8;
		o->frag_len = 0;
		pkt_tcp(&fr[nfr++], o, tb.b, tb.len);
		tb.len = 0;
		if (family == 4) {
			expect(nfr - 1, "ip.flags.mf == 1 && ip.frag_offset == 0 && ip.len == 84 && !tcp");
			expect(nfr, "ip.flags.mf == 0 && ip.frag_offset == 8 && ip.id == 0x1234");
		} else {
			expect(nfr - 1, "ipv6.fraghdr.more == 1 && ipv6.fraghdr.offset == 0 && ipv6.plen == 72 && !tcp");
			expect(nfr, "ipv6.fraghdr.more == 0 && ipv6.fraghdr.offset == 8 && ipv6.fraghdr.ident == 0x1234");
		}
		expect(nfr, "tcp.checksum.status == 1 && tls.handshake.extensions_server_name == \"frag.example.com\"");
	}
}

/* Hello cut into TLS records of 200 bytes. */
static void records(void)
{
	struct pkt_flow f;
	struct tlsb_ch ch;
	size_t n;

	flow_init(&f, 4, 40011, 0);
	start(&f);
	tlsb_ch_browser(&ch, "records.example.com", false);
	tlsb_client_hello(&tb, &ch);
	tlsb_refragment(&tb, 0, 100);
	n = send_tb(&f, 0);
	expect(n, "count(tls.record) == 3 && tls.record.length == 100 && tls.handshake.type == 1");
	expect(n, "tls.handshake.extensions_server_name == \"records.example.com\" && count(tls.handshake.ciphersuite) == 16");
}

/* Not TLS: SSLv2-format hello, garbage, a truncated hello. */
static void not_tls(void)
{
	static const __u16 ciphers[] = { 0xc014, 0x0035, 0x000a };
	struct pkt_flow f;
	struct tlsb_ch ch;
	size_t n;

	flow_init(&f, 4, 40012, 0);
	start(&f);
	tlsb_sslv2_hello(&tb, 0x0301, ciphers, 3);
	n = send_tb(&f, 0);
	expect(n, "tls.record.version == 0x0002 && tls.handshake.type == 1 && tls.handshake.version == 0x0301 && tls.handshake.cipher_spec_len == 9");

	flow_init(&f, 4, 40013, 0);
	start(&f);
	tlsb_garbage(&tb, 64);
	n = send_tb(&f, 0);
	expect(n, "tcp.len == 64 && !tls.record.version && !tls.handshake");

	flow_init(&f, 4, 40014, 0);
	start(&f);
	tlsb_ch_browser(&ch, "truncated.example.com", false);
	tlsb_client_hello(&tb, &ch);
	tb.len = 100;
	n = send_tb(&f, 0);
	expect(n, "tcp.len == 100 && !tls.handshake.type");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
		return 2;
	}
	tls13();
	pq_ipv6();
	split3();
	tls12();
	coalesced();
	hrr();
	psk();
	alerts();
	fragments();
	records();
	not_tls();
	for (i = 1; i <= nfr; i++)
		expect(i, "!_ws.malformed && !_ws.expert.severity >= 0x800000 && (!tcp || tcp.checksum.status == 1) && (!ip || ip.checksum.status == 1)");
	if (pkt_pcap_write(argv[1], fr, nfr)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
