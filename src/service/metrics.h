/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text-format metrics, written atomically (temporary file and
 * rename) for node_exporter's textfile collector. */
#ifndef JFLOWD_METRICS_H
#define JFLOWD_METRICS_H

#include <stdio.h>
#include "export/exporter.h"
#include "flow/bgp.h"
#include "flow/flow_cache.h"
#include "flow/nat.h"
#include "flow/nat_events.h"
#include "meter/link_watch.h"
#include "meter/meter.h"
#include "meter/meter_stats.h"
#include "service/control.h"

struct jf_monitors;

struct jf_metrics_input {
	const struct jf_meter_stats *meter;
	const struct jf_cache_stats *cache;	/* every flow: cache and meter */
	/* The monitors, and the flow state their figures come from. */
	const struct jf_monitors *monitors;
	const struct jf_flow_cache *flow_cache;
	const struct jf_meter *flow_meter;
	const char *mode;		/* "xdp", "pcap", "file" */
	double uptime_s;
	size_t bytes_per_flow;
	uint32_t max_flows;
	uint64_t kernel_bytes;		/* flow maps and spill ring (XDP) */
	const struct jf_link_watch *links;	/* live capture, else NULL */
	const struct jf_control *control;	/* the control socket, else NULL */
	const struct jf_nat *nat;		/* --nat-lookup, else NULL */
	const struct jf_nat_events *nat_events;	/* --nat-events, else NULL */
	const struct jf_bgp *bgp;	/* BGP source, else NULL */
};

/* The same text to f (jflowctl stats); 0 or -EIO. */
int jf_metrics_fprint(FILE *f, const struct jf_metrics_input *in);

/* Write path atomically; 0 or -errno. */
int jf_metrics_write(const char *path, const struct jf_metrics_input *in);

/* Count a failed write (err: -errno) and warn, at most once a minute. */
void jf_metrics_write_failed(const char *path, int err);

/* Sum of packets/octets not accounted for (everything but flows and
 * sampling): the invariant's last term. */
void jf_metrics_unaccounted(const struct jf_meter_stats *st, uint64_t *packets,
			    uint64_t *octets);

/* Of those, the losses of IP traffic (not non-IP frames): IE 164/165. */
void jf_metrics_ignored(const struct jf_meter_stats *st, uint64_t *packets, uint64_t *octets);

#endif
