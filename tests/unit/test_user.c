// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Host tests of the collector's pure parts: diagnosis, escaping, options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "diagnose.h"
#include "escape.h"
#include "options.h"
#include "check.h"



static void escaped(void (*fn)(FILE *, const void *, size_t), const void *in, size_t len,
		    char *out, size_t size)
{
	FILE *f = fmemopen(out, size, "w");

	fn(f, in, len);
	fclose(f);
}

static void test_escape(void)
{
	char out[256];

	escaped(json_escape, "a\"b\\c\n\x01\x7f\xff", 9, out, sizeof(out));
	CHECK(!strcmp(out, "a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff"), "json: %s", out);
	escaped(json_escape, "x\0y", 3, out, sizeof(out));
	CHECK(!strcmp(out, "x\\u0000y"), "json NUL: %s", out);
	escaped(text_escape, "ok.test\x1b[2J \\", 13, out, sizeof(out));
	CHECK(!strcmp(out, "ok.test\\x1b[2J\\x20\\\\"), "text: %s", out);
}

static struct event ev(__u8 cause)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.end_cause = cause;
	e.flow.close_from = SIDE_NONE;
	e.flow.not_tls_from = SIDE_NONE;
	e.flow.ch.flags = HELLO_SEEN;
	e.flow.dir[SIDE_CLIENT].saw_payload = 1;
	return e;
}

static void with_alert(struct event *e, __u8 from, __u8 level, __u8 code)
{
	e->flow.alert.flags = ALERT_SEEN;
	e->flow.alert.from = from;
	e->flow.alert.level = level;
	e->flow.alert.code = code;
}

static enum reason reason_of(const struct event *e, bool *inferred)
{
	struct diagnosis d;

	diagnose(e, &d);
	if (inferred)
		*inferred = d.inferred;
	return d.success ? REASON_NONE : d.reason;
}

static void test_diagnose_alerts(void)
{
	static const struct {
		__u8 from, code;
		bool server_hello, cert_request, sni;
		enum reason want;
	} cases[] = {
		{ SIDE_SERVER, 70, false, false, true, REASON_PROTOCOL_VERSION },
		{ SIDE_SERVER, 86, false, false, true, REASON_PROTOCOL_VERSION },
		{ SIDE_SERVER, 40, false, false, true, REASON_NO_SHARED_CIPHER },
		{ SIDE_SERVER, 71, false, false, true, REASON_NO_SHARED_CIPHER },
		{ SIDE_SERVER, 40, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 40, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_CLIENT, 48, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 42, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 43, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 46, true, false, true, REASON_UNTRUSTED_CERTIFICATE },
		{ SIDE_CLIENT, 45, true, false, true, REASON_EXPIRED_CERTIFICATE },
		{ SIDE_CLIENT, 44, true, false, true, REASON_REVOKED_CERTIFICATE },
		{ SIDE_SERVER, 48, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 42, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 45, true, true, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 116, true, false, true, REASON_CLIENT_CERTIFICATE },
		{ SIDE_SERVER, 47, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_SERVER, 112, false, false, false, REASON_MISSING_SNI },
		{ SIDE_SERVER, 112, false, false, true, REASON_UNKNOWN_SNI },
		{ SIDE_SERVER, 120, true, false, true, REASON_ALPN_MISMATCH },
		{ SIDE_SERVER, 80, true, false, true, REASON_OTHER_ALERT },
		{ SIDE_CLIENT, 40, true, false, true, REASON_OTHER_ALERT },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event e = ev(END_ALERT);
		enum reason got;

		with_alert(&e, cases[i].from, 2, cases[i].code);
		if (cases[i].server_hello)
			e.flow.sh.flags |= SERVER_HELLO_SEEN;
		if (cases[i].cert_request)
			e.flow.sh.flags |= SERVER_CERT_REQUEST;
		if (cases[i].sni)
			e.flow.ch.flags |= HELLO_HAS_SNI;
		got = reason_of(&e, NULL);
		CHECK(got == cases[i].want, "alert %u from %u: %s, want %s", cases[i].code,
		      cases[i].from, reason_name(got), reason_name(cases[i].want));
	}
}

static void test_diagnose_other(void)
{
	struct event e;
	bool inferred;

	e = ev(END_ESTABLISHED);
	CHECK(reason_of(&e, NULL) == REASON_NONE, "established is success");
	e = ev(END_NOT_TLS);
	CHECK(reason_of(&e, NULL) == REASON_NOT_TLS, "not_tls");
	e = ev(END_TIMEOUT);
	CHECK(reason_of(&e, NULL) == REASON_TIMEOUT, "timeout");
	e = ev(END_CLOSE);
	e.flow.ch.flags = 0;
	e.flow.dir[SIDE_CLIENT].saw_payload = 0;
	e.flow.close_from = SIDE_CLIENT;
	CHECK(reason_of(&e, NULL) == REASON_NO_CLIENT_HELLO, "no_client_hello");
	e = ev(END_CLOSE);
	e.flow.close_from = SIDE_SERVER;
	CHECK(reason_of(&e, NULL) == REASON_SERVER_ABORT, "server_abort");
	e.flow.close_from = SIDE_CLIENT;
	CHECK(reason_of(&e, NULL) == REASON_CLIENT_ABORT, "client_abort");
	/* close_notify is a close, not a reason */
	with_alert(&e, SIDE_CLIENT, 1, 0);
	CHECK(reason_of(&e, NULL) == REASON_CLIENT_ABORT, "close_notify then close");
	e = ev(END_ALERT);
	with_alert(&e, SIDE_SERVER, 2, 90);
	CHECK(reason_of(&e, NULL) == REASON_SERVER_ABORT, "server user_canceled");
	e = ev(END_CLOSE);
	e.flow.ch.flags |= HELLO_SSLV2;
	CHECK(reason_of(&e, NULL) == REASON_PROTOCOL_VERSION, "sslv2");

	/* TLS 1.3 encrypted alerts */
	e = ev(END_CLOSE);
	e.flow.sh.flags = SERVER_HELLO_SEEN;
	e.flow.sh.version = 0x0304;
	e.flow.alert.flags = ALERT_SEEN | ALERT_ENCRYPTED;
	e.flow.alert.from = SIDE_CLIENT;
	CHECK(reason_of(&e, &inferred) == REASON_UNTRUSTED_CERTIFICATE && inferred,
	      "client encrypted alert before its Finished");
	e.flow.alert.from = SIDE_SERVER;
	e.flow.dir[SIDE_CLIENT].enc_records = 3;
	e.flow.dir[SIDE_CLIENT].enc_bytes = 1133;
	CHECK(reason_of(&e, &inferred) == REASON_CLIENT_CERTIFICATE && inferred,
	      "server encrypted alert after a client certificate");
	e.flow.dir[SIDE_CLIENT].enc_records = 1;
	e.flow.dir[SIDE_CLIENT].enc_bytes = 53;
	CHECK(reason_of(&e, NULL) == REASON_OTHER_ALERT, "after a bare Finished");
	e.flow.sh.version = 0x0303;
	CHECK(reason_of(&e, NULL) == REASON_OTHER_ALERT, "TLS 1.2 encrypted alert");
}

static void test_ports(void)
{
	__u16 p[MAX_PORTS];
	int n;

	CHECK(!parse_ports("443", p, &n) && n == 1 && p[0] == 443, "443");
	CHECK(!parse_ports("443,8443,1", p, &n) && n == 3 && p[1] == 8443 && p[2] == 1, "list");
	CHECK(parse_ports("", p, &n), "empty");
	CHECK(parse_ports("0", p, &n), "0");
	CHECK(parse_ports("65536", p, &n), "65536");
	CHECK(parse_ports("443,", p, &n), "trailing comma");
	CHECK(parse_ports("443,,8443", p, &n), "empty item");
	CHECK(parse_ports("-1", p, &n), "negative");
	CHECK(parse_ports("443 ", p, &n), "space");
	CHECK(parse_ports("44a", p, &n), "junk");
	CHECK(parse_ports("99999999999999999999", p, &n), "overflow");
}

int main(void)
{
	test_escape();
	test_diagnose_alerts();
	test_diagnose_other();
	test_ports();
	printf("test_user: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
