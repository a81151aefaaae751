/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* FNV-1a: where a flow key or an address goes in the collector's tables. */
#ifndef __FNV_H
#define __FNV_H

#include <stddef.h>
#include <linux/types.h>

#define FNV_OFFSET	0xcbf29ce484222325ULL

static inline __u64 fnv1a(__u64 h, const void *bytes, size_t len)
{
	const __u8 *p = bytes;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#endif /* __FNV_H */
