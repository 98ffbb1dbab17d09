// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP program for the table removal race test only
 * (tests/bpf/test_table_race.c): the same source, with a pause of a few
 * microseconds between finding a live slot and adding to it, so that a
 * removal without its grace period visibly loses packets. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long jf_race_spin(__u64 i, void *ctx)
{
	(void)i;
	(void)ctx;
	return 0;
}

#define JF_TABLE_RACE_WINDOW() bpf_loop(4000, jf_race_spin, (void *)0, 0)

#include "jflowd.bpf.c"
