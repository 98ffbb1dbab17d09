/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Monitors in the programs: per monitor, its sampling, its key mask and
 * its counters (include/jflowd/monitor.h). With one monitor (the usual
 * case, and the command line's) a packet takes the path it took before
 * monitors, plus the monitor's mask if it has one; with several, the
 * interface's monitors are walked in a bounded loop, each counting the
 * packet into its own flow through one global function (verified once). */
#ifndef JFLOWD_BPF_MONITORS_H
#define JFLOWD_BPF_MONITORS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/monitor.h"
#include "maps.h"
#include "flow_update.h"
#include "table_update.h"
#include "filter.h"

static __always_inline void jf_stat_mon(__u32 parity, __u32 mon, __u32 reason, __u64 octets)
{
	__u32 idx = JF_STAT_MON_IDX(parity, mon & (JF_MONITORS - 1), reason);
	struct jf_stat *st;

	st = bpf_map_lookup_elem(&stats, &idx);
	if (st) {
		st->packets++;	/* per CPU: no other writer */
		st->octets += octets;
	}
}

/* A packet in a flow with what its frame holds, though its IP header
 * claimed more: said beside its fate, with the octets claimed beyond. */
static __always_inline void jf_mon_trimmed(__u32 parity, __u32 mon, int reason,
					   const struct jf_pkt *p)
{
	if (p->trimmed && (reason == JF_PKT_OK || reason == JF_PKT_SPILLED))
		jf_stat_mon(parity, mon, JF_STAT_TRIMMED, p->claimed - p->octets);
}

/* The monitors of ifindex (NULL: none). */
static __always_inline const struct jf_ifconf *jf_ifconf_of(__u32 ifindex)
{
	if (ifindex < JF_IFCONF_SLOTS)
		return &ifconf[ifindex];
	return bpf_map_lookup_elem(&ifconf_big, &ifindex);
}

/* Whether monitor mon samples this packet out (1 in N). */
static __always_inline int jf_mon_skip(__u32 mon, __u32 parity)
{
	__u32 rate = sample_rate[(mon & (JF_MONITORS - 1)) * 2 + (parity & 1)];

	return rate > 1 && bpf_get_prandom_u32() % rate;
}

/* p's key as monitor mon keeps it (egress: metered on the way out). */
static __always_inline void jf_mon_key(struct jf_pkt *p, __u32 mon, int egress)
{
	mon &= JF_MONITORS - 1;
	if (mon_mask_on[mon])
		jf_key_mask_apply(&p->key,
				  &mon_mask[mon].m[p->key.family == JF_FAMILY_IPV6][egress ? 1 : 0]);
	jf_key_set_monitor(&p->key, mon);
}

/* A monitor's copy of the packet (its key masked), per CPU: the count's
 * frame and the walk's (the program's) would not fit the stack's 512
 * bytes together with the table's probe. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jf_pkt);
} mon_pkt SEC(".maps");

/* One packet parsed, walked over its interface's monitors. */
struct jf_mon_walk {
	struct jf_pkt pkt;	/* the parse's result */
	__u64 ep;		/* epoch (parity: ep & 1) */
	__u64 now;
	__u64 octets;		/* TC: stats octets of one counted packet */
	__u32 frame_len;	/* octets of what is not IP */
	__s32 reason;		/* the parse's */
	__u32 gso_segs, gso_hdrs;	/* TC: a GSO packet's segments */
	__u16 skip;		/* TC: monitors that counted it at its ingress */
	__u8 egress;		/* TC: per-interval maps, GSO segments */
	__u8 n;
	__u8 mons[JF_MON_PER_IF];
};

/* GSO (TC egress): the rest of a super-packet's segments into its flow. */
static __always_inline void jf_gso_add(void *map, const struct jf_pkt *p, __u32 segs,
				       __u32 hdrs)
{
	struct jf_counters *c = bpf_map_lookup_elem(map, &p->key);

	if (!c)
		return;
	__sync_fetch_and_add(&c->packets, segs - 1);
	__sync_fetch_and_add(&c->octets, (__u64)(segs - 1) * hdrs);
}

/* w's packet for its i-th monitor, up to its own count: sampling, a
 * packet not IP, the monitor's key into p. The monitor, or -1 when the
 * packet is not counted into a flow. */
static __always_inline int jf_mon_prepare(struct jf_mon_walk *w, __u32 i, struct jf_pkt *p)
{
	__u32 mon, parity = w->ep & 1;

	mon = w->mons[i & (JF_MON_PER_IF - 1)] & (JF_MONITORS - 1);
	if ((w->skip >> mon) & 1)
		return -1;	/* counted at its ingress */
	if (jf_mon_skip(mon, parity)) {
		jf_stat_mon(parity, mon, JF_PKT_NOT_SAMPLED, w->frame_len);
		return -1;
	}
	if (w->reason != JF_PKT_OK) {
		jf_stat_mon(parity, mon, (__u32)w->reason,
			    w->pkt.octets ? w->pkt.octets : w->frame_len);
		return -1;
	}
	__builtin_memcpy(p, &w->pkt, sizeof(*p));
	jf_mon_key(p, mon, w->egress);
	return (int)mon;
}

/* XDP: w's packet for its i-th monitor, into the table (or the epoch maps
 * without one). A global function: the verifier checks it once per
 * program however many monitors call it (the table's probe loop is most
 * of the program); the monitor's copy of the packet is per CPU (mon_pkt).
 * The epoch's map is found at run time (the table's stash from
 * flow_stashes). */
__noinline int jf_mon_count_xdp(struct jf_mon_walk *w, __u32 i)
{
	__u32 zero = 0;
	struct jf_pkt *p = bpf_map_lookup_elem(&mon_pkt, &zero);
	void *map;
	int mon, reason;

	if (!w || !p)
		return 0;
	mon = jf_mon_prepare(w, i, p);
	if (mon < 0)
		return 0;
	if (table_on) {
		reason = jf_table_update(table_slots, table_sel, cpu_seq, &flow_stashes,
					 &spill, p, w->now, w->ep);
	} else {
		map = w->ep & 1 ? (void *)&flows_b : (void *)&flows_a;
		reason = jf_flow_update(map, &spill, p, w->now, w->ep);
	}
	jf_stat_mon(w->ep & 1, (__u32)mon, (__u32)reason, p->octets);
	jf_mon_trimmed(w->ep & 1, (__u32)mon, reason, p);
	return 0;
}

/* TC egress: the per-interval maps, with a GSO packet's other segments
 * (its own global function: the TC program has no table path). */
__noinline int jf_mon_count_tc(struct jf_mon_walk *w, __u32 i)
{
	__u32 zero = 0;
	struct jf_pkt *p = bpf_map_lookup_elem(&mon_pkt, &zero);
	void *map;
	int mon, reason;

	if (!w || !p)
		return 0;
	mon = jf_mon_prepare(w, i, p);
	if (mon < 0)
		return 0;
	map = w->ep & 1 ? (void *)&flows_b : (void *)&flows_a;
	reason = jf_flow_update(map, &spill, p, w->now, w->ep);
	if (reason == JF_PKT_OK && w->gso_segs > 1)
		jf_gso_add(map, p, w->gso_segs, w->gso_hdrs);
	jf_stat_mon(w->ep & 1, (__u32)mon, (__u32)reason,
		    reason == JF_PKT_OK ? w->octets : p->octets);
	jf_mon_trimmed(w->ep & 1, (__u32)mon, reason, p);
	return 0;
}

/* w (parsed, with its epoch, time and lengths) for the monitors of one
 * interface and direction. */
static __always_inline void jf_mon_walk_all(void *ctx, struct jf_mon_walk *w, const __u8 *mons,
					    __u32 n, const int egress)
{
	__u32 i;

	for (i = 0; i < JF_MON_PER_IF; i++)
		w->mons[i] = mons[i];
	w->n = (__u8)(n < JF_MON_PER_IF ? n : JF_MON_PER_IF);
	for (i = 0; i < JF_MON_PER_IF; i++) {
		__u32 mon = w->mons[i] & (JF_MONITORS - 1);

		if (i >= w->n)
			break;
		/* Its filter first (here: the stack of the count's frame and
		 * the filter's would not fit together); a packet it rejects
		 * is in no counter of the monitor. egress is a constant: each
		 * program calls its own. */
		if (filter_on[mon] && !(egress ? jf_filter_tc(ctx, mon) : jf_filter_xdp(ctx, mon)))
			continue;
		if (egress)
			jf_mon_count_tc(w, i);
		else
			jf_mon_count_xdp(w, i);
	}
}

#endif
