// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the v9/IPFIX message layer and the default templates:
 * golden bytes checked by hand against RFC 7011 / RFC 3954. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "export/flowset.h"
#include "export/ie.h"
#include "export/template.h"

static struct jf_record sample_v4(void)
{
	struct jf_record r;

	memset(&r, 0, sizeof(r));
	r.key.family = 4;
	inet_pton(AF_INET, "192.0.2.1", &r.key.src[0]);
	inet_pton(AF_INET, "198.51.100.7", &r.key.dst[0]);
	r.key.sport = 49152;
	r.key.dport = 443;
	r.key.proto = 6;
	r.key.tos = 0x2e;
	r.key.ifindex = 3;
	r.key.vlan = 100;
	r.tcp_flags = 0x1b;
	r.ttl_min = 60;
	r.ttl_max = 64;
	r.end_reason = 1;
	r.packets = 10;
	r.octets = 4000;
	r.first_ms = 1700000000000ull;
	r.last_ms = 1700000001500ull;
	return r;
}

/* The default IPFIX IPv4 template, field by field (docs/protocol.md order). */
static void test_ipfix_template_v4_layout(void **state)
{
	static const uint16_t want[][2] = {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 },
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_template t;
	unsigned i, len = 0;

	(void)state;
	jf_template_data(&t, JF_TID_IPV4, &p);
	assert_int_equal(t.id, 256);
	assert_int_equal(t.nfields, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < t.nfields; i++) {
		assert_int_equal(t.f[i].ie, want[i][0]);
		assert_int_equal(t.f[i].len, want[i][1]);
		len += want[i][1];
	}
	assert_int_equal(t.rec_len, len);
}

/* No IE twice in any default template (the Logstash codec breaks). */
static void test_templates_no_duplicates(void **state)
{
	enum jf_wire wires[] = { JF_WIRE_IPFIX, JF_WIRE_V9 };
	unsigned w, id, i, j;

	(void)state;
	for (w = 0; w < 2; w++) {
		for (id = JF_TID_IPV4; id <= JF_TID_MPLS_IPV6; id++) {
			struct jf_tmpl_params p = { .wire = wires[w], .sampling = true };
			struct jf_template t;

			jf_template_data(&t, (uint16_t)id, &p);
			for (i = 0; i < t.nfields; i++)
				for (j = i + 1; j < t.nfields; j++)
					assert_int_not_equal(t.f[i].ie, t.f[j].ie);
			for (i = 0; i < t.nfields; i++)
				assert_true(t.f[i].ie < 32768);	/* no enterprise bit */
		}
	}
}

/* A whole IPFIX message: header, template set, data set, byte for byte. */
static void test_ipfix_message_golden(void **state)
{
	/* A small template keeps the golden bytes readable. */
	struct jf_template t = {
		.id = 256, .kind = JF_TMPL_DATA, .wire = JF_WIRE_IPFIX, .nfields = 6,
		.rec_len = 4 + 4 + 2 + 2 + 1 + 8,
		.f = { { 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 2, 8 } },
	};
	static const uint8_t want[] = {
		/* header: version 10, length 73, export time, sequence, ODID */
		0x00, 0x0a, 0x00, 0x49, 0x65, 0x53, 0xf1, 0x00,
		0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x2a,
		/* template set: id 2, length 32; template 256 with 6 fields */
		0x00, 0x02, 0x00, 0x20, 0x01, 0x00, 0x00, 0x06,
		0x00, 0x08, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x04,
		0x00, 0x07, 0x00, 0x02, 0x00, 0x0b, 0x00, 0x02,
		0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08,
		/* data set: id 256, length 25, one record, no padding */
		0x01, 0x00, 0x00, 0x19,
		192, 0, 2, 1, 198, 51, 100, 7, 0xc0, 0x00, 0x01, 0xbb, 0x06,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
	};
	struct jf_msg_hdr h = { .export_secs = 1700000000, .sequence = 7, .domain = 42 };
	struct jf_record r = sample_v4();
	struct jf_enc_ctx ctx = { 0 };
	uint8_t buf[1400];
	struct jf_msg m;
	size_t len;

	(void)state;
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_flow(&m, &t, &r, &ctx), 0);
	len = jf_msg_finish(&m, &h);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(m.data_records, 1);
	assert_int_equal(m.templates, 1);
}

/* The same in v9: Count covers template and data records, sets are padded
 * to 32 bits with zeros, times are sysUpTime-relative. */
static void test_v9_message_golden(void **state)
{
	struct jf_template t = {
		.id = 256, .kind = JF_TMPL_DATA, .wire = JF_WIRE_V9, .nfields = 4,
		.rec_len = 4 + 1 + 4 + 4,
		.f = { { 8, 4 }, { 4, 1 }, { 22, 4 }, { 21, 4 } },
	};
	static const uint8_t want[] = {
		/* header: version 9, count 3, sysUpTime 5000, secs, sequence 3, source id 1 */
		0x00, 0x09, 0x00, 0x03, 0x00, 0x00, 0x13, 0x88,
		0x65, 0x53, 0xf1, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
		/* template flowset: id 0, length 24 */
		0x00, 0x00, 0x00, 0x18, 0x01, 0x00, 0x00, 0x04,
		0x00, 0x08, 0x00, 0x04, 0x00, 0x04, 0x00, 0x01,
		0x00, 0x16, 0x00, 0x04, 0x00, 0x15, 0x00, 0x04,
		/* data flowset: id 256, length 4 + 2 * 13 = 30, padded to 32 */
		0x01, 0x00, 0x00, 0x20,
		192, 0, 2, 1, 6, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x09, 0xc4,
		192, 0, 2, 1, 6, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88,
		0x00, 0x00,
	};
	/* sysUpTime 0 at 1699999999000; second record ends after "now":
	 * clamped to the header's sysUpTime. */
	struct jf_enc_ctx ctx = { .uptime_base_ms = 1699999999000ull, .now_ms = 1700000004000ull };
	struct jf_msg_hdr h = { .export_secs = 1700000002, .uptime_ms = 5000, .sequence = 3,
				.domain = 1 };
	struct jf_record r = sample_v4(), r2;
	uint8_t buf[1400];
	struct jf_msg m;

	(void)state;
	r2 = r;
	r2.last_ms = 1700000009999ull;
	jf_msg_init(&m, JF_WIRE_V9, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_flow(&m, &t, &r, &ctx), 0);
	assert_int_equal(jf_msg_add_flow(&m, &t, &r2, &ctx), 0);
	assert_int_equal(jf_msg_finish(&m, &h), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* Options templates: IPFIX scope count 1; v9 System scope of length 4. */
static void test_options_templates(void **state)
{
	struct jf_tmpl_params pi = { .wire = JF_WIRE_IPFIX }, p9 = { .wire = JF_WIRE_V9 };
	struct jf_template ti, t9;
	uint8_t buf[512];
	struct jf_msg m;

	(void)state;
	jf_template_opt_exporter(&ti, &pi);
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &ti), 0);
	/* set id 3, template 512, field count, scope count 1, first field 144/4 */
	assert_int_equal(buf[16] << 8 | buf[17], 3);
	assert_int_equal(buf[20] << 8 | buf[21], 512);
	assert_int_equal(buf[22] << 8 | buf[23], ti.nfields);
	assert_int_equal(buf[24] << 8 | buf[25], 1);
	assert_int_equal(buf[26] << 8 | buf[27], 144);
	assert_int_equal(buf[28] << 8 | buf[29], 4);

	jf_template_opt_exporter(&t9, &p9);
	jf_msg_init(&m, JF_WIRE_V9, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t9), 0);
	/* flowset id 1, template 512, scope length 4 bytes, option length */
	assert_int_equal(buf[20] << 8 | buf[21], 1);
	assert_int_equal(buf[24] << 8 | buf[25], 512);
	assert_int_equal(buf[26] << 8 | buf[27], 4);
	assert_int_equal(buf[28] << 8 | buf[29], 4 * (t9.nfields - 1));
	assert_int_equal(buf[30] << 8 | buf[31], 1);	/* System */
	assert_int_equal(buf[32] << 8 | buf[33], 4);	/* length 4, never 0 */
	/* flowset length is a multiple of 4 */
	assert_int_equal((buf[22] << 8 | buf[23]) % 4, 0);
}

/* A message never exceeds its capacity, and a full message refuses. */
static void test_message_fills_to_mtu(void **state)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_template t;
	struct jf_record r = sample_v4();
	struct jf_enc_ctx ctx = { 0 };
	struct jf_msg_hdr h = { 0 };
	uint8_t buf[1400];
	struct jf_msg m;
	unsigned n = 0;

	(void)state;
	jf_template_data(&t, JF_TID_IPV4, &p);
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	while (jf_msg_add_flow(&m, &t, &r, &ctx) == 0)
		n++;
	assert_int_equal(n, (1400 - 16 - 4) / t.rec_len);
	assert_true(jf_msg_finish(&m, &h) <= 1400);
	assert_int_equal(buf[2] << 8 | buf[3], 16 + 4 + n * t.rec_len);
}

/* Every field of a record of the default IPFIX IPv4 template, in order,
 * for an ICMP flow: ICMP type/code in 32 and in the destination port,
 * 8-byte counters, absolute ms times, zeros for what jflowd does not know
 * (masks, AS numbers, next hops). */
static void test_flow_fields(void **state)
{
	static const struct {
		uint16_t ie, len;
		uint8_t v[8];
	} want[] = {
		{ 8, 4, { 192, 0, 2, 1 } },		/* source address */
		{ 12, 4, { 198, 51, 100, 7 } },		/* destination address */
		{ 5, 1, { 0x2e } },			/* ToS */
		{ 4, 1, { 1 } },			/* ICMP */
		{ 7, 2, { 0, 0 } },			/* source port */
		{ 11, 2, { 0x03, 0x01 } },		/* destination port: type, code */
		{ 32, 2, { 0x03, 0x01 } },		/* icmpTypeCodeIPv4 */
		{ 10, 4, { 0, 0, 0, 3 } },		/* ingress interface */
		{ 58, 2, { 0, 100 } },			/* VLAN */
		{ 9, 1, { 0 } },			/* source mask */
		{ 13, 1, { 0 } },			/* destination mask */
		{ 16, 4, { 0 } },			/* source AS */
		{ 17, 4, { 0 } },			/* destination AS */
		{ 15, 4, { 0 } },			/* next hop */
		{ 6, 1, { 0x1b } },			/* TCP flags */
		{ 14, 4, { 0 } },			/* egress interface */
		{ 18, 4, { 0 } },			/* BGP next hop */
		{ 52, 1, { 60 } },			/* minimum TTL */
		{ 53, 1, { 64 } },			/* maximum TTL */
		{ 136, 1, { 1 } },			/* end reason: idle timeout */
		{ 60, 1, { 4 } },			/* IP version */
		{ 61, 1, { 0 } },			/* direction: ingress */
		{ 89, 1, { 0 } },			/* forwarding status: unknown */
		{ 245, 2, { 0, 0 } },			/* inner VLAN */
		{ 1, 8, { 0, 0, 0, 0, 0, 0, 0x0f, 0xa0 } },	/* octets 4000 */
		{ 2, 8, { 0, 0, 0, 0, 0, 0, 0, 10 } },		/* packets 10 */
		{ 152, 8, { 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00 } },	/* 1700000000000 */
		{ 153, 8, { 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6d, 0xdc } },	/* +1500 ms */
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_template t;
	struct jf_record r = sample_v4();
	struct jf_enc_ctx ctx = { 0 };
	uint8_t out[256];
	unsigned i, off = 0;

	(void)state;
	r.key.proto = 1;
	r.key.sport = 0;
	r.key.dport = 3 << 8 | 1;	/* host unreachable */
	jf_template_data(&t, JF_TID_IPV4, &p);
	assert_int_equal(t.nfields, sizeof(want) / sizeof(want[0]));
	memset(out, 0xee, sizeof(out));
	jf_write_flow(out, &t, &r, &ctx);
	for (i = 0; i < t.nfields; i++) {
		if (t.f[i].ie != want[i].ie || memcmp(out + off, want[i].v, want[i].len))
			print_message("field %u: want %u/%u\n", i, want[i].ie, want[i].len);
		assert_int_equal(t.f[i].ie, want[i].ie);
		assert_int_equal(t.f[i].len, want[i].len);
		assert_memory_equal(out + off, want[i].v, want[i].len);
		off += t.f[i].len;
	}
	assert_int_equal(off, t.rec_len);
	assert_int_equal(out[off], 0xee);	/* nothing written past the record */
}

/* Every default template, every field in order (IE, length): a field
 * dropped, added, moved or resized in any of them fails here. Data
 * templates with sampling carry 34/4 and 35/1 right before the counters. */
struct layout {
	const char *name;
	int kind;			/* 0 data, 1 exporter options, 2 interface options */
	uint16_t id;
	enum jf_wire wire;
	bool v6_exporter;
	unsigned n;
	uint16_t f[JF_TMPL_MAX_FIELDS][2];
};

static const struct layout layouts[] = {
	{ "ipfix 256", 0, 256, JF_WIRE_IPFIX, false, 28, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 } } },
	{ "ipfix 257", 0, 257, JF_WIRE_IPFIX, false, 29, {
		{ 27, 16 }, { 28, 16 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 139, 2 },
		{ 10, 4 }, { 58, 2 }, { 29, 1 }, { 30, 1 }, { 16, 4 }, { 17, 4 }, { 62, 16 },
		{ 6, 1 }, { 14, 4 }, { 63, 16 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 31, 4 }, { 1, 8 }, { 2, 8 }, { 152, 8 },
		{ 153, 8 } } },
	{ "ipfix 258", 0, 258, JF_WIRE_IPFIX, false, 31, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 70, 3 }, { 71, 3 }, { 72, 3 }, { 1, 8 },
		{ 2, 8 }, { 152, 8 }, { 153, 8 } } },
	{ "ipfix 259", 0, 259, JF_WIRE_IPFIX, false, 32, {
		{ 27, 16 }, { 28, 16 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 139, 2 },
		{ 10, 4 }, { 58, 2 }, { 29, 1 }, { 30, 1 }, { 16, 4 }, { 17, 4 }, { 62, 16 },
		{ 6, 1 }, { 14, 4 }, { 63, 16 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 31, 4 }, { 70, 3 }, { 71, 3 }, { 72, 3 },
		{ 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 } } },
	{ "v9 256", 0, 256, JF_WIRE_V9, false, 28, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 1, 8 }, { 2, 8 }, { 22, 4 }, { 21, 4 } } },
	{ "v9 257", 0, 257, JF_WIRE_V9, false, 29, {
		{ 27, 16 }, { 28, 16 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 29, 1 }, { 30, 1 }, { 16, 4 }, { 17, 4 }, { 62, 16 },
		{ 6, 1 }, { 14, 4 }, { 63, 16 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 31, 4 }, { 1, 8 }, { 2, 8 }, { 22, 4 },
		{ 21, 4 } } },
	{ "v9 258", 0, 258, JF_WIRE_V9, false, 31, {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 70, 3 }, { 71, 3 }, { 72, 3 }, { 1, 8 },
		{ 2, 8 }, { 22, 4 }, { 21, 4 } } },
	{ "v9 259", 0, 259, JF_WIRE_V9, false, 32, {
		{ 27, 16 }, { 28, 16 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 29, 1 }, { 30, 1 }, { 16, 4 }, { 17, 4 }, { 62, 16 },
		{ 6, 1 }, { 14, 4 }, { 63, 16 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 89, 1 }, { 245, 2 }, { 31, 4 }, { 70, 3 }, { 71, 3 }, { 72, 3 },
		{ 1, 8 }, { 2, 8 }, { 22, 4 }, { 21, 4 } } },
	{ "ipfix 512", 1, 512, JF_WIRE_IPFIX, false, 14, {
		{ 144, 4 }, { 34, 4 }, { 35, 1 }, { 36, 2 }, { 37, 2 }, { 41, 8 }, { 42, 8 },
		{ 40, 8 }, { 160, 8 }, { 130, 4 }, { 214, 1 }, { 215, 1 }, { 164, 8 },
		{ 165, 8 } } },
	{ "ipfix 512, IPv6 exporter", 1, 512, JF_WIRE_IPFIX, true, 14, {
		{ 144, 4 }, { 34, 4 }, { 35, 1 }, { 36, 2 }, { 37, 2 }, { 41, 8 }, { 42, 8 },
		{ 40, 8 }, { 160, 8 }, { 131, 16 }, { 214, 1 }, { 215, 1 }, { 164, 8 },
		{ 165, 8 } } },
	{ "v9 512", 1, 512, JF_WIRE_V9, false, 8, {
		{ 1, 4 }, { 34, 4 }, { 35, 1 }, { 36, 2 }, { 37, 2 }, { 40, 8 }, { 41, 8 },
		{ 42, 8 } } },
	{ "ipfix 513", 2, 513, JF_WIRE_IPFIX, false, 4, {
		{ 149, 4 }, { 82, 32 }, { 10, 4 }, { 83, 64 } } },
	{ "v9 513", 2, 513, JF_WIRE_V9, false, 4, {
		{ 1, 4 }, { 10, 4 }, { 83, 64 }, { 82, 32 } } },
};

static void check_layout(const struct jf_template *t, const char *name, uint16_t id,
			 const uint16_t (*f)[2], unsigned n)
{
	unsigned i, len = 0;

	assert_int_equal(t->id, id);
	assert_int_equal(t->nfields, n);
	for (i = 0; i < n; i++) {
		if (t->f[i].ie != f[i][0] || t->f[i].len != f[i][1])
			print_message("%s: field %u is %u/%u, want %u/%u\n", name, i, t->f[i].ie,
				      t->f[i].len, f[i][0], f[i][1]);
		assert_int_equal(t->f[i].ie, f[i][0]);
		assert_int_equal(t->f[i].len, f[i][1]);
		len += f[i][1];
	}
	assert_int_equal(t->rec_len, len);
}

static void test_every_template_layout(void **state)
{
	unsigned k, i;

	(void)state;
	for (k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
		const struct layout *l = &layouts[k];
		struct jf_tmpl_params p = { .wire = l->wire, .exporter_ipv6 = l->v6_exporter };
		struct jf_template t;

		if (l->kind == 1) {
			jf_template_opt_exporter(&t, &p);
			assert_int_equal(t.scope_count, 1);
		} else if (l->kind == 2) {
			jf_template_opt_ifname(&t, &p);
			assert_int_equal(t.scope_count, l->wire == JF_WIRE_IPFIX ? 2 : 1);
		} else {
			jf_template_data(&t, l->id, &p);
		}
		check_layout(&t, l->name, l->id, l->f, l->n);
		if (l->kind == 0) {
			/* With sampling: the same list, 34/4 and 35/1 before 1/8. */
			uint16_t s[JF_TMPL_MAX_FIELDS][2];
			unsigned n = 0;

			for (i = 0; i < l->n; i++) {
				if (l->f[i][0] == 1) {
					s[n][0] = 34, s[n++][1] = 4;
					s[n][0] = 35, s[n++][1] = 1;
				}
				s[n][0] = l->f[i][0], s[n++][1] = l->f[i][1];
			}
			p.sampling = true;
			jf_template_data(&t, l->id, &p);
			check_layout(&t, l->name, l->id, (const uint16_t (*)[2])s, n);
		}
	}
}

/* The default IPFIX IPv6 template 257: template set bytes and one record,
 * field by field (docs/protocol.md: ICMP in 139, next hops 62/63, flow label 31). */
static void test_ipfix_ipv6_golden(void **state)
{
	static const uint8_t want_tmpl[] = {
		0x00, 0x02, 0x00, 0x7c,		/* template set, 124 bytes */
		0x01, 0x01, 0x00, 0x1d,		/* template 257, 29 fields */
		0x00, 0x1b, 0x00, 0x10, 0x00, 0x1c, 0x00, 0x10,	/* 27/16 28/16 */
		0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01,	/* 5/1 4/1 */
		0x00, 0x07, 0x00, 0x02, 0x00, 0x0b, 0x00, 0x02,	/* 7/2 11/2 */
		0x00, 0x8b, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x04,	/* 139/2 10/4 */
		0x00, 0x3a, 0x00, 0x02, 0x00, 0x1d, 0x00, 0x01,	/* 58/2 29/1 */
		0x00, 0x1e, 0x00, 0x01, 0x00, 0x10, 0x00, 0x04,	/* 30/1 16/4 */
		0x00, 0x11, 0x00, 0x04, 0x00, 0x3e, 0x00, 0x10,	/* 17/4 62/16 */
		0x00, 0x06, 0x00, 0x01, 0x00, 0x0e, 0x00, 0x04,	/* 6/1 14/4 */
		0x00, 0x3f, 0x00, 0x10, 0x00, 0x34, 0x00, 0x01,	/* 63/16 52/1 */
		0x00, 0x35, 0x00, 0x01, 0x00, 0x88, 0x00, 0x01,	/* 53/1 136/1 */
		0x00, 0x3c, 0x00, 0x01, 0x00, 0x3d, 0x00, 0x01,	/* 60/1 61/1 */
		0x00, 0x59, 0x00, 0x01,				/* 89/1 */
		0x00, 0xf5, 0x00, 0x02, 0x00, 0x1f, 0x00, 0x04,	/* 245/2 31/4 */
		0x00, 0x01, 0x00, 0x08, 0x00, 0x02, 0x00, 0x08,	/* 1/8 2/8 */
		0x00, 0x98, 0x00, 0x08, 0x00, 0x99, 0x00, 0x08,	/* 152/8 153/8 */
	};
	static const uint8_t want_rec[] = {
		0x01, 0x01, 0x00, 0x8d,		/* data set 257, 4 + 137 bytes */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,	/* src */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,	/* dst */
		0xb8, 0x3a,			/* traffic class, ICMPv6 */
		0x00, 0x00, 0x80, 0x00,		/* ports: 0, echo request 128/0 */
		0x80, 0x00,			/* icmpTypeCodeIPv6 */
		0x00, 0x00, 0x00, 0x07,		/* ingress 7 */
		0x00, 0xc8,			/* vlan 200 */
		0x30, 0x40,			/* masks /48 /64 */
		0, 0, 0, 0, 0, 0, 0, 0,		/* AS */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe,	/* next hop */
		0x00,				/* tcp flags */
		0x00, 0x00, 0x00, 0x0b,		/* egress 11 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* bgp next hop */
		0x3f, 0x40,			/* ttl min/max */
		0x02, 0x06, 0x00, 0x40,		/* end: active timeout; IPv6; ingress; forwarded */
		0x00, 0x17,			/* inner vlan 23 */
		0x00, 0x01, 0x23, 0x45,		/* flow label */
		0, 0, 0, 0, 0, 0, 0x01, 0x38,	/* octets 312 */
		0, 0, 0, 0, 0, 0, 0, 0x03,	/* packets 3 */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,	/* start 1700000000000 */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0xfa,	/* end +250 ms */
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_enc_ctx ctx = { 0 };
	struct jf_msg_hdr h = { .export_secs = 1700000000, .domain = 1 };
	struct jf_template t;
	struct jf_record r;
	uint8_t buf[1400];
	struct jf_msg m;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.key.family = 6;
	inet_pton(AF_INET6, "2001:db8::1", r.key.src);
	inet_pton(AF_INET6, "2001:db8::2", r.key.dst);
	r.key.tos = 0xb8;
	r.key.proto = 58;
	r.key.dport = 128 << 8;
	r.key.ifindex = 7;
	r.key.vlan = 200;
	r.key.inner_vlan = 23;
	r.egress_ifindex = 11;
	inet_pton(AF_INET6, "2001:db8::fe", r.next_hop);
	r.src_mask = 48;
	r.dst_mask = 64;
	r.fwd_status = JF_FWD_FORWARDED;
	r.ttl_min = 63;
	r.ttl_max = 64;
	r.end_reason = 2;
	r.flow_label = 0x12345;
	r.packets = 3;
	r.octets = 312;
	r.first_ms = 1700000000000ull;
	r.last_ms = 1700000000250ull;
	jf_template_data(&t, JF_TID_IPV6, &p);
	assert_int_equal(jf_template_id_for(&r), 257);
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_flow(&m, &t, &r, &ctx), 0);
	assert_int_equal(jf_msg_finish(&m, &h), 16 + sizeof(want_tmpl) + sizeof(want_rec));
	assert_memory_equal(buf + 16, want_tmpl, sizeof(want_tmpl));
	assert_memory_equal(buf + 16 + sizeof(want_tmpl), want_rec, sizeof(want_rec));
}

/* A v9 message with the MPLS IPv4 template 258 and one record: labels in
 * 70-72 as 3-byte label stack entries (label, exp, bottom of stack), the
 * v9 ICMP field 32, sysUpTime-relative 22/21, Count 2, padded data set. */
static void test_v9_mpls_golden(void **state)
{
	static const uint8_t want[] = {
		/* header: version 9, count 2, sysUpTime 11000, secs, sequence 5, source id 9 */
		0x00, 0x09, 0x00, 0x02, 0x00, 0x00, 0x2a, 0xf8,
		0x65, 0x53, 0xf1, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09,
		/* template flowset, 132 bytes: template 258, 31 fields */
		0x00, 0x00, 0x00, 0x84, 0x01, 0x02, 0x00, 0x1f,
		0x00, 0x08, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x04,	/* 8/4 12/4 */
		0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x01,	/* 5/1 4/1 */
		0x00, 0x07, 0x00, 0x02, 0x00, 0x0b, 0x00, 0x02,	/* 7/2 11/2 */
		0x00, 0x20, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x04,	/* 32/2 10/4 */
		0x00, 0x3a, 0x00, 0x02, 0x00, 0x09, 0x00, 0x01,	/* 58/2 9/1 */
		0x00, 0x0d, 0x00, 0x01, 0x00, 0x10, 0x00, 0x04,	/* 13/1 16/4 */
		0x00, 0x11, 0x00, 0x04, 0x00, 0x0f, 0x00, 0x04,	/* 17/4 15/4 */
		0x00, 0x06, 0x00, 0x01, 0x00, 0x0e, 0x00, 0x04,	/* 6/1 14/4 */
		0x00, 0x12, 0x00, 0x04, 0x00, 0x34, 0x00, 0x01,	/* 18/4 52/1 */
		0x00, 0x35, 0x00, 0x01, 0x00, 0x88, 0x00, 0x01,	/* 53/1 136/1 */
		0x00, 0x3c, 0x00, 0x01, 0x00, 0x3d, 0x00, 0x01,	/* 60/1 61/1 */
		0x00, 0x59, 0x00, 0x01,				/* 89/1 */
		0x00, 0xf5, 0x00, 0x02, 0x00, 0x46, 0x00, 0x03,	/* 245/2 70/3 */
		0x00, 0x47, 0x00, 0x03, 0x00, 0x48, 0x00, 0x03,	/* 71/3 72/3 */
		0x00, 0x01, 0x00, 0x08, 0x00, 0x02, 0x00, 0x08,	/* 1/8 2/8 */
		0x00, 0x16, 0x00, 0x04, 0x00, 0x15, 0x00, 0x04,	/* 22/4 21/4 */
		/* data flowset 258: 4 + 86 = 90, padded with 2 zeros to 92 */
		0x01, 0x02, 0x00, 0x5c,
		10, 1, 1, 1, 10, 2, 2, 2,	/* addresses */
		0x00, 0x11,			/* tos, UDP */
		0x13, 0x88, 0x00, 0x35,		/* ports 5000, 53 */
		0x00, 0x00,			/* no ICMP */
		0x00, 0x00, 0x00, 0x02,		/* ingress 2 */
		0x00, 0x00, 0x08, 0x10,		/* vlan, masks /8 /16 */
		0, 0, 0, 0, 0, 0, 0, 0,		/* AS */
		10, 0, 0, 254,			/* next hop */
		0x00,				/* tcp flags */
		0, 0, 0, 5, 0, 0, 0, 0,		/* egress 5, bgp next hop */
		0x40, 0x40, 0x01, 0x04, 0x01,	/* ttl, idle timeout, IPv4, egress */
		0x83,				/* dropped: unroutable */
		0x00, 0x00,			/* inner vlan */
		0x03, 0xe8, 0x1a,		/* label 16001, exp 5, not bottom */
		0x49, 0x30, 0x11,		/* label 299777, exp 0, bottom */
		0x00, 0x00, 0x00,		/* no third label */
		0, 0, 0, 0, 0, 0, 0x05, 0xdc,	/* octets 1500 */
		0, 0, 0, 0, 0, 0, 0, 0x0f,	/* packets 15 */
		0x00, 0x00, 0x27, 0x10,		/* first: 10000 ms */
		0x00, 0x00, 0x29, 0x04,		/* last: 10500 ms */
		0x00, 0x00,
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_V9 };
	struct jf_enc_ctx ctx = { .uptime_base_ms = 1699999990000ull,
				  .now_ms = 1700000001000ull };
	struct jf_msg_hdr h = { .export_secs = 1700000001, .uptime_ms = 11000, .sequence = 5,
				.domain = 9 };
	struct jf_template t;
	struct jf_record r;
	uint8_t buf[1400];
	struct jf_msg m;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.key.family = 4;
	inet_pton(AF_INET, "10.1.1.1", &r.key.src[0]);
	inet_pton(AF_INET, "10.2.2.2", &r.key.dst[0]);
	r.key.proto = 17;
	r.key.sport = 5000;
	r.key.dport = 53;
	r.key.ifindex = 2;
	r.key.flags = JF_KEY_MPLS;
	r.key.mpls[0] = 16001u << 4 | 5u << 1;
	r.key.mpls[1] = 299777u << 4 | 1u;
	r.egress_ifindex = 5;
	inet_pton(AF_INET, "10.0.0.254", r.next_hop);
	r.src_mask = 8;
	r.dst_mask = 16;
	r.direction = 1;
	r.fwd_status = JF_FWD_DROPPED_UNROUTABLE;
	r.ttl_min = r.ttl_max = 64;
	r.end_reason = 1;
	r.packets = 15;
	r.octets = 1500;
	r.first_ms = 1700000000000ull;
	r.last_ms = 1700000000500ull;
	jf_template_data(&t, JF_TID_MPLS_IPV4, &p);
	assert_int_equal(jf_template_id_for(&r), 258);
	jf_msg_init(&m, JF_WIRE_V9, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_flow(&m, &t, &r, &ctx), 0);
	assert_int_equal(jf_msg_finish(&m, &h), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* With sampling, 34/4 and 35/1 join the data templates just before the
 * counters (SolarWinds reads them there), and the record carries them. */
static void test_sampling_in_data_template(void **state)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX, .sampling = true };
	struct jf_enc_ctx ctx = { .sampling_interval = 1000, .sampling_algorithm = 2 };
	struct jf_record r = sample_v4();
	struct jf_template t;
	uint8_t out[256];
	unsigned i, off = 0;

	(void)state;
	jf_template_data(&t, JF_TID_MPLS_IPV6, &p);
	for (i = 0; i < t.nfields && t.f[i].ie != IE_SAMPLING_INTERVAL; i++)
		off += t.f[i].len;
	assert_true(i + 3 < t.nfields);
	assert_int_equal(t.f[i - 1].ie, IE_MPLS_LABEL_3);
	assert_int_equal(t.f[i].len, 4);
	assert_int_equal(t.f[i + 1].ie, IE_SAMPLING_ALGORITHM);
	assert_int_equal(t.f[i + 1].len, 1);
	assert_int_equal(t.f[i + 2].ie, IE_OCTET_DELTA);
	jf_write_flow(out, &t, &r, &ctx);
	assert_memory_equal(out + off, ((const uint8_t[]){ 0x00, 0x00, 0x03, 0xe8, 0x02 }), 5);
}

/* IPFIX exporter options (512): the template set and the record, bytes
 * checked by hand: scope 144, sampling 34/35, timeouts 36/37, statistics
 * 41/42/40, 160, exporter address 130, 214/215, loss counters 164/165. */
static void test_ipfix_opt_exporter_golden(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x0a, 0x00, 0x99, 0x65, 0x53, 0xf1, 0x00,	/* header, length 153 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
		0x00, 0x03, 0x00, 0x42,		/* options template set, 66 bytes */
		0x02, 0x00, 0x00, 0x0e, 0x00, 0x01,	/* 512, 14 fields, 1 scope */
		0x00, 0x90, 0x00, 0x04, 0x00, 0x22, 0x00, 0x04,	/* 144/4 34/4 */
		0x00, 0x23, 0x00, 0x01, 0x00, 0x24, 0x00, 0x02,	/* 35/1 36/2 */
		0x00, 0x25, 0x00, 0x02, 0x00, 0x29, 0x00, 0x08,	/* 37/2 41/8 */
		0x00, 0x2a, 0x00, 0x08, 0x00, 0x28, 0x00, 0x08,	/* 42/8 40/8 */
		0x00, 0xa0, 0x00, 0x08, 0x00, 0x82, 0x00, 0x04,	/* 160/8 130/4 */
		0x00, 0xd6, 0x00, 0x01, 0x00, 0xd7, 0x00, 0x01,	/* 214/1 215/1 */
		0x00, 0xa4, 0x00, 0x08, 0x00, 0xa5, 0x00, 0x08,	/* 164/8 165/8 */
		0x02, 0x00, 0x00, 0x47,		/* data set 512, 4 + 67 bytes */
		0x00, 0x00, 0x00, 0x2a,		/* scope: domain 42 */
		0x00, 0x00, 0x03, 0xe8, 0x02,	/* 1 in 1000, random */
		0x00, 0x3c, 0x00, 0x0f,		/* active 60 s, idle 15 s */
		0, 0, 0, 0, 0, 0, 0, 0x05,	/* messages */
		0, 0, 0, 0, 0, 0, 0, 0x64,	/* flow records */
		0, 0, 0, 0, 0, 0, 0x1b, 0x58,	/* octets 7000 */
		0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,	/* init 1700000000000 */
		192, 0, 2, 9,			/* exporter address */
		0x0a, 0x11,			/* IPFIX over UDP */
		0, 0, 0, 0, 0, 0, 0, 0x03,	/* ignored packets */
		0, 0, 0, 0, 0, 0, 0, 0xb4,	/* ignored octets 180 */
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_opt_exporter v = {
		.domain = 42, .sampling_interval = 1000, .sampling_algorithm = 2,
		.active_timeout_s = 60, .idle_timeout_s = 15, .exported_messages = 5,
		.exported_records = 100, .exported_octets = 7000,
		.system_init_ms = 1700000000000ull, .exporter_addr = { 192, 0, 2, 9 },
		.export_transport = 17, .ignored_packets = 3, .ignored_octets = 180,
	};
	struct jf_msg_hdr h = { .export_secs = 1700000000, .domain = 42 };
	struct jf_template t;
	uint8_t buf[1400];
	struct jf_msg m;

	(void)state;
	jf_template_opt_exporter(&t, &p);
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_opt_exporter(&m, &t, &v), 0);
	assert_int_equal(jf_msg_finish(&m, &h), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(m.data_records, 1);	/* counts for the RFC sequence */
	assert_int_equal(m.flow_records, 0);	/* not for nfdump's */
}

/* v9 exporter options: System scope of length 4, then 34 35 36 37 40 41
 * 42; the options template FlowSet and the data FlowSet padded to 32 bits;
 * Count covers both records. */
static void test_v9_opt_exporter_golden(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x09, 0x00, 0x02, 0x00, 0x00, 0x03, 0xe8,	/* count 2, uptime 1000 */
		0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
		0x00, 0x01, 0x00, 0x2c,		/* options template flowset, 42 + 2 pad */
		0x02, 0x00, 0x00, 0x04, 0x00, 0x1c,	/* 512, scope 4 bytes, options 28 */
		0x00, 0x01, 0x00, 0x04,		/* scope System, 4 bytes */
		0x00, 0x22, 0x00, 0x04, 0x00, 0x23, 0x00, 0x01,	/* 34/4 35/1 */
		0x00, 0x24, 0x00, 0x02, 0x00, 0x25, 0x00, 0x02,	/* 36/2 37/2 */
		0x00, 0x28, 0x00, 0x08, 0x00, 0x29, 0x00, 0x08,	/* 40/8 41/8 */
		0x00, 0x2a, 0x00, 0x08, 0x00, 0x00,	/* 42/8, padding */
		0x02, 0x00, 0x00, 0x2c,		/* data flowset 512: 4 + 37 + 3 pad */
		0x00, 0x00, 0x00, 0x2a,		/* System: source id 42 */
		0x00, 0x00, 0x00, 0x01, 0x00,	/* unsampled: interval 1, algorithm 0 */
		0x00, 0x3c, 0x00, 0x0f,		/* timeouts */
		0, 0, 0, 0, 0, 0, 0x1b, 0x58,	/* octets 7000 */
		0, 0, 0, 0, 0, 0, 0, 0x05,	/* messages */
		0, 0, 0, 0, 0, 0, 0, 0x64,	/* flow records */
		0x00, 0x00, 0x00,
	};
	struct jf_tmpl_params p = { .wire = JF_WIRE_V9 };
	struct jf_opt_exporter v = {
		.domain = 42, .sampling_interval = 1, .active_timeout_s = 60,
		.idle_timeout_s = 15, .exported_messages = 5, .exported_records = 100,
		.exported_octets = 7000,
	};
	struct jf_msg_hdr h = { .export_secs = 1700000000, .uptime_ms = 1000, .domain = 42 };
	struct jf_template t;
	uint8_t buf[1400];
	struct jf_msg m;

	(void)state;
	jf_template_opt_exporter(&t, &p);
	jf_msg_init(&m, JF_WIRE_V9, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &t), 0);
	assert_int_equal(jf_msg_add_opt_exporter(&m, &t, &v), 0);
	assert_int_equal(jf_msg_finish(&m, &h), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* Interface names (513), zero padded, one record per set. IPFIX: scope
 * 149/4 and the name 82/32, then a plain 4-byte IE 10 and the description
 * 83/64; v9: scope System/4, then 10/4, 83/64 and 82/32. nfdump 1.7.1
 * takes names from 10 + 83 and, in IPFIX, a record's size from its scope
 * and the fields it knows: an 82 outside the scope was 32 bytes it called
 * extra ("Process ifvrf data record - 32 extra bytes"). */
static void test_opt_ifname_golden(void **state)
{
	static const uint8_t want_ipfix_tmpl[] = {
		0x00, 0x03, 0x00, 0x1a,		/* options template set, 26 bytes */
		0x02, 0x01, 0x00, 0x04, 0x00, 0x02,	/* 513, 4 fields, 2 scopes */
		0x00, 0x95, 0x00, 0x04, 0x00, 0x52, 0x00, 0x20,	/* 149/4 82/32 */
		0x00, 0x0a, 0x00, 0x04, 0x00, 0x53, 0x00, 0x40,	/* 10/4 83/64 */
	};
	static const uint8_t want_v9_tmpl[] = {
		0x00, 0x01, 0x00, 0x1a + 2,	/* options template flowset, padded */
		0x02, 0x01, 0x00, 0x04, 0x00, 0x0c,	/* 513, scope 4 bytes, options 12 */
		0x00, 0x01, 0x00, 0x04, 0x00, 0x0a, 0x00, 0x04,	/* System/4 10/4 */
		0x00, 0x53, 0x00, 0x40, 0x00, 0x52, 0x00, 0x20,	/* 83/64 82/32 */
		0x00, 0x00,
	};
	uint8_t want_ipfix_rec[4 + 104], want_v9_rec[4 + 104];
	struct jf_opt_ifname v = { .domain = 42, .ifindex = 3 };
	struct jf_msg_hdr h = { .domain = 42 };
	enum jf_wire wires[] = { JF_WIRE_IPFIX, JF_WIRE_V9 };
	unsigned w;

	(void)state;
	strcpy(v.name, "veth0");
	strcpy(v.description, "uplink to core");
	memset(want_ipfix_rec, 0, sizeof(want_ipfix_rec));
	memcpy(want_ipfix_rec, "\x02\x01\x00\x6c", 4);		/* set 513, 108 bytes */
	memcpy(want_ipfix_rec + 4, "\x00\x00\x00\x2a", 4);	/* scope: domain 42 */
	memcpy(want_ipfix_rec + 8, "veth0", 5);			/* scope: 82, 32 bytes */
	memcpy(want_ipfix_rec + 40, "\x00\x00\x00\x03", 4);	/* ifindex 3 */
	memcpy(want_ipfix_rec + 44, "uplink to core", 14);		/* 83, 64 bytes */
	memset(want_v9_rec, 0, sizeof(want_v9_rec));
	memcpy(want_v9_rec, "\x02\x01\x00\x6c", 4);		/* set 513, 108 bytes */
	memcpy(want_v9_rec + 4, "\x00\x00\x00\x2a", 4);		/* scope: domain 42 */
	memcpy(want_v9_rec + 8, "\x00\x00\x00\x03", 4);		/* ifindex 3 */
	memcpy(want_v9_rec + 12, "uplink to core", 14);		/* 83, 64 bytes */
	memcpy(want_v9_rec + 76, "veth0", 5);			/* 82, 32 bytes */
	for (w = 0; w < 2; w++) {
		struct jf_tmpl_params p = { .wire = wires[w] };
		size_t hl = wires[w] == JF_WIRE_IPFIX ? 16 : 20;
		const uint8_t *wt = w ? want_v9_tmpl : want_ipfix_tmpl;
		size_t wtl = w ? sizeof(want_v9_tmpl) : sizeof(want_ipfix_tmpl);
		const uint8_t *want_rec = w ? want_v9_rec : want_ipfix_rec;
		size_t rl = sizeof(want_ipfix_rec);
		struct jf_template t;
		uint8_t buf[1400];
		struct jf_msg m;

		jf_template_opt_ifname(&t, &p);
		jf_msg_init(&m, wires[w], buf, sizeof(buf));
		assert_int_equal(jf_msg_add_template(&m, &t), 0);
		assert_int_equal(jf_msg_add_opt_ifname(&m, &t, &v), 0);
		/* a second interface: a set of its own, not a second record */
		assert_int_equal(jf_msg_add_opt_ifname(&m, &t, &v), 0);
		assert_int_equal(jf_msg_finish(&m, &h), hl + wtl + 2 * rl);
		assert_memory_equal(buf + hl, wt, wtl);
		assert_memory_equal(buf + hl + wtl, want_rec, rl);
		assert_memory_equal(buf + hl + wtl + rl, want_rec, rl);
		assert_int_equal(m.data_records, 2);
	}
}

/* Two options templates in one message get one set each (nfdump reads
 * only the first options template of a set); a data template set can hold
 * several templates. */
static void test_one_options_template_per_set(void **state)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_template d4, d6, oe, oi;
	struct jf_msg_hdr h = { 0 };
	uint8_t buf[1400];
	struct jf_msg m;
	size_t off = 16, len;
	unsigned sets = 0, ids[8];

	(void)state;
	jf_template_data(&d4, JF_TID_IPV4, &p);
	jf_template_data(&d6, JF_TID_IPV6, &p);
	jf_template_opt_exporter(&oe, &p);
	jf_template_opt_ifname(&oi, &p);
	jf_msg_init(&m, JF_WIRE_IPFIX, buf, sizeof(buf));
	assert_int_equal(jf_msg_add_template(&m, &d4), 0);
	assert_int_equal(jf_msg_add_template(&m, &d6), 0);
	assert_int_equal(jf_msg_add_template(&m, &oe), 0);
	assert_int_equal(jf_msg_add_template(&m, &oi), 0);
	len = jf_msg_finish(&m, &h);
	while (off < len) {
		ids[sets++] = (unsigned)(buf[off] << 8 | buf[off + 1]);
		off += (size_t)(buf[off + 2] << 8 | buf[off + 3]);
	}
	assert_int_equal(off, len);
	assert_int_equal(sets, 3);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], 3);
	assert_int_equal(m.templates, 4);
	assert_int_equal(m.count, 4);
}

/* The compiled writer (constant image plus fused patches) and the generic
 * field-by-field writer produce the same bytes, for every default data
 * template and a spread of records. */
static void test_compiled_writer_matches_generic(void **state)
{
	enum jf_wire wires[] = { JF_WIRE_IPFIX, JF_WIRE_V9 };
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned w, id, smp, n, i;

	(void)state;
	for (w = 0; w < 2; w++)
		for (smp = 0; smp < 2; smp++)
			for (id = JF_TID_IPV4; id <= JF_TID_MPLS_IPV6; id++) {
				struct jf_tmpl_params p = { .wire = wires[w], .sampling = smp };
				struct jf_template t, generic;

				jf_template_data(&t, (uint16_t)id, &p);
				assert_true(t.compiled);
				assert_true(t.npatch < t.nfields);
				generic = t;
				generic.compiled = false;
				for (n = 0; n < 200; n++) {
					struct jf_enc_ctx ctx = {
						.uptime_base_ms = 1700000000000ull,
						.now_ms = 1700000100000ull,
						.sampling_interval = 1000, .sampling_algorithm = 2,
					};
					uint8_t a[JF_TMPL_MAX_REC], b[JF_TMPL_MAX_REC];
					struct jf_record r;
					uint8_t *bytes = (uint8_t *)&r;

					for (i = 0; i < sizeof(r); i++) {
						rng ^= rng << 13;
						rng ^= rng >> 7;
						rng ^= rng << 17;
						bytes[i] = (uint8_t)rng;
					}
					r.key.family = (id == JF_TID_IPV6 || id == JF_TID_MPLS_IPV6) ? 6 : 4;
					r.key.proto = (uint8_t)(n % 3 == 0 ? 1 : n % 3 == 1 ? 6 : 58);
					r.first_ms = ctx.uptime_base_ms + (r.first_ms % 200000);
					r.last_ms = ctx.uptime_base_ms + (r.last_ms % 200000);
					memset(a, 0xaa, sizeof(a));
					memset(b, 0x55, sizeof(b));
					jf_write_flow(a, &t, &r, &ctx);
					jf_write_flow(b, &generic, &r, &ctx);
					assert_memory_equal(a, b, t.rec_len);
				}
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_template_v4_layout),
		cmocka_unit_test(test_templates_no_duplicates),
		cmocka_unit_test(test_ipfix_message_golden),
		cmocka_unit_test(test_v9_message_golden),
		cmocka_unit_test(test_options_templates),
		cmocka_unit_test(test_message_fills_to_mtu),
		cmocka_unit_test(test_flow_fields),
		cmocka_unit_test(test_every_template_layout),
		cmocka_unit_test(test_compiled_writer_matches_generic),
		cmocka_unit_test(test_ipfix_ipv6_golden),
		cmocka_unit_test(test_v9_mpls_golden),
		cmocka_unit_test(test_sampling_in_data_template),
		cmocka_unit_test(test_ipfix_opt_exporter_golden),
		cmocka_unit_test(test_v9_opt_exporter_golden),
		cmocka_unit_test(test_opt_ifname_golden),
		cmocka_unit_test(test_one_options_template_per_set),
	};
	return cmocka_run_group_tests_name("flowset", tests, NULL, NULL);
}
