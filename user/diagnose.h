/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Outcome and reason of a handshake, from the facts in its event. */
#ifndef __DIAGNOSE_H
#define __DIAGNOSE_H

#include <stdbool.h>
#include <linux/types.h>
#include "tlsnoop.h"

enum reason {
	REASON_NONE = 0,		/* success */
	REASON_PROTOCOL_VERSION,
	REASON_NO_SHARED_CIPHER,
	REASON_UNTRUSTED_CERTIFICATE,
	REASON_EXPIRED_CERTIFICATE,
	REASON_REVOKED_CERTIFICATE,
	REASON_MISSING_SNI,
	REASON_UNKNOWN_SNI,
	REASON_CLIENT_CERTIFICATE,
	REASON_ALPN_MISMATCH,
	REASON_NOT_TLS,
	REASON_NO_CLIENT_HELLO,
	REASON_CLIENT_ABORT,
	REASON_SERVER_ABORT,
	REASON_TIMEOUT,
	REASON_OTHER_ALERT,
	REASON_MAX,
};

struct diagnosis {
	bool success;
	enum reason reason;
	bool inferred;		/* from an encrypted alert's size and context */
};

void diagnose(const struct event *e, struct diagnosis *d);
const char *reason_name(enum reason r);

#endif /* __DIAGNOSE_H */
