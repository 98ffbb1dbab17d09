// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark reference: the least an exact table meter of a given size can
 * do. Reads the key fields xdp_touch reads, hashes them to one 64-byte line
 * of an array of `lines` lines (set before load: sized for the flows
 * present, or as large as jflowd's table), adds the packet and its length
 * there with atomics, and drops. No key is stored or compared, no clock, no
 * parser beyond fixed offsets: a floor, not a meter. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct line {
	__u64 packets;
	__u64 octets;
	__u64 pad[6];
} __attribute__((aligned(64)));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct line);
} floor_lines SEC(".maps");

/* Lines in floor_lines. Not a constant, as jflowd's table_slots. */
__u32 lines = 1;

SEC("xdp.frags")
int xdp_floor(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct line *l;
	__u64 h;
	__u32 idx;

	if (data + 42 > end)
		return XDP_DROP;
	/* The fields xdp_touch reads: protocol, addresses, ports. */
	h = (__u64)data[23] << 32 ^ *(const __u32 *)(data + 34);
	h = (h ^ 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
	h ^= (__u64)*(const __u32 *)(data + 26) << 32 | *(const __u32 *)(data + 30);
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	idx = (__u32)(((h >> 32) * (__u64)lines) >> 32);
	l = bpf_map_lookup_elem(&floor_lines, &idx);
	if (l) {
		__sync_fetch_and_add(&l->packets, 1);
		__sync_fetch_and_add(&l->octets, (__u64)(end - data));
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
