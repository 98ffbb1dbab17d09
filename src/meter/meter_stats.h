/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the meter (XDP or pcap) saw, by packet fate (enum jf_pkt_reason),
 * summed over CPUs and epochs; the left side of the lossless invariant. */
#ifndef JFLOWD_METER_STATS_H
#define JFLOWD_METER_STATS_H

#include <stdint.h>
#include "jflowd/flow.h"
#include "jflowd/monitor.h"

/* One monitor's share: a packet counts once per monitor that covers its
 * interface and direction. */
struct jf_mon_meter_stats {
	uint64_t packets[JF_PKT_REASON_MAX];
	uint64_t octets[JF_PKT_REASON_MAX];
	uint64_t capture_drops;
};

struct jf_meter_stats {
	/* Sums over the monitors (one monitor: its own). */
	uint64_t packets[JF_PKT_REASON_MAX];
	uint64_t octets[JF_PKT_REASON_MAX];
	uint64_t capture_drops;		/* pcap: dropped by the kernel before us */
	struct jf_mon_meter_stats mon[JF_MONITORS];
	uint64_t spill_merged;		/* spilled packets merged into the cache */
	uint64_t spill_mismatch;	/* spill counter vs ring records: must stay 0 */
	/* XDP: packets[JF_PKT_OK] is what the agent read from the stash maps
	 * and the table; the program's own count, harvested per epoch parity,
	 * is here. At stop both must agree. */
	uint64_t counted_packets, counted_octets;
	uint64_t count_mismatch;	/* they did not: a bug if not 0 */
	/* Beside the fates: packets whose IP header claimed more than their
	 * frame holds (counted in flows with what it holds), and the octets
	 * claimed beyond it. */
	uint64_t trimmed_packets, trimmed_octets;
	uint64_t drains;		/* epoch switches */
	uint64_t drained_flows;		/* map entries and table deltas merged */
	uint64_t table_live;		/* XDP: live slots of the flow table */
	uint64_t table_removed;		/* XDP: slots removed (mark, wait, read, free) */
	uint64_t table_bytes;		/* XDP: agent memory for the table's shadow */
	uint64_t table_slots;		/* XDP: slots of the flow table now (it grows) */
	uint64_t table_moves;		/* XDP: times the table grew (its flows moved) */
	uint64_t table_move_unplaced;	/* XDP: flows a move had no room for (exported) */
	uint64_t table_read_ns;		/* XDP: CPU time spent reading the table
					 * (deltas into the cache, removals) */
	uint64_t files_read_packets;	/* -r: packets read from the file */
	uint64_t cpu_packets[JF_MAX_CPUS];	/* XDP: frames seen per CPU */
	int ncpus;
};

/* n packets (octets) of monitor mon to reason r: its share and the sum. */
static inline void jf_meter_count(struct jf_meter_stats *st, uint32_t mon, int r, uint64_t n,
				  uint64_t octets)
{
	mon &= JF_MONITORS - 1;
	st->mon[mon].packets[r] += n;
	st->mon[mon].octets[r] += octets;
	st->packets[r] += n;
	st->octets[r] += octets;
}

/* Reasons that are losses of IP traffic (IE 164/165); non-IP frames and
 * sampling are not. */
static inline int jf_reason_is_ignored(int r)
{
	return r >= JF_PKT_TRUNC_L2 && r < JF_PKT_REASON_MAX;
}

static inline const char *jf_reason_name(int r)
{
	static const char *const names[JF_PKT_REASON_MAX] = {
		[JF_PKT_OK] = "ok",
		[JF_PKT_SPILLED] = "spilled",
		[JF_PKT_NOT_SAMPLED] = "not_sampled",
		[JF_PKT_NON_IP] = "non_ip",
		[JF_PKT_TRUNC_L2] = "truncated_l2",
		[JF_PKT_TRUNC_L3] = "truncated_l3",
		[JF_PKT_TRUNC_L4] = "truncated_l4",
		[JF_PKT_BAD_L3] = "bad_l3",
		[JF_PKT_DEEP_STACK] = "deep_stack",
		[JF_PKT_MAP_FULL] = "map_full",
		[JF_PKT_NO_CPU_SLOT] = "no_cpu_slot",
		[JF_PKT_NOT_ATTACHED] = "not_attached",
	};
	return r >= 0 && r < JF_PKT_REASON_MAX ? names[r] : "?";
}

#endif
