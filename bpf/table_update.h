/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counting one packet into the persistent flow table (include/jflowd/table.h,
 * bpf/maps.h): the table's code on the program's side, its lines read
 * through the segment maps of flow_segs. */
#ifndef JFLOWD_BPF_TABLE_UPDATE_H
#define JFLOWD_BPF_TABLE_UPDATE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"
#include "flow_update.h"

/* Line `line` of table tab (0 or 1): element line & mask of the segment in
 * entry (line >> shift) * 2 + tab of flow_segs. Both lookups are inlined
 * by the verifier (the segments' size is the inner map's, known at load):
 * a load from flow_segs' array of map pointers, then an index into the
 * segment, no function call. NULL past the table (never for a line the
 * caller computed from table_slots). */
static __always_inline void *jf_table_line(__u32 tab, __u32 line)
{
	__u32 seg = (line >> table_seg_shift) << 1 | tab;
	__u32 off = line & ((1u << table_seg_shift) - 1);
	void *m = bpf_map_lookup_elem(&flow_segs, &seg);

	return m ? bpf_map_lookup_elem(m, &off) : NULL;
}

/* A table is named by its number; slot idx's hot line is line idx, its
 * cold line line n + idx. */
#define JF_TABLE_CTX __u32
#define JF_TABLE_SLOT(tab, idx) ((struct jf_slot *)jf_table_line((tab), (idx)))
#define JF_TABLE_COLD(tab, n, idx) ((struct jf_slot_cold *)jf_table_line((tab), (n) + (idx)))
#include "jflowd/table.h"

/* Count one packet into the persistent table (the one sel names, and
 * while the agent moves flows out of the old one, that one for hits); a
 * flow with no slot within the probe limit goes to the stash, then the
 * spill ring. An insert is counted per CPU (the agent's live count
 * between passes). */
static __always_inline int jf_table_update(const __u32 *nslots, __u32 sel,
					   struct jf_cpu_seq *seq, void *stashes, void *ring,
					   const struct jf_pkt *p, __u64 now, __u64 ep)
{
	__u32 cur = sel & 1, cpu;
	int rc;

	/* Not nslots[cur]: cur comes back from the stack without its bounds. */
	rc = jf_table_count2(cur, cur ? nslots[1] : nslots[0], cur ^ 1, cur ? nslots[0] : nslots[1],
			     sel & JF_TABLE_SEL_MOVING, p, now);
	if (rc < 0)
		return jf_stash_update(stashes, ring, p, now, ep);
	if (rc > 0) {
		cpu = bpf_get_smp_processor_id();
		if (cpu < JF_MAX_CPUS)
			seq[cpu].inserts++;	/* this CPU's own line */
	}
	return JF_PKT_OK;
}

#endif
