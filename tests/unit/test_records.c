// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the record vocabulary (src/flow/fields.c), the record
 * definitions (src/flow/records.c) and the templates built from them:
 * every element's ID, length, place in the table and bytes; the built-in
 * records field by field; the list parser's errors; key masks; needs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "export/ie.h"
#include "export/template.h"
#include "flow/fields.h"
#include "flow/records.h"

/* The vocabulary as it must be, written out independently of the table:
 * IANA name, element ID, default length, family (0 any, 4, 6), role
 * (k key, f field, e either), v9 ID and length where v9 differs. */
static const struct {
	const char *name;
	uint16_t id;
	uint8_t len;
	uint8_t family;
	char role;
	uint16_t v9_id;
	uint8_t v9_len;
} vocab[] = {
	{ "sourceIPv4Address", 8, 4, 4, 'k', 0, 0 },
	{ "destinationIPv4Address", 12, 4, 4, 'k', 0, 0 },
	{ "sourceIPv6Address", 27, 16, 6, 'k', 0, 0 },
	{ "destinationIPv6Address", 28, 16, 6, 'k', 0, 0 },
	{ "ipClassOfService", 5, 1, 0, 'k', 0, 0 },
	{ "protocolIdentifier", 4, 1, 0, 'k', 0, 0 },
	{ "sourceTransportPort", 7, 2, 0, 'k', 0, 0 },
	{ "destinationTransportPort", 11, 2, 0, 'k', 0, 0 },
	{ "icmpTypeCodeIPv4", 32, 2, 4, 'k', 0, 0 },
	{ "icmpTypeCodeIPv6", 139, 2, 6, 'k', 32, 0 },
	{ "ingressInterface", 10, 4, 0, 'k', 0, 0 },
	{ "vlanId", 58, 2, 0, 'k', 0, 0 },
	{ "dot1qVlanId", 243, 2, 0, 'k', 0, 0 },
	{ "dot1qCustomerVlanId", 245, 2, 0, 'k', 0, 0 },
	{ "mplsTopLabelStackSection", 70, 3, 0, 'k', 0, 0 },
	{ "mplsLabelStackSection2", 71, 3, 0, 'k', 0, 0 },
	{ "mplsLabelStackSection3", 72, 3, 0, 'k', 0, 0 },
	{ "egressInterface", 14, 4, 0, 'e', 0, 0 },
	{ "ipNextHopIPv4Address", 15, 4, 4, 'e', 0, 0 },
	{ "ipNextHopIPv6Address", 62, 16, 6, 'e', 0, 0 },
	{ "sourceIPv4PrefixLength", 9, 1, 4, 'e', 0, 0 },
	{ "destinationIPv4PrefixLength", 13, 1, 4, 'e', 0, 0 },
	{ "sourceIPv6PrefixLength", 29, 1, 6, 'e', 0, 0 },
	{ "destinationIPv6PrefixLength", 30, 1, 6, 'e', 0, 0 },
	{ "forwardingStatus", 89, 1, 0, 'e', 0, 0 },
	{ "bgpSourceAsNumber", 16, 4, 0, 'e', 0, 0 },
	{ "bgpDestinationAsNumber", 17, 4, 0, 'e', 0, 0 },
	{ "bgpNextHopIPv4Address", 18, 4, 4, 'e', 0, 0 },
	{ "bgpNextHopIPv6Address", 63, 16, 6, 'e', 0, 0 },
	{ "bgpNextAdjacentAsNumber", 128, 4, 0, 'e', 0, 0 },
	{ "bgpPrevAdjacentAsNumber", 129, 4, 0, 'e', 0, 0 },
	{ "postNATSourceIPv4Address", 225, 4, 4, 'e', 0, 0 },
	{ "postNATDestinationIPv4Address", 226, 4, 4, 'e', 0, 0 },
	{ "postNAPTSourceTransportPort", 227, 2, 0, 'e', 0, 0 },
	{ "postNAPTDestinationTransportPort", 228, 2, 0, 'e', 0, 0 },
	{ "postNATSourceIPv6Address", 281, 16, 6, 'e', 0, 0 },
	{ "postNATDestinationIPv6Address", 282, 16, 6, 'e', 0, 0 },
	{ "octetDeltaCount", 1, 8, 0, 'f', 0, 0 },
	{ "packetDeltaCount", 2, 8, 0, 'f', 0, 0 },
	{ "tcpControlBits", 6, 1, 0, 'f', 0, 0 },
	{ "minimumTTL", 52, 1, 0, 'f', 0, 0 },
	{ "maximumTTL", 53, 1, 0, 'f', 0, 0 },
	{ "flowLabelIPv6", 31, 4, 6, 'f', 0, 0 },
	{ "fragmentIdentification", 54, 4, 0, 'f', 0, 0 },
	{ "flowStartMilliseconds", 152, 8, 0, 'f', 22, 4 },
	{ "flowEndMilliseconds", 153, 8, 0, 'f', 21, 4 },
	{ "flowStartSeconds", 150, 4, 0, 'f', 0, 0 },
	{ "flowEndSeconds", 151, 4, 0, 'f', 0, 0 },
	{ "flowDurationMilliseconds", 161, 4, 0, 'f', 0, 0 },
	{ "flowEndReason", 136, 1, 0, 'f', 0, 0 },
	{ "ipVersion", 60, 1, 0, 'f', 0, 0 },
	{ "flowDirection", 61, 1, 0, 'f', 0, 0 },
	{ "samplingInterval", 34, 4, 0, 'f', 0, 0 },
	{ "samplingAlgorithm", 35, 1, 0, 'f', 0, 0 },
};
#define N_VOCAB (sizeof(vocab) / sizeof(vocab[0]))

/* Every row, in order: a wrong ID, length, family, role or order fails. */
static void test_vocabulary(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(jf_n_ies, N_VOCAB);
	for (i = 0; i < N_VOCAB; i++) {
		const struct jf_ie_def *e = &jf_ies[i];
		char role = e->role == JF_ROLE_KEY ? 'k' : e->role == JF_ROLE_FIELD ? 'f' : 'e';

		if (strcmp(e->name, vocab[i].name) || e->id != vocab[i].id)
			print_message("row %zu: %s/%u, want %s/%u\n", i, e->name, e->id,
				      vocab[i].name, vocab[i].id);
		assert_string_equal(e->name, vocab[i].name);
		assert_int_equal(e->id, vocab[i].id);
		assert_int_equal(e->len, vocab[i].len);
		assert_true(jf_ie_len_ok(e, e->len));
		assert_int_equal(e->family, vocab[i].family);
		assert_int_equal(role, vocab[i].role);
		assert_int_equal(jf_ie_wire_id(e, false), vocab[i].id);
		assert_int_equal(jf_ie_wire_id(e, true), vocab[i].v9_id ? vocab[i].v9_id : vocab[i].id);
		assert_int_equal(jf_ie_wire_len(e, e->len, true),
				 vocab[i].v9_len ? vocab[i].v9_len : vocab[i].len);
		assert_ptr_equal(jf_ie_by_name(vocab[i].name), e);
		assert_ptr_equal(jf_ie_by_id(vocab[i].id), e);
		assert_non_null(e->fills);
		/* No enterprise element, no v9 field type beyond 16 bits. */
		assert_true(e->id < 32768);
	}
	assert_null(jf_ie_by_name("sourceIpv4Address"));	/* IANA's spelling only */
	assert_ptr_equal(jf_ie_suggest("sourceIpv4Address"), jf_ie_by_name("sourceIPv4Address"));
	assert_ptr_equal(jf_ie_suggest("octetDeltaCnt"), jf_ie_by_name("octetDeltaCount"));
	assert_null(jf_ie_suggest("somethingElseEntirely"));
}

/* A record with every value known, as the cache hands it over. */
static struct jf_record full_record(int family)
{
	struct jf_record r;

	memset(&r, 0, sizeof(r));
	r.key.family = (uint8_t)family;
	if (family == 6) {
		inet_pton(AF_INET6, "2001:db8::1", r.key.src);
		inet_pton(AF_INET6, "2001:db8::2", r.key.dst);
		inet_pton(AF_INET6, "2001:db8::fe", r.next_hop);
		inet_pton(AF_INET6, "2001:db8::ff", r.bgp.next_hop);
		inet_pton(AF_INET6, "2001:db8::5", r.nat.src);
		inet_pton(AF_INET6, "2001:db8::6", r.nat.dst);
	} else {
		inet_pton(AF_INET, "192.0.2.1", r.key.src);
		inet_pton(AF_INET, "198.51.100.7", r.key.dst);
		inet_pton(AF_INET, "10.0.0.254", r.next_hop);
		inet_pton(AF_INET, "192.0.2.254", r.bgp.next_hop);
		inet_pton(AF_INET, "203.0.113.5", r.nat.src);
		inet_pton(AF_INET, "203.0.113.6", r.nat.dst);
	}
	r.key.tos = 0x2e;
	r.key.proto = 6;
	r.key.sport = 49152;
	r.key.dport = 443;
	r.key.ifindex = 3;
	r.key.vlan = 100;
	r.key.inner_vlan = 23;
	r.key.flags = JF_KEY_MPLS;
	r.key.mpls[0] = 16001u << 4 | 5u << 1;
	r.key.mpls[1] = 299777u << 4 | 1u;
	r.tcp_flags = 0x1b;
	r.ttl_min = 60;
	r.ttl_max = 64;
	r.flow_label = 0x12345;
	r.frag_id = 0xbeef;
	r.packets = 10;
	r.octets = 4000;
	r.first_ms = 1700000000000ull;
	r.last_ms = 1700000001500ull;
	r.end_reason = 2;
	r.egress_ifindex = 11;
	r.src_mask = 24;
	r.dst_mask = 16;
	r.fwd_status = 64;
	r.direction = 1;
	r.bgp.src_as = 64500;
	r.bgp.dst_as = 64501;
	r.bgp.prev_adj_as = 64502;
	r.bgp.next_adj_as = 64503;
	r.nat.sport = 40000;
	r.nat.dport = 8443;
	return r;
}

/* What each element writes for full_record(): IPFIX bytes, then v9's
 * where they differ (v9n: their count). */
static const struct {
	const char *name;
	uint8_t n;
	uint8_t b[16];
	uint8_t v9n;
	uint8_t v9[4];
} bytes[] = {
	{ "sourceIPv4Address", 4, { 192, 0, 2, 1 } },
	{ "destinationIPv4Address", 4, { 198, 51, 100, 7 } },
	{ "sourceIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ "destinationIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } },
	{ "ipClassOfService", 1, { 0x2e } },
	{ "protocolIdentifier", 1, { 6 } },
	{ "sourceTransportPort", 2, { 0xc0, 0x00 } },
	{ "destinationTransportPort", 2, { 0x01, 0xbb } },
	{ "icmpTypeCodeIPv4", 2, { 0, 0 } },		/* TCP: no ICMP type */
	{ "icmpTypeCodeIPv6", 2, { 0, 0 } },
	{ "ingressInterface", 4, { 0, 0, 0, 3 } },
	{ "vlanId", 2, { 0, 100 } },
	{ "dot1qVlanId", 2, { 0, 100 } },
	{ "dot1qCustomerVlanId", 2, { 0, 23 } },
	{ "mplsTopLabelStackSection", 3, { 0x03, 0xe8, 0x1a } },
	{ "mplsLabelStackSection2", 3, { 0x49, 0x30, 0x11 } },
	{ "mplsLabelStackSection3", 3, { 0, 0, 0 } },
	{ "egressInterface", 4, { 0, 0, 0, 11 } },
	{ "ipNextHopIPv4Address", 4, { 10, 0, 0, 254 } },
	{ "ipNextHopIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe } },
	{ "sourceIPv4PrefixLength", 1, { 24 } },
	{ "destinationIPv4PrefixLength", 1, { 16 } },
	{ "sourceIPv6PrefixLength", 1, { 24 } },
	{ "destinationIPv6PrefixLength", 1, { 16 } },
	{ "forwardingStatus", 1, { 64 } },
	{ "bgpSourceAsNumber", 4, { 0, 0, 0xfb, 0xf4 } },
	{ "bgpDestinationAsNumber", 4, { 0, 0, 0xfb, 0xf5 } },
	{ "bgpNextHopIPv4Address", 4, { 192, 0, 2, 254 } },
	{ "bgpNextHopIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff } },
	{ "bgpNextAdjacentAsNumber", 4, { 0, 0, 0xfb, 0xf7 } },
	{ "bgpPrevAdjacentAsNumber", 4, { 0, 0, 0xfb, 0xf6 } },
	{ "postNATSourceIPv4Address", 4, { 203, 0, 113, 5 } },
	{ "postNATDestinationIPv4Address", 4, { 203, 0, 113, 6 } },
	{ "postNAPTSourceTransportPort", 2, { 0x9c, 0x40 } },
	{ "postNAPTDestinationTransportPort", 2, { 0x20, 0xfb } },
	{ "postNATSourceIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 } },
	{ "postNATDestinationIPv6Address", 16, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6 } },
	{ "octetDeltaCount", 8, { 0, 0, 0, 0, 0, 0, 0x0f, 0xa0 } },
	{ "packetDeltaCount", 8, { 0, 0, 0, 0, 0, 0, 0, 10 } },
	{ "tcpControlBits", 1, { 0x1b } },
	{ "minimumTTL", 1, { 60 } },
	{ "maximumTTL", 1, { 64 } },
	{ "flowLabelIPv6", 4, { 0, 0x01, 0x23, 0x45 } },
	{ "fragmentIdentification", 4, { 0, 0, 0xbe, 0xef } },
	/* 1700000000000 ms; v9: 10000 ms after sysUpTime 0 */
	{ "flowStartMilliseconds", 8, { 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00 },
	  4, { 0, 0, 0x27, 0x10 } },
	{ "flowEndMilliseconds", 8, { 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6d, 0xdc },
	  4, { 0, 0, 0x2c, 0xec } },
	{ "flowStartSeconds", 4, { 0x65, 0x53, 0xf1, 0x00 } },
	{ "flowEndSeconds", 4, { 0x65, 0x53, 0xf1, 0x01 } },
	{ "flowDurationMilliseconds", 4, { 0, 0, 0x05, 0xdc } },
	{ "flowEndReason", 1, { 2 } },
	{ "ipVersion", 1, { 4 } },		/* (6 in the IPv6 layout) */
	{ "flowDirection", 1, { 1 } },
	{ "samplingInterval", 4, { 0, 0, 0x03, 0xe8 } },
	{ "samplingAlgorithm", 1, { 2 } },
};

/* A record of one element, in the layout it belongs to. */
static int one_elem(struct jf_record_def *d, const struct jf_ie_def *e)
{
	jf_record_init(d, "one", 0);
	d->e[0].ie = e;
	d->e[0].len = e->len;
	d->e[0].key = e->role != JF_ROLE_FIELD;
	d->n = 1;
	if (e->flags & JF_IE_MPLS)
		return e->family == JF_IEF_IPV6 ? JF_LAYOUT_MPLS_IPV6 : JF_LAYOUT_MPLS_IPV4;
	return e->family == JF_IEF_IPV6 ? JF_LAYOUT_IPV6 : JF_LAYOUT_IPV4;
}

/* Every element of the vocabulary through the template builder and the
 * writer (compiled and field by field), IPFIX and v9: its ID and length
 * in the template and its bytes in a record. */
static void test_every_element_bytes(void **state)
{
	static const enum jf_wire wires[] = { JF_WIRE_IPFIX, JF_WIRE_V9 };
	struct jf_enc_ctx ctx = {
		.uptime_base_ms = 1699999990000ull, .now_ms = 1700000010000ull,
		.sampling_interval = 1000, .sampling_algorithm = 2,
	};
	size_t i, w;

	(void)state;
	assert_int_equal(sizeof(bytes) / sizeof(bytes[0]), jf_n_ies);
	for (i = 0; i < jf_n_ies; i++) {
		const struct jf_ie_def *e = jf_ie_by_name(bytes[i].name);
		struct jf_record_def d;
		int layout;

		assert_non_null(e);
		layout = one_elem(&d, e);
		for (w = 0; w < 2; w++) {
			bool v9 = wires[w] == JF_WIRE_V9;
			struct jf_tmpl_params p = { .wire = wires[w], .sampling = true, .record = &d };
			struct jf_record r = full_record(layout & 1 ? 6 : 4);
			struct jf_template t, g;
			uint8_t out[64], out2[64];
			const uint8_t *want = v9 && bytes[i].v9n ? bytes[i].v9 : bytes[i].b;
			unsigned n = v9 && bytes[i].v9n ? bytes[i].v9n : bytes[i].n;

			assert_int_equal(jf_template_record(&t, 300, layout, &p), 0);
			assert_int_equal(t.nfields, 1);
			assert_int_equal(t.f[0].ie, jf_ie_wire_id(e, v9));
			assert_int_equal(t.f[0].len, n);
			assert_int_equal(t.rec_len, n);
			memset(out, 0xee, sizeof(out));
			jf_write_flow(out, &t, &r, &ctx);
			if (memcmp(out, want, n))
				print_message("%s (%s): bytes differ\n", e->name, v9 ? "v9" : "IPFIX");
			if (e->id == IE_IP_VERSION && (layout & 1))
				assert_int_equal(out[0], 6);
			else
				assert_memory_equal(out, want, n);
			assert_int_equal(out[n], 0xee);
			g = t;
			g.compiled = false;
			memset(out2, 0xee, sizeof(out2));
			jf_write_flow(out2, &g, &r, &ctx);
			assert_memory_equal(out, out2, n + 1);
		}
	}
}

/* One layout of a built-in record, element by element (IE/length). */
struct layout {
	const char *record;
	int layout;
	enum jf_wire wire;
	bool sampling;
	unsigned n;
	uint16_t f[JF_TMPL_MAX_FIELDS][2];
};

static const struct layout layouts[] = {
	/* PROTOCOL.md's MX IPFIX IPv4 order. */
	{ "juniper", JF_LAYOUT_IPV4, JF_WIRE_IPFIX, false, 29, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 }, { 18, 4 },
		{ 61, 1 }, { 243, 2 }, { 245, 2 }, { 54, 4 }, { 1, 8 }, { 2, 8 }, { 152, 8 },
		{ 153, 8 } } },
	{ "juniper", JF_LAYOUT_IPV6, JF_WIRE_IPFIX, false, 30, {
		{ 27, 16 }, { 28, 16 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 139, 2 },
		{ 10, 4 }, { 58, 2 }, { 29, 1 }, { 30, 1 }, { 16, 4 }, { 17, 4 }, { 62, 16 },
		{ 6, 1 }, { 14, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 }, { 63, 16 },
		{ 61, 1 }, { 243, 2 }, { 245, 2 }, { 31, 4 }, { 54, 4 }, { 1, 8 }, { 2, 8 },
		{ 152, 8 }, { 153, 8 } } },
	{ "juniper", JF_LAYOUT_MPLS_IPV4, JF_WIRE_V9, true, 32, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 }, { 18, 4 },
		{ 61, 1 }, { 243, 2 }, { 245, 2 }, { 54, 4 }, { 70, 3 }, { 71, 3 }, { 72, 3 },
		{ 1, 8 }, { 2, 8 }, { 22, 4 }, { 21, 4 } } },
	{ "as", JF_LAYOUT_IPV4, JF_WIRE_IPFIX, false, 8, {
		{ 16, 4 }, { 17, 4 }, { 10, 4 }, { 14, 4 }, { 1, 8 }, { 2, 8 }, { 152, 8 },
		{ 153, 8 } } },
	{ "as", JF_LAYOUT_IPV6, JF_WIRE_V9, false, 8, {
		{ 16, 4 }, { 17, 4 }, { 10, 4 }, { 14, 4 }, { 1, 8 }, { 2, 8 }, { 22, 4 },
		{ 21, 4 } } },
	{ "protocol-port", JF_LAYOUT_IPV4, JF_WIRE_IPFIX, true, 7, {
		{ 4, 1 }, { 7, 2 }, { 11, 2 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 } } },
	{ "source-prefix", JF_LAYOUT_IPV4, JF_WIRE_IPFIX, false, 8, {
		{ 8, 4 }, { 16, 4 }, { 10, 4 }, { 9, 1 }, { 1, 8 }, { 2, 8 }, { 152, 8 },
		{ 153, 8 } } },
	{ "source-prefix", JF_LAYOUT_IPV6, JF_WIRE_IPFIX, false, 8, {
		{ 27, 16 }, { 16, 4 }, { 10, 4 }, { 29, 1 }, { 1, 8 }, { 2, 8 }, { 152, 8 },
		{ 153, 8 } } },
	{ "destination-prefix", JF_LAYOUT_IPV4, JF_WIRE_V9, false, 8, {
		{ 12, 4 }, { 17, 4 }, { 14, 4 }, { 13, 1 }, { 1, 8 }, { 2, 8 }, { 22, 4 },
		{ 21, 4 } } },
	{ "prefix", JF_LAYOUT_IPV4, JF_WIRE_IPFIX, false, 12, {
		{ 8, 4 }, { 12, 4 }, { 16, 4 }, { 17, 4 }, { 10, 4 }, { 14, 4 }, { 9, 1 },
		{ 13, 1 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 } } },
	{ "prefix", JF_LAYOUT_IPV6, JF_WIRE_IPFIX, false, 12, {
		{ 27, 16 }, { 28, 16 }, { 16, 4 }, { 17, 4 }, { 10, 4 }, { 14, 4 }, { 29, 1 },
		{ 30, 1 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 } } },
};

static void test_builtin_layouts(void **state)
{
	size_t k;
	unsigned i;

	(void)state;
	for (k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
		const struct layout *l = &layouts[k];
		struct jf_tmpl_params p = { .wire = l->wire, .sampling = l->sampling,
					    .record = jf_record_builtin(l->record) };
		struct jf_template t;
		unsigned len = 0;

		assert_non_null(p.record);
		assert_int_equal(jf_template_record(&t, 256, l->layout, &p), 0);
		if (t.nfields != l->n)
			print_message("%s layout %d: %u fields, want %u\n", l->record, l->layout,
				      t.nfields, l->n);
		assert_int_equal(t.nfields, l->n);
		for (i = 0; i < l->n; i++) {
			if (t.f[i].ie != l->f[i][0] || t.f[i].len != l->f[i][1])
				print_message("%s layout %d: field %u is %u/%u, want %u/%u\n",
					      l->record, l->layout, i, t.f[i].ie, t.f[i].len,
					      l->f[i][0], l->f[i][1]);
			assert_int_equal(t.f[i].ie, l->f[i][0]);
			assert_int_equal(t.f[i].len, l->f[i][1]);
			len += l->f[i][1];
		}
		assert_int_equal(t.rec_len, len);
	}
	/* Records without MPLS elements have no MPLS layouts. */
	assert_false(jf_record_layout_used(jf_record_builtin("prefix"), JF_LAYOUT_MPLS_IPV4));
	assert_true(jf_record_layout_used(jf_record_builtin("juniper"), JF_LAYOUT_MPLS_IPV6));
	assert_null(jf_record_builtin("hosts"));
}

/* A /N key's prefix length goes out as N, fixed in the template; an
 * element whose need is unmet goes out as 0 in a built-in record. */
static void test_fixed_values(void **state)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX, .record = jf_record_builtin("prefix"),
				    .unmet = JF_NEED_BGP | JF_NEED_ROUTER | JF_NEED_OUTPUT };
	struct jf_record r = full_record(4);
	struct jf_enc_ctx ctx = { 0 };
	struct jf_template t;
	uint8_t out[128];

	(void)state;
	assert_int_equal(jf_template_record(&t, 256, JF_LAYOUT_IPV4, &p), 0);
	jf_write_flow(out, &t, &r, &ctx);
	/* 8/4 12/4 16/4 17/4 10/4 14/4 9/1 13/1 */
	assert_memory_equal(out + 8, ((const uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 0 }), 8);
	assert_memory_equal(out + 16, ((const uint8_t[]){ 0, 0, 0, 3 }), 4);
	assert_memory_equal(out + 20, ((const uint8_t[]){ 0, 0, 0, 0 }), 4);
	assert_int_equal(out[24], 24);
	assert_int_equal(out[25], 24);
	assert_true(t.f[6].fixed && t.f[7].fixed);
	/* With the needs met, the flow's answers. */
	p.unmet = 0;
	assert_int_equal(jf_template_record(&t, 256, JF_LAYOUT_IPV4, &p), 0);
	jf_write_flow(out, &t, &r, &ctx);
	assert_memory_equal(out + 8, ((const uint8_t[]){ 0, 0, 0xfb, 0xf4, 0, 0, 0xfb, 0xf5 }), 8);
	assert_memory_equal(out + 20, ((const uint8_t[]){ 0, 0, 0, 11 }), 4);
	assert_int_equal(out[24], 24);	/* still the key's /24, not the route's */
	assert_int_equal(out[25], 24);
	/* IPv6: /48 */
	r = full_record(6);
	assert_int_equal(jf_template_record(&t, 257, JF_LAYOUT_IPV6, &p), 0);
	jf_write_flow(out, &t, &r, &ctx);
	assert_int_equal(out[16 + 16 + 16], 48);
}

static int parse(struct jf_record_def *d, const char *key, const char *fields, char *err)
{
	jf_record_init(d, "r", 7);
	if (key && jf_record_add_list(d, key, true, 8, err, 512))
		return -1;
	if (fields && jf_record_add_list(d, fields, false, 9, err, 512))
		return -1;
	return jf_record_finish(d, err, 512);
}

/* The list parser and a record's checks, with the messages. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *key, *fields, *msg;
	} bad[] = {
		{ "sourceIpv4Address", "octetDeltaCount",
		  "unknown element 'sourceIpv4Address' (did you mean 'sourceIPv4Address'?)" },
		{ "octetDeltaCount", "packetDeltaCount", "octetDeltaCount cannot be a key" },
		{ "ipVersion", "packetDeltaCount", "ipVersion cannot be a key" },
		{ "protocolIdentifier", "sourceTransportPort",
		  "sourceTransportPort can only be a key" },
		{ "protocolIdentifier/8", "octetDeltaCount", "only a key address takes /N" },
		{ "sourceIPv4Address/33", "octetDeltaCount", "prefix length must be 1..32" },
		{ "sourceIPv6Address/0", "octetDeltaCount", "prefix length must be 1..128" },
		{ "sourceIPv4Address/x", "octetDeltaCount", "prefix length must be 1..32" },
		{ "sourceIPv4Address, sourceIPv4Address/24", "octetDeltaCount",
		  "sourceIPv4Address given twice" },
		{ "sourceIPv4Address,,protocolIdentifier", "octetDeltaCount", "empty element name" },
		{ NULL, "octetDeltaCount", "has no key" },
		{ "protocolIdentifier", NULL, "collects nothing" },
		{ "sourceIPv4Address/24, destinationIPv4Address, sourceTransportPort, "
		  "destinationTransportPort, protocolIdentifier", "postNATSourceIPv4Address",
		  "postNATSourceIPv4Address needs a record keyed by whole connections" },
	};
	struct jf_record_def d;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&d, bad[i].key, bad[i].fields, err), -1);
		if (!strstr(err, bad[i].msg))
			print_message("case %zu: '%s' lacks '%s'\n", i, err, bad[i].msg);
		assert_non_null(strstr(err, bad[i].msg));
	}
	/* The whole address is /32 or no /N at all; keys go first. */
	assert_int_equal(parse(&d, "sourceIPv4Address/32, protocolIdentifier",
			       "octetDeltaCount", err), 0);
	assert_int_equal(d.e[0].prefix, 0);
	assert_int_equal(parse(&d, "sourceIPv4Address/24, sourceIPv6Address/48",
			       "octetDeltaCount, packetDeltaCount", err), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.e[1].prefix, 48);
	assert_int_equal(d.e[0].line, 8);
	assert_int_equal(d.e[3].line, 9);
	/* The whole 5-tuple: NAT elements allowed. */
	assert_int_equal(parse(&d, "sourceIPv4Address, destinationIPv4Address, "
			       "sourceTransportPort, destinationTransportPort, protocolIdentifier",
			       "postNATSourceIPv4Address, octetDeltaCount", err), 0);
}

/* Needs: a defined record is refused when the monitor cannot know an
 * element (with the element and the remedy); a built-in one goes out
 * with 0; a prefix length with a /N key needs nothing. */
static void test_needs(void **state)
{
	struct jf_record_def d;
	char err[512];
	int line = 0;

	(void)state;
	assert_int_equal(parse(&d, "sourceIPv4Address", "egressInterface, octetDeltaCount", err), 0);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_OUTPUT | JF_NEED_ROUTER, err,
					       sizeof(err), &line), -1);
	assert_non_null(strstr(err, "egressInterface needs router mode"));
	assert_non_null(strstr(err, "egress metering"));
	assert_int_equal(line, 9);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_ROUTER, err, sizeof(err), NULL), 0);
	assert_int_equal(parse(&d, "sourceIPv4Address", "bgpSourceAsNumber, octetDeltaCount", err), 0);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_BGP, err, sizeof(err), NULL), -1);
	assert_non_null(strstr(err, "bgpSourceAsNumber needs a BGP source"));
	assert_int_equal(parse(&d, "sourceIPv4Address", "sourceIPv4PrefixLength, octetDeltaCount",
			       err), 0);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_ROUTER, err, sizeof(err), NULL), -1);
	assert_non_null(strstr(err, "or its address keyed with /N"));
	assert_int_equal(parse(&d, "sourceIPv4Address/20", "sourceIPv4PrefixLength, octetDeltaCount",
			       err), 0);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_ROUTER, err, sizeof(err), NULL), 0);
	assert_int_equal(jf_record_check_needs(jf_record_builtin("as"), 0xff, err, sizeof(err),
					       NULL), 0);
	assert_int_equal(parse(&d, "sourceIPv4Address, destinationIPv4Address, "
			       "sourceTransportPort, destinationTransportPort, protocolIdentifier",
			       "postNAPTSourceTransportPort, octetDeltaCount", err), 0);
	assert_int_equal(jf_record_check_needs(&d, JF_NEED_CONNTRACK, err, sizeof(err), NULL), -1);
	assert_non_null(strstr(err, "needs conntrack"));
}

static void test_v5(void **state)
{
	struct jf_record_def d;
	char err[512];

	(void)state;
	assert_int_equal(jf_record_v5_check(jf_record_builtin("default"), err, sizeof(err)), 0);
	assert_int_equal(jf_record_v5_check(jf_record_builtin("as"), err, sizeof(err)), 0);
	assert_int_equal(jf_record_v5_check(jf_record_builtin("prefix"), err, sizeof(err)), 0);
	assert_int_equal(jf_record_v5_check(jf_record_builtin("protocol-port"), err, sizeof(err)), 0);
	assert_int_equal(jf_record_v5_check(jf_record_builtin("juniper"), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "v5 cannot carry record juniper: it has no field for vlanId"));
	assert_int_equal(parse(&d, "sourceIPv4Address/24, sourceIPv6Address/48",
			       "octetDeltaCount, minimumTTL", err), 0);
	assert_int_equal(jf_record_v5_check(&d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "minimumTTL"));
}

/* Key masks: what the meter keeps of a packet's key per record. */
static void test_key_masks(void **state)
{
	struct jf_record_def d;
	struct jf_key m, ones;
	char err[512];
	uint8_t b24[4] = { 0xff, 0xff, 0xff, 0 }, b48[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0 };

	(void)state;
	memset(&ones, 0xff, sizeof(ones));
	/* default: the whole key, both directions (IPv6 mask all ones; the
	 * IPv4 mask leaves address words 1-3, always zero, out). */
	jf_record_key_mask(jf_record_builtin("default"), 6, false, &m);
	assert_memory_equal(&m, &ones, sizeof(m));
	jf_record_key_mask(jf_record_builtin("default"), 6, true, &m);
	assert_memory_equal(&m, &ones, sizeof(m));
	assert_false(jf_record_masks_key(jf_record_builtin("default")));
	assert_false(jf_record_masks_key(jf_record_builtin("juniper")));
	assert_true(jf_record_masks_key(jf_record_builtin("protocol-port")));
	/* /24 pairs + protocol */
	assert_int_equal(parse(&d, "sourceIPv4Address/24, destinationIPv4Address/24, "
			       "protocolIdentifier, sourceIPv6Address/48, destinationIPv6Address/48",
			       "octetDeltaCount", err), 0);
	jf_record_key_mask(&d, 4, false, &m);
	assert_memory_equal(&m.src[0], b24, 4);
	assert_memory_equal(&m.dst[0], b24, 4);
	assert_int_equal(m.src[1], 0);
	assert_int_equal(m.proto, 0xff);
	assert_int_equal(m.sport | m.dport | m.tos | m.vlan | m.inner_vlan, 0);
	assert_int_equal(m.ifindex, 0);
	assert_int_equal(m.mpls[0] | m.mpls[1] | m.mpls[2], 0);
	assert_int_equal(m.family, 0xff);
	assert_int_equal(m.flags, (uint8_t)~JF_KEY_MPLS);	/* labels gone: the flag too */
	jf_record_key_mask(&d, 6, false, &m);
	assert_memory_equal(m.src, b48, 8);
	assert_memory_equal(m.dst, b48, 8);
	assert_int_equal(m.src[2] | m.src[3], 0);
	/* The interface: ingress keeps it for ingressInterface, egress for
	 * egressInterface (the key's interface is the output one). */
	jf_record_key_mask(jf_record_builtin("source-prefix"), 4, false, &m);
	assert_int_equal(m.ifindex, 0xffffffff);
	jf_record_key_mask(jf_record_builtin("source-prefix"), 4, true, &m);
	assert_int_equal(m.ifindex, 0);
	jf_record_key_mask(jf_record_builtin("destination-prefix"), 4, true, &m);
	assert_int_equal(m.ifindex, 0xffffffff);
	jf_record_key_mask(jf_record_builtin("destination-prefix"), 4, false, &m);
	assert_int_equal(m.ifindex, 0);
}

/* Lookups: which records need their flows whole in the meter. */
static void test_lookups(void **state)
{
	const struct jf_record_def *def = jf_record_builtin("default");
	const struct jf_record_def *as = jf_record_builtin("as");
	const struct jf_record_def *sp = jf_record_builtin("source-prefix");

	(void)state;
	assert_false(jf_record_uses_lookups(def, 0xff));
	assert_true(jf_record_uses_lookups(def, JF_NEED_BGP | JF_NEED_CONNTRACK));
	assert_false(jf_record_keys_lookups(def, 0));
	assert_true(jf_record_keys_lookups(as, JF_NEED_ROUTER));	/* BGP */
	assert_false(jf_record_keys_lookups(as, JF_NEED_BGP | JF_NEED_ROUTER));
	/* The output interface of egress metering is the key's: no lookup. */
	assert_false(jf_record_uses_lookups(as, JF_NEED_BGP | JF_NEED_ROUTER));
	/* source-prefix: its prefix length is the key's /24, not a lookup. */
	assert_false(jf_record_uses_lookups(sp, JF_NEED_BGP));
	assert_true(jf_record_uses_lookups(sp, JF_NEED_ROUTER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vocabulary),
		cmocka_unit_test(test_every_element_bytes),
		cmocka_unit_test(test_builtin_layouts),
		cmocka_unit_test(test_fixed_values),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_key_masks),
		cmocka_unit_test(test_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
