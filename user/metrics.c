// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * docs/metrics.md lists every metric; keep the two in step. The HTTP side
 * serves one request per connection and never blocks: every socket is
 * non-blocking, a client that is slow past its deadline is dropped, and at
 * most METRICS_CLIENTS are served at once.
 */
#define _GNU_SOURCE	/* memmem */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "collect.h"
#include "metrics.h"

#define N_OUTCOMES	2	/* success, failure */
#define N_VERSIONS	6	/* unknown, 3.0, 1.0, 1.1, 1.2, 1.3 */
#define N_SIDES		3	/* enum tlsnoop_side */
#define N_BUCKETS	13	/* finite histogram bounds */
#define N_BACKENDS	64	/* backend series; later backends count as "other" */
#define LISTEN_BACKLOG	16

static const char *const outcome_names[N_OUTCOMES] = { "success", "failure" };
static const char *const version_names[N_VERSIONS] = {
	"unknown", "3.0", "1.0", "1.1", "1.2", "1.3",
};
/* Handshakes take milliseconds; a timeout takes --timeout seconds. */
static const __u64 bucket_ns[N_BUCKETS] = {
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 500000000, 1000000000, 2500000000ULL, 5000000000ULL, 10000000000ULL,
};
static const char *const bucket_names[N_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10",
};

struct client {
	int fd;			/* -1: free slot */
	__u64 deadline_ns;
	size_t req_len;
	char req[METRICS_REQUEST_MAX];
	char *resp;		/* NULL while the request is being read */
	size_t resp_len, resp_off;
};

/* One backend (address and port): its handshakes by reason (none: success). */
struct backend_series {
	char addr[INET6_ADDRSTRLEN];	/* "other": every backend past N_BACKENDS */
	__u16 port;
	__u64 by_reason[REASON_MAX];
};

struct duration_histogram {
	__u64 buckets[N_BUCKETS + 1];	/* per bucket, not cumulative; last: above 10 s */
	__u64 sum_ns;
	__u64 count;
};

struct metrics {
	__u16 *ports;
	int n_ports;
	__u64 *handshakes;	/* [port][reason][version][side] */
	struct resumption_counts *resumption;	/* [port] */
	struct backend_series backends[N_BACKENDS + 1];	/* the last: other */
	int n_backends;
	struct duration_histogram duration[N_OUTCOMES];
	__u64 events;
	__u64 ringbuf_dropped;
	__u64 flows_tracked;
	__u64 flows_evicted;
	__u64 events_suppressed;
	int listen_fd;
	struct client clients[METRICS_CLIENTS];
};

/* ---------------------------------------------------------------- address */

static int parse_port(const char *s, __u16 *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*s || strlen(s) > 5)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static void set_any(struct metrics_addr *a, int family, __u16 port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

	memset(&a->ss, 0, sizeof(a->ss));
	a->any = true;
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
	}
}

int metrics_parse_addr(const char *s, struct metrics_addr *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	char host[INET6_ADDRSTRLEN];
	bool ipv6 = s[0] == '[';
	const char *colon, *close;
	size_t host_len;
	__u16 port;

	memset(a, 0, sizeof(*a));
	if (ipv6) {
		close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		colon = close + 1;
		host_len = close - s - 1;
		s++;
	} else {
		colon = strchr(s, ':');
		if (!colon) {
			if (parse_port(s, &port))
				return -1;
			set_any(a, AF_INET6, port);
			return 0;
		}
		host_len = colon - s;
	}
	if (host_len == 0 || host_len >= sizeof(host) || parse_port(colon + 1, &port))
		return -1;
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (ipv6) {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
	} else {
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
	}
	return 0;
}

void metrics_addr_string(const struct metrics_addr *a, char *buf, size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	}
}

/* ---------------------------------------------------------------- counters */

struct metrics *metrics_new(const __u16 *ports, int n_ports)
{
	struct metrics *m = calloc(1, sizeof(*m));
	int i;

	if (!m)
		return NULL;
	m->listen_fd = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		m->clients[i].fd = -1;
	m->n_ports = n_ports;
	m->ports = calloc(n_ports, sizeof(*m->ports));
	m->handshakes = calloc((size_t)n_ports * REASON_MAX * N_VERSIONS * N_SIDES,
			       sizeof(*m->handshakes));
	m->resumption = calloc(n_ports, sizeof(*m->resumption));
	if (!m->ports || !m->handshakes || !m->resumption) {
		metrics_free(m);
		return NULL;
	}
	memcpy(m->ports, ports, n_ports * sizeof(*ports));
	return m;
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
	c->req_len = c->resp_len = c->resp_off = 0;
}

void metrics_free(struct metrics *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->clients[i].fd >= 0)
			client_close(&m->clients[i]);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	free(m->handshakes);
	free(m->resumption);
	free(m->ports);
	free(m);
}

static size_t handshake_index(int port, int reason, int version, int side)
{
	return ((port * REASON_MAX + reason) * N_VERSIONS + version) * N_SIDES + side;
}

/* As r->version: 0 when unknown, else 1 + the minor byte (SSL 3.0 .. TLS 1.3). */
static int version_index(const struct report *r)
{
	return r->version ? r->e->flow.sh.version - 0x0300 + 1 : 0;
}

/* Who ended a failed handshake, as diagnose() decided: the side that gave
 * up, sent bytes that were not TLS, sent the alert, or closed. */
static int failure_side(const struct report *r)
{
	const struct flow *f = &r->e->flow;
	int side;

	switch (r->d.reason) {
	case REASON_NONE:
	case REASON_TIMEOUT:
		return SIDE_NONE;
	case REASON_CLIENT_ABORT:
		return SIDE_CLIENT;
	case REASON_SERVER_ABORT:
		return SIDE_SERVER;
	case REASON_NOT_TLS:
		side = f->not_tls_from;
		break;
	default:
		side = f->alert.flags & ALERT_SEEN ? f->alert.from : f->close_from;
	}
	return side < N_SIDES ? side : SIDE_NONE;
}

static int port_index(const struct metrics *m, __u16 port)
{
	int i;

	for (i = 0; i < m->n_ports; i++)
		if (m->ports[i] == port)
			return i;
	return -1;
}

static void observe_duration(struct duration_histogram *h, __u64 ns)
{
	int b = 0;

	while (b < N_BUCKETS && ns > bucket_ns[b])
		b++;
	h->buckets[b]++;
	h->sum_ns += ns;
	h->count++;
}

static struct backend_series *backend_series_of(struct metrics *m, const struct report *r)
{
	struct backend_series *b;
	int i;

	for (i = 0; i < m->n_backends; i++) {
		b = &m->backends[i];
		if (b->port == r->e->key.server_port && !strcmp(b->addr, r->server_ip))
			return b;
	}
	b = &m->backends[m->n_backends];
	if (m->n_backends == N_BACKENDS) {
		snprintf(b->addr, sizeof(b->addr), "other");
		return b;
	}
	m->n_backends++;
	snprintf(b->addr, sizeof(b->addr), "%s", r->server_ip);
	b->port = r->e->key.server_port;
	return b;
}

void metrics_count(struct metrics *m, const struct report *r)
{
	const struct event *e = r->e;
	int port;

	if (!m)
		return;
	m->events++;
	observe_duration(&m->duration[!r->d.success],
			 e->t_end > e->flow.t_first ? e->t_end - e->flow.t_first : 0);
	/* The kernel follows watched ports only: a port outside them would
	 * be a bug, not a new label value. */
	port = port_index(m, e->key.server_port);
	if (port < 0)
		return;
	resumption_count(&m->resumption[port], r);
	if (e->flow.role == ROLE_BACKEND) {
		backend_series_of(m, r)->by_reason[r->d.success ? REASON_NONE : r->d.reason]++;
		return;
	}
	m->handshakes[handshake_index(port, r->d.success ? REASON_NONE : r->d.reason,
				      version_index(r), failure_side(r))]++;
}

void metrics_set_flows_tracked(struct metrics *m, __u64 in_progress)
{
	if (m)
		m->flows_tracked = in_progress;
}

void metrics_set_counters(struct metrics *m, const __u64 *stats)
{
	if (!m)
		return;
	m->ringbuf_dropped = stats[STAT_RINGBUF_DROPS];
	m->flows_evicted = stats[STAT_FLOWS_EVICTED];
	m->events_suppressed = stats[STAT_CLIENT_OVER_BUDGET];
}

/* ---------------------------------------------------------------- exposition */

static void metric_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_handshakes(const struct metrics *m, FILE *out)
{
	int port, reason, version, side;
	__u64 n;

	metric_header(out, "tlsnoop_handshakes_total", "counter",
		      "Clients' TLS handshakes with this host followed to an outcome, by outcome, "
		      "failure reason, negotiated version, server port and the side that ended a "
		      "failure.");
	for (port = 0; port < m->n_ports; port++)
		for (reason = 0; reason < REASON_MAX; reason++)
			for (version = 0; version < N_VERSIONS; version++)
				for (side = 0; side < N_SIDES; side++) {
					n = m->handshakes[handshake_index(port, reason, version,
									  side)];
					if (!n)
						continue;
					fprintf(out, "tlsnoop_handshakes_total{outcome=\"%s\","
						"reason=\"%s\",version=\"%s\",port=\"%u\","
						"side=\"%s\"} %llu\n",
						outcome_names[reason != REASON_NONE],
						reason_name(reason), version_names[version],
						m->ports[port], side_name(side),
						(unsigned long long)n);
				}
}

static void render_backend(FILE *out, const struct backend_series *b)
{
	int reason;

	for (reason = 0; reason < REASON_MAX; reason++)
		if (b->by_reason[reason])
			fprintf(out, "tlsnoop_backend_handshakes_total{backend=\"%s\",port=\"%u\","
				"outcome=\"%s\",reason=\"%s\"} %llu\n", b->addr, b->port,
				outcome_names[reason != REASON_NONE], reason_name(reason),
				(unsigned long long)b->by_reason[reason]);
}

static void render_backends(const struct metrics *m, FILE *out)
{
	int i;

	metric_header(out, "tlsnoop_backend_handshakes_total", "counter",
		      "This host's TLS handshakes with its backends (it is the client), by "
		      "backend address and port, outcome and failure reason.");
	for (i = 0; i < m->n_backends; i++)
		render_backend(out, &m->backends[i]);
	render_backend(out, &m->backends[N_BACKENDS]);	/* "other": empty until used */
}

static void render_resumption(const struct metrics *m, FILE *out)
{
	int port, k;

	metric_header(out, "tlsnoop_resumption_offered_total", "counter",
		      "Established handshakes whose ClientHello asked to resume a session "
		      "(ticket, PSK, or a session id from a client without TLS 1.3), by port.");
	for (port = 0; port < m->n_ports; port++)
		fprintf(out, "tlsnoop_resumption_offered_total{port=\"%u\"} %llu\n",
			m->ports[port], (unsigned long long)m->resumption[port].offered);
	metric_header(out, "tlsnoop_resumed_total", "counter",
		      "Established handshakes that resumed a session, by port and how.");
	for (port = 0; port < m->n_ports; port++)
		for (k = RESUME_NONE + 1; k < RESUME_KINDS; k++)
			fprintf(out, "tlsnoop_resumed_total{port=\"%u\",kind=\"%s\"} %llu\n",
				m->ports[port], resumption_name(k),
				(unsigned long long)m->resumption[port].resumed[k]);
}

static void render_duration(const struct metrics *m, FILE *out)
{
	const char *name = "tlsnoop_handshake_duration_seconds";
	const struct duration_histogram *h;
	__u64 cumulative;
	int o, b;

	metric_header(out, name, "histogram",
		      "Time from the client's SYN (or first packet seen) to the outcome.");
	for (o = 0; o < N_OUTCOMES; o++) {
		h = &m->duration[o];
		cumulative = 0;
		for (b = 0; b < N_BUCKETS; b++) {
			cumulative += h->buckets[b];
			fprintf(out, "%s_bucket{outcome=\"%s\",le=\"%s\"} %llu\n", name,
				outcome_names[o], bucket_names[b], (unsigned long long)cumulative);
		}
		fprintf(out, "%s_bucket{outcome=\"%s\",le=\"+Inf\"} %llu\n", name,
			outcome_names[o], (unsigned long long)h->count);
		fprintf(out, "%s_sum{outcome=\"%s\"} %llu.%09llu\n", name, outcome_names[o],
			(unsigned long long)(h->sum_ns / 1000000000ULL),
			(unsigned long long)(h->sum_ns % 1000000000ULL));
		fprintf(out, "%s_count{outcome=\"%s\"} %llu\n", name, outcome_names[o],
			(unsigned long long)h->count);
	}
}

static void render_value(FILE *out, const char *name, const char *type, const char *help,
			 __u64 v)
{
	metric_header(out, name, type, help);
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

void metrics_render(const struct metrics *m, FILE *out)
{
	/* "tlsnoop 0.1", as tlsnoop -V prints it: the label is the part after the name. */
	const char *version = strchr(argp_program_version, ' ');

	render_handshakes(m, out);
	render_backends(m, out);
	render_resumption(m, out);
	render_duration(m, out);
	render_value(out, "tlsnoop_events_total", "counter",
		     "Handshake events reported (successes and failures).", m->events);
	render_value(out, "tlsnoop_ringbuf_dropped_total", "counter",
		     "Events lost because the ring buffer was full.", m->ringbuf_dropped);
	render_value(out, "tlsnoop_flows_tracked", "gauge",
		     "Handshakes in progress (refreshed every second).", m->flows_tracked);
	render_value(out, "tlsnoop_flows_evicted_total", "counter",
		     "Handshakes in progress evicted from the full flow table: never reported.",
		     m->flows_evicted);
	render_value(out, "tlsnoop_events_suppressed_total", "counter",
		     "New handshakes not tracked because their client was over its budget.",
		     m->events_suppressed);
	metric_header(out, "tlsnoop_build_info", "gauge", "tlsnoop's version.");
	fprintf(out, "tlsnoop_build_info{version=\"%s\"} 1\n",
		version ? version + 1 : argp_program_version);
}

/* ---------------------------------------------------------------- HTTP */

static const char *header_end(const char *req, size_t len)
{
	const char *end = memmem(req, len, "\r\n\r\n", 4);

	return end ? end : memmem(req, len, "\n\n", 2);
}

/* The status a request line and headers deserve (200: the metrics). */
static int request_status(const char *req, size_t len)
{
	char line[METRICS_REQUEST_MAX + 1], *target, *version, *query;
	const char *eol;
	size_t line_len;

	if (!header_end(req, len))
		return len >= METRICS_REQUEST_MAX ? 431 : 400;
	eol = memchr(req, '\n', len);
	line_len = eol - req;
	if (line_len && req[line_len - 1] == '\r')
		line_len--;
	if (line_len > METRICS_REQUEST_MAX || memchr(req, '\0', line_len))
		return 400;
	memcpy(line, req, line_len);
	line[line_len] = '\0';
	target = strchr(line, ' ');
	if (!target)
		return 400;
	*target++ = '\0';
	version = strchr(target, ' ');
	if (!version || !*line)
		return 400;
	*version++ = '\0';
	if (strncmp(version, "HTTP/1.", 7) || version[7] < '0' || version[7] > '9' ||
	    version[8] || target[0] != '/')
		return 400;
	query = strchr(target, '?');
	if (query)
		*query = '\0';
	if (strcmp(target, "/metrics"))
		return 404;
	return strcmp(line, "GET") ? 405 : 200;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Bad Request";
	}
}

static void http_response(FILE *out, int status, const char *type, const char *body,
			  size_t len)
{
	fprintf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n%s\r\n", status, status_text(status), type, len,
		status == 405 ? "Allow: GET\r\n" : "");
	fwrite(body, 1, len, out);
}

int metrics_http_reply(const struct metrics *m, const char *req, size_t len, FILE *out)
{
	int status = request_status(req, len);
	char line[64], *body = NULL;
	size_t body_len = 0;
	FILE *f;

	if (status != 200) {
		snprintf(line, sizeof(line), "%s\n", status_text(status));
		http_response(out, status, "text/plain; charset=utf-8", line, strlen(line));
		return status;
	}
	f = open_memstream(&body, &body_len);
	if (!f)
		return -1;
	metrics_render(m, f);
	if (fclose(f)) {
		free(body);
		return -1;
	}
	http_response(out, status, "text/plain; version=0.0.4; charset=utf-8", body, body_len);
	free(body);
	return status;
}

/* ---------------------------------------------------------------- sockets */

static int listen_on(const struct metrics_addr *a)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restart must not wait for the last run's connections in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] takes IPv4 too, whatever net.ipv6.bindv6only says. */
	if (a->any && a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int metrics_listen(struct metrics *m, struct metrics_addr *a)
{
	int fd = listen_on(a);

	/* No IPv6 here: all IPv4 addresses instead. */
	if (fd < 0 && a->any && a->ss.ss_family == AF_INET6 &&
	    (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)) {
		set_any(a, AF_INET, ntohs(((struct sockaddr_in6 *)&a->ss)->sin6_port));
		fd = listen_on(a);
	}
	if (fd < 0)
		return fd;
	m->listen_fd = fd;
	return 0;
}

static void write_response(struct client *c)
{
	ssize_t n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_close(c);
		return;
	}
	c->resp_off += n;
	if (c->resp_off == c->resp_len)
		client_close(c);
}

static void read_request(const struct metrics *m, struct client *c)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len, 0);
	int status;
	FILE *f;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->req_len += n;
	if (!header_end(c->req, c->req_len) && c->req_len < sizeof(c->req))
		return;
	f = open_memstream(&c->resp, &c->resp_len);
	if (!f) {
		client_close(c);
		return;
	}
	status = metrics_http_reply(m, c->req, c->req_len, f);
	if (fclose(f) || status < 0) {
		client_close(c);
		return;
	}
	write_response(c);	/* most responses go out at once */
}

static void accept_clients(struct metrics *m)
{
	struct client *c;
	int i, fd;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		c = &m->clients[i];
		if (c->fd >= 0)
			continue;
		fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c->fd = fd;
		c->deadline_ns = mono_now_ns() + METRICS_CLIENT_MS * 1000000ULL;
	}
}

static void drop_late_clients(struct metrics *m)
{
	__u64 now = mono_now_ns();
	int i;

	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->clients[i].fd >= 0 && now >= m->clients[i].deadline_ns)
			client_close(&m->clients[i]);
}

void metrics_serve(struct metrics *m, int other_fd, int timeout_ms)
{
	struct pollfd pfd[2 + METRICS_CLIENTS];
	int slot[2 + METRICS_CLIENTS];
	int i, n = 0, listener = -1;
	bool has_free_slot = false;
	struct client *c;

	pfd[n++] = (struct pollfd){ .fd = other_fd, .events = POLLIN };
	for (i = 0; i < METRICS_CLIENTS; i++) {
		c = &m->clients[i];
		if (c->fd < 0) {
			has_free_slot = true;
			continue;
		}
		slot[n] = i;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->resp ? POLLOUT : POLLIN };
	}
	/* With every slot taken, new clients wait in the listen backlog. */
	if (has_free_slot) {
		listener = n;
		pfd[n++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
	}
	if (poll(pfd, n, timeout_ms) > 0) {
		for (i = 1; i < n; i++) {
			if (i == listener || !pfd[i].revents)
				continue;
			c = &m->clients[slot[i]];
			if (c->resp)
				write_response(c);
			else
				read_request(m, c);
		}
		if (listener >= 0 && pfd[listener].revents)
			accept_clients(m);
	}
	drop_late_clients(m);
}
