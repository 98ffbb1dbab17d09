/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Monitors in the meter, shared by the XDP/TC programs and the agent: a
 * packet counts once per monitor that covers its interface and direction,
 * into a flow whose key is the packet's masked to the monitor's record,
 * with the monitor's index in the key's flags (one table for every
 * monitor; docs/records.md). Sampling rates, masks and the interfaces'
 * monitors live in the program's .bss, written by the agent. */
#ifndef JFLOWD_MONITOR_H
#define JFLOWD_MONITOR_H

#include <linux/types.h>
#include "jflowd/flow.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The monitor's index in jf_key.flags, above JF_KEY_MPLS and JF_KEY_EGRESS.
 * Index 0 leaves the key as it was before monitors. */
#define JF_KEY_MON_SHIFT 4
#define JF_KEY_MON_MASK 0xf0
#define JF_MONITORS 16

static __always_inline __u32 jf_key_monitor(const struct jf_key *k)
{
	return (__u32)k->flags >> JF_KEY_MON_SHIFT;
}

static __always_inline void jf_key_set_monitor(struct jf_key *k, __u32 mon)
{
	k->flags = (__u8)((k->flags & ~JF_KEY_MON_MASK) | (mon << JF_KEY_MON_SHIFT));
}

/* Per-CPU counters per epoch parity, monitor and reason (or
 * JF_STAT_TRIMMED); monitor 0's are JF_STAT_IDX's. */
#define JF_STAT_MON_IDX(parity, mon, reason) \
	((((mon) * 2 + (parity)) * (JF_PKT_REASON_MAX + 1)) + (reason))
#define JF_STAT_MON_ENTRIES (2 * JF_MONITORS * (JF_PKT_REASON_MAX + 1))

/* Monitors covering one interface, per direction: as a list of indices
 * (the order they count in) and as bits (TC egress skips those that
 * counted a packet at its ingress interface). */
#define JF_MON_PER_IF 8
struct jf_ifconf {
	__u16 in_mask;
	__u16 out_mask;
	__u8 n_in;
	__u8 n_out;
	__u8 in[JF_MON_PER_IF];
	__u8 out[JF_MON_PER_IF];
	__u8 pad[2];
};

/* Interfaces whose monitors the program finds by ifindex in an array;
 * larger ifindexes go through a hash map. */
#define JF_IFCONF_SLOTS 1024

/* A monitor's key masks: [family IPv6][egress], every bit it keeps set
 * (src/flow/records.c computes them from the record). */
struct jf_mon_mask {
	struct jf_key m[2][2];
};

/* k &= mask, word by word (the key is 4-aligned, 15 words). */
static __always_inline void jf_key_mask_apply(struct jf_key *k, const struct jf_key *mask)
{
	__u32 w, v;
	int i;

	for (i = 0; i < (int)(sizeof(*k) / 4); i++) {
		__builtin_memcpy(&w, (__u8 *)k + 4 * i, 4);
		__builtin_memcpy(&v, (const __u8 *)mask + 4 * i, 4);
		w &= v;
		__builtin_memcpy((__u8 *)k + 4 * i, &w, 4);
	}
}

/* The packet's key as monitor mon keeps it (mask NULL: whole). */
static __always_inline void jf_key_for_monitor(struct jf_key *k, const struct jf_key *mask,
					       __u32 mon)
{
	if (mask)
		jf_key_mask_apply(k, mask);
	jf_key_set_monitor(k, mon);
}

#ifndef __bpf__
_Static_assert(sizeof(struct jf_ifconf) == 24, "jf_ifconf layout");
_Static_assert(JF_KEY_MON_MASK >> JF_KEY_MON_SHIFT == JF_MONITORS - 1, "monitor bits");
#endif

#endif
