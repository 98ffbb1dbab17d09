/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The running monitors: for each, its record, where its flows are merged
 * (in the meter by a key mask, or in the agent at export), one exporter
 * instance per exporter it names (its own observation domain, sampling
 * and timeouts announced), and its counters. Records leaving the flow
 * state are routed here by the monitor index in their key. */
#ifndef JFLOWD_MONITORS_H
#define JFLOWD_MONITORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/exporter.h"
#include "flow/aggregate.h"
#include "flow/records.h"
#include "meter/meter.h"
#include "meter/meter_stats.h"
#include "service/config.h"

struct jf_monitors;

/* One exporter instance of a monitor. */
struct jf_mon_export {
	char name[JF_NAME_MAX];		/* the [exporter NAME] */
	struct jf_exporter *exp;
	/* What fixes its export streams: a reload that changes one of them
	 * starts a new instance (new sockets, sequence numbers from 0). */
	uint32_t mtu, tcp_buffer;
	enum jf_ipfix_seq ipfix_sequence;
	char source_addr[64];
};

struct jf_monitor {
	char name[JF_NAME_MAX];
	uint32_t index;			/* in the key's monitor bits */
	struct jf_monitor_conf conf;	/* resolved */
	struct jf_record_def record;
	uint32_t unmet;			/* needs it does not meet (JF_NEED_*) */
	bool program_mask;		/* the meter keys its flows by the record */
	bool agent;			/* merged to the record in the agent */
	struct jf_aggregate *agg;	/* (agent) */
	struct jf_mon_export ex[JF_MON_EXPORTERS];
	int n_ex;
	uint64_t handed_packets;	/* in records given to its exporters */
	uint64_t handed_octets;
};

/* Open every monitor of cfg (resolved): exporter instances with their
 * sockets, aggregators. NULL with a one-line reason in err. */
struct jf_monitors *jf_monitors_new(const struct jf_config *cfg, bool replay, char *err,
				    size_t errlen);
void jf_monitors_free(struct jf_monitors *ms);

int jf_monitors_count(const struct jf_monitors *ms);
struct jf_monitor *jf_monitors_at(const struct jf_monitors *ms, int i);
/* By name, or by the index in a key; NULL if none. */
struct jf_monitor *jf_monitors_find(const struct jf_monitors *ms, const char *name);
struct jf_monitor *jf_monitors_by_index(const struct jf_monitors *ms, uint32_t index);
/* Bits of the monitors' indices. */
uint16_t jf_monitors_mask(const struct jf_monitors *ms);

/* The meter's part: p->mons (index, sampling, masks, each interface's
 * directions; cfg's interfaces, in cfg's order). */
void jf_monitors_meter_params(const struct jf_monitors *ms, const struct jf_config *cfg,
			      struct jf_meter_params *p);

/* Each monitor's timeouts into the cache and the meter's own flows. */
void jf_monitors_set_timeouts(const struct jf_monitors *ms, struct jf_flow_cache *cache,
			      struct jf_meter *meter);

/* A record leaving the flow state (its key names its monitor): to the
 * monitor's aggregator or exporters. now_ms: the export clock; mono_ms:
 * the cache's (aggregates' timeouts). */
void jf_monitors_emit(struct jf_monitors *ms, const struct jf_record *r, uint64_t now_ms,
		      uint64_t mono_ms);

/* A NAT event (RFC 8158): to the first monitor's exporter instances,
 * which announce the event templates (cfg->nat_events). */
struct jf_nat_event;
void jf_monitors_nat_event(struct jf_monitors *ms, const struct jf_nat_event *ev,
			   uint64_t now_ms);

/* First messages of every exporter instance (jf_exporter_start). */
void jf_monitors_start(struct jf_monitors *ms, uint64_t now_ms, uint64_t uptime_base_ms);

/* Every tick: aggregates due leave (mono_ms), each exporter instance
 * gets its monitor's loss counters (IE 164/165) and flushes. */
void jf_monitors_tick(struct jf_monitors *ms, const struct jf_meter_stats *st, uint64_t mono_ms,
		      uint64_t now_ms);

/* Every aggregate leaves (why), then every exporter flushes; with
 * timeout_ms, TCP collectors get that long to take their queue
 * (jf_exporter_finish). */
size_t jf_monitors_flush(struct jf_monitors *ms, uint16_t mons, enum jf_end_reason why,
			 uint64_t now_ms);
void jf_monitors_finish(struct jf_monitors *ms, const struct jf_meter_stats *st,
			uint64_t now_ms, int timeout_ms);

/* Between ticks, every exporter instance's jf_exporter_poll; the
 * soonest jf_exporter_wait_ms of them (-1: none); at stop, each one's
 * jf_exporter_may_wait. */
void jf_monitors_poll(struct jf_monitors *ms, uint64_t now_ms);
int jf_monitors_wait_ms(const struct jf_monitors *ms);
void jf_monitors_may_wait(struct jf_monitors *ms, int timeout_ms);

/* The interfaces' names (and the mirror mapping's) into each instance's
 * interface options: each monitor announces its own interfaces. */
void jf_monitors_announce(struct jf_monitors *ms, const struct jf_config *cfg,
			  struct jf_meter *meter);
/* One interface back under a new ifindex. */
void jf_monitors_announce_iface(struct jf_monitors *ms, uint32_t ifindex, const char *name);

/* Losses per collector at exit (export/loss_report.h): nonzero if any. */
int jf_monitors_loss_report(struct jf_monitors *ms);

/* Figures of one monitor: the flow state's (cache, meter's table,
 * aggregates) as a cache's, and what its meter counted. */
void jf_monitor_flow_stats(const struct jf_monitors *ms, const struct jf_monitor *m,
			   const struct jf_flow_cache *cache, const struct jf_meter *meter,
			   struct jf_cache_stats *st);

/* The same summed over every monitor: what the totals of the metrics file
 * and the log say. */
void jf_monitors_flow_totals(const struct jf_monitors *ms, const struct jf_flow_cache *cache,
			     const struct jf_meter *meter, struct jf_cache_stats *st);

/* Templates and options due now for every collector of every instance
 * (softflowctl's send-template); how many collectors. */
int jf_monitors_templates_now(struct jf_monitors *ms);

/* Reload, in two steps as the exporter's: stage (every socket and
 * aggregator the new configuration needs, nothing changed; 0 or -1 with
 * err) then apply (cannot fail but for the meter's drain, fatal as a
 * tick's). Apply: removed monitors' flows leave (forced) and their
 * instances drain; changed records, sampling or interfaces are a flow
 * boundary for their monitor; kept monitors keep their flows, indices and
 * sockets. msg gets a summary. */
struct jf_monitors_reload;
int jf_monitors_stage(struct jf_monitors *ms, const struct jf_config *cfg,
		      struct jf_monitors_reload **out, char *err, size_t errlen);
void jf_monitors_unstage(struct jf_monitors_reload *r);
int jf_monitors_apply(struct jf_monitors *ms, struct jf_monitors_reload *r,
		      const struct jf_config *cfg, struct jf_meter *meter,
		      struct jf_flow_cache *cache, uint64_t mono_ms, uint64_t now_ms,
		      int drain_ms, char *msg, size_t msglen);

#endif
