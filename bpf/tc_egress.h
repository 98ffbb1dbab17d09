/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Egress metering (-i IFACE:out, Juniper's "sampling output"): a TC
 * program on the clsact egress hook that counts what the router sends
 * itself into the same flow maps, with the same parser and epochs as the
 * XDP program. Included at the end of jflowd.bpf.c, whose maps, globals
 * and jf_stat_add() it shares.
 *
 * The rule that keeps every packet counted once: a packet that came in on
 * an interface metered on ingress was counted there, with its output
 * interface from the forwarding lookup; this program skips it. What is
 * left is what the router originates (no input interface) and what it
 * forwards from interfaces nobody meters. */
#ifndef JFLOWD_BPF_TC_EGRESS_H
#define JFLOWD_BPF_TC_EGRESS_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define JF_TC_PULL 128	/* bytes made linear for the parser */

/* Interfaces the XDP program meters (filled by the agent). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} ingress_metered SEC(".maps");

/* Headers repeated in every segment of a GSO packet: IP plus TCP or UDP,
 * for an untagged frame whose L4 header follows the IP header. 0 where it
 * cannot tell (the packet then counts with the super-packet's length). */
static __always_inline __u32 jf_tc_seg_hdrs(const __u8 *data, const __u8 *end)
{
	const __u8 *l4;
	__u32 l3;
	__u8 proto;

	if (data + 14 + 40 > end)
		return 0;
	if (data[12] == 0x08 && data[13] == 0x00) {
		l3 = (data[14] & 0x0f) * 4;
		proto = data[14 + 9];
	} else if (data[12] == 0x86 && data[13] == 0xdd) {
		l3 = 40;
		proto = data[14 + 6];
	} else {
		return 0;
	}
	if (l3 < 20 || l3 > 60)
		return 0;
	l4 = data + 14 + l3;
	if (proto == 17)
		return l3 + 8;
	if (proto != 6 || l4 + 13 > end)
		return 0;
	return l3 + (l4[12] >> 4) * 4;
}

/* The rest of a GSO packet: segs - 1 more packets, each with its headers. */
static __always_inline void jf_tc_gso_add(void *map, const struct jf_pkt *p, __u32 segs,
					  __u32 hdrs)
{
	struct jf_counters *c = bpf_map_lookup_elem(map, &p->key);

	if (!c)
		return;
	__sync_fetch_and_add(&c->packets, segs - 1);
	__sync_fetch_and_add(&c->octets, (__u64)(segs - 1) * hdrs);
}

SEC("tc")
int jflowd_tc_egress(struct __sk_buff *skb)
{
	const __u8 *data, *end;
	__u32 iif = skb->ingress_ifindex, cpu = 0, parity, segs, hdrs = 0, rate;
	__u64 ep, now, octets;
	struct jf_pkt pkt;
	int reason;

	if (iif && bpf_map_lookup_elem(&ingress_metered, &iif))
		return TC_ACT_OK;	/* counted at its ingress */
	if ((long)skb->data + JF_TC_PULL > (long)skb->data_end)
		bpf_skb_pull_data(skb, skb->len < JF_TC_PULL ? skb->len : JF_TC_PULL);
	data = (const __u8 *)(long)skb->data;
	end = (const __u8 *)(long)skb->data_end;

	if (quiesce_seq) {
		cpu = bpf_get_smp_processor_id();
		if (cpu >= JF_MAX_CPUS) {
			__sync_fetch_and_add(&no_cpu_slot_packets, 1);
			return TC_ACT_OK;
		}
		__sync_fetch_and_add(&cpu_seq[cpu].seq, 1);
	}
	ep = epoch;
	parity = ep & 1;

	/* The XDP program's rate of this epoch, changed at run time by a
	 * reload: both programs fill the same map at one rate. */
	rate = sample_rate[parity];
	if (rate > 1 && bpf_get_prandom_u32() % rate) {
		jf_stat_add(parity, JF_PKT_NOT_SAMPLED, skb->len);
		goto out;
	}
	__builtin_memset(&pkt, 0, sizeof(pkt));
	reason = jf_parse_eth(data, end, &pkt);
	octets = pkt.octets;
	if (reason == JF_PKT_OK) {
		pkt.key.ifindex = skb->ifindex;
		pkt.keep_frag_id = (__u8)keep_frag_id;
		pkt.key.flags |= JF_KEY_EGRESS;
		if (skb->vlan_present) {	/* tag still in the skb, not the frame */
			pkt.key.inner_vlan = pkt.key.vlan;
			pkt.key.vlan = skb->vlan_tci & 0x0fff;
		}
		segs = skb->gso_segs;
		if (segs > 1)
			hdrs = jf_tc_seg_hdrs(data, end);
		now = jf_now();
		if (parity) {
			reason = jf_flow_update(&flows_b, &spill, &pkt, now, ep);
			if (reason == JF_PKT_OK && segs > 1)
				jf_tc_gso_add(&flows_b, &pkt, segs, hdrs);
		} else {
			reason = jf_flow_update(&flows_a, &spill, &pkt, now, ep);
			if (reason == JF_PKT_OK && segs > 1)
				jf_tc_gso_add(&flows_a, &pkt, segs, hdrs);
		}
		if (reason == JF_PKT_OK && segs > 1)
			octets += (__u64)(segs - 1) * hdrs;
		jf_stat_add(parity, reason, octets);
	} else {
		jf_stat_add(parity, reason, octets ? octets : skb->len);
	}
out:
	if (quiesce_seq)
		__sync_fetch_and_add(&cpu_seq[cpu].seq, 1);
	return TC_ACT_OK;
}

#endif
