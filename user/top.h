/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `tlsnoop top`: a full-screen view of the aggregate, redrawn with ANSI
 * sequences, with keys to sort, group, filter, pause and quit. When stdout
 * is not a terminal, periodic plain-text summaries instead.
 */
#ifndef __TOP_H
#define __TOP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "aggregate.h"

struct top_view;

/* title: interface and ports; interval_sec 0: the default. NULL on
 * failure (errno set). */
struct top_view *top_open(FILE *out, const char *title, unsigned int interval_sec);
/* Redraw if the interval has passed (or a key asked for it). */
void top_tick(struct top_view *v, const struct aggregate *a, const __u64 *stats,
	      __u64 in_progress, __u64 now_ns);
/* Read pending keys; returns true when the user asked to quit. */
bool top_keys(struct top_view *v, const struct aggregate *a);
/* Give the terminal back as it was. */
void top_close(struct top_view *v);

#endif /* __TOP_H */
