/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus metrics: counters fed by the reported handshakes, served in the
 * text exposition format 0.0.4 on GET /metrics by a small non-blocking
 * HTTP/1.x server that the main loop runs between ring-buffer reads. Label
 * values come from closed sets and the watched ports only, never from the
 * wire, so the number of series is bounded.
 */
#ifndef __METRICS_H
#define __METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "report.h"

/* A request larger than this (request line and headers) gets 431. */
#define METRICS_REQUEST_MAX	4096
/* Scrapes served at once; more wait in the listen backlog. */
#define METRICS_CLIENTS		8
/* A client has this long to send its request and take the response. */
#define METRICS_CLIENT_MS	2000

struct metrics_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool any;	/* only a port was given: [::] dual-stack, else 0.0.0.0 */
};

struct metrics;

/* Parse --metrics [ADDR:]PORT (ADDR: IPv4, or IPv6 in brackets); 0 on success. */
int metrics_parse_addr(const char *s, struct metrics_addr *a);
/* "[::1]:9101" or "198.18.0.1:9101". */
void metrics_addr_string(const struct metrics_addr *a, char *buf, size_t size);

/* Counters for handshakes to these server ports; NULL when out of memory. */
struct metrics *metrics_new(const __u16 *ports, int n_ports);
void metrics_free(struct metrics *m);
/* Open the listening socket; -errno on failure, `a` then says which address failed. */
int metrics_listen(struct metrics *m, struct metrics_addr *a);

/* Count one reported handshake. These do nothing when m is NULL. */
void metrics_count(struct metrics *m, const struct report *r);
/* The values read from the kernel and the flow table once a second. */
void metrics_set_flows_tracked(struct metrics *m, __u64 in_progress);
/* The kernel counters (collector_stats()): drops, evictions, suppressions. */
void metrics_set_counters(struct metrics *m, const __u64 *stats);

/*
 * Wait up to timeout_ms for other_fd (the ring buffer's epoll fd) to become
 * readable, serving the metrics clients meanwhile. Returns early when
 * other_fd is readable, so events are not delayed by scrapes.
 */
void metrics_serve(struct metrics *m, int other_fd, int timeout_ms);

/* The exposition text. */
void metrics_render(const struct metrics *m, FILE *out);
/* The whole HTTP response to the request in req[0..len); returns its status. */
int metrics_http_reply(const struct metrics *m, const char *req, size_t len, FILE *out);

#endif /* __METRICS_H */
