/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps and globals of the XDP program. Sizes of the flow maps are set by the
 * agent before load (--max-flows); the rest is fixed here. */
#ifndef JFLOWD_BPF_MAPS_H
#define JFLOWD_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/monitor.h"
#include "jflowd/table.h"

/* Two flow maps, written alternately: epoch parity 0 -> flows_a. */
struct jf_flow_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct jf_key);
	__type(value, struct jf_counters);
};

struct jf_flow_map flows_a SEC(".maps");
struct jf_flow_map flows_b SEC(".maps");

/* The same two, by parity: the table's stash is found at run time, so the
 * table's code is there once for both parities (with a constant map per
 * call site, the verifier would walk the table's probe loop twice). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct jf_flow_map);
} flow_stashes SEC(".maps") = {
	.values = { [0] = &flows_a, [1] = &flows_b },
};

/* The persistent flow table (docs/scale.md): open addressing over slots of
 * two 64-byte lines, read by the agent in place through a mapping. A
 * table of n slots has 2n lines, the n hot lines (struct jf_slot) first,
 * then the n cold lines (struct jf_slot_cold; slot i's is line n + i), so
 * a probe walks packed hot lines. Used when the agent sets table_on before
 * load. Flows that find no slot within JF_TABLE_MAX_PROBE (the tail of
 * linear probing, about 0.1 % of flows at 2/3 load) go to the flow map of
 * the current epoch, which the agent drains as before: the stash.
 *
 * The table grows with its flows, and the program reads it inline all
 * the same: its lines are stored in segments, array maps of 2^table_seg_shift
 * lines each, all of one size. The verifier inlines a lookup into an
 * inner map whose size it knows at load (no BPF_F_INNER_MAP); into one of
 * any size it calls a function per probe step (about 3 % of a packet at
 * 1 M flows, docs/scale.md section 3). Line l of table t (0 or 1) is
 * element l & (2^shift - 1) of the segment in entry (l >> shift) * 2 + t
 * of flow_segs (jf_table_line). The agent makes the segments (a table of
 * any size is a whole number of them, the last one partly used), maps them
 * into one contiguous range, and puts them here before it points
 * table_sel at the table; table_sel & 1 is the table in use and, while
 * the agent moves the flows of the old table into a new one,
 * JF_TABLE_SEL_MOVING says the other is the old one (include/jflowd/table.h,
 * jf_table_count2). The segment size and the entries are set before load
 * (src/meter/table_segs.c). */
struct jf_table_seg {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 16);
	__type(key, __u32);
	/* A size, not a type: behind two pointers clang would give BTF
	 * only a forward declaration of the line. */
	__uint(value_size, sizeof(struct jf_slot));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct jf_table_seg);
} flow_segs SEC(".maps");

/* Packets and octets per epoch parity, monitor and reason (enum
 * jf_pkt_reason; JF_STAT_MON_IDX). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JF_STAT_MON_ENTRIES);
	__type(key, __u32);
	__type(value, struct jf_stat);
} stats SEC(".maps");

/* Packets whose flow did not fit the map. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} spill SEC(".maps");

/* Set by the agent before load. */
const volatile __u32 verdict = XDP_PASS;	/* XDP_DROP in mirror mode */
/* 0: the agent waits for an RCU grace period (membarrier) after an epoch
 * switch, which no XDP run can outlast: nothing to do here. 1: per-CPU
 * sequence counters (kernels without membarrier GLOBAL, e.g. nohz_full).
 * A constant: the verifier drops the branch not taken. */
const volatile __u32 quiesce_seq = 0;
/* 1: count into flow_table; 0: into the epoch maps flows_a/flows_b. */
const volatile __u32 table_on = 0;
/* Lines per segment of the table: 2^table_seg_shift, the size of every
 * map in flow_segs. */
const volatile __u32 table_seg_shift = 16;
/* Slots of each table (half its lines). Not a constant
 * to the verifier (.data): with a known small size it would follow every
 * probe path and exceed its limit. */
__u32 table_slots[2] = { 1, 1 };
/* Bit 0: the table in use; JF_TABLE_SEL_MOVING: the other one is the old
 * table, whose flows the agent is moving (hits only).
 * The agent writes table_slots before it points table_sel at a table. */
volatile __u32 table_sel;

/* Written by the agent through the mmapped .bss. */
volatile __u64 epoch;
/* 1: a monitor's record collects fragmentIdentification (IE 54): every
 * packet writes it to its slot's cold line (jf_pkt.keep_frag_id). */
volatile __u32 keep_frag_id;
/* 1 in N per monitor and epoch parity, [monitor * 2 + parity] (0 or 1:
 * every packet). Not a constant: a reload changes it at run time. The
 * agent writes the rate of the next epoch before flipping to it, so each
 * flow map holds packets of one rate. */
volatile __u32 sample_rate[2 * JF_MONITORS];
/* Monitors (include/jflowd/monitor.h). 0: every packet goes to monitor
 * mon_single alone (one monitor: no per-interface lookup); 1: to the
 * monitors ifconf lists for its interface and direction. */
volatile __u32 mon_by_iface;
volatile __u32 mon_single;
/* A monitor whose record is coarser than the packet's key: its masks.
 * The large arrays live in sections of their own (.data.mon, .data.seq:
 * maps of their own), so that the few words every packet reads (epoch,
 * table_sel, sampling, the clock) lie within 200 bytes of .bss. */
volatile __u8 mon_mask_on[JF_MONITORS];
struct jf_mon_mask mon_mask[JF_MONITORS] SEC(".data.mon");
/* The monitors of each interface by ifindex, and of larger ifindexes. */
struct jf_ifconf ifconf[JF_IFCONF_SLOTS] SEC(".data.mon");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct jf_ifconf);
} ifconf_big SEC(".maps");
/* The program's clock: CLOCK_MONOTONIC ns = jiffies * jiffy_ns +
 * clock_off_ns. bpf_jiffies64() is a plain load of `jiffies` once the
 * verifier inlines it (64-bit JITs): about 1 ns a packet, against 20 for
 * bpf_ktime_get_coarse_ns and 34 for bpf_ktime_get_ns. The resolution is a
 * tick (1-10 ms), that of the exports. The agent measures the tick and the
 * offset (src/bpf_clock.c) and checks the offset at every drain; jiffy_ns
 * 0: not measured, the program reads bpf_ktime_get_ns. */
const volatile __u64 jiffy_ns = 0;
/* One aligned 64-bit word: the agent's store of a corrected offset is
 * never seen half done. */
volatile __u64 clock_off_ns;
struct jf_cpu_seq cpu_seq[JF_MAX_CPUS] SEC(".data.seq");
__u64 no_cpu_slot_packets;			/* CPUs beyond JF_MAX_CPUS */

/* Now, for first-seen and last-seen times (table, stash, per-interval
 * maps, spill records, TC egress). */
static __always_inline __u64 jf_now(void)
{
	if (!jiffy_ns)
		return bpf_ktime_get_ns();
	return bpf_jiffies64() * jiffy_ns + clock_off_ns;
}

#endif
