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
#include "flowset.h"
#include "ie.h"
#include "template.h"

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

/* The default IPFIX IPv4 template, field by field (PROTOCOL.md order). */
static void test_ipfix_template_v4_layout(void **state)
{
	static const uint16_t want[][2] = {
		{ 8, 4 }, { 12, 4 }, { 5, 1 }, { 4, 1 }, { 7, 2 }, { 11, 2 }, { 32, 2 },
		{ 10, 4 }, { 58, 2 }, { 9, 1 }, { 13, 1 }, { 16, 4 }, { 17, 4 }, { 15, 4 },
		{ 6, 1 }, { 14, 4 }, { 18, 4 }, { 52, 1 }, { 53, 1 }, { 136, 1 }, { 60, 1 },
		{ 61, 1 }, { 245, 2 }, { 1, 8 }, { 2, 8 }, { 152, 8 }, { 153, 8 },
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

/* Field encodings of the default template: ICMP type/code in 32 and in the
 * destination port, 8-byte counters, absolute ms times. */
static void test_flow_fields(void **state)
{
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
	jf_write_flow(out, &t, &r, &ctx);
	for (i = 0; i < t.nfields; i++) {
		const uint8_t *f = out + off;

		switch (t.f[i].ie) {
		case IE_ICMP_TYPE_CODE_V4:
		case IE_DST_PORT:
			assert_int_equal(f[0] << 8 | f[1], 0x0301);
			break;
		case IE_VLAN_ID:
			assert_int_equal(f[0] << 8 | f[1], 100);
			break;
		case IE_PACKET_DELTA:
			assert_int_equal(f[7], 10);
			break;
		case IE_FLOW_END_MS:
			assert_int_equal(((uint64_t)f[2] << 40 | (uint64_t)f[3] << 32 |
					  (uint64_t)f[4] << 24 | (uint64_t)f[5] << 16 |
					  (uint64_t)f[6] << 8 | f[7]),
					 1700000001500ull);
			break;
		case IE_DIRECTION:
			assert_int_equal(f[0], 0);
			break;
		case IE_TTL_MIN:
			assert_int_equal(f[0], 60);
			break;
		}
		off += t.f[i].len;
	}
	assert_int_equal(off, t.rec_len);
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
	};
	return cmocka_run_group_tests_name("flowset", tests, NULL, NULL);
}
