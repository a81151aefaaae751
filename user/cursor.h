/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading bytes from the wire through a cursor that knows how many are
 * left: nothing is read past them. For the parsers of what the kernel
 * hands over (ClientHellos, flights).
 */
#ifndef __CURSOR_H
#define __CURSOR_H

#include <stddef.h>
#include <linux/types.h>

/* Bytes not yet read: p[0 .. n). */
struct cursor {
	const __u8 *p;
	size_t n;
};

static inline int get_u8(struct cursor *c, __u32 *v)
{
	if (c->n < 1)
		return -1;
	*v = c->p[0];
	c->p++;
	c->n--;
	return 0;
}

static inline int get_u16(struct cursor *c, __u32 *v)
{
	if (c->n < 2)
		return -1;
	*v = (__u32)c->p[0] << 8 | c->p[1];
	c->p += 2;
	c->n -= 2;
	return 0;
}

static inline int get_u24(struct cursor *c, __u32 *v)
{
	if (c->n < 3)
		return -1;
	*v = (__u32)c->p[0] << 16 | (__u32)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->n -= 3;
	return 0;
}

/* The next n bytes as a cursor of their own. */
static inline int get_bytes(struct cursor *c, size_t n, struct cursor *out)
{
	if (c->n < n)
		return -1;
	out->p = c->p;
	out->n = n;
	c->p += n;
	c->n -= n;
	return 0;
}

#endif /* __CURSOR_H */
