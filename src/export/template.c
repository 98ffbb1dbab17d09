// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Data templates from record definitions (src/flow/records.h; the default
 * record gives docs/protocol.md's layouts), the options templates, and
 * the record writers. */
#include <errno.h>
#include <string.h>
#include "jflowd/parse.h"
#include "export/ie.h"
#include "export/template.h"
#include "flow/records.h"

static void compile(struct jf_template *t);
static void put_addr(uint8_t *p, const uint32_t *a, unsigned len);

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

/* What a record's element is in this template: from the flow, or fixed
 * (its family's IP version, N of a /N key, 0 for what the monitor cannot
 * know). */
static bool fixed_value(const struct jf_record_def *d, const struct jf_record_elem *e,
			int layout, uint32_t unmet, uint32_t *value)
{
	int n = jf_record_key_prefix(d, e->ie);

	if (e->ie->id == IE_IP_VERSION) {
		*value = layout == JF_LAYOUT_IPV6 || layout == JF_LAYOUT_MPLS_IPV6 ? 6 : 4;
		return true;
	}
	if (n >= 0) {
		*value = (uint32_t)n;
		return true;
	}
	if (e->ie->needs & unmet) {
		*value = 0;
		return true;
	}
	return false;
}

int jf_template_record(struct jf_template *t, uint16_t id, int layout,
		       const struct jf_tmpl_params *p)
{
	const struct jf_record_def *d = p->record ? p->record : jf_record_builtin("default");
	bool v9 = p->wire == JF_WIRE_V9;
	unsigned rec_len = 0;
	int i;

	init(t, id, JF_TMPL_DATA, p->wire);
	for (i = 0; i < d->n; i++) {
		const struct jf_record_elem *e = &d->e[i];
		uint8_t len = jf_ie_wire_len(e->ie, e->len, v9);

		if (!jf_record_elem_in(e, layout, p->sampling))
			continue;
		rec_len += len;
		if (rec_len > JF_TMPL_MAX_REC || t->nfields >= JF_TMPL_MAX_FIELDS) {
			init(t, id, JF_TMPL_DATA, p->wire);
			return -E2BIG;
		}
		t->f[t->nfields].fixed = fixed_value(d, e, layout, p->unmet,
						     &t->f[t->nfields].value);
		t->f[t->nfields].nat_zero = d->nat_zero && e->ie->src == JF_SRC_NAT;
		add(t, jf_ie_wire_id(e->ie, v9), len);
	}
	compile(t);
	return 0;
}

void jf_template_data(struct jf_template *t, uint16_t id, const struct jf_tmpl_params *p)
{
	jf_template_record(t, id, id - JF_TID_IPV4, p);
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
		add(t, V9_SCOPE_SYSTEM, 4);
		add(t, IE_SAMPLING_INTERVAL, 4);
		add(t, IE_SAMPLING_ALGORITHM, 1);
		add(t, IE_ACTIVE_TIMEOUT, 2);
		add(t, IE_IDLE_TIMEOUT, 2);
		add(t, IE_EXPORTED_OCTETS, 8);
		add(t, IE_EXPORTED_MESSAGES, 8);
		add(t, IE_EXPORTED_RECORDS, 8);
	}
}

/* Interface names. nfdump takes the index from a plain IE 10 (not a
 * scope) and the name from IE 83; in IPFIX it sizes a record by its scope
 * and the fields it knows, so IE 82 (interfaceName, for everyone else)
 * goes in the scope beside the domain: after IE 83 it was 32 bytes nfdump
 * called extra on every record (docs/protocol.md). v9 has scope types of
 * its own, and nfdump sizes v9 records whole. */
void jf_template_opt_ifname(struct jf_template *t, const struct jf_tmpl_params *p)
{
	init(t, JF_TID_OPT_IFNAME, JF_TMPL_OPT_IFNAME, p->wire);
	if (p->wire == JF_WIRE_IPFIX) {
		t->scope_count = 2;
		add(t, IE_OBSERVATION_DOMAIN_ID, 4);
		add(t, IE_INTERFACE_NAME, 32);
		add(t, IE_INGRESS_IF, 4);
		add(t, IE_INTERFACE_DESCRIPTION, 64);
	} else {
		t->scope_count = 1;
		add(t, V9_SCOPE_SYSTEM, 4);
		add(t, IE_INGRESS_IF, 4);
		add(t, IE_INTERFACE_DESCRIPTION, 64);
		add(t, IE_INTERFACE_NAME, 32);
	}
}

/* RFC 8158's NAT44 session create/delete record, with the interfaces:
 * every element nfdump (EXnelCommon, EXnselXlate*) and Wireshark decode
 * as NEL. */
void jf_template_nat_event(struct jf_template *t, uint16_t id, const struct jf_tmpl_params *p)
{
	bool v6 = id == JF_TID_NAT_EVENT_IPV6;
	uint16_t alen = v6 ? 16 : 4;

	init(t, id, JF_TMPL_DATA, p->wire);
	add(t, IE_OBSERVATION_TIME_MS, 8);
	add(t, IE_NAT_EVENT, 1);
	add(t, IE_PROTOCOL, 1);
	add(t, v6 ? IE_SRC_IPV6 : IE_SRC_IPV4, alen);
	add(t, IE_SRC_PORT, 2);
	add(t, v6 ? IE_POST_NAT_SRC_IPV6 : IE_POST_NAT_SRC_IPV4, alen);
	add(t, IE_POST_NAPT_SRC_PORT, 2);
	add(t, v6 ? IE_DST_IPV6 : IE_DST_IPV4, alen);
	add(t, IE_DST_PORT, 2);
	add(t, v6 ? IE_POST_NAT_DST_IPV6 : IE_POST_NAT_DST_IPV4, alen);
	add(t, IE_POST_NAPT_DST_PORT, 2);
	add(t, IE_INGRESS_IF, 4);
	add(t, IE_EGRESS_IF, 4);
}

void jf_write_nat_event(uint8_t *out, const struct jf_template *t,
			const struct jf_nat_event *ev)
{
	uint16_t i;
	uint8_t *p = out;

	for (i = 0; i < t->nfields; i++) {
		unsigned len = t->f[i].len;

		switch (t->f[i].ie) {
		case IE_OBSERVATION_TIME_MS: jf_put_be(p, ev->time_ms, len); break;
		case IE_NAT_EVENT: *p = ev->event; break;
		case IE_PROTOCOL: *p = ev->proto; break;
		case IE_SRC_IPV4: case IE_SRC_IPV6: put_addr(p, ev->src, len); break;
		case IE_DST_IPV4: case IE_DST_IPV6: put_addr(p, ev->dst, len); break;
		case IE_POST_NAT_SRC_IPV4: case IE_POST_NAT_SRC_IPV6: put_addr(p, ev->xsrc, len); break;
		case IE_POST_NAT_DST_IPV4: case IE_POST_NAT_DST_IPV6: put_addr(p, ev->xdst, len); break;
		case IE_SRC_PORT: jf_put_be(p, ev->sport, len); break;
		case IE_DST_PORT: jf_put_be(p, ev->dport, len); break;
		case IE_POST_NAPT_SRC_PORT: jf_put_be(p, ev->xsport, len); break;
		case IE_POST_NAPT_DST_PORT: jf_put_be(p, ev->xdport, len); break;
		case IE_INGRESS_IF: jf_put_be(p, ev->in_if, len); break;
		case IE_EGRESS_IF: jf_put_be(p, ev->out_if, len); break;
		default: memset(p, 0, len); break;
		}
		p += len;
	}
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

/* One field of a flow record, at p. */
static void put_flow_field(uint8_t *p, uint16_t ie, unsigned len, const struct jf_record *r,
			   const struct jf_enc_ctx *ctx)
{
	const struct jf_key *k = &r->key;

	switch (ie) {
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
		jf_put_be(p, k->proto == JF_IPPROTO_ICMP || k->proto == JF_IPPROTO_ICMPV6 ?
			     k->dport : 0, len);
		break;
	case IE_INGRESS_IF:
		jf_put_be(p, k->ifindex, len);
		break;
	case IE_EGRESS_IF:
		jf_put_be(p, r->egress_ifindex, len);
		break;
	case IE_VLAN_ID:
	case IE_DOT1Q_VLAN_ID:
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
		*p = r->direction;
		break;
	case IE_FORWARDING_STATUS:
		jf_put_be(p, r->fwd_status, len);
		break;
	case IE_SRC_MASK:
	case IE_SRC_IPV6_MASK:
		*p = r->src_mask;
		break;
	case IE_DST_MASK:
	case IE_DST_IPV6_MASK:
		*p = r->dst_mask;
		break;
	case IE_NEXT_HOP_IPV4:
	case IE_NEXT_HOP_IPV6:
		put_addr(p, r->next_hop, len);
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
	case IE_FLOW_START_SECONDS:
		jf_put_be(p, r->first_ms / 1000, len);
		break;
	case IE_FLOW_END_SECONDS:
		jf_put_be(p, r->last_ms / 1000, len);
		break;
	case IE_FLOW_DURATION_MS:
		jf_put_be(p, r->last_ms > r->first_ms ? r->last_ms - r->first_ms : 0, len);
		break;
	case IE_FRAGMENT_ID:
		jf_put_be(p, r->frag_id, len);
		break;
	case IE_FIRST_SWITCHED:
		jf_put_be(p, jf_uptime_ms(r->first_ms, ctx), len);
		break;
	case IE_LAST_SWITCHED:
		jf_put_be(p, jf_uptime_ms(r->last_ms, ctx), len);
		break;
	case IE_BGP_SRC_AS:
		jf_put_be(p, r->bgp.src_as, len);
		break;
	case IE_BGP_DST_AS:
		jf_put_be(p, r->bgp.dst_as, len);
		break;
	case IE_BGP_PREV_ADJACENT_AS:
		jf_put_be(p, r->bgp.prev_adj_as, len);
		break;
	case IE_BGP_NEXT_ADJACENT_AS:
		jf_put_be(p, r->bgp.next_adj_as, len);
		break;
	case IE_BGP_NEXT_HOP_IPV4:
	case IE_BGP_NEXT_HOP_IPV6:
		put_addr(p, r->bgp.next_hop, len);
		break;
	case IE_POST_NAT_SRC_IPV4:
	case IE_POST_NAT_SRC_IPV6:
		put_addr(p, r->nat.src, len);
		break;
	case IE_POST_NAT_DST_IPV4:
	case IE_POST_NAT_DST_IPV6:
		put_addr(p, r->nat.dst, len);
		break;
	case IE_POST_NAPT_SRC_PORT:
		jf_put_be(p, r->nat.sport, len);
		break;
	case IE_POST_NAPT_DST_PORT:
		jf_put_be(p, r->nat.dport, len);
		break;
	default:	/* not known here */
		memset(p, 0, len);
		break;
	}
}

/* A patch is one of these: a field at the width of the default templates,
 * or the generic writer for anything else. */
enum op {
	OP_GENERIC = 0,
	OP_SRC4, OP_DST4, OP_SRC6, OP_DST6,
	OP_TOS, OP_PROTO, OP_SPORT, OP_DPORT, OP_ICMP,
	OP_IN_IF, OP_OUT_IF, OP_VLAN, OP_INNER_VLAN,
	OP_TCP_FLAGS, OP_TTL_MIN, OP_TTL_MAX, OP_END_REASON, OP_FLOW_LABEL,
	OP_OCTETS, OP_PACKETS, OP_START_MS, OP_END_MS, OP_FIRST_UP, OP_LAST_UP,
	/* the lookups' answers (route, BGP) and the router's context */
	OP_SRC_MASK, OP_DST_MASK, OP_NEXT_HOP4, OP_NEXT_HOP6, OP_SRC_AS, OP_DST_AS,
	OP_BGP_NH4, OP_BGP_NH6, OP_DIRECTION, OP_FWD_STATUS,
	/* two neighbours in one go, as the default layouts place them */
	OP_ADDR4, OP_ADDR6, OP_TOS_PROTO, OP_PORTS, OP_TTLS, OP_COUNTERS, OP_TIMES_MS,
	OP_TIMES_UP, OP_MASKS, OP_AS_PAIR,
	OP_NAT_OR_ZERO,		/* a post-NAT element, 0 when the flow has no translation */
};

/* Fuse a patch with the one right after it where both always go together. */
static uint16_t fused(uint16_t a, uint16_t b)
{
	static const uint16_t pairs[][3] = {
		{ OP_SRC4, OP_DST4, OP_ADDR4 }, { OP_SRC6, OP_DST6, OP_ADDR6 },
		{ OP_TOS, OP_PROTO, OP_TOS_PROTO }, { OP_SPORT, OP_DPORT, OP_PORTS },
		{ OP_TTL_MIN, OP_TTL_MAX, OP_TTLS }, { OP_OCTETS, OP_PACKETS, OP_COUNTERS },
		{ OP_START_MS, OP_END_MS, OP_TIMES_MS }, { OP_FIRST_UP, OP_LAST_UP, OP_TIMES_UP },
		{ OP_SRC_MASK, OP_DST_MASK, OP_MASKS }, { OP_SRC_AS, OP_DST_AS, OP_AS_PAIR },
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i][0] == a && pairs[i][1] == b)
			return pairs[i][2];
	return OP_GENERIC;
}

static uint16_t op_for(uint16_t ie, uint16_t len)
{
	static const struct {
		uint16_t ie, len, op;
	} ops[] = {
		{ IE_SRC_IPV4, 4, OP_SRC4 }, { IE_DST_IPV4, 4, OP_DST4 },
		{ IE_SRC_IPV6, 16, OP_SRC6 }, { IE_DST_IPV6, 16, OP_DST6 },
		{ IE_TOS, 1, OP_TOS }, { IE_PROTOCOL, 1, OP_PROTO },
		{ IE_SRC_PORT, 2, OP_SPORT }, { IE_DST_PORT, 2, OP_DPORT },
		{ IE_ICMP_TYPE_CODE_V4, 2, OP_ICMP }, { IE_ICMP_TYPE_CODE_V6, 2, OP_ICMP },
		{ IE_INGRESS_IF, 4, OP_IN_IF }, { IE_EGRESS_IF, 4, OP_OUT_IF },
		{ IE_VLAN_ID, 2, OP_VLAN }, { IE_DOT1Q_CUSTOMER_VLAN_ID, 2, OP_INNER_VLAN },
		{ IE_TCP_FLAGS, 1, OP_TCP_FLAGS }, { IE_TTL_MIN, 1, OP_TTL_MIN },
		{ IE_TTL_MAX, 1, OP_TTL_MAX }, { IE_FLOW_END_REASON, 1, OP_END_REASON },
		{ IE_FLOW_LABEL, 4, OP_FLOW_LABEL },
		{ IE_OCTET_DELTA, 8, OP_OCTETS }, { IE_PACKET_DELTA, 8, OP_PACKETS },
		{ IE_FLOW_START_MS, 8, OP_START_MS }, { IE_FLOW_END_MS, 8, OP_END_MS },
		{ IE_FIRST_SWITCHED, 4, OP_FIRST_UP }, { IE_LAST_SWITCHED, 4, OP_LAST_UP },
		{ IE_SRC_MASK, 1, OP_SRC_MASK }, { IE_DST_MASK, 1, OP_DST_MASK },
		{ IE_SRC_IPV6_MASK, 1, OP_SRC_MASK }, { IE_DST_IPV6_MASK, 1, OP_DST_MASK },
		{ IE_NEXT_HOP_IPV4, 4, OP_NEXT_HOP4 }, { IE_NEXT_HOP_IPV6, 16, OP_NEXT_HOP6 },
		{ IE_BGP_SRC_AS, 4, OP_SRC_AS }, { IE_BGP_DST_AS, 4, OP_DST_AS },
		{ IE_BGP_NEXT_HOP_IPV4, 4, OP_BGP_NH4 }, { IE_BGP_NEXT_HOP_IPV6, 16, OP_BGP_NH6 },
		{ IE_DIRECTION, 1, OP_DIRECTION }, { IE_FORWARDING_STATUS, 1, OP_FWD_STATUS },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].ie == ie && ops[i].len == len)
			return ops[i].op;
	return OP_GENERIC;
}

/* Split a data template into its constant image (the fixed fields) and
 * its patches. */
static void compile(struct jf_template *t)
{
	uint16_t i, j, off = 0;

	memset(t->image, 0, sizeof(t->image));
	t->npatch = 0;
	for (i = 0; i < t->nfields; i++) {
		uint16_t ie = t->f[i].ie, len = t->f[i].len;

		if (t->f[i].fixed) {
			jf_put_be(t->image + off, t->f[i].value, len);
		} else {
			t->patch[t->npatch].op = t->f[i].nat_zero ? OP_NAT_OR_ZERO : op_for(ie, len);
			t->patch[t->npatch].ie = ie;
			t->patch[t->npatch].off = off;
			t->patch[t->npatch].len = len;
			t->npatch++;
		}
		off = (uint16_t)(off + len);
	}
	/* Fuse neighbours: fewer dispatches per record. */
	for (i = 0, j = 0; i < t->npatch; i++, j++) {
		t->patch[j] = t->patch[i];
		if (i + 1 < t->npatch && t->patch[i].op != OP_GENERIC &&
		    t->patch[i + 1].off == t->patch[i].off + t->patch[i].len) {
			uint16_t f = fused(t->patch[i].op, t->patch[i + 1].op);

			if (f != OP_GENERIC) {
				t->patch[j].op = f;
				t->patch[j].len = (uint16_t)(t->patch[i].len + t->patch[i + 1].len);
				i++;
			}
		}
	}
	t->npatch = j;
	t->compiled = true;
}

void jf_write_flow(uint8_t *out, const struct jf_template *t,
		   const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	uint16_t i;

	if (!t->compiled) {	/* built by hand: field by field */
		for (i = 0; i < t->nfields; i++) {
			if (t->f[i].fixed || (t->f[i].nat_zero && !r->nat.translated))
				jf_put_be(out, t->f[i].fixed ? t->f[i].value : 0, t->f[i].len);
			else
				put_flow_field(out, t->f[i].ie, t->f[i].len, r, ctx);
			out += t->f[i].len;
		}
		return;
	}
	memcpy(out, t->image, t->rec_len);
	for (i = 0; i < t->npatch; i++) {
		uint8_t *p = out + t->patch[i].off;
		const struct jf_key *k = &r->key;

		switch (t->patch[i].op) {
		case OP_SRC4: memcpy(p, k->src, 4); break;
		case OP_DST4: memcpy(p, k->dst, 4); break;
		case OP_SRC6: memcpy(p, k->src, 16); break;
		case OP_DST6: memcpy(p, k->dst, 16); break;
		case OP_TOS: *p = k->tos; break;
		case OP_PROTO: *p = k->proto; break;
		case OP_SPORT: jf_put_be(p, k->sport, 2); break;
		case OP_DPORT: jf_put_be(p, k->dport, 2); break;
		case OP_ICMP:
			jf_put_be(p, k->proto == JF_IPPROTO_ICMP || k->proto == JF_IPPROTO_ICMPV6 ?
				     k->dport : 0, 2);
			break;
		case OP_IN_IF: jf_put_be(p, k->ifindex, 4); break;
		case OP_OUT_IF: jf_put_be(p, r->egress_ifindex, 4); break;
		case OP_VLAN: jf_put_be(p, k->vlan, 2); break;
		case OP_INNER_VLAN: jf_put_be(p, k->inner_vlan, 2); break;
		case OP_TCP_FLAGS: *p = r->tcp_flags; break;
		case OP_TTL_MIN: *p = r->ttl_min; break;
		case OP_TTL_MAX: *p = r->ttl_max; break;
		case OP_END_REASON: *p = r->end_reason; break;
		case OP_FLOW_LABEL: jf_put_be(p, r->flow_label, 4); break;
		case OP_OCTETS: jf_put_be(p, r->octets, 8); break;
		case OP_PACKETS: jf_put_be(p, r->packets, 8); break;
		case OP_START_MS: jf_put_be(p, r->first_ms, 8); break;
		case OP_END_MS: jf_put_be(p, r->last_ms, 8); break;
		case OP_FIRST_UP: jf_put_be(p, jf_uptime_ms(r->first_ms, ctx), 4); break;
		case OP_LAST_UP: jf_put_be(p, jf_uptime_ms(r->last_ms, ctx), 4); break;
		case OP_SRC_MASK: *p = r->src_mask; break;
		case OP_DST_MASK: *p = r->dst_mask; break;
		case OP_NEXT_HOP4: memcpy(p, r->next_hop, 4); break;
		case OP_NEXT_HOP6: memcpy(p, r->next_hop, 16); break;
		case OP_SRC_AS: jf_put_be(p, r->bgp.src_as, 4); break;
		case OP_DST_AS: jf_put_be(p, r->bgp.dst_as, 4); break;
		case OP_BGP_NH4: memcpy(p, r->bgp.next_hop, 4); break;
		case OP_BGP_NH6: memcpy(p, r->bgp.next_hop, 16); break;
		case OP_DIRECTION: *p = r->direction; break;
		case OP_FWD_STATUS: *p = r->fwd_status; break;
		case OP_MASKS: p[0] = r->src_mask; p[1] = r->dst_mask; break;
		case OP_AS_PAIR:
			jf_put_be(p, r->bgp.src_as, 4);
			jf_put_be(p + 4, r->bgp.dst_as, 4);
			break;
		case OP_ADDR4: memcpy(p, k->src, 4); memcpy(p + 4, k->dst, 4); break;
		case OP_ADDR6: memcpy(p, k->src, 16); memcpy(p + 16, k->dst, 16); break;
		case OP_TOS_PROTO: p[0] = k->tos; p[1] = k->proto; break;
		case OP_PORTS: jf_put_be(p, k->sport, 2); jf_put_be(p + 2, k->dport, 2); break;
		case OP_TTLS: p[0] = r->ttl_min; p[1] = r->ttl_max; break;
		case OP_COUNTERS: jf_put_be(p, r->octets, 8); jf_put_be(p + 8, r->packets, 8); break;
		case OP_TIMES_MS: jf_put_be(p, r->first_ms, 8); jf_put_be(p + 8, r->last_ms, 8); break;
		case OP_TIMES_UP:
			jf_put_be(p, jf_uptime_ms(r->first_ms, ctx), 4);
			jf_put_be(p + 4, jf_uptime_ms(r->last_ms, ctx), 4);
			break;
		case OP_NAT_OR_ZERO:
			if (!r->nat.translated) {
				memset(p, 0, t->patch[i].len);
				break;
			}
			put_flow_field(p, t->patch[i].ie, t->patch[i].len, r, ctx);
			break;
		default:
			put_flow_field(p, t->patch[i].ie, t->patch[i].len, r, ctx);
			break;
		}
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

		if (t->f[i].ie == IE_OBSERVATION_DOMAIN_ID || t->f[i].ie == V9_SCOPE_SYSTEM)
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
