/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Mirror-port mapping (--mirror with --map-mac / --map-vlan): a SPAN port
 * has one ifindex, the router it copies has many interfaces. A frame to a
 * mapped router MAC came in on that MAC's interface, a frame from one went
 * out of it; a frame on a mapped VLAN came in on that VLAN's interface.
 * The indexes are the operator's (the router's SNMP ifIndex). */
#ifndef JFLOWD_BPF_MIRROR_MAP_H
#define JFLOWD_BPF_MIRROR_MAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"

/* Router MAC (6 bytes in the low bits of a little 8-byte key) -> index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} mirror_mac SEC(".maps");

/* VLAN id -> index; 0: not mapped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} mirror_vlan SEC(".maps");

/* Set by the agent before load; 0 leaves the branch to the verifier. */
const volatile __u32 mirror_map_on = 0;

static __always_inline __u64 jf_mac_key(const __u8 *m)
{
	__u64 k = 0;

	__builtin_memcpy(&k, m, 6);
	return k;
}

/* Rewrite the input interface of p from the frame's destination MAC (or its
 * VLAN); return the output interface from its source MAC, 0 if unmapped. */
static __always_inline __u32 jf_mirror_map(const __u8 *data, const __u8 *end, struct jf_pkt *p)
{
	__u32 *idx, vid;
	__u64 k;

	if (data + 12 > end)
		return 0;
	k = jf_mac_key(data);
	idx = bpf_map_lookup_elem(&mirror_mac, &k);
	if (idx) {
		p->key.ifindex = *idx;
	} else if (p->key.vlan) {
		vid = p->key.vlan;
		idx = bpf_map_lookup_elem(&mirror_vlan, &vid);
		if (idx && *idx)
			p->key.ifindex = *idx;
	}
	k = jf_mac_key(data + 6);
	idx = bpf_map_lookup_elem(&mirror_mac, &k);
	return idx ? *idx : 0;
}

/* Keep the output interface with the flow (per packet: the insert may
 * have been another CPU's). */
static __always_inline void jf_mirror_set_out(void *map, const struct jf_key *key, __u32 out)
{
	struct jf_counters *c = bpf_map_lookup_elem(map, key);

	if (c && c->out_ifindex != out)
		c->out_ifindex = out;
}

#endif
