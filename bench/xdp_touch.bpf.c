// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark reference: read the Ethernet, IPv4 and UDP headers of every
 * packet (the cache lines any meter must touch), then XDP_DROP. Between the
 * trivial XDP_DROP program and a meter, it shows what touching the packet
 * costs on its own. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 sink;	/* in .bss, so the loads are not optimised away */

SEC("xdp.frags")
int xdp_touch(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;

	if (data + 42 > end)
		return XDP_DROP;
	/* Ethertype, IPv4 addresses and protocol, UDP ports. */
	sink += (__u64)data[12] ^ data[23] ^ *(const __u32 *)(data + 26) ^
		*(const __u32 *)(data + 30) ^ *(const __u32 *)(data + 34);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
