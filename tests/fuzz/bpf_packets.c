// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hostile packets through the real BPF programs. Random frames, mutated
 * conversations built with pkt.h, and well-formed segments with random
 * payloads go through xdp_tlsnoop and tc_tlsnoop with BPF_PROG_TEST_RUN,
 * half of them with -w's packet copy on. Every run must succeed and pass
 * the packet on. Every record left in the ring buffer (drained after each
 * packet) is checked against the ranges its fields may take, then goes
 * through the collector as it would live: hellos parsed and held, events
 * joined with them, decoded, counted and written as JSON and as text, both
 * checked. Every PERIOD packets the flow map is walked (values in range,
 * no slot of the pre-filter at zero under a flow, no more flows than its
 * entries), then emptied by the collector's expiry, after which the slot
 * counts must balance to zero and no reassembly buffer may be left.
 *
 * Usage: bpf_packets PACKETS [SEED]   (as root; SEED: a new one is drawn
 * and printed when none is given, so that any run can be repeated)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "json_check.h"
#include "pkt.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "collect.h"
#include "diagnose.h"
#include "hello.h"
#include "hello_table.h"
#include "output.h"
#include "report.h"

#define XDP_PASS_	2
#define TC_ACT_OK_	0
#define PERIOD		10000	/* packets between walks and expiries of the flow map */
#define SCRIPT_MAX	64	/* frames of one conversation */
#define REPORT_MAX	10	/* violations printed per property */
#define ETH_HLEN_	14	/* BPF_PROG_TEST_RUN takes nothing shorter */

/* --------------------------------------------------------------- the PRNG */

static __u64 rng_state;

/* splitmix64: a single 64-bit state, any seed is a good one. */
static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static __u32 below(__u32 n)
{
	return n ? rnd() % n : 0;
}

static bool chance(__u32 percent)
{
	return below(100) < percent;
}

static void rnd_bytes(__u8 *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

/* ------------------------------------------------------------- properties */

enum prop {
	P_VERDICT,	/* every run succeeds and passes the packet */
	P_RECORD,	/* every record has a known type */
	P_HELLO,	/* REC_HELLO: size, key, bytes, and what the parser makes of them */
	P_PACKET,	/* REC_PACKET: the frame that was run, cut at the snap length */
	P_FLIGHT,	/* REC_FLIGHT: bytes of the frame run, within the side's 16 KiB */
	P_EVENT,	/* REC_EVENT: every field in its range, diagnosis consistent */
	P_TIMES,	/* t_first <= t_client_hello, t_server_hello <= t_last = t_end */
	P_JOINED,	/* the event completed with its hello: still in range */
	P_JSON,		/* one line of ASCII, a valid JSON object */
	P_TEXT,		/* one line of printable ASCII */
	P_FLOWS,	/* flow map: values in range, slot non-zero, at most max entries */
	P_BALANCE,	/* after expiry: no flow, no hello buffer, every slot at zero */
	P_LOST,		/* no event, hello or packet lost to a full ring buffer */
	P_MAX,
};

static const char *const prop_names[P_MAX] = {
	"verdict always pass", "records of known types", "hello records and their parse",
	"packet records (-w)", "flight records (certificates)", "event fields in range", "event times ordered",
	"events joined with their hello", "JSON output", "text output",
	"flow map values and bound", "slot balance after expiry", "nothing lost",
};

static __u64 violations[P_MAX];
static __u64 packets_run;

static void violation(enum prop p, const char *fmt, ...)
{
	va_list ap;

	if (violations[p]++ >= REPORT_MAX)
		return;
	fprintf(stderr, "packet %llu: %s: ", (unsigned long long)packets_run, prop_names[p]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define EXPECT(p, cond, ...)						\
	do {								\
		if (!(cond))						\
			violation(p, __VA_ARGS__);			\
	} while (0)

/* ------------------------------------------------------- JSON validation */

static void json_self_test(void)
{
	const char *wrong = json_reader_misjudges();

	EXPECT(P_JSON, !wrong, "reader misjudges %s", wrong);
}

/* A latency in the line is at most the handshake's duration (both in µs). */
static bool latency_bounded(const char *s, size_t n, const char *key, __u64 duration_us)
{
	const char *at = memmem(s, n, key, strlen(key));

	return !at || strtoull(at + strlen(key), NULL, 10) <= duration_us;
}

static void check_json_line(const char *s, size_t n, __u64 duration_ns)
{
	EXPECT(P_JSON, line_clean(s, n) && json_object_valid(s, n - 1) &&
	       latency_bounded(s, n, "\"server_hello\":", duration_ns / 1000) &&
	       latency_bounded(s, n, "\"established\":", duration_ns / 1000), "%.*s",
	       (int)(n < 400 ? n : 400), s);
}

static void check_text_line(const char *s, size_t n)
{
	EXPECT(P_TEXT, line_clean(s, n) && memmem(s, n, " hist=", 6), "%.*s",
	       (int)(n < 400 ? n : 400), s);
}

/* ------------------------------------------------------ the BPF programs */

static struct tlsnoop_bpf *skel;
static struct collector col;
static bool copy_packets;
static const struct pkt *frame_run;	/* the frame being run: its packet record */
static size_t tc_frame_max;		/* longest frame a TC test run takes */
static __u64 n_hellos, n_events, n_packet_recs, n_flight_recs, n_expired, n_xdp, n_tc;
static __u64 by_end[END_TIMEOUT + 1];
static __u64 n_reversed;	/* events whose ServerHello came before the ClientHello */
static __u64 t_start;		/* CLOCK_MONOTONIC ns at the first packet */

static int prog_run(bool tc, const void *data, size_t len, __u32 *retval)
{
	int fd = bpf_program__fd(tc ? skel->progs.tc_tlsnoop : skel->progs.xdp_tlsnoop);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &opts);

	*retval = opts.retval;
	return err;
}

/* An skb test run takes one page of linear data, less its head- and
 * tailroom; XDP puts what is longer into fragments. */
static size_t probe_tc_frame_max(void)
{
	static __u8 frame[4096];
	size_t len;
	__u32 ret;

	for (len = sizeof(frame); len > 1500; len -= 16)
		if (!prog_run(true, frame, len, &ret))
			return len;
	return 1500;
}

static const char hist_letters[] = "csjxkrnygftuoehvzildbCSJXKRNYGFTUOEHVZILDB";

static bool all_zero(const void *p, size_t n)
{
	const __u8 *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static void check_key(enum prop p, const struct flow_key *k)
{
	size_t alen = k->family == 4 ? 4 : 16;

	EXPECT(p, k->family == 4 || k->family == 6, "key family %u", k->family);
	EXPECT(p, all_zero(k->client_addr + alen, 16 - alen) &&
	       all_zero(k->server_addr + alen, 16 - alen) && all_zero(k->pad, sizeof(k->pad)),
	       "key padding not zero");
	EXPECT(p, k->server_port == 443 || k->server_port == 8443, "server port %u",
	       k->server_port);
}

/* What the kernel or the parser puts in a struct client_hello. */
static void check_client_hello(enum prop p, const struct client_hello *ch)
{
	EXPECT(p, !(ch->flags & ~HELLO_FLAGS_ALL), "hello flags %#x", ch->flags);
	EXPECT(p, ch->session_id_len <= TLSNOOP_SID_MAX &&
	       all_zero(ch->session_id + ch->session_id_len,
			TLSNOOP_SID_MAX - (ch->session_id_len <= TLSNOOP_SID_MAX ?
					   ch->session_id_len : TLSNOOP_SID_MAX)),
	       "session id length %u", ch->session_id_len);
	EXPECT(p, ch->sni_len <= TLSNOOP_SNI_MAX, "sni_len %u", ch->sni_len);
	EXPECT(p, ch->alpn_len <= TLSNOOP_ALPN_MAX, "alpn_len %u", ch->alpn_len);
	EXPECT(p, ch->versions_mask < 1u << 5, "versions mask %#x", ch->versions_mask);
	EXPECT(p, !ch->max_version || ch->max_version >> 8 == 3, "max version %#x",
	       ch->max_version);
	EXPECT(p, !(ch->flags & HELLO_SSLV2) || (ch->flags & HELLO_SEEN), "sslv2 and not seen");
}

static void check_alert(const struct alert *a)
{
	EXPECT(P_EVENT, !(a->flags & ~(ALERT_SEEN | ALERT_ENCRYPTED)) && !a->pad, "alert flags %#x",
	       a->flags);
	if (!(a->flags & ALERT_SEEN)) {
		EXPECT(P_EVENT, !(a->flags & ALERT_ENCRYPTED), "encrypted alert not seen");
		return;
	}
	EXPECT(P_EVENT, a->from == SIDE_CLIENT || a->from == SIDE_SERVER, "alert from %u", a->from);
	if (a->flags & ALERT_ENCRYPTED)
		EXPECT(P_EVENT, !a->level && !a->code && a->record_len && a->record_len != 2,
		       "encrypted alert level %u code %u length %u", a->level, a->code,
		       a->record_len);
	else
		EXPECT(P_EVENT, a->record_len == 2, "plaintext alert length %u", a->record_len);
}

/* The state a flow's value may hold, in the map (done = false) or in its event. */
static void check_flow(enum prop p, const struct flow *f, bool done)
{
	int i;

	EXPECT(p, done ? f->phase == PHASE_DONE : f->phase < PHASE_DONE, "phase %u", f->phase);
	EXPECT(p, f->syn_seen <= 1 && f->enc_alert_pending <= 1 && f->hello_reasm <= 1 &&
	       f->client_closed <= 1, "flags syn %u pending %u reasm %u closed %u", f->syn_seen,
	       f->enc_alert_pending, f->hello_reasm, f->client_closed);
	EXPECT(p, f->close_from <= SIDE_NONE && f->close_kind <= CLOSE_RST &&
	       (f->close_from == SIDE_NONE) == (f->close_kind == CLOSE_NONE),
	       "close from %u kind %u", f->close_from, f->close_kind);
	EXPECT(p, f->not_tls_from <= SIDE_NONE, "not_tls_from %u", f->not_tls_from);
	if (f->not_tls_from == SIDE_NONE)
		EXPECT(p, !f->peek_len && all_zero(f->peek, sizeof(f->peek)), "peek without not_tls");
	else
		EXPECT(p, f->peek_len >= 1 && f->peek_len <= TLSNOOP_PEEK_MAX &&
		       all_zero(f->peek + f->peek_len, TLSNOOP_PEEK_MAX -
				(f->peek_len <= TLSNOOP_PEEK_MAX ? f->peek_len : TLSNOOP_PEEK_MAX)),
		       "peek_len %u", f->peek_len);
	EXPECT(p, f->hist_len <= TLSNOOP_HIST_MAX, "hist_len %u", f->hist_len);
	for (i = 0; i < TLSNOOP_HIST_MAX; i++)
		EXPECT(p, i < f->hist_len ? f->hist[i] && strchr(hist_letters, f->hist[i])
					  : !f->hist[i], "history byte %d is %#x", i,
		       (__u8)f->hist[i]);
	for (i = 0; i < 2; i++)
		EXPECT(p, f->dir[i].synced <= 1 && f->dir[i].saw_payload <= 1 && f->dir[i].ccs <= 1 &&
		       f->dir[i].start_known <= 1 && !f->dir[i].pad2, "record stream %d", i);
	EXPECT(p, copy_packets ? f->packet_bytes <= TLSNOOP_PACKET_CAP : !f->packet_bytes,
	       "packet bytes %u", f->packet_bytes);
	check_client_hello(p, &f->ch);
	EXPECT(p, !(f->sh.flags & ~((SERVER_CERT << 1) - 1)) &&
	       f->sh.alpn_len <= TLSNOOP_SERVER_ALPN_MAX, "server hello flags %#x alpn_len %u",
	       f->sh.flags, f->sh.alpn_len);
	check_alert(&f->alert);
}

static void check_times(const struct flow *f, __u64 t_end)
{
	EXPECT(P_TIMES, f->t_first && f->t_first <= f->t_last && f->t_last <= t_end,
	       "first %llu last %llu end %llu", (unsigned long long)f->t_first,
	       (unsigned long long)f->t_last, (unsigned long long)t_end);
	EXPECT(P_TIMES, !f->t_client_hello ||
	       (f->t_first <= f->t_client_hello && f->t_client_hello <= f->t_last),
	       "client hello at %llu", (unsigned long long)f->t_client_hello);
	EXPECT(P_TIMES, !f->t_server_hello ||
	       (f->t_first <= f->t_server_hello && f->t_server_hello <= f->t_last),
	       "server hello at %llu", (unsigned long long)f->t_server_hello);
}

/* Both output formats of one event, as the collector writes them. */
static void check_outputs(const struct report *r)
{
	char *buf;
	size_t len;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return;
	out_json_event(out, r);
	fclose(out);
	check_json_line(buf, len, r->e->t_end - r->e->flow.t_first);
	free(buf);
	out = open_memstream(&buf, &len);
	if (!out)
		return;
	out_text_event(out, r);
	fclose(out);
	check_text_line(buf, len);
	free(buf);
}

static void on_event(const struct event *kernel_event, size_t size)
{
	static struct hello_info hello;
	struct event e = *kernel_event;
	const struct flow *f = &e.flow;
	struct report r;
	bool have_hello;

	EXPECT(P_EVENT, size == sizeof(e) && !e.pad0 && all_zero(e.pad, sizeof(e.pad)),
	       "size %zu, padding not zero", size);
	EXPECT(P_EVENT, e.end_cause >= END_ESTABLISHED && e.end_cause <= END_TIMEOUT,
	       "end cause %u", e.end_cause);
	by_end[e.end_cause <= END_TIMEOUT ? e.end_cause : 0]++;
	check_key(P_EVENT, &e.key);
	check_flow(P_EVENT, f, true);
	EXPECT(P_EVENT, (e.end_cause == END_NOT_TLS) == (f->not_tls_from != SIDE_NONE),
	       "end %u, not_tls_from %u", e.end_cause, f->not_tls_from);
	EXPECT(P_EVENT, e.end_cause != END_ALERT ||
	       ((f->alert.flags & ALERT_SEEN) && !(f->alert.flags & ALERT_ENCRYPTED) &&
		f->alert.level == 2), "ended by alert flags %#x level %u", f->alert.flags,
	       f->alert.level);
	EXPECT(P_EVENT, e.end_cause != END_CLOSE || f->close_kind != CLOSE_NONE,
	       "ended by a close of no kind");
	EXPECT(P_TIMES, e.t_end == f->t_last, "t_end %llu, t_last %llu",
	       (unsigned long long)e.t_end, (unsigned long long)f->t_last);
	check_times(f, e.t_end);
	n_reversed += f->t_client_hello > f->t_server_hello && f->t_server_hello;

	have_hello = hello_table_take_info(col.hellos, &e, &hello);
	check_client_hello(P_JOINED, &f->ch);
	report_init(&r, &e, have_hello ? &hello : NULL, col.mono_to_wall);
	EXPECT(P_EVENT, r.d.success == (e.end_cause == END_ESTABLISHED) &&
	       (unsigned)r.d.reason < REASON_MAX && reason_name(r.d.reason),
	       "diagnosis success %d reason %d", r.d.success, r.d.reason);
	/* The certificates of its flights, parsed from hostile bytes. */
	report_certificates(&r, col.flights, col.certs, CERT_WARN_DAYS_DEFAULT);
	aggregate_add(col.agg, &r, collector_now(&col));
	check_outputs(&r);
	report_release(&r);
}

static void check_hello_info(const struct hello_info *hi)
{
	size_t ja3 = strlen(hi->ja3);

	check_client_hello(P_HELLO, &hi->ch);
	EXPECT(P_HELLO, hi->n_ciphers <= HELLO_LIST_MAX && hi->n_exts <= HELLO_LIST_MAX &&
	       hi->n_groups <= HELLO_LIST_MAX && hi->n_sigalgs <= HELLO_LIST_MAX,
	       "list lengths %u %u %u %u", hi->n_ciphers, hi->n_exts, hi->n_groups,
	       hi->n_sigalgs);
	EXPECT(P_HELLO, (!ja3 || (ja3 == JA3_LEN && strspn(hi->ja3, "0123456789abcdef") == ja3)) &&
	       strlen(hi->ja4) <= JA4_LEN, "ja3 %s ja4 %s", hi->ja3, hi->ja4);
}

static void on_hello(const __u8 *data, size_t size)
{
	static struct hello_info hi;
	const struct hello_rec *h = (const struct hello_rec *)data;
	const __u8 *bytes = data + sizeof(*h);
	size_t body;
	__u8 *copy;

	if (size < sizeof(*h) || size != sizeof(*h) + h->len) {
		violation(P_HELLO, "record of %zu bytes", size);
		return;
	}
	n_hellos++;
	EXPECT(P_HELLO, h->len > 5 && h->len <= TLSNOOP_HELLO_MAX, "length %u", h->len);
	EXPECT(P_HELLO, !(h->flags & ~(HELLO_SPLIT | HELLO_TRUNCATED)) &&
	       all_zero(h->pad, sizeof(h->pad)), "flags %#x", h->flags);
	check_key(P_HELLO, &h->key);
	if (h->len <= 5)
		return;
	EXPECT(P_HELLO, bytes[0] == 22 && bytes[1] == 3 && bytes[5] == 1,
	       "bytes %02x %02x .. %02x start no ClientHello", bytes[0], bytes[1], bytes[5]);
	/* The parser takes any record whose body holds a handshake header. */
	body = pkt_rd16(bytes + 3);
	if (body > h->len - 5)
		body = h->len - 5;
	/* An exactly sized copy: ASan sees a read past the bytes. */
	copy = malloc(h->len);
	if (copy) {
		memcpy(copy, bytes, h->len);
		EXPECT(P_HELLO, !hello_parse(copy, h->len, &hi) == (body >= 4),
		       "parser and kernel disagree on a hello of %u bytes", h->len);
		check_hello_info(&hi);
		free(copy);
	}
	hello_table_put(col.hellos, data, size);
}

static void on_packet(const __u8 *data, size_t size)
{
	const struct packet_rec *pr = (const struct packet_rec *)data;
	size_t want;

	if (size < sizeof(*pr) || size != sizeof(*pr) + pr->len) {
		violation(P_PACKET, "record of %zu bytes", size);
		return;
	}
	n_packet_recs++;
	want = frame_run->len < TLSNOOP_PACKET_SNAP ? frame_run->len : TLSNOOP_PACKET_SNAP;
	EXPECT(P_PACKET, copy_packets, "a packet copied without -w");
	EXPECT(P_PACKET, pr->len == want && pr->wire_len == frame_run->len &&
	       !memcmp(data + sizeof(*pr), frame_run->buf, want),
	       "%u bytes of %u, frame %zu bytes", pr->len, pr->wire_len, frame_run->len);
	EXPECT(P_PACKET, pr->side <= SIDE_SERVER && pr->t && all_zero(pr->pad, sizeof(pr->pad)),
	       "side %u time %llu", pr->side, (unsigned long long)pr->t);
	check_key(P_PACKET, &pr->key);
}

static void on_flight(const __u8 *data, size_t size)
{
	const struct flight_rec *fr = (const struct flight_rec *)data;

	if (size < sizeof(*fr) || size != sizeof(*fr) + fr->len) {
		violation(P_FLIGHT, "record of %zu bytes", size);
		return;
	}
	n_flight_recs++;
	EXPECT(P_FLIGHT, fr->len >= 1 && fr->offset + fr->len <= TLSNOOP_FLIGHT_MAX &&
	       fr->side <= SIDE_SERVER && all_zero(fr->pad, sizeof(fr->pad)),
	       "offset %u len %u side %u", fr->offset, fr->len, fr->side);
	EXPECT(P_FLIGHT, fr->len <= frame_run->len &&
	       memmem(frame_run->buf, frame_run->len, data + sizeof(*fr), fr->len),
	       "%u bytes not from the frame run (%zu bytes)", fr->len, frame_run->len);
	check_key(P_FLIGHT, &fr->key);
	flight_table_put(col.flights, data, size);
}

static int on_record(void *ctx, void *data, size_t size)
{
	__u32 type = size >= sizeof(type) ? *(__u32 *)data : 0;

	(void)ctx;
	if (type == REC_HELLO) {
		on_hello(data, size);
	} else if (type == REC_PACKET) {
		on_packet(data, size);
	} else if (type == REC_FLIGHT) {
		on_flight(data, size);
	} else if (type == REC_EVENT && size >= sizeof(struct event)) {
		n_events++;
		on_event(data, size);
	} else {
		violation(P_RECORD, "type %u, %zu bytes", type, size);
	}
	return 0;
}

/* ------------------------------------------------ the flow map, balanced */

static __u64 slots_total(void)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < TLSNOOP_SLOTS; i++)
		sum += skel->bss->flow_slots[i];
	return sum;
}

static void walk_flows(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	__u32 n = 0, max = bpf_map__max_entries(skel->maps.flows);
	struct flow_key k, next;
	struct flow f;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
		if (bpf_map_lookup_elem(fd, &k, &f))
			continue;
		check_key(P_FLOWS, &k);
		check_flow(P_FLOWS, &f, false);
		check_times(&f, f.t_last);
		EXPECT(P_FLOWS, skel->bss->flow_slots[flow_slot(&k)],
		       "a flow in a slot counting zero");
	}
	EXPECT(P_FLOWS, n <= max, "%u flows in a map of %u", n, max);
}

/* The events of expiry, as the collector writes them: one line each. */
static void check_expiry_output(const char *buf, size_t len, bool json)
{
	const char *line = buf, *nl;

	while (line < buf + len && (nl = memchr(line, '\n', buf + len - line))) {
		if (json)	/* at most the time since the test started */
			check_json_line(line, nl + 1 - line, mono_now_ns() - t_start);
		else
			check_text_line(line, nl + 1 - line);
		n_expired++;
		line = nl + 1;
	}
	EXPECT(json ? P_JSON : P_TEXT, line == buf + len, "output ends without a newline");
}

/* Both maps are keyed by struct flow_key. */
static void delete_all(int fd)
{
	struct flow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			break;
}

/* Every flow goes, through the collector's expiry; then nothing is left. */
static void expire_all(void)
{
	int flows = bpf_map__fd(skel->maps.flows), bufs = bpf_map__fd(skel->maps.hello_bufs);
	struct flow_key k;
	char *buf;
	size_t len;
	int round;

	ring_buffer__consume(col.rb);
	col.json = packets_run / PERIOD % 2;
	col.out = open_memstream(&buf, &len);
	if (!col.out)
		return;
	col.timeout_ns = 0;
	for (round = 0; round < 64 && collector_expire(&col); round++)
		;
	fclose(col.out);
	col.out = NULL;
	check_expiry_output(buf, len, col.json);
	free(buf);
	EXPECT(P_BALANCE, bpf_map_get_next_key(flows, NULL, &k), "flows left after expiry");
	EXPECT(P_BALANCE, bpf_map_get_next_key(bufs, NULL, &k), "hello buffers left behind");
	EXPECT(P_BALANCE, !slots_total(), "slot counts sum to %llu with no flow",
	       (unsigned long long)slots_total());
	/* Start the next period clean whatever was found. */
	delete_all(flows);
	delete_all(bufs);
	memset(skel->bss->flow_slots, 0, sizeof(skel->bss->flow_slots));
}

static void period_check(void)
{
	walk_flows();
	expire_all();
}

/* An skb test run refuses a frame longer than its page, and one too short
 * for the IP header its (untagged) ethertype announces. */
static bool tc_takes(const struct pkt *p)
{
	__u16 proto = pkt_rd16(p->buf + 12);

	return p->len <= tc_frame_max && !(proto == 0x0800 && p->len < ETH_HLEN_ + 20) &&
	       !(proto == 0x86dd && p->len < ETH_HLEN_ + 40);
}

static void run_frame(const struct pkt *p, bool tc)
{
	__u32 ret;
	int err;

	if (tc && !tc_takes(p))
		tc = false;
	frame_run = p;
	err = prog_run(tc, p->buf, p->len, &ret);
	EXPECT(P_VERDICT, !err && ret == (tc ? TC_ACT_OK_ : XDP_PASS_),
	       "%s run of %zu bytes: err %d (%s), verdict %u", tc ? "tc" : "xdp", p->len, err,
	       err ? strerror(errno) : "", ret);
	*(tc ? &n_tc : &n_xdp) += 1;
	ring_buffer__consume(col.rb);
	if (++packets_run % PERIOD == 0)
		period_check();
}

/* ------------------------------------------------------------ the packets */

/* One conversation's frames, with the side that sent each. */
static struct {
	struct pkt_flow f;
	char caddr[INET6_ADDRSTRLEN], saddr[INET6_ADDRSTRLEN];
	struct pkt frames[SCRIPT_MAX];
	__u8 side[SCRIPT_MAX];
	int n;
} s;

static struct tlsbuf tb;

static void tb_reset(void)
{
	tb.len = 0;
	tb.version = 0;
}

/* Addresses from a small pool, so that some conversations meet again. */
static void script_init(bool reuse_tuple)
{
	struct pkt_l3l4 o = s.f.dir[0];
	int i;

	s.n = 0;
	if (!reuse_tuple || !o.family) {
		memset(&o, 0, sizeof(o));
		o.family = chance(25) ? 6 : 4;
		if (o.family == 4) {
			snprintf(s.caddr, sizeof(s.caddr), "198.18.%u.%u", below(4), below(256));
			snprintf(s.saddr, sizeof(s.saddr), "198.19.0.%u", below(4));
		} else {
			snprintf(s.caddr, sizeof(s.caddr), "2001:db8::%x:%x", below(4), below(65536));
			snprintf(s.saddr, sizeof(s.saddr), "2001:db8:1::%x", below(4));
		}
		o.saddr = s.caddr;
		o.daddr = s.saddr;
		o.sport = 1024 + below(64512);
		o.dport = chance(50) ? 443 : 8443;
		o.vlans = chance(70) ? 0 : 1 + below(2);
		o.vlan_id[0] = below(4096);
		o.vlan_id[1] = below(4096);
		if (o.family == 4 && chance(20))
			o.ip_optlen = 4 * (1 + below(10));
		o.tcp_optlen = 4 * below(11);
		if (o.family == 6 && chance(25)) {
			static const struct pkt_ext6 ext[] = {
				{ 0, 8 }, { 0, 16 }, { 60, 8 }, { 60, 16 }, { 43, 24 },
			};

			o.n_ext6 = 1 + below(2);
			for (i = 0; i < o.n_ext6; i++)
				o.ext6[i] = ext[below(PKT_NELEM(ext))];
		}
	}
	o.seq = rnd();
	pkt_flow_init(&s.f, &o);
}

static void add_frame(int dir, __u8 flags, const void *data, size_t len)
{
	if (s.n >= SCRIPT_MAX)
		return;
	/* pkt.h offsets the pointer even for no bytes: not NULL, for UBSan. */
	pkt_flow_send(&s.f, dir, &s.frames[s.n], flags, data ? data : "", len);
	s.side[s.n++] = dir;
}

/* Bytes from one side in segments of an MSS, or cut at random places. */
static void add_data(int dir, const __u8 *data, size_t len)
{
	static const size_t mss[] = { 536, 1200, 1448, 1448, 4000, 8000 };
	size_t seg = mss[below(PKT_NELEM(mss))], off = 0, n;
	bool ragged = chance(20);

	while (off < len && s.n < SCRIPT_MAX) {
		n = len - off < seg ? len - off : seg;
		if (ragged)
			n = 1 + below(n);
		add_frame(dir, PKT_ACK | PKT_PSH, data + off, n);
		off += n;
	}
}

static void add_tb(int dir)
{
	add_data(dir, tb.b, tb.len);
	tb_reset();
}

static void tcp_handshake(void)
{
	add_frame(0, PKT_SYN, NULL, 0);
	add_frame(1, PKT_SYN | PKT_ACK, NULL, 0);
	add_frame(0, PKT_ACK, NULL, 0);
}

/* A NUL-terminated name of 1..max bytes: host-name characters, or any
 * byte but NUL (escaping must cope). */
static const char *random_name(char *buf, size_t max)
{
	static const char host[] = "abcdefghijklmnopqrstuvwxyz0123456789.-";
	size_t n = 1 + below(max), i;
	bool raw = chance(15);

	for (i = 0; i < n; i++)
		buf[i] = raw ? 1 + below(255) : host[below(sizeof(host) - 1)];
	buf[n] = '\0';
	return buf;
}

static const __u16 interesting_versions[] = {
	0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x7f1c, 0xfefd, 0x0a0a, 0xffff,
};

static __u16 random_version(void)
{
	return chance(80) ? interesting_versions[below(PKT_NELEM(interesting_versions))] : rnd();
}

static void random_client_hello(void)
{
	static char sni[301], alpn[8][41];
	struct tlsb_ch ch;
	int i;

	tlsb_ch_browser(&ch, NULL, chance(30));
	if (chance(85))
		ch.sni = random_name(sni, chance(10) ? 300 : 40);
	if (chance(20)) {
		ch.n_alpn = 1 + below(8);
		for (i = 0; i < ch.n_alpn; i++)
			ch.alpn[i] = random_name(alpn[i], chance(20) ? 40 : 8);
	}
	if (chance(10))
		ch.version = random_version();
	if (chance(5))
		ch.record_version = random_version();
	if (chance(15))
		for (i = 0; i < ch.n_versions; i++)
			ch.versions[i] = random_version();
	if (chance(10))
		ch.sid_len = below(33);
	if (chance(10))
		ch.n_ciphers = below(TLSB_LIST_MAX + 1);
	if (chance(10)) {	/* padded, sometimes past what the kernel copies */
		ch.exts[ch.n_exts++].type = TLSB_EXT_PADDING;
		ch.pad_to = 256 + below(6000);
	}
	if (chance(10)) {	/* resumption with early data */
		ch.exts[ch.n_exts++].type = TLSB_EXT_EARLY_DATA;
		ch.exts[ch.n_exts++].type = TLSB_EXT_PRE_SHARED_KEY;
		ch.psk_identity_len = below(300);
	}
	tlsb_client_hello(&tb, &ch);
}

static void random_server_hello(__u16 version, bool hrr)
{
	static const __u16 ciphers[] = { 0x1301, 0x1302, 0x1303, 0x1305, 0xc02f, 0xc030, 0x009c };
	static char alpn[41];
	struct tlsb_sh sh;

	tlsb_sh_init(&sh, version);
	sh.hrr = hrr;
	if (chance(20))
		sh.cipher = chance(80) ? ciphers[below(PKT_NELEM(ciphers))] : rnd();
	if (version < 0x0304 && chance(20))
		pkt_pattern(sh.sid, sizeof(sh.sid), 2);	/* the browser hello's id: resumed */
	if (chance(15)) {
		sh.alpn = random_name(alpn, 40);
		sh.exts[sh.n_exts++].type = TLSB_EXT_ALPN;
	}
	if (version >= 0x0304 && chance(10))
		sh.exts[sh.n_exts++].type = TLSB_EXT_PRE_SHARED_KEY;
	if (chance(5))
		sh.selected_version = random_version();
	tlsb_server_hello(&tb, &sh);
}

static const __u8 alert_codes[] = { 0, 10, 20, 40, 42, 45, 46, 48, 50, 70, 80, 90, 112, 116, 120 };

/* A plaintext alert, or a record the size of an encrypted one. */
static void random_alert(int dir)
{
	if (chance(60))
		tlsb_alert(&tb, chance(80) ? 2 : 1 + below(3), alert_codes[below(sizeof(alert_codes))]);
	else
		tlsb_record(&tb, chance(50) ? 0x17 : 0x15, chance(70) ? 19 : chance(50) ? 11 : 1 +
			    below(64));
	add_tb(dir);
}

/* An interruption at any step: an alert, a close, or nothing. Returns true
 * when the conversation ends there. */
static bool interrupt(void)
{
	int dir = below(2);

	if (!chance(8))
		return false;
	if (chance(50))
		random_alert(dir);
	if (chance(70))
		add_frame(dir, PKT_ACK | (chance(50) ? PKT_FIN : PKT_RST), NULL, 0);
	return chance(70);
}

static void encrypted_records(int dir, const int *lens, int n)
{
	int i;

	for (i = 0; i < n; i++)
		tlsb_record(&tb, 0x17, lens[i]);
	add_tb(dir);
}

/* The client's first bytes: mostly a ClientHello. */
static void client_opening(void)
{
	static const __u16 sslv2_ciphers[] = { 0x0035, 0x002f, 0x000a };
	static const char *const plain[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "\x16",
		"\x16\x03",
	};
	__u32 r = below(100);

	if (r < 80)
		random_client_hello();
	else if (r < 84)
		tlsb_sslv2_hello(&tb, random_version(), sslv2_ciphers, 3);
	else if (r < 89)
		tlsb_mem(&tb, plain[r % 4], strlen(plain[r % 4]));
	else if (r < 92)
		tlsb_garbage(&tb, 1 + below(300));
	else if (r < 96)
		tlsb_client_key_exchange(&tb);	/* a handshake message, not a hello */
	else
		tlsb_app_data(&tb, 1 + below(200));
	add_tb(0);
}

static void tls13_handshake(bool hrr)
{
	/* EncryptedExtensions, [CertificateRequest,] Certificate, CertificateVerify,
	 * Finished; the client's [Certificate, CertificateVerify,] Finished. */
	static const int flight[] = { 30, 60, 900, 280, 53 }, client[] = { 800, 280, 53 };
	bool cert_request = chance(20), ccm8 = chance(5);
	int n;

	if (hrr) {
		random_server_hello(0x0304, true);
		tlsb_ccs(&tb);
		add_tb(1);
		tlsb_ccs(&tb);
		random_client_hello();
		add_tb(0);
		if (interrupt())
			return;
	}
	random_server_hello(0x0304, false);
	if (chance(80) && !hrr)
		tlsb_ccs(&tb);
	tlsb_record(&tb, 0x17, flight[0]);
	encrypted_records(1, flight + 2 - cert_request, 3 + cert_request);
	if (interrupt())
		return;
	if (chance(70))
		tlsb_ccs(&tb);
	n = cert_request && chance(70) ? 3 : 1;
	encrypted_records(0, client + 3 - n, n);
	if (interrupt())
		return;
	if (chance(20)) {	/* a close_notify each way (CCM_8-sized or not) */
		static const int cn[] = { 19 }, cn8[] = { 11 };

		encrypted_records(0, ccm8 ? cn8 : cn, 1);
		encrypted_records(1, ccm8 ? cn8 : cn, 1);
	} else {
		static const int ticket[] = { 250 };

		encrypted_records(1, ticket, 1);
	}
}

static void tls12_handshake(void)
{
	random_server_hello(chance(90) ? 0x0303 : random_version(), false);
	if (chance(80)) {
		tlsb_certificate(&tb, 300 + below(1500), 1 + below(3));
		tlsb_server_key_exchange(&tb);
		if (chance(20))
			tlsb_certificate_request(&tb);
		tlsb_server_hello_done(&tb);
	}
	add_tb(1);
	if (interrupt())
		return;
	if (chance(15))
		tlsb_handshake(&tb, 11, 3);	/* an empty Certificate */
	tlsb_client_key_exchange(&tb);
	tlsb_ccs(&tb);
	tlsb_record(&tb, 0x16, 40);
	add_tb(0);
	if (interrupt())
		return;
	if (chance(30))
		tlsb_handshake(&tb, 4, 200);	/* NewSessionTicket */
	tlsb_ccs(&tb);
	tlsb_record(&tb, 0x16, 40);
	add_tb(1);
}

/* A TLS conversation as clients and servers hold them, cut short at random. */
static void build_conversation(void)
{
	script_init(chance(5));
	if (chance(3)) {	/* TCP Fast Open: the hello rides on the SYN */
		random_client_hello();
		add_frame(0, PKT_SYN, tb.b, tb.len < 1400 ? tb.len : 1400);
		tb_reset();
		add_frame(1, PKT_SYN | PKT_ACK, NULL, 0);
	} else {
		if (chance(92))
			tcp_handshake();
		client_opening();
	}
	if (interrupt())
		return;
	switch (below(3)) {
	case 0:
		tls13_handshake(false);
		break;
	case 1:
		tls13_handshake(true);
		break;
	default:
		tls12_handshake();
	}
	if (chance(50)) {
		tlsb_app_data(&tb, 1 + below(3000));
		add_tb(below(2));
	}
	if (chance(80))
		add_frame(below(2), PKT_ACK | (chance(70) ? PKT_FIN : PKT_RST), NULL, 0);
}

/* Records with headers that look right around random bodies and lengths. */
static void random_records(void)
{
	static const int lens[] = { 1, 2, 11, 19, 40, 53, 69, 250 };
	int n = 1 + below(6), i;
	size_t at, body;

	for (i = 0; i < n && tb.len < 8000; i++) {
		body = chance(50) ? (size_t)lens[below(PKT_NELEM(lens))] : below(2000);
		at = tlsb_open(&tb, chance(90) ? 20 + below(5) : rnd(), 0x0300 + below(chance(90) ? 5 : 256));
		rnd_bytes(tlsb_put(&tb, body), body);
		if (body && tb.b[at] == 22 && chance(50))	/* a handshake type that means something */
			tb.b[at + 5] = chance(50) ? 1 + below(2) : below(25);
		tlsb_close(&tb, at);
		if (chance(25))
			pkt_wr16(tb.b + at + 3, rnd());	/* a length that lies */
	}
}

/* Well-formed segments on a watched port, carrying random payloads. */
static void build_random_payloads(void)
{
	static const __u8 flags[] = {
		PKT_ACK | PKT_PSH, PKT_ACK | PKT_PSH, PKT_ACK | PKT_PSH, PKT_ACK, PKT_ACK | PKT_FIN,
		PKT_ACK | PKT_RST, PKT_SYN, PKT_SYN | PKT_ACK, PKT_RST, 0xff,
	};
	int rounds = 1 + below(12), i, dir;
	size_t n;

	script_init(chance(5));
	if (chance(85))
		tcp_handshake();
	if (chance(50)) {
		random_client_hello();
		add_tb(0);
	}
	for (i = 0; i < rounds; i++) {
		dir = below(2);
		if (chance(60)) {
			random_records();
		} else {
			n = 1 + below(3000);
			rnd_bytes(tlsb_put(&tb, n), n);
		}
		if (chance(15))		/* a gap, an overlap, or anywhere */
			s.f.dir[dir].seq += chance(70) ? below(4000) - 2000 : rnd();
		if (tb.len <= 3000 && chance(70))
			add_frame(dir, flags[below(PKT_NELEM(flags))], tb.b, tb.len);
		else
			add_data(dir, tb.b, tb.len);
		tb_reset();
	}
}

/* Random bytes, most stamped with headers that reach the TCP ports. */
static void random_frame(struct pkt *p)
{
	size_t len = ETH_HLEN_ + (chance(60) ? below(200) : below(PKT_MAX - ETH_HLEN_)), l3 = 12, l4;

	rnd_bytes(p->buf, len);
	p->len = len;
	if (!chance(70) || len < 80)
		return;
	if (chance(20)) {
		pkt_wr16(p->buf + l3, chance(50) ? 0x8100 : 0x88a8);
		l3 += 4;
	}
	if (chance(70)) {
		pkt_wr16(p->buf + l3, 0x0800);
		l3 += 2;
		p->buf[l3] = 0x40 | (chance(80) ? 5 : below(16));
		p->buf[l3 + 9] = 6;
		if (chance(70))
			pkt_wr16(p->buf + l3 + 6, 0);	/* not a fragment */
		if (chance(50))
			pkt_wr16(p->buf + l3 + 2, len - l3);
		l4 = l3 + (p->buf[l3] & 15) * 4;
	} else {
		pkt_wr16(p->buf + l3, 0x86dd);
		l3 += 2;
		p->buf[l3] = 0x60;
		p->buf[l3 + 6] = chance(80) ? 6 : below(64);
		if (chance(50))
			pkt_wr16(p->buf + l3 + 4, len - l3 - 40);
		l4 = l3 + 40;
	}
	if (l4 + 20 > len)
		return;
	pkt_wr16(p->buf + l4 + (chance(50) ? 2 : 0), chance(50) ? 443 : 8443);
	if (chance(60))
		p->buf[l4 + 12] = (5 + below(11)) << 4;
}

static void build_random_frames(void)
{
	int n = 1 + below(16);

	for (s.n = 0; s.n < n; s.n++) {
		random_frame(&s.frames[s.n]);
		s.side[s.n] = below(2);
	}
}

/* ------------------------------------------------------------- mutations */

static const __u16 interesting[] = {
	0, 1, 2, 3, 4, 5, 9, 0x10, 0x14, 0x15, 0x16, 0x17, 0x18, 0x7f, 0x80, 0xff, 0x100,
	0x0303, 0x1000, 0x3fff, 0x4000, 0x4800, 0x4801, 0x7fff, 0x8000, 0xfffe, 0xffff,
};

/* Headers (the first 100 bytes) as often as anything after them. */
static size_t mutation_offset(const struct pkt *p)
{
	size_t span = chance(50) && p->len > 100 ? 100 : p->len;

	return below(span);
}

static void mutate(struct pkt *p)
{
	size_t at = mutation_offset(p), n;

	switch (below(6)) {
	case 0:
		p->buf[at] ^= 1 << below(8);
		break;
	case 1:
		p->buf[at] = chance(70) ? interesting[below(PKT_NELEM(interesting))] : rnd();
		break;
	case 2:
		if (at + 2 <= p->len)
			pkt_wr16(p->buf + at, interesting[below(PKT_NELEM(interesting))]);
		break;
	case 3:
		p->len = ETH_HLEN_ + below(p->len - ETH_HLEN_ + 1);
		break;
	case 4:
		n = 1 + below(32);
		if (p->len + n <= PKT_MAX) {
			memmove(p->buf + at + n, p->buf + at, p->len - at);
			rnd_bytes(p->buf + at, n);
			p->len += n;
		}
		break;
	default:
		n = 1 + below(32);
		if (at + n <= p->len && p->len - n >= ETH_HLEN_) {
			memmove(p->buf + at, p->buf + at + n, p->len - at - n);
			p->len -= n;
		}
	}
}

/* ------------------------------------------------------------ the driver */

/* The conversation's frames, in order but for a few dropped, repeated or
 * swapped; mutated at `rate` percent. Clients come in on XDP and servers
 * go out on TC, a quarter the other way round (--hook tc). */
static void send_script(__u32 rate, __u64 limit)
{
	struct pkt tmp;
	int i, k;

	for (i = 0; i < s.n; i++) {
		if (rate && chance(rate)) {
			for (k = 1 + below(4); k; k--)
				mutate(&s.frames[i]);
		}
		if (rate && i + 1 < s.n && chance(5)) {
			tmp = s.frames[i];
			s.frames[i] = s.frames[i + 1];
			s.frames[i + 1] = tmp;
		}
	}
	for (i = 0; i < s.n && packets_run < limit; i++) {
		bool tc = s.side[i] ^ chance(25);

		if (rate && chance(3))
			continue;
		run_frame(&s.frames[i], tc);
		if (rate && chance(3) && packets_run < limit)
			run_frame(&s.frames[i], tc);
	}
}

static void fuzz(__u64 limit)
{
	static const __u32 rates[] = { 0, 5, 20, 50 };
	__u32 r;

	while (packets_run < limit) {
		r = below(100);
		if (r < 15) {
			build_random_frames();
			send_script(0, limit);
		} else if (r < 70) {
			build_conversation();
			send_script(rates[below(PKT_NELEM(rates))], limit);
		} else {
			build_random_payloads();
			send_script(0, limit);
		}
	}
}

static __u64 stat_sum(enum tlsnoop_stat st)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 vals[1024] = {}, sum = 0;
	__u32 k = st;

	if (ncpu > 1024 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &k, vals))
		return 0;
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* Load the programs (with -w's copy or without), run `limit` packets in
 * all through them, check what was lost. */
static int fuzz_skeleton(bool with_copy, __u64 limit)
{
	int err;

	skel = tlsnoop_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	skel->rodata->watched_ports[8443 >> 3] |= 1 << (8443 & 7);
	skel->rodata->copy_packets = copy_packets = with_copy;
	err = tlsnoop_bpf__load(skel);
	if (!err)
		err = collector_init(&col, skel);
	if (!err) {
		/* The records come to the checks first, then to the collector. */
		ring_buffer__free(col.rb);
		col.rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
		err = col.rb ? 0 : -errno;
	}
	if (!err) {
		if (!tc_frame_max)
			tc_frame_max = probe_tc_frame_max();
		fuzz(limit);
		period_check();
		EXPECT(P_LOST, !stat_sum(STAT_RINGBUF_DROPS) && !stat_sum(STAT_HELLO_LOST) &&
		       !stat_sum(STAT_PACKET_LOST) && !hello_table_evicted(col.hellos),
		       "events %llu, hellos %llu, packets %llu lost; %llu hellos evicted",
		       (unsigned long long)stat_sum(STAT_RINGBUF_DROPS),
		       (unsigned long long)stat_sum(STAT_HELLO_LOST),
		       (unsigned long long)stat_sum(STAT_PACKET_LOST),
		       (unsigned long long)hello_table_evicted(col.hellos));
	}
	collector_free(&col);
	memset(&col, 0, sizeof(col));
	tlsnoop_bpf__destroy(skel);
	skel = NULL;
	return err;
}

/* One CPU: the LRU maps' per-CPU lists then behave the same on every run. */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	__u64 total, seed;
	double t0, secs;
	int i, err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PACKETS [SEED]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bpf_packets: must run as root (loads BPF programs)\n");
		return 1;
	}
	total = strtoull(argv[1], NULL, 0);
	seed = argc == 3 ? strtoull(argv[2], NULL, 0) : (__u64)time(NULL) ^ (__u64)getpid() << 32;
	rng_state = seed;
	printf("bpf_packets: seed %llu, %llu packets (repeat: %s %llu %llu)\n",
	       (unsigned long long)seed, (unsigned long long)total, argv[0],
	       (unsigned long long)total, (unsigned long long)seed);
	fflush(stdout);
	pin_cpu();
	json_self_test();

	t0 = now_s();
	t_start = mono_now_ns();
	/* The first half without -w, the second with its packet copy. */
	err = fuzz_skeleton(false, total / 2);
	if (!err)
		err = fuzz_skeleton(true, total);
	secs = now_s() - t0;
	if (err) {
		fprintf(stderr, "bpf_packets: load failed: %s\n", strerror(-err));
		return 1;
	}

	printf("bpf_packets: %llu packets (xdp %llu, tc %llu) in %.1f s, %.0f/s, seed %llu\n",
	       (unsigned long long)packets_run, (unsigned long long)n_xdp,
	       (unsigned long long)n_tc, secs, packets_run / secs, (unsigned long long)seed);
	printf("bpf_packets: records: %llu hellos, %llu packets, %llu flights, %llu events "
	       "(established %llu, alert %llu, close %llu, not_tls %llu, timeout %llu; %llu with "
	       "the ServerHello first); %llu expired by the collector\n",
	       (unsigned long long)n_hellos, (unsigned long long)n_packet_recs,
	       (unsigned long long)n_flight_recs,
	       (unsigned long long)n_events, (unsigned long long)by_end[END_ESTABLISHED],
	       (unsigned long long)by_end[END_ALERT], (unsigned long long)by_end[END_CLOSE],
	       (unsigned long long)by_end[END_NOT_TLS], (unsigned long long)by_end[END_TIMEOUT],
	       (unsigned long long)n_reversed, (unsigned long long)n_expired);
	for (i = 0; i < P_MAX; i++) {
		current = prop_names[i];
		CHECK(!violations[i], "%llu violations (seed %llu)",
		      (unsigned long long)violations[i], (unsigned long long)seed);
	}
	printf("bpf_packets: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
