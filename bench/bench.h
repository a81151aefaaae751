/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the BPF benchmark programs share. Each defines BENCH_NAME first. */
#ifndef __BENCH_H
#define __BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pkt.h"

#define XDP_PASS_	2

static void die(const char *what)
{
	fprintf(stderr, BENCH_NAME ": %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One BPF_PROG_TEST_RUN call; its average ns per repetition. */
static __u32 test_run(int fd, const struct pkt *p, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf, .data_size_in = p->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN");
	if (o.retval != XDP_PASS_) {
		fprintf(stderr, BENCH_NAME ": verdict %u is not XDP_PASS\n", o.retval);
		exit(1);
	}
	return o.duration;
}

#endif /* __BENCH_H */
