// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the bytes a ClientHello record could carry, fed to the
 * parser and, framed as a REC_HELLO ring-buffer record, to the hello table.
 * Each input is copied to a heap buffer of exactly its size, so AddressSanitizer
 * catches a read of even one byte past it.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "hello.h"
#include "hello_table.h"

/* Small, so puts keep evicting; shared by all inputs, as in the collector. */
#define TABLE_CAPACITY	8

static struct hello_table *table;

/* The input's bytes behind a record header, as the kernel frames them. */
static void put_framed(const __u8 *data, size_t size)
{
	struct hello_rec hdr = { .type = REC_HELLO, .len = size };
	__u8 *rec = malloc(sizeof(hdr) + size);
	struct event e = { .type = REC_EVENT };

	if (!rec)
		return;
	/* Inputs land on a few keys: some replace, some evict, some are taken. */
	hdr.key.family = 4;
	hdr.key.client_port = size % 13;
	hdr.flags = size & 1 ? HELLO_SPLIT : 0;
	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + sizeof(hdr), data, size);
	hello_table_put(table, rec, sizeof(hdr) + size);
	free(rec);
	if (size % 3 == 0) {
		e.key = hdr.key;
		hello_table_take(table, &e);
	}
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct client_hello ch = {};
	__u8 *copy = malloc(size);

	if (!copy && size)
		return 0;
	memcpy(copy, data, size);
	hello_parse_client(copy, size, &ch);
	/* The input as a whole ring-buffer record: its header lies too. */
	hello_table_put(table, copy, size);
	free(copy);
	put_framed(data, size);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	table = hello_table_new(TABLE_CAPACITY);
	return table ? 0 : -1;
}
