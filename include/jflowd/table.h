/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The persistent flow table, written once: open addressing with linear
 * probing over slots of two cache lines, compiled into the XDP program
 * and into the agent (src/flow_table.c, which also runs it in its tests).
 * A flow keeps its slot for its whole life; the agent reads the counters
 * in place and removes a slot only by mark, grace period, read, free
 * (docs/scale.md).
 *
 * A slot stores its struct jf_key split in two: a hit on an IPv4 flow
 * without MPLS reads and writes the slot's hot line only (docs/scale.md,
 * "the split slot"). The lines are stored apart, as a structure of
 * arrays: a table of n slots is 2n lines, lines [0, n) the hot lines
 * (struct jf_slot), lines [n, 2n) the cold ones (struct jf_slot_cold),
 * slot i's cold line is line n + i. The hot lines a probe walks are then
 * packed at a 64-byte stride: half the memory and pages of 128-byte
 * slots, and no useless cold line pulled in by the adjacent-line
 * prefetcher. The agent reads slots only through jf_slot_get_key() and
 * jf_slot_get_counters().
 *
 * The includer defines JF_TABLE_SLOT(ctx, idx): a pointer to slot idx's
 * hot line, and JF_TABLE_COLD(ctx, nslots, idx): to its cold line, line
 * nslots + idx; either may be NULL (map lookups in the program, array
 * indexing in the agent). ctx is what names a table to them: of type
 * JF_TABLE_CTX, the table's memory (void *) unless the includer says
 * otherwise (the program: the table's number, bpf/table_update.h). */
#ifndef JFLOWD_TABLE_H
#define JFLOWD_TABLE_H

#include <linux/types.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"

#define JF_TABLE_MAX_PROBE 32	/* slots looked at before the stash */
/* table_sel (bpf/maps.h): bit 0 the table in use; this bit: the other
 * table is the old one, whose flows the agent is moving. */
#define JF_TABLE_SEL_MOVING 2u

enum jf_slot_state {
	JF_SLOT_EMPTY = 0,	/* never used: ends a probe */
	JF_SLOT_BUSY,		/* claimed, being filled by one CPU */
	JF_SLOT_LIVE,
	JF_SLOT_MARKED,		/* being removed: nobody adds to it any more */
	JF_SLOT_FREE,		/* removed: probes go on past it, inserts take it */
};

/* A slot is two cache lines, stored apart (above). The hot line: all a
 * hit of an IPv4 flow without MPLS reads or writes, i.e. the state, the
 * key's "hot" words (the IPv4 addresses = src[0] and dst[0], ifindex,
 * ports, VLAN ids, proto/tos/family/flags) and the counters a packet adds
 * to. The cold line: the key's "cold" words (address words 1-3 of IPv6,
 * the MPLS labels), which a key compare reads only for IPv6 or MPLS keys,
 * and what only an insert or an IPv6 packet writes. For IPv4 without MPLS the cold words are zero (jf_key_has_cold):
 * the key is zeroed before it is parsed, and only IPv6 and MPLS fill
 * them. Hot and cold words are the key's 32-bit words in the order below,
 * so the agent puts the key together again (jf_slot_get_key). */
struct jf_slot {
	__u32 state;		/* enum jf_slot_state */
	__u32 tcp_flags;	/* OR of flags, atomic or */
	__u32 hot[6];		/* key words 0, 4, 8, 12, 13, 14: 64-bit aligned pairs */
	__u64 packets;
	__u64 octets;
	__u64 last_ns;		/* CLOCK_MONOTONIC, the program's clock */
	__u32 ttl;		/* min TTL in bits 0-7, max in bits 8-15 */
	__u32 out_ifindex;	/* mirror mapping: output interface, else 0 */
} __attribute__((aligned(64)));

struct jf_slot_cold {
	__u64 first_ns;
	__u32 cold[9];		/* key words 1-3, 5-7, 9-11 */
	__u32 flow_label;	/* IPv6 flow label of the last packet */
	__u32 frag_id;		/* IP identification of the last packet, only
				 * while a record collects it (keep_frag_id) */
	__u32 pad;
	__u64 spare;
} __attribute__((aligned(64)));

/* Bytes of table memory per slot: its hot and its cold line. */
#define JF_SLOT_BYTES (sizeof(struct jf_slot) + sizeof(struct jf_slot_cold))

#ifndef __bpf__
#include <stddef.h>
_Static_assert(sizeof(struct jf_slot) == 64, "jf_slot: one cache line");
_Static_assert(offsetof(struct jf_slot, hot) == 8 && offsetof(struct jf_slot, out_ifindex) == 60,
	       "jf_slot: what an IPv4 hit touches is in the hot line");
_Static_assert(sizeof(struct jf_slot_cold) == sizeof(struct jf_slot),
	       "jf_slot_cold: one cache line, a map element like the hot line");
_Static_assert(offsetof(struct jf_slot_cold, cold) == 8 &&
	       offsetof(struct jf_slot_cold, flow_label) == 44 &&
	       offsetof(struct jf_slot_cold, frag_id) == 48, "jf_slot_cold: layout");
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

/* Two 32-bit words as one 64-bit word with the memory image of {a, b}: a
 * slot's word pairs are then compared with one 64-bit load. */
static __always_inline __u64 jf_pair(__u32 a, __u32 b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u64)a | (__u64)b << 32;
#else
	return (__u64)a << 32 | b;
#endif
}

/* Pair i of a key's hot words (words 0 and 4, 8 and 12, 13 and 14), and
 * of its cold words (1 and 2, 3 and 5, 6 and 7, 9 and 10; 11 alone), as
 * struct jf_slot stores them. */
static __always_inline __u64 jf_key_hot(const struct jf_key *k, int i)
{
	if (i == 0)
		return jf_pair(jf_key_u32(k, 0), jf_key_u32(k, 4));
	if (i == 1)
		return jf_pair(jf_key_u32(k, 8), jf_key_u32(k, 12));
	return jf_pair(jf_key_u32(k, 13), jf_key_u32(k, 14));
}

static __always_inline __u64 jf_key_cold(const struct jf_key *k, int i)
{
	if (i == 0)
		return jf_pair(jf_key_u32(k, 1), jf_key_u32(k, 2));
	if (i == 1)
		return jf_pair(jf_key_u32(k, 3), jf_key_u32(k, 5));
	if (i == 2)
		return jf_pair(jf_key_u32(k, 6), jf_key_u32(k, 7));
	if (i == 3)
		return jf_pair(jf_key_u32(k, 9), jf_key_u32(k, 10));
	return jf_key_u32(k, 11);
}

/* The same pairs as a slot stores them: aligned 64-bit loads. */
static __always_inline __u64 jf_slot_pair(const __u32 *w)
{
	__u64 v;

	__builtin_memcpy(&v, __builtin_assume_aligned(w, 8), 8);
	return v;
}

/* Whether a key has cold words that may be non-zero: all but IPv4 without
 * MPLS. The hot words hold family and flags, so two keys with equal hot
 * words agree on this. */
static __always_inline int jf_key_has_cold(const struct jf_key *k)
{
	return k->family != JF_FAMILY_IPV4 || (k->flags & JF_KEY_MPLS);
}

static __always_inline __u64 jf_hash_round(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

/* Multiply-xorshift over the key's words, the hot ones first; the cold
 * ones only where they may be non-zero (jf_key_has_cold): an IPv4 key
 * costs three rounds instead of eight. */
static __always_inline __u64 jf_table_hash(const struct jf_key *k)
{
	__u64 h = 0x9e3779b97f4a7c15ull;
	int i;

	for (i = 0; i < 3; i++)
		h = jf_hash_round(h, jf_key_hot(k, i));
	if (jf_key_has_cold(k))
		for (i = 0; i < 5; i++)
			h = jf_hash_round(h, jf_key_cold(k, i));
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

/* Whole keys, word by word (agent side: keys put together again). */
static __always_inline int jf_key_equal(const struct jf_key *a, const struct jf_key *b)
{
	__u64 d = 0;
	int i;

	for (i = 0; i < 7; i++)
		d |= jf_key_word(a, i) ^ jf_key_word(b, i);
	d |= jf_key_tail(a) ^ jf_key_tail(b);
	return d == 0;
}

/* A slot's hot key words against a packet's (kh: the key's pairs,
 * jf_key_hot, made once per packet). */
static __always_inline int jf_slot_hot_equal(const struct jf_slot *s, const __u64 *kh)
{
	return ((jf_slot_pair(&s->hot[0]) ^ kh[0]) | (jf_slot_pair(&s->hot[2]) ^ kh[1]) |
		(jf_slot_pair(&s->hot[4]) ^ kh[2])) == 0;
}

/* A slot's cold key words against a packet's: only for a key with cold
 * words (jf_key_has_cold). */
static __always_inline int jf_slot_cold_equal(const struct jf_slot_cold *c, const struct jf_key *k)
{
	__u64 d = 0;
	int i;

	for (i = 0; i < 4; i++)
		d |= jf_slot_pair(&c->cold[2 * i]) ^ jf_key_cold(k, i);
	d |= c->cold[8] ^ jf_key_cold(k, 4);
	return d == 0;
}

/* A whole slot's key against a packet's (tests and the agent). */
static __always_inline int jf_slot_key_equal(const struct jf_slot *s, const struct jf_slot_cold *c,
					     const struct jf_key *k)
{
	__u64 kh[3] = { jf_key_hot(k, 0), jf_key_hot(k, 1), jf_key_hot(k, 2) };

	if (!jf_slot_hot_equal(s, kh))
		return 0;
	return !jf_key_has_cold(k) || jf_slot_cold_equal(c, k);
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
	c->frag_id = p->frag_id;
	c->pad = 0;
}

#define JF_TTL_CAS_TRIES 4

/* TTL min/max: a compare-and-swap only when the range widens. */
static __always_inline void jf_ttl_widen(__u32 *ttl, __u8 t)
{
	__u32 old, lo, hi, want;
	int i;

	for (i = 0; i < JF_TTL_CAS_TRIES; i++) {
		old = *ttl;
		lo = old & 0xff;
		hi = (old >> 8) & 0xff;
		if (t >= lo && t <= hi)
			break;
		want = (t < lo ? t : lo) | (t > hi ? t : hi) << 8;
		if (__sync_val_compare_and_swap(ttl, old, want) == old)
			break;
	}
}

/* One packet into what other CPUs may be adding to: the fields struct
 * jf_counters (the hash maps) and a slot's hot line share by name. */
#define JF_ADD_PACKET(x, p, now)						\
	do {								\
		__sync_fetch_and_add(&(x)->packets, 1);			\
		__sync_fetch_and_add(&(x)->octets, (p)->octets);		\
		/* Racing CPUs may store slightly older times. */		\
		(x)->last_ns = (now);					\
		if (((x)->tcp_flags & (p)->tcp_flags) != (p)->tcp_flags)	\
			__sync_fetch_and_or(&(x)->tcp_flags, (p)->tcp_flags);	\
		/* Per packet: the insert may have been another CPU's,	\
		 * unmapped. */						\
		if ((p)->out_ifindex && (x)->out_ifindex != (p)->out_ifindex)	\
			(x)->out_ifindex = (p)->out_ifindex;		\
		jf_ttl_widen(&(x)->ttl, (p)->ttl);			\
	} while (0)

/* Add one packet to counters other CPUs may be adding to (the hash maps:
 * stash and per-interval maps). */
static __always_inline void jf_counters_add(struct jf_counters *c,
					    const struct jf_pkt *p, __u64 now)
{
	JF_ADD_PACKET(c, p, now);
	if (p->flow_label)
		c->flow_label = p->flow_label;
	if (p->keep_frag_id)
		c->frag_id = p->frag_id;
}

/* The same for a table slot's hot line; the flow label of an IPv6 packet
 * goes to the cold line (jf_slot_add_label). */
static __always_inline void jf_slot_add(struct jf_slot *s, const struct jf_pkt *p, __u64 now)
{
	JF_ADD_PACKET(s, p, now);
}

static __always_inline void jf_slot_add_label(struct jf_slot_cold *c, const struct jf_pkt *p)
{
	if (p->flow_label)
		c->flow_label = p->flow_label;
	if (p->keep_frag_id)
		c->frag_id = p->frag_id;
}

/* Fill a claimed slot, both lines: a freed slot may have held an IPv6
 * or MPLS key, and an IPv4 key's cold words must read zero. */
static __always_inline void jf_slot_init(struct jf_slot *s, struct jf_slot_cold *c,
					 const struct jf_pkt *p, __u64 now)
{
	const struct jf_key *k = &p->key;

	s->hot[0] = jf_key_u32(k, 0);
	s->hot[1] = jf_key_u32(k, 4);
	s->hot[2] = jf_key_u32(k, 8);
	s->hot[3] = jf_key_u32(k, 12);
	s->hot[4] = jf_key_u32(k, 13);
	s->hot[5] = jf_key_u32(k, 14);
	c->cold[0] = jf_key_u32(k, 1);
	c->cold[1] = jf_key_u32(k, 2);
	c->cold[2] = jf_key_u32(k, 3);
	c->cold[3] = jf_key_u32(k, 5);
	c->cold[4] = jf_key_u32(k, 6);
	c->cold[5] = jf_key_u32(k, 7);
	c->cold[6] = jf_key_u32(k, 9);
	c->cold[7] = jf_key_u32(k, 10);
	c->cold[8] = jf_key_u32(k, 11);
	s->packets = 1;
	s->octets = p->octets;
	c->first_ns = now;
	s->last_ns = now;
	s->tcp_flags = p->tcp_flags;
	s->ttl = p->ttl | (__u32)p->ttl << 8;
	c->flow_label = p->flow_label;
	c->frag_id = p->frag_id;
	s->out_ifindex = p->out_ifindex;
}

#ifndef __bpf__
/* The agent's reads of a slot. The key back in one piece (for a live or
 * marked slot its words do not change). */
static inline void jf_slot_get_key(const struct jf_slot *s, const struct jf_slot_cold *c,
				   struct jf_key *out)
{
	__u32 w[15];

	w[0] = s->hot[0];
	w[1] = c->cold[0];
	w[2] = c->cold[1];
	w[3] = c->cold[2];
	w[4] = s->hot[1];
	w[5] = c->cold[3];
	w[6] = c->cold[4];
	w[7] = c->cold[5];
	w[8] = s->hot[2];
	w[9] = c->cold[6];
	w[10] = c->cold[7];
	w[11] = c->cold[8];
	w[12] = s->hot[3];
	w[13] = s->hot[4];
	w[14] = s->hot[5];
	__builtin_memcpy(out, w, sizeof(*out));
}

/* The counters as struct jf_counters. Packets and octets are aligned
 * 64-bit words updated by atomic adds: each load is a value the counter
 * had at some moment, and what a racing packet adds after it shows up
 * in the next read. The other fields are single words written by
 * whichever CPU came last. */
static inline void jf_slot_get_counters(const struct jf_slot *s, const struct jf_slot_cold *c,
					struct jf_counters *out)
{
	out->packets = __atomic_load_n(&s->packets, __ATOMIC_ACQUIRE);
	out->octets = __atomic_load_n(&s->octets, __ATOMIC_ACQUIRE);
	out->first_ns = __atomic_load_n(&c->first_ns, __ATOMIC_RELAXED);
	out->last_ns = __atomic_load_n(&s->last_ns, __ATOMIC_RELAXED);
	out->tcp_flags = __atomic_load_n(&s->tcp_flags, __ATOMIC_RELAXED);
	out->ttl = __atomic_load_n(&s->ttl, __ATOMIC_RELAXED);
	out->flow_label = __atomic_load_n(&c->flow_label, __ATOMIC_RELAXED);
	out->frag_id = __atomic_load_n(&c->frag_id, __ATOMIC_RELAXED);
	out->pad = 0;
	out->out_ifindex = __atomic_load_n(&s->out_ifindex, __ATOMIC_RELAXED);
}
#endif

#endif

/* Outside the guard: a file may include this header for the layout first
 * and again, with JF_TABLE_SLOT defined, for the update. */
#if defined(JF_TABLE_SLOT) && !defined(JFLOWD_TABLE_COUNT)
#define JFLOWD_TABLE_COUNT
#ifndef JF_TABLE_CTX
#define JF_TABLE_CTX void *
#endif
/* Claim slot idx (hot line s), seen in state st (EMPTY or FREE), for p:
 * a compare-and-swap to BUSY, fill both lines, publish with an exchange
 * (a full barrier: nobody sees LIVE before the key). 0, or -1 when
 * another CPU took it first. */
static __always_inline int jf_table_claim(JF_TABLE_CTX ctx, __u32 nslots, __u32 idx,
					  struct jf_slot *s, __u32 st, const struct jf_pkt *p,
					  __u64 now)
{
	struct jf_slot_cold *c = JF_TABLE_COLD(ctx, nslots, idx);

	if (!c)
		return -1;
	if (__sync_val_compare_and_swap(&s->state, st, JF_SLOT_BUSY) != st)
		return -1;
	jf_slot_init(s, c, p, now);
#ifndef __bpf__
	/* gcc's exchange is only an acquire barrier. */
	__sync_synchronize();
#endif
	__sync_lock_test_and_set(&s->state, JF_SLOT_LIVE);
	return 0;
}

/* Slot idx (hot line s) holds p's key: the hot words, and only for a key
 * with cold words the cold line too. */
static __always_inline int jf_table_key_equal(JF_TABLE_CTX ctx, __u32 nslots, __u32 idx,
					      const struct jf_slot *s, const struct jf_pkt *p,
					      const __u64 *kh)
{
	const struct jf_slot_cold *c;

	if (!jf_slot_hot_equal(s, kh))
		return 0;
	if (!jf_key_has_cold(&p->key))
		return 1;
	c = JF_TABLE_COLD(ctx, nslots, idx);
	return c && jf_slot_cold_equal(c, &p->key);
}

/* Add p to live slot idx: the hot line, the cold one only for a flow
 * label or a fragment identification a record collects. */
static __always_inline void jf_table_add(JF_TABLE_CTX ctx, __u32 nslots, __u32 idx,
					 struct jf_slot *s, const struct jf_pkt *p, __u64 now)
{
	struct jf_slot_cold *c;

	jf_slot_add(s, p, now);
	if (p->flow_label | p->keep_frag_id) {
		c = JF_TABLE_COLD(ctx, nslots, idx);
		if (c)
			jf_slot_add_label(c, p);
	}
}

/* Count one packet into the table. A live slot with this key: add. A
 * marked one is being removed: go on (the flow gets a new slot). A freed
 * one (a tombstone) is remembered and passed: the flow may live further
 * on, and taking the tombstone would give it a second slot, so its
 * record would be split in two. An empty one ends the search: the flow
 * is new; it takes the first tombstone passed, else this empty slot. A
 * busy one is skipped. Returns 0 (added to a live slot), 1 (inserted), or
 * -1 when JF_TABLE_MAX_PROBE slots had no room (the caller tries the
 * stash). Two CPUs inserting one new flow at once may take two slots:
 * each is read and exported, nothing is lost. A probe walks hot lines
 * only; a hit of an IPv4 key without MPLS reads and writes its slot's hot
 * line only. */
static __always_inline int jf_table_count_slots(JF_TABLE_CTX ctx, __u32 nslots,
						const struct jf_pkt *p, __u64 now)
{
	__u32 idx = jf_table_home(jf_table_hash(&p->key), nslots), i, st, tomb = nslots;
	__u64 kh[3] = { jf_key_hot(&p->key, 0), jf_key_hot(&p->key, 1), jf_key_hot(&p->key, 2) };
	struct jf_slot *s, *ts;

	for (i = 0; i < JF_TABLE_MAX_PROBE; i++) {
		s = JF_TABLE_SLOT(ctx, idx);
		if (!s)
			return -1;
		st = s->state;
		if (st == JF_SLOT_LIVE && jf_table_key_equal(ctx, nslots, idx, s, p, kh)) {
#ifdef JF_TABLE_RACE_WINDOW
			/* Tests only (bpf/jflowd_race.bpf.c): widen the window a
			 * removal must not fall into. */
			JF_TABLE_RACE_WINDOW();
#endif
			jf_table_add(ctx, nslots, idx, s, p, now);
			return 0;
		}
		if (st == JF_SLOT_FREE && tomb == nslots)
			tomb = idx;
		if (st == JF_SLOT_EMPTY) {
			if (tomb != nslots) {
				ts = JF_TABLE_SLOT(ctx, tomb);
				if (ts && !jf_table_claim(ctx, nslots, tomb, ts, JF_SLOT_FREE, p, now))
					return 1;
				tomb = nslots;	/* taken meanwhile: this one then */
			}
			if (!jf_table_claim(ctx, nslots, idx, s, JF_SLOT_EMPTY, p, now))
				return 1;
			/* Another CPU took it first, maybe for this flow. */
			if (s->state == JF_SLOT_LIVE && jf_table_key_equal(ctx, nslots, idx, s, p, kh)) {
				jf_table_add(ctx, nslots, idx, s, p, now);
				return 0;
			}
		}
		idx = idx + 1 == nslots ? 0 : idx + 1;
	}
	/* No empty slot within reach: the first tombstone passed. */
	if (tomb != nslots) {
		ts = JF_TABLE_SLOT(ctx, tomb);
		if (ts && !jf_table_claim(ctx, nslots, tomb, ts, JF_SLOT_FREE, p, now))
			return 1;
	}
	return -1;
}

/* Add p to its flow's live slot if the table has one: 0, else -1 (no
 * insert). While the table grows, the old table takes only hits. */
static __always_inline int jf_table_hit(JF_TABLE_CTX ctx, __u32 nslots,
					const struct jf_pkt *p, __u64 now)
{
	__u32 idx = jf_table_home(jf_table_hash(&p->key), nslots), i, st;
	__u64 kh[3] = { jf_key_hot(&p->key, 0), jf_key_hot(&p->key, 1), jf_key_hot(&p->key, 2) };
	struct jf_slot *s;

	for (i = 0; i < JF_TABLE_MAX_PROBE; i++) {
		s = JF_TABLE_SLOT(ctx, idx);
		if (!s)
			return -1;
		st = s->state;
		if (st == JF_SLOT_EMPTY)
			return -1;
		if (st == JF_SLOT_LIVE && jf_table_key_equal(ctx, nslots, idx, s, p, kh)) {
#ifdef JF_TABLE_RACE_WINDOW
			JF_TABLE_RACE_WINDOW();
#endif
			jf_table_add(ctx, nslots, idx, s, p, now);
			return 0;
		}
		idx = idx + 1 == nslots ? 0 : idx + 1;
	}
	return -1;
}

/* The table as it grows (docs/scale.md, "Growing"): cur takes every
 * insert; while the agent moves the flows of the old table (moving),
 * a packet first looks for its flow among the old table's live slots, and
 * only then counts into cur (a hit there, else an insert). The agent
 * publishes a flow's copy in cur before it marks the old slot, so a packet
 * that finds the old slot marked finds the copy in cur; one that found it
 * live adds to it, and the agent reads the old slot's final counters after
 * a grace period and adds them to the copy. Old first, not cur first: one
 * walk less for the verifier, and the walk only while a move runs.
 * Returns as jf_table_count_slots(). */
static __always_inline int jf_table_count2(JF_TABLE_CTX cur, __u32 ncur, JF_TABLE_CTX old,
					   __u32 nold, int moving, const struct jf_pkt *p,
					   __u64 now)
{
	if (moving && !jf_table_hit(old, nold, p, now))
		return 0;
	return jf_table_count_slots(cur, ncur, p, now);
}
#endif
