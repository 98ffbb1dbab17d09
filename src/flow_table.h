/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's side of the persistent kernel flow table: reads the slots in
 * place (through one mapping of the BPF array, or any memory in tests),
 * hands out counter deltas against a per-slot shadow, and removes idle
 * slots without losing a packet: mark, wait a grace period, read, free. */
#ifndef JFLOWD_FLOW_TABLE_H
#define JFLOWD_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jflowd/table.h"

struct jf_table;

/* What a slot gained since it was last read. Counters are deltas; times,
 * flags, TTL range and flow label are the slot's own (whole life). */
struct jf_table_delta {
	uint64_t packets;
	uint64_t octets;
	uint64_t first_ns;	/* CLOCK_MONOTONIC, as the program wrote it */
	uint64_t last_ns;
	uint32_t flow_label;
	uint8_t tcp_flags;
	uint8_t ttl_min;
	uint8_t ttl_max;
	bool final;		/* the slot was removed: its last delta */
};

/* Called for each slot with a non-empty delta; key and delta are only
 * valid during the call. */
typedef void (*jf_table_fn)(void *arg, uint32_t idx, const struct jf_key *key,
			    const struct jf_table_delta *d);

/* Waits until no CPU can still be adding to a slot it saw LIVE before the
 * call (src/epoch.c: an RCU grace period or the per-CPU sequences).
 * Returns 0 or -errno. */
typedef int (*jf_table_quiesce_fn)(void *arg);

struct jf_table_stats {
	uint64_t live;		/* live slots seen by the last scan */
	uint64_t removed;	/* slots removed, in total */
	uint64_t mark_lost;	/* marks that found the slot no longer LIVE */
};

/* A table over nslots slots at `slots` (owned by the caller: the mapping
 * of the BPF array). The shadow is allocated here. NULL: out of memory. */
struct jf_table *jf_table_new(struct jf_slot *slots, uint32_t nslots);
void jf_table_free(struct jf_table *t);

/* One pass in slot order: every live slot whose counters moved gets a
 * delta (and its shadow updated, its last change set to now_ms). Returns
 * the number of deltas handed out. */
size_t jf_table_scan(struct jf_table *t, uint64_t now_ms, jf_table_fn fn, void *arg);

/* Remove every live slot unchanged for idle_ms at now_ms (as of the last
 * scan): mark them all, wait once, hand out each one's final delta, free.
 * Returns the number removed, or -errno from quiesce (the marked slots are
 * then released on the next call: nothing adds to them meanwhile). */
long jf_table_expire_idle(struct jf_table *t, uint64_t now_ms, uint64_t idle_ms,
			  jf_table_quiesce_fn quiesce, void *qarg, jf_table_fn fn, void *arg);

/* Remove every live slot (shutdown, after the program is detached). */
long jf_table_remove_all(struct jf_table *t, jf_table_quiesce_fn quiesce, void *qarg,
			 jf_table_fn fn, void *arg);

void jf_table_get_stats(const struct jf_table *t, struct jf_table_stats *st);

/* The program's update, run by the agent on plain memory: for tests and
 * for replaying what the program does. Returns 0, or -ENOSPC when no slot
 * within JF_TABLE_MAX_PROBE had room. */
int jf_table_count(struct jf_table *t, const struct jf_pkt *p, uint64_t now_ns);

/* Slots for a flow capacity: 1.5 per flow keeps linear probing short (at
 * 2/3 load, about 0.1 % of flows need more than 32 probes: the stash). */
uint32_t jf_table_slots_for(uint32_t flows);

/* Default flow capacity with no sizing option: a 64th of the machine's
 * memory at about 260 bytes per flow (kernel table, stash and shadow),
 * clamped to [131072, 16777216]. */
uint32_t jf_table_default_flows(uint64_t mem_bytes);

#endif
