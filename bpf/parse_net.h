/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ethernet, VLAN, IPv4, IPv6 and TCP parsing over a bounded cursor.
 * Each function checks its header against the end before reading it and
 * advances the cursor past it; none knows which program type it runs in.
 */
#ifndef __PARSE_NET_H
#define __PARSE_NET_H

#define ETH_P_IP_BE	bpf_htons(0x0800)
#define ETH_P_IPV6_BE	bpf_htons(0x86DD)
#define ETH_P_8021Q_BE	bpf_htons(0x8100)
#define ETH_P_8021AD_BE	bpf_htons(0x88A8)

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_TCP_		6
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_		51
#define IPPROTO_DSTOPTS_	60

#define VLAN_MAX_DEPTH		2
#define IPV6_EXT_MAX		6

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_ACK	0x10

enum parse_result {
	PARSE_OK = 0,
	PARSE_SKIP,		/* not for us: not TCP, truncated, ... */
	PARSE_FRAGMENT,		/* IP fragment: skipped */
};

struct cursor {
	void *pos;
	void *end;
};

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* What L2-L4 parsing tells the TLS layer about one TCP segment. */
struct segment {
	void *l3;		/* IPv4 or IPv6 header */
	struct tcphdr *tcp;
	__u64 l4_len;		/* TCP header and payload */
	__u64 payload_off;	/* from the start of the frame */
	__u64 payload_len;
	__u8 family;		/* 4 or 6 */
};

static __always_inline int parse_eth(struct cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_tag *vlan;
	int i;

	if ((void *)(eth + 1) > c->end)
		return PARSE_SKIP;
	c->pos = eth + 1;
	*proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (*proto != ETH_P_8021Q_BE && *proto != ETH_P_8021AD_BE)
			break;
		vlan = c->pos;
		if ((void *)(vlan + 1) > c->end)
			return PARSE_SKIP;
		c->pos = vlan + 1;
		*proto = vlan->proto;
	}
	return PARSE_OK;
}

/* Returns the length of the IP payload (TCP header + data) in *l4_len. */
static __always_inline int parse_ipv4(struct cursor *c, __u64 *l4_len)
{
	struct iphdr *ip = c->pos;
	__u64 hlen, tot;

	if ((void *)(ip + 1) > c->end)
		return PARSE_SKIP;
	if (ip->protocol != IPPROTO_TCP_)
		return PARSE_SKIP;
	/* Any fragment (MF set or non-zero offset) is skipped: TCP header
	 * and payload may not be where we would read them. */
	if (ip->frag_off & bpf_htons(0x3FFF))
		return PARSE_FRAGMENT;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (hlen < sizeof(*ip) || tot < hlen)
		return PARSE_SKIP;
	if (c->pos + hlen > c->end)
		return PARSE_SKIP;
	c->pos += hlen;
	*l4_len = tot - hlen;
	return PARSE_OK;
}


static __always_inline int parse_ipv6(struct cursor *c, __u64 *l4_len)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ipv6_opt_hdr *opt;
	struct frag_hdr *frag;
	__u64 plen, hlen;
	__u8 next;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return PARSE_SKIP;
	c->pos = ip6 + 1;
	next = ip6->nexthdr;
	plen = bpf_ntohs(ip6->payload_len);

	/* A bounded walk over extension headers. */
#pragma unroll
	for (i = 0; i < IPV6_EXT_MAX; i++) {
		if (next == IPPROTO_TCP_) {
			*l4_len = plen;
			return PARSE_OK;
		}
		opt = c->pos;
		if ((void *)(opt + 1) > c->end)
			return PARSE_SKIP;
		switch (next) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
			hlen = (opt->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH_:
			hlen = (opt->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT_:
			frag = c->pos;
			if ((void *)(frag + 1) > c->end)
				return PARSE_SKIP;
			/* Offset or more-fragments set: a real fragment. */
			if (frag->frag_off & bpf_htons(0xFFF9))
				return PARSE_FRAGMENT;
			hlen = sizeof(*frag);
			break;
		default:
			return PARSE_SKIP;
		}
		if (c->pos + hlen > c->end || plen < hlen)
			return PARSE_SKIP;
		c->pos += hlen;
		plen -= hlen;
		next = opt->nexthdr;
	}
	if (next != IPPROTO_TCP_)
		return PARSE_SKIP;
	*l4_len = plen;
	return PARSE_OK;
}

/* Only the fixed header, for the ports: the rest waits for tcp_payload(). */
static __always_inline int parse_tcp(struct cursor *c, __u64 l4_len, struct segment *seg)
{
	struct tcphdr *tcp = c->pos;

	if ((void *)(tcp + 1) > c->end)
		return PARSE_SKIP;
	seg->tcp = tcp;
	seg->l4_len = l4_len;
	return PARSE_OK;
}

/* Where the payload starts, past the options, and how long it is: only for
 * segments on watched ports. */
static __always_inline int tcp_payload(struct segment *seg, void *frame)
{
	__u64 doff = seg->tcp->doff * 4;

	if (doff < sizeof(*seg->tcp) || doff > seg->l4_len)
		return PARSE_SKIP;
	seg->payload_off = (void *)seg->tcp - frame + doff;
	seg->payload_len = seg->l4_len - doff;
	return PARSE_OK;
}

/* Ethernet frame to TCP segment (ports and flags; payload by tcp_payload). */
static __always_inline int parse_segment(void *data, void *data_end, struct segment *seg)
{
	struct cursor c = { .pos = data, .end = data_end };
	__be16 proto;
	__u64 l4_len = 0;
	int ret;

	ret = parse_eth(&c, &proto);
	if (ret)
		return ret;
	seg->l3 = c.pos;
	if (proto == ETH_P_IP_BE) {
		seg->family = 4;
		ret = parse_ipv4(&c, &l4_len);
	} else if (proto == ETH_P_IPV6_BE) {
		seg->family = 6;
		ret = parse_ipv6(&c, &l4_len);
	} else {
		return PARSE_SKIP;
	}
	if (ret)
		return ret;
	return parse_tcp(&c, l4_len, seg);
}

#endif /* __PARSE_NET_H */
