/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-flow lookups beyond the route: what a packet does not say (the BGP
 * route's AS numbers, the NAT translation), asked once per flow when it
 * enters the agent, never per packet. Each lookup is a part with one entry
 * point; the flow table and the keyed cache keep every part's answer beside
 * the flow's slot and know nothing of what it holds.
 *
 * A part that cannot answer yet (conntrack has not written the entry, the
 * BGP feed is not synced) is asked again at every drain until it answers
 * or the flow's first record leaves; that record asks one last time, and
 * whatever the part has filled by then (its zero answer at worst) is what
 * the flow's records carry from then on. */
#ifndef JFLOWD_ENRICH_H
#define JFLOWD_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/record.h"

#define JF_ENRICH_MAX_PARTS 4

struct jf_enrich_part {
	const char *name;		/* for logs and metrics: "bgp", "nat" */
	size_t info_bytes;		/* its answer for one flow */
	/* Answer for the flow of key into info (zeroed before the first
	 * call, kept between calls). route: router mode's answer for the
	 * flow, zero without router mode. true: answered, never asked
	 * again for this flow; false: ask again at the next drain. */
	bool (*lookup)(void *arg, const struct jf_key *key, const struct jf_route *route,
		       void *info);
	/* Write a flow's answer into one of its records (rec->key is the
	 * record's: for egress records the interfaces are already swapped). */
	void (*apply)(void *arg, const void *info, struct jf_record *rec);
	void *arg;
};

/* The parts a run uses. */
struct jf_enrich {
	struct jf_enrich_part part[JF_ENRICH_MAX_PARTS];
	size_t off[JF_ENRICH_MAX_PARTS];	/* of each part's answer in a flow's info */
	int n;
	size_t info_bytes;		/* one flow's info: a byte of state, then the answers */
	uint64_t lookups;		/* flows looked up (first asks) */
	uint64_t retries;		/* asks again of a part that had not answered */
	uint64_t unanswered;		/* flows whose first record left unanswered */
};

/* Empty set: no part, info_bytes 0 (nothing is kept per flow). */
void jf_enrich_init(struct jf_enrich *e);

/* Add a part; 0, or -ENOSPC beyond JF_ENRICH_MAX_PARTS. Parts are added at
 * start-up, before the table and the cache are bound to the set. */
int jf_enrich_add(struct jf_enrich *e, const struct jf_enrich_part *p);

/* Bytes kept per flow (0: no part, nothing to keep). */
static inline size_t jf_enrich_info_bytes(const struct jf_enrich *e)
{
	return e && e->n ? e->info_bytes : 0;
}

/* A flow enters: info (info_bytes, zeroed by the caller) is filled by every
 * part. Returns true when every part answered; false: call jf_enrich_retry
 * at the next drains. */
bool jf_enrich_first(struct jf_enrich *e, const struct jf_key *key,
		     const struct jf_route *route, void *info);

/* Ask again the parts that have not answered; true once all have. With
 * last set (the flow's first record is leaving) it is the last ask: the
 * answer is final whatever it is. */
bool jf_enrich_retry(struct jf_enrich *e, const struct jf_key *key,
		     const struct jf_route *route, void *info, bool last);

/* Whether some part of this flow's info has not answered yet. */
bool jf_enrich_pending(const struct jf_enrich *e, const void *info);

/* Fill rec's lookup fields from a flow's info. */
void jf_enrich_apply(const struct jf_enrich *e, const void *info, struct jf_record *rec);

#endif
