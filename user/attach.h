/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Attach the programs to an interface, and take them off again. */
#ifndef __ATTACH_H
#define __ATTACH_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "tlsnoop.skel.h"

enum hook_kind {
	HOOK_XDP,	/* XDP ingress + TC egress */
	HOOK_TC,	/* TC ingress + TC egress */
};

struct attachment {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum hook_kind hook;
	int xdp_link_fd;		/* -1 when not attached */
	bool xdp_generic;		/* native XDP unavailable: generic mode */
	bool tc_attached[2];		/* [0] ingress, [1] egress */
	bool clsact_created;
	int lock_fd;			/* held while attached; -1 when not */
};

/* Attach (after taking the interface's lock: one tlsnoop per interface, so
 * that a filter of ours found at start is a stale one); on error print one
 * line saying what to do, undo, return -1. */
int attach_all(struct tlsnoop_bpf *skel, struct attachment *a);
void detach_all(struct attachment *a);
/* "xdp native ingress, tc egress" */
void attach_describe(const struct attachment *a, char *buf, size_t size);

#endif /* __ATTACH_H */
