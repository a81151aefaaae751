/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel's TLS parser, built for userspace. */
#ifndef __HELLO_H
#define __HELLO_H

#include <linux/types.h>
#include "tlsnoop.h"

/* Parse the first `have` bytes of a ClientHello record (parse_tls.h). */
int hello_parse_client(const struct hello_buf *hb, __u32 have, struct client_hello *ch);
/* Parse a ServerHello record; `ch` gives the session id it may echo. */
int hello_parse_server(const struct hello_buf *hb, __u32 have, const struct client_hello *ch,
		       struct server_hello *sh);

#endif /* __HELLO_H */
