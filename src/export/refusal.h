/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UDP collectors that refuse: what was sent to a collector while it
 * answered with ICMP port unreachable, counted per collector. */
#ifndef JFLOWD_REFUSAL_H
#define JFLOWD_REFUSAL_H

#include <stdint.h>

#define JF_REFUSAL_SLOT_MS 100
#define JF_REFUSAL_SLOTS 32		/* 3.2 s of sends, in 100 ms slots */
#define JF_REFUSAL_WINDOW_MS 3000	/* how far back a report reaches */
#define JF_REFUSAL_ONSET_MS 200		/* ... the first one of an outage */

struct jf_refusal_slot {
	uint64_t slot;			/* monotonic ms / JF_REFUSAL_SLOT_MS */
	uint64_t messages, records, packets, octets;
};

struct jf_refusal {
	struct jf_refusal_slot ring[JF_REFUSAL_SLOTS];
	uint64_t last_report_ms;
	/* Sent while the collector was refusing: in the window before each
	 * report, back to the previous report. */
	uint64_t messages, records, packets, octets;
};

/* A datagram left for the collector at mono_ms. */
void jf_refusal_sent(struct jf_refusal *r, uint64_t mono_ms, uint64_t records, uint64_t packets,
		     uint64_t octets);

/* The collector refused (ECONNREFUSED) at mono_ms. */
void jf_refusal_reported(struct jf_refusal *r, uint64_t mono_ms);

#endif
