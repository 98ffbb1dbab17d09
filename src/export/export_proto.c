// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The export protocol table and the entry points that put each wire
 * format's encoder behind one signature. */
#include <errno.h>
#include <string.h>
#include "export/export_proto.h"

/* --- v9 and IPFIX: the set layer of flowset.c --- */

static void sets_init(struct jf_out_msg *m, enum jf_wire wire, uint8_t *buf, size_t cap)
{
	m->buf = buf;
	jf_msg_init(&m->msg, wire, buf, cap);
}

static unsigned whole(const struct jf_record *r, struct jf_record *parts, unsigned max)
{
	(void)max;
	parts[0] = *r;
	return 1;
}

static int sets_add_flow(struct jf_out_msg *m, const struct jf_template *t,
			 const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	return jf_msg_add_flow(&m->msg, t, r, ctx);
}

static size_t sets_finish(struct jf_out_msg *m, const struct jf_out_hdr *h,
			  struct jf_msg_meta *meta)
{
	bool v9 = m->msg.wire == JF_WIRE_V9;
	/* v9 collectors date flows from boot = UNIX Secs * 1000 - sysUpTime
	 * (nfdump, pmacct): with the seconds truncated, every flow would be
	 * off by now % 1000 ms. Both are taken at the next whole second
	 * instead, so boot is exact and sysUpTime is never below a FIRST/LAST
	 * (which are at most now). */
	uint64_t at = v9 ? (h->now_ms + 999) / 1000 * 1000 : h->now_ms;
	struct jf_msg_hdr mh = {
		.export_secs = (uint32_t)(at / 1000),
		.uptime_ms = (uint32_t)(at - h->uptime_base_ms),
		.sequence = h->sequence,
		.domain = h->domain,
	};
	struct jf_msg *msg = &m->msg;

	/* v9 counts messages. RFC 7011 counts options data records too;
	 * nfdump 1.7.1 only the records of data templates (--ipfix-sequence
	 * nfdump). */
	meta->seq_step = v9 ? 1 : h->seq_flows_only ? msg->flow_records : msg->data_records;
	meta->tmpl_records = msg->templates;
	meta->opt_records = msg->data_records - msg->flow_records;
	return jf_msg_finish(msg, &mh);
}

/* --- v5 --- */

static void v5_init(struct jf_out_msg *m, enum jf_wire wire, uint8_t *buf, size_t cap)
{
	(void)wire;
	m->buf = buf;
	jf_v5_init(&m->v5, buf, cap);
}

static unsigned v5_split(const struct jf_record *r, struct jf_record *parts, unsigned max)
{
	unsigned n;

	if (r->key.family != JF_FAMILY_IPV4 || jf_v5_split(r, parts, max, &n))
		return 0;
	return n;
}

static int v5_add_flow(struct jf_out_msg *m, const struct jf_template *t,
		       const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	(void)t;
	return jf_v5_add(&m->v5, r, ctx);
}

static size_t v5_finish(struct jf_out_msg *m, const struct jf_out_hdr *h,
			struct jf_msg_meta *meta)
{
	struct jf_v5_hdr vh = {
		.uptime_ms = (uint32_t)(h->now_ms - h->uptime_base_ms),
		.export_secs = (uint32_t)(h->now_ms / 1000),
		.export_nsecs = (uint32_t)(h->now_ms % 1000) * 1000000u,
		.flow_sequence = h->sequence,
		.engine_type = (uint8_t)(h->domain >> 8),
		.engine_id = (uint8_t)h->domain,
		.sample_rate = h->sample_rate,
	};

	meta->seq_step = m->v5.count;	/* flows */
	return jf_v5_finish(&m->v5, &vh);
}

/* --- the table --- */

const struct jf_export_proto jf_proto_ipfix = {
	.name = "ipfix",
	.aliases = { "ipfix+udp" },
	.default_port = "4739",
	.wire = JF_WIRE_IPFIX,
	.ipv6 = true,
	.templates = true,
	.init = sets_init,
	.split = whole,
	.add_flow = sets_add_flow,
	.finish = sets_finish,
};

const struct jf_export_proto jf_proto_ipfix_tcp = {
	.name = "ipfix+tcp",
	.default_port = "4739",
	.wire = JF_WIRE_IPFIX,
	.tcp = true,
	.ipv6 = true,
	.templates = true,
	.seq_off = JF_IPFIX_SEQ_OFF,	/* numbered per connection */
	.init = sets_init,
	.split = whole,
	.add_flow = sets_add_flow,
	.finish = sets_finish,
};

const struct jf_export_proto jf_proto_v9 = {
	.name = "v9",
	.aliases = { "netflow9" },
	.default_port = "2055",
	.wire = JF_WIRE_V9,
	.ipv6 = true,
	.templates = true,
	.init = sets_init,
	.split = whole,
	.add_flow = sets_add_flow,
	.finish = sets_finish,
};

const struct jf_export_proto jf_proto_v5 = {
	.name = "v5",
	.aliases = { "netflow5" },
	.default_port = "2055",
	.wire = JF_WIRE_V5,
	.init = v5_init,
	.split = v5_split,
	.add_flow = v5_add_flow,
	.finish = v5_finish,
};

static const struct jf_export_proto *const protos[] = {
	&jf_proto_ipfix, &jf_proto_ipfix_tcp, &jf_proto_v9, &jf_proto_v5,
};

static bool scheme_is(const char *name, const char *scheme, size_t slen)
{
	return name && strlen(name) == slen && !strncmp(name, scheme, slen);
}

const struct jf_export_proto *jf_export_proto_find(const char *scheme, size_t slen)
{
	size_t i, a;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (scheme_is(protos[i]->name, scheme, slen))
			return protos[i];
		for (a = 0; a < JF_EXPORT_PROTO_SCHEMES; a++)
			if (scheme_is(protos[i]->aliases[a], scheme, slen))
				return protos[i];
	}
	return NULL;
}
