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
 * two 64-byte lines, read by the agent in place through a mapping. The
 * elements are lines: a table of n slots has 2n elements, the n hot lines
 * (struct jf_slot) first, then the n cold lines (struct jf_slot_cold;
 * slot i's is element n + i), so a probe walks packed hot lines. Used when
 * the agent sets table_on before load; two elements (one slot) otherwise.
 * Flows that find no slot within JF_TABLE_MAX_PROBE (the tail of linear
 * probing, about 0.1 % of flows at 2/3 load) go to the flow map of the
 * current epoch, which the agent drains as before: the stash.
 *
 * The table grows with its flows: the program reaches it through
 * flow_tables, whose entry table_sel & 1 is the table in use; flow_table is
 * the first (sized at load), later ones the agent creates at run time, each
 * larger (BPF_F_INNER_MAP: inner maps of any size). While the agent moves
 * the flows of the old table into a new one, JF_TABLE_SEL_MOVING is set and
 * the other entry is the old table (include/jflowd/table.h,
 * jf_table_count2). */
struct jf_table_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct jf_slot);
};

struct jf_table_map flow_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct jf_table_map);
} flow_tables SEC(".maps") = {
	.values = { [0] = &flow_table },
};

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
/* Slots of each table of flow_tables (half its elements). Not a constant
 * to the verifier (.data): with a known small size it would follow every
 * probe path and exceed its limit. */
__u32 table_slots[2] = { 1, 1 };
/* Bit 0: the entry of flow_tables in use; JF_TABLE_SEL_MOVING: the other
 * entry is the old table, whose flows the agent is moving (hits only).
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
