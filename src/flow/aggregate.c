// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Aggregation in the agent: a chained hash table of aggregates keyed by
 * the record's key, with an idle list (least recently updated first) and
 * an active list (oldest first), each in deadline order. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "flow/aggregate.h"
#include "jflowd/monitor.h"

#define NIL UINT32_MAX
#define MIN_CAP 1024u

struct agg {
	struct jf_record key;		/* what it is keyed by (jf_agg_key_of) */
	struct jf_record rec;		/* the merged record */
	uint64_t created_ms, updated_ms;
	uint32_t hash;
	uint32_t chain;			/* next in the bucket / free list */
	uint32_t idle_prev, idle_next;
	uint32_t act_prev, act_next;
};

struct jf_aggregate {
	struct jf_agg_params p;
	struct jf_key masks[2][2];	/* [IPv6][egress] */
	jf_emit_fn emit;
	void *emit_arg;
	struct agg *a;
	uint32_t cap, used, free_head, n;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t idle_head, idle_tail, act_head, act_tail;
	struct jf_cache_stats st;
};

/* The parts of a record's lookup answers an element stands for. */
static void take_lookup(const struct jf_ie_def *e, const struct jf_record *r,
			struct jf_record *k)
{
	switch (e->id) {
	case 14:
		k->egress_ifindex = r->egress_ifindex;
		break;
	case 15:
	case 62:
		memcpy(k->next_hop, r->next_hop, sizeof(k->next_hop));
		break;
	case 9:
	case 29:
		k->src_mask = r->src_mask;
		break;
	case 13:
	case 30:
		k->dst_mask = r->dst_mask;
		break;
	case 89:
		k->fwd_status = r->fwd_status;
		break;
	case 16:
		k->bgp.src_as = r->bgp.src_as;
		break;
	case 17:
		k->bgp.dst_as = r->bgp.dst_as;
		break;
	case 128:
		k->bgp.next_adj_as = r->bgp.next_adj_as;
		break;
	case 129:
		k->bgp.prev_adj_as = r->bgp.prev_adj_as;
		break;
	case 18:
	case 63:
		memcpy(k->bgp.next_hop, r->bgp.next_hop, sizeof(k->bgp.next_hop));
		break;
	case 225:
	case 281:
		memcpy(k->nat.src, r->nat.src, sizeof(k->nat.src));
		break;
	case 226:
	case 282:
		memcpy(k->nat.dst, r->nat.dst, sizeof(k->nat.dst));
		break;
	case 227:
		k->nat.sport = r->nat.sport;
		break;
	case 228:
		k->nat.dport = r->nat.dport;
		break;
	default:
		break;
	}
}

void jf_agg_key_of(const struct jf_record_def *d, const struct jf_key masks[2][2],
		   const struct jf_record *r, struct jf_record *k)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->key = r->key;
	jf_key_mask_apply(&k->key, &masks[r->key.family == JF_FAMILY_IPV6]
					  [(r->key.flags & JF_KEY_EGRESS) ? 1 : 0]);
	k->direction = r->direction;
	for (i = 0; i < d->n; i++) {
		const struct jf_ie_def *e = d->e[i].ie;

		if (d->e[i].key && (e->src == JF_SRC_ROUTE || e->src == JF_SRC_BGP ||
				    e->src == JF_SRC_NAT))
			take_lookup(e, r, k);
	}
}

static uint32_t hash_of(const struct jf_record *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	size_t i;

	for (i = 0; i + 8 <= sizeof(*k); i += 8) {
		memcpy(&w, b + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static int grow(struct jf_aggregate *a)
{
	uint32_t cap = a->cap ? 2 * a->cap : MIN_CAP, nb = 1, i;
	struct agg *na;
	uint32_t *nbk;

	if (cap > a->p.max)
		cap = a->p.max;
	if (cap <= a->cap)
		return -ENOSPC;
	while (nb < cap)
		nb <<= 1;
	na = realloc(a->a, (size_t)cap * sizeof(*na));
	if (!na)
		return -ENOMEM;
	a->a = na;
	nbk = malloc((size_t)nb * sizeof(*nbk));
	if (!nbk)
		return -ENOMEM;
	free(a->buckets);
	a->buckets = nbk;
	a->mask = nb - 1;
	memset(a->buckets, 0xff, (size_t)nb * sizeof(*a->buckets));
	/* Rehash what is held: every aggregate is on the active list (the
	 * free ones chain through .chain, which stays theirs). */
	for (i = a->act_head; i != NIL; i = a->a[i].act_next) {
		a->a[i].chain = a->buckets[a->a[i].hash & a->mask];
		a->buckets[a->a[i].hash & a->mask] = i;
	}
	a->cap = cap;
	return 0;
}

struct jf_aggregate *jf_agg_new(const struct jf_agg_params *p, jf_emit_fn emit, void *arg)
{
	struct jf_aggregate *a = calloc(1, sizeof(*a));
	int f, e;

	if (!a)
		return NULL;
	a->p = *p;
	if (a->p.max < MIN_CAP)
		a->p.max = MIN_CAP;
	a->emit = emit;
	a->emit_arg = arg;
	for (f = 0; f < 2; f++)
		for (e = 0; e < 2; e++)
			jf_record_key_mask(p->record, f ? JF_FAMILY_IPV6 : JF_FAMILY_IPV4, e,
					   &a->masks[f][e]);
	a->free_head = a->idle_head = a->idle_tail = a->act_head = a->act_tail = NIL;
	if (grow(a)) {
		jf_agg_free(a);
		return NULL;
	}
	return a;
}

void jf_agg_free(struct jf_aggregate *a)
{
	if (!a)
		return;
	free(a->a);
	free(a->buckets);
	free(a);
}

void jf_agg_set_timeouts(struct jf_aggregate *a, uint32_t idle_ms, uint32_t active_ms)
{
	a->p.idle_ms = idle_ms;
	a->p.active_ms = active_ms;
}

/* --- lists --- */

static void idle_unlink(struct jf_aggregate *a, uint32_t i)
{
	struct agg *g = &a->a[i];

	if (g->idle_prev != NIL)
		a->a[g->idle_prev].idle_next = g->idle_next;
	else
		a->idle_head = g->idle_next;
	if (g->idle_next != NIL)
		a->a[g->idle_next].idle_prev = g->idle_prev;
	else
		a->idle_tail = g->idle_prev;
}

static void idle_push(struct jf_aggregate *a, uint32_t i)
{
	struct agg *g = &a->a[i];

	g->idle_prev = a->idle_tail;
	g->idle_next = NIL;
	if (a->idle_tail != NIL)
		a->a[a->idle_tail].idle_next = i;
	else
		a->idle_head = i;
	a->idle_tail = i;
}

static void act_unlink(struct jf_aggregate *a, uint32_t i)
{
	struct agg *g = &a->a[i];

	if (g->act_prev != NIL)
		a->a[g->act_prev].act_next = g->act_next;
	else
		a->act_head = g->act_next;
	if (g->act_next != NIL)
		a->a[g->act_next].act_prev = g->act_prev;
	else
		a->act_tail = g->act_prev;
}

static void act_push(struct jf_aggregate *a, uint32_t i)
{
	struct agg *g = &a->a[i];

	g->act_prev = a->act_tail;
	g->act_next = NIL;
	if (a->act_tail != NIL)
		a->a[a->act_tail].act_next = i;
	else
		a->act_head = i;
	a->act_tail = i;
}

/* --- aggregates --- */

static void leave(struct jf_aggregate *a, uint32_t i, enum jf_end_reason why)
{
	struct agg *g = &a->a[i];
	uint32_t *pp = &a->buckets[g->hash & a->mask];
	struct jf_record rec;

	while (*pp != i)
		pp = &a->a[*pp].chain;
	*pp = g->chain;
	idle_unlink(a, i);
	act_unlink(a, i);
	rec = g->rec;
	rec.end_reason = (uint8_t)why;
	a->st.flows--;
	a->st.packets -= rec.packets;
	a->st.octets -= rec.octets;
	a->st.expired[why]++;
	a->st.exported_packets += rec.packets;
	a->st.exported_octets += rec.octets;
	a->n--;
	g->chain = a->free_head;
	a->free_head = i;
	if (a->emit)
		a->emit(&rec, a->emit_arg);
}

static uint32_t take_slot(struct jf_aggregate *a)
{
	uint32_t i;

	if (a->free_head != NIL) {
		i = a->free_head;
		a->free_head = a->a[i].chain;
		return i;
	}
	if (a->used == a->cap && grow(a)) {
		/* Full: the least recently updated aggregate leaves. */
		leave(a, a->idle_head, JF_END_RESOURCES);
		i = a->free_head;
		a->free_head = a->a[i].chain;
		return i;
	}
	return a->used++;
}

static void merge(struct jf_record *to, const struct jf_record *r)
{
	to->packets += r->packets;
	to->octets += r->octets;
	if (r->first_ms < to->first_ms)
		to->first_ms = r->first_ms;
	if (r->last_ms >= to->last_ms) {	/* the last packet's */
		to->last_ms = r->last_ms;
		if (r->flow_label)
			to->flow_label = r->flow_label;
		to->frag_id = r->frag_id;
	}
	to->tcp_flags |= r->tcp_flags;
	if (r->ttl_min < to->ttl_min)
		to->ttl_min = r->ttl_min;
	if (r->ttl_max > to->ttl_max)
		to->ttl_max = r->ttl_max;
}

void jf_agg_add(struct jf_aggregate *a, const struct jf_record *r, uint64_t now_ms)
{
	struct jf_record k;
	uint32_t h, i;
	struct agg *g;

	jf_agg_key_of(a->p.record, a->masks, r, &k);
	h = hash_of(&k);
	for (i = a->buckets[h & a->mask]; i != NIL; i = a->a[i].chain)
		if (a->a[i].hash == h && !memcmp(&a->a[i].key, &k, sizeof(k)))
			break;
	if (i != NIL) {
		g = &a->a[i];
		merge(&g->rec, r);
		g->updated_ms = now_ms;
		idle_unlink(a, i);
		idle_push(a, i);
	} else {
		i = take_slot(a);
		g = &a->a[i];
		g->key = k;
		g->hash = h;
		/* The first flow's record is the aggregate's: its lookup
		 * answers, its key masked to the record's. */
		g->rec = *r;
		g->rec.key = k.key;
		g->created_ms = g->updated_ms = now_ms;
		g->chain = a->buckets[h & a->mask];
		a->buckets[h & a->mask] = i;
		idle_push(a, i);
		act_push(a, i);
		a->n++;
		a->st.flows++;
		a->st.created++;
	}
	a->st.packets += r->packets;
	a->st.octets += r->octets;
}

void jf_agg_foreach(const struct jf_aggregate *a, jf_visit_fn visit, void *arg)
{
	uint32_t i;

	for (i = a->act_head; i != NIL; i = a->a[i].act_next)
		visit(&a->a[i].rec.key, &a->a[i].rec.flow, arg);
}

size_t jf_agg_expire(struct jf_aggregate *a, uint64_t now_ms)
{
	size_t n = 0;
	uint32_t i;

	while ((i = a->idle_head) != NIL && now_ms >= a->a[i].updated_ms + a->p.idle_ms) {
		leave(a, i, JF_END_IDLE);
		n++;
	}
	while ((i = a->act_head) != NIL && now_ms >= a->a[i].created_ms + a->p.active_ms) {
		leave(a, i, JF_END_ACTIVE);
		n++;
	}
	return n;
}

size_t jf_agg_flush(struct jf_aggregate *a, enum jf_end_reason why)
{
	size_t n = 0;
	uint32_t i;

	while ((i = a->act_head) != NIL) {
		leave(a, i, why);
		n++;
	}
	return n;
}

void jf_agg_get_stats(const struct jf_aggregate *a, struct jf_cache_stats *st)
{
	*st = a->st;
}

size_t jf_agg_bytes(const struct jf_aggregate *a)
{
	return (size_t)a->cap * sizeof(*a->a) + ((size_t)a->mask + 1) * sizeof(*a->buckets);
}
