/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The RIB a BMP feed describes: one table per peer and policy (Adj-RIB-In
 * pre- and post-policy, Loc-RIB) of each session, routes keyed by prefix,
 * attributes interned (a route is 16 bytes and an index). Bounded: past
 * max_bytes a new route is refused and counted, never a crash. Lookups
 * match the kernel's forwarding decision (docs/bgp.md). */
#ifndef JFLOWD_BGP_RIB_H
#define JFLOWD_BGP_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow/bmp_parse.h"

struct jf_rib;

/* What a table holds, by the per-peer header's type and L flag. */
enum jf_rib_kind {
	JF_RIB_PRE = 1,		/* Adj-RIB-In pre-policy */
	JF_RIB_POST = 2,	/* Adj-RIB-In post-policy */
	JF_RIB_LOC = 3,		/* Loc-RIB (RFC 9069) */
};

#define JF_RIB_MAX_TABLES 8192

struct jf_rib_table_info {
	struct jf_bmp_peer peer;
	uint32_t session;
	enum jf_rib_kind kind;
	bool shadowed;		/* a better table of the same peer or speaker
				 * answers instead (post over pre, Loc-RIB over both) */
	uint8_t eor;		/* End-of-RIB seen: bit 0 IPv4, bit 1 IPv6 */
	uint64_t routes;
	uint64_t refused;	/* routes not kept: the memory bound */
	uint64_t updates;	/* announcements and withdrawals applied */
	uint64_t up_ms;		/* wall clock of the peer up (or first route) */
	uint64_t last_update_ms;	/* of the last route change, 0: none */
};

/* max_bytes: the bound (0: none). NULL: out of memory. */
struct jf_rib *jf_rib_new(size_t max_bytes);
void jf_rib_free(struct jf_rib *r);

/* The table of (session, peer, kind), created if new (now_ms: its up
 * time). >= 0: its id; -ENOSPC beyond JF_RIB_MAX_TABLES, -ENOMEM. */
int jf_rib_table_open(struct jf_rib *r, uint32_t session, const struct jf_bmp_peer *peer,
		      enum jf_rib_kind kind, uint64_t now_ms);

/* Its id, or -ENOENT. */
int jf_rib_table_find(const struct jf_rib *r, uint32_t session, const struct jf_bmp_peer *peer,
		      enum jf_rib_kind kind);

/* Drop a table and every route in it (peer down). */
void jf_rib_table_close(struct jf_rib *r, int id);

/* Drop every table of a session (it ended). */
void jf_rib_session_close(struct jf_rib *r, uint32_t session);

/* Announce (replace) or withdraw a route of table id. Announce: 0, or
 * -ENOMEM at the bound (counted in the table's refused). Withdraw: 0 or
 * -ENOENT (not there: harmless). */
int jf_rib_announce(struct jf_rib *r, int id, const struct jf_bgp_prefix *pfx,
		    const struct jf_bgp_attrs *a, uint64_t now_ms);
int jf_rib_withdraw(struct jf_rib *r, int id, const struct jf_bgp_prefix *pfx, uint64_t now_ms);
void jf_rib_end_of_rib(struct jf_rib *r, int id, int family);

/* The table's state; false when id is no table. */
bool jf_rib_table_get(const struct jf_rib *r, int id, struct jf_rib_table_info *out);
/* Ids of the tables in use, in order: the next after id (-1: the first);
 * -1 past the last. */
int jf_rib_table_next(const struct jf_rib *r, int id);

/* A lookup's answer: what the flow's record carries. */
struct jf_rib_answer {
	uint32_t origin_as;
	uint32_t first_as;
	uint32_t next_hop[4];	/* network order; the global one for IPv6 */
	uint8_t nh_family;
	bool nh_matched;	/* its next hop is the kernel's */
};

/* The route of addr (family 4 or 6, network order): with len >= 0 the
 * prefix of exactly that length (the kernel's), else the longest that
 * holds one. Among the prefix's routes, those whose next hop (global or
 * link-local) is kernel_nh (NULL or zero: no preference) first, then the
 * decision process. true with out filled, false: no route. */
bool jf_rib_lookup(const struct jf_rib *r, int family, const uint32_t addr[4], int len,
		   const uint32_t kernel_nh[4], struct jf_rib_answer *out);

struct jf_rib_stats {
	uint64_t routes;	/* in every table */
	uint64_t prefixes;	/* distinct prefixes */
	uint64_t attrs;		/* distinct interned attribute sets */
	uint64_t next_hops;	/* distinct next hops ever seen */
	uint64_t bytes;		/* memory held */
	uint64_t max_bytes;
	uint64_t refused;	/* routes refused at the bound, since start */
};

void jf_rib_get_stats(const struct jf_rib *r, struct jf_rib_stats *st);
size_t jf_rib_bytes(const struct jf_rib *r);

#endif
