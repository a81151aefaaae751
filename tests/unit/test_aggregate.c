// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregation module: counts, Space-Saving bounds, percentiles, window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "output.h"
#include "summary.h"
#include "check.h"
#include "synth.h"

#define SEC 1000000000ULL

static struct aggregate *agg;
static struct synth s;

static void fresh(const char *name)
{
	current = name;
	aggregate_init(agg);
}

static const struct topk_slot *find(const struct topk *t, const char *key)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->slot[i].key, key))
			return &t->slot[i];
	return NULL;
}

static void test_counts(void)
{
	const struct topk_slot *c;

	fresh("counts");
	synth_report(&s, "198.18.0.7", 443, REASON_NONE, "ok.test", 800, 2000);
	aggregate_add(agg, &s.r, 10 * SEC);
	synth_report(&s, "198.18.0.9", 443, REASON_UNTRUSTED_CERTIFICATE, "bad.test", 900, 1000);
	aggregate_add(agg, &s.r, 10 * SEC);
	synth_report(&s, "198.18.0.9", 8443, REASON_NOT_TLS, NULL, 0, 5);
	aggregate_add(agg, &s.r, 10 * SEC);
	CHECK(agg->total == 3 && agg->success == 1, "total %llu success %llu",
	      (unsigned long long)agg->total, (unsigned long long)agg->success);
	CHECK(agg->by_reason[REASON_UNTRUSTED_CERTIFICATE] == 1 &&
	      agg->by_reason[REASON_NOT_TLS] == 1, "by reason");
	CHECK(agg->versions[4] == 1 && agg->n_ciphers == 1 && agg->cipher_id[0] == 0x1301 &&
	      agg->cipher_count[0] == 1, "success mix");
	c = find(&agg->clients, "198.18.0.9");
	CHECK(c && c->count == 2 && !find(&agg->clients, "198.18.0.7"), "failing clients only");
	if (c) {
		const struct client_info *ci = &agg->client_info[c - agg->clients.slot];

		CHECK(!strcmp(ci->last_sni, "bad.test"), "last SNI %s", ci->last_sni);
		CHECK(ci->max_offered == 0x0304, "max offered %x", ci->max_offered);
		CHECK(ci->by_port[aggregate_port_index(agg, 443)] == 1 &&
		      ci->by_port[aggregate_port_index(agg, 8443)] == 1, "by port");
	}
	CHECK(find(&agg->snis, "bad.test") && find(&agg->snis, "(none)"), "failing SNIs");
	CHECK(find(&agg->prefixes, "198.18.0.0/24") &&
	      find(&agg->prefixes, "198.18.0.0/24")->count == 2, "prefix");
	CHECK(agg->port_latency[aggregate_port_index(agg, 443)].server_hello.n == 2 &&
	      agg->port_latency[aggregate_port_index(agg, 443)].established.n == 1,
	      "latency per port");
}

static void test_prefixes(void)
{
	char buf[AGG_KEY_MAX];

	current = "prefixes";
	synth_report(&s, "203.0.113.77", 443, REASON_TIMEOUT, NULL, 0, 0);
	client_prefix(&s.e, buf, sizeof(buf));
	CHECK(!strcmp(buf, "203.0.113.0/24"), "v4 %s", buf);
	synth_report(&s, "2001:db8:1:2:3:4:5:6", 443, REASON_TIMEOUT, NULL, 0, 0);
	client_prefix(&s.e, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2001:db8:1:2::/64"), "v6 %s", buf);
}

/* Heavy hitters among many one-off clients: each is in the table, its
 * count an overestimate by at most its error. */
static void test_space_saving(void)
{
	enum { HEAVY = 20, PER_HEAVY = 1000, SINGLES = 200000 };
	char ip[INET6_ADDRSTRLEN];
	int i, h, ok = 0;

	fresh("space_saving");
	for (i = 0; i < SINGLES; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		synth_report(&s, ip, 443, REASON_CLIENT_ABORT, NULL, 0, 0);
		aggregate_add(agg, &s.r, SEC);
		if (i % (SINGLES / PER_HEAVY))
			continue;
		for (h = 0; h < HEAVY; h++) {
			snprintf(ip, sizeof(ip), "198.51.100.%d", h);
			synth_report(&s, ip, 443, REASON_PROTOCOL_VERSION, NULL, 0, 0);
			aggregate_add(agg, &s.r, SEC);
		}
	}
	CHECK(agg->clients.n == AGG_CLIENTS, "table size %d", agg->clients.n);
	for (h = 0; h < HEAVY; h++) {
		const struct topk_slot *c;

		snprintf(ip, sizeof(ip), "198.51.100.%d", h);
		c = find(&agg->clients, ip);
		ok += c && c->count >= PER_HEAVY && c->count - c->error <= PER_HEAVY;
	}
	CHECK(ok == HEAVY, "%d of %d heavy hitters kept with valid bounds", ok, HEAVY);
}

static void test_percentiles(void)
{
	struct lat_hist *h = calloc(1, sizeof(*h));
	double ps[] = { 50, 90, 99, 99.9 };
	__u64 v, want, got;
	unsigned i;

	current = "percentiles";
	if (!h)
		return;
	CHECK(lat_percentile(h, 50) == 0, "empty");
	for (v = 1; v <= 100000; v++)
		lat_add(h, v);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		want = (__u64)(ps[i] * 1000);
		got = lat_percentile(h, ps[i]);
		CHECK(got >= want - want / 16 && got <= want + want / 16, "p%.1f: %llu, want %llu",
		      ps[i], (unsigned long long)got, (unsigned long long)want);
	}
	memset(h, 0, sizeof(*h));
	lat_add(h, 7);
	CHECK(lat_percentile(h, 99) == 7, "small values exact");
	lat_add(h, 1ULL << 50);		/* beyond the last bucket: kept, in it */
	CHECK(h->n == 2 && lat_percentile(h, 99) > (1ULL << 36), "huge value");
	free(h);
}

static void test_window(void)
{
	struct agg_rates r;
	int i;

	fresh("window");
	for (i = 0; i < 20; i++) {	/* 20 s, 2 handshakes per second, one failing */
		synth_report(&s, "198.18.0.2", 443, REASON_NONE, NULL, 100, 200);
		aggregate_add(agg, &s.r, (100 + i) * SEC);
		synth_report(&s, "198.18.0.2", 443, REASON_MISSING_SNI, NULL, 0, 0);
		aggregate_add(agg, &s.r, (100 + i) * SEC + SEC / 2);
	}
	aggregate_rates(agg, 119 * SEC, 10, &r);
	CHECK(r.handshakes_per_sec == 2.0 && r.failures_per_sec == 1.0 &&
	      r.failure_ratio == 0.5 && r.by_reason[REASON_MISSING_SNI] == 10,
	      "rates %.2f %.2f %.2f", r.handshakes_per_sec, r.failures_per_sec, r.failure_ratio);
	aggregate_rates(agg, 200 * SEC, 10, &r);
	CHECK(r.handshakes_per_sec == 0 && r.failure_ratio == 0, "old seconds left the window");
}

static void test_hostile_sni(void)
{
	const char *evil = "evil\x1b[2J\n.test";
	const struct topk_slot *c;

	fresh("hostile_sni");
	synth_report(&s, "198.18.0.66", 443, REASON_UNKNOWN_SNI, evil, 0, 0);
	aggregate_add(agg, &s.r, SEC);
	c = find(&agg->snis, "evil\\x1b[2J\\x0a.test");
	CHECK(c != NULL, "SNI key not escaped: %s", agg->snis.slot[0].key);
	CHECK(!strcmp(agg->client_info[0].last_sni, "evil\\x1b[2J\\x0a.test"), "last SNI %s",
	      agg->client_info[0].last_sni);
}

/* A ServerHello seen before its ClientHello (packets out of order) gives
 * no latency: neither a sample nor a JSON field, rather than one wrapped
 * around to 584 years. */
static void test_latency_reversed(void)
{
	struct latency *l;
	char *json = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&json, &size);

	fresh("latency_reversed");
	synth_report(&s, "198.18.0.7", 443, REASON_NONE, "ok.test", 800, 2000);
	s.e.flow.t_client_hello = s.e.flow.t_server_hello + 1000;
	aggregate_add(agg, &s.r, 10 * SEC);
	l = &agg->port_latency[aggregate_port_index(agg, 443)];
	CHECK(l->server_hello.n == 0 && l->established.n == 0, "samples %llu %llu",
	      (unsigned long long)l->server_hello.n, (unsigned long long)l->established.n);
	out_json_event(f, &s.r);
	fclose(f);
	CHECK(json && !strstr(json, "\"latency\""), "%s", json);
	free(json);
}

static void test_summary_text(void)
{
	__u64 stats[STAT_MAX] = {};
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	fresh("summary_text");
	synth_report(&s, "198.18.0.9", 443, REASON_EXPIRED_CERTIFICATE, "old.test", 900, 1000);
	aggregate_add(agg, &s.r, SEC);
	summary_print(f, agg, stats, 0, SEC);
	fclose(f);
	CHECK(strstr(text, "handshakes: 1  success: 0  failure: 1") != NULL, "%s", text);
	CHECK(strstr(text, "198.18.0.9") && strstr(text, "expired_certificate") &&
	      strstr(text, "old.test"), "%s", text);
	CHECK(!strstr(text, "WARNING"), "%s", text);
	free(text);
}

/* Evictions and the per-client budget: a warning each, only when non-zero. */
static void test_summary_warnings(void)
{
	__u64 stats[STAT_MAX] = {};
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	fresh("summary_warnings");
	stats[STAT_FLOWS_EVICTED] = 7;
	stats[STAT_CLIENT_OVER_BUDGET] = 3;
	summary_print(f, agg, stats, 0, SEC);
	fclose(f);
	CHECK(strstr(text, "WARNING: 7 handshakes evicted from the full flow table before their "
			   "outcome: not reported (raise --max-flows)\n") != NULL, "%s", text);
	CHECK(strstr(text, "WARNING: 3 new handshakes not tracked: their client was over its "
			   "budget (--per-client-rate)\n") != NULL, "%s", text);
	free(text);
}

int main(void)
{
	agg = malloc(sizeof(*agg));
	if (!agg)
		return 1;
	test_counts();
	test_prefixes();
	test_space_saving();
	test_percentiles();
	test_window();
	test_hostile_sni();
	test_latency_reversed();
	test_summary_text();
	test_summary_warnings();
	free(agg);
	printf("test_aggregate: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
