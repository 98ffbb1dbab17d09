/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the log says about a run as a whole: the flow state about to be
 * allocated (a large table takes seconds), the settings once exporting
 * (softflowd's "Exporting flows ... to ..."), the totals at exit. */
#ifndef JFLOWD_SUMMARY_H
#define JFLOWD_SUMMARY_H

#include "flow/flow_cache.h"
#include "meter/meter_stats.h"
#include "service/config.h"

/* Before the flow state is allocated: how many flows, how much memory. */
void jf_summary_sizing(const struct jf_config *cfg);

/* Once exporting, a line per monitor: interfaces (or the file),
 * collectors, timeouts, sampling, template refresh (and for any but the
 * command line's default monitor, its name and record). */
void jf_summary_start(const struct jf_config *cfg);

/* At exit, after the last export: packets metered, exported, lost by
 * reason, and per collector of each monitor what was sent and dropped. */
struct jf_monitors;
void jf_summary_totals(const struct jf_meter_stats *st, const struct jf_cache_stats *cs,
		       const struct jf_monitors *ms, double uptime_s);

#endif
