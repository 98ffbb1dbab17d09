/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's flow cache: merges packet and map deltas, owns timestamps and
 * expiry. Expiry costs O(expired flows): flows sit on time-ordered lists
 * (idle: least recently updated first; active: oldest first; FIN/RST:
 * first closed first), so a tick only looks at list heads. */
#ifndef JFLOWD_FLOW_CACHE_H
#define JFLOWD_FLOW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/record.h"

struct jf_flow_cache;

struct jf_cache_params {
	uint32_t max_flows;
	uint32_t idle_ms;
	uint32_t active_ms;
	uint32_t fin_ms;	/* linger after FIN/RST */
	bool prefault;		/* fault all slots in at creation (live: no page
				 * faults in the middle of a drain) */
};

/* Receives each expired flow; the record is only valid during the call. */
typedef void (*jf_emit_fn)(const struct jf_record *rec, void *arg);

struct jf_flow_cache *jf_cache_new(const struct jf_cache_params *p,
				   jf_emit_fn emit, void *arg);
void jf_cache_free(struct jf_flow_cache *c);

/* Called once when a flow enters the cache: fills what the router does
 * with it (the forwarding lookup), kept with the flow until it expires. */
typedef void (*jf_route_fn)(const struct jf_key *key, struct jf_route *out, void *arg);
int jf_cache_set_route_fn(struct jf_flow_cache *c, jf_route_fn fn, void *arg);

/* The per-flow lookups beyond the route (src/flow/enrich.h): asked when a
 * flow enters, again at each jf_cache_expire while they have not
 * answered; answers kept per slot (e NULL or with no part: none). The XDP
 * meter's table takes the same set (jf_cache_get_enrich). 0 or -ENOMEM. */
struct jf_enrich;
int jf_cache_set_enrich(struct jf_flow_cache *c, struct jf_enrich *e);
struct jf_enrich *jf_cache_get_enrich(const struct jf_flow_cache *c);

/* Where the cache's flows go and router mode's lookup (NULL: none): the
 * XDP meter's table expires its own flows and hands them to the same. */
void jf_cache_get_hooks(const struct jf_flow_cache *c, jf_emit_fn *emit, void **emit_arg,
			jf_route_fn *route, void **route_arg);

/* Merge a delta at cache time now_ms. A full cache first expires its least
 * recently updated flow (flowEndReason 5). */
void jf_cache_update(struct jf_flow_cache *c, const struct jf_key *key,
		     const struct jf_flow *u, uint64_t now_ms);

/* The same for n deltas at once (a drained batch): lookups are pipelined
 * with prefetches, so the cache misses of one overlap the work of others. */
void jf_cache_update_batch(struct jf_flow_cache *c, const struct jf_key *keys,
			   const struct jf_flow *u, size_t n, uint64_t now_ms);

/* One delta at a time, in order, with the lookups of later ones under way
 * (a replay expires flows between packets, so it cannot hand over a batch).
 * Prefetch what the update of a key with this hash (jf_flow_hash) will
 * touch, stage by stage, each a few deltas before the next: its bucket,
 * then the slot the bucket points to, then the next slot in the chain if
 * that one holds another flow, else its idle-list neighbours. Prefetching
 * changes nothing but timing. */
enum { JF_PF_BUCKET, JF_PF_SLOT, JF_PF_NEIGHBOURS };
void jf_cache_prefetch(const struct jf_flow_cache *c, uint32_t hash, int stage);
void jf_cache_update_hashed(struct jf_flow_cache *c, const struct jf_key *key,
			    const struct jf_flow *u, uint64_t now_ms, uint32_t hash);

/* Expire every flow whose idle, active or FIN timeout has passed at now_ms.
 * Returns the number of flows expired. */
size_t jf_cache_expire(struct jf_flow_cache *c, uint64_t now_ms);

/* Expire every flow with the given reason (shutdown, end of file). */
size_t jf_cache_flush(struct jf_flow_cache *c, enum jf_end_reason reason);

/* The same for the flows of the monitors in mons (bit k: the monitor of
 * index k in the key, include/jflowd/monitor.h). */
size_t jf_cache_flush_monitors(struct jf_flow_cache *c, uint16_t mons,
			       enum jf_end_reason reason);

/* Reload: new timeouts for every flow, those in the cache included. */
void jf_cache_set_timeouts(struct jf_flow_cache *c, uint32_t idle_ms, uint32_t active_ms,
			   uint32_t fin_ms);
/* ... for the flows of one monitor. */
void jf_cache_set_monitor_timeouts(struct jf_flow_cache *c, uint32_t mon, uint32_t idle_ms,
				   uint32_t active_ms, uint32_t fin_ms);

/* Visit the cache's flows in slot order, in steps (jflowctl flows):
 * from *cursor (0 at first), at most max slots; *cursor moves on.
 * Returns true once every slot was visited. Between steps flows come and
 * go: a flow that lives through the whole listing is visited once, one
 * created or expired meanwhile at most once per slot it held. */
typedef void (*jf_visit_fn)(const struct jf_key *key, const struct jf_flow *f, void *arg);
bool jf_cache_foreach_from(const struct jf_flow_cache *c, uint64_t *cursor, size_t max,
			   jf_visit_fn visit, void *arg);

struct jf_cache_stats {
	uint64_t flows;		/* in the cache now */
	uint64_t packets;	/* packets in those flows */
	uint64_t octets;
	uint64_t created;	/* flows ever created */
	uint64_t expired[JF_END_RESOURCES + 1];	/* by flowEndReason */
	uint64_t exported_packets;	/* packets in expired flows */
	uint64_t exported_octets;
	uint64_t expire_checks;	/* list heads examined by jf_cache_expire */
};

/* The figures of every flow, and of one monitor's. */
void jf_cache_get_stats(const struct jf_flow_cache *c, struct jf_cache_stats *st);
void jf_cache_get_monitor_stats(const struct jf_flow_cache *c, uint32_t mon,
				struct jf_cache_stats *st);
void jf_cache_stats_add(struct jf_cache_stats *to, const struct jf_cache_stats *from);
/* Records by end reason, every monitor. */
uint64_t jf_cache_expired(const struct jf_flow_cache *c, enum jf_end_reason why);

/* Bytes of memory per flow slot (for the documentation and metrics). */
size_t jf_cache_bytes_per_flow(void);

/* The same for this cache: with the route answers when it keeps them. */
size_t jf_cache_slot_bytes(const struct jf_flow_cache *c);

#endif
