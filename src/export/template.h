/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Templates shared by the v9 and IPFIX encoders: the default layouts, and
 * the writers that turn a flow record or an options record into the bytes
 * of one data record. Pure functions, no I/O. */
#ifndef JFLOWD_TEMPLATE_H
#define JFLOWD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "export/bytes.h"
#include "flow/record.h"

#define JF_TMPL_MAX_FIELDS 48
#define JF_TMPL_MAX_REC 256	/* bytes of the longest data record */

/* Wire format: the version number in the message header. */
enum jf_wire {
	JF_WIRE_V5 = 5,
	JF_WIRE_V9 = 9,
	JF_WIRE_IPFIX = 10,
};

enum jf_tmpl_kind {
	JF_TMPL_DATA = 0,	/* flow records */
	JF_TMPL_OPT_EXPORTER,	/* sampling, timeouts, exporter statistics */
	JF_TMPL_OPT_IFNAME,	/* interface index -> name, description */
};

/* Data template ids, one per record layout (docs/protocol.md). */
enum jf_tmpl_id {
	JF_TID_IPV4 = 256,
	JF_TID_IPV6 = 257,
	JF_TID_MPLS_IPV4 = 258,
	JF_TID_MPLS_IPV6 = 259,
	/* 260-263: the data templates' second set (exporter.c, tid_base) */
	JF_TID_NAT_EVENT_IPV4 = 264,	/* RFC 8158 session create/delete */
	JF_TID_NAT_EVENT_IPV6 = 265,
	JF_TID_OPT_EXPORTER = 512,
	JF_TID_OPT_IFNAME = 513,
};

#define JF_DATA_TEMPLATES 4

struct jf_field {
	uint16_t ie;		/* IANA element id / v9 field type */
	uint16_t len;
	/* The same in every record of the template: the family's IP
	 * version, N of a /N key's prefix length, 0 for what the monitor
	 * cannot know (built-in records). */
	uint8_t fixed;
	/* A post-NAT element of a record that wants 0, not the flow's own
	 * values, when the flow has no translation (nat-untranslated = zero). */
	uint8_t nat_zero;
	uint32_t value;
};

struct jf_template {
	uint16_t id;
	uint8_t kind;		/* enum jf_tmpl_kind */
	uint8_t wire;		/* enum jf_wire */
	uint16_t scope_count;	/* options templates: leading scope fields */
	uint16_t nfields;
	uint16_t rec_len;	/* bytes of one data record */
	struct jf_field f[JF_TMPL_MAX_FIELDS];
	/* Data templates, compiled: a record starts as a copy of image (the
	 * fields that are the same in every record: masks, AS numbers, next
	 * hops, IP version, direction), then the patches write the rest. */
	bool compiled;
	uint16_t npatch;
	struct {
		uint16_t op;	/* what to write, at its exact width */
		uint16_t off;
		uint16_t ie, len;	/* for the generic op */
	} patch[JF_TMPL_MAX_FIELDS];
	uint8_t image[JF_TMPL_MAX_REC];
};

struct jf_record_def;

/* What the data templates announce besides the flow itself. */
struct jf_tmpl_params {
	enum jf_wire wire;
	bool sampling;		/* add 34/35 to data templates */
	bool exporter_ipv6;	/* options: 131 instead of 130 */
	/* The record (src/flow/records.h); NULL: default. */
	const struct jf_record_def *record;
	/* Needs (JF_NEED_*) the monitor does not meet: a built-in record's
	 * elements that need them go out as 0, written once into the
	 * template's image. 0: every element from the flow record. */
	uint32_t unmet;
};

/* Values of the exporter options record (template 512). */
struct jf_opt_exporter {
	uint32_t domain;		/* scope value: ODID / Source ID */
	uint32_t sampling_interval;
	uint8_t sampling_algorithm;	/* 1 deterministic, 2 random */
	uint16_t active_timeout_s;
	uint16_t idle_timeout_s;
	uint64_t exported_messages;
	uint64_t exported_records;
	uint64_t exported_octets;
	uint64_t system_init_ms;
	uint8_t exporter_addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t export_transport;	/* 17 UDP, 6 TCP */
	uint64_t ignored_packets;
	uint64_t ignored_octets;
};

/* Values of an interface options record (template 513). */
struct jf_opt_ifname {
	uint32_t domain;		/* scope: ODID / Source ID */
	uint32_t ifindex;
	char name[32];
	char description[64];
};

/* Context a data record needs besides the record. */
struct jf_enc_ctx {
	uint64_t uptime_base_ms;	/* v9: Unix ms at sysUpTime 0 */
	uint64_t now_ms;		/* v9: times never beyond this */
	uint32_t sampling_interval;
	uint8_t sampling_algorithm;
};

/* The data template of a record's layout (JF_LAYOUT_*, src/flow/records.h)
 * with template id, from p->record (NULL: default): 0, or -E2BIG when a
 * record of it would not fit JF_TMPL_MAX_REC bytes (t then has no
 * field). */
int jf_template_record(struct jf_template *t, uint16_t id, int layout,
		       const struct jf_tmpl_params *p);

/* Fill the default templates for a wire format: the layout of id
 * (JF_TID_IPV4..JF_TID_MPLS_IPV6) of p->record. */
void jf_template_data(struct jf_template *t, uint16_t id, const struct jf_tmpl_params *p);
void jf_template_opt_exporter(struct jf_template *t, const struct jf_tmpl_params *p);
void jf_template_opt_ifname(struct jf_template *t, const struct jf_tmpl_params *p);
/* The NAT event layout (docs/protocol.md, "NAT events"): id
 * JF_TID_NAT_EVENT_IPV4 or _IPV6. */
void jf_template_nat_event(struct jf_template *t, uint16_t id, const struct jf_tmpl_params *p);

/* The data template id a record goes out with. */
static inline uint16_t jf_template_id_for(const struct jf_record *r)
{
	uint16_t id = r->key.family == 6 ? JF_TID_IPV6 : JF_TID_IPV4;

	return (r->key.flags & JF_KEY_MPLS) ? (uint16_t)(id + 2) : id;
}

/* v9/v5 FIRST/LAST_SWITCHED: ms since sysUpTime 0, never later than the
 * header's sysUpTime (ctx->now_ms); 32-bit arithmetic wraps after 49.7
 * days as the header's does. */
uint32_t jf_uptime_ms(uint64_t t_ms, const struct jf_enc_ctx *ctx);

/* Write one data record (t->rec_len bytes) to out. */
void jf_write_flow(uint8_t *out, const struct jf_template *t,
		   const struct jf_record *r, const struct jf_enc_ctx *ctx);
void jf_write_opt_exporter(uint8_t *out, const struct jf_template *t,
			   const struct jf_opt_exporter *v);
void jf_write_opt_ifname(uint8_t *out, const struct jf_template *t,
			 const struct jf_opt_ifname *v);
void jf_write_nat_event(uint8_t *out, const struct jf_template *t,
			const struct jf_nat_event *ev);

#endif
