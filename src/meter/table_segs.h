/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The flow table's memory: segments, array maps of 2^shift 64-byte lines
 * each, all of one size, entered in the program's flow_segs and mapped
 * side by side into one range, so the agent reads a table of any size as
 * one array while the program reads it with inlined lookups (bpf/maps.h).
 * Table tab (0 or 1) puts its segment i in entry i * 2 + tab. */
#ifndef JFLOWD_TABLE_SEGS_H
#define JFLOWD_TABLE_SEGS_H

#include <stddef.h>
#include <stdint.h>
#include "jflowd/table.h"

struct bpf_map;

/* flow_segs as the agent fills it: per table number (column), how many
 * of its entries hold a map. */
struct jf_table_segs {
	int fd;			/* flow_segs */
	uint32_t shift;		/* segments of 2^shift lines */
	uint32_t used[2];
};

/* A table's memory: nseg segments mapped at mem, the table's 2n lines
 * from the start (the last segment's tail unused). */
struct jf_table_mem {
	struct jf_slot *mem;	/* NULL: none */
	size_t len;		/* bytes mapped: nseg segments */
	uint32_t nseg;
	uint32_t tab;
	int fd0;		/* the first segment's descriptor, kept for its
				 * kernel account (fdinfo's memlock) and for
				 * jf_table_mem_unmap */
};

/* The segment size (as a shift) for tables of at least min_slots slots:
 * the smallest table's lines when that is a power of two (the sizes the
 * table grows through are then whole segments), else a quarter of them
 * or less (the unused tail of a last segment is less than a quarter of
 * the table); never more than 2^17 lines (8 MiB), so that the largest
 * table's last segment wastes little. */
uint32_t jf_table_seg_shift(uint32_t min_slots);

/* Segments a table of nslots slots (2 * nslots lines) takes. */
uint32_t jf_table_segs_for(uint32_t nslots, uint32_t shift);

/* Before the program's load: the segments' size (flow_segs' inner map)
 * and room in flow_segs for two tables of up to max_slots slots. A
 * descriptor to close once the program is loaded (the inner map's model,
 * a segment; CAP_BPF), or -errno. */
int jf_table_segs_prepare(struct bpf_map *flow_segs, uint32_t shift, uint32_t max_slots);

/* One segment: an array map of 2^shift lines. A descriptor, or -errno.
 * Needs CAP_BPF. */
int jf_table_seg_create(uint32_t shift);

/* n segments: 0 with *fds a malloc'ed array of n descriptors (the
 * caller's), or -errno with none made. CAP_BPF. */
int jf_table_segs_create(uint32_t shift, uint32_t n, int **fds);

/* Close fds[0 .. n) (negative entries skipped). */
void jf_table_segs_close(int *fds, uint32_t n);

/* Map the segments fds[0 .. jf_table_segs_for(nslots)) side by side and
 * enter them into flow_segs as table tab, in one batch (one grace period:
 * the kernel waits for running programs after each update of a map of
 * maps, not after each element of a batch). The descriptors are closed
 * either way but the first, kept in tm (the mapping and flow_segs hold
 * the maps; no table costs a descriptor a segment). 0, or -errno with
 * nothing mapped. */
int jf_table_mem_map(struct jf_table_segs *sg, uint32_t tab, uint32_t nslots, int *fds,
		     struct jf_table_mem *tm);

/* jf_table_seg_create and jf_table_mem_map in one (CAP_BPF). */
int jf_table_mem_make(struct jf_table_segs *sg, uint32_t tab, uint32_t nslots,
		      struct jf_table_mem *tm);

/* Unmap table tm, which no run of the program reads any more. With live
 * (the table in use), tm's entries in flow_segs are pointed at live's
 * first segment in one batch, so tm's maps go now (entries cannot be
 * deleted in a batch, and each deletion waits a grace period); without,
 * flow_segs is left alone (it goes with the program). */
void jf_table_mem_unmap(struct jf_table_segs *sg, struct jf_table_mem *tm,
			const struct jf_table_mem *live);

#endif
