/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flow record: what the meters hand to the cache (struct jf_flow, a
 * delta), what the cache holds, and what it hands to the exporters when a
 * flow expires (struct jf_record). Plain C, no BPF, no sockets. */
#ifndef JFLOWD_RECORD_H
#define JFLOWD_RECORD_H

#include <stdint.h>
#include "jflowd/flow.h"

/* flowEndReason (IANA IE 136). */
enum jf_end_reason {
	JF_END_IDLE = 1,	/* idle (inactive) timeout */
	JF_END_ACTIVE = 2,	/* active timeout */
	JF_END_FLOW_END = 3,	/* end of flow detected: TCP FIN or RST */
	JF_END_FORCED = 4,	/* shutdown or end of the capture file */
	JF_END_RESOURCES = 5,	/* cache full: emergency expiry */
};

/* A flow's counters, defined once: a delta from a meter (one packet, a
 * drained map entry, a spilled packet), the flow in the cache, and the
 * counters of an exported record. Times in Unix ms. A new per-flow counter
 * is a member here, its merge in the cache, its conversion where the
 * kernel's layout is read, and its writer. */
#define JF_FLOW_MEMBERS \
	uint64_t packets; \
	uint64_t octets; \
	uint64_t first_ms; \
	uint64_t last_ms; \
	uint32_t flow_label; \
	uint8_t tcp_flags; \
	uint8_t ttl_min; \
	uint8_t ttl_max; \
	uint32_t out_ifindex;	/* mirror mapping: output interface, 0: none */ \
	uint32_t frag_id;	/* IP identification of the last packet (IE 54) */

struct jf_flow {
	JF_FLOW_MEMBERS
};

/* One packet as a delta: a packet the pcap meter parsed, or one the XDP
 * program spilled. (The other conversion, of a drained map entry, is the
 * BPF meter's.) */
static inline struct jf_flow jf_flow_packet(uint32_t octets, uint8_t tcp_flags, uint8_t ttl,
					    uint32_t flow_label, uint64_t ts_ms)
{
	struct jf_flow f = {
		.packets = 1,
		.octets = octets,
		.first_ms = ts_ms,
		.last_ms = ts_ms,
		.flow_label = flow_label,
		.tcp_flags = tcp_flags,
		.ttl_min = ttl,
		.ttl_max = ttl,
	};

	return f;
}

/* What the router's BGP says of a flow's route (src/flow/enrich.h): its
 * lookup fills it once per flow. 0 everywhere: no BGP route (locally
 * originated, connected, unknown), as Juniper sends it. */
struct jf_bgp_info {
	uint32_t src_as;		/* IE 16: origin AS of the source's route */
	uint32_t dst_as;		/* IE 17: origin AS of the destination's route */
	uint32_t prev_adj_as;		/* IE 129: first AS of the source's path */
	uint32_t next_adj_as;		/* IE 128: first AS of the destination's path */
	uint32_t next_hop[4];		/* IE 18/63: BGP next hop, network order */
};

/* A flow's translation, from conntrack (src/flow/enrich.h): the other
 * side of the NAT, as IE 225-228 and 281/282 carry it. Without a
 * translation these are the flow's own addresses and ports (a record
 * may choose 0 instead). */
struct jf_nat_info {
	uint32_t src[4];		/* IE 225/281, network order */
	uint32_t dst[4];		/* IE 226/282 */
	uint16_t sport;			/* IE 227, host order */
	uint16_t dport;			/* IE 228 */
	uint8_t translated;		/* conntrack had a translation for it */
	uint8_t pad[3];
};

/* natEvent (IANA IE 230, RFC 8158): what a NAT event record says. */
enum jf_nat_event_type {
	JF_NAT44_SESSION_CREATE = 4,
	JF_NAT44_SESSION_DELETE = 5,
};

/* One NAT event (src/flow/nat_events.c): a translated session created or
 * deleted, as RFC 8158 logs it. ICMP sessions carry type * 256 + code
 * as destination ports (as flow records do), source port 0 and the echo
 * identifier as post-NAPT source port. */
struct jf_nat_event {
	uint64_t time_ms;		/* IE 323 observationTimeMilliseconds, Unix ms */
	uint32_t src[4];		/* IE 8/27: the session's original source */
	uint32_t dst[4];		/* IE 12/28: ... and destination */
	uint32_t xsrc[4];		/* IE 225/281: the source after translation */
	uint32_t xdst[4];		/* IE 226/282: the destination after it */
	uint16_t sport, dport;		/* IE 7/11, host order */
	uint16_t xsport, xdport;	/* IE 227/228 */
	uint32_t in_if;			/* IE 10: toward the session's initiator */
	uint32_t out_if;		/* IE 14: toward its (translated) destination */
	uint8_t event;			/* IE 230, enum jf_nat_event_type */
	uint8_t family;			/* 4 or 6 */
	uint8_t proto;			/* IE 4 */
	uint8_t pad;
};

/* An expired flow. Its counters are members of their own (r->packets)
 * and, as a whole, r->flow: the kernel's struct_group() idiom. */
struct jf_record {
	struct jf_key key;
	union {
		struct {
			JF_FLOW_MEMBERS
		};
		struct jf_flow flow;
	};
	uint8_t end_reason;	/* enum jf_end_reason */
	uint32_t egress_ifindex;	/* IE 14: from the forwarding lookup */
	uint32_t next_hop[4];		/* IE 15/62, network order; 0: direct */
	uint8_t src_mask;		/* IE 9/29: prefix length of the source route */
	uint8_t dst_mask;		/* IE 13/30 */
	uint8_t fwd_status;		/* IE 89, RFC 7270; 0: unknown */
	uint8_t direction;		/* IE 61: 0 ingress, 1 egress */
	struct jf_bgp_info bgp;		/* per-flow lookups beyond the route: */
	struct jf_nat_info nat;		/* zero unless they are configured */
};

/* forwardingStatus (RFC 7270): status in bits 7-6, reason below. */
#define JF_FWD_UNKNOWN 0
#define JF_FWD_FORWARDED 64		/* forwarded, reason unknown */
#define JF_FWD_DROPPED_UNROUTABLE 131	/* no route, blackhole, unreachable */
#define JF_FWD_CONSUMED_FOR_US 195	/* terminated: addressed to the router */

/* What the kernel does with a flow, as looked up when the flow starts.
 * Not a member of struct jf_flow: it is no delta (looked up once, never
 * merged), and it lives beside the cache's slots so that only router mode
 * pays for it. */
struct jf_route {
	uint32_t oif;
	uint32_t next_hop[4];
	uint8_t src_len;
	uint8_t dst_len;
	uint8_t fwd_status;
	uint8_t pad;
};

#define JF_TCP_FIN 0x01
#define JF_TCP_RST 0x04

#endif
