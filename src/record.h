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
	uint8_t ttl_max;

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
	uint32_t egress_ifindex;
};

#define JF_TCP_FIN 0x01
#define JF_TCP_RST 0x04

#endif
