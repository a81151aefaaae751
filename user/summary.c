// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "summary.h"

static struct client_count *client_slot(struct summary *s, const char *ip)
{
	struct client_count *min = NULL, *c;
	int i;

	for (i = 0; i < s->n_clients; i++) {
		c = &s->clients[i];
		if (!strcmp(c->ip, ip))
			return c;
		if (!min || c->count < min->count)
			min = c;
	}
	if (s->n_clients < SUMMARY_CLIENTS) {
		c = &s->clients[s->n_clients++];
		memset(c, 0, sizeof(*c));
		snprintf(c->ip, sizeof(c->ip), "%s", ip);
		return c;
	}
	/* Space-Saving: the least counted client gives its slot to the new
	 * one, whose count starts from the evicted count (its error bound). */
	snprintf(min->ip, sizeof(min->ip), "%s", ip);
	min->error = min->count;
	memset(min->by_reason, 0, sizeof(min->by_reason));
	return min;
}

void summary_add(struct summary *s, const struct report *r)
{
	struct client_count *c;

	s->total++;
	if (r->d.success) {
		s->success++;
		return;
	}
	s->by_reason[r->d.reason]++;
	s->inferred += r->d.inferred;
	c = client_slot(s, r->client_ip);
	c->count++;
	c->by_reason[r->d.reason]++;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct client_count *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->ip, y->ip);
}

static void print_client_reasons(FILE *out, const struct client_count *c)
{
	const char *sep = "";
	int r;

	for (r = 1; r < REASON_MAX; r++) {
		if (!c->by_reason[r])
			continue;
		fprintf(out, "%s%s=%u", sep, reason_name(r), c->by_reason[r]);
		sep = " ";
	}
}

void summary_print(FILE *out, const struct summary *s, const __u64 *stats, __u64 in_progress)
{
	struct client_count top[SUMMARY_CLIENTS];
	int i, n = s->n_clients;

	fprintf(out, "\n--- tlsnoop summary ---\n");
	fprintf(out, "handshakes: %llu  success: %llu  failure: %llu\n",
		(unsigned long long)s->total, (unsigned long long)s->success,
		(unsigned long long)(s->total - s->success));
	for (i = 1; i < REASON_MAX; i++)
		if (s->by_reason[i])
			fprintf(out, "  %-22s %llu\n", reason_name(i),
				(unsigned long long)s->by_reason[i]);
	if (s->inferred)
		fprintf(out, "  (%llu of the failures inferred from encrypted alerts)\n",
			(unsigned long long)s->inferred);
	if (n) {
		memcpy(top, s->clients, n * sizeof(top[0]));
		qsort(top, n, sizeof(top[0]), by_count_desc);
		fprintf(out, "top failing clients:\n");
		for (i = 0; i < n && i < SUMMARY_TOP; i++) {
			fprintf(out, "  %-39s %6llu  ", top[i].ip, (unsigned long long)top[i].count);
			print_client_reasons(out, &top[i]);
			fputc('\n', out);
		}
	}
	if (in_progress)
		fprintf(out, "handshakes still in progress at exit (not reported): %llu\n",
			(unsigned long long)in_progress);
	if (stats[STAT_RINGBUF_DROPS])
		fprintf(out, "WARNING: %llu events lost: ring buffer full\n",
			(unsigned long long)stats[STAT_RINGBUF_DROPS]);
	if (stats[STAT_FLOW_FULL])
		fprintf(out, "WARNING: %llu connections not tracked: flow table full\n",
			(unsigned long long)stats[STAT_FLOW_FULL]);
	if (stats[STAT_DESYNC])
		fprintf(out, "note: %llu times a record stream was picked up again after "
			"missed or malformed bytes\n", (unsigned long long)stats[STAT_DESYNC]);
	if (stats[STAT_FRAGMENTS])
		fprintf(out, "note: %llu IP fragments skipped (ports unknown)\n",
			(unsigned long long)stats[STAT_FRAGMENTS]);
	if (stats[STAT_HELLO_LOST])
		fprintf(out, "WARNING: %llu ClientHellos lost before their outcome (ring buffer "
			"full or hello held too long): those events lack SNI and offers\n",
			(unsigned long long)stats[STAT_HELLO_LOST]);
	if (stats[STAT_HELLO_TRUNCATED])
		fprintf(out, "note: %llu ClientHellos longer than %d bytes parsed in part\n",
			(unsigned long long)stats[STAT_HELLO_TRUNCATED], TLSNOOP_HELLO_MAX);
}
