// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the NetFlow v5 encoder: golden bytes checked by hand
 * against Cisco's v5 layout (24-byte header, 48-byte records). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "export/netflow_v5.h"

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
	r.key.vlan = 100;	/* v5 has no VLAN: must not leak anywhere */
	r.tcp_flags = 0x1b;
	r.egress_ifindex = 9;
	inet_pton(AF_INET, "203.0.113.1", r.next_hop);
	r.src_mask = 24;
	r.dst_mask = 22;
	r.packets = 10;
	r.octets = 4000;
	r.first_ms = 1700000000000ull;
	r.last_ms = 1700000001500ull;
	return r;
}

/* A whole v5 message, byte for byte: header with sysUpTime, secs, nsecs,
 * flow sequence, engine type/id and the sampling field; one record with
 * ports, flags, protocol, ToS, interfaces, counters and uptime times. */
static void test_v5_message_golden(void **state)
{
	static const uint8_t want[] = {
		/* version 5, count 1, sysUpTime 5000 ms */
		0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x13, 0x88,
		/* unix_secs 1700000002, unix_nsecs 250000000 */
		0x65, 0x53, 0xf1, 0x02, 0x0e, 0xe6, 0xb2, 0x80,
		/* flow_sequence 7, engine type 1, engine id 2, sampling mode 1 interval 100 */
		0x00, 0x00, 0x00, 0x07, 0x01, 0x02, 0x40, 0x64,
		/* record: srcaddr, dstaddr, nexthop */
		192, 0, 2, 1, 198, 51, 100, 7, 203, 0, 113, 1,
		/* input 3, output 9, dPkts 10, dOctets 4000 */
		0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x0f, 0xa0,
		/* first 1000 ms, last 2500 ms after sysUpTime 0 */
		0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x09, 0xc4,
		/* srcport 49152, dstport 443, pad, tcp_flags, prot 6, tos */
		0xc0, 0x00, 0x01, 0xbb, 0x00, 0x1b, 0x06, 0x2e,
		/* src_as, dst_as, src_mask /24, dst_mask /22, pad */
		0x00, 0x00, 0x00, 0x00, 0x18, 0x16, 0x00, 0x00,
	};
	struct jf_enc_ctx ctx = { .uptime_base_ms = 1699999999000ull,
				  .now_ms = 1700000004000ull };
	struct jf_v5_hdr h = { .uptime_ms = 5000, .export_secs = 1700000002,
			       .export_nsecs = 250000000, .flow_sequence = 7,
			       .engine_type = 1, .engine_id = 2, .sample_rate = 100 };
	struct jf_record r = sample_v4();
	uint8_t buf[1400];
	struct jf_v5_msg m;

	(void)state;
	jf_v5_init(&m, buf, sizeof(buf));
	assert_int_equal(jf_v5_add(&m, &r, &ctx), 0);
	assert_int_equal(jf_v5_finish(&m, &h), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* ICMP: type*256+code in the destination port, source port 0; an
 * unsampled exporter sends sampling field 0; times past "now" clamp to it. */
static void test_v5_icmp_unsampled(void **state)
{
	struct jf_enc_ctx ctx = { .uptime_base_ms = 1699999999000ull,
				  .now_ms = 1700000001000ull };
	struct jf_v5_hdr h = { .sample_rate = 1 };
	struct jf_record r = sample_v4();
	uint8_t buf[1400], *p = buf + JF_V5_HDR_LEN;
	struct jf_v5_msg m;

	(void)state;
	r.key.proto = 1;
	r.key.sport = 0;
	r.key.dport = 3 << 8 | 3;
	r.tcp_flags = 0;
	jf_v5_init(&m, buf, sizeof(buf));
	assert_int_equal(jf_v5_add(&m, &r, &ctx), 0);
	jf_v5_finish(&m, &h);
	assert_int_equal(buf[22] << 8 | buf[23], 0);		/* sampling */
	assert_int_equal(p[32] << 8 | p[33], 0);		/* srcport */
	assert_int_equal(p[34] << 8 | p[35], 0x0303);		/* dstport */
	assert_int_equal(p[38], 1);
	/* last 1700000001500 clamps to now: 2000 ms after sysUpTime 0 */
	assert_int_equal(p[28] << 24 | p[29] << 16 | p[30] << 8 | p[31], 2000);
}

/* At most 30 records and the capacity per message; IPv6 and counters over
 * 32 bits are refused, never truncated. */
static void test_v5_limits(void **state)
{
	struct jf_enc_ctx ctx = { .uptime_base_ms = 1699999999000ull,
				  .now_ms = 1700000004000ull };
	struct jf_record r = sample_v4(), big = sample_v4(), v6 = sample_v4();
	uint8_t buf[4096];
	struct jf_v5_msg m;
	unsigned n = 0;

	(void)state;
	jf_v5_init(&m, buf, sizeof(buf));
	while (jf_v5_add(&m, &r, &ctx) == 0)
		n++;
	assert_int_equal(n, 30);
	jf_v5_init(&m, buf, 24 + 48 * 7 + 47);
	n = 0;
	while (jf_v5_add(&m, &r, &ctx) == 0)
		n++;
	assert_int_equal(n, 7);

	v6.key.family = 6;
	assert_int_equal(jf_v5_add(&m, &v6, &ctx), -EINVAL);
	big.octets = 1ull << 32;
	assert_int_equal(jf_v5_add(&m, &big, &ctx), -EINVAL);
}

/* A flow over 32-bit counters splits into parts that each fit and add up
 * exactly to the flow. */
static void test_v5_split(void **state)
{
	struct jf_record r = sample_v4(), parts[8];
	uint64_t p = 0, o = 0;
	unsigned n, i;

	(void)state;
	r.packets = 5000000000ull;
	r.octets = 9000000000001ull;
	assert_int_equal(jf_v5_split(&r, parts, 8, &n), -EINVAL);	/* needs 2097 parts */
	r.octets = 12000000000ull;
	assert_int_equal(jf_v5_split(&r, parts, 8, &n), 0);
	assert_true(n > 1);
	for (i = 0; i < n; i++) {
		assert_true(parts[i].packets <= UINT32_MAX);
		assert_true(parts[i].octets <= UINT32_MAX);
		p += parts[i].packets;
		o += parts[i].octets;
	}
	assert_int_equal(p, r.packets);
	assert_int_equal(o, r.octets);
	r.packets = 10;
	r.octets = 4000;
	assert_int_equal(jf_v5_split(&r, parts, 8, &n), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v5_message_golden),
		cmocka_unit_test(test_v5_icmp_unsampled),
		cmocka_unit_test(test_v5_limits),
		cmocka_unit_test(test_v5_split),
	};
	return cmocka_run_group_tests_name("netflow_v5", tests, NULL, NULL);
}
