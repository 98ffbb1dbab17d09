/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Export messages for NetFlow v9 and IPFIX: the set layer they share
 * (template, options template and data sets) and their two headers.
 * Buffer in, buffer out: no sockets, no clocks. */
#ifndef JFLOWD_FLOWSET_H
#define JFLOWD_FLOWSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/template.h"

#define JF_IPFIX_HDR_LEN 16
#define JF_V9_HDR_LEN 20
#define JF_IPFIX_SEQ_OFF 8	/* the IPFIX header's Sequence Number */

struct jf_msg {
	enum jf_wire wire;
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t set_off;		/* offset of the open set, 0 if none */
	uint16_t set_id;
	uint16_t count;		/* v9 Count: every template and data record */
	uint32_t data_records;	/* data + options data: IPFIX sequence step */
	uint32_t flow_records;	/* flow data records only */
	uint32_t templates;	/* template and options template records */
};

/* Header values, filled when the message leaves. */
struct jf_msg_hdr {
	uint32_t export_secs;	/* Unix seconds */
	uint32_t uptime_ms;	/* v9 sysUpTime */
	uint32_t sequence;	/* v9: messages before; IPFIX: data records before */
	uint32_t domain;	/* v9 Source ID / IPFIX Observation Domain ID */
};

void jf_msg_init(struct jf_msg *m, enum jf_wire wire, uint8_t *buf, size_t cap);

/* Each returns 0, or -ENOSPC when the item does not fit (the message is
 * unchanged then). */
int jf_msg_add_template(struct jf_msg *m, const struct jf_template *t);
int jf_msg_add_flow(struct jf_msg *m, const struct jf_template *t,
		    const struct jf_record *r, const struct jf_enc_ctx *ctx);
int jf_msg_add_opt_exporter(struct jf_msg *m, const struct jf_template *t,
			    const struct jf_opt_exporter *v);
/* Each interface record in a set of its own (nfdump reads only the first
 * of a set correctly). */
int jf_msg_add_opt_ifname(struct jf_msg *m, const struct jf_template *t,
			  const struct jf_opt_ifname *v);

/* A NAT event record (template jf_template_nat_event); counted as a data
 * record of a data template, as collectors count it. */
int jf_msg_add_nat_event(struct jf_msg *m, const struct jf_template *t,
			 const struct jf_nat_event *ev);

static inline bool jf_msg_empty(const struct jf_msg *m)
{
	return m->count == 0;
}

/* Close the open set and write the header; returns the message length. */
size_t jf_msg_finish(struct jf_msg *m, const struct jf_msg_hdr *h);

#endif
