// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: what a server sends back to `tlsnoop check`, as
 * check's own readers take it: raw_server_reply() (records, the
 * ServerHello, the Certificate message after it and its certificates,
 * parsed with libcrypto and verified), then the same bytes as one
 * handshake message to parse_server_hello() and parse_server_signature().
 * Checked: an answer is decided or awaits more, a chain only comes with a
 * ServerHello and holds at most CERT_CHAIN_MAX certificates, every
 * reference is released (LeakSanitizer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "active_check.h"
#include "cert.h"

static struct cert_cache *certs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_hello_facts sh;
	struct probe_result res;
	int ret;

	/* An empty store: no lookups of the system's at each verification. */
	if (!certs && !(certs = cert_cache_new(64, X509_STORE_new())))
		abort();
	memset(&res, 0, sizeof(res));
	ret = raw_server_reply(data, size, &res, certs);
	if ((ret != 0 && ret != 1) || res.chain.n > CERT_CHAIN_MAX ||
	    (res.chain.n && res.status != PROBE_HELLO))
		abort();
	if (res.chain.n)
		cert_chain_verify(certs, &res.chain);
	cert_chain_release(&res.chain);
	memset(&res, 0, sizeof(res));
	if (raw_server_reply(data, size, &res, NULL) < 0 || res.chain.n)
		abort();
	ret = parse_server_hello(data, size, &sh);
	if (ret < -1 || ret > 1)
		abort();
	parse_server_signature(data, size, 0x0303, true);
	parse_server_signature(data, size, 0x0303, false);
	parse_server_signature(data, size, 0x0304, false);
	return 0;
}
