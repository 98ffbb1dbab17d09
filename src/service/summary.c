// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the log says about a run as a whole: the flow state about to be
 * allocated, the settings once exporting, the totals at exit. */
#include <stdio.h>
#include <string.h>
#include "export/exporter.h"
#include "log.h"
#include "service/monitors.h"
#include "service/sections.h"
#include "service/summary.h"

/* "a, b, c" into out (truncated with "..." if it does not fit). */
static void join(char *out, size_t n, const char *const *items, int count)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < count && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", items[i]);
	if (len >= n && n > 4)
		strcpy(out + n - 4, "...");
}

static const char *dir_name(uint8_t dir)
{
	return dir == (JF_DIR_IN | JF_DIR_OUT) ? ":both" : dir == JF_DIR_OUT ? ":out" : "";
}

void jf_summary_sizing(const struct jf_config *cfg)
{
	double mb = (double)jf_config_flow_memory(cfg) / 1048576.0;

	if (cfg->pcap_file[0] || cfg->mode == JF_MODE_PCAP)
		log_info("flow state: a cache of %u flows (--max-flows), %.0f MiB: allocating",
			 jf_config_cache_flows(cfg), mb);
	else
		log_info("flow state: %u flows (--max-flows; kernel table %u, agent cache %u), "
			 "%.0f MiB: allocating", cfg->max_flows, jf_config_table_flows(cfg),
			 jf_config_cache_flows(cfg), mb);
}

static void summary_monitor(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	const char *urls[JF_MON_EXPORTERS * JF_MAX_COLLECTORS];
	const struct jf_record_def *d = jf_config_record(cfg, m);
	char from[sizeof(cfg->pcap_file)], to[1024], sampling[JF_FILTER_MAX + 64], tmpl[40], who[128] = "";
	const struct jf_exporter_conf *x = NULL;
	size_t len = 0;
	int i, j, n = 0;

	if (cfg->pcap_file[0]) {
		snprintf(from, sizeof(from), "%s", cfg->pcap_file);
	} else {
		from[0] = '\0';
		for (i = 0; i < m->n_ifaces && len < sizeof(from); i++)
			len += (size_t)snprintf(from + len, sizeof(from) - len, "%s%s%s",
						i ? ", " : "", m->ifaces[i],
						dir_name(m->iface_dir[i]));
	}
	for (i = 0; i < m->n_exporters; i++) {
		x = jf_config_exporter(cfg, m->exporters[i]);
		for (j = 0; x && j < x->n_collectors; j++)
			urls[n++] = x->collector_urls[j];
	}
	join(to, sizeof(to), urls, n);
	if (m->sample_rate > 1)
		snprintf(sampling, sizeof(sampling), "1 packet in %u", m->sample_rate);
	else
		snprintf(sampling, sizeof(sampling), "every packet");
	if (m->filter[0])	/* of those the filter selects */
		snprintf(sampling + strlen(sampling), sizeof(sampling) - strlen(sampling),
			 " of filter '%s'", m->filter);
	/* The template refresh of its (first) exporter. */
	x = m->n_exporters ? jf_config_exporter(cfg, m->exporters[0]) : NULL;
	if (x && x->template_packets)
		snprintf(tmpl, sizeof(tmpl), " and every %u messages", x->template_packets);
	else
		tmpl[0] = '\0';
	if (cfg->n_monitors > 1 || m->line || strcmp(d->name, "default"))
		snprintf(who, sizeof(who), "monitor %.32s (record %.32s, observation domain %u): ",
			 m->name, d->name, m->domain);
	log_info("%sexporting flows of %s to %s: timeouts idle %.3g s, active %.3g s, fin %.3g s; "
		 "%s; templates over UDP every %u s%s", who, from, to, m->idle_ms / 1000.0,
		 m->active_ms / 1000.0, m->fin_ms / 1000.0, sampling,
		 x ? x->template_interval_s : cfg->template_interval_s, tmpl);
}

void jf_summary_start(const struct jf_config *cfg)
{
	int i;

	for (i = 0; i < cfg->n_monitors; i++)
		summary_monitor(cfg, &cfg->monitors[i]);
}

void jf_summary_totals(const struct jf_meter_stats *st, const struct jf_cache_stats *cs,
		       const struct jf_monitors *ms, double uptime_s)
{
	uint64_t observed = st->capture_drops, lost = 0, non_ip, flows = 0;
	char reasons[512];
	size_t len = 0;
	int r, i, j, k;

	for (r = 0; r < JF_PKT_REASON_MAX; r++)
		observed += st->packets[r];
	for (r = 0; r <= JF_END_RESOURCES; r++)
		flows += cs->expired[r];
	non_ip = st->packets[JF_PKT_NON_IP];
	reasons[0] = '\0';
	for (r = 0; r < JF_PKT_REASON_MAX; r++) {
		if (!jf_reason_is_ignored(r) || !st->packets[r] || len >= sizeof(reasons))
			continue;
		lost += st->packets[r];
		len += (size_t)snprintf(reasons + len, sizeof(reasons) - len, "%s %s %llu",
					len ? "," : ":", jf_reason_name(r),
					(unsigned long long)st->packets[r]);
	}
	if (st->capture_drops && len < sizeof(reasons)) {
		lost += st->capture_drops;
		snprintf(reasons + len, sizeof(reasons) - len, "%s capture_drop %llu",
			 len ? "," : ":", (unsigned long long)st->capture_drops);
	}
	log_info("totals after %.0f s: %llu packets metered, %llu of them exported in %llu flow "
		 "records, %llu still cached, %llu non-IP, %llu lost%s", uptime_s,
		 (unsigned long long)(observed - st->packets[JF_PKT_NOT_SAMPLED]),
		 (unsigned long long)cs->exported_packets, (unsigned long long)flows,
		 (unsigned long long)cs->packets, (unsigned long long)non_ip,
		 (unsigned long long)lost, reasons);
	for (k = 0; k < jf_monitors_count(ms); k++) {
		const struct jf_monitor *m = jf_monitors_at(ms, k);
		char who[96] = "";

		if (jf_monitors_count(ms) > 1 || strcmp(m->name, "default"))
			snprintf(who, sizeof(who), "monitor %s, exporter ", m->name);
		for (j = 0; j < m->n_ex; j++) {
			const struct jf_exporter *e = m->ex[j].exp;

			for (i = 0; i < jf_exporter_count(e); i++) {
				struct jf_collector_stats c;

				jf_exporter_stats(e, i, &c);
				log_info("%s%s%scollector %s: %llu flow records (%llu packets) sent in "
					 "%llu messages, %llu dropped, %llu unexportable", who,
					 *who ? m->ex[j].name : "", *who ? ": " : "",
					 jf_exporter_name(e, i), (unsigned long long)c.records,
					 (unsigned long long)c.packets, (unsigned long long)c.messages,
					 (unsigned long long)c.dropped_records,
					 (unsigned long long)c.unexportable_records);
			}
		}
	}
}
