/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * -w FILE: the packets of every failed handshake, as a pcapng file for
 * Wireshark. The kernel copies each packet of a handshake in progress
 * (REC_PACKET); they wait here, by connection, until its outcome comes:
 * a failure's packets are written, each with tlsnoop's event line as its
 * comment, a success's dropped. Bounded: a fixed number of connections and
 * of bytes held, the oldest connection pushed out first.
 */
#ifndef __PCAP_WRITE_H
#define __PCAP_WRITE_H

#include <stdio.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "report.h"

struct pcap_writer;

/* Create FILE and write the pcapng header (one Ethernet interface, named
 * `ifname` when not NULL); room for `max_conns` connections at once. On
 * failure print one line and return NULL. */
struct pcap_writer *pcap_writer_open(const char *path, const char *ifname, size_t max_conns);
/* A REC_PACKET record of `size` bytes from the ring buffer: held until its
 * connection's outcome. */
void pcap_writer_put(struct pcap_writer *w, const void *rec, size_t size);
/* The outcome of a connection: its packets are written (and flushed) when
 * it failed, dropped when it succeeded. mono_to_wall converts the kernel's
 * times to wall-clock ns. A write error is said once; writing stops. */
void pcap_writer_event(struct pcap_writer *w, const struct report *r, __s64 mono_to_wall);
/* One line on `out`: what was written, and what was not (kernel counters
 * STAT_PACKET_CAPPED and STAT_PACKET_LOST in `stats`, and the collector's). */
void pcap_writer_report(FILE *out, const struct pcap_writer *w, const __u64 stats[STAT_MAX]);
/* Close the file (NULL: nothing). -1 when a write failed or closing did. */
int pcap_writer_close(struct pcap_writer *w);

#endif /* __PCAP_WRITE_H */
