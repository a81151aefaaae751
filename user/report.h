/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A handshake event decoded for output: addresses, names, diagnosis. */
#ifndef __REPORT_H
#define __REPORT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "cert.h"
#include "diagnose.h"
#include "flight.h"
#include "hello.h"
#include "policy.h"

#define REPORT_ALPN_MAX 8

/* How a handshake resumed a session. */
enum resumption {
	RESUME_NONE,
	RESUME_SESSION_ID,	/* TLS <= 1.2: the server echoed the client's session id */
	RESUME_TICKET,		/* TLS <= 1.2: the same, the client holding a ticket */
	RESUME_PSK,		/* TLS 1.3: the server took a pre-shared key (a ticket) */
	RESUME_KINDS,
};

struct alpn_name {
	const __u8 *name;	/* raw bytes from the wire: escape on output */
	__u8 len;
};

struct report {
	const struct event *e;
	const struct hello_info *hello;	/* the ClientHello's offers, or NULL */
	struct diagnosis d;
	__u64 wall_ns;			/* @timestamp: when the outcome was known */
	char client_ip[INET6_ADDRSTRLEN];
	char server_ip[INET6_ADDRSTRLEN];
	const char *version;		/* negotiated, or NULL */
	const char *cipher;		/* IANA name, or NULL */
	char cipher_buf[24];
	const char *offered[5];		/* offered versions, highest first */
	int n_offered;
	struct alpn_name alpn[REPORT_ALPN_MAX];
	int n_alpn;
	struct policy_verdicts policy;	/* --policy verdicts; n 0: not judged */
	const char *ingress_ifname;	/* the watched interface the client's packets came
					 * in on (backend: went out on); NULL: not known
					 * (offline) */
	__u8 resumption;		/* enum resumption */
	bool resumption_offered;	/* the ClientHello asked to resume */
	struct cert_chain chain[2];	/* certificates by side (TLS <= 1.2); n 0: none */
	unsigned int cert_findings[2];	/* enum cert_finding bits, by side */
};

/* An event as it came from the kernel: its lengths clamped to their arrays,
 * so that whatever it says, nothing reads past them. */
void event_clamp(struct event *e);
/* Decode `e` and its ClientHello (NULL: none came); mono_to_wall converts
 * CLOCK_MONOTONIC ns to wall-clock ns. */
void report_init(struct report *r, const struct event *e, const struct hello_info *hello,
		 __s64 mono_to_wall);
/* The certificates the handshake's flights carried (taken from `flights`)
 * and what is wrong with them, at the event's time; warn_days: how soon an
 * expiry is flagged. */
void report_certificates(struct report *r, struct flight_table *flights,
			 struct cert_cache *cache, unsigned int warn_days);
/* What report_certificates() holds. */
void report_release(struct report *r);
const char *side_name(__u8 side);
const char *resumption_name(__u8 kind);
const char *role_name(__u8 role);
const char *close_kind_name(__u8 kind);
const char *end_cause_name(__u8 cause);

#endif /* __REPORT_H */
