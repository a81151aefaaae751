/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line. */
#ifndef __OPTIONS_H
#define __OPTIONS_H

#include <argp.h>
#include <stdbool.h>
#include <linux/types.h>
#include "attach.h"
#include "metrics.h"
#include "policy.h"

#define MAX_PORTS 64
#define TLSNOOP_DEFAULT_USER "nobody"

struct options {
	char ifnames[MAX_INTERFACES][IF_NAMESIZE];	/* -i: at least one, or -r */
	int n_ifnames;
	const char *capture;		/* -r FILE: read it instead of an interface */
	__u16 ports[MAX_PORTS];		/* every watched port, --backend-ports too */
	int n_ports;
	__u16 backend_ports[MAX_PORTS];	/* --backend-ports */
	int n_backend_ports;
	bool json;
	const char *output;
	const char *pcap_out;		/* -w FILE: failed handshakes' packets */
	unsigned int timeout_sec;
	unsigned int duration_sec;	/* 0: until SIGINT/SIGTERM */
	unsigned int max_flows;
	__u32 client_rate;		/* --per-client-rate: new handshakes/s; 0: none */
	__u32 client_burst;
	bool metrics;			/* --metrics given */
	struct metrics_addr metrics_addr;
	enum hook_kind hook;
	bool top;			/* live view instead of event lines */
	unsigned int interval_sec;	/* its refresh; 0: default */
	bool whatif;			/* `tlsnoop whatif`: the policies' report */
	struct policy_set policies;	/* --policy, --policy-cert */
	const char *user;		/* --user: the collector's, once attached */
	unsigned int cert_warn_days;	/* --cert-warn-days */
	bool verbose;
};

/* "tlsnoop: ..., (see tlsnoop --help)" on stderr, then exit(2). */
void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...);
/* argp's key error as one line: the word where parsing stopped. */
void __attribute__((noreturn)) usage_unknown_option(const struct argp_state *state);
/* A whole number min-max, or a usage error naming `what`. */
unsigned long parse_uint(const char *what, const char *s, unsigned long min, unsigned long max);
/* --policy SPEC into set, or a usage error. */
void policy_option(struct policy_set *set, const char *arg);
/* Parse argv; on bad input print one line and exit(2). */
void options_parse(struct options *o, int argc, char **argv);
/* Strict comma-separated port list; 0 on success. */
int parse_ports(const char *s, __u16 *ports, int *n);
/* Strict RATE[/BURST] of --per-client-rate (BURST defaults to 2 x RATE;
 * RATE 0 alone: no budget); 0 on success. */
int parse_client_rate(const char *s, __u32 *rate, __u32 *burst);

enum iface_list_error {
	IFACES_OK,
	IFACES_BAD_NAME,	/* an empty name, or one of IF_NAMESIZE bytes or more */
	IFACES_DUPLICATE,	/* names[*n] is given twice */
	IFACES_TOO_MANY,	/* more than MAX_INTERFACES */
};

/* Comma-separated interface names into names[], *n of them. */
enum iface_list_error parse_interfaces(const char *s, char names[][IF_NAMESIZE], int *n);

#endif /* __OPTIONS_H */
