/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Slot layouts of the flow table prototypes, shared by
 * bench/proto_table.bpf.c and its driver bench/proto_table.c. */
#ifndef JFLOWD_BENCH_PROTO_TABLE_H
#define JFLOWD_BENCH_PROTO_TABLE_H

#include <linux/types.h>
#include "jflowd/flow.h"

#define PT_MAX_PROBE 32		/* slots looked at before the stash */

/* Slot states. FREE: a slot the agent removed (a tombstone: probes go on
 * past it, inserts may take it). */
enum pt_state {
	PT_EMPTY = 0,
	PT_BUSY,		/* being filled by the CPU that claimed it */
	PT_LIVE,
	PT_MARKED,		/* being removed: no CPU adds to it any more */
	PT_FREE,
};

/* 128 bytes, two cache lines: what a packet compares, then what it adds. */
struct pt_slot {
	struct jf_key key;	/* 0-59 */
	__u32 state;		/* 60: enum pt_state */
	struct jf_counters c;	/* 64-119 */
	__u64 spare;
} __attribute__((aligned(64)));

/* IPv4 5-tuple + ToS, family, flags: enough for the bench's frames. */
struct pt_key16 {
	__u32 src;
	__u32 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 tos;
	__u8 family;
	__u8 flags;
};

/* 64 bytes, one cache line. */
struct pt_slot64 {
	__u64 k[2];		/* struct pt_key16 */
	__u32 state;
	__u32 tcp_flags;
	__u64 packets;
	__u64 octets;
	__u64 first_ns;
	__u64 last_ns;
	__u32 ttl;
	__u32 pad;
} __attribute__((aligned(64)));

/* 32 bytes, two slots a cache line: the compact IPv4 slot's floor (the
 * 16-byte key, the state, packets and octets; no times, flags or TTL). */
struct pt_slot32 {
	__u64 k[2];		/* struct pt_key16 */
	__u32 state;
	__u32 packets;
	__u64 octets;
} __attribute__((aligned(32)));

#ifndef __bpf__
_Static_assert(sizeof(struct pt_slot32) == 32, "pt_slot32: half a cache line");
_Static_assert(sizeof(struct pt_slot) == 128, "pt_slot: two cache lines");
_Static_assert(sizeof(struct pt_key16) == 16, "pt_key16");
_Static_assert(sizeof(struct pt_slot64) == 64, "pt_slot64: one cache line");
#endif

#endif
