// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The BMP RIB: prefixes in an open-addressing hash (per family, with the
 * prefix lengths in use for longest match), each with a chain of routes
 * (table, path id, attribute index); attribute sets interned with a
 * reference count, next hops interned once in a pool. Arrays of indexes,
 * no pointers: 16 bytes a route, 24 a prefix, plus the hash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flow/bgp_rib.h"
#include "flow/nexthop_pool.h"

#define NONE UINT32_MAX
#define DEFAULT_LOCAL_PREF 100

struct route {
	uint32_t next;		/* in the prefix's chain, or the free list */
	uint32_t attr;
	uint32_t path_id;
	uint16_t table;
	uint16_t pad;
};

struct prefix {
	uint32_t addr[4];
	uint32_t head;		/* first route; NONE: free entry */
	uint8_t len;
	uint8_t family;		/* 0: free */
	uint16_t pad;
};

/* An interned attribute set: what the lookups and the decision need. */
struct attr {
	uint32_t nh, nh_ll;	/* next hop pool indexes */
	uint32_t origin_as, first_as;
	uint32_t local_pref, med;
	uint16_t path_len;
	uint8_t origin, flags;
	uint8_t nh_family;
	uint8_t pad[3];
	uint32_t refs;		/* routes using it; 0: free (next free in nh) */
};

/* An open-addressing index of entry numbers (+1; 0: empty). */
struct index {
	uint32_t *slot;
	uint32_t mask;
	uint32_t used;
};

struct table {
	struct jf_rib_table_info info;
	bool used;
};

struct jf_rib {
	struct prefix *pfx;
	uint32_t n_pfx, cap_pfx, free_pfx, live_pfx;
	struct route *rt;
	uint32_t n_rt, cap_rt, free_rt, live_rt;
	struct attr *at;
	uint32_t n_at, cap_at, free_at, live_at;
	struct index pfx_ix, at_ix;
	/* prefixes per family and length: the longest match probes only
	 * the lengths in use */
	uint32_t len_count[2][129];
	struct jf_nh_pool *nh;
	struct table *tables;
	int n_tables;		/* highest id in use + 1 */
	int cap_tables;
	size_t max_bytes;
	uint64_t refused;
};

/* --- hashing --- */

static uint32_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t pfx_hash(int family, int len, const uint32_t a[4])
{
	uint64_t h = (uint64_t)family << 8 | (uint64_t)len;

	h = h * 0x9e3779b97f4a7c15ull ^ a[0];
	if (family == 6) {
		h = h * 0x9e3779b97f4a7c15ull ^ a[1];
		h = h * 0x9e3779b97f4a7c15ull ^ a[2];
		h = h * 0x9e3779b97f4a7c15ull ^ a[3];
	}
	return mix(h);
}

static uint32_t attr_hash(const struct attr *a)
{
	uint64_t h = 0x243f6a8885a308d3ull;

	h = (h ^ a->nh) * 0x9e3779b97f4a7c15ull;
	h = (h ^ a->nh_ll) * 0x9e3779b97f4a7c15ull;
	h = (h ^ a->origin_as) * 0x9e3779b97f4a7c15ull;
	h = (h ^ a->first_as) * 0x9e3779b97f4a7c15ull;
	h = (h ^ a->local_pref) * 0x9e3779b97f4a7c15ull;
	h = (h ^ a->med) * 0x9e3779b97f4a7c15ull;
	h = (h ^ ((uint64_t)a->path_len << 24 | (uint64_t)a->origin << 16 |
		  (uint64_t)a->flags << 8 | a->nh_family)) * 0x9e3779b97f4a7c15ull;
	return mix(h);
}

static bool attr_same(const struct attr *a, const struct attr *b)
{
	return a->nh == b->nh && a->nh_ll == b->nh_ll && a->origin_as == b->origin_as &&
	       a->first_as == b->first_as && a->local_pref == b->local_pref && a->med == b->med &&
	       a->path_len == b->path_len && a->origin == b->origin && a->flags == b->flags &&
	       a->nh_family == b->nh_family;
}

/* --- memory --- */

size_t jf_rib_bytes(const struct jf_rib *r)
{
	return sizeof(*r) + (size_t)r->cap_pfx * sizeof(struct prefix) +
	       (size_t)r->cap_rt * sizeof(struct route) + (size_t)r->cap_at * sizeof(struct attr) +
	       ((size_t)r->pfx_ix.mask + 1) * 4 + ((size_t)r->at_ix.mask + 1) * 4 +
	       (size_t)r->cap_tables * sizeof(struct table) + jf_nh_pool_bytes(r->nh);
}

/* Whether growing by extra bytes stays within the bound. */
static bool room(const struct jf_rib *r, size_t extra)
{
	return !r->max_bytes || jf_rib_bytes(r) + extra <= r->max_bytes;
}

/* Grow an array of elem-byte entries to hold one more; 0 or -ENOMEM. */
static int grow(const struct jf_rib *r, void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap + *cap / 2 : 1024;
	if (ncap < *cap || ncap > (1u << 30))
		return -ENOMEM;
	if (!room(r, (size_t)(ncap - *cap) * elem))
		return -ENOMEM;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int index_init(struct index *ix, uint32_t size)
{
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot)
		return -ENOMEM;
	ix->mask = size - 1;
	ix->used = 0;
	return 0;
}

/* --- prefixes --- */

static uint32_t pfx_hash_of(const struct jf_rib *r, uint32_t e)
{
	const struct prefix *p = &r->pfx[e];

	return pfx_hash(p->family, p->len, p->addr);
}

static uint32_t attr_hash_of(const struct jf_rib *r, uint32_t e)
{
	return attr_hash(&r->at[e]);
}

/* Grow an index to twice its size when it would pass 3/4 full. */
static int index_reserve(struct jf_rib *r, struct index *ix,
			 uint32_t (*hash_of)(const struct jf_rib *, uint32_t))
{
	struct index n;
	uint32_t i, size = ix->mask + 1;

	if ((uint64_t)(ix->used + 1) * 4 <= (uint64_t)size * 3)
		return 0;
	if (size >= (1u << 31) || !room(r, (size_t)size * 2 * 4))
		return -ENOMEM;
	if (index_init(&n, size * 2))
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		uint32_t e = ix->slot[i], j;

		if (!e)
			continue;
		for (j = hash_of(r, e - 1) & n.mask; n.slot[j]; j = (j + 1) & n.mask)
			;
		n.slot[j] = e;
	}
	n.used = ix->used;
	free(ix->slot);
	*ix = n;
	return 0;
}

/* Remove slot j of a linear-probing index, shifting back what follows so
 * that no probe stops short (no tombstones). */
static void index_remove(struct jf_rib *r, struct index *ix, uint32_t j,
			 uint32_t (*hash_of)(const struct jf_rib *, uint32_t))
{
	uint32_t k = j;

	ix->slot[j] = 0;
	ix->used--;
	for (;;) {
		uint32_t home;

		k = (k + 1) & ix->mask;
		if (!ix->slot[k])
			return;
		home = hash_of(r, ix->slot[k] - 1) & ix->mask;
		/* Move k into the hole j if its home is not in (j, k]. */
		if ((j < k) ? (home <= j || home > k) : (home <= j && home > k)) {
			ix->slot[j] = ix->slot[k];
			ix->slot[k] = 0;
			j = k;
		}
	}
}

/* The index slot of a prefix, or of the empty slot where it would go. */
static uint32_t pfx_slot(const struct jf_rib *r, int family, int len, const uint32_t a[4])
{
	uint32_t j, e, words = family == 6 ? 4 : 1;

	for (j = pfx_hash(family, len, a) & r->pfx_ix.mask; (e = r->pfx_ix.slot[j]);
	     j = (j + 1) & r->pfx_ix.mask) {
		const struct prefix *p = &r->pfx[e - 1];

		if (p->family == family && p->len == len &&
		    !memcmp(p->addr, a, words * sizeof(uint32_t)))
			return j;
	}
	return j;
}

static uint32_t pfx_find(const struct jf_rib *r, int family, int len, const uint32_t a[4])
{
	uint32_t e = r->pfx_ix.slot[pfx_slot(r, family, len, a)];

	return e ? e - 1 : NONE;
}

static int fam_ix(int family)
{
	return family == 6;
}

static int pfx_get(struct jf_rib *r, const struct jf_bgp_prefix *p, uint32_t *out)
{
	uint32_t e, j;
	struct prefix *n;

	e = pfx_find(r, p->family, p->len, p->addr);
	if (e != NONE) {
		*out = e;
		return 0;
	}
	if (index_reserve(r, &r->pfx_ix, pfx_hash_of))
		return -ENOMEM;
	if (r->free_pfx != NONE) {
		e = r->free_pfx;
		r->free_pfx = r->pfx[e].head;
	} else {
		if (grow(r, (void **)&r->pfx, &r->cap_pfx, r->n_pfx, sizeof(*r->pfx)))
			return -ENOMEM;
		e = r->n_pfx++;
	}
	n = &r->pfx[e];
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, p->addr, p->family == 6 ? 16 : 4);
	n->len = p->len;
	n->family = p->family;
	n->head = NONE;
	j = pfx_slot(r, p->family, p->len, p->addr);
	r->pfx_ix.slot[j] = e + 1;
	r->pfx_ix.used++;
	r->len_count[fam_ix(p->family)][p->len]++;
	r->live_pfx++;
	*out = e;
	return 0;
}

static void pfx_put(struct jf_rib *r, uint32_t e)
{
	struct prefix *p = &r->pfx[e];

	index_remove(r, &r->pfx_ix, pfx_slot(r, p->family, p->len, p->addr), pfx_hash_of);
	r->len_count[fam_ix(p->family)][p->len]--;
	p->family = 0;
	p->head = r->free_pfx;
	r->free_pfx = e;
	r->live_pfx--;
}

/* --- attributes --- */

static int attr_get(struct jf_rib *r, const struct jf_bgp_attrs *in, uint32_t *out)
{
	struct attr a;
	uint32_t j, e, nh[4] = { 0 };

	memset(&a, 0, sizeof(a));
	memcpy(nh, in->nh, sizeof(nh));
	if (jf_nh_pool_intern(r->nh, nh, &a.nh) || jf_nh_pool_intern(r->nh, in->nh_ll, &a.nh_ll))
		return -ENOMEM;
	a.origin_as = in->origin_as;
	a.first_as = in->first_as;
	a.local_pref = (in->flags & JF_BGP_HAS_LOCAL_PREF) ? in->local_pref : 0;
	a.med = (in->flags & JF_BGP_HAS_MED) ? in->med : 0;
	a.path_len = in->path_len;
	a.origin = in->origin;
	a.flags = in->flags;
	a.nh_family = in->nh_family;
	for (j = attr_hash(&a) & r->at_ix.mask; (e = r->at_ix.slot[j]); j = (j + 1) & r->at_ix.mask) {
		if (attr_same(&r->at[e - 1], &a)) {
			r->at[e - 1].refs++;
			*out = e - 1;
			return 0;
		}
	}
	if (index_reserve(r, &r->at_ix, attr_hash_of))
		return -ENOMEM;
	if (r->free_at != NONE) {
		e = r->free_at;
		r->free_at = r->at[e].nh;
	} else {
		if (grow(r, (void **)&r->at, &r->cap_at, r->n_at, sizeof(*r->at)))
			return -ENOMEM;
		e = r->n_at++;
	}
	a.refs = 1;
	r->at[e] = a;
	for (j = attr_hash(&a) & r->at_ix.mask; r->at_ix.slot[j]; j = (j + 1) & r->at_ix.mask)
		;
	r->at_ix.slot[j] = e + 1;
	r->at_ix.used++;
	r->live_at++;
	*out = e;
	return 0;
}

static void attr_put(struct jf_rib *r, uint32_t e)
{
	struct attr *a = &r->at[e];
	uint32_t j;

	if (--a->refs)
		return;
	for (j = attr_hash(a) & r->at_ix.mask; r->at_ix.slot[j] != e + 1;
	     j = (j + 1) & r->at_ix.mask)
		;
	index_remove(r, &r->at_ix, j, attr_hash_of);
	a->nh = r->free_at;
	r->free_at = e;
	r->live_at--;
}

/* --- tables --- */

struct jf_rib *jf_rib_new(size_t max_bytes)
{
	struct jf_rib *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->free_pfx = r->free_rt = r->free_at = NONE;
	r->max_bytes = max_bytes;
	r->nh = jf_nh_pool_new();
	if (!r->nh || index_init(&r->pfx_ix, 1024) || index_init(&r->at_ix, 1024)) {
		jf_rib_free(r);
		return NULL;
	}
	return r;
}

void jf_rib_free(struct jf_rib *r)
{
	if (!r)
		return;
	free(r->pfx);
	free(r->rt);
	free(r->at);
	free(r->pfx_ix.slot);
	free(r->at_ix.slot);
	free(r->tables);
	jf_nh_pool_free(r->nh);
	free(r);
}

static bool same_peer(const struct jf_bmp_peer *a, const struct jf_bmp_peer *b)
{
	return a->type == b->type && a->v6 == b->v6 && a->rd == b->rd &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Which tables answer: per session, a Loc-RIB hides the Adj-RIBs-In; per
 * peer, post-policy hides pre-policy. */
static void reshadow(struct jf_rib *r)
{
	int i, j;

	for (i = 0; i < r->n_tables; i++) {
		struct jf_rib_table_info *t = &r->tables[i].info;

		if (!r->tables[i].used)
			continue;
		t->shadowed = false;
		for (j = 0; j < r->n_tables && !t->shadowed; j++) {
			const struct jf_rib_table_info *o = &r->tables[j].info;

			if (!r->tables[j].used || j == i || o->session != t->session)
				continue;
			if (o->kind == JF_RIB_LOC && t->kind != JF_RIB_LOC)
				t->shadowed = true;
			else if (o->kind == JF_RIB_POST && t->kind == JF_RIB_PRE &&
				 same_peer(&o->peer, &t->peer))
				t->shadowed = true;
		}
	}
}

int jf_rib_table_find(const struct jf_rib *r, uint32_t session, const struct jf_bmp_peer *peer,
		      enum jf_rib_kind kind)
{
	int i;

	for (i = 0; i < r->n_tables; i++) {
		const struct table *t = &r->tables[i];

		if (t->used && t->info.session == session && t->info.kind == kind &&
		    same_peer(&t->info.peer, peer))
			return i;
	}
	return -ENOENT;
}

int jf_rib_table_open(struct jf_rib *r, uint32_t session, const struct jf_bmp_peer *peer,
		      enum jf_rib_kind kind, uint64_t now_ms)
{
	int i = jf_rib_table_find(r, session, peer, kind);
	struct table *t;

	if (i >= 0) {
		r->tables[i].info.peer = *peer;	/* AS and id may have changed */
		return i;
	}
	for (i = 0; i < r->cap_tables && r->tables[i].used; i++)
		;
	if (i == r->cap_tables) {
		int cap = r->cap_tables ? 2 * r->cap_tables : 16;
		struct table *n;

		if (i >= JF_RIB_MAX_TABLES)
			return -ENOSPC;
		if (cap > JF_RIB_MAX_TABLES)
			cap = JF_RIB_MAX_TABLES;
		n = realloc(r->tables, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + r->cap_tables, 0, (size_t)(cap - r->cap_tables) * sizeof(*n));
		r->tables = n;
		r->cap_tables = cap;
	}
	t = &r->tables[i];
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->info.peer = *peer;
	t->info.session = session;
	t->info.kind = kind;
	t->info.up_ms = now_ms;
	if (i >= r->n_tables)
		r->n_tables = i + 1;
	reshadow(r);
	return i;
}

static void route_free(struct jf_rib *r, uint32_t ri)
{
	attr_put(r, r->rt[ri].attr);
	r->rt[ri].next = r->free_rt;
	r->free_rt = ri;
	r->live_rt--;
}

void jf_rib_table_close(struct jf_rib *r, int id)
{
	uint32_t e;

	if (id < 0 || id >= r->n_tables || !r->tables[id].used)
		return;
	/* Every prefix: the table's routes out of each chain. */
	for (e = 0; e < r->n_pfx && r->tables[id].info.routes; e++) {
		struct prefix *p = &r->pfx[e];
		uint32_t *link, ri;

		if (!p->family)
			continue;
		for (link = &p->head; (ri = *link) != NONE;) {
			if (r->rt[ri].table == id) {
				*link = r->rt[ri].next;
				route_free(r, ri);
				r->tables[id].info.routes--;
			} else {
				link = &r->rt[ri].next;
			}
		}
		if (p->head == NONE)
			pfx_put(r, e);
	}
	r->tables[id].used = false;
	while (r->n_tables && !r->tables[r->n_tables - 1].used)
		r->n_tables--;
	reshadow(r);
}

void jf_rib_session_close(struct jf_rib *r, uint32_t session)
{
	int i;

	for (i = 0; i < r->n_tables; i++)
		if (r->tables[i].used && r->tables[i].info.session == session)
			jf_rib_table_close(r, i);
}

bool jf_rib_table_get(const struct jf_rib *r, int id, struct jf_rib_table_info *out)
{
	if (id < 0 || id >= r->n_tables || !r->tables[id].used)
		return false;
	*out = r->tables[id].info;
	return true;
}

int jf_rib_table_next(const struct jf_rib *r, int id)
{
	for (id++; id < r->n_tables; id++)
		if (r->tables[id].used)
			return id;
	return -1;
}

void jf_rib_end_of_rib(struct jf_rib *r, int id, int family)
{
	if (id >= 0 && id < r->n_tables && r->tables[id].used)
		r->tables[id].info.eor |= family == 6 ? 2 : 1;
}

/* --- routes --- */

static bool valid_prefix(const struct jf_bgp_prefix *p)
{
	return (p->family == 4 && p->len <= 32) || (p->family == 6 && p->len <= 128);
}

int jf_rib_announce(struct jf_rib *r, int id, const struct jf_bgp_prefix *pfx,
		    const struct jf_bgp_attrs *a, uint64_t now_ms)
{
	struct jf_rib_table_info *t;
	uint32_t e, ri, at;
	struct prefix *p;

	if (id < 0 || id >= r->n_tables || !r->tables[id].used || !valid_prefix(pfx))
		return -EINVAL;
	t = &r->tables[id].info;
	if (!room(r, 0) || pfx_get(r, pfx, &e) || attr_get(r, a, &at)) {
		/* A prefix entry made for it and left empty goes again. */
		e = pfx_find(r, pfx->family, pfx->len, pfx->addr);
		if (e != NONE && r->pfx[e].head == NONE)
			pfx_put(r, e);
		t->refused++;
		r->refused++;
		return -ENOMEM;
	}
	p = &r->pfx[e];
	t->updates++;
	t->last_update_ms = now_ms;
	for (ri = p->head; ri != NONE; ri = r->rt[ri].next) {
		if (r->rt[ri].table == id && r->rt[ri].path_id == pfx->path_id) {
			attr_put(r, r->rt[ri].attr);	/* an implicit withdrawal */
			r->rt[ri].attr = at;
			return 0;
		}
	}
	if (r->free_rt != NONE) {
		ri = r->free_rt;
		r->free_rt = r->rt[ri].next;
	} else {
		if (grow(r, (void **)&r->rt, &r->cap_rt, r->n_rt, sizeof(*r->rt))) {
			attr_put(r, at);
			if (p->head == NONE)
				pfx_put(r, e);
			t->refused++;
			r->refused++;
			return -ENOMEM;
		}
		ri = r->n_rt++;
		p = &r->pfx[e];
	}
	r->rt[ri].attr = at;
	r->rt[ri].path_id = pfx->path_id;
	r->rt[ri].table = (uint16_t)id;
	r->rt[ri].pad = 0;
	r->rt[ri].next = p->head;
	p->head = ri;
	r->live_rt++;
	t->routes++;
	return 0;
}

int jf_rib_withdraw(struct jf_rib *r, int id, const struct jf_bgp_prefix *pfx, uint64_t now_ms)
{
	uint32_t e, *link, ri;
	struct jf_rib_table_info *t;

	if (id < 0 || id >= r->n_tables || !r->tables[id].used || !valid_prefix(pfx))
		return -EINVAL;
	t = &r->tables[id].info;
	e = pfx_find(r, pfx->family, pfx->len, pfx->addr);
	if (e == NONE)
		return -ENOENT;
	for (link = &r->pfx[e].head; (ri = *link) != NONE; link = &r->rt[ri].next) {
		if (r->rt[ri].table == id && r->rt[ri].path_id == pfx->path_id) {
			*link = r->rt[ri].next;
			route_free(r, ri);
			t->routes--;
			t->updates++;
			t->last_update_ms = now_ms;
			if (r->pfx[e].head == NONE)
				pfx_put(r, e);
			return 0;
		}
	}
	return -ENOENT;
}

/* --- lookups --- */

static void mask_addr(int family, const uint32_t in[4], int len, uint32_t out[4])
{
	int words = family == 6 ? 4 : 1, i;

	memset(out, 0, 16);
	for (i = 0; i < words; i++) {
		int bits = len - 32 * i;
		uint32_t m;

		if (bits <= 0)
			break;
		m = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
		/* in[] is network order: mask in that order. */
		out[i] = in[i] & __builtin_bswap32(m);
	}
}

static bool nh_is(const struct jf_rib *r, uint32_t idx, const uint32_t nh[4])
{
	return idx && !memcmp(jf_nh_pool_get(r->nh, idx), nh, 16);
}

/* -1: route a is better than b, 1: b is, by the decision process on what
 * BMP says (RFC 4271 9.1.2.2; docs/bgp.md). */
static int better(const struct jf_rib *r, uint32_t ra, uint32_t rb)
{
	const struct attr *a = &r->at[r->rt[ra].attr], *b = &r->at[r->rt[rb].attr];
	const struct jf_rib_table_info *ta = &r->tables[r->rt[ra].table].info;
	const struct jf_rib_table_info *tb = &r->tables[r->rt[rb].table].info;
	uint32_t lpa = a->flags & JF_BGP_HAS_LOCAL_PREF ? a->local_pref : DEFAULT_LOCAL_PREF;
	uint32_t lpb = b->flags & JF_BGP_HAS_LOCAL_PREF ? b->local_pref : DEFAULT_LOCAL_PREF;
	int c;

	if (ta->kind != tb->kind)
		return ta->kind > tb->kind ? -1 : 1;
	if (lpa != lpb)
		return lpa > lpb ? -1 : 1;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	if (a->first_as == b->first_as && a->med != b->med)
		return a->med < b->med ? -1 : 1;
	c = memcmp(&ta->peer.bgp_id, &tb->peer.bgp_id, 4);
	if (c)
		return c < 0 ? -1 : 1;
	c = memcmp(ta->peer.addr, tb->peer.addr, 16);
	if (c)
		return c < 0 ? -1 : 1;
	if (r->rt[ra].path_id != r->rt[rb].path_id)
		return r->rt[ra].path_id < r->rt[rb].path_id ? -1 : 1;
	return r->rt[ra].table < r->rt[rb].table ? -1 : 1;
}

/* The route that answers for prefix entry e, or NONE. */
static uint32_t choose(const struct jf_rib *r, uint32_t e, const uint32_t *knh, bool *matched)
{
	uint32_t ri, best = NONE;
	bool best_match = false, want = knh && (knh[0] | knh[1] | knh[2] | knh[3]);

	for (ri = r->pfx[e].head; ri != NONE; ri = r->rt[ri].next) {
		const struct attr *a = &r->at[r->rt[ri].attr];
		bool match;

		if (r->tables[r->rt[ri].table].info.shadowed)
			continue;
		match = want && (nh_is(r, a->nh, knh) || nh_is(r, a->nh_ll, knh));
		if (best == NONE || (match && !best_match) ||
		    (match == best_match && better(r, ri, best) < 0)) {
			best = ri;
			best_match = match;
		}
	}
	*matched = best_match;
	return best;
}

bool jf_rib_lookup(const struct jf_rib *r, int family, const uint32_t addr[4], int len,
		   const uint32_t kernel_nh[4], struct jf_rib_answer *out)
{
	int fi = fam_ix(family), max = family == 6 ? 128 : 32, l;
	uint32_t m[4], e = NONE, ri = NONE;
	const struct attr *a;
	bool matched = false;

	if (family != 4 && family != 6)
		return false;
	if (len > max)
		return false;
	if (len >= 0) {
		if (r->len_count[fi][len]) {
			mask_addr(family, addr, len, m);
			e = pfx_find(r, family, len, m);
		}
		if (e != NONE)
			ri = choose(r, e, kernel_nh, &matched);
	} else {
		for (l = max; l >= 0 && ri == NONE; l--) {
			if (!r->len_count[fi][l])
				continue;
			mask_addr(family, addr, l, m);
			e = pfx_find(r, family, l, m);
			if (e != NONE)
				ri = choose(r, e, kernel_nh, &matched);
		}
	}
	if (ri == NONE)
		return false;
	a = &r->at[r->rt[ri].attr];
	memset(out, 0, sizeof(*out));
	out->origin_as = a->origin_as;
	out->first_as = a->first_as;
	out->nh_family = a->nh_family;
	out->nh_matched = matched;
	memcpy(out->next_hop, jf_nh_pool_get(r->nh, a->nh ? a->nh : a->nh_ll), 16);
	return true;
}

void jf_rib_get_stats(const struct jf_rib *r, struct jf_rib_stats *st)
{
	st->routes = r->live_rt;
	st->prefixes = r->live_pfx;
	st->attrs = r->live_at;
	st->next_hops = jf_nh_pool_count(r->nh) - 1;
	st->bytes = jf_rib_bytes(r);
	st->max_bytes = r->max_bytes;
	st->refused = r->refused;
}
