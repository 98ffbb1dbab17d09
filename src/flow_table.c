// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's side of the persistent kernel flow table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The program's update over plain memory (jf_table_count). */
#define JF_TABLE_SLOT(ctx, idx) (&((struct jf_slot *)(ctx))[idx])
#include "flow_table.h"

#define JF_TABLE_FLOWS_MIN 131072u
#define JF_TABLE_FLOWS_MAX 16777216u
#define JF_TABLE_BYTES_PER_FLOW 260u

/* Per slot: counters as last handed out, and when they last moved. */
struct shadow {
	uint64_t packets;
	uint64_t octets;
	uint64_t changed_ms;
	uint32_t marked;	/* marked by us, final delta not yet given */
	uint32_t pad;
};

struct jf_table {
	struct jf_slot *slots;
	uint32_t nslots;
	struct shadow *sh;
	uint32_t *victims;	/* slots marked in this round */
	struct jf_table_stats st;
};

struct jf_table *jf_table_new(struct jf_slot *slots, uint32_t nslots)
{
	struct jf_table *t;

	if (!slots || !nslots)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = slots;
	t->nslots = nslots;
	t->sh = calloc(nslots, sizeof(*t->sh));
	t->victims = calloc(nslots, sizeof(*t->victims));
	if (!t->sh || !t->victims) {
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
	free(t);
}

/* The delta of slot i against its shadow; the shadow takes the new
 * values. Counters are read with plain 64-bit loads: each is a value the
 * counter had at some moment, and what a racing packet adds after the
 * load shows up in the next delta. */
static bool take_delta(struct jf_table *t, uint32_t i, struct jf_table_delta *d)
{
	struct shadow *sh = &t->sh[i];
	struct jf_counters c;

	jf_slot_get_counters(&t->slots[i], &c);
	if (c.packets == sh->packets && c.octets == sh->octets)
		return false;
	d->packets = c.packets - sh->packets;
	d->octets = c.octets - sh->octets;
	d->first_ns = c.first_ns;
	d->last_ns = c.last_ns;
	d->flow_label = c.flow_label;
	d->out_ifindex = c.out_ifindex;
	d->tcp_flags = (uint8_t)c.tcp_flags;
	d->ttl_min = (uint8_t)c.ttl;
	d->ttl_max = (uint8_t)(c.ttl >> 8);
	d->final = false;
	sh->packets = c.packets;
	sh->octets = c.octets;
	return true;
}

size_t jf_table_scan(struct jf_table *t, uint64_t now_ms, jf_table_fn fn, void *arg)
{
	struct jf_table_delta d;
	struct jf_key key;
	uint64_t live = 0;
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < t->nslots; i++) {
		if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
			continue;
		live++;
		if (!take_delta(t, i, &d))
			continue;
		t->sh[i].changed_ms = now_ms;
		if (fn) {
			jf_slot_get_key(&t->slots[i], &key);
			fn(arg, i, &key, &d);
		}
		n++;
	}
	t->st.live = live;
	return n;
}

/* After the grace period: nothing adds to a marked slot any more. Its
 * final delta, then the slot goes back to the program. A freed slot whose
 * successor is empty ends every probe that reaches it: make it empty too,
 * so tombstones do not lengthen probes forever. */
static void release(struct jf_table *t, uint32_t i, jf_table_fn fn, void *arg)
{
	struct jf_slot *s = &t->slots[i];
	struct jf_table_delta d;
	struct jf_counters c;
	struct jf_key key;
	uint32_t next = i + 1 == t->nslots ? 0 : i + 1;
	uint32_t free_state = JF_SLOT_FREE;

	if (!take_delta(t, i, &d)) {
		jf_slot_get_counters(s, &c);
		memset(&d, 0, sizeof(d));
		d.first_ns = c.first_ns;
		d.last_ns = c.last_ns;
		d.out_ifindex = c.out_ifindex;
	}
	d.final = true;
	if (fn && (d.packets || d.octets)) {
		jf_slot_get_key(s, &key);
		fn(arg, i, &key, &d);
	}
	memset(&t->sh[i], 0, sizeof(t->sh[i]));
	/* A racing insert that took the successor meanwhile at worst gives
	 * a flow a second slot (two records), never loses a packet. */
	if (__atomic_load_n(&t->slots[next].state, __ATOMIC_ACQUIRE) == JF_SLOT_EMPTY)
		free_state = JF_SLOT_EMPTY;
	__atomic_store_n(&s->state, free_state, __ATOMIC_RELEASE);
	t->st.removed++;
}

static long remove_where(struct jf_table *t, bool all, uint64_t now_ms, uint64_t idle_ms,
			 jf_table_quiesce_fn quiesce, void *qarg, jf_table_fn fn, void *arg)
{
	uint32_t i, n = 0;
	int rc;

	for (i = 0; i < t->nslots; i++) {
		uint32_t live = JF_SLOT_LIVE;

		if (t->sh[i].marked) {
			t->victims[n++] = i;	/* left over from a failed wait */
			continue;
		}
		if (__atomic_load_n(&t->slots[i].state, __ATOMIC_ACQUIRE) != JF_SLOT_LIVE)
			continue;
		if (!all && now_ms - t->sh[i].changed_ms < idle_ms)
			continue;
		if (!__atomic_compare_exchange_n(&t->slots[i].state, &live, JF_SLOT_MARKED, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			t->st.mark_lost++;
			continue;
		}
		t->sh[i].marked = 1;
		t->victims[n++] = i;
	}
	if (!n)
		return 0;
	/* One wait for the whole batch: every CPU that read LIVE before our
	 * marks has finished adding; every later one saw MARKED. */
	rc = quiesce ? quiesce(qarg) : 0;
	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		release(t, t->victims[i], fn, arg);
	return n;
}

long jf_table_expire_idle(struct jf_table *t, uint64_t now_ms, uint64_t idle_ms,
			  jf_table_quiesce_fn quiesce, void *qarg, jf_table_fn fn, void *arg)
{
	return remove_where(t, false, now_ms, idle_ms, quiesce, qarg, fn, arg);
}

long jf_table_remove_all(struct jf_table *t, jf_table_quiesce_fn quiesce, void *qarg,
			 jf_table_fn fn, void *arg)
{
	return remove_where(t, true, 0, 0, quiesce, qarg, fn, arg);
}

void jf_table_get_stats(const struct jf_table *t, struct jf_table_stats *st)
{
	*st = t->st;
}

int jf_table_count(struct jf_table *t, const struct jf_pkt *p, uint64_t now_ns)
{
	return jf_table_count_slots(t->slots, t->nslots, p, now_ns) ? -ENOSPC : 0;
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
	return sizeof(struct shadow) + sizeof(uint32_t);
}
