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
	JF_END_FLOW_END = 3,	/* end of flow detected: TCP FIN or RST */
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
	uint32_t egress_ifindex;
};

#define JF_TCP_FIN 0x01
#define JF_TCP_RST 0x04

#endif
