/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A flow record as the exporters see it: what the cache hands over when a
 * flow expires. Plain C, no BPF, no sockets. */
#ifndef JFLOWD_RECORD_H
#define JFLOWD_RECORD_H

#include <stdint.h>
#include "jflowd/flow.h"

/* flowEndReason (IANA IE 136). */
enum jf_end_reason {
	JF_END_IDLE = 1,	/* idle (inactive) timeout */
	JF_END_ACTIVE = 2,	/* active timeout */
	JF_END_EOF = 3,		/* end of flow detected: TCP FIN or RST */
	JF_END_FORCED = 4,	/* shutdown or end of the capture file */
	JF_END_RESOURCES = 5,	/* cache full: emergency expiry */
};

struct jf_record {
	struct jf_key key;
	uint8_t tcp_flags;
	uint8_t ttl_min;
	uint8_t ttl_max;
	uint8_t end_reason;	/* enum jf_end_reason */
	uint64_t packets;
	uint64_t octets;
	uint64_t first_ms;	/* Unix time in ms */
	uint64_t last_ms;
	uint32_t flow_label;
	uint32_t egress_ifindex;	/* IE 14: from the forwarding lookup */
	uint32_t next_hop[4];		/* IE 15/62, network order; 0: direct */
	uint8_t src_mask;		/* IE 9/29: prefix length of the source route */
	uint8_t dst_mask;		/* IE 13/30 */
	uint8_t fwd_status;		/* IE 89, RFC 7270; 0: unknown */
	uint8_t direction;		/* IE 61: 0 ingress, 1 egress */
};

/* forwardingStatus (RFC 7270): status in bits 7-6, reason below. */
#define JF_FWD_UNKNOWN 0
#define JF_FWD_FORWARDED 64		/* forwarded, reason unknown */
#define JF_FWD_DROPPED_UNROUTABLE 131	/* no route, blackhole, unreachable */
#define JF_FWD_CONSUMED_FOR_US 195	/* terminated: addressed to the router */

/* What the kernel does with a flow, as looked up when the flow starts. */
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
