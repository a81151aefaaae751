// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "host/tlsnoop_host.h"
#include "hello.h"
#include "hello_table.h"
#include "output.h"

/* Hellos held for their events: enough for every flow in the map, up to
 * this bound (~1.4 KB each while held: ~90 MB at the default 65536 flows,
 * ~360 MB at most). */
#define HELLOS_HELD_MAX (1u << 18)

/* Expired keys are gathered first and deleted after the walk, so that
 * deleting does not restart the map iteration. */
#define EXPIRE_BATCH 4096

/* A map of the programs: the kernel's, or the host build's (reading a
 * capture). The collector uses either the same way. */
struct prog_map {
	struct host_map *host;
	int fd;
};

static struct prog_map flows_map(const struct collector *c)
{
	if (c->host)
		return (struct prog_map){ .host = c->host->flows };
	return (struct prog_map){ .fd = bpf_map__fd(c->skel->maps.flows) };
}

static struct prog_map hello_bufs_map(const struct collector *c)
{
	if (c->host)
		return (struct prog_map){ .host = c->host->hello_bufs };
	return (struct prog_map){ .fd = bpf_map__fd(c->skel->maps.hello_bufs) };
}

static int map_copy(struct prog_map m, const void *key, void *value)
{
	return m.host ? host_map_copy(m.host, key, value) : bpf_map_lookup_elem(m.fd, key, value);
}

static int map_delete(struct prog_map m, const void *key)
{
	return m.host ? host_map_delete(m.host, key) : bpf_map_delete_elem(m.fd, key);
}

static int map_next_key(struct prog_map m, const void *prev, void *next)
{
	return m.host ? host_map_next_key(m.host, prev, next) : bpf_map_get_next_key(m.fd, prev, next);
}

/* The pre-filter's counts (flow_slots in .bss). */
static __u32 *flow_slots(const struct collector *c)
{
	return c->host ? c->host->flow_slots : c->skel->bss->flow_slots;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 mono_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

__u64 collector_now(const struct collector *c)
{
	return c->capture_ns ?: mono_now_ns();
}

static void write_failed(struct collector *c)
{
	fprintf(stderr, "tlsnoop: cannot write events: %s; still counting for the summary\n",
		strerror(errno));
	c->write_failed = true;
}
static void write_event(struct collector *c, const struct report *r);

void collector_event(struct collector *c, const struct event *kernel_event)
{
	struct event e = *kernel_event;
	struct hello_info hello;
	struct report r;
	bool have_hello;

	/* From the ring buffer or from expiry's read of the flow map alike. */
	event_clamp(&e);
	have_hello = hello_table_take_info(c->hellos, &e, &hello);

	report_init(&r, &e, have_hello ? &hello : NULL, c->mono_to_wall);
	report_certificates(&r, c->flights, c->certs, c->cert_warn_days);
	r.ingress_ifname = attach_ifname(c->watched, e.flow.ifindex);
	policy_judge(c->policies, r.hello, &r.policy);
	if (c->whatif)
		whatif_add(c->whatif, &r);
	aggregate_add(c->agg, &r, collector_now(c));
	metrics_count(c->metrics, &r);
	if (c->pcap)
		pcap_writer_event(c->pcap, &r, c->mono_to_wall);
	if (c->out && !c->write_failed)
		write_event(c, &r);
	report_release(&r);
}

static void write_event(struct collector *c, const struct report *r)
{
	if (c->json)
		out_json_event(c->out, r);
	else
		out_text_event(c->out, r);
	/* Live, each line as it comes; from a capture, as the buffer fills
	 * (and collector_flush at the end). */
	if ((!c->host && fflush(c->out) == EOF) || ferror(c->out))
		write_failed(c);
}

int collector_flush(struct collector *c)
{
	if (c->out && !c->write_failed && (fflush(c->out) == EOF || ferror(c->out)))
		write_failed(c);
	return c->write_failed ? -1 : 0;
}

void collector_record(struct collector *c, const void *data, size_t size)
{
	struct event e;
	__u32 type;

	if (size < sizeof(type))
		return;
	memcpy(&type, data, sizeof(type));
	if (type == REC_HELLO) {
		hello_table_put(c->hellos, data, size);
	} else if (type == REC_FLIGHT) {
		flight_table_put(c->flights, data, size);
	} else if (type == REC_PACKET && c->pcap) {
		pcap_writer_put(c->pcap, data, size);
	} else if (type == REC_EVENT && size >= sizeof(e)) {
		memcpy(&e, data, sizeof(e));
		collector_event(c, &e);
	}
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	collector_record(ctx, data, size);
	return 0;
}

void client_budget_set(struct tlsnoop_bpf *skel, __u32 rate, __u32 burst)
{
	__u64 interval = rate ? 1000000000ULL / rate : 0;

	skel->rodata->budget_interval_ns = interval;
	skel->rodata->budget_tolerance_ns = burst ? (burst - 1) * interval : 0;
}

int collector_init(struct collector *c, struct tlsnoop_bpf *skel)
{
	__u32 held;

	c->skel = skel;
	c->mono_to_wall = (__s64)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	held = bpf_map__max_entries(skel->maps.flows);
	c->hellos = hello_table_new(held < HELLOS_HELD_MAX ? held : HELLOS_HELD_MAX);
	c->flights = flight_table_new(FLIGHTS_HELD_DEFAULT);
	c->certs = cert_cache_new(CERT_CACHE_DEFAULT, NULL);
	c->agg = malloc(sizeof(*c->agg));
	c->slot_before = calloc(TLSNOOP_SLOTS, sizeof(*c->slot_before));
	c->slot_seen = calloc(TLSNOOP_SLOTS, sizeof(*c->slot_seen));
	c->slot_excess = calloc(TLSNOOP_SLOTS, sizeof(*c->slot_excess));
	if (!c->hellos || !c->flights || !c->certs || !c->agg || !c->slot_before ||
	    !c->slot_seen || !c->slot_excess)
		return -ENOMEM;
	aggregate_init(c->agg);
	if (c->host)
		return 0;
	c->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_ringbuf, c, NULL);
	return c->rb ? 0 : -errno;
}

void collector_free(struct collector *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
	hello_table_free(c->hellos);
	c->hellos = NULL;
	flight_table_free(c->flights);
	c->flights = NULL;
	cert_cache_free(c->certs);
	c->certs = NULL;
	free(c->agg);
	c->agg = NULL;
	free(c->slot_before);
	c->slot_before = NULL;
	free(c->slot_seen);
	c->slot_seen = NULL;
	free(c->slot_excess);
	c->slot_excess = NULL;
}

int collector_poll(struct collector *c, int timeout_ms)
{
	int err = c->host ? host_ring_consume(c->host->events, on_ringbuf, c)
			  : ring_buffer__poll(c->rb, timeout_ms);

	return err == -EINTR ? 0 : err;
}

/* A ClientHello whose rest never came: the part the kernel holds joins the
 * event as a hello handed over would. */
static void partial_hello(struct collector *c, struct event *e)
{
	struct prog_map hello_bufs = hello_bufs_map(c);
	struct hello_buf *hb = malloc(sizeof(*hb));
	struct flow *f = &e->flow;

	if (hb && !map_copy(hello_bufs, &e->key, hb) && hb->have <= TLSNOOP_HELLO_MAX) {
		if (!hello_table_add(c->hellos, &e->key, hb->data, hb->have,
				     HELLO_SPLIT | HELLO_TRUNCATED) &&
		    f->hist_len < TLSNOOP_HIST_MAX)
			f->hist[f->hist_len++] = 'C';
		map_delete(hello_bufs, &e->key);
	}
	free(hb);
}

/*
 * The LRU evicts flows silently, and each leaves its count in its slot of
 * the pre-filter (flow_slots): a slot counting, before and after the walk
 * of the map, more flows than the walk found in it holds evicted ones.
 * Such an excess is taken as evictions only when the previous walk found
 * it too (a flow deleted and another created in the same slot while the
 * walk went on make a transient one), and then taken off the slot, so that
 * the pre-filter lets packets skip the lookup again after a flood.
 */
static void count_evictions(struct collector *c)
{
	__u32 *slots = flow_slots(c), i, now, fix;
	__s32 excess;

	for (i = 0; i < TLSNOOP_SLOTS; i++) {
		now = __atomic_load_n(&slots[i], __ATOMIC_RELAXED);
		/* Negative: flows deleted after the walk found them. */
		excess = (__s32)((now < c->slot_before[i] ? now : c->slot_before[i]) -
				 c->slot_seen[i]);
		if (excess < 0)
			excess = 0;
		fix = (__u32)excess < c->slot_excess[i] ? (__u32)excess : c->slot_excess[i];
		if (fix) {
			__atomic_fetch_sub(&slots[i], fix, __ATOMIC_RELAXED);
			c->flows_evicted += fix;
		}
		c->slot_excess[i] = excess - fix;
	}
}

/* The host build's LRU counts what it evicts: while it has evicted nothing,
 * every slot counts exactly the flows the walk finds in it (no packet runs
 * during the walk), and count_evictions() would find nothing, at the cost
 * of three passes over 1 MiB arrays each second of capture time. */
static bool evictions_possible(const struct collector *c)
{
	return !c->host || c->host->flows->evicted;
}

/* Idle for the timeout. A packet may have updated the flow after `now` was
 * read (during the walk): then it is not idle, and must not wrap around. */
static bool flow_idle(const struct collector *c, const struct flow *f, __u64 now)
{
	return f->t_last < now && now - f->t_last >= c->timeout_ns;
}

__u64 collector_expire(struct collector *c)
{
	struct prog_map flows = flows_map(c);
	struct flow_key *expired, key, next;
	__u64 now = collector_now(c), in_progress = 0;
	bool count = evictions_possible(c);
	struct event e;
	int n = 0, i;
	void *prev = NULL;

	expired = malloc(EXPIRE_BATCH * sizeof(*expired));
	if (!expired)
		return 0;
	if (count) {
		memcpy(c->slot_before, flow_slots(c), TLSNOOP_SLOTS * sizeof(*c->slot_before));
		memset(c->slot_seen, 0, TLSNOOP_SLOTS * sizeof(*c->slot_seen));
	}
	while (map_next_key(flows, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (count)
			c->slot_seen[flow_slot(&key)]++;
		if (map_copy(flows, &key, &e.flow) || e.flow.phase == PHASE_DONE)
			continue;
		if (!flow_idle(c, &e.flow, now) || n >= EXPIRE_BATCH) {
			in_progress++;
			continue;
		}
		expired[n++] = key;
	}
	if (count)
		count_evictions(c);
	for (i = 0; i < n; i++) {
		/* The kernel may have finished it meanwhile (it reports then),
		 * or seen a packet of it since the walk. */
		if (map_copy(flows, &expired[i], &e.flow) || e.flow.phase == PHASE_DONE ||
		    !flow_idle(c, &e.flow, now) || map_delete(flows, &expired[i]))
			continue;
		__atomic_fetch_sub(&flow_slots(c)[flow_slot(&expired[i])], 1, __ATOMIC_RELAXED);
		e.key = expired[i];
		e.t_end = now;
		e.end_cause = END_TIMEOUT;
		if (e.flow.hello_reasm)
			partial_hello(c, &e);
		collector_event(c, &e);
	}
	free(expired);
	metrics_set_flows_tracked(c->metrics, in_progress);
	return in_progress;
}

/* The kernel's counters, summed over CPUs. */
static void kernel_stats(struct collector *c, __u64 stats[STAT_MAX])
{
	int fd = bpf_map__fd(c->skel->maps.stats), ncpu = libbpf_num_possible_cpus(), cpu;
	__u32 k;
	__u64 *vals;

	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < STAT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			stats[k] += vals[cpu];
	}
	free(vals);
}

void collector_stats(struct collector *c, __u64 stats[STAT_MAX])
{
	const __u64 *v;
	__u32 k;

	memset(stats, 0, STAT_MAX * sizeof(stats[0]));
	if (c->host) {
		for (k = 0; k < STAT_MAX; k++)
			if ((v = host_map_lookup(c->host->stats, &k)))
				stats[k] = *v;
	} else {
		kernel_stats(c, stats);
	}
	stats[STAT_HELLO_LOST] += hello_table_evicted(c->hellos);
	stats[STAT_FLOWS_EVICTED] += c->flows_evicted;
	stats[STAT_FLIGHT_LOST] += flight_table_evicted(c->flights);
}
