/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ClientHello parser for the bytes the kernel hands over. */
#ifndef __HELLO_H
#define __HELLO_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsnoop.h"

/*
 * Parse a ClientHello record: `len` bytes from its record header, possibly
 * fewer than the record (then parsed as far as they go and flagged
 * HELLO_TRUNCATED). Fills `ch` (zeroed by the caller); returns 0 when the
 * bytes start a ClientHello, -1 otherwise.
 */
int hello_parse_client(const __u8 *rec, size_t len, struct client_hello *ch);

#endif /* __HELLO_H */
