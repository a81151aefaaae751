// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Offline mode (-r FILE). No second parser: each captured packet goes
 * through xdp_tlsnoop built from the same source for this process
 * (bpf/host/), both directions alike (the program tells them apart by the
 * watched port), with the packet's capture time as the program's clock
 * (clock_override_ns). Link layers other than Ethernet are replaced by an
 * Ethernet header carrying their ethertype. The file is streamed, and the
 * ring buffer drained as packets go, so memory stays bounded whatever the
 * file's size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
/* libpcap's own struct bpf_insn would clash with the kernel's. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include "capture.h"
#include "host/tlsnoop_host.h"

#define NSEC_PER_SEC	1000000000ULL
/* Times past this (year 2242) are garbage, and would wrap the ns clock. */
#define CAPTURE_SEC_MAX	(1ULL << 33)
#define ETH_HDR_LEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
/* Event lines are written as the buffer fills, not one by one (collect.c). */
#define OUT_BUFFER	(1 << 20)
/* The file is read in chunks of this much, not of stdio's 4 KiB. */
#define IN_BUFFER	(1 << 20)

/* A link layer other than Ethernet: what comes before the IP header, and
 * where its ethertype is. */
struct link_layer {
	int dlt;
	const char *name;
	__u32 hdr_len;
	int proto_off;		/* offset of the ethertype; -1: from the IP version */
};

static const struct link_layer link_layers[] = {
	{ DLT_LINUX_SLL, "Linux cooked (SLL)", 16, 14 },
	{ DLT_LINUX_SLL2, "Linux cooked (SLL2)", 20, 0 },
	{ DLT_RAW, "raw IP", 0, -1 },
	{ DLT_IPV4, "raw IPv4", 0, -1 },
	{ DLT_IPV6, "raw IPv6", 0, -1 },
	{ DLT_NULL, "BSD loopback", 4, -1 },
	{ DLT_LOOP, "OpenBSD loopback", 4, -1 },
};

struct capture {
	pcap_t *pcap;
	const char *path;
	const struct link_layer *link;	/* NULL: Ethernet, run as captured */
	__u64 packets;
	__u64 clock_ns;			/* the latest capture time so far; 0: none yet */
	__u8 frame[TLSNOOP_HOST_FRAME_MAX];	/* a non-Ethernet packet made Ethernet */
	char in_buffer[IN_BUFFER];	/* the file's stdio buffer */
};

static const struct link_layer *link_layer_find(int dlt)
{
	size_t i;

	for (i = 0; i < sizeof(link_layers) / sizeof(link_layers[0]); i++)
		if (link_layers[i].dlt == dlt)
			return &link_layers[i];
	return NULL;
}

/* Open the file ourselves: errno then says why it cannot be, and an empty
 * file is named as such rather than as a truncated header. */
static FILE *open_file(const char *path)
{
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "tlsnoop: cannot open capture '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
		fprintf(stderr, "tlsnoop: capture '%s' is empty: not a pcap or pcapng file\n",
			path);
		fclose(f);
		return NULL;
	}
	return f;
}

struct capture *capture_open(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *cap;
	FILE *f;
	int dlt;

	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		fprintf(stderr, "tlsnoop: cannot read '%s': %s\n", path, strerror(ENOMEM));
		return NULL;
	}
	cap->path = path;
	f = open_file(path);
	if (!f)
		goto fail;
	setvbuf(f, cap->in_buffer, _IOFBF, sizeof(cap->in_buffer));
	/* Nanoseconds: a pcap's microseconds are scaled, a pcapng's kept. */
	cap->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO,
							     errbuf);
	if (!cap->pcap) {
		fprintf(stderr, "tlsnoop: '%s' is not a capture tlsnoop can read (pcap or "
			"pcapng): %s\n", path, errbuf);
		fclose(f);
		goto fail;
	}
	dlt = pcap_datalink(cap->pcap);
	cap->link = link_layer_find(dlt);
	if (dlt != DLT_EN10MB && !cap->link) {
		fprintf(stderr, "tlsnoop: capture '%s' has link type %s (%d): tlsnoop reads "
			"Ethernet, Linux cooked (SLL, SLL2), raw IP and BSD loopback\n", path,
			pcap_datalink_val_to_name(dlt) ?: "unknown", dlt);
		goto fail;
	}
	return cap;
fail:
	capture_close(cap);
	return NULL;
}

void capture_close(struct capture *cap)
{
	if (!cap)
		return;
	if (cap->pcap)
		pcap_close(cap->pcap);
	free(cap);
}

/* The collector's and the program's clock: the latest capture time so far,
 * in ns. Never going back (a merged capture may be out of order): expiry and
 * durations need a clock that only moves forward. Never 0 either, which
 * would turn the program's own clock (bpf_ktime_get_ns) back on. */
static void advance_clock(struct capture *cap, const struct timeval *ts)
{
	/* With nanosecond precision, tv_usec holds nanoseconds. */
	__u64 sec = ts->tv_sec < 0 ? 0 : (__u64)ts->tv_sec, ns;

	if (sec > CAPTURE_SEC_MAX)
		sec = CAPTURE_SEC_MAX;
	ns = sec * NSEC_PER_SEC + (ts->tv_usec < 0 ? 0 : (__u64)ts->tv_usec % NSEC_PER_SEC);
	if (ns > cap->clock_ns)
		cap->clock_ns = ns;
	if (!cap->clock_ns)
		cap->clock_ns = 1;
}

static __u16 ethertype_of_ip(const u_char *ip, __u32 len)
{
	if (!len)
		return 0;
	switch (ip[0] >> 4) {
	case 4: return ETH_P_IP;
	case 6: return ETH_P_IPV6;
	default: return 0;
	}
}

/*
 * The frame xdp_tlsnoop sees: an Ethernet packet as captured, any other one
 * behind an Ethernet header with its ethertype (the addresses are zero: the
 * program does not read them). Returns its length; 0 when there is nothing
 * to run.
 */
static __u32 ethernet_frame(struct capture *cap, const u_char *pkt, __u32 caplen,
			    const void **frame)
{
	const struct link_layer *l = cap->link;
	__u32 len;
	__u16 proto;

	if (!l) {
		*frame = pkt;
		/* A snaplen-cut packet runs as far as it goes. */
		if (caplen < ETH_HDR_LEN)
			return 0;
		return caplen < TLSNOOP_HOST_FRAME_MAX ? caplen : TLSNOOP_HOST_FRAME_MAX;
	}
	if (caplen <= l->hdr_len)
		return 0;
	len = caplen - l->hdr_len;
	if (len > TLSNOOP_HOST_FRAME_MAX - ETH_HDR_LEN)
		len = TLSNOOP_HOST_FRAME_MAX - ETH_HDR_LEN;
	if (l->proto_off < 0)
		proto = ethertype_of_ip(pkt + l->hdr_len, len);
	else
		proto = pkt[l->proto_off] << 8 | pkt[l->proto_off + 1];
	memset(cap->frame, 0, ETH_HDR_LEN - 2);
	cap->frame[ETH_HDR_LEN - 2] = proto >> 8;
	cap->frame[ETH_HDR_LEN - 1] = proto & 0xff;
	memcpy(cap->frame + ETH_HDR_LEN, pkt + l->hdr_len, len);
	*frame = cap->frame;
	return ETH_HDR_LEN + len;
}

int capture_next(struct capture *cap, const void **frame, __u32 *len, __u64 *clock_ns)
{
	struct pcap_pkthdr *h;
	const u_char *pkt;
	int ret = pcap_next_ex(cap->pcap, &h, &pkt);

	if (ret != 1)
		return ret == PCAP_ERROR ? -1 : 0;
	cap->packets++;
	advance_clock(cap, &h->ts);
	*clock_ns = cap->clock_ns;
	*len = ethernet_frame(cap, pkt, h->caplen, frame);
	return 1;
}

static int drain(struct collector *c)
{
	int err = collector_poll(c, 0);

	if (err < 0)
		fprintf(stderr, "tlsnoop: reading the ring buffer failed: %s\n", strerror(-err));
	return err < 0 ? -1 : 0;
}

/* Drained once a quarter full: a packet adds at most a hello (4 KiB), an
 * event, with -w a packet (4 KiB) and a flight segment (16 KiB), so the
 * ring never reaches the half that packets and flights may fill, and
 * offline none is lost. */
static bool ring_filling(const struct collector *c)
{
	const struct host_map *ring = c->host->events;

	return ring->ring_used - ring->ring_read > ring->max_entries / 4;
}

int capture_run(struct capture *cap, struct collector *c, volatile sig_atomic_t *stop)
{
	static char out_buffer[OUT_BUFFER];	/* the stream's until exit */
	__u64 last_expire = 0;
	const void *frame;
	int ret = 0;
	__u32 len;

	c->mono_to_wall = 0;	/* capture times are wall-clock already */
	if (c->out)
		setvbuf(c->out, out_buffer, _IOFBF, sizeof(out_buffer));
	while (!*stop && (ret = capture_next(cap, &frame, &len, &c->capture_ns)) == 1) {
		if (!last_expire)
			last_expire = c->capture_ns;
		if (len)
			tlsnoop_host_run(frame, len, c->capture_ns);
		if (ring_filling(c) && drain(c))
			return -1;
		/* As live mode does every second, per second of the capture. */
		if (c->capture_ns - last_expire >= NSEC_PER_SEC) {
			if (drain(c))
				return -1;
			collector_expire(c);
			last_expire = c->capture_ns;
		}
	}
	if (drain(c))
		return -1;
	if (ret < 0)
		fprintf(stderr, "tlsnoop: warning: stopped reading '%s' after %llu packets: %s\n",
			cap->path, (unsigned long long)cap->packets, pcap_geterr(cap->pcap));
	return 0;
}
