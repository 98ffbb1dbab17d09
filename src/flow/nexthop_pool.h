/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Next-hop addresses interned to 32-bit indexes. A router has few next
 * hops (its neighbours) and a million flows: each flow's route answer keeps
 * an index into this pool instead of a 16-byte address. Entries are never
 * removed; the pool grows with the number of distinct next hops ever seen. */
#ifndef JFLOWD_NEXTHOP_POOL_H
#define JFLOWD_NEXTHOP_POOL_H

#include <stddef.h>
#include <stdint.h>

struct jf_nh_pool;

/* NULL: out of memory. */
struct jf_nh_pool *jf_nh_pool_new(void);
void jf_nh_pool_free(struct jf_nh_pool *p);

/* The index of addr (IPv4 in addr[0], network order, as in the route
 * answer), added if new. The all-zero address (a directly connected route)
 * is index 0, always. Returns -ENOMEM (the answer then keeps 0). */
int jf_nh_pool_intern(struct jf_nh_pool *p, const uint32_t addr[4], uint32_t *idx);

/* The address of an index jf_nh_pool_intern returned. */
const uint32_t *jf_nh_pool_get(const struct jf_nh_pool *p, uint32_t idx);

/* Distinct addresses held, the zero address included. */
uint32_t jf_nh_pool_count(const struct jf_nh_pool *p);

/* Memory held: addresses and the hash index. */
size_t jf_nh_pool_bytes(const struct jf_nh_pool *p);

#endif
