// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* At the end of a run, what did not reach each collector: a run that
 * could not deliver says so, instead of "exported". */
#include "log.h"
#include "export/loss_report.h"

const char *jf_loss_why(const struct jf_collector_stats *cs)
{
	/* UDP is always "up" and never connects: its drops are a slow or
	 * absent reader on this host, which the warnings said as it ran. */
	return cs->dropped_records && !cs->connects && !cs->up ? " (never connected)" : "";
}

int jf_loss_report(const struct jf_exporter *e)
{
	int i, lossy = 0;

	for (i = 0; i < jf_exporter_count(e); i++) {
		struct jf_collector_stats cs;

		jf_exporter_stats(e, i, &cs);
		if (!cs.dropped_packets && !cs.refused_packets && !cs.dropped_records &&
		    !cs.refused_records)
			continue;
		lossy++;
		log_err("collector %s: not delivered: %llu flow records (%llu packets) dropped "
			"unsent%s, %llu flow records (%llu packets) sent while it refused them",
			jf_exporter_name(e, i), (unsigned long long)cs.dropped_records,
			(unsigned long long)cs.dropped_packets,
			jf_loss_why(&cs),
			(unsigned long long)cs.refused_records,
			(unsigned long long)cs.refused_packets);
	}
	return lossy;
}
