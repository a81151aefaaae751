// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "names.h"
#include "summary.h"

#define SUMMARY_RATE_SEC 10	/* window of the rates line */

enum reason summary_main_reason(const __u32 *by_reason)
{
	enum reason best = REASON_NONE;
	int r;

	for (r = 1; r < REASON_MAX; r++)
		if (by_reason[r] > by_reason[best])
			best = r;
	return best;
}

static void print_reasons(FILE *out, const __u32 *by_reason)
{
	const char *sep = "";
	int r;

	for (r = 1; r < REASON_MAX; r++) {
		if (!by_reason[r])
			continue;
		fprintf(out, "%s%s=%u", sep, reason_name(r), by_reason[r]);
		sep = " ";
	}
}

static void print_clients(FILE *out, const char *title, const struct topk *t,
			  const struct client_info *info)
{
	int idx[AGG_CLIENTS], n = topk_sorted(t, idx, topk_count, t), i;

	if (!n)
		return;
	fprintf(out, "%s (count, main reason, last SNI, highest version offered, JA4, "
		"reasons):\n", title);
	for (i = 0; i < n && i < SUMMARY_TOP; i++) {
		const struct topk_slot *s = &t->slot[idx[i]];
		const struct client_info *ci = &info[idx[i]];

		fprintf(out, "  %-39s %6llu%s  %-22s %-24s %-7s %-36s ", s->key,
			(unsigned long long)s->count, s->error ? "~" : " ",
			reason_name(summary_main_reason(ci->by_reason)),
			ci->last_sni[0] ? ci->last_sni : "-",
			ci->max_offered ? tls_version_name(ci->max_offered) : "-",
			ci->last_ja4[0] ? ci->last_ja4 : "-");
		print_reasons(out, ci->by_reason);
		fputc('\n', out);
	}
}

static void print_snis(FILE *out, const struct aggregate *a)
{
	int idx[AGG_SNIS], n = topk_sorted(&a->snis, idx, topk_count, &a->snis), i;

	if (!n)
		return;
	fprintf(out, "top failing SNIs:\n");
	for (i = 0; i < n && i < SUMMARY_TOP; i++) {
		const struct topk_slot *s = &a->snis.slot[idx[i]];

		fprintf(out, "  %-39s %6llu%s  ", s->key, (unsigned long long)s->count,
			s->error ? "~" : " ");
		print_reasons(out, a->sni_info[idx[i]].by_reason);
		fputc('\n', out);
	}
}

static void print_mix(FILE *out, const struct aggregate *a)
{
	char buf[24];
	int v, i;

	if (!a->success)
		return;
	fprintf(out, "successful handshakes by version:");
	for (v = AGG_VERSIONS - 2; v >= 0; v--)
		if (a->versions[v])
			fprintf(out, " %s %llu", tls_version_name(0x0300 + v),
				(unsigned long long)a->versions[v]);
	if (a->versions[AGG_VERSIONS - 1])
		fprintf(out, " unknown %llu", (unsigned long long)a->versions[AGG_VERSIONS - 1]);
	fprintf(out, "\nby cipher:");
	for (i = 0; i < a->n_ciphers; i++)
		fprintf(out, " %s %llu", tls_cipher_name(a->cipher_id[i], buf, sizeof(buf)),
			(unsigned long long)a->cipher_count[i]);
	if (a->cipher_count[AGG_CIPHERS])
		fprintf(out, " other %llu", (unsigned long long)a->cipher_count[AGG_CIPHERS]);
	fputc('\n', out);
}

void summary_latency_line(FILE *out, const struct latency *l)
{
	fprintf(out, "server_hello p50/p90/p99 %.1f/%.1f/%.1f ms (n=%llu)",
		lat_percentile(&l->server_hello, 50) / 1000.0,
		lat_percentile(&l->server_hello, 90) / 1000.0,
		lat_percentile(&l->server_hello, 99) / 1000.0,
		(unsigned long long)l->server_hello.n);
	if (l->established.n)
		fprintf(out, "  established %.1f/%.1f/%.1f ms (n=%llu)",
			lat_percentile(&l->established, 50) / 1000.0,
			lat_percentile(&l->established, 90) / 1000.0,
			lat_percentile(&l->established, 99) / 1000.0,
			(unsigned long long)l->established.n);
	fputc('\n', out);
}

static void print_latency(FILE *out, const struct aggregate *a)
{
	int idx[AGG_LAT_SNIS], n = topk_sorted(&a->lat_snis, idx, sni_latency_count, a), i;
	bool title = false;

	for (i = 0; i < a->n_ports; i++) {
		if (!a->port_latency[i].server_hello.n)
			continue;
		if (!title)
			fprintf(out, "handshake latency (from the ClientHello):\n");
		title = true;
		fprintf(out, "  port %-34u ", a->ports[i]);
		summary_latency_line(out, &a->port_latency[i]);
	}
	for (i = 0; i < n && i < SUMMARY_TOP; i++) {
		fprintf(out, "  sni %-35s ", a->lat_snis.slot[idx[i]].key);
		summary_latency_line(out, &a->sni_latency[idx[i]]);
	}
}

/* "resumed 3 of 10 (30.0%: ticket 1, psk 2); clients asked in 5" */
static void resumption_line(FILE *out, const struct resumption_counts *rc)
{
	__u64 resumed = resumption_total(rc);
	const char *sep = ":";
	int k;

	fprintf(out, "resumed %llu of %llu (%.1f%%", (unsigned long long)resumed,
		(unsigned long long)rc->established, 100.0 * resumed / rc->established);
	for (k = RESUME_NONE + 1; k < RESUME_KINDS; k++) {
		if (!rc->resumed[k])
			continue;
		fprintf(out, "%s %s %llu", sep, resumption_name(k),
			(unsigned long long)rc->resumed[k]);
		sep = ",";
	}
	fprintf(out, "); clients asked in %llu", (unsigned long long)rc->offered);
	/* The runbook's "session cache disabled". */
	if (rc->offered && !resumed)
		fputs(": none resumed (session cache and tickets off?)", out);
	fputc('\n', out);
}

static void print_resumption(FILE *out, const struct aggregate *a)
{
	int idx[AGG_LAT_SNIS], n = topk_sorted(&a->lat_snis, idx, sni_latency_count, a), i;
	bool title = false;

	for (i = 0; i < a->n_ports; i++) {
		if (!a->port_resumption[i].established)
			continue;
		if (!title)
			fprintf(out, "session resumption (established handshakes):\n");
		title = true;
		fprintf(out, "  port %-34u ", a->ports[i]);
		resumption_line(out, &a->port_resumption[i]);
	}
	for (i = 0; i < n && i < SUMMARY_TOP; i++) {
		if (!a->sni_resumption[idx[i]].established)
			continue;
		fprintf(out, "  sni %-35s ", a->lat_snis.slot[idx[i]].key);
		resumption_line(out, &a->sni_resumption[idx[i]]);
	}
}

void summary_rates_line(FILE *out, const struct aggregate *a, __u64 now_ns)
{
	struct agg_rates r;

	aggregate_rates(a, now_ns, SUMMARY_RATE_SEC, &r);
	fprintf(out, "last %ds: %.1f handshakes/s, %.1f failures/s (%.1f%% failed)\n", r.seconds,
		r.handshakes_per_sec, r.failures_per_sec, 100.0 * r.failure_ratio);
}

/* A line for each counter that is not zero: "N" and then the text. */
static const struct {
	enum tlsnoop_stat stat;
	const char *prefix, *text;
} counter_lines[] = {
	{ STAT_RINGBUF_DROPS, "WARNING: ", "events lost: ring buffer full" },
	{ STAT_FLOW_FULL, "WARNING: ", "connections not tracked: flow table full" },
	{ STAT_FLOWS_EVICTED, "WARNING: ", "handshakes evicted from the full flow table before "
	  "their outcome: not reported (raise --max-flows)" },
	{ STAT_CLIENT_OVER_BUDGET, "WARNING: ", "new handshakes not tracked: their client was "
	  "over its budget (--per-client-rate)" },
	{ STAT_HELLO_LOST, "WARNING: ", "ClientHellos lost before their outcome (ring buffer "
	  "full or hello held too long): those events lack SNI and offers" },
	{ STAT_FLIGHT_LOST, "WARNING: ", "TLS <= 1.2 flight segments lost (ring buffer half full, "
	  "or held too long): those events may lack certificates" },
	{ STAT_FLIGHT_CAPPED, "note: ", "TLS <= 1.2 flight segments past their first 16 KiB "
	  "not read: certificates there are missed" },
	{ STAT_DESYNC, "note: ", "times a record stream was picked up again after missed or "
	  "malformed bytes" },
	{ STAT_FRAGMENTS, "note: ", "IP fragments skipped (ports unknown)" },
	{ STAT_HELLO_TRUNCATED, "note: ", "ClientHellos longer than 4096 bytes parsed in part" },
};

_Static_assert(TLSNOOP_HELLO_MAX == 4096, "the note on long ClientHellos names the size");
_Static_assert(TLSNOOP_FLIGHT_MAX == 16384, "the note on long flights names the size");

static void print_notes(FILE *out, const __u64 *stats, __u64 in_progress)
{
	size_t i;

	if (in_progress)
		fprintf(out, "handshakes still in progress (not reported): %llu\n",
			(unsigned long long)in_progress);
	for (i = 0; i < sizeof(counter_lines) / sizeof(counter_lines[0]); i++)
		if (stats[counter_lines[i].stat])
			fprintf(out, "%s%llu %s\n", counter_lines[i].prefix,
				(unsigned long long)stats[counter_lines[i].stat],
				counter_lines[i].text);
}

/* "  untrusted_certificate  3", one line per reason counted. */
static void print_reason_counts(FILE *out, const __u64 *by_reason)
{
	int i;

	for (i = 1; i < REASON_MAX; i++)
		if (by_reason[i])
			fprintf(out, "  %-22s %llu\n", reason_name(i),
				(unsigned long long)by_reason[i]);
}

/* The load balancer's other side, as a cloud one's TargetTLSNegotiationErrorCount. */
static void print_backends(FILE *out, const struct aggregate *a)
{
	const struct backend_counts *b = &a->backend;

	if (!b->total)
		return;
	fprintf(out, "backend handshakes (this host to its backends): %llu  success: %llu  "
		"failure: %llu\n", (unsigned long long)b->total, (unsigned long long)b->success,
		(unsigned long long)(b->total - b->success));
	print_reason_counts(out, b->by_reason);
	print_clients(out, "top failing backends", &a->backends, a->backend_info);
}

void summary_print(FILE *out, const struct aggregate *a, const __u64 *stats, __u64 in_progress,
		   __u64 now_ns)
{
	fprintf(out, "\n--- tlsnoop summary ---\n");
	fprintf(out, "handshakes: %llu  success: %llu  failure: %llu\n",
		(unsigned long long)a->total, (unsigned long long)a->success,
		(unsigned long long)(a->total - a->success));
	summary_rates_line(out, a, now_ns);
	print_reason_counts(out, a->by_reason);
	if (a->inferred)
		fprintf(out, "  (%llu of the failures inferred from encrypted alerts)\n",
			(unsigned long long)a->inferred);
	print_clients(out, "top failing clients", &a->clients, a->client_info);
	print_snis(out, a);
	print_mix(out, a);
	print_backends(out, a);
	print_latency(out, a);
	print_resumption(out, a);
	cert_summary_print(out, &a->certs);
	print_notes(out, stats, in_progress);
}
