/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tlsnoop's own JSON event lines (`--json -o FILE`) read back, for
 * `tlsnoop check --trace`: each event's client, server port and
 * ClientHello, as the collector reported them (docs/events.md).
 */
#ifndef __TRACE_H
#define __TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "hello.h"

#define TRACE_LINE_MAX	(1 << 20)	/* longer lines are not events of ours */

/* One event line, read back. */
struct trace_event {
	struct event e;			/* key only: addresses and ports */
	bool backend;			/* tlsnoop.side "backend" */
	bool success;			/* event.outcome "success" */
	bool has_hello;			/* the ClientHello's lists are in the line */
	struct hello_info hello;	/* lists, versions and flags; JA4 */
};

struct trace_stats {
	__u64 lines;			/* non-empty lines */
	__u64 events;			/* lines that are tlsnoop events */
	__u64 skipped;			/* lines that are not (too long, not JSON, other) */
};

/*
 * Parse one line (without its newline). 0: an event, in *t; -1: not a
 * tlsnoop event line. Every field is checked; nothing in the line is trusted.
 */
int trace_parse_line(const char *line, size_t len, struct trace_event *t);

typedef void (*trace_fn)(const struct trace_event *t, void *ctx);

/*
 * Every event line of f, in order, to fn. 0 when f was read to its end
 * (stats says how many lines were events); -1 on a read error (errno).
 */
int trace_read(FILE *f, trace_fn fn, void *ctx, struct trace_stats *stats);

#endif /* __TRACE_H */
