/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's side of the persistent kernel flow table: reads the slots in
 * place (through one mapping of the BPF array, or any memory in tests),
 * keeps per slot what a flow record needs (the shadow), expires the
 * table's flows itself (idle, active, FIN/RST) and hands their records to
 * the exporters, and removes slots without losing a packet: mark, wait a
 * grace period, read, free. No keyed lookup: everything is by slot index. */
#ifndef JFLOWD_FLOW_TABLE_H
#define JFLOWD_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jflowd/table.h"
#include "flow/flow_cache.h"

struct jf_table;

/* What a slot gained since it was last read. Counters are deltas; times,
 * flags, TTL range and flow label are the slot's own (whole life). */
struct jf_table_delta {
	uint64_t packets;
	uint64_t octets;
	uint64_t first_ns;	/* CLOCK_MONOTONIC, as the program wrote it */
	uint64_t last_ns;
	uint32_t flow_label;
	uint32_t out_ifindex;	/* mirror mapping: output interface, 0: none */
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
	uint64_t moved;		/* moves into a larger table (jf_table_move) */
	uint64_t move_failed;	/* moves given up after slots were marked */
	uint64_t move_unplaced;	/* flows a move found no room for within reach:
				 * exported early (lack of resources) */
};

/* A table over nslots slots at `slots` (owned by the caller: the mapping
 * of the BPF array), 2 * nslots lines: the hot lines, then the cold ones
 * (include/jflowd/table.h). The shadow is allocated here. NULL: out of memory.
 * The timeouts start at 15 s idle, 60 s active, 2 s FIN linger. */
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

/* Remove every live slot (shutdown, after the program is detached). With
 * fn NULL and an emit function set, each slot's flow leaves as a record
 * with flowEndReason forced. */
long jf_table_remove_all(struct jf_table *t, jf_table_quiesce_fn quiesce, void *qarg,
			 jf_table_fn fn, void *arg);

/* --- Expiry in the table: the flow records of the table's flows ---
 *
 * The agent's main use. Per slot the shadow keeps the counters last
 * exported, the low word of the packet counter last read (to see a
 * change), the record's start and last change in agent ms, the FIN/RST
 * linger start and a few flags: 40 bytes a slot. The record of a slot is
 * what its counters gained since the last export: the first record of a
 * flow starts at the slot's first packet; after an active-timeout export
 * the next record starts at the last packet time the first pass that saw
 * new packets read (the table keeps no first time per record: within one
 * drain interval of the true first packet, never before it). TCP flags,
 * TTL range, flow label and output interface are the slot's own. */

/* Where records go (the same function and argument the keyed cache
 * emits to), and router mode's lookup, called once when a pass first
 * sees a slot's flow, its answer kept per slot (allocated here, only
 * when route is set). 0 or -ENOMEM. */
int jf_table_set_export(struct jf_table *t, jf_emit_fn emit, void *emit_arg, jf_route_fn route,
			void *route_arg);

/* The per-flow lookups beyond the route (src/flow/enrich.h): asked when a
 * pass first sees a slot's flow, again at each pass while they have not
 * answered, their answers kept per slot (allocated here; e NULL or with no
 * part: none). 0 or -ENOMEM. */
struct jf_enrich;
int jf_table_set_enrich(struct jf_table *t, struct jf_enrich *e);

/* Every monitor's flows' timeouts, or one monitor's (the key's monitor
 * bits, include/jflowd/monitor.h). */
void jf_table_set_timeouts(struct jf_table *t, uint32_t idle_ms, uint32_t active_ms,
			   uint32_t fin_ms);
void jf_table_set_monitor_timeouts(struct jf_table *t, uint32_t mon, uint32_t idle_ms,
				   uint32_t active_ms, uint32_t fin_ms);

/* Under pressure (the table nearly full), flows idle for idle_ms leave
 * early with end reason lack of resources; 0: no pressure. */
void jf_table_set_emergency(struct jf_table *t, uint32_t idle_ms);

/* CLOCK_REALTIME minus CLOCK_MONOTONIC in ns: records carry Unix ms, the
 * program writes monotonic ns. */
void jf_table_set_clock(struct jf_table *t, int64_t mono_to_real_ns);

/* The pass, in slot order, at agent time now_ms (monotonic ms): reads
 * each live slot; FIN/RST flows past the linger and flows idle for the
 * idle timeout are removed (marked, one grace period per batch, read,
 * exported, freed); flows open for the active timeout export what they
 * gained and live on. Returns the number of slots whose counters moved,
 * or -errno from quiesce (the marked slots are then released on the next
 * call: nothing adds to them meanwhile). */
long jf_table_expire(struct jf_table *t, uint64_t now_ms, jf_table_quiesce_fn quiesce,
		     void *qarg);

/* Every flow leaves now with reason why (jflowctl expire, a new sampling
 * rate): what each slot gained since its last export; the slots stay,
 * what they count next forms new records. Returns the records. */
size_t jf_table_flush(struct jf_table *t, uint64_t now_ms, enum jf_end_reason why);
/* The same for the flows of the monitors in mons (bits). */
size_t jf_table_flush_monitors(struct jf_table *t, uint16_t mons, uint64_t now_ms,
			       enum jf_end_reason why);

/* A monitor removed by a reload: its slots go (mark, wait, read, free),
 * their records exported with flowEndReason forced. The number removed or
 * -errno from quiesce. */
long jf_table_remove_monitors(struct jf_table *t, uint16_t mons, uint64_t now_ms,
			      jf_table_quiesce_fn quiesce, void *qarg);

/* Add the table's flows to a cache's figures: flows with packets not yet
 * exported, those packets and octets (as of the last pass or flush),
 * records by end reason, packets and octets exported, flows created. */
void jf_table_add_flow_stats(const struct jf_table *t, struct jf_cache_stats *st);
/* ... of one monitor's flows. */
void jf_table_add_monitor_stats(const struct jf_table *t, uint32_t mon,
				struct jf_cache_stats *st);

/* Visit the flows with packets not yet exported (jflowctl flows), their
 * records so far, read now: in slot order from *cursor (0 at first), at
 * most max slots, *cursor moved on; true once every slot was visited. A
 * flow keeps its slot for its life, so one that lives through a listing
 * in steps is visited once. */
bool jf_table_foreach_from(const struct jf_table *t, uint64_t *cursor, size_t max,
			   jf_visit_fn visit, void *arg);

/* Agent memory of this table: the shadow, the removal batch and, in
 * router mode, the route answers. */
size_t jf_table_agent_bytes(const struct jf_table *t);

void jf_table_get_stats(const struct jf_table *t, struct jf_table_stats *st);

/* Growing (docs/scale.md, "Growing"): move every flow into a new, empty
 * table of nslots slots at mem (2 * nslots lines, mapped by the caller),
 * which then becomes the table. The caller has already pointed the
 * program at the new table with the old one still searched for hits
 * (jf_table_count2); this waits a grace period (no run inserts into the
 * old table after it), then per live slot: a copy in the new table
 * (published), the old slot marked; once per batch a grace period, then
 * the old slot's final counters are added to the copy and its shadow,
 * route answer and per-flow answers move along. A flow whose copy finds
 * no room leaves as a record (lack of resources). Nothing is lost or
 * counted twice. Afterwards the caller stops the program searching the
 * old table, waits a grace period and frees it. Returns 0, or -ENOMEM /
 * the wait's error before any slot was touched (the old table stays in
 * use), or the wait's error once slots were marked (move_failed). */
int jf_table_move(struct jf_table *t, struct jf_slot *mem, uint32_t nslots,
		  jf_table_quiesce_fn quiesce, void *qarg);

/* Slots of the table now. */
uint32_t jf_table_nslots(const struct jf_table *t);

/* The program's update, run by the agent on plain memory: for tests and
 * for replaying what the program does. Returns 0, or -ENOSPC when no slot
 * within JF_TABLE_MAX_PROBE had room. */
int jf_table_count(struct jf_table *t, const struct jf_pkt *p, uint64_t now_ns);

/* The program's update while the table grows (jf_table_count2: a hit
 * among old's live slots, else a hit or an insert in cur), on plain
 * memory; old NULL: cur alone.
 * Returns 0 (added), 1 (inserted) or -1 (no room: the stash). */
int jf_table_count_moving(struct jf_slot *cur, uint32_t ncur, struct jf_slot *old, uint32_t nold,
			  const struct jf_pkt *p, uint64_t now_ns);

/* Slots for a flow capacity: 1.5 per flow keeps linear probing short (at
 * 2/3 load, about 0.1 % of flows need more than 32 probes: the stash). */
uint32_t jf_table_slots_for(uint32_t flows);

/* Default flow capacity with no sizing option: a 64th of the machine's
 * memory at about 260 bytes per flow (kernel table, stash and shadow),
 * clamped to [131072, 16777216]. */
uint32_t jf_table_default_flows(uint64_t mem_bytes);

/* Agent memory per slot: the shadow (the removal batch is bounded, a few
 * hundred KiB whatever the table). */
size_t jf_table_shadow_bytes_per_slot(void);

/* Router mode's answers, per slot. */
size_t jf_table_route_bytes_per_slot(void);

/* The removal batch's memory (at most JF_TABLE_BATCH slots per grace
 * period, and in a move each one's copy). */
#define JF_TABLE_BATCH 65536u
size_t jf_table_batch_bytes(uint32_t nslots);

#endif
