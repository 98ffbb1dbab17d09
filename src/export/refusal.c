// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counts, per UDP collector, what was sent while it refused. A refusal is
 * reported (ICMP port unreachable, then ECONNREFUSED on a later send) after
 * the datagram it was about, and the kernel rate-limits those ICMP
 * messages: so each report stands for everything sent since the previous
 * report, and at most JF_REFUSAL_WINDOW_MS back; the first report of an
 * outage for what was sent in the JF_REFUSAL_ONSET_MS before it (one round
 * trip). Nothing is counted twice. Counting whole 100 ms slots, what went
 * out just before the collector went away counts too: an overcount of
 * about one slot per outage, rather than an undercount. */
#include <string.h>
#include "export/refusal.h"

void jf_refusal_sent(struct jf_refusal *r, uint64_t mono_ms, uint64_t records, uint64_t packets,
		     uint64_t octets)
{
	uint64_t slot = mono_ms / JF_REFUSAL_SLOT_MS;
	struct jf_refusal_slot *s = &r->ring[slot % JF_REFUSAL_SLOTS];

	if (s->slot != slot) {
		memset(s, 0, sizeof(*s));
		s->slot = slot;
	}
	s->messages++;
	s->records += records;
	s->packets += packets;
	s->octets += octets;
}

void jf_refusal_reported(struct jf_refusal *r, uint64_t mono_ms)
{
	uint64_t from = mono_ms > JF_REFUSAL_WINDOW_MS ? mono_ms - JF_REFUSAL_WINDOW_MS : 0;
	int i;

	/* The first report of an outage reaches back one round trip (the
	 * datagrams in flight when it began), later ones to the previous
	 * report. */
	if (r->last_report_ms > from)
		from = r->last_report_ms;
	else
		from = mono_ms > JF_REFUSAL_ONSET_MS ? mono_ms - JF_REFUSAL_ONSET_MS : 0;
	for (i = 0; i < JF_REFUSAL_SLOTS; i++) {
		struct jf_refusal_slot *s = &r->ring[i];

		/* A slot counts once: it is emptied when counted. */
		if (!s->messages || (s->slot + 1) * JF_REFUSAL_SLOT_MS <= from ||
		    s->slot * JF_REFUSAL_SLOT_MS > mono_ms)
			continue;
		r->messages += s->messages;
		r->records += s->records;
		r->packets += s->packets;
		r->octets += s->octets;
		s->messages = s->records = s->packets = s->octets = 0;
	}
	r->last_report_ms = mono_ms;
}
