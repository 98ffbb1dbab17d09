/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* NAT event logging (RFC 8158): follows conntrack's NEW and DESTROY
 * events and hands one event at the creation and one at the deletion of
 * every translated session to the exporter. Nothing is lost silently: an
 * overflow of the event socket is counted, logged once with the remedy and
 * followed by a re-read of the table (docs/nat.md). */
#ifndef JFLOWD_NAT_EVENTS_H
#define JFLOWD_NAT_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "flow/record.h"

struct jf_nat_events;

struct jf_nat_events_params {
	uint32_t rcvbuf;	/* event socket receive buffer, bytes */
};

struct jf_nat_events_stats {
	uint64_t created;	/* session create events handed on */
	uint64_t deleted;	/* session delete events handed on */
	uint64_t lost;		/* events the kernel could not deliver that were
				 * rebuilt: a create from a re-read or from its
				 * session's delete, a delete from a re-read */
	uint64_t overflows;	/* ENOBUFS on the event socket */
	uint64_t resyncs;	/* re-reads of the table */
	uint64_t sessions;	/* translated sessions open now */
};

/* Each event goes to fn (the exporter). */
typedef void (*jf_nat_event_fn)(const struct jf_nat_event *ev, void *arg);

/* Subscribe to conntrack's events, then read the table: every translated
 * session open now gets its create event (dated by conntrack's timestamp
 * if it keeps one, else now). Needs CAP_NET_ADMIN. NULL with a one-line
 * reason in err. */
struct jf_nat_events *jf_nat_events_new(const struct jf_nat_events_params *p,
					jf_nat_event_fn fn, void *arg, char *err,
					size_t errlen);
void jf_nat_events_free(struct jf_nat_events *n);

/* Read every event waiting (never blocks). Also re-reads the table after an
 * overflow, and every minute while sessions learned from a re-read are
 * open (a session that existed before the events were followed may never
 * send its DESTROY). */
void jf_nat_events_poll(struct jf_nat_events *n);

void jf_nat_events_get_stats(const struct jf_nat_events *n, struct jf_nat_events_stats *st);

#endif
