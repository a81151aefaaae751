// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A small pcapng writer (libpcap's dumper cannot write packet comments):
 * a Section Header Block, one Ethernet Interface Description Block with
 * nanosecond timestamps, then an Enhanced Packet Block per packet, in the
 * host's byte order (the section's byte-order magic says which).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fnv.h"
#include "output.h"
#include "pcap_write.h"

#define WAYS		4		/* connections per set, as in hello_table.c */
#define CONNS_MAX	(1u << 18)
/* Packet bytes held for connections whose outcome has not come yet. */
#define HELD_BYTES_MAX	(64u << 20)

#define BT_SHB		0x0A0D0D0A
#define BT_IDB		0x00000001
#define BT_EPB		0x00000006
#define BYTE_ORDER_MAGIC 0x1A2B3C4D
#define LINKTYPE_ETHERNET 1
#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_USERAPPL	4
#define IF_NAME		2
#define IF_TSRESOL	9
#define TSRESOL_NS	9		/* 10^-9 s */
#define OPT_LEN_MAX	0xfffc		/* a 16-bit option length, padded to 4 */

struct held_packet {
	struct held_packet *next;
	__u64 t;			/* kernel clock */
	__u32 len, wire_len;
	__u8 data[];
};

struct held_conn {
	struct flow_key key;
	__u64 seq;			/* order of its first packet; 0: free */
	struct held_packet *first, *last;
	__u32 bytes;			/* record bytes, counted as the kernel does */
	struct held_conn *older, *newer;	/* by first packet, for the budget */
};

struct pcap_writer {
	FILE *f;
	char *path;
	bool failed;
	struct held_conn *conns;	/* sets * WAYS */
	size_t sets;			/* a power of two */
	__u64 seq;
	struct held_conn *oldest, *newest;
	size_t held_bytes;
	__u64 conns_written, packets_written;
	__u64 conns_evicted;		/* pushed out before their outcome */
	__u64 packets_capped;		/* over TLSNOOP_PACKET_CAP here */
	char *comment;			/* the event line, for every packet */
	size_t comment_size;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put32(FILE *f, __u32 v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void put_padded(FILE *f, const void *p, size_t n)
{
	static const __u8 zero[4];

	if (n)
		fwrite(p, 1, n, f);
	fwrite(zero, 1, pad4(n) - n, f);
}

/* An option (code, length, value padded to 4 bytes); its size on file. */
static size_t option_size(size_t len)
{
	return 4 + pad4(len);
}

static void put_option(FILE *f, __u16 code, const void *val, size_t len)
{
	__u16 hdr[2] = { code, len };

	fwrite(hdr, sizeof(hdr), 1, f);
	put_padded(f, val, len);
}

static void put_header(FILE *f, const char *ifname)
{
	static const char appl[] = "tlsnoop";
	const __u8 tsresol = TSRESOL_NS;
	size_t name_len = ifname ? strlen(ifname) : 0;
	__u32 len;
	__u64 section_len = ~0ULL;	/* not given */
	__u16 version[2] = { 1, 0 };
	__u16 link[2] = { LINKTYPE_ETHERNET, 0 };

	len = 28 + option_size(sizeof(appl) - 1) + 4;
	put32(f, BT_SHB);
	put32(f, len);
	put32(f, BYTE_ORDER_MAGIC);
	fwrite(version, sizeof(version), 1, f);
	fwrite(&section_len, sizeof(section_len), 1, f);
	put_option(f, SHB_USERAPPL, appl, sizeof(appl) - 1);
	put_option(f, OPT_ENDOFOPT, NULL, 0);
	put32(f, len);

	len = 20 + option_size(1) + (name_len ? option_size(name_len) : 0) + 4;
	put32(f, BT_IDB);
	put32(f, len);
	fwrite(link, sizeof(link), 1, f);
	put32(f, TLSNOOP_PACKET_SNAP);
	if (name_len)
		put_option(f, IF_NAME, ifname, name_len);
	put_option(f, IF_TSRESOL, &tsresol, 1);
	put_option(f, OPT_ENDOFOPT, NULL, 0);
	put32(f, len);
}

struct pcap_writer *pcap_writer_open(const char *path, const char *ifname, size_t max_conns)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));

	if (!w)
		goto nomem;
	w->sets = 1;
	while (w->sets * WAYS < max_conns && w->sets * WAYS < CONNS_MAX)
		w->sets <<= 1;
	/* calloc: pages of sets never used are never touched. */
	w->conns = calloc(w->sets * WAYS, sizeof(*w->conns));
	w->path = strdup(path);
	if (!w->conns || !w->path)
		goto nomem;
	w->f = fopen(path, "wb");
	if (!w->f) {
		fprintf(stderr, "tlsnoop: cannot write packets to '%s': %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	put_header(w->f, ifname);
	if (fflush(w->f) == EOF || ferror(w->f)) {
		fprintf(stderr, "tlsnoop: cannot write packets to '%s': %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	return w;
nomem:
	fprintf(stderr, "tlsnoop: cannot set up -w '%s': %s\n", path, strerror(ENOMEM));
cleanup:
	pcap_writer_close(w);
	return NULL;
}

static struct held_conn *set_of(const struct pcap_writer *w, const struct flow_key *k)
{
	__u64 h = fnv1a(FNV_OFFSET, k, sizeof(*k));

	return &w->conns[((h ^ h >> 32) & (w->sets - 1)) * WAYS];
}

static struct held_conn *conn_find(const struct pcap_writer *w, const struct flow_key *k)
{
	struct held_conn *set = set_of(w, k);
	int i;

	for (i = 0; i < WAYS; i++)
		if (set[i].seq && !memcmp(&set[i].key, k, sizeof(*k)))
			return &set[i];
	return NULL;
}

/* Drop a connection's packets and free its entry. */
static void conn_release(struct pcap_writer *w, struct held_conn *c)
{
	struct held_packet *p, *next;

	for (p = c->first; p; p = next) {
		next = p->next;
		w->held_bytes -= sizeof(*p) + p->len;
		free(p);
	}
	if (c->older)
		c->older->newer = c->newer;
	else
		w->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		w->newest = c->older;
	memset(c, 0, sizeof(*c));
}

/* The entry of `key`, new if needed: a full set gives up its oldest. */
static struct held_conn *conn_get(struct pcap_writer *w, const struct flow_key *key)
{
	struct held_conn *set, *c = conn_find(w, key);
	int i;

	if (c)
		return c;
	set = set_of(w, key);
	for (i = 0; i < WAYS && !c; i++)
		if (!set[i].seq)
			c = &set[i];
	if (!c) {
		c = &set[0];
		for (i = 1; i < WAYS; i++)
			if (set[i].seq < c->seq)
				c = &set[i];
		conn_release(w, c);
		w->conns_evicted++;
	}
	c->key = *key;
	c->seq = ++w->seq;
	c->older = w->newest;
	if (w->newest)
		w->newest->newer = c;
	else
		w->oldest = c;
	w->newest = c;
	return c;
}

void pcap_writer_put(struct pcap_writer *w, const void *data, size_t size)
{
	const struct packet_rec *rec = data;
	struct held_packet *p;
	struct held_conn *c;

	if (size < sizeof(*rec) || rec->len > size - sizeof(*rec) ||
	    rec->len > TLSNOOP_PACKET_SNAP)
		return;
	c = conn_get(w, &rec->key);
	/* The kernel's cap, again: its count starts over when the flow map
	 * lost the flow and a packet started it anew. */
	if (c->bytes + sizeof(*rec) + rec->len > TLSNOOP_PACKET_CAP) {
		w->packets_capped++;
		return;
	}
	p = malloc(sizeof(*p) + rec->len);
	if (!p) {
		w->packets_capped++;
		return;
	}
	p->next = NULL;
	p->t = rec->t;
	p->len = rec->len;
	p->wire_len = rec->wire_len;
	memcpy(p->data, rec + 1, rec->len);
	if (c->last)
		c->last->next = p;
	else
		c->first = p;
	c->last = p;
	c->bytes += sizeof(*rec) + rec->len;
	w->held_bytes += sizeof(*p) + p->len;
	while (w->held_bytes > HELD_BYTES_MAX && w->oldest != c) {
		conn_release(w, w->oldest);
		w->conns_evicted++;
	}
}

/* The event's text line, without its newline, as the packets' comment. */
static size_t make_comment(struct pcap_writer *w, const struct report *r)
{
	FILE *m = open_memstream(&w->comment, &w->comment_size);
	size_t len;

	if (!m)
		return 0;
	fputs("tlsnoop: ", m);
	out_text_event(m, r);
	if (fclose(m) == EOF)
		return 0;
	len = strcspn(w->comment, "\n");
	return len < OPT_LEN_MAX ? len : OPT_LEN_MAX;
}

static void put_packet(FILE *f, const struct held_packet *p, __u64 wall_ns,
		       const char *comment, size_t comment_len)
{
	__u32 len = 28 + pad4(p->len) + (comment_len ? option_size(comment_len) + 4 : 0) + 4;

	put32(f, BT_EPB);
	put32(f, len);
	put32(f, 0);			/* interface */
	put32(f, wall_ns >> 32);
	put32(f, (__u32)wall_ns);
	put32(f, p->len);
	put32(f, p->wire_len);
	put_padded(f, p->data, p->len);
	if (comment_len) {
		put_option(f, OPT_COMMENT, comment, comment_len);
		put_option(f, OPT_ENDOFOPT, NULL, 0);
	}
	put32(f, len);
}

/* A failed connection's packets, flushed together: a file cut short by a
 * kill ends after a whole connection, or at worst in its last one. */
static void write_conn(struct pcap_writer *w, const struct held_conn *c,
		       const struct report *r, __s64 mono_to_wall)
{
	size_t comment_len = make_comment(w, r);
	const struct held_packet *p;
	__u64 n = 0;

	for (p = c->first; p; p = p->next, n++)
		put_packet(w->f, p, p->t + mono_to_wall, w->comment, comment_len);
	free(w->comment);
	w->comment = NULL;
	if (fflush(w->f) == EOF || ferror(w->f)) {
		fprintf(stderr, "tlsnoop: cannot write packets to '%s': %s; still counting for "
			"the summary\n", w->path, strerror(errno));
		w->failed = true;
		return;
	}
	w->conns_written++;
	w->packets_written += n;
}

void pcap_writer_event(struct pcap_writer *w, const struct report *r, __s64 mono_to_wall)
{
	struct held_conn *c = conn_find(w, &r->e->key);

	if (!c)
		return;
	if (!r->d.success && !w->failed)
		write_conn(w, c, r, mono_to_wall);
	conn_release(w, c);
}

void pcap_writer_report(FILE *out, const struct pcap_writer *w, const __u64 stats[STAT_MAX])
{
	__u64 capped = stats[STAT_PACKET_CAPPED] + w->packets_capped;

	fprintf(out, "tlsnoop: wrote %llu failed handshakes (%llu packets) to %s",
		(unsigned long long)w->conns_written, (unsigned long long)w->packets_written,
		w->path);
	if (capped || stats[STAT_PACKET_LOST] || w->conns_evicted)
		fprintf(out, "; not written: %llu packets over the per-connection cap, %llu "
			"with the ring buffer half full, %llu handshakes pushed out before their "
			"outcome", (unsigned long long)capped,
			(unsigned long long)stats[STAT_PACKET_LOST],
			(unsigned long long)w->conns_evicted);
	fputc('\n', out);
}

int pcap_writer_close(struct pcap_writer *w)
{
	int err;
	size_t i;

	if (!w)
		return 0;
	err = w->failed ? -1 : 0;
	if (w->f && fclose(w->f) == EOF && !w->failed) {
		fprintf(stderr, "tlsnoop: writing '%s' failed: %s\n", w->path, strerror(errno));
		err = -1;
	}
	for (i = 0; w->conns && i < w->sets * WAYS; i++)
		if (w->conns[i].seq)
			conn_release(w, &w->conns[i]);
	free(w->conns);
	free(w->path);
	free(w);
	return err;
}
