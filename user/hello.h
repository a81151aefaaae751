/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ClientHello parser for the bytes the kernel hands over. */
#ifndef __HELLO_H
#define __HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "fingerprint.h"

#define HELLO_LIST_MAX	128	/* entries kept per offered list */

/* What a ClientHello offered, as reported with its event. */
struct hello_info {
	struct client_hello ch;
	bool lists_cut;			/* a list had more than HELLO_LIST_MAX entries */
	__u16 n_ciphers, n_exts, n_groups, n_sigalgs;
	__u16 ciphers[HELLO_LIST_MAX];	/* wire order, GREASE included */
	__u16 exts[HELLO_LIST_MAX];
	__u16 groups[HELLO_LIST_MAX];
	__u16 sigalgs[HELLO_LIST_MAX];
	char ja3[JA3_LEN + 1];		/* "" when the hello was cut short */
	char ja4[JA4_LEN + 1];
};

/*
 * Parse a ClientHello record: `len` bytes from its record header, possibly
 * fewer than the record (then parsed as far as they go and flagged
 * HELLO_TRUNCATED). Fills `hi` (zeroed here); returns 0 when the bytes
 * start a ClientHello, -1 otherwise.
 */
int hello_parse(const __u8 *rec, size_t len, struct hello_info *hi);
/* The same, for the facts an event carries only. `ch` zeroed by the caller. */
int hello_parse_client(const __u8 *rec, size_t len, struct client_hello *ch);

#endif /* __HELLO_H */
