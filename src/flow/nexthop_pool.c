// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Next-hop addresses interned to 32-bit indexes (open addressing over the
 * entry indexes, at most half full). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flow/nexthop_pool.h"

struct nh_addr {
	uint32_t a[4];
};

struct jf_nh_pool {
	struct nh_addr *addr;	/* by index; addr[0] is all zero */
	uint32_t count, cap;
	uint32_t *index;	/* entry index + 1, 0: empty */
	uint32_t index_mask;
};

static uint32_t nh_hash(const uint32_t a[4])
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	int i;

	for (i = 0; i < 4; i++) {
		h ^= a[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static int index_build(struct jf_nh_pool *p, uint32_t size)
{
	uint32_t *ix = calloc(size, sizeof(*ix)), i, j;

	if (!ix)
		return -ENOMEM;
	for (i = 0; i < p->count; i++) {
		for (j = nh_hash(p->addr[i].a) & (size - 1); ix[j]; j = (j + 1) & (size - 1))
			;
		ix[j] = i + 1;
	}
	free(p->index);
	p->index = ix;
	p->index_mask = size - 1;
	return 0;
}

struct jf_nh_pool *jf_nh_pool_new(void)
{
	struct jf_nh_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cap = 16;
	p->addr = calloc(p->cap, sizeof(*p->addr));
	p->count = 1;	/* the zero address */
	if (!p->addr || index_build(p, 32)) {
		jf_nh_pool_free(p);
		return NULL;
	}
	return p;
}

void jf_nh_pool_free(struct jf_nh_pool *p)
{
	if (!p)
		return;
	free(p->addr);
	free(p->index);
	free(p);
}

int jf_nh_pool_intern(struct jf_nh_pool *p, const uint32_t addr[4], uint32_t *idx)
{
	uint32_t j, e;

	*idx = 0;
	if (!(addr[0] | addr[1] | addr[2] | addr[3]))
		return 0;
	for (j = nh_hash(addr) & p->index_mask; (e = p->index[j]); j = (j + 1) & p->index_mask) {
		if (!memcmp(p->addr[e - 1].a, addr, sizeof(p->addr[0].a))) {
			*idx = e - 1;
			return 0;
		}
	}
	if (p->count == UINT32_MAX)
		return -ENOMEM;
	if (p->count == p->cap) {
		struct nh_addr *n = realloc(p->addr, (size_t)p->cap * 2 * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->addr = n;
		p->cap *= 2;
	}
	/* At most half full: probes stay short. */
	if ((uint64_t)(p->count + 1) * 2 > (uint64_t)p->index_mask + 1) {
		if (index_build(p, (p->index_mask + 1) * 2))
			return -ENOMEM;
		for (j = nh_hash(addr) & p->index_mask; p->index[j]; j = (j + 1) & p->index_mask)
			;
	}
	memcpy(p->addr[p->count].a, addr, sizeof(p->addr[0].a));
	p->index[j] = p->count + 1;
	*idx = p->count++;
	return 0;
}

const uint32_t *jf_nh_pool_get(const struct jf_nh_pool *p, uint32_t idx)
{
	return p->addr[idx < p->count ? idx : 0].a;
}

uint32_t jf_nh_pool_count(const struct jf_nh_pool *p)
{
	return p->count;
}

size_t jf_nh_pool_bytes(const struct jf_nh_pool *p)
{
	return (size_t)p->cap * sizeof(*p->addr) + ((size_t)p->index_mask + 1) * sizeof(*p->index);
}
