/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The unit tests' one assertion: count, and say where and why it failed. */
#ifndef __CHECK_H
#define __CHECK_H

#include <stdio.h>

static int passed, failed;
static const char *current = "";	/* the test case being run */

#define CHECK(cond, fmt, ...)							\
	do {									\
		if (cond) {							\
			passed++;						\
		} else {							\
			failed++;						\
			fprintf(stderr, "FAIL %s:%d [%s] " fmt "\n", __FILE__,	\
				__LINE__, current, ##__VA_ARGS__);		\
		}								\
	} while (0)

#endif /* __CHECK_H */
