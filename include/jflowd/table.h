/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The persistent flow table, written once: open addressing with linear
 * probing over an array of 128-byte slots, compiled into the XDP program
 * and into the agent (src/flow_table.c, which also runs it in its tests).
 * A flow keeps its slot for its whole life; the agent reads the counters
 * in place and removes a slot only by mark, grace period, read, free
 * (docs/scale.md).
 *
 * The includer defines JF_TABLE_SLOT(ctx, idx): a pointer to slot idx, or
 * NULL (a map lookup in the program, array indexing in the agent). */
#ifndef JFLOWD_TABLE_H
#define JFLOWD_TABLE_H

#include <linux/types.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"

#define JF_TABLE_MAX_PROBE 32	/* slots looked at before the stash */

enum jf_slot_state {
	JF_SLOT_EMPTY = 0,	/* never used: ends a probe */
	JF_SLOT_BUSY,		/* claimed, being filled by one CPU */
	JF_SLOT_LIVE,
	JF_SLOT_MARKED,		/* being removed: nobody adds to it any more */
	JF_SLOT_FREE,		/* removed: probes go on past it, inserts take it */
};

/* Two cache lines: what a packet compares, then what it adds. */
struct jf_slot {
	struct jf_key key;	/* bytes 0-59 */
	__u32 state;		/* enum jf_slot_state */
	struct jf_counters c;	/* bytes 64-111 */
	__u64 spare[2];
} __attribute__((aligned(64)));

#ifndef __bpf__
_Static_assert(sizeof(struct jf_slot) == 128, "jf_slot: two cache lines");

/* The agent reads a slot's fields only through these two (and the state
 * word directly), so a change of the slot's layout is one function each.
 * The key is stable while the slot is LIVE or MARKED. Packets and octets
 * are aligned 64-bit words the program adds to atomically: each load is
 * a value the counter had at some moment; a racing packet shows up in
 * the next read. */
static inline void jf_slot_get_key(const struct jf_slot *s, struct jf_key *out)
{
	__builtin_memcpy(out, &s->key, sizeof(*out));
}

static inline void jf_slot_get_counters(const struct jf_slot *s, struct jf_counters *out)
{
	const volatile struct jf_counters *c = &s->c;

	out->packets = __atomic_load_n(&s->c.packets, __ATOMIC_ACQUIRE);
	out->octets = __atomic_load_n(&s->c.octets, __ATOMIC_ACQUIRE);
	out->first_ns = c->first_ns;
	out->last_ns = c->last_ns;
	out->tcp_flags = c->tcp_flags;
	out->ttl = c->ttl;
	out->flow_label = c->flow_label;
	out->out_ifindex = c->out_ifindex;
}
#endif

/* Key words by memcpy from a 4-aligned key (its members are 32-bit and
 * smaller): no type punning for the optimiser to reorder, and 32-bit loads
 * rather than byte loads. */
static __always_inline __u32 jf_key_u32(const struct jf_key *k, int i)
{
	const __u8 *b = (const __u8 *)__builtin_assume_aligned(k, 4);
	__u32 w;

	__builtin_memcpy(&w, b + 4 * i, 4);
	return w;
}

static __always_inline __u64 jf_key_word(const struct jf_key *k, int i)
{
	return (__u64)jf_key_u32(k, 2 * i) | (__u64)jf_key_u32(k, 2 * i + 1) << 32;
}

static __always_inline __u32 jf_key_tail(const struct jf_key *k)
{
	return jf_key_u32(k, 14);
}

static __always_inline __u64 jf_table_hash(const struct jf_key *k)
{
	__u64 h = 0x9e3779b97f4a7c15ull;
	int i;

	for (i = 0; i < 7; i++) {
		h ^= jf_key_word(k, i);
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h ^= jf_key_tail(k);
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static __always_inline int jf_key_equal(const struct jf_key *a, const struct jf_key *b)
{
	__u64 d = 0;
	int i;

	for (i = 0; i < 7; i++)
		d |= jf_key_word(a, i) ^ jf_key_word(b, i);
	d |= jf_key_tail(a) ^ jf_key_tail(b);
	return d == 0;
}

/* First slot of a key: multiply-shift onto [0, nslots), so the table size
 * follows the memory budget, not a power of two. */
static __always_inline __u32 jf_table_home(__u64 h, __u32 nslots)
{
	return (__u32)(((h >> 32) * (__u64)nslots) >> 32);
}

static __always_inline void jf_counters_init(struct jf_counters *c, const struct jf_pkt *p,
					     __u64 now)
{
	c->packets = 1;
	c->octets = p->octets;
	c->first_ns = now;
	c->last_ns = now;
	c->tcp_flags = p->tcp_flags;
	c->ttl = p->ttl | (__u32)p->ttl << 8;
	c->flow_label = p->flow_label;
	c->out_ifindex = p->out_ifindex;
}

#define JF_TTL_CAS_TRIES 4

/* Add one packet to counters other CPUs may be adding to. */
static __always_inline void jf_counters_add(struct jf_counters *c,
					    const struct jf_pkt *p, __u64 now)
{
	__u32 old, lo, hi, want;
	int i;

	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->octets, p->octets);
	/* Racing CPUs may store slightly older times; nanoseconds apart. */
	c->last_ns = now;
	if ((c->tcp_flags & p->tcp_flags) != p->tcp_flags)
		__sync_fetch_and_or(&c->tcp_flags, p->tcp_flags);
	if (p->flow_label)
		c->flow_label = p->flow_label;
	/* Per packet: the insert may have been another CPU's, unmapped. */
	if (p->out_ifindex && c->out_ifindex != p->out_ifindex)
		c->out_ifindex = p->out_ifindex;

	/* TTL min/max: a compare-and-swap only when the range widens. */
	for (i = 0; i < JF_TTL_CAS_TRIES; i++) {
		old = c->ttl;
		lo = old & 0xff;
		hi = (old >> 8) & 0xff;
		if (p->ttl >= lo && p->ttl <= hi)
			break;
		want = (p->ttl < lo ? p->ttl : lo) | (p->ttl > hi ? p->ttl : hi) << 8;
		if (__sync_val_compare_and_swap(&c->ttl, old, want) == old)
			break;
	}
}

#endif

/* Outside the guard: a file may include this header for the layout first
 * and again, with JF_TABLE_SLOT defined, for the update. */
#if defined(JF_TABLE_SLOT) && !defined(JFLOWD_TABLE_COUNT)
#define JFLOWD_TABLE_COUNT
/* Claim slot s, seen in state st (EMPTY or FREE), for p: a
 * compare-and-swap to BUSY, fill, publish with an exchange (a full
 * barrier: nobody sees LIVE before the key). 0, or -1 when another CPU
 * took it first. */
static __always_inline int jf_table_claim(struct jf_slot *s, __u32 st, const struct jf_pkt *p,
					  __u64 now)
{
	if (__sync_val_compare_and_swap(&s->state, st, JF_SLOT_BUSY) != st)
		return -1;
	__builtin_memcpy(&s->key, &p->key, sizeof(s->key));
	jf_counters_init(&s->c, p, now);
#ifndef __bpf__
	/* gcc's exchange is only an acquire barrier. */
	__sync_synchronize();
#endif
	__sync_lock_test_and_set(&s->state, JF_SLOT_LIVE);
	return 0;
}

/* Count one packet into the table. A live slot with this key: add. A
 * marked one is being removed: go on (the flow gets a new slot). A freed
 * one (a tombstone) is remembered and passed: the flow may live further
 * on, and taking the tombstone would give it a second slot, so its
 * record would be split in two. An empty one ends the search: the flow
 * is new; it takes the first tombstone passed, else this empty slot. A
 * busy one is skipped. Returns 0, or -1 when JF_TABLE_MAX_PROBE slots had
 * no room (the caller tries the stash). Two CPUs inserting one new flow
 * at once may take two slots: each is read and exported, nothing is
 * lost. */
static __always_inline int jf_table_count_slots(void *ctx, __u32 nslots, const struct jf_pkt *p,
						__u64 now)
{
	__u32 idx = jf_table_home(jf_table_hash(&p->key), nslots), i, st, tomb = nslots;
	struct jf_slot *s, *ts;

	for (i = 0; i < JF_TABLE_MAX_PROBE; i++) {
		s = JF_TABLE_SLOT(ctx, idx);
		if (!s)
			return -1;
		st = s->state;
		if (st == JF_SLOT_LIVE && jf_key_equal(&s->key, &p->key)) {
#ifdef JF_TABLE_RACE_WINDOW
			/* Tests only (bpf/jflowd_race.bpf.c): widen the window a
			 * removal must not fall into. */
			JF_TABLE_RACE_WINDOW();
#endif
			jf_counters_add(&s->c, p, now);
			return 0;
		}
		if (st == JF_SLOT_FREE && tomb == nslots)
			tomb = idx;
		if (st == JF_SLOT_EMPTY) {
			if (tomb != nslots) {
				ts = JF_TABLE_SLOT(ctx, tomb);
				if (ts && !jf_table_claim(ts, JF_SLOT_FREE, p, now))
					return 0;
				tomb = nslots;	/* taken meanwhile: this one then */
			}
			if (!jf_table_claim(s, JF_SLOT_EMPTY, p, now))
				return 0;
			/* Another CPU took it first, maybe for this flow. */
			if (s->state == JF_SLOT_LIVE && jf_key_equal(&s->key, &p->key)) {
				jf_counters_add(&s->c, p, now);
				return 0;
			}
		}
		idx = idx + 1 == nslots ? 0 : idx + 1;
	}
	/* No empty slot within reach: the first tombstone passed. */
	if (tomb != nslots) {
		ts = JF_TABLE_SLOT(ctx, tomb);
		if (ts && !jf_table_claim(ts, JF_SLOT_FREE, p, now))
			return 0;
	}
	return -1;
}
#endif
