/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The forwarding lookup of router mode: asks the kernel (rtnetlink
 * RTM_GETROUTE) what it does with a flow when the flow first enters the
 * agent's cache, and watches route and rule changes so that a cached answer
 * never outlives the route it came from. */
#ifndef JFLOWD_ROUTE_H
#define JFLOWD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "service/config.h"
#include "flow/flow_cache.h"
#include "flow/record.h"

struct jf_router;

struct jf_router_stats {
	uint64_t lookups;	/* flows looked up */
	uint64_t cache_hits;	/* answered from the cache */
	uint64_t queries;	/* RTM_GETROUTE requests sent */
	uint64_t invalidations;	/* route or rule changes seen */
};

/* Open the request and event sockets. NULL with a reason in err. */
struct jf_router *jf_router_new(char *err, size_t errlen);
void jf_router_free(struct jf_router *r);

/* What the kernel does with the flow of key: output interface, next hop
 * (0 when directly connected), prefix lengths and forwarding status.
 * An ingress flow is looked up as its packets arrive (input route with
 * iif, source, ToS, protocol and ports); an egress flow (JF_KEY_EGRESS) as
 * the router sends it (output route). Returns 0 or -errno; on error out is
 * zeroed (forwarding status unknown). */
int jf_router_lookup(struct jf_router *r, const struct jf_key *key, struct jf_route *out);

/* The interface the router sends to addr from (family 4 or 6; addr in
 * network order), 0 when it has no route; cached per address until a
 * route, rule, address or link changes. 0 or -errno. */
int jf_router_oif(struct jf_router *r, int family, const uint32_t *addr, uint32_t *oif);

/* The same as a flow cache hook (jf_route_fn). */
void jf_router_route_fn(const struct jf_key *key, struct jf_route *out, void *arg);

/* Read pending route and rule change events; any change empties the
 * cache. Called before each lookup served from the cache. */
void jf_router_poll_events(struct jf_router *r);

void jf_router_get_stats(const struct jf_router *r, struct jf_router_stats *st);

/* Whether IP forwarding is on for ifname (IPv4 or IPv6): router mode
 * follows from it when not asked for explicitly. */
bool jf_router_forwarding(const char *ifname);

/* What router mode is told: the metered interfaces and --route-lookup. */
struct jf_router_params {
	const char *ifaces[JF_MAX_IFACES];
	int n_ifaces;
	enum jf_route_lookup lookup;
};

/* Router mode for a live run: per p->lookup (auto: when forwarding is on
 * for a metered interface) open a router and hook it into the cache. *out
 * stays NULL when off. Returns 0 or -errno (err filled). */
int jf_router_setup(const struct jf_router_params *p, struct jf_flow_cache *cache,
		    struct jf_router **out, char *err, size_t errlen);

#endif
