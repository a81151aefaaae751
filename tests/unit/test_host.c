// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The programs built for the host (bpf/host/, what `tlsnoop -r` runs)
 * against the real ones in the kernel. Every packet of the captures given,
 * and a mutated copy of one in four (bytes changed, or cut short), goes
 * through xdp_tlsnoop in the kernel (BPF_PROG_TEST_RUN) and through
 * tlsnoop_host_run() at the same clock; after each, the records the two
 * left in their ring buffers must be the same, byte for byte and in the
 * same order (hellos, events, -w's packets). After each capture the maps
 * must be the same too: every flow and reassembly buffer, the pre-filter's
 * slot counts, the client budgets, the counters. All of it twice: without
 * and with -w's packet copy.
 *
 * The one field that may differ is the event's interface: a test run's
 * packets come in on the loopback device, the host build's on none (0).
 * The process stays on one CPU: per-CPU scratch memory, whose stale bytes
 * a reassembly buffer copies, is then one buffer on both sides. Captures
 * tlsnoop cannot read (link types it does not take) are skipped.
 *
 * Usage: test_host PORTS CAPTURE...   (as root; PORTS as tlsnoop -p takes)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "check.h"
#include "tlsnoop.h"
#include "tlsnoop.skel.h"
#include "capture.h"
#include "collect.h"
#include "host/tlsnoop_host.h"

#define RECORDS_MAX	(256 << 10)	/* record bytes one packet may leave */
#define MUTATE_ONE_IN	4
#define REPORT_MAX	5		/* differences printed per capture */
#define SEED		0x7e57b0a7ULL

/* The records one side left for one packet: [u32 size][bytes]... */
struct records {
	size_t used;
	int n;
	bool overflow;
	__u8 buf[RECORDS_MAX];
};

static struct tlsnoop_bpf *skel;
static const struct tlsnoop_host *host;
static struct ring_buffer *rb;
static struct records kernel_recs, host_recs;
static __u64 rng_state = SEED;
static __u64 frames_run, records_compared, differences;
static int captures_skipped;
static int reported;

/* splitmix64: reproducible mutations. */
static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct records *r = ctx;
	__u32 len = size;

	if (r->used + sizeof(len) + size > sizeof(r->buf)) {
		r->overflow = true;
		return 0;
	}
	memcpy(r->buf + r->used, &len, sizeof(len));
	memcpy(r->buf + r->used + sizeof(len), data, size);
	r->used += sizeof(len) + size;
	r->n++;
	return 0;
}

/* An event's interface: the loopback's in a test run, none on the host. */
static void without_ifindex(void *rec, __u32 size, __u32 expected)
{
	struct event *e = rec;
	__u32 type;

	memcpy(&type, rec, sizeof(type));
	if (type != REC_EVENT || size < sizeof(*e))
		return;
	if (e->flow.ifindex != expected)
		CHECK(false, "event with interface %u, not %u", e->flow.ifindex, expected);
	e->flow.ifindex = 0;
}

static void difference(const char *what, __u64 kernel, __u64 host_value)
{
	differences++;
	if (reported++ < REPORT_MAX)
		fprintf(stderr, "  frame %llu: %s: kernel %llu, host %llu\n",
			(unsigned long long)frames_run, what, (unsigned long long)kernel,
			(unsigned long long)host_value);
}

static size_t first_difference(const __u8 *a, const __u8 *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static void compare_records(void)
{
	size_t off = 0;
	__u32 ks, hs;

	if (kernel_recs.overflow || host_recs.overflow || kernel_recs.n != host_recs.n) {
		difference("records", kernel_recs.n, host_recs.n);
		return;
	}
	while (off < kernel_recs.used) {
		memcpy(&ks, kernel_recs.buf + off, sizeof(ks));
		memcpy(&hs, host_recs.buf + off, sizeof(hs));
		if (ks != hs) {
			difference("record size", ks, hs);
			return;
		}
		off += sizeof(ks);
		without_ifindex(kernel_recs.buf + off, ks, 1);
		without_ifindex(host_recs.buf + off, hs, 0);
		if (memcmp(kernel_recs.buf + off, host_recs.buf + off, ks)) {
			size_t at = first_difference(kernel_recs.buf + off, host_recs.buf + off, ks);

			difference(kernel_recs.buf[off] == REC_EVENT ? "event, byte" :
				   kernel_recs.buf[off] == REC_HELLO ? "hello, byte" : "record, byte",
				   kernel_recs.buf[off + at], host_recs.buf[off + at]);
			if (reported <= REPORT_MAX)
				fprintf(stderr, "    (byte %zu of %u)\n", at, ks);
			return;
		}
		records_compared++;
		off += ks;
	}
}

static void run_both(const void *frame, __u32 len, __u64 clock_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);

	kernel_recs.used = host_recs.used = 0;
	kernel_recs.n = host_recs.n = 0;
	skel->bss->clock_override_ns = clock_ns;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_tlsnoop), &opts)) {
		CHECK(false, "test run of a %u-byte frame: %s", len, strerror(errno));
		return;
	}
	ring_buffer__consume(rb);
	tlsnoop_host_run(frame, len, clock_ns);
	host_ring_consume(host->events, on_record, &host_recs);
	frames_run++;
	compare_records();
}

/* A few bytes changed past the Ethernet header, or the frame cut short. */
static __u32 mutate(__u8 *frame, __u32 len)
{
	int i, n = 1 + rnd() % 4;

	if (len <= 14)
		return len;
	if (rnd() % 4 == 0)
		return 14 + rnd() % (len - 14);
	for (i = 0; i < n; i++)
		frame[14 + rnd() % (len - 14)] = rnd();
	return len;
}

static __u64 kernel_stat(__u32 k)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	__u64 vals[256] = {}, sum = 0;

	if (ncpu > 256 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &k, vals))
		return ~0ULL;
	for (cpu = 0; cpu < ncpu; cpu++)
		sum += vals[cpu];
	return sum;
}

/* Every entry of the kernel's map is in the host's with the same value, and
 * the host's has no more. */
static void compare_map(struct bpf_map *kernel, struct host_map *h, size_t value_size,
			const char *name)
{
	int fd = bpf_map__fd(kernel), n = 0, n_host = 0;
	struct flow_key key, next;
	void *prev = NULL, *kv = malloc(value_size), *hv = malloc(value_size);

	while (kv && hv && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
		if (bpf_map_lookup_elem(fd, &key, kv) || host_map_copy(h, &key, hv)) {
			difference(name, 1, 0);
			continue;
		}
		if (value_size == sizeof(struct flow)) {
			CHECK(((struct flow *)hv)->ifindex == 0, "%s: host flow with interface %u",
			      name, ((struct flow *)hv)->ifindex);
			((struct flow *)kv)->ifindex = ((struct flow *)hv)->ifindex = 0;
		}
		if (memcmp(kv, hv, value_size))
			difference(name, 1, 2);
	}
	for (prev = NULL; !host_map_next_key(h, prev, &next); prev = &key) {
		key = next;
		n_host++;
	}
	if (n != n_host)
		difference(name, n, n_host);
	free(kv);
	free(hv);
}

static void compare_maps(void)
{
	__u32 k;

	compare_map(skel->maps.flows, host->flows, sizeof(struct flow), "flows");
	compare_map(skel->maps.hello_bufs, host->hello_bufs, sizeof(struct hello_buf),
		    "hello_bufs");
	if (memcmp(skel->bss->flow_slots, host->flow_slots, sizeof(skel->bss->flow_slots)))
		difference("flow_slots", 1, 2);
	if (memcmp(skel->bss->client_budgets, host->client_budgets,
		   sizeof(skel->bss->client_budgets)))
		difference("client_budgets", 1, 2);
	for (k = 0; k < STAT_MAX; k++)
		if (kernel_stat(k) != *(__u64 *)host_map_lookup(host->stats, &k))
			difference("counter", kernel_stat(k), *(__u64 *)host_map_lookup(host->stats, &k));
}

/* Both emptied as the collector's expiry empties them, so that each capture
 * starts afresh (its clock may be earlier than the last one's). */
static void clear_maps(void)
{
	int fd = bpf_map__fd(skel->maps.flows), hb_fd = bpf_map__fd(skel->maps.hello_bufs);
	struct flow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (!bpf_map_delete_elem(fd, &k))
			skel->bss->flow_slots[flow_slot(&k)]--;
	while (!bpf_map_get_next_key(hb_fd, NULL, &k))
		bpf_map_delete_elem(hb_fd, &k);
	while (!host_map_next_key(host->flows, NULL, &k))
		if (!host_map_delete(host->flows, &k))
			host->flow_slots[flow_slot(&k)]--;
	while (!host_map_next_key(host->hello_bufs, NULL, &k))
		host_map_delete(host->hello_bufs, &k);
}

static void run_capture(const char *path)
{
	static __u8 mutated[TLSNOOP_HOST_FRAME_MAX];
	struct capture *cap = capture_open(path);
	__u64 before = differences, frames = frames_run, clock_ns;
	const void *frame;
	__u32 len;
	int ret;

	current = path;
	reported = 0;
	if (!cap) {
		captures_skipped++;
		return;
	}
	while ((ret = capture_next(cap, &frame, &len, &clock_ns)) == 1) {
		if (!len)
			continue;
		run_both(frame, len, clock_ns);
		if (rnd() % MUTATE_ONE_IN || len > sizeof(mutated))
			continue;
		memcpy(mutated, frame, len);
		run_both(mutated, mutate(mutated, len), clock_ns);
	}
	capture_close(cap);
	compare_maps();
	clear_maps();
	CHECK(differences == before, "%llu differences in %llu frames",
	      (unsigned long long)(differences - before), (unsigned long long)(frames_run - frames));
}

static void set_ports(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	long port;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		port = strtol(tok, NULL, 10);
		if (port > 0 && port < 65536)
			skel->rodata->watched_ports[port >> 3] |= 1 << (port & 7);
	}
	free(copy);
}

static int run_all(const char *ports, char **files, int n, bool copy_packets)
{
	int i, err;

	skel = tlsnoop_bpf__open();
	if (!skel)
		return -1;
	set_ports(ports);
	skel->rodata->copy_packets = copy_packets;
	client_budget_set(skel, TLSNOOP_DEFAULT_CLIENT_RATE, TLSNOOP_DEFAULT_CLIENT_BURST);
	bpf_program__set_autoload(skel->progs.tc_tlsnoop, false);
	err = tlsnoop_bpf__load(skel);
	host = err ? NULL : tlsnoop_host_load(skel);
	rb = host ? ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &kernel_recs,
				     NULL) : NULL;
	if (!rb) {
		fprintf(stderr, "test_host: cannot load the programs: %s\n", strerror(errno));
		tlsnoop_bpf__destroy(skel);
		return -1;
	}
	for (i = 0; i < n; i++)
		run_capture(files[i]);
	ring_buffer__free(rb);
	tlsnoop_host_unload();
	tlsnoop_bpf__destroy(skel);
	return 0;
}

int main(int argc, char **argv)
{
	cpu_set_t one;

	if (argc < 3) {
		fprintf(stderr, "usage: test_host PORTS CAPTURE...\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "test_host: must run as root (loads BPF programs)\n");
		return 1;
	}
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		fprintf(stderr, "test_host: cannot stay on one CPU: %s\n", strerror(errno));
		return 1;
	}
	if (run_all(argv[1], argv + 2, argc - 2, false) ||
	    run_all(argv[1], argv + 2, argc - 2, true))
		return 1;
	printf("test_host: %d captures (%d unreadable, skipped, twice), %llu frames (a fifth "
	       "of them mutated copies) run by both, %llu records the same, %llu differences\n",
	       argc - 2, captures_skipped, (unsigned long long)frames_run,
	       (unsigned long long)records_compared, (unsigned long long)differences);
	printf("test_host: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
