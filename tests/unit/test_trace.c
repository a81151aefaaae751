// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsnoop's JSON events read back (user/trace.c) and check --trace's
 * judgement (user/check_trace.c):
 * - round trip: random ClientHellos and events written by the collector's
 *   own JSON writer read back to the same client, port and offers, and to the
 *   same verdict under every catalogue policy with either certificate;
 * - lines that are not events (not JSON, truncated, other objects, too deep,
 *   bad addresses) are refused; names back to ids;
 * - check_trace_read: the listener's events only (port; backend: address),
 *   other ports named, the certificate chosen, a file without events refused.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "active_check.h"
#include "check_trace.h"
#include "names.h"
#include "output.h"
#include "report.h"
#include "trace.h"

#define ROUNDS	3000

static __u64 rng_state = 0x9E3779B97F4A7C15ULL;

static __u32 rnd(__u32 n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? rng_state % n : 0;
}

/* A value tlsnoop writes a name for that reads back to it: a registry
 * entry, GREASE, or an unassigned value (as hex). */
static __u16 some_id(const struct iana_name *reg, size_t count,
		     const char *(*name_of)(__u16, char *, size_t), int (*id_of)(const char *, __u16 *))
{
	char buf[24];
	__u16 v, back;

	for (;;) {
		switch (rnd(4)) {
		case 0:
		case 1: v = reg[rnd(count)].id; break;
		case 2: v = 0x0A0A + 0x1010 * rnd(16); break;	/* GREASE */
		default: v = rnd(0x10000); break;
		}
		if (!id_of(name_of(v, buf, sizeof(buf)), &back) && back == v)
			return v;
	}
}

static void random_list(__u16 *list, __u16 *n, int max, const struct iana_name *reg, size_t count,
			const char *(*name_of)(__u16, char *, size_t),
			int (*id_of)(const char *, __u16 *))
{
	int i;

	*n = rnd(max + 1);
	for (i = 0; i < *n; i++)
		list[i] = some_id(reg, count, name_of, id_of);
}

static void add_ext(struct hello_info *h, __u16 type)
{
	if (h->n_exts < HELLO_LIST_MAX)
		h->exts[h->n_exts++] = type;
}

/* A ClientHello as hello_parse() might give it, and its event. */
static void random_hello(struct hello_info *h, struct event *e)
{
	__u16 v;
	int i;

	memset(h, 0, sizeof(*h));
	memset(e, 0, sizeof(*e));
	h->ch.flags = HELLO_SEEN;
	h->ch.legacy_version = 0x0300 + rnd(5);
	random_list(h->ciphers, &h->n_ciphers, 40, iana_ciphers, iana_ciphers_count,
		    tls_cipher_name, tls_cipher_id);
	random_list(h->exts, &h->n_exts, 12, iana_extensions, iana_extensions_count,
		    tls_extension_name, tls_extension_id);
	/* supported_versions only below, with its flag, as hello_parse() sets it */
	for (i = 0; i < h->n_exts; i++)
		if (h->exts[i] == 43)
			h->exts[i--] = h->exts[--h->n_exts];
	if (rnd(3)) {
		random_list(h->groups, &h->n_groups, 8, iana_groups, iana_groups_count,
			    tls_group_name, tls_group_id);
		add_ext(h, 10);
	}
	if (rnd(3)) {
		random_list(h->sigalgs, &h->n_sigalgs, 10, iana_sigalgs, iana_sigalgs_count,
			    tls_sigalg_name, tls_sigalg_id);
		add_ext(h, 13);
	}
	if (rnd(3)) {
		add_ext(h, 43);
		h->ch.flags |= HELLO_HAS_SUPP_VERSIONS;
		h->ch.versions_mask = rnd(32);
		for (v = 0x0300; v <= 0x0304; v++)
			if (h->ch.versions_mask & VERSION_BIT(v))
				h->ch.max_version = v;
	}
	/* With hello_parse(): a JA4 exactly when the whole hello was read. */
	if (!rnd(10))
		h->ch.flags |= HELLO_TRUNCATED;
	else
		snprintf(h->ja4, sizeof(h->ja4), "t13d%04uh2_%012x_%012x", rnd(10000), rnd(1 << 30),
			 rnd(1 << 30));
	if (!rnd(20))
		h->ch.flags |= HELLO_SSLV2;
	h->lists_cut = !rnd(20);
	e->type = REC_EVENT;
	e->key.family = rnd(2) ? 4 : 6;
	for (i = 0; i < (e->key.family == 4 ? 4 : 16); i++) {
		e->key.client_addr[i] = rnd(256);
		e->key.server_addr[i] = rnd(256);
	}
	e->key.client_port = 1024 + rnd(60000);
	e->key.server_port = 1 + rnd(65535);
	e->flow.ch = h->ch;
	/* A long SNI marks the event truncated; the hello stays whole. */
	if (!rnd(10))
		e->flow.ch.flags |= HELLO_SNI_TRUNCATED;
	e->flow.role = rnd(4) ? ROLE_FRONTEND : ROLE_BACKEND;
	e->end_cause = rnd(2) ? END_ESTABLISHED : END_ALERT;
}

static bool same_list(const __u16 *a, __u16 na, const __u16 *b, __u16 nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* Every catalogue policy, expanded once. */
static struct policy *catalogue_policies(int *n)
{
	struct policy *p = calloc(policy_catalog_count, sizeof(*p));
	char err[256];
	size_t i;

	*n = 0;
	for (i = 0; p && i < policy_catalog_count; i++)
		if (!policy_parse(policy_catalog[i].name, &p[*n], err, sizeof(err)))
			(*n)++;
	return p;
}

static void test_round_trip(void)
{
	int n_policies;
	struct policy *policies = catalogue_policies(&n_policies);
	struct hello_info *h = malloc(sizeof(*h));
	struct trace_event *t = malloc(sizeof(*t));
	struct event *e = malloc(sizeof(*e));
	struct report *r = malloc(sizeof(*r));
	int round, k, c, judged = 0, mismatches = 0;
	char *line = NULL;
	size_t len;
	FILE *out;

	current = "round trip";
	if (!policies || !h || !t || !e || !r)
		abort();
	CHECK(n_policies == (int)policy_catalog_count, "catalogue: %d policies", n_policies);
	for (round = 0; round < ROUNDS; round++) {
		random_hello(h, e);
		report_init(r, e, h, 0);
		out = open_memstream(&line, &len);
		out_json_event(out, r);
		fclose(out);
		if (!len || line[len - 1] != '\n' || trace_parse_line(line, len - 1, t)) {
			CHECK(0, "round %d: not read back: %s", round, line);
			free(line);
			continue;
		}
		if (memcmp(&t->e.key.client_addr, &e->key.client_addr, 16) ||
		    memcmp(&t->e.key.server_addr, &e->key.server_addr, 16) ||
		    t->e.key.family != e->key.family || t->e.key.server_port != e->key.server_port ||
		    t->backend != (e->flow.role == ROLE_BACKEND) || !t->has_hello ||
		    !same_list(t->hello.ciphers, t->hello.n_ciphers, h->ciphers, h->n_ciphers) ||
		    !same_list(t->hello.exts, t->hello.n_exts, h->exts, h->n_exts) ||
		    !same_list(t->hello.groups, t->hello.n_groups, h->groups, h->n_groups) ||
		    !same_list(t->hello.sigalgs, t->hello.n_sigalgs, h->sigalgs, h->n_sigalgs) ||
		    t->hello.lists_cut != h->lists_cut || strcmp(t->hello.ja4, h->ja4) ||
		    t->hello.ch.legacy_version != h->ch.legacy_version ||
		    policy_can_judge(&t->hello) != policy_can_judge(h) ||
		    ((h->ch.flags & HELLO_HAS_SUPP_VERSIONS) &&
		     (t->hello.ch.versions_mask != h->ch.versions_mask ||
		      t->hello.ch.max_version != h->ch.max_version))) {
			if (mismatches++ < 5)
				CHECK(0, "round %d: read back differs: %s", round, line);
			free(line);
			continue;
		}
		free(line);
		if (!policy_can_judge(h))
			continue;
		judged++;
		for (k = 0; k < n_policies; k++)
			for (c = 0; c < 2; c++)
				if (policy_evaluate(&policies[k], c, &t->hello) !=
				    policy_evaluate(&policies[k], c, h) && mismatches++ < 5)
					CHECK(0, "round %d: %s verdict differs", round,
					      policies[k].name);
	}
	CHECK(!mismatches, "%d of %d events read back differently", mismatches, ROUNDS);
	CHECK(judged > ROUNDS / 2, "only %d judged", judged);
	free(policies);
	free(h);
	free(t);
	free(e);
	free(r);
}

static int parse(const char *line, struct trace_event *t)
{
	return trace_parse_line(line, strlen(line), t);
}

#define EVENT_HEAD "{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"198.18.0.9\"," \
	"\"port\":5000},\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}"

static void test_not_events(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2,3]",
		"{\"event\":{\"outcome\":\"success\"}}",			/* no addresses */
		EVENT_HEAD,							/* cut short */
		EVENT_HEAD "}}",						/* trailing bytes */
		EVENT_HEAD "} x",
		"{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"198.18.0.9\"},"
		"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":70000}}",	/* port */
		"{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"198.18.0.9\"},"
		"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":\"443\"}}",	/* port's type */
		"{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"198.18.0.999\"},"
		"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}}",	/* address */
		"{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"2001:db8::1\"},"
		"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}}",	/* two families */
		"{\"event\":{\"outcome\":\"fail\xff\"},\"source\":{\"ip\":\"198.18.0.9\"},"
		"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}}",	/* not UTF-8 */
		/* deeper than an event goes */
		EVENT_HEAD ",\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}",
	};
	struct trace_event t;
	size_t i;

	current = "not events";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(parse(bad[i], &t) == -1, "taken as an event: %s", bad[i]);
	CHECK(parse(EVENT_HEAD "}", &t) == 0 && !t.has_hello && !t.success && !t.backend &&
	      t.e.key.server_port == 443 && t.e.key.family == 4, "a bare event");
	/* A hello without its lists (its bytes never reached the collector). */
	CHECK(parse(EVENT_HEAD ",\"tlsnoop\":{\"client_hello\":{\"legacy_version\":\"1.2\"}}}",
		    &t) == 0 && !t.has_hello, "hello without lists");
	/* Names this build does not know are left out; a bad JA4 is no JA4. */
	CHECK(parse(EVENT_HEAD ",\"tls\":{\"client\":{\"ja4\":\"t13d\\u001b[2J\","
		    "\"supported_ciphers\":[\"TLS_AES_128_GCM_SHA256\",\"TLS_FUTURE\",7,"
		    "\"GREASE (0x1A1A)\",\"GREASE (0x1A1B)\",\"0x00ff\",\"0xC0FF\"],"
		    "\"extensions\":[]}},\"tlsnoop\":{\"client_hello\":{}}}", &t) == 0 &&
	      t.has_hello && t.hello.n_ciphers == 3 && t.hello.ciphers[0] == 0x1301 &&
	      t.hello.ciphers[1] == 0x1A1A && t.hello.ciphers[2] == 0xC0FF && !t.hello.ja4[0] &&
	      !policy_can_judge(&t.hello), "names, JA4");
}

static void test_names(void)
{
	__u16 id = 0;

	current = "names";
	CHECK(!tls_cipher_id("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", &id) && id == 0xCCA8,
	      "a draft's name reads as the final code point: 0x%04X", id);
	CHECK(!tls_extension_id("application_settings", &id) && id == 0x44CD, "0x%04X", id);
	CHECK(!tls_group_id("x25519", &id) && id == 29, "x25519");
	CHECK(!tls_sigalg_id("rsa_pss_rsae_sha256", &id) && id == 0x0804, "rsa_pss_rsae_sha256");
	CHECK(tls_group_id("GREASE (0x0A0B)", &id) == -1, "not GREASE");
	CHECK(tls_group_id("GREASE (0x0A0A", &id) == -1, "GREASE cut");
	CHECK(tls_group_id("0x12345", &id) == -1 && tls_group_id("0x12g4", &id) == -1 &&
	      tls_group_id("", &id) == -1, "bad hex");
	CHECK(tls_version_id("1.3") == 0x0304 && tls_version_id("3.0") == 0x0300 &&
	      !tls_version_id("1.4"), "versions");
}

/* ------------------------------------------------------------ check --trace */

#define HELLO_12_CBC_ONLY ",\"tls\":{\"client\":{\"ja4\":\"t12d010000_aaaaaaaaaaaa_000000000000\"," \
	"\"supported_ciphers\":[\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"]," \
	"\"extensions\":[]}},\"tlsnoop\":{\"client_hello\":{\"legacy_version\":\"1.2\"}"

static const char trace_lines[] =
	/* two handshakes of one family to the listener, from two clients */
	"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.9\"},"
	"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}" HELLO_12_CBC_ONLY "}}\n"
	"\n"
	"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.10\"},"
	"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}" HELLO_12_CBC_ONLY "}}\n"
	/* to another port: not the listener's */
	"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.11\"},"
	"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":8443}" HELLO_12_CBC_ONLY "}}\n"
	/* this host's own handshake to another server on 443: not the listener */
	"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.1\"},"
	"\"destination\":{\"ip\":\"198.18.5.5\",\"port\":443}" HELLO_12_CBC_ONLY
	",\"side\":\"backend\"}}\n"
	/* and to the listener itself: counted */
	"{\"event\":{\"outcome\":\"success\"},\"source\":{\"ip\":\"198.18.0.2\"},"
	"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}" HELLO_12_CBC_ONLY
	",\"side\":\"backend\"}}\n"
	/* no hello: to the listener, not judged */
	"{\"event\":{\"outcome\":\"failure\"},\"source\":{\"ip\":\"198.18.0.12\"},"
	"\"destination\":{\"ip\":\"198.18.0.1\",\"port\":443}}\n"
	"tlsnoop: a stray stderr line\n";

static char *write_file(const char *text, size_t len)
{
	static char path[] = "/tmp/test_trace.XXXXXX";
	int fd;

	strcpy(path, "/tmp/test_trace.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void test_check_trace(void)
{
	struct check_target target = { .port = 443 };
	struct sockaddr_in *in = (struct sockaddr_in *)&target.addr;
	struct policy_set *set = calloc(1, sizeof(*set));
	struct check_trace *ct = calloc(1, sizeof(*ct));
	const struct whatif *w;
	struct cert ec = { .key_type = "EC" }, ed = { .key_type = "Ed25519" };
	char err[256], *path;

	current = "check --trace";
	if (!set || !ct)
		abort();
	in->sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.0.1", &in->sin_addr);
	set->n = 1;
	CHECK(!policy_parse("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", &set->policy[0], err,
			    sizeof(err)), "%s", err);
	path = write_file(trace_lines, sizeof(trace_lines) - 1);
	CHECK(check_trace_read(ct, path, set, &target) == 0, "read");
	CHECK(ct->stats.lines == 7 && ct->stats.events == 6 && ct->stats.skipped == 1,
	      "lines %llu events %llu skipped %llu", (unsigned long long)ct->stats.lines,
	      (unsigned long long)ct->stats.events, (unsigned long long)ct->stats.skipped);
	CHECK(ct->to_listener == 4, "to the listener: %llu", (unsigned long long)ct->to_listener);
	CHECK(ct->n_ports == 1 && ct->ports[0] == 8443, "other ports: %d", ct->n_ports);
	check_trace_choose(ct, NULL);
	CHECK(ct->cert == POLICY_CERT_RSA && ct->cert_assumed, "no leaf: RSA assumed");
	check_trace_choose(ct, &ed);
	CHECK(ct->cert == POLICY_CERT_RSA && ct->cert_assumed, "Ed25519: RSA assumed");
	check_trace_choose(ct, &ec);
	CHECK(ct->cert == POLICY_CERT_ECDSA && !ct->cert_assumed, "EC leaf: ECDSA");
	w = check_trace_result(ct);
	CHECK(w->p[0].judged == 3 && w->p[0].rejected == 3 &&
	      w->p[0].by_reason[POLICY_CIPHER] == 3 && w->not_judged == 1,
	      "judged %llu rejected %llu not judged %llu", (unsigned long long)w->p[0].judged,
	      (unsigned long long)w->p[0].rejected, (unsigned long long)w->not_judged);
	check_trace_free(ct);
	unlink(path);

	/* A file of no events (a capture, say) is refused; so is no file. */
	path = write_file("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
	CHECK(check_trace_read(ct, path, set, &target) == -1, "no event refused");
	check_trace_free(ct);
	unlink(path);
	CHECK(check_trace_read(ct, "/nonexistent/trace.json", set, &target) == -1, "no file");
	check_trace_free(ct);
	free(ct);
	free(set);
}

int main(void)
{
	test_names();
	test_not_events();
	test_round_trip();
	test_check_trace();
	printf("test_trace: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
