/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counting one packet into the flow map of the current epoch: look up and
 * update in place with atomics; insert on a miss with BPF_NOEXIST; when the
 * map is full, hand the packet to the spill ring. */
#ifndef JFLOWD_BPF_FLOW_UPDATE_H
#define JFLOWD_BPF_FLOW_UPDATE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"

#ifndef EEXIST
#define EEXIST 17
#endif

#define JF_TTL_CAS_TRIES 4

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

static __always_inline int jf_spill_packet(void *ring, const struct jf_pkt *p,
					   __u64 now, __u64 ep)
{
	struct jf_spill *s;

	s = bpf_ringbuf_reserve(ring, sizeof(*s), 0);
	if (!s)
		return JF_PKT_MAP_FULL;
	__builtin_memcpy(&s->key, &p->key, sizeof(s->key));
	s->pad0 = 0;
	s->ts_ns = now;
	s->epoch = ep;
	s->octets = p->octets;
	s->tcp_flags = p->tcp_flags;
	s->ttl = p->ttl;
	s->pad = 0;
	s->flow_label = p->flow_label;
	s->pad2 = 0;
	bpf_ringbuf_submit(s, 0);
	return JF_PKT_SPILLED;
}

static __always_inline int jf_flow_update(void *map, void *ring,
					  const struct jf_pkt *p, __u64 now,
					  __u64 ep)
{
	struct jf_counters *c, init;
	long err;

	c = bpf_map_lookup_elem(map, &p->key);
	if (c) {
		jf_counters_add(c, p, now);
		return JF_PKT_OK;
	}

	init.packets = 1;
	init.octets = p->octets;
	init.first_ns = now;
	init.last_ns = now;
	init.tcp_flags = p->tcp_flags;
	init.ttl = p->ttl | (__u32)p->ttl << 8;
	init.flow_label = p->flow_label;
	init.out_ifindex = 0;
	err = bpf_map_update_elem(map, &p->key, &init, BPF_NOEXIST);
	if (!err)
		return JF_PKT_OK;
	if (err == -EEXIST) {
		/* Another CPU inserted the same flow first. */
		c = bpf_map_lookup_elem(map, &p->key);
		if (c) {
			jf_counters_add(c, p, now);
			return JF_PKT_OK;
		}
	}
	return jf_spill_packet(ring, p, now, ep);
}

#endif
