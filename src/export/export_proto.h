/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The export protocols, one table row each: URL scheme, default port, wire
 * format, transport, whether it carries IPv6, and the encoder entry points
 * the exporter calls. A new protocol is a row and its encoder. */
#ifndef JFLOWD_EXPORT_PROTO_H
#define JFLOWD_EXPORT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/flowset.h"
#include "export/netflow_v5.h"
#include "flow/record.h"
#include "export/template.h"
#include "export/transport.h"

/* A message being filled, in the wire format of its row. */
struct jf_out_msg {
	uint8_t *buf;
	union {
		struct jf_msg msg;	/* v9, IPFIX */
		struct jf_v5_msg v5;
	};
};

/* What a message header needs, whatever the format. */
struct jf_out_hdr {
	uint64_t now_ms;		/* export clock, Unix ms */
	uint64_t uptime_base_ms;	/* Unix ms at sysUpTime 0 */
	uint32_t sequence;		/* the collector's sequence state */
	uint32_t domain;		/* observation domain / source id */
	uint32_t sample_rate;		/* 1 in N */
	bool seq_flows_only;		/* IPFIX: count flow records only (nfdump) */
};

#define JF_EXPORT_PROTO_SCHEMES 3
#define JF_EXPORT_SPLIT_MAX 8	/* parts one flow may be split into */

struct jf_export_proto {
	const char *name;		/* canonical scheme; the metrics label */
	const char *aliases[JF_EXPORT_PROTO_SCHEMES];	/* other schemes */
	const char *default_port;
	enum jf_wire wire;
	bool tcp;			/* transport: TCP, else UDP */
	bool ipv6;			/* carries IPv6 flows */
	bool templates;			/* sends templates and options records */
	uint16_t seq_off;		/* header offset of a sequence number that is
					 * per transport session (TCP), 0 if none */

	/* Encoder entry points. */
	void (*init)(struct jf_out_msg *m, enum jf_wire wire, uint8_t *buf, size_t cap);
	/* The records a flow goes out as (parts of at most max); 0: none,
	 * the protocol cannot carry it. */
	unsigned (*split)(const struct jf_record *r, struct jf_record *parts, unsigned max);
	/* 0, or -ENOSPC when the record does not fit (message unchanged). */
	int (*add_flow)(struct jf_out_msg *m, const struct jf_template *t,
			const struct jf_record *r, const struct jf_enc_ctx *ctx);
	/* Write the header; returns the length. meta gets the sequence step
	 * and the template and options record counts. */
	size_t (*finish)(struct jf_out_msg *m, const struct jf_out_hdr *h,
			 struct jf_msg_meta *meta);
};

extern const struct jf_export_proto jf_proto_ipfix;
extern const struct jf_export_proto jf_proto_ipfix_tcp;
extern const struct jf_export_proto jf_proto_v9;
extern const struct jf_export_proto jf_proto_v5;

/* The row of a URL scheme (slen bytes at scheme), or NULL. */
const struct jf_export_proto *jf_export_proto_find(const char *scheme, size_t slen);

#endif
