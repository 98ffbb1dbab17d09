// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Default template layouts (PROTOCOL.md) and the record writers. */
#include <string.h>
#include "ie.h"
#include "template.h"

static void add(struct jf_template *t, uint16_t ie, uint16_t len)
{
	t->f[t->nfields].ie = ie;
	t->f[t->nfields].len = len;
	t->nfields++;
	t->rec_len = (uint16_t)(t->rec_len + len);
}

static void init(struct jf_template *t, uint16_t id, enum jf_tmpl_kind kind,
		 enum jf_wire wire)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->kind = (uint8_t)kind;
	t->wire = (uint8_t)wire;
}

void jf_template_data(struct jf_template *t, uint16_t id, const struct jf_tmpl_params *p)
{
	bool v6 = id == JF_TID_IPV6 || id == JF_TID_MPLS_IPV6;
	bool mpls = id == JF_TID_MPLS_IPV4 || id == JF_TID_MPLS_IPV6;
	bool ipfix = p->wire == JF_WIRE_IPFIX;

	init(t, id, JF_TMPL_DATA, p->wire);
	if (v6) {
		add(t, IE_SRC_IPV6, 16);
		add(t, IE_DST_IPV6, 16);
	} else {
		add(t, IE_SRC_IPV4, 4);
		add(t, IE_DST_IPV4, 4);
	}
	add(t, IE_TOS, 1);
	add(t, IE_PROTOCOL, 1);
	add(t, IE_SRC_PORT, 2);
	add(t, IE_DST_PORT, 2);
	add(t, v6 && ipfix ? IE_ICMP_TYPE_CODE_V6 : IE_ICMP_TYPE_CODE_V4, 2);
	add(t, IE_INGRESS_IF, 4);
	add(t, IE_VLAN_ID, 2);
	add(t, v6 ? IE_SRC_IPV6_MASK : IE_SRC_MASK, 1);
	add(t, v6 ? IE_DST_IPV6_MASK : IE_DST_MASK, 1);
	add(t, IE_BGP_SRC_AS, 4);
	add(t, IE_BGP_DST_AS, 4);
	if (v6)
		add(t, IE_NEXT_HOP_IPV6, 16);
	else
		add(t, IE_NEXT_HOP_IPV4, 4);
	add(t, IE_TCP_FLAGS, 1);
	add(t, IE_EGRESS_IF, 4);
	if (v6)
		add(t, IE_BGP_NEXT_HOP_IPV6, 16);
	else
		add(t, IE_BGP_NEXT_HOP_IPV4, 4);
	add(t, IE_TTL_MIN, 1);
	add(t, IE_TTL_MAX, 1);
	add(t, IE_FLOW_END_REASON, 1);
	add(t, IE_IP_VERSION, 1);
	add(t, IE_DIRECTION, 1);
	add(t, IE_DOT1Q_CUSTOMER_VLAN_ID, 2);
	if (v6)
		add(t, IE_FLOW_LABEL, 4);
	if (mpls) {
		add(t, IE_MPLS_LABEL_1, 3);
		add(t, IE_MPLS_LABEL_2, 3);
		add(t, IE_MPLS_LABEL_3, 3);
	}
	if (p->sampling) {
		add(t, IE_SAMPLING_INTERVAL, 4);
		add(t, IE_SAMPLING_ALGORITHM, 1);
	}
	add(t, IE_OCTET_DELTA, 8);
	add(t, IE_PACKET_DELTA, 8);
	if (ipfix) {
		add(t, IE_FLOW_START_MS, 8);
		add(t, IE_FLOW_END_MS, 8);
	} else {
		add(t, IE_FIRST_SWITCHED, 4);
		add(t, IE_LAST_SWITCHED, 4);
	}
}

void jf_template_opt_exporter(struct jf_template *t, const struct jf_tmpl_params *p)
{
	init(t, JF_TID_OPT_EXPORTER, JF_TMPL_OPT_EXPORTER, p->wire);
	t->scope_count = 1;
	if (p->wire == JF_WIRE_IPFIX) {
		add(t, IE_EXPORTING_PROCESS_ID, 4);	/* scope, as Juniper MX */
		add(t, IE_SAMPLING_INTERVAL, 4);
		add(t, IE_SAMPLING_ALGORITHM, 1);
		add(t, IE_ACTIVE_TIMEOUT, 2);
		add(t, IE_IDLE_TIMEOUT, 2);
		add(t, IE_EXPORTED_MESSAGES, 8);
		add(t, IE_EXPORTED_RECORDS, 8);
		add(t, IE_EXPORTED_OCTETS, 8);
		add(t, IE_SYSTEM_INIT_MS, 8);
		if (p->exporter_ipv6)
			add(t, IE_EXPORTER_IPV6, 16);
		else
			add(t, IE_EXPORTER_IPV4, 4);
		add(t, IE_EXPORT_PROTOCOL_VERSION, 1);
		add(t, IE_EXPORT_TRANSPORT_PROTOCOL, 1);
		add(t, IE_IGNORED_PACKETS, 8);
		add(t, IE_IGNORED_OCTETS, 8);
	} else {
		/* v9 System scope with length 4: length 0 breaks collectors. */
		add(t, 1 /* V9_SCOPE_SYSTEM */, 4);
		add(t, IE_SAMPLING_INTERVAL, 4);
		add(t, IE_SAMPLING_ALGORITHM, 1);
		add(t, IE_ACTIVE_TIMEOUT, 2);
		add(t, IE_IDLE_TIMEOUT, 2);
		add(t, IE_EXPORTED_OCTETS, 8);
		add(t, IE_EXPORTED_MESSAGES, 8);
		add(t, IE_EXPORTED_RECORDS, 8);
	}
}

/* Interface names. The index is a plain field right after the scope and
 * the description right after it: the layout nfdump reads (it takes the
 * name from IE 83 and ignores IE 82, which follows for everyone else). */
void jf_template_opt_ifname(struct jf_template *t, const struct jf_tmpl_params *p)
{
	init(t, JF_TID_OPT_IFNAME, JF_TMPL_OPT_IFNAME, p->wire);
	t->scope_count = 1;
	if (p->wire == JF_WIRE_IPFIX)
		add(t, IE_OBSERVATION_DOMAIN_ID, 4);
	else
		add(t, 1 /* V9_SCOPE_SYSTEM */, 4);
	add(t, IE_INGRESS_IF, 4);
	add(t, IE_INTERFACE_DESCRIPTION, 64);
	add(t, IE_INTERFACE_NAME, 32);
}

uint32_t jf_uptime_ms(uint64_t t_ms, const struct jf_enc_ctx *ctx)
{
	if (t_ms > ctx->now_ms)
		t_ms = ctx->now_ms;
	if (t_ms < ctx->uptime_base_ms)
		t_ms = ctx->uptime_base_ms;
	return (uint32_t)(t_ms - ctx->uptime_base_ms);
}

static void put_addr(uint8_t *p, const uint32_t *a, unsigned len)
{
	memcpy(p, a, len);	/* already in network order */
}

static void put_mpls(uint8_t *p, uint32_t lse)
{
	/* label(20) exp(3) bos(1), as in the label stack entry */
	p[0] = (uint8_t)(lse >> 16);
	p[1] = (uint8_t)(lse >> 8);
	p[2] = (uint8_t)lse;
}

void jf_write_flow(uint8_t *out, const struct jf_template *t,
		   const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	const struct jf_key *k = &r->key;
	uint16_t i;
	uint8_t *p = out;

	for (i = 0; i < t->nfields; i++) {
		unsigned len = t->f[i].len;

		switch (t->f[i].ie) {
		case IE_SRC_IPV4:
		case IE_SRC_IPV6:
			put_addr(p, k->src, len);
			break;
		case IE_DST_IPV4:
		case IE_DST_IPV6:
			put_addr(p, k->dst, len);
			break;
		case IE_TOS:
			*p = k->tos;
			break;
		case IE_PROTOCOL:
			*p = k->proto;
			break;
		case IE_SRC_PORT:
			jf_put_be(p, k->sport, len);
			break;
		case IE_DST_PORT:
			jf_put_be(p, k->dport, len);
			break;
		case IE_ICMP_TYPE_CODE_V4:
		case IE_ICMP_TYPE_CODE_V6:
			jf_put_be(p, (k->proto == 1 || k->proto == 58) ? k->dport : 0, len);
			break;
		case IE_INGRESS_IF:
			jf_put_be(p, k->ifindex, len);
			break;
		case IE_EGRESS_IF:
			jf_put_be(p, r->egress_ifindex, len);
			break;
		case IE_VLAN_ID:
			jf_put_be(p, k->vlan, len);
			break;
		case IE_DOT1Q_CUSTOMER_VLAN_ID:
			jf_put_be(p, k->inner_vlan, len);
			break;
		case IE_TCP_FLAGS:
			jf_put_be(p, r->tcp_flags, len);
			break;
		case IE_TTL_MIN:
			*p = r->ttl_min;
			break;
		case IE_TTL_MAX:
			*p = r->ttl_max;
			break;
		case IE_FLOW_END_REASON:
			*p = r->end_reason;
			break;
		case IE_IP_VERSION:
			*p = k->family;
			break;
		case IE_DIRECTION:
			*p = 0;		/* ingress */
			break;
		case IE_FLOW_LABEL:
			jf_put_be(p, r->flow_label, len);
			break;
		case IE_MPLS_LABEL_1:
			put_mpls(p, k->mpls[0]);
			break;
		case IE_MPLS_LABEL_2:
			put_mpls(p, k->mpls[1]);
			break;
		case IE_MPLS_LABEL_3:
			put_mpls(p, k->mpls[2]);
			break;
		case IE_SAMPLING_INTERVAL:
			jf_put_be(p, ctx->sampling_interval, len);
			break;
		case IE_SAMPLING_ALGORITHM:
			*p = ctx->sampling_algorithm;
			break;
		case IE_OCTET_DELTA:
			jf_put_be(p, r->octets, len);
			break;
		case IE_PACKET_DELTA:
			jf_put_be(p, r->packets, len);
			break;
		case IE_FLOW_START_MS:
			jf_put_be(p, r->first_ms, len);
			break;
		case IE_FLOW_END_MS:
			jf_put_be(p, r->last_ms, len);
			break;
		case IE_FIRST_SWITCHED:
			jf_put_be(p, jf_uptime_ms(r->first_ms, ctx), len);
			break;
		case IE_LAST_SWITCHED:
			jf_put_be(p, jf_uptime_ms(r->last_ms, ctx), len);
			break;
		default:	/* masks, AS numbers, next hops: not known here */
			memset(p, 0, len);
			break;
		}
		p += len;
	}
}

void jf_write_opt_exporter(uint8_t *out, const struct jf_template *t,
			   const struct jf_opt_exporter *v)
{
	uint16_t i;
	uint8_t *p = out;

	for (i = 0; i < t->nfields; i++) {
		unsigned len = t->f[i].len;
		uint16_t ie = t->f[i].ie;

		if (i < t->scope_count) {	/* the one scope: our domain */
			jf_put_be(p, v->domain, len);
			p += len;
			continue;
		}
		switch (ie) {
		case IE_SAMPLING_INTERVAL:
			jf_put_be(p, v->sampling_interval, len);
			break;
		case IE_SAMPLING_ALGORITHM:
			*p = v->sampling_algorithm;
			break;
		case IE_ACTIVE_TIMEOUT:
			jf_put_be(p, v->active_timeout_s, len);
			break;
		case IE_IDLE_TIMEOUT:
			jf_put_be(p, v->idle_timeout_s, len);
			break;
		case IE_EXPORTED_MESSAGES:
			jf_put_be(p, v->exported_messages, len);
			break;
		case IE_EXPORTED_RECORDS:
			jf_put_be(p, v->exported_records, len);
			break;
		case IE_EXPORTED_OCTETS:
			jf_put_be(p, v->exported_octets, len);
			break;
		case IE_SYSTEM_INIT_MS:
			jf_put_be(p, v->system_init_ms, len);
			break;
		case IE_EXPORTER_IPV4:
		case IE_EXPORTER_IPV6:
			memcpy(p, v->exporter_addr, len);
			break;
		case IE_EXPORT_PROTOCOL_VERSION:
			*p = (uint8_t)t->wire;
			break;
		case IE_EXPORT_TRANSPORT_PROTOCOL:
			*p = v->export_transport;
			break;
		case IE_IGNORED_PACKETS:
			jf_put_be(p, v->ignored_packets, len);
			break;
		case IE_IGNORED_OCTETS:
			jf_put_be(p, v->ignored_octets, len);
			break;
		default:
			memset(p, 0, len);
			break;
		}
		p += len;
	}
}

static void put_string(uint8_t *p, const char *s, unsigned len)
{
	size_t n = strnlen(s, len);

	memcpy(p, s, n);
	memset(p + n, 0, len - n);
}

void jf_write_opt_ifname(uint8_t *out, const struct jf_template *t,
			 const struct jf_opt_ifname *v)
{
	uint16_t i;
	uint8_t *p = out;

	for (i = 0; i < t->nfields; i++) {
		unsigned len = t->f[i].len;

		if (i < t->scope_count)
			jf_put_be(p, v->domain, len);
		else if (t->f[i].ie == IE_INGRESS_IF)
			jf_put_be(p, v->ifindex, len);
		else if (t->f[i].ie == IE_INTERFACE_NAME)
			put_string(p, v->name, len);
		else if (t->f[i].ie == IE_INTERFACE_DESCRIPTION)
			put_string(p, v->description, len);
		else
			memset(p, 0, len);
		p += len;
	}
}
