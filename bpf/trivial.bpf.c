// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Baseline for benchmarks: the cheapest XDP program there is. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict = XDP_PASS;

SEC("xdp")
int trivial_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
