// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP meter: parse, sample, count into the flow map of the current
 * epoch, and pass (or, in mirror mode, drop) every packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"
#include "maps.h"
#include "flow_update.h"
#include "mirror_map.h"

static __always_inline void jf_stat_add(__u32 parity, __u32 reason, __u64 octets)
{
	__u32 idx = JF_STAT_IDX(parity, reason);
	struct jf_stat *st;

	st = bpf_map_lookup_elem(&stats, &idx);
	if (st) {
		st->packets++;	/* per CPU: no other writer */
		st->octets += octets;
	}
}

/* The VLAN tag a NIC stripped (rx-vlan offload), from the driver. Weak: on
 * a kernel without it the object still loads, and so does the program that
 * does not call it; the device-bound one fails and the agent falls back. */
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/* xdp.frags: multi-buffer aware, so native XDP attaches to jumbo-MTU links.
 * Headers are read from the first buffer; octets come from the IP header,
 * or the whole frame's length where there is none. hw_vlan is a constant
 * per program: the plain program has no trace of the kfunc, which the
 * verifier refuses in a program not bound to a device even on a dead
 * branch. */
static __always_inline int jf_xdp_meter(struct xdp_md *ctx, const int hw_vlan)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u32 cpu = 0;
	struct jf_pkt pkt;
	__u64 ep, now;
	__u32 parity, rate;
	__be16 vlan_proto;
	__u16 vlan_tci;
	int reason;

	if (quiesce_seq) {
		cpu = bpf_get_smp_processor_id();
		if (cpu >= JF_MAX_CPUS) {
			__sync_fetch_and_add(&no_cpu_slot_packets, 1);
			return verdict;
		}
		/* Odd while inside; the atomic orders it before the epoch
		 * read, so the agent, after flipping the epoch, can wait for
		 * every CPU that might still write the old map. */
		__sync_fetch_and_add(&cpu_seq[cpu].seq, 1);
	}
	ep = epoch;
	parity = ep & 1;

	rate = sample_rate[parity];
	if (rate > 1 && bpf_get_prandom_u32() % rate) {
		jf_stat_add(parity, JF_PKT_NOT_SAMPLED, bpf_xdp_get_buff_len(ctx));
		goto out;
	}

	__builtin_memset(&pkt, 0, sizeof(pkt));
	/* Asked for every frame, not only untagged ones: the NIC strips the
	 * outer tag of a double-tagged frame and leaves the inner one inline. */
	if (hw_vlan && !bpf_xdp_metadata_rx_vlan_tag(ctx, &vlan_proto, &vlan_tci))
		reason = jf_parse_eth_hwtag(data, end, vlan_tci, &pkt);
	else
		reason = jf_parse_eth(data, end, &pkt);
	if (reason == JF_PKT_OK) {
		pkt.key.ifindex = ctx->ingress_ifindex;
		/* The mirror mapping's output interface travels in the
		 * packet: table slots, stash and per-interval maps all keep
		 * it in their counters. */
		if (mirror_map_on)
			pkt.out_ifindex = jf_mirror_map(data, end, &pkt);
		now = jf_now();
		if (table_on) {
			__u32 sel = table_sel;

			if (parity)
				reason = jf_table_update(&flow_tables, table_slots, sel, cpu_seq, &flows_b,
							 &spill, &pkt, now, ep);
			else
				reason = jf_table_update(&flow_tables, table_slots, sel, cpu_seq, &flows_a,
							 &spill, &pkt, now, ep);
			jf_stat_add(parity, reason, pkt.octets);
			goto out;
		}
		/* Two call sites, not a map pointer chosen at run time: with
		 * a constant map each, the verifier inlines the hash lookup. */
		if (parity)
			reason = jf_flow_update(&flows_b, &spill, &pkt, now, ep);
		else
			reason = jf_flow_update(&flows_a, &spill, &pkt, now, ep);
		jf_stat_add(parity, reason, pkt.octets);
	} else {
		jf_stat_add(parity, reason, pkt.octets ? pkt.octets : bpf_xdp_get_buff_len(ctx));
	}
out:
	if (quiesce_seq)
		__sync_fetch_and_add(&cpu_seq[cpu].seq, 1);
	return verdict;
}

SEC("xdp.frags")
int jflowd_xdp(struct xdp_md *ctx)
{
	return jf_xdp_meter(ctx, 0);
}

/* The same, bound to one device (--vlan-offload): it also reads the tag the
 * NIC stripped. Loaded by the agent once per such interface, sharing every
 * map; "?": not loaded with the object by default (it needs an ifindex). */
SEC("?xdp.frags")
int jflowd_xdp_vlan(struct xdp_md *ctx)
{
	return jf_xdp_meter(ctx, 1);
}

/* Egress metering (-i IFACE:out): its own header, sharing all of the above. */
#include "tc_egress.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
