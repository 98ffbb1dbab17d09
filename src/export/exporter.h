/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Export to every configured collector: one socket, one sequence state and
 * one set of pending messages per collector; templates and options on
 * start-up, on a timer, every N messages and on each TCP connection. */
#ifndef JFLOWD_EXPORTER_H
#define JFLOWD_EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include "service/config.h"
#include "flow/record.h"
#include "export/template.h"

struct jf_exporter;

/* What the exporter is told about the run: pacing and waiting differ. */
enum jf_export_mode {
	JF_EXPORT_LIVE = 0,	/* capture: never wait on a remote collector */
	JF_EXPORT_REPLAY,	/* file replay: pace remote collectors by rate, wait
				 * briefly on a full socket */
};

struct jf_exporter_params {
	enum jf_export_mode mode;
	const struct jf_collector_url *collectors;
	const char *names[JF_MAX_COLLECTORS];	/* for logs and metrics */
	int n_collectors;
	uint32_t domain;		/* IPFIX ODID / v9 Source ID */
	uint32_t mtu;			/* export message size limit */
	uint32_t template_interval_s;
	uint32_t template_packets;
	uint32_t sample_rate;		/* 1 in N, announced */
	uint32_t active_ms, idle_ms;	/* announced timeouts */
	uint32_t export_rate;		/* pacing, 0: none (see struct jf_config) */
	enum jf_ipfix_seq ipfix_sequence;
	const char *source_addr;	/* "" or NULL: the kernel's choice */
	uint32_t tcp_buffer;		/* IPFIX over TCP: bytes queued while down */
	/* The record its data templates carry (NULL: default), and the needs
	 * (JF_NEED_*) the monitor does not meet: src/export/template.h. */
	const struct jf_record_def *record;
	uint32_t unmet;
	/* jf_exporter_apply: the record or what the monitor can know
	 * changed: new data templates, under new IDs. */
	bool relayout;
	bool nat_events;		/* announce the NAT event templates (264, 265) */
};

struct jf_collector_stats {
	uint64_t messages;		/* messages handed to the socket */
	uint64_t message_octets;	/* their bytes */
	uint64_t template_messages;	/* of which carried templates/options only */
	uint64_t template_records;	/* template and options template records */
	uint64_t options_records;	/* options data records */
	uint64_t records;		/* flow records handed to the socket */
	uint64_t packets;		/* packets in those records */
	uint64_t octets;		/* octets in those records */
	uint64_t dropped_messages;	/* not sent: socket error, queue full, cut; or
					 * dropped by the full socket of one on this host */
	uint64_t dropped_records;
	uint64_t dropped_packets;
	uint64_t dropped_octets;
	uint64_t unexportable_records;	/* the protocol cannot carry them (IPv6 in v5) */
	uint64_t unexportable_packets;
	uint64_t unexportable_octets;
	uint64_t queued_records;	/* waiting to be written (TCP; UDP on this host) */
	uint64_t queued_packets;
	uint64_t queued_octets;
	uint64_t socket_drops;		/* UDP on this host: datagrams its socket dropped */
	uint64_t send_errors;
	uint64_t refused;		/* UDP: ICMP port unreachable reports */
	uint64_t refused_messages;	/* UDP: sent while the collector refused */
	uint64_t refused_records;
	uint64_t refused_packets;
	uint64_t refused_octets;
	uint64_t connects;		/* TCP connections made */
	uint64_t reconnects;		/* TCP: connections made after a lost one */
	uint64_t resent_messages;	/* TCP: unacknowledged at a loss, sent again */
	uint64_t absent_packets;	/* exported before a reload added it */
	uint64_t event_records;		/* NAT event records handed to the socket */
	uint64_t dropped_event_records;	/* ... not sent */
	uint64_t unexportable_events;	/* v5 cannot carry them */
	int up;				/* TCP connected (UDP: always 1) */
	/* up, down (TCP not connected), away (UDP on this host: nothing
	 * listens on its port, what is exported waits for it), refused (UDP:
	 * ICMP port unreachable for the last datagram it answered),
	 * unreachable (UDP: no route, or host unreachable), removed (by a
	 * reload, draining its queue). */
	const char *state;
	int retiring;			/* removed by a reload, draining its queue */
};

/* Opens every collector's socket; NULL with a one-line reason in err. */
struct jf_exporter *jf_exporter_new(const struct jf_exporter_params *p, char *err,
				    size_t errlen);
void jf_exporter_free(struct jf_exporter *e);

/* Interfaces announced in the interface-name options. */
void jf_exporter_add_ifname(struct jf_exporter *e, uint32_t ifindex, const char *name,
			    const char *description);

/* First messages: templates and options. now_ms is the export clock (Unix
 * ms; the capture's clock when replaying a file); uptime_base_ms is v9's
 * sysUpTime 0, at or before any flow's first packet. */
void jf_exporter_start(struct jf_exporter *e, uint64_t now_ms, uint64_t uptime_base_ms);

/* Queue one expired flow to every collector; full messages leave at once. */
void jf_exporter_add(struct jf_exporter *e, const struct jf_record *r, uint64_t now_ms);

/* NAT event logging (RFC 8158): one event record to every collector,
 * under the NAT event templates (264 IPv4, 265 IPv6; docs/protocol.md),
 * which the exporter announces when params.nat_events is set; v5 cannot
 * carry it (counted as unexportable). Full messages leave at once, the
 * rest at the next flush. */
void jf_exporter_add_nat_event(struct jf_exporter *e, const struct jf_nat_event *ev,
			       uint64_t now_ms);

/* Send partly filled messages, then refresh templates if due, and advance
 * TCP connections. Called every tick. */
void jf_exporter_flush(struct jf_exporter *e, uint64_t now_ms);

/* Between ticks, from the main loop: hand over what waits for collectors
 * that can take it now (one on this host with room in its socket; a TCP
 * connection that can write). Never waits. jf_exporter_wait_ms: the
 * milliseconds until it has work (0: now, -1: none before the tick). */
void jf_exporter_poll(struct jf_exporter *e, uint64_t now_ms);
int jf_exporter_wait_ms(const struct jf_exporter *e);

/* The meter is stopping: for up to timeout_ms from now, sending may wait
 * for a collector on this host to take what is exported (as a replay's),
 * nothing being lost by waiting; then what it has no room for is queued,
 * for jf_exporter_finish. */
void jf_exporter_may_wait(struct jf_exporter *e, int timeout_ms);

/* Loss counters of the meter, announced as IE 164/165. */
void jf_exporter_set_ignored(struct jf_exporter *e, uint64_t packets, uint64_t octets);

/* Flush and give TCP collectors up to timeout_ms to take what is queued. */
void jf_exporter_finish(struct jf_exporter *e, uint64_t now_ms, int timeout_ms);

/* Reload, in two steps so that an error changes nothing. Stage: open the
 * sockets of the collectors of p not already exporting (by name); 0, or
 * -1 with err and nothing changed. Apply (cannot fail): the removed ones
 * get their pending messages now and, over TCP, up to drain_ms for their
 * queue (from jf_exporter_flush, never blocking); the staged ones join;
 * rate, timeouts and template timers take the values of p, and every
 * kept collector gets the options (and templates) announcing them at
 * once. The caller exports flows metered at an old sampling rate before. */
int jf_exporter_stage(struct jf_exporter *e, const struct jf_exporter_params *p, char *err,
		      size_t errlen);
void jf_exporter_unstage(struct jf_exporter *e);
void jf_exporter_apply(struct jf_exporter *e, const struct jf_exporter_params *p,
		       uint64_t now_ms, int drain_ms);
void jf_exporter_clear_ifnames(struct jf_exporter *e);

/* An exporter that joins a running monitor: packets the monitor exported
 * before are its collectors' "absent" share of the invariant. */
void jf_exporter_set_absent(struct jf_exporter *e, uint64_t packets);

/* Templates and options due now for every collector (softflowctl's
 * send-template): sent by the next jf_exporter_flush (over TCP, the
 * options data). */
void jf_exporter_templates_now(struct jf_exporter *e);

int jf_exporter_count(const struct jf_exporter *e);
const char *jf_exporter_name(const struct jf_exporter *e, int i);
const char *jf_exporter_proto(const struct jf_exporter *e, int i);
void jf_exporter_stats(const struct jf_exporter *e, int i, struct jf_collector_stats *st);

#endif
