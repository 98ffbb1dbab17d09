// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's flow cache: a chained hash table over a preallocated slot
 * array, with three time-ordered index lists for expiry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "clock.h"
#include "jflowd/monitor.h"
#include "jflowd/parse.h"
#include "jflowd/table.h"	/* jf_key_equal: the program's own compare */
#include "flow/enrich.h"
#include "flow/flow_cache.h"
#include "log.h"
#include "flow/flow_hash.h"

#define NIL UINT32_MAX

enum { L_IDLE = 0, L_ACTIVE, L_FIN, L_COUNT };

/* A packet that hits its flow touches two cache lines of its slot: the
 * first holds what the lookup compares (key and hash), the second what the
 * update writes. The idle list, which every packet moves its flow to the
 * tail of, links through a separate array of 8-byte entries: the flow's
 * neighbours and the list tail are read there (at 50,000 flows 400 KB, in
 * the L2 cache), not in three more random slots. What only flow creation
 * and expiry read (creation time, FIN time, the active and FIN lists)
 * lives in a third array. */
struct slot {
	struct jf_key key;
	uint32_t hash;
	/* second cache line */
	uint32_t chain;			/* next slot in the bucket, or NIL */
	uint8_t on_fin;
	uint8_t pending;		/* a per-flow lookup has not answered */
	uint8_t live;			/* holds a flow (jf_cache_foreach_from) */
	uint64_t updated_ms;		/* cache time of last update: idle timeout */
	struct jf_flow f;		/* the flow so far */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct slot) == 128, "slot: two cache lines");
_Static_assert(offsetof(struct slot, chain) == 64, "slot: lookup fields in the first line");

struct link {
	uint32_t prev, next;
};

struct cold {
	uint64_t created_ms;		/* cache time of creation: active timeout */
	uint64_t fin_at_ms;		/* cache time FIN/RST was first seen */
	struct link active, fin;
};

struct list {
	uint32_t head, tail;
};

/* Each monitor's flows (the key's monitor bits) have their own timeouts:
 * lists per monitor keep each in deadline order. */
struct timeouts {
	uint32_t idle_ms, active_ms, fin_ms;
};

struct jf_flow_cache {
	struct jf_cache_params p;
	jf_emit_fn emit;
	void *emit_arg;
	struct slot *slots;
	struct link *idle;		/* per slot: the idle list */
	struct cold *cold;		/* per slot */
	size_t slots_len, idle_len, cold_len;
	uint64_t next_due;		/* no list head is due before this */
	uint32_t *buckets;
	uint32_t mask;
	uint32_t free_head;		/* recycled slots chained through .chain */
	uint32_t next_unused;		/* slots never used start here */
	struct list lists[JF_MONITORS][L_COUNT];
	struct timeouts to[JF_MONITORS];
	uint16_t mon_used;		/* monitors that ever had a flow here */
	struct jf_cache_stats st[JF_MONITORS];	/* per monitor */
	double next_full_warn_s;	/* monotonic */
	jf_route_fn route_fn;		/* NULL: no forwarding lookup */
	void *route_arg;
	struct jf_route *routes;	/* per slot, beside the slots: only
					 * router mode pays for it */
	struct jf_enrich *enrich;	/* lookups beyond the route; NULL: none */
	uint8_t *info;			/* their answers, per slot */
	uint32_t *pending;		/* slots whose lookups have not answered */
	size_t n_pending, cap_pending;
};

size_t jf_cache_bytes_per_flow(void)
{
	/* A slot, its list links and times, its share of buckets (two per
	 * slot at most). */
	return sizeof(struct slot) + sizeof(struct link) + sizeof(struct cold) +
	       2 * sizeof(uint32_t);
}

size_t jf_cache_slot_bytes(const struct jf_flow_cache *c)
{
	return jf_cache_bytes_per_flow() + (c->routes ? sizeof(*c->routes) : 0) +
	       jf_enrich_info_bytes(c->enrich);
}

/* The links of slot i on list l. */
static struct link *lnk(struct jf_flow_cache *c, int l, uint32_t i)
{
	switch (l) {
	case L_IDLE:
		return &c->idle[i];
	case L_ACTIVE:
		return &c->cold[i].active;
	default:
		return &c->cold[i].fin;
	}
}

static uint32_t mon_of(const struct jf_flow_cache *c, uint32_t i)
{
	return jf_key_monitor(&c->slots[i].key);
}

static void list_push_tail(struct jf_flow_cache *c, int l, uint32_t i)
{
	struct list *li = &c->lists[mon_of(c, i)][l];
	struct link *k = lnk(c, l, i);

	k->prev = li->tail;
	k->next = NIL;
	if (li->tail != NIL) {
		lnk(c, l, li->tail)->next = i;
	} else {
		li->head = i;
		/* A new head: its deadline may be the earliest (a tail
		 * behind a head is never due before it). */
		c->next_due = 0;
	}
	li->tail = i;
}

static void list_remove(struct jf_flow_cache *c, int l, uint32_t i)
{
	struct list *li = &c->lists[mon_of(c, i)][l];
	struct link *k = lnk(c, l, i);
	uint32_t prev = k->prev, next = k->next;

	if (prev != NIL)
		lnk(c, l, prev)->next = next;
	else
		li->head = next;
	if (next != NIL)
		lnk(c, l, next)->prev = prev;
	else
		li->tail = prev;
}

/* Anonymous memory for n entries of size sz, zero. Huge pages where the
 * kernel gives them: slots are reached in random order, and with 4 KB
 * pages a replay of 50,000 flows took 3 ns more per packet (page faults
 * and TLB misses). */
static void *table_alloc(size_t n, size_t sz, bool prefault, size_t *len)
{
	void *p;

	*len = n * sz;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, *len, MADV_HUGEPAGE);	/* a hint: fine if refused */
	if (prefault && madvise(p, *len, MADV_POPULATE_WRITE)) {
		/* before Linux 5.14: touch every page */
		for (size_t off = 0; off < *len; off += 4096)
			((volatile char *)p)[off] = 0;
	}
	return p;
}

struct jf_flow_cache *jf_cache_new(const struct jf_cache_params *p,
				   jf_emit_fn emit, void *arg)
{
	struct jf_flow_cache *c;
	uint32_t nb = 1;

	if (!p->max_flows)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->p = *p;
	c->emit = emit;
	c->emit_arg = arg;
	while (nb < p->max_flows)
		nb <<= 1;
	c->mask = nb - 1;
	c->slots = table_alloc(p->max_flows, sizeof(*c->slots), p->prefault, &c->slots_len);
	c->idle = table_alloc(p->max_flows, sizeof(*c->idle), p->prefault, &c->idle_len);
	c->cold = table_alloc(p->max_flows, sizeof(*c->cold), p->prefault, &c->cold_len);
	c->buckets = malloc((size_t)nb * sizeof(*c->buckets));
	if (!c->slots || !c->idle || !c->cold || !c->buckets) {
		jf_cache_free(c);
		return NULL;
	}
	memset(c->buckets, 0xff, (size_t)nb * sizeof(*c->buckets));
	c->free_head = NIL;
	c->next_unused = 0;
	for (int k = 0; k < JF_MONITORS; k++) {
		for (int l = 0; l < L_COUNT; l++)
			c->lists[k][l].head = c->lists[k][l].tail = NIL;
		c->to[k].idle_ms = p->idle_ms;
		c->to[k].active_ms = p->active_ms;
		c->to[k].fin_ms = p->fin_ms;
	}
	return c;
}

void jf_cache_free(struct jf_flow_cache *c)
{
	if (!c)
		return;
	if (c->slots)
		munmap(c->slots, c->slots_len);
	if (c->idle)
		munmap(c->idle, c->idle_len);
	if (c->cold)
		munmap(c->cold, c->cold_len);
	free(c->routes);
	free(c->info);
	free(c->pending);
	free(c->buckets);
	free(c);
}

int jf_cache_set_route_fn(struct jf_flow_cache *c, jf_route_fn fn, void *arg)
{
	if (!c->routes) {
		c->routes = calloc(c->p.max_flows, sizeof(*c->routes));
		if (!c->routes)
			return -ENOMEM;
	}
	c->route_fn = fn;
	c->route_arg = arg;
	return 0;
}

int jf_cache_set_enrich(struct jf_flow_cache *c, struct jf_enrich *e)
{
	size_t bytes = jf_enrich_info_bytes(e);

	if (!bytes) {
		c->enrich = NULL;
		return 0;
	}
	if (!c->info) {
		c->info = calloc(c->p.max_flows, bytes);
		if (!c->info)
			return -ENOMEM;
	}
	c->enrich = e;
	return 0;
}

struct jf_enrich *jf_cache_get_enrich(const struct jf_flow_cache *c)
{
	return c->enrich;
}

static void *info_of(const struct jf_flow_cache *c, uint32_t i)
{
	return c->info + (size_t)i * c->enrich->info_bytes;
}

static const struct jf_route *route_at(const struct jf_flow_cache *c, uint32_t i)
{
	static const struct jf_route none;

	return c->route_fn ? &c->routes[i] : &none;
}

/* A new flow in slot i: its lookups beyond the route; one that has not
 * answered is asked again at each expiry run (jf_cache_expire). */
static void enrich_new(struct jf_flow_cache *c, uint32_t i)
{
	struct slot *s = &c->slots[i];

	memset(info_of(c, i), 0, c->enrich->info_bytes);
	s->pending = !jf_enrich_first(c->enrich, &s->key, route_at(c, i), info_of(c, i));
	if (!s->pending)
		return;
	if (c->n_pending == c->cap_pending) {
		size_t cap = c->cap_pending ? 2 * c->cap_pending : 1024;
		uint32_t *p = realloc(c->pending, cap * sizeof(*p));

		if (!p) {	/* asked again only when its record leaves */
			return;
		}
		c->pending = p;
		c->cap_pending = cap;
	}
	c->pending[c->n_pending++] = i;
}

/* Ask again every flow whose lookups have not answered. A slot freed and
 * taken by another flow since is asked as that flow (harmless: its own
 * entry is in the list too if it is pending). */
static void enrich_retry_pending(struct jf_flow_cache *c)
{
	size_t k, n = 0;

	for (k = 0; k < c->n_pending; k++) {
		uint32_t i = c->pending[k];
		struct slot *s = &c->slots[i];

		if (!s->pending)
			continue;
		if (jf_enrich_retry(c->enrich, &s->key, route_at(c, i), info_of(c, i), false))
			s->pending = 0;
		else
			c->pending[n++] = i;
	}
	c->n_pending = n;
}

void jf_cache_get_hooks(const struct jf_flow_cache *c, jf_emit_fn *emit, void **emit_arg,
			jf_route_fn *route, void **route_arg)
{
	*emit = c->emit;
	*emit_arg = c->emit_arg;
	*route = c->route_fn;
	*route_arg = c->route_arg;
}

static uint32_t lookup(const struct jf_flow_cache *c, const struct jf_key *key,
		       uint32_t hash)
{
	uint32_t i = c->buckets[hash & c->mask];

	while (i != NIL) {
		const struct slot *s = &c->slots[i];

		if (s->hash == hash && jf_key_equal(&s->key, key))
			return i;
		i = s->chain;
	}
	return NIL;
}

/* The record of the flow in slot i, leaving for reason why. */
static void record_of(const struct jf_flow_cache *c, uint32_t i, enum jf_end_reason why,
		      struct jf_record *rec)
{
	const struct slot *s = &c->slots[i];

	rec->key = s->key;
	rec->flow = s->f;
	rec->end_reason = (uint8_t)why;
	rec->egress_ifindex = 0;
	memset(rec->next_hop, 0, sizeof(rec->next_hop));
	rec->src_mask = rec->dst_mask = rec->fwd_status = 0;
	memset(&rec->bgp, 0, sizeof(rec->bgp));
	memset(&rec->nat, 0, sizeof(rec->nat));
	if (c->route_fn) {
		const struct jf_route *r = &c->routes[i];

		rec->egress_ifindex = r->oif;
		memcpy(rec->next_hop, r->next_hop, sizeof(rec->next_hop));
		rec->src_mask = r->src_len;
		rec->dst_mask = r->dst_len;
		rec->fwd_status = r->fwd_status;
	}
	if (s->f.out_ifindex)	/* mirror mapping: the router's own answer */
		rec->egress_ifindex = s->f.out_ifindex;
	/* Metered on its way out: it left by the metering interface and
	 * came from the router itself (forwarded packets count at ingress). */
	rec->direction = s->key.flags & JF_KEY_EGRESS ? 1 : 0;
	if (rec->direction) {
		rec->egress_ifindex = s->key.ifindex;
		rec->key.ifindex = 0;
	}
	if (c->enrich)
		jf_enrich_apply(c->enrich, info_of(c, i), rec);
}

static void count_expired(struct jf_flow_cache *c, uint32_t i, enum jf_end_reason why)
{
	const struct slot *s = &c->slots[i];
	struct jf_cache_stats *st = &c->st[mon_of(c, i)];

	st->flows--;
	st->packets -= s->f.packets;
	st->octets -= s->f.octets;
	st->expired[why]++;
	st->exported_packets += s->f.packets;
	st->exported_octets += s->f.octets;
}

/* A flow whose lookups have not answered: the last ask, its record
 * leaves now. */
static void last_ask(struct jf_flow_cache *c, uint32_t i)
{
	struct slot *s = &c->slots[i];

	if (!s->pending)
		return;
	jf_enrich_retry(c->enrich, &s->key, route_at(c, i), info_of(c, i), true);
	s->pending = 0;
}

/* Hand the flow to the exporter and free its slot. */
static void expire_slot(struct jf_flow_cache *c, uint32_t i, enum jf_end_reason why)
{
	struct slot *s = &c->slots[i];
	uint32_t *pp = &c->buckets[s->hash & c->mask];
	struct jf_record rec;

	last_ask(c, i);
	record_of(c, i, why, &rec);
	while (*pp != i)
		pp = &c->slots[*pp].chain;
	*pp = s->chain;
	list_remove(c, L_IDLE, i);
	list_remove(c, L_ACTIVE, i);
	if (s->on_fin)
		list_remove(c, L_FIN, i);
	count_expired(c, i, why);

	s->live = 0;
	s->chain = c->free_head;
	c->free_head = i;

	if (c->emit)
		c->emit(&rec, c->emit_arg);
}

/* Flows leaving early are a sign the cache is too small: said at the
 * first, then at most once a minute, with the count and the remedy. */
static void warn_full(struct jf_flow_cache *c)
{
	double now = jf_mono_s();

	if (now < c->next_full_warn_s)
		return;
	c->next_full_warn_s = now + 60;
	log_warn("flow cache full (%u flows): %llu flows exported early so far "
		 "(end reason lack of resources); raise --max-flows", c->p.max_flows,
		 (unsigned long long)jf_cache_expired(c, JF_END_RESOURCES));
}

/* The least recently updated flow of every monitor's: the cache's. */
static uint32_t lru(const struct jf_flow_cache *c)
{
	uint32_t best = NIL, i;
	int k;

	for (k = 0; k < JF_MONITORS; k++) {
		if (!(c->mon_used & (1u << k)))
			continue;
		i = c->lists[k][L_IDLE].head;
		if (i != NIL && (best == NIL || c->slots[i].updated_ms < c->slots[best].updated_ms))
			best = i;
	}
	return best;
}

/* Inlined into each caller: the replay loop then has the whole update
 * in line (with link-time optimisation). */
static inline __attribute__((always_inline)) void
update_hashed(struct jf_flow_cache *c, const struct jf_key *key,
			  const struct jf_flow *u, uint64_t now_ms, uint32_t hash)
{
	uint32_t i = lookup(c, key, hash);
	struct slot *s;

	if (i == NIL) {
		if (c->free_head == NIL && c->next_unused == c->p.max_flows) {
			/* full: the least recently updated flow goes */
			expire_slot(c, lru(c), JF_END_RESOURCES);
			warn_full(c);
		}
		if (c->free_head != NIL) {
			i = c->free_head;
			c->free_head = c->slots[i].chain;
		} else {
			i = c->next_unused++;
		}
		s = &c->slots[i];
		s->key = *key;
		s->hash = hash;
		c->mon_used |= (uint16_t)(1u << jf_key_monitor(key));
		s->chain = c->buckets[hash & c->mask];
		c->buckets[hash & c->mask] = i;
		c->cold[i].created_ms = now_ms;
		s->updated_ms = now_ms;
		s->on_fin = 0;
		s->pending = 0;
		s->live = 1;
		s->f = *u;
		list_push_tail(c, L_IDLE, i);
		list_push_tail(c, L_ACTIVE, i);
		if (c->route_fn)
			c->route_fn(key, &c->routes[i], c->route_arg);
		if (c->enrich)
			enrich_new(c, i);
		c->st[jf_key_monitor(key)].flows++;
		c->st[jf_key_monitor(key)].created++;
	} else {
		s = &c->slots[i];
		s->f.packets += u->packets;
		s->f.octets += u->octets;
		if (u->first_ms < s->f.first_ms)
			s->f.first_ms = u->first_ms;
		if (u->last_ms >= s->f.last_ms) {	/* the last packet's */
			s->f.last_ms = u->last_ms;
			s->f.frag_id = u->frag_id;
		}
		s->f.tcp_flags |= u->tcp_flags;
		if (u->ttl_min < s->f.ttl_min)
			s->f.ttl_min = u->ttl_min;
		if (u->ttl_max > s->f.ttl_max)
			s->f.ttl_max = u->ttl_max;
		if (u->flow_label)
			s->f.flow_label = u->flow_label;
		if (u->out_ifindex)
			s->f.out_ifindex = u->out_ifindex;
		s->updated_ms = now_ms;
		list_remove(c, L_IDLE, i);
		list_push_tail(c, L_IDLE, i);
	}
	c->st[jf_key_monitor(key)].packets += u->packets;
	c->st[jf_key_monitor(key)].octets += u->octets;

	if (!s->on_fin && (u->tcp_flags & (JF_TCP_FIN | JF_TCP_RST)) &&
	    key->proto == JF_IPPROTO_TCP) {
		s->on_fin = 1;
		c->cold[i].fin_at_ms = now_ms;
		list_push_tail(c, L_FIN, i);
	}
}

void jf_cache_update(struct jf_flow_cache *c, const struct jf_key *key,
		     const struct jf_flow *u, uint64_t now_ms)
{
	update_hashed(c, key, u, now_ms, jf_flow_hash(key));
}

void jf_cache_update_hashed(struct jf_flow_cache *c, const struct jf_key *key,
			    const struct jf_flow *u, uint64_t now_ms, uint32_t hash)
{
	update_hashed(c, key, u, now_ms, hash);
}

void jf_cache_prefetch(const struct jf_flow_cache *c, uint32_t hash, int stage)
{
	const struct slot *s;
	const struct link *k;
	uint32_t h;

	if (stage == JF_PF_BUCKET) {
		__builtin_prefetch(&c->buckets[hash & c->mask]);
		return;
	}
	h = c->buckets[hash & c->mask];
	if (h == NIL)
		return;
	if (stage == JF_PF_SLOT) {
		__builtin_prefetch(&c->slots[h]);
		__builtin_prefetch((const char *)&c->slots[h] + 64);
		__builtin_prefetch(&c->idle[h]);
		return;
	}
	/* The bucket's first slot holds another flow (a new flow goes to the
	 * head of its chain; at the default size about one packet in five
	 * finds its flow further down): the next slot in the chain, which
	 * the lookup would otherwise wait for. */
	s = &c->slots[h];
	if (s->hash != hash && s->chain != NIL) {
		h = s->chain;
		__builtin_prefetch(&c->slots[h]);
		__builtin_prefetch((const char *)&c->slots[h] + 64);
		__builtin_prefetch(&c->idle[h]);
		return;
	}
	k = &c->idle[h];
	if (k->prev != NIL)
		__builtin_prefetch(&c->idle[k->prev]);
	if (k->next != NIL)
		__builtin_prefetch(&c->idle[k->next]);
}

#define PF_AHEAD 12	/* bucket prefetched this many deltas ahead */

void jf_cache_update_batch(struct jf_flow_cache *c, const struct jf_key *keys,
			   const struct jf_flow *u, size_t n, uint64_t now_ms)
{
	uint32_t hashes[256];
	size_t base, i, m;

	for (base = 0; base < n; base += m) {
		m = n - base < 256 ? n - base : 256;
		for (i = 0; i < m; i++) {
			hashes[i] = jf_flow_hash(&keys[base + i]);
			if (i < PF_AHEAD)
				jf_cache_prefetch(c, hashes[i], JF_PF_BUCKET);
		}
		for (i = 0; i < m; i++) {
			/* Three stages ahead: the bucket, then the slot it points
			 * to, then that slot's neighbours on the idle list. */
			if (i + PF_AHEAD < m)
				jf_cache_prefetch(c, hashes[i + PF_AHEAD], JF_PF_BUCKET);
			if (i + PF_AHEAD / 2 < m)
				jf_cache_prefetch(c, hashes[i + PF_AHEAD / 2], JF_PF_SLOT);
			if (i + PF_AHEAD / 4 < m)
				jf_cache_prefetch(c, hashes[i + PF_AHEAD / 4], JF_PF_NEIGHBOURS);
			update_hashed(c, &keys[base + i], &u[base + i], now_ms, hashes[i]);
		}
	}
}

/* When the flow at the head of list l is due (its monitor's timeouts). */
static uint64_t deadline(const struct jf_flow_cache *c, int l, uint32_t i)
{
	const struct timeouts *to = &c->to[mon_of(c, i)];

	switch (l) {
	case L_FIN:
		return c->cold[i].fin_at_ms + to->fin_ms;
	case L_IDLE:
		return c->slots[i].updated_ms + to->idle_ms;
	default:
		return c->cold[i].created_ms + to->active_ms;
	}
}

/* Each list is in deadline order, so expiry stops at the first head that
 * is not due: the work is the number of expired flows plus three. The
 * earliest of the three heads' deadlines is kept: a replay expires before
 * every packet, and until then (or a new head) there is nothing to look
 * at. Heads only leave or move back between two calls, and a list that
 * gets a new head resets it (list_push_tail). */
size_t jf_cache_expire(struct jf_flow_cache *c, uint64_t now_ms)
{
	static const struct {
		int list;
		enum jf_end_reason why;
	} order[] = {
		{ L_FIN, JF_END_FLOW_END }, { L_IDLE, JF_END_IDLE }, { L_ACTIVE, JF_END_ACTIVE },
	};
	uint64_t due, next = UINT64_MAX;
	size_t n = 0, k;
	unsigned mons = c->mon_used, mon;
	uint32_t i;

	if (c->n_pending)
		enrich_retry_pending(c);
	if (now_ms < c->next_due)
		return 0;
	/* Each monitor's lists, of the monitors that have had flows. */
	for (; mons; mons &= mons - 1) {
		mon = (unsigned)__builtin_ctz(mons);
		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			for (;;) {
				c->st[mon].expire_checks++;
				i = c->lists[mon][order[k].list].head;
				if (i == NIL)
					break;
				due = deadline(c, order[k].list, i);
				if (now_ms < due) {
					if (due < next)
						next = due;
					break;
				}
				expire_slot(c, i, order[k].why);
				n++;
			}
		}
	}
	/* (Expiring the last list's heads cannot give the earlier lists a
	 * new head: list_push_tail is not called here.) */
	c->next_due = next;
	return n;
}

/* Every flow leaves, so none is unlinked from its bucket and lists one by
 * one (a walk of a random chain and three list updates each: at the end
 * of a replay of 50,000 flows, most of the flush): the records go out in
 * list order, then the table is emptied at once. */
size_t jf_cache_flush(struct jf_flow_cache *c, enum jf_end_reason reason)
{
	struct jf_record rec;
	size_t n = 0;
	uint32_t i, next, nn;
	int k;

	/* Oldest first, so records leave in the order flows began. */
	for (k = 0; k < JF_MONITORS; k++) {
		for (i = c->lists[k][L_ACTIVE].head; i != NIL; i = next) {
			next = c->cold[i].active.next;
			/* The slot after the next one, whose links came with
			 * the last round: its misses overlap this one's export. */
			if (next != NIL && (nn = c->cold[next].active.next) != NIL) {
				__builtin_prefetch(&c->slots[nn]);
				__builtin_prefetch((const char *)&c->slots[nn] + 64);
				__builtin_prefetch(&c->cold[nn]);
			}
			last_ask(c, i);
			record_of(c, i, reason, &rec);
			count_expired(c, i, reason);
			if (c->emit)
				c->emit(&rec, c->emit_arg);
			n++;
		}
		for (int l = 0; l < L_COUNT; l++)
			c->lists[k][l].head = c->lists[k][l].tail = NIL;
	}
	memset(c->buckets, 0xff, ((size_t)c->mask + 1) * sizeof(*c->buckets));
	c->free_head = NIL;
	c->next_unused = 0;
	c->n_pending = 0;
	return n;
}

size_t jf_cache_flush_monitors(struct jf_flow_cache *c, uint16_t mons, enum jf_end_reason reason)
{
	size_t n = 0;
	uint32_t i;
	int k;

	if ((c->mon_used & mons) == c->mon_used)
		return jf_cache_flush(c, reason);
	for (k = 0; k < JF_MONITORS; k++) {
		if (!(mons & (1u << k)))
			continue;
		while ((i = c->lists[k][L_ACTIVE].head) != NIL) {
			expire_slot(c, i, reason);
			n++;
		}
	}
	return n;
}

void jf_cache_set_timeouts(struct jf_flow_cache *c, uint32_t idle_ms, uint32_t active_ms,
			   uint32_t fin_ms)
{
	int k;

	for (k = 0; k < JF_MONITORS; k++)
		jf_cache_set_monitor_timeouts(c, (uint32_t)k, idle_ms, active_ms, fin_ms);
}

void jf_cache_set_monitor_timeouts(struct jf_flow_cache *c, uint32_t mon, uint32_t idle_ms,
				   uint32_t active_ms, uint32_t fin_ms)
{
	/* Every flow on one of the monitor's lists has the same timeout, so
	 * the lists stay in deadline order whatever the new values. */
	c->to[mon].idle_ms = idle_ms;
	c->to[mon].active_ms = active_ms;
	c->to[mon].fin_ms = fin_ms;
	c->next_due = 0;	/* the heads' deadlines moved */
}

bool jf_cache_foreach_from(const struct jf_flow_cache *c, uint64_t *cursor, size_t max,
			   jf_visit_fn visit, void *arg)
{
	uint64_t i = *cursor, end = c->next_unused;

	/* Slot order: a flow keeps its slot for its life, so a listing in
	 * steps sees each flow that lives through it exactly once. */
	for (; i < end && max; i++, max--)
		if (c->slots[i].live)
			visit(&c->slots[i].key, &c->slots[i].f, arg);
	*cursor = i;
	return i >= end;
}

uint64_t jf_cache_expired(const struct jf_flow_cache *c, enum jf_end_reason why)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < JF_MONITORS; k++)
		n += c->st[k].expired[why];
	return n;
}

void jf_cache_get_monitor_stats(const struct jf_flow_cache *c, uint32_t mon,
				struct jf_cache_stats *st)
{
	*st = c->st[mon & (JF_MONITORS - 1)];
}

void jf_cache_stats_add(struct jf_cache_stats *to, const struct jf_cache_stats *from)
{
	int r;

	to->flows += from->flows;
	to->packets += from->packets;
	to->octets += from->octets;
	to->created += from->created;
	for (r = 0; r <= JF_END_RESOURCES; r++)
		to->expired[r] += from->expired[r];
	to->exported_packets += from->exported_packets;
	to->exported_octets += from->exported_octets;
	to->expire_checks += from->expire_checks;
}

void jf_cache_get_stats(const struct jf_flow_cache *c, struct jf_cache_stats *st)
{
	int k;

	memset(st, 0, sizeof(*st));
	for (k = 0; k < JF_MONITORS; k++)
		jf_cache_stats_add(st, &c->st[k]);
}
