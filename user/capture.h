/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Offline mode: a pcap or pcapng file run through the programs built for
 * the host (bpf/host/). */
#ifndef __CAPTURE_H
#define __CAPTURE_H

#include <signal.h>
#include "collect.h"

struct capture;

/* Open FILE and check its link type; on failure print one line naming the
 * file and what is wrong, and return NULL. */
struct capture *capture_open(const char *path);
/* Run every packet through xdp_tlsnoop (c->host) at its capture time and
 * handle the events as live mode does, until the end of the file or *stop. A file cut
 * short ends with a warning, not an error. 0 on success, -1 on error (said). */
int capture_run(struct capture *cap, struct collector *c, volatile sig_atomic_t *stop);
/* The next packet: the frame xdp_tlsnoop runs (an Ethernet frame; *len 0
 * when there is none to run) and the clock to run it at (the latest capture
 * time so far in ns, never 0). 1 for a packet, 0 at the end of the file, -1
 * where it is cut short or unreadable (pcap_geterr says why). */
int capture_next(struct capture *cap, const void **frame, __u32 *len, __u64 *clock_ns);
void capture_close(struct capture *cap);

#endif /* __CAPTURE_H */
