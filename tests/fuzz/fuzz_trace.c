// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: a trace file for `tlsnoop check --trace`, as trace.c
 * reads it (lines of tlsnoop's JSON events, with json-c) and check_trace.c
 * judges it: each event read back is judged against two policies and
 * counted, as check does; every REPORT_EVERY inputs the report of all so
 * far is written, as text and as JSON, and checked: every text line
 * printable, the JSON one valid object. (Each time would cost twenty times
 * the reading: the client bitmaps' counts.)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "json_check.h"
#include "policy.h"
#include "report.h"
#include "trace.h"
#include "whatif.h"

#define REPORT_EVERY	32

static struct policy_set set;
static struct whatif *counts;

static void judge(const struct trace_event *t, void *ctx)
{
	struct report r = {};

	(void)ctx;
	r.e = &t->e;
	r.hello = t->has_hello ? &t->hello : NULL;
	policy_judge(&set, r.hello, &r.policy);
	whatif_add(counts, &r);
}

static void check_report(void)
{
	static char *text;
	static size_t len;
	const char *line, *nl;
	struct json j;
	FILE *out;

	out = open_memstream(&text, &len);
	if (!out)
		abort();
	whatif_print_policies(out, counts);
	fclose(out);
	for (line = text; (nl = memchr(line, '\n', text + len - line)); line = nl + 1)
		if (!line_clean(line, nl + 1 - line))
			abort();
	if (line != text + len)
		abort();
	free(text);

	out = open_memstream(&text, &len);
	if (!out)
		abort();
	json_begin(&j, out);
	whatif_json(&j, counts);
	json_end(&j);
	fclose(out);
	if (!len || !json_object_valid(text, len - 1) || !line_clean(text, len))
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static unsigned int inputs;
	struct trace_stats stats;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!size || !f) {
		if (f)
			fclose(f);
		return 0;
	}
	if (trace_read(f, judge, NULL, &stats) || stats.events + stats.skipped != stats.lines)
		abort();
	fclose(f);
	if (++inputs % REPORT_EVERY == 0)
		check_report();
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (json_reader_misjudges())
		abort();
	set.n = 2;
	if (policy_parse("mozilla-intermediate", &set.policy[0], err, sizeof(err)) ||
	    policy_parse("ELBSecurityPolicy-2016-08", &set.policy[1], err, sizeof(err)))
		abort();
	counts = whatif_new(&set);
	return counts ? 0 : -1;
}
