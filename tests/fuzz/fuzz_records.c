// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: ring-buffer records through the collector, as
 * on_ringbuf() hands them over (collector_record()), every consumer on:
 * hello table, aggregate, metrics, two policies and the what-if counts,
 * the -w pcapng writer, event lines. Each record is copied to a heap buffer
 * of exactly its size, so AddressSanitizer catches a read of even one byte
 * past it; every line written is checked (JSON: a strict reader).
 *
 * The counters live across inputs, as over a collector's life, and the
 * exit reports (summary, metrics, what-if) are printed from them now and
 * then; held hellos and packets are each input's own.
 *
 * Input: one settings byte (SET_*), then records, each behind its length
 * (2 bytes, little-endian; the last one takes what is left when shorter).
 * A record starts with its type (REC_EVENT, REC_HELLO, REC_FLIGHT, REC_PACKET, or any
 * other value), so every field of every record is the fuzzer's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "cert.h"
#include "collect.h"
#include "flight.h"
#include "hello_table.h"
#include "json_check.h"
#include "policy.h"
#include "summary.h"

enum settings {
	SET_JSON	= 1 << 0,	/* event lines as JSON, else text */
};

/* Small, so that hellos and connections replace and push out each other. */
#define HELLOS_HELD	8
#define FLIGHTS_HELD	4
#define CERTS_CACHED	8
#define PCAP_CONNS	4
#define IFINDEX		2	/* the watched interface, named in JSON */
/* The exit reports read everything counted so far, at the cost of some
 * hundred inputs: now and then. */
#define REPORTS_EVERY	4096
/* Any fixed clocks: an input must do the same each time it runs. */
#define MONO_TO_WALL	1700000000000000000LL
#define NOW_NS		1700000060000000000ULL

static const char *const policy_names[] = { "ELBSecurityPolicy-TLS13-1-2-2021-06",
					    "mozilla-intermediate" };
static const __u16 ports[] = { 443, 8443 };

static struct policy_set policies;
static struct attach_set watched = { .ifs = { { .ifname = "eth0", .ifindex = IFINDEX } },
				     .n = 1 };
static struct collector col = { .mono_to_wall = MONO_TO_WALL, .capture_ns = NOW_NS,
				.policies = &policies, .watched = &watched };
static FILE *devnull;
static __u64 inputs;

/* Every line is whole, printable ASCII; JSON ones one valid object each. */
static void check_lines(const char *buf, size_t len, bool json, size_t events)
{
	const char *line = buf, *nl;
	size_t lines = 0, n;

	while ((nl = memchr(line, '\n', buf + len - line))) {
		n = nl + 1 - line;
		if (!line_clean(line, n) || (json ? !json_object_valid(line, n - 1) :
					     !memmem(line, n, " hist=", 6))) {
			fprintf(stderr, "bad %s line: %.*s", json ? "JSON" : "text", (int)n, line);
			abort();
		}
		lines++;
		line = nl + 1;
	}
	if (line != buf + len || lines != events) {
		fprintf(stderr, "%zu lines for %zu events\n", lines, events);
		abort();
	}
}

/* What the exit reports make of everything counted so far. */
static void print_reports(void)
{
	__u64 stats[STAT_MAX] = {};

	summary_print(devnull, col.agg, stats, 0, NOW_NS);
	metrics_render(col.metrics, devnull);
	whatif_print(devnull, col.whatif);
	pcap_writer_report(devnull, col.pcap, stats);
}

/* Feed the records; returns how many were events (a line each). */
static size_t feed(const __u8 *data, size_t size)
{
	size_t events = 0, len;
	__u32 type;
	__u8 *rec;

	while (size >= 2) {
		len = data[0] | data[1] << 8;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		rec = malloc(len);
		if (!rec && len)
			break;
		memcpy(rec, data, len);
		memcpy(&type, data, len < sizeof(type) ? len : sizeof(type));
		events += len >= sizeof(struct event) && type == REC_EVENT;
		collector_record(&col, rec, len);
		free(rec);
		data += len;
		size -= len;
	}
	return events;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	char *buf = NULL;
	size_t len = 0, events;
	__u8 set;

	if (!size)
		return 0;
	set = data[0];
	/* Held hellos and packets are the input's own: it replays alone. */
	col.hellos = hello_table_new(HELLOS_HELD);
	col.flights = flight_table_new(FLIGHTS_HELD);
	col.pcap = pcap_writer_open("/dev/null", "eth0", PCAP_CONNS);
	col.out = open_memstream(&buf, &len);
	if (!col.hellos || !col.flights || !col.pcap || !col.out)
		abort();
	col.json = set & SET_JSON;
	events = feed(data + 1, size - 1);
	if (++inputs % REPORTS_EVERY == 0)
		print_reports();
	fclose(col.out);
	check_lines(buf, len, col.json, events);
	free(buf);
	pcap_writer_close(col.pcap);
	hello_table_free(col.hellos);
	flight_table_free(col.flights);
	return 0;
}

static void set_policies(void)
{
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
		if (policy_parse(policy_names[i], &policies.policy[policies.n++], err,
				 sizeof(err))) {
			fprintf(stderr, "%s: %s\n", policy_names[i], err);
			abort();
		}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	set_policies();
	col.agg = malloc(sizeof(*col.agg));
	col.metrics = metrics_new(ports, sizeof(ports) / sizeof(ports[0]));
	col.whatif = whatif_new(&policies);
	/* Certificates seen once stay cached, as over a collector's life. */
	col.certs = cert_cache_new(CERTS_CACHED, NULL);
	devnull = fopen("/dev/null", "w");
	if (!col.agg || !col.metrics || !col.whatif || !col.certs || !devnull)
		abort();
	aggregate_init(col.agg);
	return 0;
}
