// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: a capture file, as `tlsnoop -r FILE --json -w OUT`
 * reads it: libpcap's reader, the link layers capture.c makes Ethernet,
 * every packet through the programs built for the host (bpf/host/), and
 * the collector with the -w writer and JSON events, each line checked.
 *
 * Each input is a file of its own (a memfd). At its end every flow it left
 * is expired, as if the capture had gone quiet for long, so that it leaves
 * nothing held for the next and replays alone (starting the programs afresh
 * for each input would cost ten times the run: megabytes of tables to
 * clear); the collector's counters live across inputs, as over a long -r.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "capture.h"
#include "collect.h"
#include "host/tlsnoop_host.h"
#include "json_check.h"

#define MAX_FLOWS	1024	/* --max-flows' least */
#define PCAP_CONNS	4
/* Past every capture time (capture.c stops its clock at the year 2242):
 * every flow is idle then. */
#define END_OF_TIME_NS	(~0ULL)

static const __u16 ports[] = { 443, 8443 };

static struct tlsnoop_bpf *skel;
static struct collector col = { .json = true, .timeout_ns = 10000000000ULL };

/* Every line written to f whole, printable ASCII, one valid JSON object. */
static void check_lines(FILE *f)
{
	static char buf[1 << 20];
	const char *line = buf, *nl;
	size_t len;

	/* Not a memstream: capture_run() gives the events its own buffer. */
	if (fflush(f) || fseek(f, 0, SEEK_SET))
		abort();
	len = fread(buf, 1, sizeof(buf), f);
	if (len == sizeof(buf))
		return;		/* more than checked here: never from a 64 KiB input */

	while ((nl = memchr(line, '\n', buf + len - line))) {
		if (!line_clean(line, nl + 1 - line) || !json_object_valid(line, nl - line)) {
			fprintf(stderr, "bad JSON line: %.*s\n", (int)(nl - line), line);
			abort();
		}
		line = nl + 1;
	}
	if (line != buf + len)
		abort();	/* a line cut short */
}

/* The input as a file capture_open() can open by name. */
static int input_file(const __u8 *data, size_t size, char *path, size_t path_len)
{
	int fd = memfd_create("capture", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static volatile sig_atomic_t never;
	char path[64];
	struct capture *cap;
	int fd = input_file(data, size, path, sizeof(path));

	cap = capture_open(path);
	if (!cap)
		goto out;
	col.pcap = pcap_writer_open("/dev/null", NULL, PCAP_CONNS);
	col.out = tmpfile();
	if (!col.pcap || !col.out)
		abort();
	capture_run(cap, &col, &never);
	col.capture_ns = END_OF_TIME_NS;
	if (collector_expire(&col))
		abort();	/* a flow left for the next input */
	check_lines(col.out);
	fclose(col.out);
	pcap_writer_close(col.pcap);
	capture_close(cap);
out:
	close(fd);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	skel = tlsnoop_bpf__open();
	if (!skel)
		abort();
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		skel->rodata->watched_ports[ports[i] >> 3] |= 1 << (ports[i] & 7);
	skel->rodata->copy_packets = true;
	bpf_map__set_max_entries(skel->maps.flows, MAX_FLOWS);
	client_budget_set(skel, TLSNOOP_DEFAULT_CLIENT_RATE, TLSNOOP_DEFAULT_CLIENT_BURST);
	col.host = tlsnoop_host_load(skel);
	if (!col.host || collector_init(&col, skel))
		abort();
	return 0;
}
