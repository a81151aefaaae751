// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus exposition for known reports, the HTTP replies to good and
 * hostile requests, and --metrics address parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "metrics.h"
#include "check.h"

#define MS 1000000ULL

static const __u16 ports[] = { 443, 8443 };

static struct event ev(__u8 cause, __u16 port, __u64 duration_ns)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.end_cause = cause;
	e.key.family = 4;
	e.key.server_port = port;
	e.flow.close_from = SIDE_NONE;
	e.flow.not_tls_from = SIDE_NONE;
	e.flow.ch.flags = HELLO_SEEN;
	e.flow.dir[SIDE_CLIENT].saw_payload = 1;
	e.flow.t_first = 1000 * MS;
	e.t_end = e.flow.t_first + duration_ns;
	return e;
}

static void server_hello(struct event *e, __u16 version)
{
	e->flow.sh.flags = SERVER_HELLO_SEEN;
	e->flow.sh.version = version;
}

static void alert(struct event *e, __u8 from, __u8 code)
{
	e->flow.alert.flags = ALERT_SEEN;
	e->flow.alert.from = from;
	e->flow.alert.level = 2;
	e->flow.alert.code = code;
}

static void count(struct metrics *m, const struct event *e)
{
	struct report r;

	report_init(&r, e, NULL, 0);
	metrics_count(m, &r);
}

/* The exposition text; the caller frees it. */
static char *render(const struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	metrics_render(m, f);
	fclose(f);
	return text;
}

/* Whether `line` is one whole line of `text`. */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* The value of the sample whose name and labels are `series`, or -1. */
static long long sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	for (p = text; (p = strstr(p, series)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

static int lines_starting(const char *text, const char *prefix)
{
	const char *p;
	int n = 0;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

static struct metrics *known_metrics(void)
{
	struct metrics *m = metrics_new(ports, 2);
	struct event e;

	/* Two TLS 1.3 successes on 443, 3 ms each. */
	e = ev(END_ESTABLISHED, 443, 3 * MS);
	server_hello(&e, 0x0304);
	count(m, &e);
	count(m, &e);
	/* TLS 1.2 on 443: the client refuses the certificate (48), 20 ms. */
	e = ev(END_ALERT, 443, 20 * MS);
	server_hello(&e, 0x0303);
	alert(&e, SIDE_CLIENT, 48);
	count(m, &e);
	/* 8443: the server refuses a TLS 1.1 hello (70) before any ServerHello, 0.5 ms. */
	e = ev(END_ALERT, 8443, MS / 2);
	alert(&e, SIDE_SERVER, 70);
	count(m, &e);
	/* 443: plain HTTP from the client, 1 ms exactly (on the bound: le="0.001"). */
	e = ev(END_NOT_TLS, 443, MS);
	e.flow.not_tls_from = SIDE_CLIENT;
	count(m, &e);
	/* 443: the server closes without an alert, 7 ms. */
	e = ev(END_CLOSE, 443, 7 * MS);
	e.flow.close_from = SIDE_SERVER;
	count(m, &e);
	/* 443: idle past the timeout, 12 s: above every finite bucket. */
	e = ev(END_TIMEOUT, 443, 12000 * MS);
	count(m, &e);
	__u64 stats[STAT_MAX] = { [STAT_RINGBUF_DROPS] = 5, [STAT_FLOWS_EVICTED] = 11,
				  [STAT_CLIENT_OVER_BUDGET] = 13 };

	metrics_set_flows_tracked(m, 3);
	metrics_set_counters(m, stats);
	return m;
}

static void test_handshakes(void)
{
	struct metrics *m;
	char *text;

	current = "handshakes";
	m = known_metrics();
	text = render(m);
	CHECK(has_line(text, "# TYPE tlsnoop_handshakes_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"success\",reason=\"none\","
		       "version=\"1.3\",port=\"443\",side=\"none\"} 2"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"failure\","
		       "reason=\"untrusted_certificate\",version=\"1.2\",port=\"443\","
		       "side=\"client\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"failure\","
		       "reason=\"protocol_version\",version=\"unknown\",port=\"8443\","
		       "side=\"server\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"failure\",reason=\"not_tls\","
		       "version=\"unknown\",port=\"443\",side=\"client\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"failure\","
		       "reason=\"server_abort\",version=\"unknown\",port=\"443\","
		       "side=\"server\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshakes_total{outcome=\"failure\",reason=\"timeout\","
		       "version=\"unknown\",port=\"443\",side=\"none\"} 1"), "\n%s", text);
	/* Only the series counted: six. */
	CHECK(lines_starting(text, "tlsnoop_handshakes_total{") == 6, "\n%s", text);
	free(text);
	metrics_free(m);
}

static void test_histogram(void)
{
	static const char *const outcomes[] = { "success", "failure" };
	char series[128], *text;
	long long prev, v, inf;
	struct metrics *m;
	const char *p;
	int o;

	current = "histogram";
	m = known_metrics();
	text = render(m);
	CHECK(has_line(text, "# TYPE tlsnoop_handshake_duration_seconds histogram"), "\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"success\","
		     "le=\"0.0025\"}") == 0, "\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"success\","
		     "le=\"0.005\"}") == 2, "\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"failure\","
		     "le=\"0.001\"}") == 2, "0.5 ms and 1 ms\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"failure\","
		     "le=\"0.01\"}") == 3, "\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"failure\","
		     "le=\"0.025\"}") == 4, "\n%s", text);
	CHECK(sample(text, "tlsnoop_handshake_duration_seconds_bucket{outcome=\"failure\","
		     "le=\"10\"}") == 4, "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshake_duration_seconds_sum{outcome=\"success\"} "
		       "0.006000000"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshake_duration_seconds_sum{outcome=\"failure\"} "
		       "12.028500000"), "\n%s", text);
	for (o = 0; o < 2; o++) {
		/* Cumulative: never decreasing, and +Inf == _count. */
		snprintf(series, sizeof(series),
			 "tlsnoop_handshake_duration_seconds_bucket{outcome=\"%s\",", outcomes[o]);
		prev = 0;
		for (p = strstr(text, series); p; p = strstr(p + 1, series)) {
			v = atoll(strchr(p, ' ') + 1);
			CHECK(v >= prev, "%s: bucket %lld after %lld", outcomes[o], v, prev);
			prev = v;
		}
		snprintf(series, sizeof(series), "tlsnoop_handshake_duration_seconds_bucket"
			 "{outcome=\"%s\",le=\"+Inf\"}", outcomes[o]);
		inf = sample(text, series);
		snprintf(series, sizeof(series),
			 "tlsnoop_handshake_duration_seconds_count{outcome=\"%s\"}", outcomes[o]);
		CHECK(inf == sample(text, series) && inf == prev, "%s: +Inf %lld, count %lld",
		      outcomes[o], inf, sample(text, series));
		CHECK(inf == (o ? 5 : 2), "%s: count %lld", outcomes[o], inf);
	}
	free(text);
	metrics_free(m);
}

static void test_other_metrics(void)
{
	struct metrics *m;
	struct event e;
	char *text;

	current = "other metrics";
	m = known_metrics();
	/* Not a watched port (the kernel never reports one): an event, not a series. */
	e = ev(END_ESTABLISHED, 9999, MS);
	count(m, &e);
	text = render(m);
	CHECK(has_line(text, "# TYPE tlsnoop_events_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_events_total 8"), "\n%s", text);
	CHECK(!strstr(text, "port=\"9999\""), "\n%s", text);
	CHECK(has_line(text, "# TYPE tlsnoop_ringbuf_dropped_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_ringbuf_dropped_total 5"), "\n%s", text);
	CHECK(has_line(text, "# TYPE tlsnoop_flows_tracked gauge"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_flows_tracked 3"), "\n%s", text);
	CHECK(has_line(text, "# TYPE tlsnoop_flows_evicted_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_flows_evicted_total 11"), "\n%s", text);
	CHECK(has_line(text, "# TYPE tlsnoop_events_suppressed_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_events_suppressed_total 13"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_build_info{version=\"0.1\"} 1"), "\n%s", text);
	/* Every metric has its HELP and TYPE. */
	CHECK(lines_starting(text, "# HELP tlsnoop_") == 11, "\n%s", text);
	CHECK(lines_starting(text, "# TYPE tlsnoop_") == 11, "\n%s", text);
	free(text);
	metrics_free(m);

	current = "empty";
	m = metrics_new(ports, 2);
	text = render(m);
	CHECK(lines_starting(text, "tlsnoop_handshakes_total{") == 0, "\n%s", text);
	CHECK(has_line(text, "tlsnoop_handshake_duration_seconds_count{outcome=\"failure\"} 0"),
	      "\n%s", text);
	CHECK(has_line(text, "tlsnoop_events_total 0"), "\n%s", text);
	free(text);
	metrics_free(m);
}

/* The reply to `req`: status returned, whole response in resp. */
static int reply(const struct metrics *m, const char *req, size_t len, char **resp)
{
	size_t resp_len = 0;
	FILE *f = open_memstream(resp, &resp_len);
	int status = metrics_http_reply(m, req, len, f);

	fclose(f);
	return status;
}

static int reply_str(const struct metrics *m, const char *req)
{
	char *resp = NULL;
	int status = reply(m, req, strlen(req), &resp);

	free(resp);
	return status;
}

static void test_http(void)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
	static const char nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n";
	struct metrics *m = known_metrics();
	char *resp = NULL, *body, *text, big[METRICS_REQUEST_MAX + 200];
	const char *cl;

	current = "http GET /metrics";
	CHECK(reply(m, get, strlen(get), &resp) == 200, "%s", resp);
	CHECK(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "%s", resp);
	CHECK(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
	      "%s", resp);
	CHECK(strstr(resp, "\r\nConnection: close\r\n"), "%s", resp);
	body = strstr(resp, "\r\n\r\n");
	cl = strstr(resp, "Content-Length: ");
	text = render(m);
	CHECK(body && !strcmp(body + 4, text), "body differs from the exposition");
	CHECK(body && cl && (size_t)atol(cl + 16) == strlen(body + 4), "Content-Length");
	free(text);
	free(resp);

	current = "http good variants";
	CHECK(reply_str(m, "GET /metrics HTTP/1.0\r\n\r\n") == 200, "HTTP/1.0");
	CHECK(reply_str(m, "GET /metrics?x=1 HTTP/1.1\r\n\r\n") == 200, "query string");
	CHECK(reply_str(m, "GET /metrics HTTP/1.1\n\n") == 200, "bare LF");

	current = "http wrong path or method";
	CHECK(reply(m, "GET / HTTP/1.1\r\n\r\n", 18, &resp) == 404, "%s", resp);
	CHECK(!strncmp(resp, "HTTP/1.1 404 Not Found\r\n", 24), "%s", resp);
	CHECK(!strstr(resp, "tlsnoop_"), "404 carries metrics: %s", resp);
	free(resp);
	CHECK(reply_str(m, "GET /metricsx HTTP/1.1\r\n\r\n") == 404, "/metricsx");
	CHECK(reply_str(m, "GET /metrics/ HTTP/1.1\r\n\r\n") == 404, "/metrics/");
	CHECK(reply(m, "POST /metrics HTTP/1.1\r\n\r\n", 26, &resp) == 405, "%s", resp);
	CHECK(strstr(resp, "\r\nAllow: GET\r\n"), "%s", resp);
	free(resp);
	CHECK(reply_str(m, "HEAD /metrics HTTP/1.1\r\n\r\n") == 405, "HEAD");
	CHECK(reply_str(m, "get /metrics HTTP/1.1\r\n\r\n") == 405, "lower-case method");

	current = "http garbage";
	CHECK(reply_str(m, "\r\n\r\n") == 400, "empty request line");
	CHECK(reply_str(m, "GET\r\n\r\n") == 400, "no target");
	CHECK(reply_str(m, "GET /metrics\r\n\r\n") == 400, "HTTP/0.9");
	CHECK(reply_str(m, "GET /metrics HTTP/2.0\r\n\r\n") == 400, "HTTP/2.0");
	CHECK(reply_str(m, "GET /metrics HTTP/1.1 x\r\n\r\n") == 400, "extra word");
	CHECK(reply_str(m, "GET  /metrics HTTP/1.1\r\n\r\n") == 400, "two spaces");
	CHECK(reply_str(m, "GET metrics HTTP/1.1\r\n\r\n") == 400, "relative target");
	CHECK(reply_str(m, "GET /metrics HTTP/1.1\r\n") == 400, "headers not ended");
	CHECK(reply(m, nul, sizeof(nul) - 1, &resp) == 400, "NUL: %s", resp);
	free(resp);
	CHECK(reply(m, hello, sizeof(hello) - 1, &resp) == 400, "TLS hello: %s", resp);
	free(resp);

	current = "http oversized";
	memset(big, 'A', sizeof(big));
	CHECK(reply(m, big, METRICS_REQUEST_MAX, &resp) == 431, "%s", resp);
	CHECK(!strncmp(resp, "HTTP/1.1 431 ", 13), "%s", resp);
	free(resp);
	/* A header that fills the buffer before the blank line: what the server
	 * hands over when its buffer is full. */
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	CHECK(reply(m, big, METRICS_REQUEST_MAX, &resp) == 431, "%s", resp);
	free(resp);
	metrics_free(m);
}

static void test_parse_addr(void)
{
	static const char *const bad[] = {
		"", "0", "65536", "99999999", "-1", "+9101", " 9101", "9101 ", "0x10", ":9101",
		"1.2.3.4:", "1.2.3.4", "1.2.3:9101", "localhost:9101", "::1:9101", "[::1]",
		"[::1]:", "[::1]9101", "[1.2.3.4]:9101", "[]:9101", "[::1]:0", "1.2.3.4:9101:1",
		"[::1]:9101x", "256.1.1.1:80",
	};
	static const struct { const char *in, *out; bool any; } good[] = {
		{ "9101", "[::]:9101", true },
		{ "1", "[::]:1", true },
		{ "65535", "[::]:65535", true },
		{ "127.0.0.1:9101", "127.0.0.1:9101", false },
		{ "198.18.0.1:80", "198.18.0.1:80", false },
		{ "[::1]:9101", "[::1]:9101", false },
		{ "[2001:db8::1]:9101", "[2001:db8::1]:9101", false },
		{ "[::]:9101", "[::]:9101", false },
	};
	struct metrics_addr a;
	char buf[64];
	size_t i;

	current = "parse addr";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(metrics_parse_addr(bad[i], &a) != 0, "accepted '%s'", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(metrics_parse_addr(good[i].in, &a) == 0, "refused '%s'", good[i].in);
		metrics_addr_string(&a, buf, sizeof(buf));
		CHECK(!strcmp(buf, good[i].out) && a.any == good[i].any, "'%s' -> '%s' any=%d",
		      good[i].in, buf, a.any);
	}
}

/* An established handshake on 443 at version v, resumed or not, whose
 * ClientHello carried these hello flags and session id length. */
static void count_resumption(struct metrics *m, __u16 v, bool resumed, __u16 hello_flags,
			     __u8 sid_len, __u8 versions_mask)
{
	struct event e = ev(END_ESTABLISHED, 443, 3 * MS);

	server_hello(&e, v);
	if (resumed)
		e.flow.sh.flags |= SERVER_RESUMED;
	e.flow.ch.flags |= hello_flags | (versions_mask ? HELLO_HAS_SUPP_VERSIONS : 0);
	e.flow.ch.session_id_len = sid_len;
	e.flow.ch.versions_mask = versions_mask;
	count(m, &e);
}

static void test_resumption(void)
{
	const __u8 v12 = VERSION_BIT(0x0303), v13 = VERSION_BIT(0x0304) | v12;
	struct metrics *m = metrics_new(ports, 2);
	char *text;

	current = "resumption";
	count_resumption(m, 0x0303, true, HELLO_HAS_TICKET, 32, v12);	/* ticket */
	count_resumption(m, 0x0303, true, 0, 32, v12);			/* session id */
	count_resumption(m, 0x0303, true, 0, 32, 0);			/* no supported_versions */
	count_resumption(m, 0x0304, true, HELLO_HAS_PSK, 32, v13);	/* PSK */
	count_resumption(m, 0x0304, false, HELLO_HAS_PSK, 32, v13);	/* asked, refused */
	count_resumption(m, 0x0304, false, 0, 32, v13);	/* 1.3's random session id: no ask */
	count_resumption(m, 0x0303, false, HELLO_HAS_TICKET, 0, v12);	/* asked, refused */
	text = render(m);
	CHECK(has_line(text, "# TYPE tlsnoop_resumed_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumed_total{port=\"443\",kind=\"ticket\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumed_total{port=\"443\",kind=\"session_id\"} 2"),
	      "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumed_total{port=\"443\",kind=\"psk\"} 1"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumed_total{port=\"8443\",kind=\"psk\"} 0"), "\n%s", text);
	CHECK(has_line(text, "# TYPE tlsnoop_resumption_offered_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumption_offered_total{port=\"443\"} 6"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_resumption_offered_total{port=\"8443\"} 0"), "\n%s", text);
	free(text);
	metrics_free(m);
}

/* This host's handshakes with its backends: their own series, by backend. */
static void test_backends(void)
{
	struct metrics *m = metrics_new(ports, 2);
	struct event e;
	char *text;
	int i;

	current = "backends";
	e = ev(END_ALERT, 8443, 3 * MS);
	e.flow.role = ROLE_BACKEND;
	inet_pton(AF_INET, "198.18.5.7", e.key.server_addr);
	server_hello(&e, 0x0303);
	alert(&e, SIDE_CLIENT, 48);	/* this host refuses the backend's CA */
	count(m, &e);
	count(m, &e);
	e = ev(END_ESTABLISHED, 8443, 3 * MS);
	e.flow.role = ROLE_BACKEND;
	inet_pton(AF_INET, "198.18.5.8", e.key.server_addr);
	server_hello(&e, 0x0304);
	count(m, &e);
	text = render(m);
	CHECK(has_line(text, "# TYPE tlsnoop_backend_handshakes_total counter"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_backend_handshakes_total{backend=\"198.18.5.7\",port=\"8443\","
			     "outcome=\"failure\",reason=\"untrusted_certificate\"} 2"), "\n%s", text);
	CHECK(has_line(text, "tlsnoop_backend_handshakes_total{backend=\"198.18.5.8\",port=\"8443\","
			     "outcome=\"success\",reason=\"none\"} 1"), "\n%s", text);
	CHECK(lines_starting(text, "tlsnoop_handshakes_total{") == 0,
	      "backend handshakes counted as the clients': \n%s", text);
	free(text);
	/* Past 64 backends, one "other" series. */
	for (i = 0; i < 70; i++) {
		e.key.server_addr[3] = 100 + i;
		count(m, &e);
	}
	text = render(m);
	CHECK(has_line(text, "tlsnoop_backend_handshakes_total{backend=\"other\",port=\"0\","
			     "outcome=\"success\",reason=\"none\"} 8"), "\n%s", text);
	CHECK(lines_starting(text, "tlsnoop_backend_handshakes_total{") == 65, "\n%s", text);
	free(text);
	metrics_free(m);
}

int main(void)
{
	test_handshakes();
	test_histogram();
	test_other_metrics();
	test_resumption();
	test_backends();
	test_http();
	test_parse_addr();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
