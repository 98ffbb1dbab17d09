// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reads the kernel's jiffies between two reads of CLOCK_MONOTONIC, for the
 * agent's calibration of the XDP program's clock (src/bpf_clock.c), which
 * runs it with BPF_PROG_TEST_RUN. A syscall program: its test run needs no
 * packet, and unlike an XDP program's it does not put the program into the
 * kernel's XDP dispatcher and take it out again. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* One sample, read by the agent through the mapped .bss. */
__u64 t0_ns;
__u64 jiffies64;
__u64 t1_ns;

SEC("syscall")
int jflowd_clock(void *ctx)
{
	(void)ctx;
	t0_ns = bpf_ktime_get_ns();
	jiffies64 = bpf_jiffies64();
	t1_ns = bpf_ktime_get_ns();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
