/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The packet parser, written once: compiled into the XDP program and into
 * the agent's libpcap path, so both meter identical flows. Every read is
 * bounds-checked against `end`; fields are read byte-wise so the code is
 * correct at any alignment (pcap buffers are not aligned).
 *
 * Framings: Ethernet II; up to two 802.1Q / 802.1ad / 0x9100 tags (outer
 * VLAN id and inner VLAN id in the key); MPLS stacks up to 8 labels (top 3
 * in the key), IP found after the bottom of stack by its version nibble;
 * IPv4 with options; IPv6 with up to 8 extension headers (hop-by-hop,
 * routing, destination options, fragment, AH); a 9th is too deep.
 *
 * Octets: the IP length, unless the frame holds less (jf_fit_octets).
 * Transport lengths and checksums are not checked, as a router does not:
 * a UDP header whose length field is 0 (or any other value) is a UDP
 * packet of its flow, counted with its IP length.
 *
 * Fragments: jflowd does not reassemble. A first fragment (offset 0) has
 * the transport header and counts in its 5-tuple flow; later fragments have
 * none and count in a flow of the same addresses and protocol with ports 0.
 * Every fragment is counted once, with its own IP length, as routers do. */
#ifndef JFLOWD_PARSE_H
#define JFLOWD_PARSE_H

#include <linux/types.h>
#include "jflowd/flow.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Ethertypes and protocols, host order. */
#define JF_ETH_P_IP 0x0800
#define JF_ETH_P_IPV6 0x86dd
#define JF_ETH_P_8021Q 0x8100
#define JF_ETH_P_8021AD 0x88a8
#define JF_ETH_P_QINQ_9100 0x9100
#define JF_ETH_P_MPLS_UC 0x8847
#define JF_ETH_P_MPLS_MC 0x8848

#define JF_IPPROTO_HOPOPTS 0
#define JF_IPPROTO_ICMP 1
#define JF_IPPROTO_TCP 6
#define JF_IPPROTO_UDP 17
#define JF_IPPROTO_DCCP 33
#define JF_IPPROTO_ROUTING 43
#define JF_IPPROTO_FRAGMENT 44
#define JF_IPPROTO_GRE 47
#define JF_IPPROTO_AH 51
#define JF_IPPROTO_ICMPV6 58
#define JF_IPPROTO_DSTOPTS 60
#define JF_IPPROTO_SCTP 132
#define JF_IPPROTO_UDPLITE 136

#define JF_VLAN_DEPTH_MAX 2

/* What one packet contributes to its flow. */
struct jf_pkt {
	struct jf_key key;
	__u32 octets;		/* IP total length, at most what the frame holds */
	__u32 flow_label;	/* IPv6 only */
	__u8 tcp_flags;
	__u8 ttl;
	__u8 trimmed;		/* the IP length claimed more than the frame holds */
	__u8 keep_frag_id;	/* set by the meter (not the parser): a record
				 * collects frag_id (IE 54), so the table's
				 * cold line takes it on every packet */
	__u32 out_ifindex;	/* mirror mapping: output interface, else 0 */
	/* Set by the caller before parsing: the frame's bytes past `end` (the
	 * other buffers of a multi-buffer XDP frame or of an skb; what a
	 * capture's snap length cut off), so that the frame's length on the
	 * wire is known. */
	__u32 tail_len;
	__u32 claimed;		/* trimmed: the octets the IP header claimed */
	__u32 frag_id;		/* IPv4 identification; an IPv6 fragment
				 * header's, else 0 */
};

/* The octets of a packet are its IP length, unless the frame is shorter:
 * a header that claims more than the wire carried lies (the kernel drops
 * such packets as truncated), and the flow counts what the frame holds,
 * the packet flagged (trimmed). A capture cut by its snap length still
 * counts the IP length: the wire carried it (tail_len). */
static __always_inline __u32 jf_span(const __u8 *from, const __u8 *to)
{
	long d = to - from;

#ifdef __bpf__
	/* A scalar from here on: else the compiler folds what is added to it
	 * into pointer arithmetic, which the verifier refuses. */
	asm volatile("" : "+r"(d));
#endif
	return (__u32)d;
}

static __always_inline void jf_fit_octets(const __u8 *ip, const __u8 *end, struct jf_pkt *p)
{
	__u32 held = jf_span(ip, end) + p->tail_len;

	if (p->octets <= held)
		return;
	p->claimed = p->octets;
	p->octets = held;
	p->trimmed = 1;
}

static __always_inline __u16 jf_rd16(const __u8 *p)
{
	return (__u16)((__u16)p[0] << 8 | p[1]);
}

static __always_inline __u32 jf_rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* Copy a 4-byte address keeping network byte order in memory. */
static __always_inline __u32 jf_rdaddr(const __u8 *p)
{
	__u32 v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

/* Ports (or ICMP type/code) of the transport header at l4. Non-first
 * fragments carry no transport header: their flow has ports 0. */
static __always_inline int jf_parse_l4(const __u8 *l4, const __u8 *end,
				       struct jf_pkt *p)
{
	switch (p->key.proto) {
	case JF_IPPROTO_TCP:
		if (l4 + 14 > end)
			return JF_PKT_TRUNC_L4;
		p->key.sport = jf_rd16(l4);
		p->key.dport = jf_rd16(l4 + 2);
		p->tcp_flags = l4[13];
		return JF_PKT_OK;
	case JF_IPPROTO_UDP:
	case JF_IPPROTO_UDPLITE:
	case JF_IPPROTO_SCTP:
	case JF_IPPROTO_DCCP:
		if (l4 + 4 > end)
			return JF_PKT_TRUNC_L4;
		p->key.sport = jf_rd16(l4);
		p->key.dport = jf_rd16(l4 + 2);
		return JF_PKT_OK;
	case JF_IPPROTO_ICMP:
	case JF_IPPROTO_ICMPV6:
		if (l4 + 2 > end)
			return JF_PKT_TRUNC_L4;
		p->key.dport = (__u16)(l4[0] << 8 | l4[1]);
		return JF_PKT_OK;
	default:
		return JF_PKT_OK;	/* GRE, ESP, OSPF...: keyed by protocol */
	}
}

static __always_inline int jf_parse_ipv4(const __u8 *ip, const __u8 *end,
					 struct jf_pkt *p)
{
	__u32 ihl, tot_len;
	__u16 frag;

	if (ip + 20 > end)
		return JF_PKT_TRUNC_L3;
	if ((ip[0] >> 4) != 4)
		return JF_PKT_BAD_L3;
	ihl = (ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return JF_PKT_BAD_L3;
	tot_len = jf_rd16(ip + 2);
	if (tot_len < ihl)
		return JF_PKT_BAD_L3;

	p->key.family = JF_FAMILY_IPV4;
	p->key.tos = ip[1];
	p->key.proto = ip[9];
	p->key.src[0] = jf_rdaddr(ip + 12);
	p->key.dst[0] = jf_rdaddr(ip + 16);
	p->ttl = ip[8];
	p->octets = tot_len;
	jf_fit_octets(ip, end, p);
	p->frag_id = jf_rd16(ip + 4);

	frag = jf_rd16(ip + 6);
	if (frag & 0x1fff)
		return JF_PKT_OK;	/* later fragment: no ports */
	if (ip + ihl > end)
		return JF_PKT_TRUNC_L3;	/* options cut short */
	return jf_parse_l4(ip + ihl, end, p);
}

/* The extension headers jf_parse_ipv6 walks. */
static __always_inline int jf_ipv6_is_ext(__u8 nh)
{
	return nh == JF_IPPROTO_HOPOPTS || nh == JF_IPPROTO_ROUTING || nh == JF_IPPROTO_DSTOPTS ||
	       nh == JF_IPPROTO_AH || nh == JF_IPPROTO_FRAGMENT;
}

static __always_inline int jf_parse_ipv6(const __u8 *ip, const __u8 *end,
					 struct jf_pkt *p)
{
	const __u8 *pos;
	__u32 vtc, plen;
	__u8 nh;
	int i;

	if (ip + 40 > end)
		return JF_PKT_TRUNC_L3;
	vtc = jf_rd32(ip);
	if ((vtc >> 28) != 6)
		return JF_PKT_BAD_L3;

	p->key.family = JF_FAMILY_IPV6;
	p->key.tos = (__u8)(vtc >> 20);
	p->flow_label = vtc & 0xfffff;
	__builtin_memcpy(p->key.src, ip + 8, 16);
	__builtin_memcpy(p->key.dst, ip + 24, 16);
	p->ttl = ip[7];
	plen = jf_rd16(ip + 4);
	/* Jumbograms say 0: what the frame holds. */
	p->octets = plen ? plen + 40 : jf_span(ip, end) + p->tail_len;
	jf_fit_octets(ip, end, p);

	nh = ip[6];
	pos = ip + 40;
	/* Up to JF_IPV6_EXT_MAX extension headers, then the upper layer. */
	for (i = 0; i <= JF_IPV6_EXT_MAX; i++) {
		if (i == JF_IPV6_EXT_MAX && jf_ipv6_is_ext(nh))
			break;		/* one more extension header: too deep */
		switch (nh) {
		case JF_IPPROTO_HOPOPTS:
		case JF_IPPROTO_ROUTING:
		case JF_IPPROTO_DSTOPTS:
			if (pos + 8 > end)
				return JF_PKT_TRUNC_L3;
			nh = pos[0];
			pos += ((__u32)pos[1] + 1) * 8;
			if (pos > end)
				return JF_PKT_TRUNC_L3;	/* header longer than the frame */
			continue;
		case JF_IPPROTO_AH:
			if (pos + 8 > end)
				return JF_PKT_TRUNC_L3;
			nh = pos[0];
			pos += ((__u32)pos[1] + 2) * 4;
			if (pos > end)
				return JF_PKT_TRUNC_L3;
			continue;
		case JF_IPPROTO_FRAGMENT:
			if (pos + 8 > end)
				return JF_PKT_TRUNC_L3;
			nh = pos[0];
			p->frag_id = jf_rd32(pos + 4);
			if (jf_rd16(pos + 2) & 0xfff8) {
				p->key.proto = nh;	/* later fragment: no ports */
				return JF_PKT_OK;
			}
			pos += 8;
			continue;
		default:
			p->key.proto = nh;
			return jf_parse_l4(pos, end, p);
		}
	}
	return JF_PKT_DEEP_STACK;
}

/* Network layer by IP version nibble: raw IP captures and the payload
 * under an MPLS bottom-of-stack label. */
static __always_inline int jf_parse_ip(const __u8 *ip, const __u8 *end,
				       struct jf_pkt *p)
{
	if (ip + 1 > end)
		return JF_PKT_TRUNC_L3;
	switch (ip[0] >> 4) {
	case 4:
		return jf_parse_ipv4(ip, end, p);
	case 6:
		return jf_parse_ipv6(ip, end, p);
	default:
		return JF_PKT_NON_IP;	/* pseudowire, control word... */
	}
}

static __always_inline int jf_parse_mpls(const __u8 *pos, const __u8 *end,
					 struct jf_pkt *p)
{
	__u32 lse;
	int i;

	p->key.flags |= JF_KEY_MPLS;
	for (i = 0; i < JF_MPLS_DEPTH_MAX; i++) {
		if (pos + 4 > end)
			return JF_PKT_TRUNC_L2;
		lse = jf_rd32(pos);
		if (i < JF_MPLS_DEPTH_KEY)
			p->key.mpls[i] = lse >> 8;	/* label, exp, bos */
		pos += 4;
		if (lse & 0x100)
			return jf_parse_ip(pos, end, p);
	}
	return JF_PKT_DEEP_STACK;
}

/* Everything after an ethertype: VLAN tags, MPLS, IP; `depth` tags are
 * known already (a tag the NIC stripped: the next inline one is inner). */
static __always_inline int jf_parse_tags(const __u8 *pos, const __u8 *end, __u16 proto,
					 const int depth, struct jf_pkt *p)
{
	int i;

	for (i = depth; i < JF_VLAN_DEPTH_MAX; i++) {
		if (proto != JF_ETH_P_8021Q && proto != JF_ETH_P_8021AD &&
		    proto != JF_ETH_P_QINQ_9100)
			break;
		if (pos + 4 > end)
			return JF_PKT_TRUNC_L2;
		if (i == 0)
			p->key.vlan = jf_rd16(pos) & 0x0fff;
		else
			p->key.inner_vlan = jf_rd16(pos) & 0x0fff;
		proto = jf_rd16(pos + 2);
		pos += 4;
	}

	switch (proto) {
	case JF_ETH_P_IP:
		return jf_parse_ipv4(pos, end, p);
	case JF_ETH_P_IPV6:
		return jf_parse_ipv6(pos, end, p);
	case JF_ETH_P_MPLS_UC:
	case JF_ETH_P_MPLS_MC:
		return jf_parse_mpls(pos, end, p);
	case JF_ETH_P_8021Q:
	case JF_ETH_P_8021AD:
	case JF_ETH_P_QINQ_9100:
		return JF_PKT_DEEP_STACK;
	default:
		return JF_PKT_NON_IP;
	}
}

/* Linux cooked (SLL) captures enter here with the protocol from their own
 * header. */
static __always_inline int jf_parse_ethertype(const __u8 *pos, const __u8 *end,
					      __u16 proto, struct jf_pkt *p)
{
	return jf_parse_tags(pos, end, proto, 0, p);
}

/* Entry point for Ethernet frames. `p` must be zeroed by the caller (the
 * key's padding is hashed). On JF_PKT_OK the key is complete but for the
 * ingress ifindex, which the caller knows. */
static __always_inline int jf_parse_eth(const __u8 *data, const __u8 *end,
					struct jf_pkt *p)
{
	if (data + 14 > end)
		return JF_PKT_TRUNC_L2;
	return jf_parse_ethertype(data + 14, end, jf_rd16(data + 12), p);
}

/* An Ethernet frame whose outer tag the NIC stripped (rx-vlan offload) and
 * handed over apart (TCI): that tag is the outer VLAN, whatever its TPID,
 * and a tag still in the frame is the inner one; a third is too deep, as
 * it would be inline. */
static __always_inline int jf_parse_eth_hwtag(const __u8 *data, const __u8 *end, __u16 tci,
					      struct jf_pkt *p)
{
	if (data + 14 > end)
		return JF_PKT_TRUNC_L2;
	p->key.vlan = tci & 0x0fff;
	return jf_parse_tags(data + 14, end, jf_rd16(data + 12), 1, p);
}

#endif
