// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark harness for BPF_PROG_TEST_RUN with repeat: before each run of
 * the program under test, write the next flow's source address into the
 * frame (flow = n % nflows, n a per-CPU counter), then tail-call the
 * program in slot 0 of `target` (the jflowd program or the trivial one).
 * In the kernel's repeat loop the frame persists, so one syscall measures
 * many packets of many flows with warm caches, as a NAPI poll would run. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 nflows = 1;
const volatile __u32 addr_off = 26;	/* IPv4 source; 34: low word of IPv6 source */
const volatile __u32 addr_base = 0x0a000001;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp.frags")
int xdp_rotate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0, off = addr_off & 0x7f;
	__u64 *n;
	__u32 *a;

	n = bpf_map_lookup_elem(&seq, &zero);
	if (!n)
		return XDP_ABORTED;
	a = data + off;
	if ((void *)(a + 1) > end)
		return XDP_ABORTED;
	*a = bpf_htonl(addr_base + (__u32)(*n % nflows));
	*n += 1;
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
