// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's side of the persistent kernel flow table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The program's update over plain memory (jf_table_count): the hot lines
 * from ctx, the cold lines after them. */
#define JF_TABLE_SLOT(ctx, idx) (&((struct jf_slot *)(ctx))[idx])
#define JF_TABLE_COLD(ctx, n, idx) (&((struct jf_slot_cold *)((struct jf_slot *)(ctx) + (n)))[idx])
#include "meter/flow_table.h"
#include "jflowd/monitor.h"
#include "flow/enrich.h"
#include "flow/nexthop_pool.h"
#include "jflowd/parse.h"

#define JF_TABLE_FLOWS_MIN 131072u
#define JF_TABLE_FLOWS_MAX 16777216u
#define JF_TABLE_BYTES_PER_FLOW 260u
#define NS_PER_MS 1000000u

/* Shadow flags. */
#define SH_SEEN 0x01	/* a pass saw this slot's flow (route looked up) */
#define SH_OPEN 0x02	/* packets not yet exported: a record is open */
#define SH_CONT 0x04	/* a record was exported: the next starts at first_ms */
#define SH_FIN 0x08	/* FIN/RST seen at fin_ms: lingering */
#define SH_MARKED 0x10	/* marked by us, final read not done yet */
#define SH_PENDING 0x20	/* a per-flow lookup (src/flow/enrich.h) has not answered */

/* Per slot, what a flow record needs beyond the slot itself. Times are
 * agent monotonic ms modulo 2^32: every difference taken is below a
 * timeout (at most 2^31 ms), so the wrap does no harm. */
struct shadow {
	uint64_t exp_packets;	/* counters as last exported (or handed out) */
	uint64_t exp_octets;
	uint32_t read_lo;	/* packets at the last read, low word: a change */
	uint32_t changed_ms;	/* last change seen: idle */
	uint32_t start_ms;	/* the open record began: active */
	uint32_t first_ms;	/* SH_CONT: the open record's first packet */
	uint32_t fin_ms;	/* SH_FIN: FIN/RST first seen */
	uint8_t flags;
	uint8_t why;		/* SH_MARKED: the record's end reason */
};

_Static_assert(sizeof(struct shadow) == 40, "shadow: 40 bytes a slot");

/* Router mode: a slot's route answer, its next hop interned (12 bytes
 * where the full answer takes 24). */
struct slot_route {
	uint32_t oif;
	uint32_t nh;		/* index in the next-hop pool */
	uint8_t src_len;
	uint8_t dst_len;
	uint8_t fwd_status;
	uint8_t pad;
};

_Static_assert(sizeof(struct slot_route) == 12, "slot_route: 12 bytes a slot");

struct jf_table {
	struct jf_slot *slots;		/* the hot lines */
	struct jf_slot_cold *cold;	/* the cold lines, after them */
	uint32_t nslots;
	struct shadow *sh;
	uint32_t *victims;	/* slots marked in this batch */
	uint32_t *dests;	/* jf_table_move: each victim's copy in the new table */
	uint32_t batch;		/* victims' capacity */
	struct jf_table_stats st;
	/* Expiry of the table's flows. */
	jf_emit_fn emit;
	void *emit_arg;
	jf_route_fn route_fn;
	void *route_arg;
	struct slot_route *routes;	/* per slot; router mode only */
	struct jf_nh_pool *nh;		/* their next hops */
	struct jf_enrich *enrich;	/* lookups beyond the route; NULL: none */
	uint8_t *info;			/* their answers, enrich->info_bytes a slot */
	struct {
		uint32_t idle_ms, active_ms, fin_ms;
	} to[JF_MONITORS];		/* per monitor (the key's monitor bits) */
	uint32_t emergency_ms;		/* idle timeout under pressure; 0: none */
	int64_t mono_to_real_ns;
	uint64_t now_ms;		/* of the last pass or flush */
	struct jf_cache_stats fs[JF_MONITORS];	/* the records' figures */
};

/* The monitor of slot i: the flags byte of its key's word 14, in the hot
 * line (include/jflowd/table.h). */
static uint32_t slot_mon(const struct jf_table *t, uint32_t i)
{
	const uint8_t *w = (const uint8_t *)&t->slots[i].hot[5];

	return (uint32_t)w[3] >> JF_KEY_MON_SHIFT;
}

struct jf_table *jf_table_new(struct jf_slot *slots, uint32_t nslots)
{
	struct jf_table *t;

	if (!slots || !nslots)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = slots;
	t->cold = (struct jf_slot_cold *)(slots + nslots);
	t->nslots = nslots;
	t->batch = nslots < JF_TABLE_BATCH ? nslots : JF_TABLE_BATCH;
	jf_table_set_timeouts(t, 15000, 60000, 2000);
	t->sh = calloc(nslots, sizeof(*t->sh));
	t->victims = calloc(t->batch, sizeof(*t->victims));
	t->dests = calloc(t->batch, sizeof(*t->dests));
	if (!t->sh || !t->victims || !t->dests) {
		jf_table_free(t);
		return NULL;
	}
	return t;
}

void jf_table_free(struct jf_table *t)
{
	if (!t)
		return;
	free(t->sh);
	free(t->victims);
	free(t->dests);
	free(t->routes);
	jf_nh_pool_free(t->nh);
	free(t->info);
	free(t);
}

int jf_table_set_export(struct jf_table *t, jf_emit_fn emit, void *emit_arg, jf_route_fn route,
			void *route_arg)
{
	if (route && !t->routes) {
		t->routes = calloc(t->nslots, sizeof(*t->routes));
		t->nh = jf_nh_pool_new();
		if (!t->routes || !t->nh) {
			free(t->routes);
			t->routes = NULL;
			jf_nh_pool_free(t->nh);
			t->nh = NULL;
			return -ENOMEM;
		}
	}
	t->emit = emit;
	t->emit_arg = emit_arg;
	t->route_fn = route;
	t->route_arg = route_arg;
	return 0;
}

int jf_table_set_enrich(struct jf_table *t, struct jf_enrich *e)
{
	size_t bytes = jf_enrich_info_bytes(e);

	if (!bytes) {
		t->enrich = NULL;
		return 0;
	}
	if (!t->info) {
		t->info = calloc(t->nslots, bytes);
		if (!t->info)
			return -ENOMEM;
	}
	t->enrich = e;
	return 0;
}

static void *info_of(const struct jf_table *t, uint32_t i)
{
	return t->info + (size_t)i * t->enrich->info_bytes;
}

void jf_table_set_timeouts(struct jf_table *t, uint32_t idle_ms, uint32_t active_ms,
			   uint32_t fin_ms)
{
	uint32_t k;

	for (k = 0; k < JF_MONITORS; k++)
		jf_table_set_monitor_timeouts(t, k, idle_ms, active_ms, fin_ms);
}

void jf_table_set_monitor_timeouts(struct jf_table *t, uint32_t mon, uint32_t idle_ms,
				   uint32_t active_ms, uint32_t fin_ms)
{
	mon &= JF_MONITORS - 1;
	t->to[mon].idle_ms = idle_ms;
	t->to[mon].active_ms = active_ms;
	t->to[mon].fin_ms = fin_ms;
}

void jf_table_set_emergency(struct jf_table *t, uint32_t idle_ms)
{
	t->emergency_ms = idle_ms;
}

void jf_table_set_clock(struct jf_table *t, int64_t mono_to_real_ns)
{
	t->mono_to_real_ns = mono_to_real_ns;
}

static uint64_t real_ms(const struct jf_table *t, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + t->mono_to_real_ns) / NS_PER_MS;
}

/* A shadow time (monotonic ms, low word) as Unix ms: it lies before the
 * last pass by less than 2^32 ms. */
static uint64_t real_ms32(const struct jf_table *t, uint32_t ms32)
{
	uint64_t mono = t->now_ms - (uint32_t)((uint32_t)t->now_ms - ms32);

	return real_ms(t, mono * NS_PER_MS);
}

/* The record of slot i from counters c: what it gained since the last
 * export, filled as the keyed cache fills it (src/flow_cache.c). */
static void fill_record(const struct jf_table *t, uint32_t i, const struct jf_counters *c,
			enum jf_end_reason why, struct jf_record *rec)
{
	const struct shadow *sh = &t->sh[i];

	memset(rec, 0, sizeof(*rec));
	jf_slot_get_key(&t->slots[i], &t->cold[i], &rec->key);
	rec->packets = c->packets - sh->exp_packets;
	rec->octets = c->octets - sh->exp_octets;
	rec->first_ms = sh->flags & SH_CONT ? real_ms32(t, sh->first_ms) : real_ms(t, c->first_ns);
	rec->last_ms = real_ms(t, c->last_ns);
	if (rec->first_ms > rec->last_ms)
		rec->first_ms = rec->last_ms;
	rec->flow_label = c->flow_label;
	rec->tcp_flags = (uint8_t)c->tcp_flags;
	rec->ttl_min = (uint8_t)c->ttl;
	rec->ttl_max = (uint8_t)(c->ttl >> 8);
	rec->out_ifindex = c->out_ifindex;
	rec->frag_id = c->frag_id;
	rec->end_reason = (uint8_t)why;
	if (t->routes) {
		const struct slot_route *r = &t->routes[i];

		rec->egress_ifindex = r->oif;
		memcpy(rec->next_hop, jf_nh_pool_get(t->nh, r->nh), sizeof(rec->next_hop));
		rec->src_mask = r->src_len;
		rec->dst_mask = r->dst_len;
		rec->fwd_status = r->fwd_status;
	}
	if (c->out_ifindex)	/* mirror mapping: the router's own answer */
		rec->egress_ifindex = c->out_ifindex;
	/* Metered on its way out (tc egress): the interface is the output. */
	rec->direction = rec->key.flags & JF_KEY_EGRESS ? 1 : 0;
	if (rec->direction) {
		rec->egress_ifindex = rec->key.ifindex;
		rec->key.ifindex = 0;
	}
	if (t->enrich)
		jf_enrich_apply(t->enrich, info_of(t, i), rec);
}

static void route_of(const struct jf_table *t, uint32_t i, struct jf_route *r)
{
	memset(r, 0, sizeof(*r));
	if (t->routes) {
		const struct slot_route *sr = &t->routes[i];

		r->oif = sr->oif;
		memcpy(r->next_hop, jf_nh_pool_get(t->nh, sr->nh), sizeof(r->next_hop));
		r->src_len = sr->src_len;
		r->dst_len = sr->dst_len;
		r->fwd_status = sr->fwd_status;
	}
}

/* The per-flow lookups of slot i: first (a new flow) or again (one that
 * had not answered; last: its first record is leaving). */
static void enrich_slot(struct jf_table *t, uint32_t i, bool first, bool last)
{
	struct shadow *sh = &t->sh[i];
	struct jf_route r;
	struct jf_key k;
	bool done;

	jf_slot_get_key(&t->slots[i], &t->cold[i], &k);
	route_of(t, i, &r);
	if (first) {
		memset(info_of(t, i), 0, t->enrich->info_bytes);
		done = jf_enrich_first(t->enrich, &k, &r, info_of(t, i));
	} else {
		done = jf_enrich_retry(t->enrich, &k, &r, info_of(t, i), last);
	}
	if (done)
		sh->flags &= (uint8_t)~SH_PENDING;
	else
		sh->flags |= SH_PENDING;
}

/* Export what slot i gained since its last export (nothing: no record).
 * The slot's next record, if it lives on, starts with its next packet. */
static bool export_slot(struct jf_table *t, uint32_t i, const struct jf_counters *c,
			enum jf_end_reason why)
{
	struct shadow *sh = &t->sh[i];
	struct jf_record rec;

	sh->flags &= (uint8_t)~SH_OPEN;
	if (c->packets == sh->exp_packets)
		return false;
	if (sh->flags & SH_PENDING)
		enrich_slot(t, i, false, true);
	fill_record(t, i, c, why, &rec);
	sh->exp_packets = c->packets;
	sh->exp_octets = c->octets;
	sh->flags |= SH_CONT;
	t->fs[slot_mon(t, i)].expired[why]++;
	t->fs[slot_mon(t, i)].exported_packets += rec.packets;
	t->fs[slot_mon(t, i)].exported_octets += rec.octets;
	if (t->emit)
		t->emit(&rec, t->emit_arg);
	return true;
}

/* Router mode: ask the forwarding lookup once for slot i's new flow and
 * keep the answer compact. */
static void route_lookup(struct jf_table *t, uint32_t i, const struct jf_key *k)
{
	struct slot_route *sr = &t->routes[i];
	struct jf_route r = { 0 };

	t->route_fn(k, &r, t->route_arg);
	sr->oif = r.oif;
	sr->src_len = r.src_len;
	sr->dst_len = r.dst_len;
	sr->fwd_status = r.fwd_status;
	/* Out of memory for a new next hop: the record says 0 (none). */
	if (jf_nh_pool_intern(t->nh, r.next_hop, &sr->nh))
		sr->nh = 0;
}

/* Read slot i (LIVE) into c and bring its shadow up to date at now32: a
 * flow seen the first time (router mode: its lookup), a change (idle
 * clock; a new record opens), FIN/RST (the linger starts). Returns
 * whether the counters moved. */
static bool observe(struct jf_table *t, uint32_t i, uint32_t now32, struct jf_counters *c)
{
	struct shadow *sh = &t->sh[i];
	bool moved;

	jf_slot_get_counters(&t->slots[i], &t->cold[i], c);
	if (!(sh->flags & SH_SEEN)) {
		sh->flags |= SH_SEEN;
		if (t->routes && t->route_fn) {
			struct jf_key k;

			jf_slot_get_key(&t->slots[i], &t->cold[i], &k);
			route_lookup(t, i, &k);
		}
		if (t->enrich)
			enrich_slot(t, i, true, false);
		moved = true;
	} else {
		if (sh->flags & SH_PENDING)
			enrich_slot(t, i, false, false);
		moved = (uint32_t)c->packets != sh->read_lo;
	}
	if (!moved)
		return false;
	sh->read_lo = (uint32_t)c->packets;
	sh->changed_ms = now32;
	if (!(sh->flags & SH_OPEN) && c->packets != sh->exp_packets) {
		sh->flags |= SH_OPEN;
		sh->start_ms = now32;
		if (sh->flags & SH_CONT)
			sh->first_ms = (uint32_t)(c->last_ns / NS_PER_MS);
		t->fs[slot_mon(t, i)].created++;
	}
	if (!(sh->flags & SH_FIN) && (c->tcp_flags & (JF_TCP_FIN | JF_TCP_RST))) {
		struct jf_key k;

		/* The key only here: once per TCP flow life. */
		jf_slot_get_key(&t->slots[i], &t->cold[i], &k);
		if (k.proto == JF_IPPROTO_TCP) {
			sh->flags |= SH_FIN;
			sh->fin_ms = now32;
		}
	}
	return true;
}

/* The delta of slot i against its shadow (the delta interface); the
 * shadow takes the new values. */
static bool take_delta(struct jf_table *t, uint32_t i, struct jf_table_delta *d)
{
	struct shadow *sh = &t->sh[i];
	struct jf_counters c;

	jf_slot_get_counters(&t->slots[i], &t->cold[i], &c);
	sh->flags |= SH_SEEN;
	if (c.packets == sh->exp_packets && c.octets == sh->exp_octets)
		return false;
	d->packets = c.packets - sh->exp_packets;
	d->octets = c.octets - sh->exp_octets;
	d->first_ns = c.first_ns;
	d->last_ns = c.last_ns;
	d->flow_label = c.flow_label;
	d->out_ifindex = c.out_ifindex;
	d->tcp_flags = (uint8_t)c.tcp_flags;
	d->ttl_min = (uint8_t)c.ttl;
	d->ttl_max = (uint8_t)(c.ttl >> 8);
	d->final = false;
	sh->exp_packets = c.packets;
	sh->exp_octets = c.octets;
	sh->read_lo = (uint32_t)c.packets;
	return true;
}

size_t jf_table_scan(struct jf_table *t, uint64_t now_ms, jf_table_fn fn, void *arg)
{
	struct jf_table_delta d;
	struct jf_key k;
	uint64_t live = 0;
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < t->nslots; i++) {
		if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
			continue;
		live++;
		if (!take_delta(t, i, &d))
			continue;
		t->sh[i].changed_ms = (uint32_t)now_ms;
		if (fn) {
			jf_slot_get_key(&t->slots[i], &t->cold[i], &k);
			fn(arg, i, &k, &d);
		}
		n++;
	}
	t->st.live = live;
	return n;
}

/* After the grace period: nothing adds to a marked slot any more. Its
 * final delta (fn) or its record (the export), then the slot goes back to
 * the program. A freed slot whose successor is empty ends every probe
 * that reaches it: make it empty too, so tombstones do not lengthen
 * probes forever. */
static void release(struct jf_table *t, uint32_t i, jf_table_fn fn, void *arg)
{
	struct jf_slot *s = &t->slots[i];
	struct jf_slot_cold *cl = &t->cold[i];
	struct jf_table_delta d;
	uint32_t next = i + 1 == t->nslots ? 0 : i + 1;
	uint32_t free_state = JF_SLOT_FREE;

	if (fn) {
		if (!take_delta(t, i, &d)) {
			struct jf_counters c;

			jf_slot_get_counters(s, cl, &c);
			memset(&d, 0, sizeof(d));
			d.first_ns = c.first_ns;
			d.last_ns = c.last_ns;
			d.out_ifindex = c.out_ifindex;
		}
		d.final = true;
		if (d.packets || d.octets) {
			struct jf_key k;

			jf_slot_get_key(s, cl, &k);
			fn(arg, i, &k, &d);
		}
	} else {
		struct jf_counters c;

		/* A flow no pass saw (counted just before a detach) is
		 * looked up first, as every other. */
		observe(t, i, (uint32_t)t->now_ms, &c);
		export_slot(t, i, &c, (enum jf_end_reason)t->sh[i].why);
	}
	memset(&t->sh[i], 0, sizeof(t->sh[i]));
	if (t->routes)
		memset(&t->routes[i], 0, sizeof(t->routes[i]));
	if (t->enrich)
		memset(info_of(t, i), 0, t->enrich->info_bytes);
	/* A racing insert that took the successor meanwhile at worst gives
	 * a flow a second slot (two records), never loses a packet. */
	if (__atomic_load_n(&t->slots[next].state, __ATOMIC_ACQUIRE) == JF_SLOT_EMPTY)
		free_state = JF_SLOT_EMPTY;
	__atomic_store_n(&s->state, free_state, __ATOMIC_RELEASE);
	t->st.removed++;
	/* The tombstones before an empty slot end no probe either: empty
	 * them, back to the first slot in use. (Inserts pass tombstones to
	 * the first empty slot: without this a table whose flows all came
	 * and went would make every insert look at JF_TABLE_MAX_PROBE.) */
	while (free_state == JF_SLOT_EMPTY) {
		uint32_t prev = i ? i - 1 : t->nslots - 1, st = JF_SLOT_FREE;

		if (prev == next || !__atomic_compare_exchange_n(&t->slots[prev].state, &st,
								 JF_SLOT_EMPTY, false,
								 __ATOMIC_SEQ_CST,
								 __ATOMIC_SEQ_CST))
			break;
		i = prev;
	}
}

/* The marked slots of one batch: one wait for all of them (every CPU
 * that read LIVE before our marks has finished adding; every later one
 * saw MARKED), then each is read and freed. */
static int release_batch(struct jf_table *t, uint32_t *n, jf_table_quiesce_fn quiesce,
			 void *qarg, jf_table_fn fn, void *arg)
{
	uint32_t k;
	int rc;

	if (!*n)
		return 0;
	rc = quiesce ? quiesce(qarg) : 0;
	if (rc)
		return rc;
	for (k = 0; k < *n; k++)
		release(t, t->victims[k], fn, arg);
	*n = 0;
	return 0;
}

/* Mark slot i (LIVE) for removal with end reason why. False: the slot
 * was no longer LIVE (only the agent marks, so this does not happen). */
static bool mark(struct jf_table *t, uint32_t i, enum jf_end_reason why)
{
	uint32_t live = JF_SLOT_LIVE;

	if (!__atomic_compare_exchange_n(&t->slots[i].state, &live, JF_SLOT_MARKED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		t->st.mark_lost++;
		return false;
	}
	t->sh[i].flags |= SH_MARKED;
	t->sh[i].why = (uint8_t)why;
	return true;
}

/* Open flows of the monitors in mons have left with their slots. */
static void forget_open(struct jf_table *t, uint16_t mons)
{
	int k;

	for (k = 0; k < JF_MONITORS; k++)
		if (mons & (1u << k))
			t->fs[k].flows = t->fs[k].packets = t->fs[k].octets = 0;
}

/* Remove slots: all of them, those of the monitors in mons, or (neither)
 * those idle for idle_ms at now_ms. */
static long remove_where(struct jf_table *t, bool all, uint16_t mons, uint64_t now_ms,
			 uint64_t idle_ms, jf_table_quiesce_fn quiesce, void *qarg, jf_table_fn fn,
			 void *arg)
{
	uint32_t i, n = 0;
	long removed = 0;
	int rc;

	if (!fn)
		t->now_ms = now_ms ? now_ms : t->now_ms;
	for (i = 0; i < t->nslots; i++) {
		if (t->sh[i].flags & SH_MARKED) {
			t->victims[n++] = i;	/* left over from a failed wait */
		} else {
			if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
				continue;
			if (mons && !(mons & (1u << slot_mon(t, i))))
				continue;
			if (!all && !mons &&
			    (uint32_t)((uint32_t)now_ms - t->sh[i].changed_ms) < idle_ms)
				continue;
			if (!mark(t, i, all || mons ? JF_END_FORCED : JF_END_IDLE))
				continue;
			t->victims[n++] = i;
		}
		if (n == t->batch) {
			removed += n;
			rc = release_batch(t, &n, quiesce, qarg, fn, arg);
			if (rc)
				return rc;
		}
	}
	removed += n;
	rc = release_batch(t, &n, quiesce, qarg, fn, arg);
	if (rc)
		return rc;
	if (!fn && (all || mons))	/* whatever was open left with its slot */
		forget_open(t, all ? 0xffff : mons);
	return removed;
}

long jf_table_expire_idle(struct jf_table *t, uint64_t now_ms, uint64_t idle_ms,
			  jf_table_quiesce_fn quiesce, void *qarg, jf_table_fn fn, void *arg)
{
	return remove_where(t, false, 0, now_ms, idle_ms, quiesce, qarg, fn, arg);
}

long jf_table_remove_all(struct jf_table *t, jf_table_quiesce_fn quiesce, void *qarg,
			 jf_table_fn fn, void *arg)
{
	return remove_where(t, true, 0, 0, 0, quiesce, qarg, fn, arg);
}

long jf_table_remove_monitors(struct jf_table *t, uint16_t mons, uint64_t now_ms,
			      jf_table_quiesce_fn quiesce, void *qarg)
{
	if (!mons)
		return 0;
	return remove_where(t, false, mons, now_ms, 0, quiesce, qarg, NULL, NULL);
}

long jf_table_expire(struct jf_table *t, uint64_t now_ms, jf_table_quiesce_fn quiesce,
		     void *qarg)
{
	uint32_t now32 = (uint32_t)now_ms, i, n = 0, mon;
	uint64_t live = 0, flows[JF_MONITORS] = { 0 }, packets[JF_MONITORS] = { 0 };
	uint64_t octets[JF_MONITORS] = { 0 };
	long moved = 0;
	int rc, k;

	t->now_ms = now_ms;
	for (i = 0; i < t->nslots; i++) {
		struct shadow *sh = &t->sh[i];
		enum jf_end_reason why = 0;
		struct jf_counters c;

		if (sh->flags & SH_MARKED) {
			t->victims[n++] = i;	/* left over from a failed wait */
			goto batch;
		}
		if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
			continue;
		live++;
		mon = slot_mon(t, i);
		moved += observe(t, i, now32, &c);
		/* The cache's order: FIN/RST linger, idle, active; each
		 * flow by its monitor's timeouts. */
		if ((sh->flags & SH_FIN) && now32 - sh->fin_ms >= t->to[mon].fin_ms)
			why = JF_END_FLOW_END;
		else if (now32 - sh->changed_ms >= t->to[mon].idle_ms)
			why = JF_END_IDLE;
		else if (t->emergency_ms && now32 - sh->changed_ms >= t->emergency_ms)
			why = JF_END_RESOURCES;	/* the table is nearly full */
		else if ((sh->flags & SH_OPEN) && now32 - sh->start_ms >= t->to[mon].active_ms)
			export_slot(t, i, &c, JF_END_ACTIVE);
		if (why && mark(t, i, why)) {
			t->victims[n++] = i;
			goto batch;
		}
		if (sh->flags & SH_OPEN) {
			flows[mon]++;
			packets[mon] += c.packets - sh->exp_packets;
			octets[mon] += c.octets - sh->exp_octets;
		}
		continue;
batch:
		if (n == t->batch) {
			rc = release_batch(t, &n, quiesce, qarg, NULL, NULL);
			if (rc)
				return rc;
		}
	}
	rc = release_batch(t, &n, quiesce, qarg, NULL, NULL);
	if (rc)
		return rc;
	t->st.live = live;
	for (k = 0; k < JF_MONITORS; k++) {
		t->fs[k].flows = flows[k];
		t->fs[k].packets = packets[k];
		t->fs[k].octets = octets[k];
	}
	return moved;
}

/* --- Growing: the flows of the table move to a larger one --- */

/* A copy of old slot i in the new table: its key, first time, flags and
 * TTL range, no packets yet (the old slot's come after the grace period).
 * Always a fresh slot, never one that holds the key already: two old
 * slots of one flow (a race of two inserts) stay two flows, so a shadow
 * never stands for two slots' counters. UINT32_MAX: no empty slot within
 * reach. */
static uint32_t place_copy(const struct jf_table *t, struct jf_slot *ns, uint32_t nn, uint32_t i)
{
	const struct jf_slot *os = &t->slots[i];
	const struct jf_slot_cold *oc = &t->cold[i];
	struct jf_slot_cold *ncold = (struct jf_slot_cold *)(ns + nn);
	struct jf_key k;
	uint32_t idx, n;

	jf_slot_get_key(os, oc, &k);
	idx = jf_table_home(jf_table_hash(&k), nn);
	for (n = 0; n < JF_TABLE_MAX_PROBE; n++, idx = idx + 1 == nn ? 0 : idx + 1) {
		struct jf_slot *s = &ns[idx];
		struct jf_slot_cold *c = &ncold[idx];
		uint32_t empty = JF_SLOT_EMPTY;

		if (!__atomic_compare_exchange_n(&s->state, &empty, JF_SLOT_BUSY, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			continue;
		memcpy(s->hot, os->hot, sizeof(s->hot));
		memcpy(c->cold, oc->cold, sizeof(c->cold));
		s->packets = 0;
		s->octets = 0;
		s->last_ns = __atomic_load_n(&os->last_ns, __ATOMIC_RELAXED);
		s->tcp_flags = __atomic_load_n(&os->tcp_flags, __ATOMIC_RELAXED);
		s->ttl = __atomic_load_n(&os->ttl, __ATOMIC_RELAXED);
		s->out_ifindex = __atomic_load_n(&os->out_ifindex, __ATOMIC_RELAXED);
		c->first_ns = oc->first_ns;
		c->flow_label = __atomic_load_n(&oc->flow_label, __ATOMIC_RELAXED);
		/* Published before the old slot is marked: from the mark on,
		 * a packet of the flow finds this copy. */
		__atomic_store_n(&s->state, JF_SLOT_LIVE, __ATOMIC_SEQ_CST);
		return idx;
	}
	return UINT32_MAX;
}

/* Old slot i is final (after the grace period): add it to its copy j,
 * where packets may have landed since the mark. */
static void merge_copy(const struct jf_table *t, uint32_t i, struct jf_slot *ns, uint32_t nn,
		       uint32_t j)
{
	struct jf_slot *s = &ns[j];
	struct jf_slot_cold *c = &((struct jf_slot_cold *)(ns + nn))[j];
	struct jf_counters o;
	__u64 last;

	jf_slot_get_counters(&t->slots[i], &t->cold[i], &o);
	__atomic_fetch_add(&s->packets, o.packets, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&s->octets, o.octets, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&s->tcp_flags, o.tcp_flags, __ATOMIC_SEQ_CST);
	jf_ttl_widen(&s->ttl, (uint8_t)o.ttl);
	jf_ttl_widen(&s->ttl, (uint8_t)(o.ttl >> 8));
	last = __atomic_load_n(&s->last_ns, __ATOMIC_RELAXED);
	while (last < o.last_ns && !__atomic_compare_exchange_n(&s->last_ns, &last, o.last_ns, false,
								 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	if (!__atomic_load_n(&s->out_ifindex, __ATOMIC_RELAXED) && o.out_ifindex)
		__atomic_store_n(&s->out_ifindex, o.out_ifindex, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&c->flow_label, __ATOMIC_RELAXED) && o.flow_label)
		__atomic_store_n(&c->flow_label, o.flow_label, __ATOMIC_RELAXED);
}

/* The per-slot state that travels with a flow into the new table. */
struct moved {
	struct shadow *sh;
	struct slot_route *routes;
	uint8_t *info;
};

/* One batch of marked old slots: one grace period, then each moved slot's
 * counters join its copy and its state moves along; a slot that found no
 * copy (or was being removed) is released as by expiry. */
static int move_batch(struct jf_table *t, uint32_t *n, struct jf_slot *ns, uint32_t nn,
		      struct moved *mv, jf_table_quiesce_fn quiesce, void *qarg)
{
	uint32_t k, i, j;
	int rc;

	if (!*n)
		return 0;
	/* Every run that read an old slot LIVE before our marks is done. A
	 * failed wait is retried: the marked slots' counters are not final
	 * before it, and the old table goes after this move. */
	while (quiesce && (rc = quiesce(qarg)) != 0)
		if (rc != -EINTR && rc != -EAGAIN)
			return rc;
	for (k = 0; k < *n; k++) {
		i = t->victims[k];
		j = t->dests[k];
		if (j == UINT32_MAX) {
			release(t, i, NULL, NULL);
			continue;
		}
		merge_copy(t, i, ns, nn, j);
		mv->sh[j] = t->sh[i];
		if (mv->routes)
			mv->routes[j] = t->routes[i];
		if (mv->info)
			memcpy(mv->info + (size_t)j * t->enrich->info_bytes, info_of(t, i),
			       t->enrich->info_bytes);
	}
	*n = 0;
	return 0;
}

int jf_table_move(struct jf_table *t, struct jf_slot *mem, uint32_t nslots,
		  jf_table_quiesce_fn quiesce, void *qarg)
{
	uint32_t batch = nslots < JF_TABLE_BATCH ? nslots : JF_TABLE_BATCH, i, n = 0;
	uint32_t *victims = NULL, *dests = NULL;
	struct moved mv = { 0 };
	int rc = -ENOMEM;

	if (!mem || nslots < 2)
		return -EINVAL;
	mv.sh = calloc(nslots, sizeof(*mv.sh));
	victims = calloc(batch, sizeof(*victims));
	dests = calloc(batch, sizeof(*dests));
	if (t->routes)
		mv.routes = calloc(nslots, sizeof(*mv.routes));
	if (t->info && t->enrich)
		mv.info = calloc(nslots, t->enrich->info_bytes);
	if (!mv.sh || !victims || !dests || (t->routes && !mv.routes) ||
	    (t->info && t->enrich && !mv.info))
		goto fail;
	/* The caller pointed the program at the new table: after this wait
	 * no run inserts into the old one, so the pass below sees every flow
	 * the old table will ever hold. */
	while (quiesce && (rc = quiesce(qarg)) != 0)
		if (rc != -EINTR && rc != -EAGAIN)
			goto fail;
	/* Our own batch arrays: the old ones may be smaller. */
	free(t->victims);
	free(t->dests);
	t->victims = victims;
	t->dests = dests;
	t->batch = batch;
	victims = dests = NULL;
	for (i = 0; i < t->nslots; i++) {
		uint32_t live = JF_SLOT_LIVE;

		if (t->sh[i].flags & SH_MARKED) {
			/* Left over from a failed wait: removed as planned. */
			t->victims[n] = i;
			t->dests[n++] = UINT32_MAX;
		} else if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) == JF_SLOT_LIVE) {
			uint32_t j = place_copy(t, mem, nslots, i);

			if (!__atomic_compare_exchange_n(&t->slots[i].state, &live, JF_SLOT_MARKED,
							 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				t->st.mark_lost++;
				continue;
			}
			if (j == UINT32_MAX) {
				/* No room within reach in the new table: the
				 * flow leaves now, and its next packet gets a
				 * slot of its own. */
				t->sh[i].flags |= SH_MARKED;
				t->sh[i].why = JF_END_RESOURCES;
				t->st.move_unplaced++;
			}
			t->victims[n] = i;
			t->dests[n++] = j;
		}
		if (n == t->batch) {
			rc = move_batch(t, &n, mem, nslots, &mv, quiesce, qarg);
			if (rc)
				goto lost;
		}
	}
	rc = move_batch(t, &n, mem, nslots, &mv, quiesce, qarg);
	if (rc)
		goto lost;
	t->st.moved++;
	free(t->sh);
	free(t->routes);
	free(t->info);
	t->sh = mv.sh;
	t->routes = mv.routes;
	t->info = mv.info;
	t->slots = mem;
	t->cold = (struct jf_slot_cold *)(mem + nslots);
	t->nslots = nslots;
	return 0;
lost:
	/* Not reached with a wait that can only be retried (src/meter/epoch.c). */
	t->st.move_failed++;
fail:
	free(mv.sh);
	free(mv.routes);
	free(mv.info);
	free(victims);
	free(dests);
	return rc;
}

uint32_t jf_table_nslots(const struct jf_table *t)
{
	return t->nslots;
}

size_t jf_table_flush(struct jf_table *t, uint64_t now_ms, enum jf_end_reason why)
{
	return jf_table_flush_monitors(t, 0xffff, now_ms, why);
}

size_t jf_table_flush_monitors(struct jf_table *t, uint16_t mons, uint64_t now_ms,
			       enum jf_end_reason why)
{
	uint32_t i;
	size_t n = 0;

	t->now_ms = now_ms;
	for (i = 0; i < t->nslots; i++) {
		struct jf_counters c;

		if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE ||
		    (t->sh[i].flags & SH_MARKED) || !(mons & (1u << slot_mon(t, i))))
			continue;
		observe(t, i, (uint32_t)now_ms, &c);
		n += export_slot(t, i, &c, why);
	}
	forget_open(t, mons);
	return n;
}

void jf_table_add_flow_stats(const struct jf_table *t, struct jf_cache_stats *st)
{
	int k;

	for (k = 0; k < JF_MONITORS; k++)
		jf_cache_stats_add(st, &t->fs[k]);
}

void jf_table_add_monitor_stats(const struct jf_table *t, uint32_t mon,
				struct jf_cache_stats *st)
{
	jf_cache_stats_add(st, &t->fs[mon & (JF_MONITORS - 1)]);
}

bool jf_table_foreach_from(const struct jf_table *t, uint64_t *cursor, size_t max,
			   jf_visit_fn visit, void *arg)
{
	uint64_t i = *cursor;

	for (; i < t->nslots && max; i++, max--) {
		const struct shadow *sh = &t->sh[i];
		struct jf_record rec;
		struct jf_counters c;

		if (!(sh->flags & SH_OPEN) ||
		    __atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
			continue;
		jf_slot_get_counters(&t->slots[i], &t->cold[i], &c);
		fill_record(t, (uint32_t)i, &c, 0, &rec);
		visit(&rec.key, &rec.flow, arg);
	}
	*cursor = i;
	return i >= t->nslots;
}

size_t jf_table_agent_bytes(const struct jf_table *t)
{
	return (size_t)t->nslots * sizeof(*t->sh) + jf_table_batch_bytes(t->nslots) +
	       (t->routes ? (size_t)t->nslots * sizeof(*t->routes) + jf_nh_pool_bytes(t->nh) : 0) +
	       (t->enrich ? (size_t)t->nslots * t->enrich->info_bytes : 0);
}

void jf_table_get_stats(const struct jf_table *t, struct jf_table_stats *st)
{
	*st = t->st;
}

int jf_table_count(struct jf_table *t, const struct jf_pkt *p, uint64_t now_ns)
{
	return jf_table_count_slots(t->slots, t->nslots, p, now_ns) < 0 ? -ENOSPC : 0;
}

int jf_table_count_moving(struct jf_slot *cur, uint32_t ncur, struct jf_slot *old, uint32_t nold,
			  const struct jf_pkt *p, uint64_t now_ns)
{
	return jf_table_count2(cur, ncur, old, nold, old != NULL, p, now_ns);
}

uint32_t jf_table_slots_for(uint32_t flows)
{
	uint64_t s = (uint64_t)flows + flows / 2;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint32_t jf_table_default_flows(uint64_t mem_bytes)
{
	uint64_t f = mem_bytes / 64 / JF_TABLE_BYTES_PER_FLOW;

	if (f < JF_TABLE_FLOWS_MIN)
		return JF_TABLE_FLOWS_MIN;
	if (f > JF_TABLE_FLOWS_MAX)
		return JF_TABLE_FLOWS_MAX;
	return (uint32_t)f;
}

size_t jf_table_shadow_bytes_per_slot(void)
{
	return sizeof(struct shadow);
}

size_t jf_table_route_bytes_per_slot(void)
{
	return sizeof(struct slot_route);
}

size_t jf_table_batch_bytes(uint32_t nslots)
{
	/* The marked slots, and where each one's copy went (jf_table_move). */
	return (size_t)(nslots < JF_TABLE_BATCH ? nslots : JF_TABLE_BATCH) * 2 * sizeof(uint32_t);
}
