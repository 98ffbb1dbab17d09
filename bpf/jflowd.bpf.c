// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP meter: parse, sample, count into the flow map of the current
 * epoch, and pass (or, in mirror mode, drop) every packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"
#include "maps.h"
#include "flow_update.h"
#include "table_update.h"
#include "mirror_map.h"
#include "monitors.h"

/* The VLAN tag a NIC stripped (rx-vlan offload), from the driver. Weak: on
 * a kernel without it the object still loads, and so does the program that
 * does not call it; the device-bound one fails and the agent falls back. */
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/* Several monitors: the packet, parsed once into w (reason), counted for
 * each monitor of its interface, sampled by each. Inline: the walk's
 * frame and the callback's stay within the stack's 512 bytes. */
static __always_inline void jf_xdp_monitors(struct xdp_md *ctx, struct jf_mon_walk *w,
					    int reason, __u64 ep)
{
	const struct jf_ifconf *ic = jf_ifconf_of(ctx->ingress_ifindex);

	if (!ic)
		return;
	w->reason = reason;
	w->ep = ep;
	w->now = jf_now();
	w->octets = 0;
	w->frame_len = bpf_xdp_get_buff_len(ctx);
	w->egress = 0;
	w->gso_segs = 0;
	w->gso_hdrs = 0;
	w->skip = 0;
	jf_mon_walk_all(ctx, w, ic->in, ic->n_in, 0);
}

/* xdp.frags: multi-buffer aware, so native XDP attaches to jumbo-MTU links.
 * Headers are read from the first buffer; octets come from the IP header
 * (at most what the whole frame holds), or the whole frame's length where
 * there is none. hw_vlan is a constant
 * per program: the plain program has no trace of the kfunc, which the
 * verifier refuses in a program not bound to a device even on a dead
 * branch. */
static __always_inline int jf_xdp_meter(struct xdp_md *ctx, const int hw_vlan)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u32 cpu = 0;
	struct jf_mon_walk w;
	__u64 ep, now;
	__u32 parity, mon;
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

	/* One monitor: its filter, then its sampling, before anything else
	 * is read; a packet the filter rejects is in no counter. */
	mon = mon_single & (JF_MONITORS - 1);
	if (!mon_by_iface && filter_on[mon] && !jf_filter_xdp(ctx, mon))
		goto out;
	if (!mon_by_iface && jf_mon_skip(mon, parity)) {
		jf_stat_mon(parity, mon, JF_PKT_NOT_SAMPLED, bpf_xdp_get_buff_len(ctx));
		goto out;
	}

	/* The packet only: the walk's other fields are set by the walk. The
	 * frame's other buffers (xdp.frags): on the wire all the same. */
	__builtin_memset(&w.pkt, 0, sizeof(w.pkt));
	w.pkt.tail_len = (__u32)(bpf_xdp_get_buff_len(ctx) - (__u64)(end - data));
	/* Asked for every frame, not only untagged ones: the NIC strips the
	 * outer tag of a double-tagged frame and leaves the inner one inline. */
	if (hw_vlan && !bpf_xdp_metadata_rx_vlan_tag(ctx, &vlan_proto, &vlan_tci))
		reason = jf_parse_eth_hwtag(data, end, vlan_tci, &w.pkt);
	else
		reason = jf_parse_eth(data, end, &w.pkt);
	if (reason == JF_PKT_OK) {
		w.pkt.key.ifindex = ctx->ingress_ifindex;
		w.pkt.keep_frag_id = (__u8)keep_frag_id;
		/* The mirror mapping's output interface travels in the
		 * packet: table slots, stash and per-interval maps all keep
		 * it in their counters. */
		if (mirror_map_on)
			w.pkt.out_ifindex = jf_mirror_map(data, end, &w.pkt);
	}
	if (mon_by_iface) {
		jf_xdp_monitors(ctx, &w, reason, ep);
		goto out;
	}
	if (reason == JF_PKT_OK) {
		now = jf_now();
		jf_mon_key(&w.pkt, mon, 0);
		if (table_on) {
			/* One call site for both parities: the table's probe
			 * loop is most of what the verifier walks, and the
			 * stash (its epoch's map) is rarely needed. */
			reason = jf_table_update(table_slots, table_sel, cpu_seq,
						 &flow_stashes, &spill, &w.pkt, now, ep);
			jf_stat_mon(parity, mon, reason, w.pkt.octets);
			jf_mon_trimmed(parity, mon, reason, &w.pkt);
			goto out;
		}
		/* Two call sites, not a map pointer chosen at run time: with
		 * a constant map each, the verifier inlines the hash lookup. */
		if (parity)
			reason = jf_flow_update(&flows_b, &spill, &w.pkt, now, ep);
		else
			reason = jf_flow_update(&flows_a, &spill, &w.pkt, now, ep);
		jf_stat_mon(parity, mon, reason, w.pkt.octets);
	} else {
		jf_stat_mon(parity, mon, reason,
			    w.pkt.octets ? w.pkt.octets : bpf_xdp_get_buff_len(ctx));
	}
	/* In a flow with what its frame holds: said beside the fate. */
	jf_mon_trimmed(parity, mon, reason, &w.pkt);
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
