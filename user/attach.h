/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Attach the programs to an interface, and take them off again. */
#ifndef __ATTACH_H
#define __ATTACH_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>
#include "tlsnoop.h"
#include "tlsnoop.skel.h"

#define MAX_INTERFACES 16

enum hook_kind {
	HOOK_XDP,	/* XDP ingress + TC egress */
	HOOK_TC,	/* TC ingress + TC egress */
};

struct attachment {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum hook_kind hook;
	struct bpf_object *xdp_obj;	/* xdp_tlsnoop for libxdp, on the skeleton's maps */
	struct xdp_program *xdp_prog;
	int xdp_mode;			/* enum xdp_attach_mode */
	bool xdp_attached;
	bool tc_attached[2];		/* [0] ingress, [1] egress */
	bool clsact_created;
	int lock_fd;			/* held while attached; -1 when not */
	bool gone;			/* deleted while watched */
	bool down;			/* last seen administratively down */
};

/* The watched interfaces. Each gets the same programs, hence the same maps:
 * one flow table for all. */
struct attach_set {
	struct attachment ifs[MAX_INTERFACES];
	int n;
};

/* Take every interface's lock (one tlsnoop per interface, so that a filter
 * of ours found at start is a stale one), then attach to each. All or
 * nothing: on error print one line saying what to do, undo, return -1. */
int attach_all(struct tlsnoop_bpf *skel, struct attach_set *s);
/* Interfaces deleted meanwhile (told or not) are released, not touched. */
void detach_all(struct attach_set *s);
/* In the --user collector: the parent holds the interfaces' locks and
 * detaches, so that the locks go with it, even on SIGKILL, while the
 * collector is still finishing. Frees this process's copy of the rest. */
void attach_leave_to_parent(struct attach_set *s);
/* Has the interface been deleted (or its namespace gone)? */
bool attach_is_gone(const struct attachment *a);
/* The interface was deleted: release what is left of it (its link, its
 * lock) and touch nothing by its index, which a new interface may reuse. */
void attach_gone(struct attachment *a);
/* Interfaces not gone. */
int attach_watched(const struct attach_set *s);
/* "eth0,eth1": the interfaces not gone. */
void attach_names(const struct attach_set *s, char *buf, size_t size);
/* The name an interface was attached under, gone or not; NULL: not ours. */
const char *attach_ifname(const struct attach_set *s, __u32 ifindex);
/* "eth0 (ports 443; xdp native ingress, tc egress)", or with several
 * "eth0,eth1 (ports 443; eth0: xdp native ingress, tc egress; eth1: ...)" */
void attach_describe(const struct attach_set *s, const char *ports, char *buf, size_t size);

#endif /* __ATTACH_H */
