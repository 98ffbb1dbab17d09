// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What option (a) of router mode would add on a flow's insert path: one
 * bpf_fib_lookup (BPF_FIB_LOOKUP_SKIP_NEIGH) for the packet's IPv4 flow,
 * after the same parse as the meter. Measured against the trivial program
 * by bench/route_cost.c. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"

#ifndef AF_INET
#define AF_INET 2
#endif

const volatile __u32 iif = 1;	/* the interface the flow came in on */
__u32 last_rc;			/* read back: the lookup did run */
__u32 last_oif;

SEC("xdp")
int xdp_fib(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct bpf_fib_lookup p;
	struct jf_pkt pkt;

	__builtin_memset(&pkt, 0, sizeof(pkt));
	if (jf_parse_eth(data, end, &pkt) != JF_PKT_OK || pkt.key.family != JF_FAMILY_IPV4)
		return XDP_PASS;
	__builtin_memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.l4_protocol = pkt.key.proto;
	p.sport = bpf_htons(pkt.key.sport);
	p.dport = bpf_htons(pkt.key.dport);
	p.tos = pkt.key.tos;
	p.tot_len = (__u16)pkt.octets;
	p.ipv4_src = pkt.key.src[0];
	p.ipv4_dst = pkt.key.dst[0];
	p.ifindex = iif;
	last_rc = (__u32)bpf_fib_lookup(ctx, &p, sizeof(p), BPF_FIB_LOOKUP_SKIP_NEIGH);
	last_oif = p.ifindex;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
