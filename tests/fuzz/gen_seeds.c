// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Seed corpus for fuzz_hello: ClientHellos (and a few records that are not)
 * from the unit tests' builder, one file each in the directory given.
 * Usage: gen_seeds DIR
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "pkt.h"

static struct tlsbuf buf;

static int write_seed(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	err = fwrite(buf.b, 1, buf.len, f) != buf.len;
	buf.len = 0;
	return fclose(f) || err ? -1 : 0;
}

static void add_ext(struct tlsb_ch *c, __u16 type)
{
	c->exts[c->n_exts++] = (struct tlsb_ext){ .type = type };
}

/* Variations on the browser hello: one seed per branch of the parser. */
static int client_hellos(const char *dir)
{
	static const char *const alpn[] = { "h2", "http/1.1", "spdy/3.1", "h2c", "acme-tls/1" };
	char long_name[201];
	struct tlsb_ch c;
	int err = 0;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;

	tlsb_ch_browser(&c, "www.example.com", false);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "browser");

	tlsb_ch_browser(&c, "www.example.com", true);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "post-quantum");

	tlsb_ch_browser(&c, long_name, false);
	c.n_alpn = PKT_NELEM(alpn);
	memcpy(c.alpn, alpn, sizeof(alpn));
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "long-names");

	tlsb_ch_browser(&c, "resume.example.com", false);
	c.psk_identity_len = 64;
	add_ext(&c, TLSB_EXT_EARLY_DATA);
	add_ext(&c, TLSB_EXT_PRE_SHARED_KEY);
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "resumption");

	tlsb_ch_browser(&c, NULL, false);
	c.sid_len = 0;
	c.n_exts = 0;
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "no-extensions");

	tlsb_ch_browser(&c, "padded.example.com", false);
	add_ext(&c, TLSB_EXT_PADDING);
	c.pad_to = 512;
	tlsb_client_hello(&buf, &c);
	err |= write_seed(dir, "padded");
	return err;
}

static int other_records(const char *dir)
{
	static const __u16 v2_ciphers[] = { 0x0039, 0x0035 };
	struct tlsb_sh s;
	int err = 0;

	tlsb_sh_init(&s, 0x0304);
	tlsb_server_hello(&buf, &s);
	err |= write_seed(dir, "server-hello");
	tlsb_alert(&buf, 2, 40);
	err |= write_seed(dir, "alert");
	tlsb_sslv2_hello(&buf, 0x0301, v2_ciphers, PKT_NELEM(v2_ciphers));
	err |= write_seed(dir, "sslv2-hello");
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (mkdir(argv[1], 0755) && errno != EEXIST) {
		perror(argv[1]);
		return 1;
	}
	if (client_hellos(argv[1]) || other_records(argv[1])) {
		fprintf(stderr, "gen_seeds: cannot write to %s\n", argv[1]);
		return 1;
	}
	return 0;
}
