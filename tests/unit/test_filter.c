// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of traffic selection's agent side (src/meter/filter.c): what
 * libpcap refuses, what the programs' selection step refuses (length,
 * instructions it does not run, jumps out, no return), and the reference
 * interpreter on frames built by hand. tests/bpf/test_filter_prog.c
 * compares the programs with libpcap over a random corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "meter/filter.h"
#include "../lib/pktbuild.h"

static void test_compile_errors(void **state)
{
	struct bpf_program prog;
	struct jf_cbpf f;
	char err[600];

	(void)state;
	assert_int_equal(jf_filter_compile("tcp and nonsense", DLT_EN10MB, &prog, err,
					   sizeof(err)), -1);
	assert_non_null(strstr(err, "filter 'tcp and nonsense': syntax error"));
	assert_int_equal(jf_filter_to_cbpf("port 99999", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port 99999"));
	assert_int_equal(jf_filter_to_cbpf("not port 22", &f, err, sizeof(err)), 0);
	assert_true(f.len > 10 && f.len < 40);
}

static void test_check_bpf(void **state)
{
	struct bpf_insn ins[JF_CBPF_MAX + 1];
	struct bpf_program prog = { .bf_insns = ins };
	char err[300];
	unsigned i;

	(void)state;
	for (i = 0; i <= JF_CBPF_MAX; i++)
		ins[i] = (struct bpf_insn){ BPF_LD | BPF_IMM, 0, 0, i };
	ins[JF_CBPF_MAX] = (struct bpf_insn){ BPF_RET | BPF_A, 0, 0, 0 };
	prog.bf_len = JF_CBPF_MAX + 1;
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the XDP program takes at most 256"));
	prog.bf_len = 3;	/* LD IMM, LD IMM, LD IMM: no return */
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not end in a return"));
	ins[2] = (struct bpf_insn){ BPF_RET | BPF_K, 0, 0, 1 };
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), 0);
	ins[0] = (struct bpf_insn){ BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 7 };	/* past the end */
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "jumps out"));
	ins[0] = (struct bpf_insn){ BPF_LD | 0xe0, 0, 0, 0 };	/* no such mode */
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not one the XDP program runs"));
	ins[0] = (struct bpf_insn){ BPF_ST, 0, 0, 16 };
	assert_int_equal(jf_filter_check_bpf(&prog, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scratch word 16"));
}

/* The reference interpreter on frames built by hand, expression by
 * expression, against what each frame is. */
static void test_run(void **state)
{
	static const struct {
		const char *expr;
		int udp53, tcp22v6, tcp443vlan;
	} cases[] = {
		{ "udp", 1, 0, 0 },
		{ "not port 22", 1, 0, 1 },	/* the VLAN frame: not IP without "vlan" */
		{ "vlan and tcp", 0, 0, 1 },
		{ "ip6", 0, 1, 0 },
		{ "src net 10.0.0.0/8", 1, 0, 0 },
		{ "len >= 100", 1, 0, 1 },
	};
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8,
									[15] = 2 };
	struct pb udp, tcp6, vtcp;
	size_t i;

	(void)state;
	pb_init(&udp);
	pb_eth(&udp);
	pb_u16(&udp, 0x0800);
	pb_ipv4(&udp, 0x0a000001, 0xc0000201, 17, 0, 64, 100, 0, 0);
	pb_udp(&udp, 4000, 53, 100 - 20);
	pb_zero(&udp, 100 - 28);
	pb_init(&tcp6);
	pb_eth(&tcp6);
	pb_u16(&tcp6, 0x86dd);
	pb_ipv6(&tcp6, a, b, 6, 0, 0, 64, 20);
	pb_tcp(&tcp6, 5000, 22, 0x02);
	pb_init(&vtcp);
	pb_eth(&vtcp);
	pb_vlan(&vtcp, 0x8100, 7, 0);
	pb_u16(&vtcp, 0x0800);
	pb_ipv4(&vtcp, 0xc0000201, 0xc0000202, 6, 0, 64, 120, 0, 0);
	pb_tcp(&vtcp, 6000, 443, 0x10);
	pb_zero(&vtcp, 120 - 40);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jf_cbpf f;
		char err[600];

		assert_int_equal(jf_filter_to_cbpf(cases[i].expr, &f, err, sizeof(err)), 0);
		assert_int_equal(jf_cbpf_run(&f, udp.b, udp.len) != 0, cases[i].udp53);
		assert_int_equal(jf_cbpf_run(&f, tcp6.b, tcp6.len) != 0, cases[i].tcp22v6);
		assert_int_equal(jf_cbpf_run(&f, vtcp.b, vtcp.len) != 0, cases[i].tcp443vlan);
	}
	/* Past the frame: rejected, as classic BPF does. */
	{
		struct jf_cbpf f;
		char err[600];

		assert_int_equal(jf_filter_to_cbpf("udp", &f, err, sizeof(err)), 0);
		assert_int_equal(jf_cbpf_run(&f, udp.b, 20), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_check_bpf),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
