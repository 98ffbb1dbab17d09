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

/* Several monitors: those of this interface's egress, less those that
 * counted the packet at its ingress, each sampling and counting it. w
 * holds the parsed packet. Inline: the walk's frame and the callback's
 * stay within the stack's 512 bytes. */
static __always_inline void jf_tc_monitors(struct __sk_buff *skb, struct jf_mon_walk *w,
					   int reason, __u64 ep, __u32 segs, __u32 hdrs)
{
	const struct jf_ifconf *out, *in;
	__u32 iif = skb->ingress_ifindex;

	out = jf_ifconf_of(skb->ifindex);
	if (!out)
		return;
	w->skip = 0;
	if (iif) {
		in = jf_ifconf_of(iif);
		if (in)
			w->skip = in->in_mask;
	}
	w->reason = reason;
	w->ep = ep;
	w->now = jf_now();
	w->frame_len = skb->len;
	w->egress = 1;
	w->gso_segs = segs;
	w->gso_hdrs = hdrs;
	w->octets = w->pkt.octets + (segs > 1 ? (__u64)(segs - 1) * hdrs : 0);
	jf_mon_walk_all(skb, w, out->out, out->n_out, 1);
}

SEC("tc")
int jflowd_tc_egress(struct __sk_buff *skb)
{
	const __u8 *data, *end;
	__u32 iif = skb->ingress_ifindex, cpu = 0, parity, segs = 0, hdrs = 0;
	__u64 ep, now, octets;
	struct jf_mon_walk w;
	__u32 mon = mon_single & (JF_MONITORS - 1);
	int reason;

	/* One monitor: what it counted at the ingress is not counted again
	 * (with several, per monitor: jf_tc_monitors). */
	if (!mon_by_iface && iif && bpf_map_lookup_elem(&ingress_metered, &iif))
		return TC_ACT_OK;
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
	if (!mon_by_iface && filter_on[mon] && !jf_filter_tc(skb, mon))
		goto out;
	if (!mon_by_iface && jf_mon_skip(mon, parity)) {
		jf_stat_mon(parity, mon, JF_PKT_NOT_SAMPLED, skb->len);
		goto out;
	}
	__builtin_memset(&w, 0, sizeof(w));
	w.pkt.tail_len = skb->len - (__u32)(end - data);	/* the skb's paged part */
	reason = jf_parse_eth(data, end, &w.pkt);
	octets = w.pkt.octets;
	if (reason == JF_PKT_OK) {
		w.pkt.key.ifindex = skb->ifindex;
		w.pkt.keep_frag_id = (__u8)keep_frag_id;
		w.pkt.key.flags |= JF_KEY_EGRESS;
		if (skb->vlan_present) {	/* tag still in the skb, not the frame */
			w.pkt.key.inner_vlan = w.pkt.key.vlan;
			w.pkt.key.vlan = skb->vlan_tci & 0x0fff;
		}
		segs = skb->gso_segs;
		if (segs > 1)
			hdrs = jf_tc_seg_hdrs(data, end);
	}
	if (mon_by_iface) {
		jf_tc_monitors(skb, &w, reason, ep, segs, hdrs);
		goto out;
	}
	if (reason == JF_PKT_OK) {
		now = jf_now();
		jf_mon_key(&w.pkt, mon, 1);
		if (parity) {
			reason = jf_flow_update(&flows_b, &spill, &w.pkt, now, ep);
			if (reason == JF_PKT_OK && segs > 1)
				jf_gso_add(&flows_b, &w.pkt, segs, hdrs);
		} else {
			reason = jf_flow_update(&flows_a, &spill, &w.pkt, now, ep);
			if (reason == JF_PKT_OK && segs > 1)
				jf_gso_add(&flows_a, &w.pkt, segs, hdrs);
		}
		if (reason == JF_PKT_OK && segs > 1)
			octets += (__u64)(segs - 1) * hdrs;
		jf_stat_mon(parity, mon, reason, octets);
	} else {
		jf_stat_mon(parity, mon, reason, octets ? octets : skb->len);
	}
	/* In a flow with what its frame holds: said beside the fate. */
	jf_mon_trimmed(parity, mon, reason, &w.pkt);
out:
	if (quiesce_seq)
		__sync_fetch_and_add(&cpu_seq[cpu].seq, 1);
	return TC_ACT_OK;
}

#endif
