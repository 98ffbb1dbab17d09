/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counting one packet into the flow map of the current epoch: look up and
 * update in place with atomics; insert on a miss with BPF_NOEXIST; when the
 * map is full, hand the packet to the spill ring. The persistent table
 * (bpf/table_update.h) uses these as its stash. */
#ifndef JFLOWD_BPF_FLOW_UPDATE_H
#define JFLOWD_BPF_FLOW_UPDATE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/flow.h"
#include "jflowd/parse.h"
#include "jflowd/table.h"	/* the counters' update (the table's own: table_update.h) */

#ifndef EEXIST
#define EEXIST 17
#endif

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
	s->frag_id = p->frag_id;
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

	jf_counters_init(&init, p, now);
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

/* The stash of epoch ep: the flow map of its parity, found at run time
 * (stashes: flow_stashes), so that the table's code, which calls this, is
 * there once for both parities. */
static __always_inline int jf_stash_update(void *stashes, void *ring, const struct jf_pkt *p,
					   __u64 now, __u64 ep)
{
	__u32 parity = ep & 1;
	void *stash = bpf_map_lookup_elem(stashes, &parity);

	if (!stash)	/* never: both are set at load */
		return jf_spill_packet(ring, p, now, ep);
	return jf_flow_update(stash, ring, p, now, ep);
}

#endif
