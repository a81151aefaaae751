// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JA3 and JA4 against other projects' values: FoxIO's reference test vector,
 * the ALPN edge cases of its reference implementation, a hello from the
 * packet builder through the parser, and, when a vector file is given
 * (tests/unit/corpus_vectors.py over ../shared/corpus/expected.jsonl), every
 * JA3 of the corpus and every JA4 that its JA3 string fully determines.
 *
 * Usage: test_fingerprint [VECTORS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fingerprint.h"
#include "hello.h"
#include "check.h"
#include "pkt.h"

static struct offered o;

static void set_list(struct u16_list *l, const __u16 *v, size_t n)
{
	l->n = n;
	memcpy(l->v, v, n * sizeof(*v));
}

/* The ClientHello of FoxIO's own unit test (rust/ja4/src/tls.rs). */
static void reference_offer(void)
{
	static const __u16 ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
					 0x0035 };
	static const __u16 exts[] = { 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d,
				      0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b,
				      0x000a, 0x0015 };
	static const __u16 sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
					 0x0601 };
	static const __u16 versions[] = { 0x0a0a, 0x0304, 0x0303 };

	memset(&o, 0, sizeof(o));
	o.legacy_version = 0x0303;
	set_list(&o.ciphers, ciphers, PKT_NELEM(ciphers));
	set_list(&o.exts, exts, PKT_NELEM(exts));
	set_list(&o.sigalgs, sigalgs, PKT_NELEM(sigalgs));
	set_list(&o.versions, versions, PKT_NELEM(versions));
	o.alpn0 = (const __u8 *)"h2";
	o.alpn0_len = 2;
}

static void expect_ja4(const char *want)
{
	char ja4[JA4_LEN + 1];

	CHECK(!fingerprint_ja4(&o, ja4) && !strcmp(ja4, want), "ja4 %s, want %s", ja4, want);
}

static void test_reference(void)
{
	current = "reference";
	reference_offer();
	expect_ja4("t13d1516h2_8daaf6152771_e5627efa2ab1");
	/* GREASE anywhere changes nothing. */
	o.ciphers.v[o.ciphers.n++] = 0x3a3a;
	o.exts.v[o.exts.n++] = 0xfafa;
	expect_ja4("t13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* The first ALPN value: first and last character, non-ASCII as '9', one
 * character and '0', none "00" (FoxIO's reference implementation). */
static void test_alpn_edges(void)
{
	static const struct {
		const char *alpn;
		const char *want;
	} cases[] = {
		{ "http/1.1", "h1" }, { "h", "h0" }, { "\xc3\xa9", "90" }, { "\xff\xfe", "99" },
		{ "a\xff", "a9" }, { "\xe9x", "9x" }, { NULL, "00" }, { "", "00" },
	};
	char ja4[JA4_LEN + 1];
	size_t i;

	current = "alpn_edges";
	for (i = 0; i < PKT_NELEM(cases); i++) {
		reference_offer();
		o.alpn0 = (const __u8 *)cases[i].alpn;
		o.alpn0_len = cases[i].alpn ? strlen(cases[i].alpn) : 0;
		fingerprint_ja4(&o, ja4);
		CHECK(!strncmp(ja4 + 8, cases[i].want, 2), "alpn %zu: %s, want %s", i, ja4,
		      cases[i].want);
	}
}

static void test_edges(void)
{
	char ja4[JA4_LEN + 1];

	current = "edges";
	reference_offer();
	o.sigalgs.n = 0;	/* no "_" before the empty signature list */
	fingerprint_ja4(&o, ja4);
	CHECK(strcmp(ja4 + 24, "e5627efa2ab1") != 0, "sigalgs ignored: %s", ja4);
	reference_offer();
	o.ciphers.n = 0;
	o.exts.n = 0;		/* no supported_versions: the legacy version; no SNI */
	o.sigalgs.n = 0;
	o.alpn0 = NULL;
	expect_ja4("t12i000000_000000000000_000000000000");
	reference_offer();
	o.exts.v[0] = 0x0039;	/* quic_transport_parameters */
	fingerprint_ja4(&o, ja4);
	CHECK(ja4[0] == 'q', "quic marker: %s", ja4);
	reference_offer();
	o.versions.n = 1;	/* only GREASE offered */
	fingerprint_ja4(&o, ja4);
	CHECK(!strncmp(ja4, "t00d", 4), "unknown version: %s", ja4);
}

/* A hello built on the wire format, through the parser. */
static void test_parsed_hello(void)
{
	static struct tlsbuf b;
	struct hello_info hi;
	struct tlsb_ch ch;

	current = "parsed_hello";
	tlsb_ch_browser(&ch, "fp.example", false);
	memset(&b, 0, sizeof(b));
	tlsb_client_hello(&b, &ch);
	CHECK(!hello_parse(b.b, b.len, &hi), "parse");
	/* Chrome's cipher list, as in the reference vector. */
	CHECK(!strncmp(hi.ja4, "t13d1513h2_8daaf6152771_", 24), "ja4 %s", hi.ja4);
	CHECK(strlen(hi.ja3) == JA3_LEN, "ja3 %s", hi.ja3);
	CHECK(hi.n_ciphers == 16 && hi.n_exts == 15 && hi.sigalgs[0] == 0x0403, "lists");
	/* Cut short: no fingerprint of a client that is not. */
	CHECK(!hello_parse(b.b, b.len - 10, &hi) && !hi.ja4[0] && !hi.ja3[0] &&
	      (hi.ch.flags & HELLO_TRUNCATED), "truncated hello fingerprinted: %s", hi.ja4);
}

/* "771,4865-4866,0-23,29-23,0" into o: JA3's fields, decimal. */
static int parse_list(char **s, struct u16_list *l, char end)
{
	char *p = *s;

	l->n = 0;
	while (*p && *p != end) {
		if (l->n >= OFFERED_MAX)
			return -1;
		l->v[l->n++] = strtoul(p, &p, 10);
		if (*p == '-')
			p++;
	}
	if (*p != end)
		return -1;
	*s = p + (*p != '\0');
	return 0;
}

static int offer_from_ja3(char *s)
{
	struct u16_list formats;
	__u16 i;

	memset(&o, 0, sizeof(o));
	o.legacy_version = strtoul(s, &s, 10);
	if (*s++ != ',' || parse_list(&s, &o.ciphers, ',') || parse_list(&s, &o.exts, ',') ||
	    parse_list(&s, &o.groups, ',') || parse_list(&s, &formats, '\0'))
		return -1;
	for (i = 0; i < formats.n; i++)
		o.formats[o.n_formats++] = formats.v[i];
	return 0;
}

/* Lines "JA3_STRING<TAB>JA3<TAB>JA4 or -" */
static void test_corpus(const char *path)
{
	char *line = NULL, *ja3s, *ja3, *ja4, got[JA4_LEN + 1];
	size_t size = 0;
	int n3 = 0, n4 = 0;
	FILE *f = fopen(path, "r");

	current = "corpus";
	CHECK(f != NULL, "cannot read %s", path);
	if (!f)
		return;
	while (getline(&line, &size, f) > 0) {
		ja3s = strtok(line, "\t");
		ja3 = strtok(NULL, "\t");
		ja4 = strtok(NULL, "\t\n");
		if (!ja3s || !ja3 || !ja4 || offer_from_ja3(ja3s))
			continue;
		fingerprint_ja3(&o, got);
		CHECK(!strcmp(got, ja3), "ja3 %s, want %s for %s", got, ja3, ja3s);
		n3++;
		if (!strcmp(ja4, "-"))
			continue;
		fingerprint_ja4(&o, got);
		CHECK(!strcmp(got, ja4), "ja4 %s, want %s for %s", got, ja4, ja3s);
		n4++;
	}
	free(line);
	fclose(f);
	printf("test_fingerprint: %d JA3 and %d JA4 corpus vectors\n", n3, n4);
	CHECK(n3 > 100 && n4 > 10, "too few vectors: %d JA3, %d JA4", n3, n4);
}

int main(int argc, char **argv)
{
	test_reference();
	test_alpn_edges();
	test_edges();
	test_parsed_hello();
	if (argc > 1)
		test_corpus(argv[1]);
	printf("test_fingerprint: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
