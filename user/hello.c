// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf/parse_tls.h compiled for userspace: the same source as in the kernel,
 * with plain C in place of the BPF helpers it names.
 */
#include <string.h>
#include "hello.h"

#define TLS_COPY(dst, len, src)	memcpy(dst, src, len)
#define TLS_BARRIER(v)		((void)0)
#define TLS_COPY_WORDS(dst, src, n)	memcpy(dst, src, n)
#define TLS_LOOP(n, cb, data)						\
	do {								\
		for (__u32 i_ = 0; i_ < (n); i_++)			\
			if (cb(i_, data))				\
				break;					\
	} while (0)
#define TLS_PARSER static
#include "parse_tls.h"

int hello_parse_client(const struct hello_buf *hb, __u32 have, struct client_hello *ch)
{
	return tls_parse_client_hello(hb, have, ch);
}

int hello_parse_server(const struct hello_buf *hb, __u32 have, const struct client_hello *ch,
		       struct server_hello *sh)
{
	return tls_parse_server_hello(hb, have, ch, sh);
}
