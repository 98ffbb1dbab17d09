/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flow key, the per-flow counters, the spill record and the counter
 * reasons: the contract between the XDP program and the agent. Compiled by
 * clang -target bpf and by the host compiler; never copy these elsewhere. */
#ifndef JFLOWD_FLOW_H
#define JFLOWD_FLOW_H

#include <linux/types.h>

#define JF_MPLS_DEPTH_KEY 3	/* labels kept for IE 70-72 */
#define JF_MPLS_DEPTH_MAX 8	/* labels walked before giving up */
#define JF_IPV6_EXT_MAX 8	/* IPv6 extension headers walked (a 9th is too deep) */
#define JF_MAX_CPUS 1024	/* size of the per-CPU quiescence array */

/* Address family in the key: the record template follows from it. */
enum jf_family {
	JF_FAMILY_NONE = 0,
	JF_FAMILY_IPV4 = 4,
	JF_FAMILY_IPV6 = 6,
};

/* jf_key.flags */
#define JF_KEY_MPLS 0x01	/* the packet was under an MPLS label stack */
#define JF_KEY_EGRESS 0x02	/* metered on egress (tc): ifindex is the output */

/* Everything that splits traffic into flows. Zeroed before filling: the
 * kernel hashes padding too. Addresses and ports in host order of the
 * fields below: addresses as on the wire (network order), ports and VLAN
 * ids in host order so both sides compare plain integers. */
struct jf_key {
	__u32 src[4];		/* IPv4 in src[0], network order */
	__u32 dst[4];
	__u32 ifindex;		/* ingress interface */
	__u32 mpls[JF_MPLS_DEPTH_KEY]; /* label stack entries, top first: label<<4 | exp<<1 | bos */
	__u16 sport;
	__u16 dport;		/* ICMP/ICMPv6: type * 256 + code */
	__u16 vlan;		/* outer 802.1Q/802.1ad VLAN id, 0 if untagged */
	__u16 inner_vlan;	/* second tag (QinQ), 0 if none */
	__u8 proto;
	__u8 tos;		/* IPv4 ToS byte / IPv6 traffic class */
	__u8 family;		/* enum jf_family */
	__u8 flags;		/* JF_KEY_* */
};

/* Per-flow counters in the kernel map. Updated in place with atomics by
 * every CPU; the inserting CPU initialises it with its own packet. */
struct jf_counters {
	__u64 packets;
	__u64 octets;		/* IP length (header + payload) */
	__u64 first_ns;		/* CLOCK_MONOTONIC ns, the program's clock (jf_now) */
	__u64 last_ns;
	__u32 tcp_flags;	/* OR of flags, atomic or */
	__u32 ttl;		/* min TTL in bits 0-7, max in bits 8-15 */
	__u32 flow_label;	/* IPv6 flow label of the last packet */
	__u32 out_ifindex;	/* mirror mapping: output interface, else 0 */
	__u32 frag_id;		/* IP identification of the last packet (IE 54) */
	__u32 pad;
};

/* A packet whose flow could not be inserted (map full) goes to the spill
 * ring buffer instead; the agent merges it into its cache. */
struct jf_spill {
	struct jf_key key;
	__u32 pad0;
	__u64 ts_ns;
	__u64 epoch;
	__u32 octets;
	__u8 tcp_flags;
	__u8 ttl;
	__u16 pad;
	__u32 flow_label;
	__u32 frag_id;
};

/* What happened to each packet the program saw. Per CPU, per epoch
 * parity, packets and octets. JF_PKT_OK and JF_PKT_SPILLED are metered into
 * flows; every other reason from JF_PKT_NON_IP on is "not accounted" and
 * exported as such. */
enum jf_pkt_reason {
	JF_PKT_OK = 0,		/* counted in the flow map */
	JF_PKT_SPILLED,		/* counted through the spill ring */
	JF_PKT_NOT_SAMPLED,	/* skipped by 1-in-N sampling (not metered) */
	JF_PKT_NON_IP,		/* ARP, LLDP, other ethertypes, MPLS without IP */
	JF_PKT_TRUNC_L2,	/* Ethernet, VLAN or MPLS header cut short */
	JF_PKT_TRUNC_L3,	/* IPv4/IPv6 header or extension cut short */
	JF_PKT_TRUNC_L4,	/* TCP/UDP/SCTP/ICMP header cut short */
	JF_PKT_BAD_L3,		/* IP version/IHL/length inconsistent */
	JF_PKT_DEEP_STACK,	/* more tags/labels/extensions than we walk */
	JF_PKT_MAP_FULL,	/* map full and spill ring full: lost */
	JF_PKT_NO_CPU_SLOT,	/* CPU id beyond JF_MAX_CPUS: lost */
	JF_PKT_NOT_ATTACHED,	/* received by a metered interface's device before
				 * jflowd attached to it again (its rx counters;
				 * never counted by the program) */
	JF_PKT_REASON_MAX,
};

struct jf_stat {
	__u64 packets;
	__u64 octets;
};

/* Beside the fates, not one of them: packets counted into a flow (JF_PKT_OK,
 * JF_PKT_SPILLED) whose IP header claimed more octets than their frame
 * holds, counted with what the frame holds; its octets are those claimed
 * beyond the frame. */
#define JF_STAT_TRIMMED JF_PKT_REASON_MAX

/* Index into the per-CPU stats array: epoch parity, then reason (or
 * JF_STAT_TRIMMED). */
#define JF_STAT_IDX(parity, reason) ((parity) * (JF_PKT_REASON_MAX + 1) + (reason))
#define JF_STAT_ENTRIES (2 * (JF_PKT_REASON_MAX + 1))

/* One per CPU, in .bss: seq is odd while the program runs on that CPU;
 * inserts counts the table slots the CPU claimed (the agent's live count
 * between its passes: inserts - removals). Padded to a cache line so CPUs
 * do not share one. */
struct jf_cpu_seq {
	__u64 seq;
	__u64 inserts;
	__u64 pad[6];
};

#ifndef __bpf__
_Static_assert(sizeof(struct jf_key) == 60, "jf_key layout");
_Static_assert(sizeof(struct jf_key) % 4 == 0, "jf_key must be padded to 4");
_Static_assert(sizeof(struct jf_counters) == 56, "jf_counters layout");
_Static_assert(sizeof(struct jf_spill) == 96, "jf_spill layout");
_Static_assert(sizeof(struct jf_cpu_seq) == 64, "jf_cpu_seq layout");
#endif

#endif
