/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host build's stand-in for vmlinux.h: the kernel types the programs
 * use, from the UAPI headers. The program contexts are the UAPI's, but with
 * pointer-sized packet bounds: the kernel rewrites their 32-bit fields into
 * pointers, the host build needs pointers there.
 */
#ifndef __TLSNOOP_HOST_VMLINUX_H
#define __TLSNOOP_HOST_VMLINUX_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
/* The enums and flags of bpf.h, without its contexts. */
#define xdp_md xdp_md_uapi
#define __sk_buff __sk_buff_uapi
#include <linux/bpf.h>
#undef xdp_md
#undef __sk_buff

struct xdp_md {
	__u64 data;
	__u64 data_end;
	__u32 ingress_ifindex;
};

struct __sk_buff {
	__u64 data;
	__u64 data_end;
	__u32 len;
	__u32 ingress_ifindex;
	__u32 ifindex;
};

/* The IPv6 fragment header (include/net/ipv6.h; no UAPI header has it). */
struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

#endif /* __TLSNOOP_HOST_VMLINUX_H */
