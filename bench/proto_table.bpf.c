// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prototypes of the kernel flow table (issue 13), measured side by side by
 * bench/proto_table.c through BPF_PROG_TEST_RUN. Every variant is a whole
 * XDP program (the shared parser, the stats counter, a clock, a table),
 * tail-called by the rotator below, so the figures compare like with like:
 *
 *   v_trivial       XDP_PASS: the rotator and the tail call alone
 *   v_parse         + zeroed jf_pkt, jf_parse_eth, per-CPU stats
 *   v_parse_ktime   + bpf_ktime_get_ns
 *   v_parse_coarse  + bpf_ktime_get_coarse_ns
 *   v_parse_bss     + a clock the agent writes into .bss
 *   v_parse_jiffies + bpf_jiffies64 (inlined by the verifier on 64-bit JITs:
 *                     a load of `jiffies`) times ns per jiffy plus an
 *                     agent-written offset, the program's clock
 *   v_hash_ktime    + BPF hash map, 60-byte key, 48-byte value (today's
 *                     update path, one map, no epoch parity)
 *   v_hash_coarse   the same with the coarse clock
 *   v_hash_np       the same, BPF_F_NO_PREALLOC (elements in the direct map)
 *   v_hash16        the same with a 16-byte key (IPv4 5-tuple, no
 *                     ifindex/VLAN/MPLS): what key size costs
 *   v_oa_ktime      open addressing in a BPF_F_MMAPABLE array, 128-byte
 *                     slots (full 60-byte key + state in the first cache
 *                     line, counters in the second), linear probing
 *   v_oa_coarse     the same with the coarse clock
 *   v_oa_bss        the same with the agent-written clock
 *   v_oa64          64-byte slots, 16-byte key: the one-cache-line floor
 *   v_oa64_bss      the same with the agent-written clock
 *   v_oa32          32-byte slots, two a cache line (key16, state, packets,
 *                     octets): the compact IPv4 slot's floor (issue 23)
 *
 * The real program (bpf/jflowd.bpf.c) runs behind the same rotator. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"
#include "flow_update.h"
#include "proto_table.h"

/* ---- rotator ---------------------------------------------------------- */

/* Set by the driver before each run. */
__u32 rot_mask;			/* flows - 1 (a power of two) */
__u32 rot_mult;			/* odd: n -> n * mult & mask visits every flow once */
__u64 bss_clock_ns;		/* the agent-written clock */
__u64 jiffy_off_ns;		/* CLOCK_MONOTONIC ns = jiffies * ns + this */
const volatile __u64 jiffy_ns = 4000000;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rot_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rot_target SEC(".maps");

/* Flow n goes to IPv4 source 10.0.0.1 + (n * mult & mask): scattered, and
 * a different multiplier between the insert and the hit pass keeps the
 * hash map's element memory from being walked in allocation order. */
SEC("xdp.frags")
int rot(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	__u64 *n;
	__u32 *a;

	n = bpf_map_lookup_elem(&rot_seq, &zero);
	if (!n)
		return XDP_ABORTED;
	a = data + 26;
	if ((void *)(a + 1) > end)
		return XDP_ABORTED;
	*a = bpf_htonl(0x0a000001 + (((__u32)*n * rot_mult) & rot_mask));
	*n += 1;
	bpf_tail_call(ctx, &rot_target, 0);
	return XDP_ABORTED;
}

/* ---- maps --------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JF_STAT_ENTRIES);
	__type(key, __u32);
	__type(value, struct jf_stat);
} pstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} pspill SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct jf_key);
	__type(value, struct jf_counters);
} h60 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct pt_key16);
	__type(value, struct jf_counters);
} h16 SEC(".maps");

/* Elements allocated per insert (bpf_mem_alloc, kmalloc): they live in
 * the kernel's direct map, which huge pages cover; preallocated elements
 * and arrays are vmalloc memory, mapped with 4 KiB pages. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct jf_key);
	__type(value, struct jf_counters);
} h60np SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pt_slot);
} oa128 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pt_slot64);
} oa64 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct pt_slot32);
} oa32 SEC(".maps");

const volatile __u32 oa32_slots = 1024;

/* Flows that find no slot within PT_MAX_PROBE (the tail of linear
 * probing: about 0.06 % of flows at 2/3 load) live in a small hash map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct jf_key);
	__type(value, struct jf_counters);
} stash128 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct pt_key16);
	__type(value, struct jf_counters);
} stash64 SEC(".maps");

const volatile __u32 oa128_slots = 1024;
const volatile __u32 oa64_slots = 1024;

/* Packets that found no slot within PT_MAX_PROBE: into the stash. */
__u64 oa_stashed;

/* ---- common ------------------------------------------------------------- */

static __always_inline void stat_add(__u32 reason, __u64 octets)
{
	__u32 idx = JF_STAT_IDX(0, reason);
	struct jf_stat *st = bpf_map_lookup_elem(&pstats, &idx);

	if (st) {
		st->packets++;
		st->octets += octets;
	}
}

enum clk { CLK_NONE, CLK_KTIME, CLK_COARSE, CLK_BSS, CLK_JIFFIES };

static __always_inline __u64 clock_now(enum clk c)
{
	switch (c) {
	case CLK_KTIME:
		return bpf_ktime_get_ns();
	case CLK_COARSE:
		return bpf_ktime_get_coarse_ns();
	case CLK_BSS:
		return bss_clock_ns;
	case CLK_JIFFIES:
		return bpf_jiffies64() * jiffy_ns + jiffy_off_ns;
	default:
		return 0;
	}
}

/* Parse; JF_PKT_OK leaves a complete key in *p. */
static __always_inline int parse(struct xdp_md *ctx, struct jf_pkt *p)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	int reason;

	__builtin_memset(p, 0, sizeof(*p));
	reason = jf_parse_eth(data, end, p);
	if (reason == JF_PKT_OK)
		p->key.ifindex = ctx->ingress_ifindex;
	return reason;
}

/* ---- open addressing ---------------------------------------------------- */

/* Words of the key: the shared loaders of include/jflowd/table.h. */
static __always_inline __u64 kw(const struct jf_key *k, int i)
{
	return jf_key_word(k, i);
}

static __always_inline __u32 ktail(const struct jf_key *k)
{
	return jf_key_tail(k);
}

static __always_inline __u64 pt_hash60(const struct jf_key *k)
{
	__u64 h = 0x9e3779b97f4a7c15ull;
	int i;

#pragma unroll
	for (i = 0; i < 7; i++) {
		h ^= kw(k, i);
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h ^= ktail(k);
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static __always_inline int key60_eq(const struct jf_key *a, const struct jf_key *b)
{
	__u64 d = 0;
	int i;

#pragma unroll
	for (i = 0; i < 7; i++)
		d |= kw(a, i) ^ kw(b, i);
	d |= ktail(a) ^ ktail(b);
	return d == 0;
}

static __always_inline void counters_init(struct jf_counters *c, const struct jf_pkt *p,
					  __u64 now)
{
	c->packets = 1;
	c->octets = p->octets;
	c->first_ns = now;
	c->last_ns = now;
	c->tcp_flags = p->tcp_flags;
	c->ttl = p->ttl | (__u32)p->ttl << 8;
	c->flow_label = p->flow_label;
	c->out_ifindex = 0;
}

/* Slot index from the hash: multiply-shift onto [0, nslots), so the table
 * size need not be a power of two (the memory budget decides it). */
static __always_inline __u32 home(__u64 h, __u32 nslots)
{
	return (__u32)(((h >> 32) * (__u64)nslots) >> 32);
}

/* Linear probing. A live slot with our key: add. A marked slot with our
 * key is being removed by the agent: skip it (the flow gets a new slot).
 * Empty: claim it with a compare-and-swap, fill it, publish it with an
 * exchange (a full barrier) so the agent never reads a half-written key. */
static __always_inline int oa128_update(const struct jf_pkt *p, __u64 now)
{
	__u64 h = pt_hash60(&p->key);
	__u32 n = oa128_slots, idx = home(h, n), i, st;
	struct pt_slot *s;

	for (i = 0; i < PT_MAX_PROBE; i++) {
		s = bpf_map_lookup_elem(&oa128, &idx);
		if (!s)
			break;
		st = s->state;
		if (st == PT_LIVE && key60_eq(&s->key, &p->key)) {
			jf_counters_add(&s->c, p, now);
			return JF_PKT_OK;
		}
		if (st == PT_EMPTY || st == PT_FREE) {
			if (__sync_val_compare_and_swap(&s->state, st, PT_BUSY) == st) {
				__builtin_memcpy(&s->key, &p->key, sizeof(s->key));
				counters_init(&s->c, p, now);
				__sync_lock_test_and_set(&s->state, PT_LIVE);
				return JF_PKT_OK;
			}
			/* Lost the race: another CPU may have inserted our
			 * own flow here. A slot still busy is skipped. */
			st = s->state;
			if (st == PT_LIVE && key60_eq(&s->key, &p->key)) {
				jf_counters_add(&s->c, p, now);
				return JF_PKT_OK;
			}
		}
		idx = idx + 1 == n ? 0 : idx + 1;
	}
	__sync_fetch_and_add(&oa_stashed, 1);
	return jf_flow_update(&stash128, &pspill, p, now, 0);
}

static __always_inline void key16_make(struct pt_key16 *k, const struct jf_pkt *p)
{
	k->src = p->key.src[0];
	k->dst = p->key.dst[0];
	k->sport = p->key.sport;
	k->dport = p->key.dport;
	k->proto = p->key.proto;
	k->tos = p->key.tos;
	k->family = p->key.family;
	k->flags = p->key.flags;
}

static __always_inline int h16_into(void *map, const struct jf_pkt *p,
				    const struct pt_key16 *k, __u64 now)
{
	struct jf_counters *c, init;

	c = bpf_map_lookup_elem(map, k);
	if (c) {
		jf_counters_add(c, p, now);
		return JF_PKT_OK;
	}
	counters_init(&init, p, now);
	if (!bpf_map_update_elem(map, k, &init, BPF_NOEXIST))
		return JF_PKT_OK;
	return jf_spill_packet(&pspill, p, now, 0);
}

static __always_inline int h16_update(const struct jf_pkt *p, __u64 now)
{
	struct pt_key16 k;

	key16_make(&k, p);
	return h16_into(&h16, p, &k, now);
}

/* The 16-byte key of p, its two words and their hash. */
static __always_inline __u64 key16_hash(const struct jf_pkt *p, struct pt_key16 *k, __u64 *a,
					__u64 *b)
{
	__u64 h;

	key16_make(k, p);
	__builtin_memcpy(a, k, 8);
	__builtin_memcpy(b, (__u8 *)k + 8, 8);
	h = (*a ^ 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 32) ^ *b) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static __always_inline int oa64_update(const struct jf_pkt *p, __u64 now)
{
	struct pt_key16 k;
	__u64 a, b;
	__u32 n = oa64_slots, idx, i, st;
	struct pt_slot64 *s;

	idx = home(key16_hash(p, &k, &a, &b), n);
	for (i = 0; i < PT_MAX_PROBE; i++) {
		s = bpf_map_lookup_elem(&oa64, &idx);
		if (!s)
			break;
		st = s->state;
		if (st == PT_LIVE && s->k[0] == a && s->k[1] == b) {
			__sync_fetch_and_add(&s->packets, 1);
			__sync_fetch_and_add(&s->octets, p->octets);
			s->last_ns = now;
			if ((s->tcp_flags & p->tcp_flags) != p->tcp_flags)
				__sync_fetch_and_or(&s->tcp_flags, p->tcp_flags);
			return JF_PKT_OK;
		}
		if ((st == PT_EMPTY || st == PT_FREE) &&
		    __sync_val_compare_and_swap(&s->state, st, PT_BUSY) == st) {
			s->k[0] = a;
			s->k[1] = b;
			s->packets = 1;
			s->octets = p->octets;
			s->first_ns = now;
			s->last_ns = now;
			s->tcp_flags = p->tcp_flags;
			s->ttl = p->ttl | (__u32)p->ttl << 8;
			__sync_lock_test_and_set(&s->state, PT_LIVE);
			return JF_PKT_OK;
		}
		idx = idx + 1 == n ? 0 : idx + 1;
	}
	__sync_fetch_and_add(&oa_stashed, 1);
	return h16_into(&stash64, p, &k, now);
}

static __always_inline int oa32_update(const struct jf_pkt *p, __u64 now)
{
	struct pt_key16 k;
	__u64 a, b;
	__u32 n = oa32_slots, idx, i, st;
	struct pt_slot32 *s;

	(void)now;
	idx = home(key16_hash(p, &k, &a, &b), n);
	for (i = 0; i < PT_MAX_PROBE; i++) {
		s = bpf_map_lookup_elem(&oa32, &idx);
		if (!s)
			break;
		st = s->state;
		if (st == PT_LIVE && s->k[0] == a && s->k[1] == b) {
			__sync_fetch_and_add(&s->packets, 1);
			__sync_fetch_and_add(&s->octets, p->octets);
			return JF_PKT_OK;
		}
		if ((st == PT_EMPTY || st == PT_FREE) &&
		    __sync_val_compare_and_swap(&s->state, st, PT_BUSY) == st) {
			s->k[0] = a;
			s->k[1] = b;
			s->packets = 1;
			s->octets = p->octets;
			__sync_lock_test_and_set(&s->state, PT_LIVE);
			return JF_PKT_OK;
		}
		idx = idx + 1 == n ? 0 : idx + 1;
	}
	__sync_fetch_and_add(&oa_stashed, 1);
	return h16_into(&stash64, p, &k, now);
}

/* ---- variants ----------------------------------------------------------- */

enum table { T_NONE, T_H60, T_H16, T_OA128, T_OA64, T_H60NP, T_OA32 };

static __always_inline int variant(struct xdp_md *ctx, enum clk c, enum table t)
{
	struct jf_pkt pkt __attribute__((aligned(8)));
	int reason = parse(ctx, &pkt);
	__u64 now;

	if (reason == JF_PKT_OK) {
		now = clock_now(c);
		switch (t) {
		case T_H60:
			reason = jf_flow_update(&h60, &pspill, &pkt, now, 0);
			break;
		case T_H16:
			reason = h16_update(&pkt, now);
			break;
		case T_H60NP:
			reason = jf_flow_update(&h60np, &pspill, &pkt, now, 0);
			break;
		case T_OA128:
			reason = oa128_update(&pkt, now);
			break;
		case T_OA64:
			reason = oa64_update(&pkt, now);
			break;
		case T_OA32:
			reason = oa32_update(&pkt, now);
			break;
		default:
			/* Keep the clock read and the key alive. */
			if (now == 1 && pkt.key.src[0] == 0)
				reason = JF_PKT_BAD_L3;
			break;
		}
	}
	stat_add(reason, pkt.octets);
	return XDP_PASS;
}

SEC("xdp.frags")
int v_trivial(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp.frags") int v_parse(struct xdp_md *ctx) { return variant(ctx, CLK_NONE, T_NONE); }
SEC("xdp.frags") int v_parse_ktime(struct xdp_md *ctx) { return variant(ctx, CLK_KTIME, T_NONE); }
SEC("xdp.frags") int v_parse_coarse(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_NONE); }
SEC("xdp.frags") int v_parse_bss(struct xdp_md *ctx) { return variant(ctx, CLK_BSS, T_NONE); }
SEC("xdp.frags") int v_parse_jiffies(struct xdp_md *ctx) { return variant(ctx, CLK_JIFFIES, T_NONE); }
SEC("xdp.frags") int v_hash_ktime(struct xdp_md *ctx) { return variant(ctx, CLK_KTIME, T_H60); }
SEC("xdp.frags") int v_hash_coarse(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_H60); }
SEC("xdp.frags") int v_hash_np(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_H60NP); }
SEC("xdp.frags") int v_hash16(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_H16); }
SEC("xdp.frags") int v_oa_ktime(struct xdp_md *ctx) { return variant(ctx, CLK_KTIME, T_OA128); }
SEC("xdp.frags") int v_oa_coarse(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_OA128); }
SEC("xdp.frags") int v_oa_bss(struct xdp_md *ctx) { return variant(ctx, CLK_BSS, T_OA128); }
SEC("xdp.frags") int v_oa64(struct xdp_md *ctx) { return variant(ctx, CLK_COARSE, T_OA64); }
SEC("xdp.frags") int v_oa64_bss(struct xdp_md *ctx) { return variant(ctx, CLK_BSS, T_OA64); }
SEC("xdp.frags") int v_oa32(struct xdp_md *ctx) { return variant(ctx, CLK_BSS, T_OA32); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
