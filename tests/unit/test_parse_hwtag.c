// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit test of the parser's entry for frames whose outer VLAN tag the NIC
 * stripped (jf_parse_eth_hwtag): the device-bound XDP program feeds it the
 * driver's TCI, and BPF_PROG_TEST_RUN cannot run that program, so the
 * parser's part is checked here, in its userspace build. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "jflowd/parse.h"

/* Ethernet header, `ntags` inline tags (TPID, VID), then IPv4/UDP. */
static size_t frame(uint8_t *f, int ntags, const uint16_t *tpid, const uint16_t *vid)
{
	static const uint8_t ip_udp[28] = {
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x03, 0xe8, 0x00, 0x35, 0, 8, 0, 0,
	};
	size_t n = 12;
	int i;

	memset(f, 0, 12);
	for (i = 0; i < ntags; i++) {
		f[n++] = tpid[i] >> 8;
		f[n++] = tpid[i] & 0xff;
		f[n++] = vid[i] >> 8;
		f[n++] = vid[i] & 0xff;
	}
	f[n++] = 0x08;
	f[n++] = 0x00;
	memcpy(f + n, ip_udp, sizeof(ip_udp));
	return n + sizeof(ip_udp);
}

static int parse(int ntags, const uint16_t *tpid, const uint16_t *vid, uint16_t tci,
		 struct jf_pkt *p)
{
	uint8_t f[128];
	size_t n = frame(f, ntags, tpid, vid);

	memset(p, 0, sizeof(*p));
	return jf_parse_eth_hwtag(f, f + n, tci, p);
}

/* Untagged in the frame: the stripped tag is the VLAN, masked to its id. */
static void test_stripped_only(void **state)
{
	struct jf_pkt p;

	(void)state;
	assert_int_equal(parse(0, NULL, NULL, 5 << 13 | 1 << 12 | 100, &p), JF_PKT_OK);
	assert_int_equal(p.key.vlan, 100);
	assert_int_equal(p.key.inner_vlan, 0);
	assert_int_equal(p.key.dport, 53);
}

/* A tag left inline under the stripped one: QinQ, the inline tag inner. */
static void test_stripped_outer_inline_inner(void **state)
{
	const uint16_t tpid[] = { 0x8100 }, vid[] = { 3 << 13 | 200 };
	struct jf_pkt p;

	(void)state;
	assert_int_equal(parse(1, tpid, vid, 100, &p), JF_PKT_OK);
	assert_int_equal(p.key.vlan, 100);
	assert_int_equal(p.key.inner_vlan, 200);
	assert_int_equal(p.key.sport, 1000);
}

/* The same as the inline QinQ frame would give without offload. */
static void test_same_as_inline(void **state)
{
	const uint16_t tpid[] = { 0x8100, 0x8100 }, vid[] = { 100, 200 };
	struct jf_pkt inline_p, hw;
	uint8_t f[128];
	size_t n = frame(f, 2, tpid, vid);

	(void)state;
	memset(&inline_p, 0, sizeof(inline_p));
	assert_int_equal(jf_parse_eth(f, f + n, &inline_p), JF_PKT_OK);
	assert_int_equal(parse(1, tpid + 1, vid + 1, 100, &hw), JF_PKT_OK);
	assert_memory_equal(&inline_p.key, &hw.key, sizeof(hw.key));
}

/* Two tags still inline under the stripped one: three, one too many. */
static void test_too_deep(void **state)
{
	const uint16_t tpid[] = { 0x88a8, 0x8100 }, vid[] = { 200, 300 };
	struct jf_pkt p;

	(void)state;
	assert_int_equal(parse(2, tpid, vid, 100, &p), JF_PKT_DEEP_STACK);
}

static void test_truncated(void **state)
{
	uint8_t f[10] = { 0 };
	struct jf_pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(jf_parse_eth_hwtag(f, f + sizeof(f), 100, &p), JF_PKT_TRUNC_L2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stripped_only),
		cmocka_unit_test(test_stripped_outer_inline_inner),
		cmocka_unit_test(test_same_as_inline),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
