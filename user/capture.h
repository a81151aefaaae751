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
void capture_close(struct capture *cap);

#endif /* __CAPTURE_H */
