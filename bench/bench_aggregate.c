// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The aggregation's memory bound: 1,000,000 failing handshakes from
 * 1,000,000 distinct client addresses (half IPv4, half IPv6, each with its
 * own SNI) through aggregate_add(). Prints the peak RSS before and after,
 * and the time per handshake, as a markdown table.
 *
 * Usage: bench_aggregate [-n handshakes]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "aggregate.h"
#include "synth.h"

/* Peak resident set size (VmHWM) in KiB. */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = 1000000, i, before, after;
	static struct synth s;
	struct aggregate *a;
	char ip[INET6_ADDRSTRLEN], sni[64];
	double t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (n = atol(optarg)) <= 0) {
			fprintf(stderr, "usage: bench_aggregate [-n handshakes]\n");
			return 2;
		}
	}
	before = peak_rss_kib();
	a = malloc(sizeof(*a));
	if (!a)
		return 1;
	aggregate_init(a);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (i & 1)
			snprintf(ip, sizeof(ip), "2001:db8:%lx:%lx::1", (i >> 16) & 0xffff,
				 i & 0xffff);
		else
			snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255,
				 i & 255);
		snprintf(sni, sizeof(sni), "host-%ld.example", i);
		synth_report(&s, ip, 443, REASON_UNTRUSTED_CERTIFICATE, sni, 500 + i % 1000, 0);
		aggregate_add(a, &s.r, (__u64)i * 1000);
	}
	t1 = now_s();
	after = peak_rss_kib();

	printf("\nAggregation memory bound (bench/bench_aggregate.c): %ld failing handshakes from "
	       "%ld distinct clients and SNIs.\n\n", n, n);
	printf("| measure | value |\n|---------|------:|\n");
	printf("| peak RSS before (process, libc) | %ld KiB |\n", before);
	printf("| peak RSS after | %ld KiB |\n", after);
	printf("| growth | %ld KiB |\n", after - before);
	printf("| sizeof(struct aggregate) | %zu KiB |\n", sizeof(*a) / 1024);
	printf("| clients / prefixes / SNIs kept | %d / %d / %d |\n", a->clients.n,
	       a->prefixes.n, a->snis.n);
	printf("| time per handshake | %.0f ns |\n", (t1 - t0) / n * 1e9);
	free(a);
	return 0;
}
