// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
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

static void write_event(struct collector *c, const struct report *r);

void collector_event(struct collector *c, const struct event *kernel_event)
{
	struct event e = *kernel_event;
	struct hello_info hello;
	struct report r;
	bool have_hello = hello_table_take_info(c->hellos, &e, &hello);

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
	if (fflush(c->out) == EOF || ferror(c->out)) {
		fprintf(stderr, "tlsnoop: cannot write events: %s; still counting for the "
			"summary\n", strerror(errno));
		c->write_failed = true;
	}
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	struct event e;
	__u32 type;

	if (size < sizeof(type))
		return 0;
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
	int err = ring_buffer__poll(c->rb, timeout_ms);

	return err == -EINTR ? 0 : err;
}

/* A ClientHello whose rest never came: the part the kernel holds joins the
 * event as a hello handed over would. */
static void partial_hello(struct collector *c, struct event *e)
{
	int fd = bpf_map__fd(c->skel->maps.hello_bufs);
	struct hello_buf *hb = malloc(sizeof(*hb));
	struct flow *f = &e->flow;

	if (hb && !bpf_map_lookup_elem(fd, &e->key, hb) && hb->have <= TLSNOOP_HELLO_MAX) {
		if (!hello_table_add(c->hellos, &e->key, hb->data, hb->have,
				     HELLO_SPLIT | HELLO_TRUNCATED) &&
		    f->hist_len < TLSNOOP_HIST_MAX)
			f->hist[f->hist_len++] = 'C';
		bpf_map_delete_elem(fd, &e->key);
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
	__u32 *slots = c->skel->bss->flow_slots, i, now, fix;
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

/* Idle for the timeout. A packet may have updated the flow after `now` was
 * read (during the walk): then it is not idle, and must not wrap around. */
static bool flow_idle(const struct collector *c, const struct flow *f, __u64 now)
{
	return f->t_last < now && now - f->t_last >= c->timeout_ns;
}

__u64 collector_expire(struct collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.flows);
	struct flow_key *expired, key, next;
	__u64 now = collector_now(c), in_progress = 0;
	struct event e;
	int n = 0, i;
	void *prev = NULL;

	expired = calloc(EXPIRE_BATCH, sizeof(*expired));
	if (!expired)
		return 0;
	memcpy(c->slot_before, c->skel->bss->flow_slots, TLSNOOP_SLOTS * sizeof(*c->slot_before));
	memset(c->slot_seen, 0, TLSNOOP_SLOTS * sizeof(*c->slot_seen));
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		c->slot_seen[flow_slot(&key)]++;
		if (bpf_map_lookup_elem(fd, &key, &e.flow) || e.flow.phase == PHASE_DONE)
			continue;
		if (!flow_idle(c, &e.flow, now) || n >= EXPIRE_BATCH) {
			in_progress++;
			continue;
		}
		expired[n++] = key;
	}
	count_evictions(c);
	for (i = 0; i < n; i++) {
		/* The kernel may have finished it meanwhile (it reports then),
		 * or seen a packet of it since the walk. */
		if (bpf_map_lookup_elem(fd, &expired[i], &e.flow) || e.flow.phase == PHASE_DONE ||
		    !flow_idle(c, &e.flow, now) || bpf_map_delete_elem(fd, &expired[i]))
			continue;
		__atomic_fetch_sub(&c->skel->bss->flow_slots[flow_slot(&expired[i])], 1,
				   __ATOMIC_RELAXED);
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

void collector_stats(struct collector *c, __u64 stats[STAT_MAX])
{
	int fd = bpf_map__fd(c->skel->maps.stats), ncpu = libbpf_num_possible_cpus(), cpu;
	__u32 k;
	__u64 *vals;

	memset(stats, 0, STAT_MAX * sizeof(stats[0]));
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
	stats[STAT_HELLO_LOST] += hello_table_evicted(c->hellos);
	stats[STAT_FLOWS_EVICTED] += c->flows_evicted;
	stats[STAT_FLIGHT_LOST] += flight_table_evicted(c->flights);
	free(vals);
}
