// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Baseline for benchmarks: the cheapest XDP program there is (multi-buffer
 * aware like jflowd's, so the two are measured alike). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict = XDP_PASS;

SEC("xdp.frags")
int trivial_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
