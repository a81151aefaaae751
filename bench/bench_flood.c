// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A flood of ClientHellos through xdp_tlsnoop (BPF_PROG_TEST_RUN, one call
 * per packet, beside the pass-only baseline on the same frame), with the
 * real collector draining the ring buffer every 100 ms and walking the flow
 * table every second, as tlsnoop does live. Prints Markdown tables (stdout)
 * that bench/run.sh puts into docs/performance.md.
 *
 *  flood	`packets` ClientHellos from `addresses` clients (10.0.0.0/8), one
 *		new connection each: the first round opens flows and hands the
 *		hellos over (no event), the next rounds carry FIN (event, delete).
 *  noisy	NOISY_PACKETS ClientHellos from one client, one new connection
 *		each: what the per-client budget lets through.
 *
 * Before and after, rows 1 and 2 of bench_bpf (a packet to an unwatched
 * port, application data to 443 without a flow) say what the flood left
 * behind in the per-packet cost.
 *
 * Usage: bench_flood [-n packets] [-a addresses] [-c cpu]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#define BENCH_NAME "bench_flood"
#include "bench.h"
#include "pkt.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "baseline.skel.h"
#include "collect.h"
#include "diagnose.h"

#define NOISY_PACKETS	60000
#define POLL_NS		100000000ULL	/* the collector's ring-buffer poll */
#define EXPIRE_NS	1000000000ULL	/* its expiry walk */
#define LOOP_REPEAT	100000		/* repetitions of a "cost left behind" frame */
#define UNTRACKED_CONNS	64		/* connections it is averaged over */

static struct tlsnoop_bpf *skel;
static struct baseline_bpf *base_skel;
static struct collector col;
static int tls_fd, base_fd;
static __u32 n_packets = 2000000, n_addresses = 1000000;
static int cpu = -1;
static bool no_budget;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static __u64 stat_kernel(enum tlsnoop_stat s)
{
	__u64 stats[STAT_MAX];

	collector_stats(&col, stats);
	return stats[s];
}

static __u32 flows_present(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct flow_key k, next;
	void *prev = NULL;
	__u32 n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ frames */

static struct tlsbuf hello;

static void client_hello_frame(struct pkt *p, __u32 client, __u16 sport, __u8 flags)
{
	char addr[16];
	struct pkt_l3l4 o = { .family = 4, .saddr = addr, .daddr = "198.18.0.1", .sport = sport,
			      .dport = 443, .flags = PKT_ACK | PKT_PSH | flags, .seq = 1000,
			      .ack = 5000, .tcp_optlen = 12 };

	snprintf(addr, sizeof(addr), "10.%u.%u.%u", client >> 16 & 255, client >> 8 & 255,
		 client & 255);
	pkt_tcp(p, &o, hello.b, hello.len);
}

/* ------------------------------------------------------------------ phases */

struct phase {
	__u64 packets, tls_ns, base_ns;
	__u64 wall_ns;
	__u32 max_present;
};

/* The collector's side, on its clock: drain every 100 ms, walk every 1 s. */
static void collector_tick(struct phase *ph, __u64 *last_poll, __u64 *last_expire)
{
	__u64 t = now_ns();

	if (t - *last_poll >= POLL_NS) {
		collector_poll(&col, 0);
		*last_poll = t;
	}
	if (t - *last_expire >= EXPIRE_NS) {
		__u64 present = collector_expire(&col);

		if (present > ph->max_present)
			ph->max_present = present;
		*last_expire = now_ns();
	}
}

static void run_packet(struct phase *ph, const struct pkt *p)
{
	ph->tls_ns += test_run(tls_fd, p, 1);
	ph->base_ns += test_run(base_fd, p, 1);
	ph->packets++;
}

static void flood(struct phase *ph)
{
	__u64 start = now_ns(), last_poll = start, last_expire = start;
	struct pkt p;
	__u32 i, round;

	for (i = 0; i < n_packets; i++) {
		round = i / n_addresses;
		client_hello_frame(&p, i % n_addresses, 1024 + round, round ? PKT_FIN : 0);
		run_packet(ph, &p);
		if (!(i & 255))
			collector_tick(ph, &last_poll, &last_expire);
	}
	ph->wall_ns = now_ns() - start;
}

static void noisy(struct phase *ph)
{
	__u64 start = now_ns(), last_poll = start, last_expire = start;
	struct pkt p;
	__u32 i;

	for (i = 0; i < NOISY_PACKETS; i++) {
		/* Outside 10.0.0.0/8's first million: a client of its own. */
		client_hello_frame(&p, 0xfffffe, 1024 + i, 0);
		run_packet(ph, &p);
		if (!(i & 255))
			collector_tick(ph, &last_poll, &last_expire);
	}
	ph->wall_ns = now_ns() - start;
}

/*
 * What packets of no handshake cost after the flood, in ns over the
 * baseline (loops of LOOP_REPEAT): to an unwatched port, and application
 * data to 443 averaged over UNTRACKED_CONNS connections, since whether one
 * skips the flow lookup depends on its pre-filter slot.
 */
struct untracked {
	struct pkt unwatched, appdata[UNTRACKED_CONNS];
};

static struct untracked untracked;

static void untracked_frames(struct untracked *u)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
	struct pkt_l3l4 o = { .family = 4, .saddr = "198.18.0.2", .daddr = "198.18.0.1",
			      .sport = 40001, .dport = 80, .flags = PKT_ACK | PKT_PSH,
			      .seq = 1000, .ack = 5000, .tcp_optlen = 12 };
	struct tlsbuf data = {};
	int i;

	pkt_tcp(&u->unwatched, &o, http, sizeof(http) - 1);
	o.dport = 443;
	tlsb_app_data(&data, 1024);
	for (i = 0; i < UNTRACKED_CONNS; i++) {
		o.sport = 40001 + i;
		pkt_tcp(&u->appdata[i], &o, data.b, data.len);
	}
}

static double cost_over_baseline(const struct pkt *p)
{
	double base = test_run(base_fd, p, LOOP_REPEAT);

	return test_run(tls_fd, p, LOOP_REPEAT) - base;
}

struct cost_left {
	double unwatched, appdata;
	double slots_used;	/* share of pre-filter slots counting a flow */
	__u64 stale;		/* counts in them of flows no longer there */
};

static struct cost_left cost_left(void)
{
	struct cost_left c = {};
	__u64 counted = 0;
	__u32 i, used = 0;

	for (i = 0; i < 3; i++)
		c.unwatched += cost_over_baseline(&untracked.unwatched) / 3;
	for (i = 0; i < UNTRACKED_CONNS; i++)
		c.appdata += cost_over_baseline(&untracked.appdata[i]) / UNTRACKED_CONNS;
	for (i = 0; i < TLSNOOP_SLOTS; i++) {
		used += !!skel->bss->flow_slots[i];
		counted += skel->bss->flow_slots[i];
	}
	c.slots_used = (double)used / TLSNOOP_SLOTS;
	c.stale = counted - flows_present();
	return c;
}

/* One measure at the four times; `fmt` prints one value. */
static void print_cost_row(const char *what, const char *fmt, double before, double flood,
			   double walks, double expired)
{
	const double v[] = { before, flood, walks, expired };
	int i;

	printf("| %s: before / right after the flood / after the walks / after the timeout | ",
	       what);
	for (i = 0; i < 4; i++) {
		printf(fmt, v[i]);
		printf(i < 3 ? " / " : " |\n");
	}
}

/* ------------------------------------------------------------------ main */

static void load(void)
{
	skel = tlsnoop_bpf__open();
	if (!skel)
		die("open tlsnoop");
	/* As `tlsnoop -p 443` loads it: default flow table and budget. */
	skel->rodata->watched_ports[443 >> 3] |= 1 << (443 & 7);
	if (!no_budget)
		client_budget_set(skel, TLSNOOP_DEFAULT_CLIENT_RATE, TLSNOOP_DEFAULT_CLIENT_BURST);
	if (tlsnoop_bpf__load(skel))
		die("load tlsnoop");
	base_skel = baseline_bpf__open_and_load();
	if (!base_skel)
		die("load baseline");
	tls_fd = bpf_program__fd(skel->progs.xdp_tlsnoop);
	base_fd = bpf_program__fd(base_skel->progs.xdp_baseline);
	col.timeout_ns = 10 * 1000000000ULL;
	if (collector_init(&col, skel))
		die("collector_init");
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

static void print_phase(const char *name, const struct phase *ph)
{
	double tls = (double)ph->tls_ns / ph->packets, base = (double)ph->base_ns / ph->packets;

	printf("| %s | %llu | %.1f | %.1f | %+.1f | %.1f | %u |\n", name,
	       (unsigned long long)ph->packets, tls, base, tls - base, ph->wall_ns / 1e9,
	       ph->max_present);
}

int main(int argc, char **argv)
{
	struct phase fl = {}, nz = {};
	struct tlsb_ch ch;
	struct cost_left before, after_flood, after_walks, after_timeout;
	__u64 created, ended, expired, reported, over_flood, over_noisy, stats[STAT_MAX];
	__u32 present, max_entries;
	long rss_loaded, rss_peak;
	int opt;

	while ((opt = getopt(argc, argv, "n:a:c:u")) != -1) {
		switch (opt) {
		case 'n': n_packets = strtoul(optarg, NULL, 0); break;
		case 'a': n_addresses = strtoul(optarg, NULL, 0); break;
		case 'c': cpu = atoi(optarg); break;
		case 'u': no_budget = true; break;
		default:
			fprintf(stderr, "usage: bench_flood [-n packets] [-a addresses] [-c cpu] "
				"[-u]\n");
			return 2;
		}
	}
	if (!n_addresses || n_addresses > 1u << 24 || n_packets / n_addresses > 60000) {
		fprintf(stderr, "bench_flood: 1 to 2^24 addresses, at most 60000 packets each\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench_flood: must run as root (loads BPF programs)\n");
		return 1;
	}
	pin();
	tlsb_ch_browser(&ch, "www.example.com", false);
	tlsb_client_hello(&hello, &ch);
	load();
	max_entries = bpf_map__max_entries(skel->maps.flows);
	untracked_frames(&untracked);
	rss_loaded = peak_rss_kib();

	before = cost_left();
	fprintf(stderr, "bench_flood: %u ClientHellos from %u addresses...\n", n_packets,
		n_addresses);
	flood(&fl);
	over_flood = stat_kernel(STAT_CLIENT_OVER_BUDGET);
	after_flood = cost_left();
	/* The collector's last steps, as on exit: drain, and two walks (an
	 * eviction counts at the second walk that finds it). */
	collector_poll(&col, 0);
	collector_expire(&col);
	collector_expire(&col);
	after_walks = cost_left();
	present = flows_present();
	if (present > fl.max_present)
		fl.max_present = present;
	collector_stats(&col, stats);

	/* Every packet is a new connection: created unless over budget or the
	 * table refused; ended by the kernel when it carried FIN (the flow is
	 * deleted even when the ring buffer has no room for its event);
	 * expired by the collector (timeout events) when idle for 10 s. */
	created = n_packets - over_flood - stats[STAT_FLOW_FULL];
	ended = n_packets > n_addresses ? n_packets - n_addresses : 0;
	expired = col.agg->by_reason[REASON_TIMEOUT];
	reported = col.agg->total - expired;

	/* Then what the flood left times out (the collector's clock 11 s on). */
	col.capture_ns = now_ns() + 11 * 1000000000ULL;
	while (collector_expire(&col))
		;
	col.capture_ns = 0;
	after_timeout = cost_left();

	fprintf(stderr, "bench_flood: one client, %u ClientHellos...\n", NOISY_PACKETS);
	noisy(&nz);
	collector_poll(&col, 0);
	over_noisy = stat_kernel(STAT_CLIENT_OVER_BUDGET) - over_flood;
	rss_peak = peak_rss_kib();

	printf("\nFlood (bench/bench_flood.c): ClientHellos (%zu bytes) to port 443 through "
	       "xdp_tlsnoop, one BPF_PROG_TEST_RUN call per packet, each beside the pass-only "
	       "baseline; the collector (user/collect.c) drains the ring buffer every 100 ms and "
	       "walks the flow table every second. Flow table %u entries, per-client budget "
	       "%s.\n\n", hello.len, max_entries,
	       no_budget ? "off" : "1000/s burst 2000 (the defaults)");
	printf("| phase | packets | ns/packet | baseline ns | delta ns | wall s | "
	       "most flows present |\n");
	printf("|-------|--------:|----------:|------------:|---------:|-------:|"
	       "-------------------:|\n");
	print_phase("flood: a new connection per packet, each client twice", &fl);
	print_phase("one client: a new connection per packet", &nz);

	printf("\n| measure | value |\n|---------|------:|\n");
	printf("| flood: packets / client addresses | %u / %u |\n", n_packets, n_addresses);
	printf("| flow table: most flows present / entries | %u / %u |\n", fl.max_present,
	       max_entries);
	printf("| flows created / ended by the kernel / expired by the collector / present "
	       "| %llu / %llu / %llu / %u |\n", (unsigned long long)created,
	       (unsigned long long)ended, (unsigned long long)expired, present);
	printf("| evictions: counted by the collector / created − ended − expired − present | "
	       "%llu / %llu |\n", (unsigned long long)stats[STAT_FLOWS_EVICTED],
	       (unsigned long long)(created - ended - expired - present));
	printf("| events of the kernel: reported / lost, ring buffer full (together: ended) | "
	       "%llu / %llu |\n", (unsigned long long)reported,
	       (unsigned long long)stats[STAT_RINGBUF_DROPS]);
	printf("| hellos lost (ring buffer full, or pushed out of the hello table) | %llu |\n",
	       (unsigned long long)stats[STAT_HELLO_LOST]);
	printf("| flow table full | %llu |\n", (unsigned long long)stats[STAT_FLOW_FULL]);
	printf("| per-client budget, handshakes not tracked: flood / one client | "
	       "%llu / %llu of %d |\n", (unsigned long long)over_flood,
	       (unsigned long long)over_noisy, NOISY_PACKETS);
	print_cost_row("non-watched packet, ns over baseline", "%+.1f", before.unwatched,
		       after_flood.unwatched, after_walks.unwatched, after_timeout.unwatched);
	print_cost_row("application data to 443 without a flow (64 connections), ns over "
		       "baseline", "%+.1f", before.appdata, after_flood.appdata, after_walks.appdata,
		       after_timeout.appdata);
	print_cost_row("pre-filter slots counting a flow, %", "%.1f", 100 * before.slots_used,
		       100 * after_flood.slots_used, 100 * after_walks.slots_used,
		       100 * after_timeout.slots_used);
	print_cost_row("pre-filter counts of evicted flows", "%.0f", before.stale, after_flood.stale,
		       after_walks.stale, after_timeout.stale);
	printf("| collector peak RSS, KiB: loaded / after the flood | %ld / %ld |\n",
	       rss_loaded, rss_peak);

	collector_free(&col);
	baseline_bpf__destroy(base_skel);
	tlsnoop_bpf__destroy(skel);
	return 0;
}
