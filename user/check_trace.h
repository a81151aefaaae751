/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tlsnoop check --trace FILE: the client families (by JA4) in tlsnoop's own
 * JSON events that a server with each --policy would turn away, judged as
 * `tlsnoop whatif` judges them, with the certificate the check was sent.
 */
#ifndef __CHECK_TRACE_H
#define __CHECK_TRACE_H

#include <stdbool.h>
#include "cert.h"
#include "policy.h"
#include "trace.h"
#include "whatif.h"

#define CHECK_TRACE_PORTS	8	/* other ports named when none is the listener's */

struct check_target;

struct check_trace {
	const char *path;
	struct trace_stats stats;
	__u64 to_listener;		/* events of handshakes with the listener checked */
	int n_ports;
	__u16 ports[CHECK_TRACE_PORTS];	/* the events' other destination ports */
	/* Judged both ways before the check knows the certificate: by
	 * enum policy_cert. */
	struct policy_set sets[2];
	struct whatif *judged[2];
	enum policy_cert cert;		/* the one reported */
	bool cert_assumed;		/* no RSA or ECDSA leaf came: RSA assumed */
};

/*
 * Read and judge the trace at path: its events of handshakes with target
 * (to its port; a backend handshake also to its address). 0 on success;
 * -1 after a one-line error (unreadable, or no tlsnoop event in it).
 * NULL-safe check_trace_free() either way.
 */
int check_trace_read(struct check_trace *ct, const char *path, const struct policy_set *set,
		     const struct check_target *target);
/* Report the judgement made with the certificate of leaf (NULL: none). */
void check_trace_choose(struct check_trace *ct, const struct cert *leaf);
const struct whatif *check_trace_result(const struct check_trace *ct);
void check_trace_free(struct check_trace *ct);

#endif /* __CHECK_TRACE_H */
