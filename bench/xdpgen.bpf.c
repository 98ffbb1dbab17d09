// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark traffic generator: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, each run turns the template frame into the
 * next packet of the sequence (flow = n % flows, size = sizes[n % nsizes])
 * and sends it with XDP_TX. Frames are recycled without their content being
 * reset, so every field that varies is written on every run. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XDPGEN_MAX_SIZES 64

/* Set by the driver before load. */
const volatile __u32 nflows = 1;
const volatile __u32 nsizes = 1;
const volatile __u32 src_base = 0xc6120000;	/* 198.18.0.0, host order */
const volatile __u16 sizes[XDPGEN_MAX_SIZES] = { 64 };	/* frame lengths */

/* Pacing: busy loop iterations before each packet, adjusted by the driver
 * while it runs (in .bss, read on every packet), so packets leave evenly
 * spaced instead of in bursts. */
volatile __u32 delay_loops;

/* Per CPU: packets handed to XDP_TX, which is also the sequence number. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sent SEC(".maps");

static __always_inline __u16 ip_csum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 s = 0;
	int i;

	for (i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static long spin(__u32 i, void *ctx)
{
	(void)i;
	(void)ctx;
	return 0;
}

SEC("xdp")
int xdpgen(struct xdp_md *ctx)
{
	__u32 zero = 0, flow, len, cur;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *udp;
	void *data, *end;
	__u64 *n, seq;

	if (delay_loops)
		bpf_loop(delay_loops, spin, NULL, 0);

	n = bpf_map_lookup_elem(&sent, &zero);
	if (!n)
		return XDP_ABORTED;
	seq = *n;
	flow = (__u32)(seq % nflows);
	len = sizes[(seq % nsizes) & (XDPGEN_MAX_SIZES - 1)];

	cur = ctx->data_end - ctx->data;
	if (len < cur && bpf_xdp_adjust_tail(ctx, (int)len - (int)cur))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XDP_ABORTED;
	len = end - data;

	/* flow -> (source address, source port): 65536 addresses, then ports. */
	ip->saddr = bpf_htonl(src_base + (flow & 0xffff));
	udp->source = bpf_htons((__u16)(1024 + (flow >> 16)));
	ip->tot_len = bpf_htons((__u16)(len - sizeof(*eth)));
	udp->len = bpf_htons((__u16)(len - sizeof(*eth) - sizeof(*ip)));
	udp->check = 0;
	ip->check = 0;
	ip->check = ip_csum(ip);

	*n = seq + 1;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
