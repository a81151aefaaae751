// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pure parts of tlsnoop check (user/check*.c): the ServerHello reader
 * (every cut of a valid hello refused), HOST[:PORT], the --policy misses,
 * and the report as JSON and text with hostile bytes where the server
 * chooses them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "check.h"
#include "active_check.h"
#include "check_trace.h"
#include "hello.h"
#include "../fuzz/json_check.h"

#define TLS12 0x0303
#define TLS13 0x0304

/* A ServerHello: version, random, session id of sid_len, suite, null
 * compression, then `ext` (with its length) when ext_len >= 0. */
static size_t server_hello(__u8 *out, __u16 version, const __u8 *random, int sid_len,
			   __u16 suite, const __u8 *ext, int ext_len)
{
	size_t n = 4;

	out[n++] = version >> 8;
	out[n++] = version & 0xff;
	memcpy(out + n, random, 32);
	n += 32;
	out[n++] = sid_len;
	memset(out + n, 0xab, sid_len);
	n += sid_len;
	out[n++] = suite >> 8;
	out[n++] = suite & 0xff;
	out[n++] = 0;
	if (ext_len >= 0) {
		out[n++] = ext_len >> 8;
		out[n++] = ext_len & 0xff;
		memcpy(out + n, ext, ext_len);
		n += ext_len;
	}
	out[0] = 2;
	out[1] = 0;
	out[2] = (n - 4) >> 8;
	out[3] = (n - 4) & 0xff;
	return n;
}

static void test_server_hello(void)
{
	static const __u8 sv13[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0xff, 0x01, 0x00, 0x00 };
	static const __u8 hrr[32] = {
		0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65,
		0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2,
		0xC8, 0xA8, 0x33, 0x9C,
	};
	__u8 random[32], msg[256];
	struct server_hello_facts sh;
	size_t n, cut;

	memset(random, 0x11, sizeof(random));
	current = "TLS 1.2, no extensions";
	n = server_hello(msg, TLS12, random, 32, 0xc02f, NULL, -1);
	CHECK(parse_server_hello(msg, n, &sh) == 0, "parsed");
	CHECK(sh.version == TLS12 && sh.cipher == 0xc02f && !sh.renegotiation_info, "%04x %04x",
	      sh.version, sh.cipher);

	current = "TLS 1.3 by supported_versions";
	n = server_hello(msg, TLS12, random, 32, 0x1302, sv13, sizeof(sv13));
	CHECK(parse_server_hello(msg, n, &sh) == 0, "parsed");
	CHECK(sh.version == TLS13 && sh.cipher == 0x1302 && sh.renegotiation_info, "%04x %04x",
	      sh.version, sh.cipher);
	for (cut = 0; cut < n; cut++)
		CHECK(parse_server_hello(msg, cut, &sh) == -1, "cut at %zu", cut);

	current = "HelloRetryRequest";
	n = server_hello(msg, TLS12, hrr, 0, 0x1301, sv13, sizeof(sv13));
	CHECK(parse_server_hello(msg, n, &sh) == 1, "an HRR");

	current = "malformed";
	n = server_hello(msg, TLS12, random, 0, 0x1301, sv13, sizeof(sv13) - 1);
	CHECK(parse_server_hello(msg, n, &sh) == -1, "extension cut");
	n = server_hello(msg, TLS12, random, 0, 0x1301, sv13, sizeof(sv13));
	msg[0] = 1;
	CHECK(parse_server_hello(msg, n, &sh) == -1, "a ClientHello");
}

/* raw_client_hello's hellos, read back by tlsnoop's own ClientHello parser. */
static void test_raw_hello(void)
{
	static const __u16 versions[] = { 0x0300, 0x0301, 0x0302, 0x0303 };
	static struct hello_info hi;
	__u8 rec[RAW_HELLO_MAX];
	__u16 suites[64];
	size_t n, size;
	unsigned int i;

	for (i = 0; i < 64; i++)
		suites[i] = 0xc000 + i;
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		current = versions[i] == 0x0300 ? "raw hello, SSL 3.0" : "raw hello, TLS";
		n = raw_client_hello(rec, sizeof(rec), versions[i], suites, 64, "legacy.test");
		CHECK(n > 5 && n == 5 + (size_t)(rec[3] << 8 | rec[4]), "record of %zu", n);
		CHECK(hello_parse(rec, n, &hi) == 0, "parsed");
		CHECK(!(hi.ch.flags & HELLO_TRUNCATED), "whole");
		CHECK(hi.ch.legacy_version == versions[i], "version %04x", hi.ch.legacy_version);
		CHECK(hi.ch.record_version == (versions[i] == 0x0300 ? 0x0300 : 0x0301), "record %04x",
		      hi.ch.record_version);
		CHECK(hi.n_ciphers == 64 && !memcmp(hi.ciphers, suites, sizeof(suites)), "%u suites",
		      hi.n_ciphers);
		if (versions[i] == 0x0300) {
			/* SSL 3.0 servers predate extensions. */
			CHECK(hi.n_exts == 0 && hi.ch.sni_len == 0, "%u extensions", hi.n_exts);
			continue;
		}
		CHECK(hi.ch.sni_len == 11 && !memcmp(hi.ch.sni, "legacy.test", 11), "SNI");
		CHECK(hi.n_groups >= 5 && hi.groups[0] == 0x001d, "%u groups", hi.n_groups);
		CHECK((hi.n_sigalgs > 0) == (versions[i] >= 0x0303), "%u sigalgs at %04x",
		      hi.n_sigalgs, versions[i]);
	}
	current = "raw hello, no SNI";
	n = raw_client_hello(rec, sizeof(rec), 0x0303, suites, 64, NULL);
	CHECK(hello_parse(rec, n, &hi) == 0 && hi.ch.sni_len == 0, "no SNI");
	current = "raw hello, too small a buffer";
	for (size = 0; size < n; size++)
		CHECK(raw_client_hello(rec, size, 0x0303, suites, 64, NULL) == 0, "size %zu", size);
}

/* A TLS record of `type` around msg. */
static size_t record(__u8 *out, __u8 type, const __u8 *msg, size_t len)
{
	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = len >> 8;
	out[4] = len & 0xff;
	memcpy(out + 5, msg, len);
	return 5 + len;
}

/* raw_server_reply: a ServerHello whole, in pieces and cut; alerts; others. */
static void test_raw_reply(void)
{
	static const __u8 reneg[] = { 0xff, 0x01, 0x00, 0x01, 0x00 };
	static const __u8 sv13[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04 };
	static const __u8 alert[] = { 2, 40 };
	__u8 random[32], msg[256], buf[512];
	struct probe_result res;
	size_t n, len, cut;

	memset(random, 0x22, sizeof(random));
	current = "raw reply, a ServerHello";
	n = server_hello(msg, 0x0301, random, 32, 0x000a, reneg, sizeof(reneg));
	len = record(buf, 22, msg, n);
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0, "decided");
	CHECK(res.status == PROBE_HELLO && res.version == 0x0301 && res.cipher == 0x000a &&
	      res.secure_renegotiation, "%d %04x %04x", res.status, res.version, res.cipher);
	for (cut = 0; cut < len; cut++) {
		memset(&res, 0, sizeof(res));
		CHECK(raw_server_reply(buf, cut, &res, NULL) == 1, "cut at %zu: more needed", cut);
	}

	current = "raw reply, a ServerHello over two records";
	len = record(buf, 22, msg, 10);
	len += record(buf + len, 22, msg + 10, n - 10);
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0 && res.status == PROBE_HELLO &&
	      res.cipher == 0x000a, "%d", res.status);

	current = "raw reply, SSL 3.0 without extensions";
	n = server_hello(msg, 0x0300, random, 0, 0x0005, NULL, -1);
	len = record(buf, 22, msg, n);
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0 && res.status == PROBE_HELLO &&
	      res.version == 0x0300 && !res.secure_renegotiation, "%d %04x", res.status,
	      res.version);

	current = "raw reply, an alert";
	len = record(buf, 21, alert, sizeof(alert));
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0 && res.status == PROBE_ALERT &&
	      res.alert == 40 && strstr(res.detail, "handshake_failure"), "%s", res.detail);

	current = "raw reply, not a ServerHello";
	n = server_hello(msg, 0x0303, random, 0, 0x1301, sv13, sizeof(sv13));
	msg[0] = 11;
	len = record(buf, 22, msg, n);
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0 && res.status == PROBE_FAILED, "%d",
	      res.status);
	msg[0] = 2;
	msg[1] = 0xff;	/* a length past any ServerHello */
	len = record(buf, 22, msg, n);
	CHECK(raw_server_reply(buf, len, &res, NULL) == 0 && res.status == PROBE_FAILED, "%d",
	      res.status);

	current = "raw reply, not TLS";
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply((const __u8 *)"HTTP/1.1 400 Bad Request\r\n", 26, &res, NULL) == 0 &&
	      res.status == PROBE_NOT_TLS, "%d", res.status);
	buf[0] = 0x80;
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply(buf, 1, &res, NULL) == 0 && res.status == PROBE_NOT_TLS, "SSL 2.0");
	memset(&res, 0, sizeof(res));
	CHECK(raw_server_reply((const __u8 *)"\x17\x03\x03\x00\x01x", 6, &res, NULL) == 0 &&
	      res.status == PROBE_NOT_TLS, "application data first");
}

static void test_server_signature(void)
{
	/* ECDHE: curve_type 3, x25519, a 4-byte point, rsa_pss_rsae_sha256, a 2-byte sig. */
	static const __u8 ske_ecdhe[] = { 12, 0, 0, 14, 3, 0x00, 0x1d, 4, 1, 2, 3, 4,
					  0x08, 0x04, 0, 2, 0xaa, 0xbb };
	/* DHE: p (2 bytes), g (1), Ys (2), rsa_pkcs1_sha256, an empty sig. */
	static const __u8 ske_dhe[] = { 12, 0, 0, 15, 0, 2, 0xff, 0xfb, 0, 1, 2, 0, 2, 0x12,
					0x34, 0x04, 0x01, 0, 0 };
	/* DHE with a 768-byte p (ffdhe6144): its length's first byte is 3, as
	 * ECDHE's curve_type is. */
	static __u8 ske_dhe6144[4 + 2 + 768 + 3 + 4 + 4];
	size_t n = 4;
	static const __u8 cv[] = { 15, 0, 0, 4, 0x04, 0x03, 0, 0 };
	static const __u8 sh[] = { 2, 0, 0, 2, 0x08, 0x04 };
	size_t cut;

	current = "server signature";
	CHECK(parse_server_signature(ske_ecdhe, sizeof(ske_ecdhe), TLS12, true) == 0x0804,
	      "ECDHE");
	CHECK(parse_server_signature(ske_dhe, sizeof(ske_dhe), TLS12, false) == 0x0401, "DHE");
	CHECK(!parse_server_signature(ske_dhe, sizeof(ske_dhe), TLS12, true), "DHE as ECDHE");
	ske_dhe6144[n++] = 0x03;	/* p: 768 bytes */
	ske_dhe6144[n++] = 0x00;
	n += 768;
	ske_dhe6144[n++] = 0;		/* g: 1 byte */
	ske_dhe6144[n++] = 1;
	ske_dhe6144[n++] = 2;
	ske_dhe6144[n++] = 0;		/* Ys: 2 bytes */
	ske_dhe6144[n++] = 2;
	n += 2;
	ske_dhe6144[n++] = 0x08;	/* rsa_pss_rsae_sha384 */
	ske_dhe6144[n++] = 0x05;
	n += 2;				/* an empty signature */
	ske_dhe6144[0] = 12;
	ske_dhe6144[2] = (n - 4) >> 8;
	ske_dhe6144[3] = (n - 4) & 0xff;
	CHECK(parse_server_signature(ske_dhe6144, n, TLS12, false) == 0x0805, "DHE, 6144-bit p");
	CHECK(parse_server_signature(cv, sizeof(cv), TLS13, false) == 0x0403, "CertificateVerify");
	/* TLS 1.0/1.1 ServerKeyExchanges carry no scheme; a ServerHello is none. */
	CHECK(!parse_server_signature(ske_ecdhe, sizeof(ske_ecdhe), 0x0302, true), "TLS 1.1");
	CHECK(!parse_server_signature(sh, sizeof(sh), TLS12, true), "not a signature");
	/* Cut anywhere: none. */
	for (cut = 0; cut < sizeof(ske_ecdhe); cut++)
		CHECK(!parse_server_signature(ske_ecdhe, cut, TLS12, true), "ECDHE cut at %zu", cut);
	for (cut = 0; cut < sizeof(ske_dhe); cut++)
		CHECK(!parse_server_signature(ske_dhe, cut, TLS12, false), "DHE cut at %zu", cut);
	for (cut = 0; cut < sizeof(cv); cut++)
		CHECK(!parse_server_signature(cv, cut, TLS13, false), "CertificateVerify cut at %zu",
		      cut);
}

static void test_target(void)
{
	static const struct {
		const char *in, *host;
		int port;	/* -1: refused */
	} cases[] = {
		{ "lb.example.com", "lb.example.com", 443 },
		{ "lb.example.com:8443", "lb.example.com", 8443 },
		{ "192.0.2.1:1", "192.0.2.1", 1 },
		{ "[2001:db8::1]:65535", "2001:db8::1", 65535 },
		{ "[2001:db8::1]", "2001:db8::1", 443 },
		{ "2001:db8::1", "2001:db8::1", 443 },
		{ "host:0", NULL, -1 },
		{ "host:65536", NULL, -1 },
		{ "host:", NULL, -1 },
		{ "host:x", NULL, -1 },
		{ "host:-1", NULL, -1 },
		{ ":443", NULL, -1 },
		{ "", NULL, -1 },
		{ "[2001:db8::1", NULL, -1 },
		{ "[2001:db8::1]x", NULL, -1 },
		{ "[]:443", NULL, -1 },
	};
	char host[CHECK_HOST_MAX], longest[CHECK_HOST_MAX + 1];
	__u16 port;
	size_t i;
	int ret;

	current = "HOST[:PORT]";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = check_parse_target(cases[i].in, host, sizeof(host), &port);
		if (cases[i].port < 0) {
			CHECK(ret == -1, "'%s' accepted", cases[i].in);
			continue;
		}
		CHECK(ret == 0 && !strcmp(host, cases[i].host) && port == cases[i].port,
		      "'%s': %d '%s' %u", cases[i].in, ret, host, port);
	}
	memset(longest, 'a', CHECK_HOST_MAX);
	longest[CHECK_HOST_MAX] = '\0';
	CHECK(check_parse_target(longest, host, sizeof(host), &port) == -1, "too long");
}

static struct version_report *accept_version(struct check_report *r, int i, __u16 version,
					     const __u16 *suites, int n)
{
	struct version_report *v = &r->versions[i];

	v->version = version;
	v->verdict = VERSION_ACCEPTED;
	v->n_suites = n;
	memcpy(v->suites, suites, n * sizeof(*suites));
	return v;
}

static void test_policy_misses(void)
{
	static const __u16 tls10[] = { 0xc013 };
	static const __u16 tls12[] = { 0xc02f, 0x0035, 0xc030 };
	static const __u16 tls13[] = { 0x1301, 0x1304 };
	struct policy_set *set = calloc(1, sizeof(*set));
	struct check_report *r = calloc(1, sizeof(*r));
	struct version_report *v;
	char err[256];
	int i;

	current = "policy misses";
	CHECK(!policy_parse("mozilla-intermediate", &set->policy[0], err, sizeof(err)), "%s", err);
	set->n = 1;
	accept_version(r, 1, 0x0301, tls10, 1);
	accept_version(r, 3, TLS12, tls12, 3);
	v = accept_version(r, 4, TLS13, tls13, 2);
	v->n_groups = 2;
	v->groups[0] = 29;	/* x25519: in the policy */
	v->groups[1] = 25;	/* secp521r1: not */
	check_policy_misses(r, set);
	/* TLS 1.0 (the version), AES256-SHA at 1.2, CCM at 1.3, secp521r1. */
	CHECK(r->n_misses == 4, "%d misses", r->n_misses);
	for (i = 0; i < r->n_misses; i++) {
		const struct policy_miss *m = &r->misses[i];

		CHECK(!strcmp(m->policy, "mozilla-intermediate"), "%s", m->policy);
		CHECK((m->version == 0x0301 && !m->suite && !m->group) ||
		      (m->version == TLS12 && m->suite == 0x0035) ||
		      (m->version == TLS13 && m->suite == 0x1304) ||
		      (m->version == TLS13 && m->group == 25),
		      "miss %04x %04x %u", m->version, m->suite, m->group);
	}
	free(set);
	free(r);
}

/* A trace of one client family (TLS 1.2, CBC only) to 192.0.2.1:443, at a
 * path with a quote and a control byte in it. */
static struct check_trace *one_family_trace(char *path)
{
	static const char line[] =
		"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.9\"},"
		"\"destination\":{\"ip\":\"192.0.2.1\",\"port\":443},\"tls\":{\"client\":{"
		"\"ja4\":\"t12d010000_aaaaaaaaaaaa_000000000000\",\"supported_ciphers\":"
		"[\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"],\"extensions\":[]}},"
		"\"tlsnoop\":{\"client_hello\":{\"legacy_version\":\"1.2\"}}}\n";
	struct check_target target = { .port = 443 };
	struct check_trace *ct = calloc(1, sizeof(*ct));
	struct policy_set *set = calloc(1, sizeof(*set));
	char err[256];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, line, sizeof(line) - 1) != sizeof(line) - 1 || !ct || !set)
		abort();
	close(fd);
	target.addr.ss_family = AF_INET;
	set->n = 1;
	CHECK(!policy_parse("mozilla-intermediate", &set->policy[0], err, sizeof(err)), "%s", err);
	CHECK(!check_trace_read(ct, path, set, &target), "trace read");
	check_trace_choose(ct, NULL);
	free(set);
	return ct;
}

/* The report with the server's strings hostile: the JSON is valid and
 * ASCII, the text has no control bytes. */
static void test_output(void)
{
	char trace_path[] = "/tmp/tr\"ace\x01XXXXXX";
	struct check_report *r = calloc(1, sizeof(*r));
	static const __u16 suites[] = { 0x1301 };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	current = "output";
	snprintf(r->target.host, sizeof(r->target.host), "h\"o\\st");
	snprintf(r->target.addr_text, sizeof(r->target.addr_text), "192.0.2.1:443");
	snprintf(r->name, sizeof(r->name), "n\x01me");
	snprintf(r->libssl, sizeof(r->libssl), "OpenSSL");
	snprintf(r->alpn.chosen, sizeof(r->alpn.chosen), "h2\"\x1b[31m");
	r->trust = "system";
	for (i = 0; i < CHECK_VERSIONS; i++)
		r->versions[i].version = 0x0300 + i;
	accept_version(r, 4, TLS13, suites, 1);
	snprintf(r->versions[3].detail, sizeof(r->versions[3].detail), "alert \"x\"");
	r->versions[3].verdict = VERSION_REFUSED;
	r->trace = one_family_trace(trace_path);

	f = open_memstream(&buf, &len);
	check_print_json(f, r);
	fclose(f);
	CHECK(len > 1 && buf[len - 1] == '\n', "one line");
	CHECK(json_object_valid(buf, len - 1), "valid JSON: %s", buf);
	CHECK(line_clean(buf, len), "printable ASCII: %s", buf);
	CHECK(strstr(buf, "\"chosen\":\"h2\\\"\\u001b[31m\""), "ALPN escaped: %s", buf);
	CHECK(strstr(buf, "\"trace\":{\"file\":\"/tmp/tr\\\"ace\\u0001") &&
	      strstr(buf, "\"to_listener\":1,") && strstr(buf, "\"certificate_assumed\":true") &&
	      strstr(buf, "\"by_ja4\":[{\"ja4\":\"t12d010000_aaaaaaaaaaaa_000000000000\","
			  "\"clients\":1,\"handshakes\":1,\"main_reason\":\"cipher\""),
	      "trace: %s", buf);
	free(buf);

	f = open_memstream(&buf, &len);
	check_print_text(f, r);
	fclose(f);
	for (i = 0; i < len; i++)
		CHECK(buf[i] == '\n' || (buf[i] >= 0x20 && buf[i] < 0x7f), "byte %02x at %zu",
		      (unsigned char)buf[i], i);
	CHECK(strstr(buf, "n\\x01me"), "name escaped: %s", buf);
	CHECK(strstr(buf, "Client families in the trace /tmp/tr\"ace\\x01") &&
	      strstr(buf, "1 of its 1 events are handshakes with this listener\n") &&
	      strstr(buf, "judged with an RSA certificate (assumed") &&
	      strstr(buf, "moving to mozilla-intermediate breaks 1 clients (1 handshakes) of 1 "
			  "clients (1 handshakes) judged"), "trace: %s", buf);
	free(buf);
	unlink(trace_path);
	check_trace_free(r->trace);
	free(r->trace);
	r->trace = NULL;
	free(r);
}

/* What a listener does with each connection it accepts, in a child. */
enum server_act { SERVE_ALERT, SERVE_CLOSE, SERVE_HELLO_THEN_CLOSE };

static pid_t serve_once(int listener, enum server_act act)
{
	static const __u8 alert[] = { 21, 3, 3, 0, 2, 2, 40 };
	__u8 random[32] = {}, msg[128], rec[160], buf[4096];
	pid_t pid = fork();
	size_t n;
	int fd;

	if (pid)
		return pid;
	fd = accept(listener, NULL, NULL);
	if (read(fd, buf, sizeof(buf)) <= 0)
		_exit(1);
	if (act == SERVE_ALERT && write(fd, alert, sizeof(alert)) != sizeof(alert))
		_exit(1);
	if (act == SERVE_HELLO_THEN_CLOSE) {
		n = server_hello(msg, 0x0303, random, 0, 0x000a, NULL, -1);
		n = record(rec, 22, msg, n);
		if (write(fd, rec, n) != (ssize_t)n)
			_exit(1);
	}
	close(fd);
	_exit(0);
}

/* A listener on 127.0.0.1, a port of the kernel's choice, as target. */
static int loopback_listener(struct check_target *target)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&target->addr;
	socklen_t len = sizeof(target->addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(target, 0, sizeof(*target));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)sin, sizeof(*sin)) && !listen(fd, 8) &&
	      !getsockname(fd, (struct sockaddr *)&target->addr, &len), "listener");
	target->addr_len = len;
	return fd;
}

/*
 * probe_raw's answers from a listener of its own, in a network namespace of
 * the test's (only its loopback is contacted): no answer, an alert, a close
 * without a word, a ServerHello and then a close before the Certificate.
 */
static void test_probe_raw(void)
{
	static const __u16 suites[] = { 0x000a };
	struct ifreq ifr = { .ifr_name = "lo" };
	struct check_target target = {};
	struct probe_ctx ctx = { .target = &target, .timeout_ms = 300 };
	struct probe_result res;
	__u8 hello[RAW_HELLO_MAX];
	size_t len = raw_client_hello(hello, sizeof(hello), 0x0303, suites, 1, NULL);
	int s, silent, listener;

	current = "probe_raw";
	if (unshare(CLONE_NEWNET)) {
		CHECK(0, "unshare(CLONE_NEWNET): %m (run as root)");
		return;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(!ioctl(s, SIOCGIFFLAGS, &ifr), "lo flags");
	ifr.ifr_flags |= IFF_UP;
	CHECK(!ioctl(s, SIOCSIFFLAGS, &ifr), "lo up");
	close(s);
	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += 30;
	ctx.certs = cert_cache_new(8, X509_STORE_new());

	/* Connected (the kernel's backlog), never answered. */
	silent = loopback_listener(&target);
	probe_raw(&ctx, hello, len, false, &res);
	CHECK(res.status == PROBE_TIMEOUT, "no answer: %s", probe_status_name(res.status));
	close(silent);
	listener = loopback_listener(&target);
	serve_once(listener, SERVE_ALERT);
	probe_raw(&ctx, hello, len, false, &res);
	wait(NULL);
	CHECK(res.status == PROBE_ALERT && res.alert == 40, "alert: %s %u",
	      probe_status_name(res.status), res.alert);
	serve_once(listener, SERVE_CLOSE);
	probe_raw(&ctx, hello, len, false, &res);
	wait(NULL);
	CHECK(res.status == PROBE_CLOSED || res.status == PROBE_RESET, "closed: %s",
	      probe_status_name(res.status));
	serve_once(listener, SERVE_HELLO_THEN_CLOSE);
	probe_raw(&ctx, hello, len, true, &res);
	wait(NULL);
	CHECK(res.status == PROBE_HELLO && res.cipher == 0x000a && res.chain.cut &&
	      !res.chain.n, "hello, then closed: %s", probe_status_name(res.status));
	close(listener);
	cert_cache_free(ctx.certs);
}

int main(void)
{
	test_server_hello();
	test_server_signature();
	test_raw_hello();
	test_raw_reply();
	test_target();
	test_policy_misses();
	test_output();
	test_probe_raw();	/* last: it leaves the test in a network namespace of its own */
	printf("test_check: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
