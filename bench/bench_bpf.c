// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-packet cost of xdp_tlsnoop, measured with BPF_PROG_TEST_RUN beside an
 * XDP program that only returns XDP_PASS (bench/baseline.bpf.c): same frame,
 * same repetitions, same run. Prints Markdown tables (stdout) that
 * bench/run.sh puts into docs/performance.md; progress goes to stderr.
 *
 * Two ways of running a case:
 *
 *  loop	one frame, repeated in the kernel (opts.repeat). Only for frames
 *		whose every repetition does the same work: the first repetition
 *		must not leave state that turns the next ones into something
 *		cheaper (a retransmission, a flow already there).
 *  reset	one frame per BPF_PROG_TEST_RUN call (repeat 1); before each
 *		call the flow entry the frame needs is written back into the
 *		flows map from a snapshot. For server packets, which never open
 *		a flow and so cannot be repeated in a loop. Each call also times
 *		one ktime_get_ns() and an indirect call, so only the difference
 *		to the baseline, measured the same way, says what tlsnoop costs.
 *
 * A loop case that emits records (event, hello) per packet runs in chunks that fit the
 * ring buffer, which is drained between chunks: no event is ever dropped
 * (checked against STAT_RINGBUF_DROPS and the events counted).
 *
 * Usage: bench_bpf [-r repeat] [-n runs] [-N reset_calls] [-c cpu] [-C case] [-s] [-w]
 *	-r	repetitions per loop run (default 1000000)
 *	-n	runs, of which the median is reported (default 5)
 *	-N	calls per reset run (default 200000)
 *	-c	CPU to run on (default: the last one online)
 *	-C	run only case number `case` (for perf record and the like)
 *	-s	also measure program-only time with BPF_ENABLE_STATS
 *	-w	load tlsnoop as -w does (copy_packets): handshake packets copied
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define BENCH_NAME "bench_bpf"
#include "bench.h"
#include "pkt.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "baseline.skel.h"

#define RUNS_MAX	15
#define VLOG_SIZE	(1 << 16)
/* Ring-buffer room per packet is sized for a ClientHello up to this size. */
#define HELLO_BYTES_MAX	1024
/* Per-client budget (handshakes/s, and as many at once): above what row 4 runs. */
#define BUDGET_RATE	1000000

enum mode { MODE_LOOP, MODE_RESET };
enum target { TGT_NONE, TGT_DELTA, TGT_ABS };

struct bcase {
	const char *name;
	enum mode mode;
	__u8 emits;		/* end_cause of the event each packet emits, 0: none */
	bool hands_hello;	/* each packet hands a ClientHello to the ring buffer */
	enum target tgt;
	double tgt_ns;
	struct pkt frame;
	bool has_snap;		/* reset mode: flow entry restored before each call */
	struct flow_key key;
	struct flow snap;
	/* per run: test-run duration, and program-only time (bpf_stats) */
	double ns[RUNS_MAX], base[RUNS_MAX];
	double st_ns[RUNS_MAX], st_base[RUNS_MAX];
	__u64 packets, events, bad_events, hellos;
};

static struct tlsnoop_bpf *skel;
static struct baseline_bpf *base_skel;
static struct ring_buffer *rb;
static int tls_fd, base_fd, flows_fd;
static __u64 n_events, n_bad, n_hellos, n_packets;
static __u8 want_cause;
static int runs = 5, cpu = -1, only;
static __u32 repeat = 1000000, reset_calls = 200000, chunk;
static bool with_stats, with_packets;
static char vlog[VLOG_SIZE], vlog_tc[VLOG_SIZE];

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;

	(void)ctx;
	if (e->type == REC_HELLO) {
		n_hellos++;
		return 0;
	}
	if (e->type == REC_PACKET) {
		n_packets++;
		return 0;
	}
	n_events++;
	if (size < sizeof(*e) || e->end_cause != want_cause)
		n_bad++;
	return 0;
}

static void drain(void)
{
	if (ring_buffer__consume(rb) < 0)
		die("ring_buffer__consume");
}

static __u64 stat_sum(enum tlsnoop_stat s)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 vals[1024] = {}, sum = 0;
	__u32 k = s;

	if (ncpu > 1024 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &k, vals))
		die("stats lookup");
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static int flows_count(void)
{
	struct flow_key k, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(flows_fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static void flows_clear(void)
{
	struct flow_key k;

	/* As the collector's expiry does: delete, then lower the slot. */
	while (!bpf_map_get_next_key(flows_fd, NULL, &k))
		if (!bpf_map_delete_elem(flows_fd, &k))
			skel->bss->flow_slots[flow_slot(&k)]--;
}

/*
 * ns per packet of `repeat` repetitions: one call, or for tlsnoop on a frame
 * that emits events, calls of `chunk` repetitions with the ring buffer
 * drained in between (the baseline emits nothing: one call).
 */
static double run_loop(int fd, const struct bcase *c)
{
	__u32 step = c->emits && fd == tls_fd ? chunk : repeat, n;
	__u64 done = 0, ns = 0;

	while (done < repeat) {
		n = repeat - done < step ? repeat - done : step;
		ns += (__u64)test_run(fd, &c->frame, n) * n;
		done += n;
		if (step < repeat)
			drain();
	}
	return (double)ns / done;
}

/* ns per packet of `reset_calls` single-packet calls, state restored each time. */
static double run_reset(int fd, const struct bcase *c)
{
	__u64 ns = 0;
	__u32 i;

	for (i = 0; i < reset_calls; i++) {
		/* A flow put back counts in its slot, as flow_create does. */
		if (c->has_snap) {
			if (!bpf_map_update_elem(flows_fd, &c->key, &c->snap, BPF_NOEXIST))
				skel->bss->flow_slots[flow_slot(&c->key)]++;
			else if (bpf_map_update_elem(flows_fd, &c->key, &c->snap, BPF_EXIST))
				die("flow restore");
		}
		ns += test_run(fd, &c->frame, 1);
		if ((c->emits || c->hands_hello || with_packets) && i % chunk == chunk - 1)
			drain();
	}
	drain();
	if (c->has_snap && !bpf_map_delete_elem(flows_fd, &c->key))
		skel->bss->flow_slots[flow_slot(&c->key)]--;
	return (double)ns / reset_calls;
}

static double measure(int fd, const struct bcase *c)
{
	return c->mode == MODE_LOOP ? run_loop(fd, c) : run_reset(fd, c);
}

static __u64 packets_of(const struct bcase *c)
{
	return c->mode == MODE_LOOP ? repeat : reset_calls;
}

struct prog_stats {
	__u64 run_time_ns, run_cnt;
};

static struct prog_stats prog_stats(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("prog info");
	return (struct prog_stats){ info.run_time_ns, info.run_cnt };
}

/* ns per packet of the program alone, from the kernel's bpf_stats. */
static double measure_stats(int fd, const struct bcase *c)
{
	struct prog_stats a = prog_stats(fd), b;

	measure(fd, c);
	b = prog_stats(fd);
	if (b.run_cnt == a.run_cnt)
		return 0;
	return (double)(b.run_time_ns - a.run_time_ns) / (b.run_cnt - a.run_cnt);
}

/* tlsnoop run of one case, with the checks that it did what it should. */
static double measure_tls(struct bcase *c, double (*how)(int, const struct bcase *))
{
	__u64 ev0 = n_events, bad0 = n_bad, hello0 = n_hellos;
	double ns;

	want_cause = c->emits;
	ns = how(tls_fd, c);
	drain();
	c->packets += packets_of(c);
	c->events += n_events - ev0;
	c->bad_events += n_bad - bad0;
	c->hellos += n_hellos - hello0;
	if (flows_count()) {
		fprintf(stderr, "bench_bpf: [%s] left flows behind\n", c->name);
		flows_clear();
	}
	return ns;
}

static double measure_base(struct bcase *c, double (*how)(int, const struct bcase *))
{
	double ns = how(base_fd, c);

	drain();
	return ns;
}

/* ------------------------------------------------------------------ frames */

static struct tlsbuf tb;

static void conv(struct pkt_flow *f, int family)
{
	struct pkt_l3l4 o = {
		.family = family,
		.saddr = family == 6 ? "2001:db8::2" : "198.18.0.2",
		.daddr = family == 6 ? "2001:db8::1" : "198.18.0.1",
		.sport = 40000, .dport = 443, .seq = 1000, .tcp_optlen = 12,
	};

	pkt_flow_init(f, &o);
}

static void tls_client_hello(struct tlsbuf *b)
{
	struct tlsb_ch ch;

	tlsb_ch_browser(&ch, "www.example.com", false);
	memset(b, 0, sizeof(*b));
	tlsb_client_hello(b, &ch);
	if (b->len > HELLO_BYTES_MAX) {
		fprintf(stderr, "bench_bpf: ClientHello over %d bytes\n", HELLO_BYTES_MAX);
		exit(1);
	}
}

/* Run a setup frame through tlsnoop once and keep the flow it leaves. */
static void snapshot(struct bcase *c, const struct pkt *setup)
{
	flows_clear();
	test_run(tls_fd, setup, 1);
	if (bpf_map_get_next_key(flows_fd, NULL, &c->key) ||
	    bpf_map_lookup_elem(flows_fd, &c->key, &c->snap)) {
		fprintf(stderr, "bench_bpf: [%s] setup frame left no flow\n", c->name);
		exit(1);
	}
	c->has_snap = true;
	flows_clear();
}

enum {
	C_NON_TLS, C_APPDATA, C_APPDATA_SRV, C_HELLO_FIN, C_HELLO_FIN_1, C_HELLO_SYN,
	C_SERVER_HELLO, C_ALERT, C_MAX
};

static struct bcase cases[C_MAX];

static bool selected(int i)
{
	return !only || only == i + 1;
}

static void build_cases(void)
{
	static const char http[] =
		"GET / HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\n"
		"Accept: */*\r\n\r\n";
	struct pkt_l3l4 o;
	struct pkt_flow f;
	struct tlsb_sh sh;
	struct pkt setup;
	struct bcase *c;

	c = &cases[C_NON_TLS];
	c->name = "non-TLS: TCP to port 80, 78 B HTTP request";
	c->mode = MODE_LOOP;
	c->tgt = TGT_DELTA;
	c->tgt_ns = 3;
	o = (struct pkt_l3l4){ .family = 4, .saddr = "198.18.0.2", .daddr = "198.18.0.1",
			       .sport = 40001, .dport = 80, .flags = PKT_ACK | PKT_PSH,
			       .seq = 1000, .ack = 5000, .tcp_optlen = 12 };
	pkt_tcp(&c->frame, &o, http, sizeof(http) - 1);

	/* Application data with no flow: as after an established handshake. */
	c = &cases[C_APPDATA];
	c->name = "application data to port 443 (1 KB 0x17 record), no flow";
	c->mode = MODE_LOOP;
	c->tgt = TGT_DELTA;
	c->tgt_ns = 25;
	conv(&f, 4);
	memset(&tb, 0, sizeof(tb));
	tlsb_app_data(&tb, 1024);
	pkt_flow_send(&f, 0, &c->frame, PKT_ACK | PKT_PSH, tb.b, tb.len);

	c = &cases[C_APPDATA_SRV];
	c->name = "application data from port 443 (1 KB 0x17 record), no flow";
	c->mode = MODE_LOOP;
	c->tgt = TGT_DELTA;
	c->tgt_ns = 25;
	pkt_flow_send(&f, 1, &c->frame, PKT_ACK | PKT_PSH, tb.b, tb.len);

	/* ClientHello + FIN without SYN: every repetition opens the flow,
	 * parses the hello, emits the event (END_CLOSE) and deletes the flow. */
	c = &cases[C_HELLO_FIN];
	c->name = "ClientHello (16 ciphers, 15 ext.) + FIN: flow, hand-over, event, delete";
	c->mode = MODE_LOOP;
	c->emits = END_CLOSE;
	c->hands_hello = true;
	c->tgt = TGT_ABS;
	c->tgt_ns = 150;
	conv(&f, 4);
	tls_client_hello(&tb);
	pkt_flow_send(&f, 0, &c->frame, PKT_ACK | PKT_PSH | PKT_FIN, tb.b, tb.len);

	/* The same frame, one per call: relates reset-mode rows to loop rows. */
	cases[C_HELLO_FIN_1] = cases[C_HELLO_FIN];
	c = &cases[C_HELLO_FIN_1];
	c->name = "same ClientHello + FIN, one packet per call";
	c->mode = MODE_RESET;
	c->tgt = TGT_NONE;

	/* The common case: the SYN opened the flow, the hello is parsed into
	 * it; the event comes later, with another packet. */
	c = &cases[C_HELLO_SYN];
	c->name = "ClientHello on a flow opened by its SYN (hand-over, no event)";
	c->mode = MODE_RESET;
	c->hands_hello = true;
	conv(&f, 4);
	pkt_flow_send(&f, 0, &setup, PKT_SYN, NULL, 0);
	f.dir[1].seq++;		/* the SYN-ACK */
	pkt_flow_send(&f, 0, &c->frame, PKT_ACK | PKT_PSH, tb.b, tb.len);
	snapshot(c, &setup);

	/* Server packets: the flow must hold a parsed ClientHello. */
	conv(&f, 4);
	pkt_flow_send(&f, 0, &setup, PKT_ACK | PKT_PSH, tb.b, tb.len);

	c = &cases[C_SERVER_HELLO];
	c->name = "ServerHello (TLS 1.3) on a flow with its ClientHello";
	c->mode = MODE_RESET;
	tlsb_sh_init(&sh, 0x0304);
	memset(&tb, 0, sizeof(tb));
	tlsb_server_hello(&tb, &sh);
	pkt_flow_send(&f, 1, &c->frame, PKT_ACK | PKT_PSH, tb.b, tb.len);
	snapshot(c, &setup);

	c = &cases[C_ALERT];
	c->name = "fatal alert from the server after a ClientHello: event, delete";
	c->mode = MODE_RESET;
	c->emits = END_ALERT;
	memset(&tb, 0, sizeof(tb));
	tlsb_alert(&tb, 2, 40);
	pkt_flow_send(&f, 1, &c->frame, PKT_ACK | PKT_PSH, tb.b, tb.len);
	snapshot(c, &setup);
}

/* ------------------------------------------------------------------ report */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[RUNS_MAX];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double spread(const double *v, int n)
{
	double lo = v[0], hi = v[0];

	for (int i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return hi - lo;
}

static void cpu_model(char *buf, size_t n)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	char line[256], *p;

	snprintf(buf, n, "unknown CPU");
	while (fp && fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "model name", 10) || !(p = strchr(line, ':')))
			continue;
		p += strspn(p, ": \t");
		p[strcspn(p, "\n")] = 0;
		snprintf(buf, n, "%s", p);
		break;
	}
	if (fp)
		fclose(fp);
}

static int report_times(void)
{
	int i, misses = 0;

	printf("| # | case | mode | ns/packet | baseline ns | delta ns | ratio | spread ns | target | result |\n");
	printf("|---|------|------|----------:|------------:|---------:|------:|----------:|--------|--------|\n");
	for (i = 0; i < C_MAX; i++) {
		if (!selected(i))
			continue;
		struct bcase *c = &cases[i];
		double ns = median(c->ns, runs), b = median(c->base, runs), d = ns - b;
		char tgt[64] = "—", res[16] = "—";

		if (c->tgt == TGT_DELTA) {
			snprintf(tgt, sizeof(tgt), "≤ baseline + %.0f ns", c->tgt_ns);
			snprintf(res, sizeof(res), "%s", d <= c->tgt_ns ? "PASS" : "**FAIL**");
		} else if (c->tgt == TGT_ABS) {
			snprintf(tgt, sizeof(tgt), "≤ %.0f ns", c->tgt_ns);
			snprintf(res, sizeof(res), "%s", ns <= c->tgt_ns ? "PASS" : "**FAIL**");
		}
		misses += res[0] == '*';
		printf("| %d | %s | %s | %.1f | %.1f | %+.1f | %.2f | %.1f | %s | %s |\n", i + 1,
		       c->name, c->mode == MODE_LOOP ? "loop" : "reset", ns, b, d, b > 0 ? ns / b : 0,
		       spread(c->ns, runs), tgt, res);
	}
	return misses;
}

static void report_stats(void)
{
	printf("\n| # | case | program ns/packet | baseline program ns | delta ns |\n");
	printf("|---|------|------------------:|--------------------:|---------:|\n");
	for (int i = 0; i < C_MAX; i++) {
		if (!selected(i))
			continue;
		struct bcase *c = &cases[i];
		double ns = median(c->st_ns, runs), b = median(c->st_base, runs);

		printf("| %d | %s | %.1f | %.1f | %+.1f |\n", i + 1, c->name, ns, b, ns - b);
	}
}

static void report_checks(void)
{
	printf("\n| # | packets run (all passes) | events expected | events received | "
	       "wrong end cause | hellos expected | hellos received |\n");
	printf("|---|------------------------:|----------------:|----------------:|"
	       "----------------:|----------------:|----------------:|\n");
	for (int i = 0; i < C_MAX; i++) {
		if (!selected(i))
			continue;
		struct bcase *c = &cases[i];

		printf("| %d | %llu | %llu | %llu | %llu | %llu | %llu |\n", i + 1,
		       (unsigned long long)c->packets,
		       (unsigned long long)(c->emits ? c->packets : 0),
		       (unsigned long long)c->events, (unsigned long long)c->bad_events,
		       (unsigned long long)(c->hands_hello ? c->packets : 0),
		       (unsigned long long)c->hellos);
	}
	printf("\nKernel counters after the run: ring buffer drops %llu, hellos lost %llu, "
	       "flow map full %llu, stream desync %llu.\n",
	       (unsigned long long)stat_sum(STAT_RINGBUF_DROPS),
	       (unsigned long long)stat_sum(STAT_HELLO_LOST),
	       (unsigned long long)stat_sum(STAT_FLOW_FULL),
	       (unsigned long long)stat_sum(STAT_DESYNC));
	if (with_packets)
		printf("\nWith -w: %llu packets copied, %llu not copied (ring buffer half full), "
		       "%llu over the per-connection cap.\n", (unsigned long long)n_packets,
		       (unsigned long long)stat_sum(STAT_PACKET_LOST),
		       (unsigned long long)stat_sum(STAT_PACKET_CAPPED));
}

/* "processed N insns" and the verification time from a BPF_LOG_STATS log. */
static void log_stats(const char *log, long *insns, long *usec)
{
	const char *p = strstr(log, "processed ");

	*insns = p ? strtol(p + 10, NULL, 10) : -1;
	p = strstr(log, "verification time ");
	*usec = p ? strtol(p + 18, NULL, 10) : -1;
}

static void report_prog(const char *name, int fd, const char *log)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	long insns = -1, usec = -1;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("prog info");
	if (log)
		log_stats(log, &insns, &usec);
	printf("| %s | %u | %u | %u | %u | ", name, info.id, info.xlated_prog_len,
	       info.jited_prog_len, info.verified_insns);
	if (insns >= 0)
		printf("%ld | %ld |\n", insns, usec);
	else
		printf("— | — |\n");
}

static void report_verifier(void)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char cmd[128], line[512];
	FILE *fp;

	printf("\n| program | id | xlated bytes | jited bytes | verified insns (prog info) | "
	       "processed insns (log) | verification µs |\n");
	printf("|---------|---:|-------------:|------------:|---------------------------:|"
	       "----------------------:|----------------:|\n");
	report_prog("xdp_tlsnoop", tls_fd, vlog);
	report_prog("tc_tlsnoop", bpf_program__fd(skel->progs.tc_tlsnoop), vlog_tc);
	report_prog("xdp_baseline", base_fd, NULL);

	if (bpf_obj_get_info_by_fd(tls_fd, &info, &len))
		die("prog info");
	snprintf(cmd, sizeof(cmd), "bpftool prog show id %u 2>&1", info.id);
	fp = popen(cmd, "r");
	if (!fp)
		return;
	printf("\n```\n$ bpftool prog show id <xdp_tlsnoop>\n");
	while (fgets(line, sizeof(line), fp))
		fputs(line, stdout);
	printf("```\n");
	pclose(fp);
}

/* -------------------------------------------------------------------- main */

static void load(void)
{
	skel = tlsnoop_bpf__open();
	if (!skel)
		die("open tlsnoop");
	skel->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	skel->rodata->copy_packets = with_packets;
	/* The per-client budget consulted at every flow creation, as by default,
	 * but never biting: row 4 opens a flow from one client a million times. */
	skel->rodata->budget_interval_ns = 1000000000ULL / BUDGET_RATE;
	skel->rodata->budget_tolerance_ns = (BUDGET_RATE - 1) * (1000000000ULL / BUDGET_RATE);
	/* Verifier statistics (BPF_LOG_STATS) for both tlsnoop programs. */
	bpf_program__set_log_level(skel->progs.xdp_tlsnoop, 4);
	bpf_program__set_log_buf(skel->progs.xdp_tlsnoop, vlog, sizeof(vlog));
	bpf_program__set_log_level(skel->progs.tc_tlsnoop, 4);
	bpf_program__set_log_buf(skel->progs.tc_tlsnoop, vlog_tc, sizeof(vlog_tc));
	if (tlsnoop_bpf__load(skel))
		die("load tlsnoop");
	base_skel = baseline_bpf__open_and_load();
	if (!base_skel)
		die("load baseline");
	tls_fd = bpf_program__fd(skel->progs.xdp_tlsnoop);
	base_fd = bpf_program__fd(base_skel->progs.xdp_baseline);
	flows_fd = bpf_map__fd(skel->maps.flows);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb)
		die("ring buffer");
	/* The records of a chunk (an event and a hello per packet; with -w
	 * the packet too) fill at most 7/8 of the (drained) ring buffer, 3/8
	 * with -w (packets are copied only into its first half): each takes
	 * an 8-byte header and is rounded up to 8 bytes. */
	chunk = bpf_map__max_entries(skel->maps.events) / 8 * (with_packets ? 3 : 7) /
		((sizeof(struct event) + 8 + 7) / 8 * 8 +
		 (sizeof(struct hello_rec) + HELLO_BYTES_MAX + 8 + 7) / 8 * 8 +
		 (with_packets ? (sizeof(struct packet_rec) + HELLO_BYTES_MAX + 128 + 8 + 7) / 8 * 8
			       : 0));
}

static void pin(void)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_bpf [-r repeat] [-n runs] [-N reset_calls] [-c cpu] "
		"[-C case] [-s] [-w]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char model[128];
	struct utsname u;
	int opt, r, i, stats_fd = -1, misses;

	while ((opt = getopt(argc, argv, "r:n:N:c:C:sw")) != -1) {
		switch (opt) {
		case 'r': repeat = strtoul(optarg, NULL, 0); break;
		case 'n': runs = atoi(optarg); break;
		case 'N': reset_calls = strtoul(optarg, NULL, 0); break;
		case 'c': cpu = atoi(optarg); break;
		case 'C': only = atoi(optarg); break;
		case 's': with_stats = true; break;
		case 'w': with_packets = true; break;
		default: usage();
		}
	}
	if (runs < 1 || runs > RUNS_MAX || !repeat || !reset_calls || only < 0 || only > C_MAX)
		usage();
	if (geteuid() != 0) {
		fprintf(stderr, "bench_bpf: must run as root (loads BPF programs)\n");
		return 1;
	}
	pin();
	load();
	build_cases();

	for (r = 0; r < runs; r++) {
		for (i = 0; i < C_MAX; i++) {
			if (!selected(i))
				continue;
			struct bcase *c = &cases[i];

			fprintf(stderr, "\rbench_bpf: run %d/%d, case %d/%d ", r + 1, runs, i + 1, C_MAX);
			/* Alternate which of the two goes first. */
			if (r % 2) {
				c->ns[r] = measure_tls(c, measure);
				c->base[r] = measure_base(c, measure);
			} else {
				c->base[r] = measure_base(c, measure);
				c->ns[r] = measure_tls(c, measure);
			}
		}
	}
	if (with_stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			die("BPF_ENABLE_STATS");
		for (r = 0; r < runs; r++) {
			for (i = 0; i < C_MAX; i++) {
				if (!selected(i))
					continue;
				struct bcase *c = &cases[i];

				fprintf(stderr, "\rbench_bpf: bpf_stats run %d/%d, case %d/%d ", r + 1,
					runs, i + 1, C_MAX);
				c->st_base[r] = measure_base(c, measure_stats);
				c->st_ns[r] = measure_tls(c, measure_stats);
			}
		}
		close(stats_fd);
	}
	fprintf(stderr, "\n");

	uname(&u);
	cpu_model(model, sizeof(model));
	printf("Kernel %s (%s), %s, %ld CPUs online, measured on CPU %d. "
	       "Median of %d runs; loop: %u repetitions per run (chunks of %u when each "
	       "emits an event); reset: %u calls per run.%s\n\n", u.release, u.machine, model,
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, runs, repeat, chunk, reset_calls,
	       with_packets ? " Loaded as with -w: packets of handshakes copied." : "");
	misses = report_times();
	if (with_stats) {
		printf("\nProgram-only time, from the kernel's BPF statistics "
		       "(BPF_ENABLE_STATS, as kernel.bpf_stats_enabled=1): run_time_ns / run_cnt.\n");
		report_stats();
	}
	report_checks();
	report_verifier();

	ring_buffer__free(rb);
	baseline_bpf__destroy(base_skel);
	tlsnoop_bpf__destroy(skel);
	return misses ? 3 : 0;
}
