/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Aggregation in the agent, at export: flow records merged into one
 * record per key of a coarser record definition (src/flow/records.h),
 * for a monitor whose record the meter cannot key by itself (a lookup's
 * answer in its key, or in its fields over a coarser key) or that asks
 * for it (aggregation = agent). An aggregate leaves on the monitor's
 * timeouts: idle since its last flow, active since its first. */
#ifndef JFLOWD_AGGREGATE_H
#define JFLOWD_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include "flow/flow_cache.h"
#include "flow/records.h"

struct jf_aggregate;

struct jf_agg_params {
	const struct jf_record_def *record;
	uint32_t unmet;			/* needs the monitor does not meet */
	uint32_t idle_ms, active_ms;
	uint32_t max;			/* aggregates held at once; beyond, the
					 * least recently updated leaves early
					 * (flowEndReason 5) */
};

/* NULL: out of memory. Aggregates go to emit (the record valid during the
 * call only). */
struct jf_aggregate *jf_agg_new(const struct jf_agg_params *p, jf_emit_fn emit, void *arg);
void jf_agg_free(struct jf_aggregate *a);

/* New timeouts (the record stays: a new record is a new aggregate). */
void jf_agg_set_timeouts(struct jf_aggregate *a, uint32_t idle_ms, uint32_t active_ms);

/* Merge one flow record at time now_ms (monotonic). */
void jf_agg_add(struct jf_aggregate *a, const struct jf_record *r, uint64_t now_ms);

/* Export the aggregates whose timeout passed; how many. */
size_t jf_agg_expire(struct jf_aggregate *a, uint64_t now_ms);

/* Export every aggregate with reason why; how many. */
size_t jf_agg_flush(struct jf_aggregate *a, enum jf_end_reason why);

/* The aggregates' figures, as a cache's: held now (flows, packets,
 * octets), records and packets that left, by end reason. */
void jf_agg_get_stats(const struct jf_aggregate *a, struct jf_cache_stats *st);

/* Every aggregate held: its key (masked to the record's) and its
 * counters so far. */
void jf_agg_foreach(const struct jf_aggregate *a, jf_visit_fn visit, void *arg);

/* Bytes held. */
size_t jf_agg_bytes(const struct jf_aggregate *a);

/* The key a record is aggregated by under d: the key masked to d's, the
 * lookup answers d keys by, every other field zero (exposed for tests). */
void jf_agg_key_of(const struct jf_record_def *d, const struct jf_key masks[2][2],
		   const struct jf_record *r, struct jf_record *key);

#endif
