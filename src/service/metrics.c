// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus text-format metrics, written atomically. The lossless
 * invariant can be checked from this file alone, per monitor:
 *   jflowd_monitor_packets_metered_total == ..._exported_total
 *     + jflowd_monitor_packets_cached + sum(..._unaccounted_total)
 * per collector of each of its exporters,
 *   jflowd_monitor_packets_exported_total == jflowd_collector_packets_total
 *     + jflowd_collector_dropped_packets_total
 *     + jflowd_collector_unexportable_packets_total
 *     + jflowd_collector_absent_packets_total (exported before a reload
 *       added the collector)
 * and for the unlabelled totals, which add up the monitors (a packet
 * counts once per monitor that covers it). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "clock.h"
#include "log.h"
#include "service/metrics.h"
#include "service/monitors.h"

static uint64_t write_failures;	/* of the metrics file, since start */

static void sum_reasons(const struct jf_meter_stats *st, uint64_t *packets,
			uint64_t *octets, bool ignored_only)
{
	int r;

	*packets = st->capture_drops;
	*octets = 0;
	for (r = JF_PKT_NON_IP; r < JF_PKT_REASON_MAX; r++) {
		if (ignored_only && !jf_reason_is_ignored(r))
			continue;
		*packets += st->packets[r];
		*octets += st->octets[r];
	}
}

void jf_metrics_unaccounted(const struct jf_meter_stats *st, uint64_t *packets,
			    uint64_t *octets)
{
	sum_reasons(st, packets, octets, false);
}

void jf_metrics_ignored(const struct jf_meter_stats *st, uint64_t *packets, uint64_t *octets)
{
	sum_reasons(st, packets, octets, true);
}

static void label_escape(char *out, size_t n, const char *in)
{
	size_t o = 0;

	for (; *in && o + 3 < n; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const end_reasons[] = { "", "idle", "active", "end_of_flow", "forced",
					    "lack_of_resources" };

/* Per monitor: its share of the meter, its flows, its exports. */
static void write_monitors(FILE *f, const struct jf_metrics_input *in)
{
	static const struct {
		const char *name, *type, *help;
	} series[] = {
		{ "jflowd_monitor_info", "gauge", "A monitor: its record, observation domain, "
		  "sampling interval and where its flows are merged to its record." },
		{ "jflowd_monitor_packets_observed_total", "counter",
		  "Frames seen on the monitor's interfaces and directions, sampled or not." },
		{ "jflowd_monitor_packets_not_sampled_total", "counter",
		  "Frames the monitor's 1-in-N sampling skipped." },
		{ "jflowd_monitor_packets_metered_total", "counter",
		  "Frames the monitor metered: observed minus not sampled." },
		{ "jflowd_monitor_octets_metered_total", "counter",
		  "IP octets (frame octets where no IP header) the monitor metered." },
		{ "jflowd_monitor_packets_unaccounted_total", "counter",
		  "Packets the monitor metered that are in no flow record, by reason." },
		{ "jflowd_monitor_packets_exported_total", "counter",
		  "Packets in the monitor's records given to its exporters." },
		{ "jflowd_monitor_octets_exported_total", "counter",
		  "Octets in the monitor's records given to its exporters." },
		{ "jflowd_monitor_packets_cached", "gauge",
		  "Packets in the monitor's flows and aggregates not yet exported." },
		{ "jflowd_monitor_flows_cached", "gauge",
		  "The monitor's flows and aggregates not yet exported." },
		{ "jflowd_monitor_flows_exported_total", "counter",
		  "The monitor's records by flowEndReason." },
	};
	size_t s;
	int i, r;

	if (!in->monitors)
		return;
	for (s = 0; s < sizeof(series) / sizeof(series[0]); s++) {
		metric(f, series[s].name, series[s].type, series[s].help);
		for (i = 0; i < jf_monitors_count(in->monitors); i++) {
			const struct jf_monitor *m = jf_monitors_at(in->monitors, i);
			const struct jf_mon_meter_stats *ms = &in->meter->mon[m->index];
			uint64_t obs = ms->capture_drops, obs_o = 0, un = ms->capture_drops;
			struct jf_cache_stats fs;
			char lbl[64];

			label_escape(lbl, sizeof(lbl), m->name);
			jf_monitor_flow_stats(in->monitors, m, in->flow_cache, in->flow_meter, &fs);
			for (r = 0; r < JF_PKT_REASON_MAX; r++) {
				obs += ms->packets[r];
				obs_o += ms->octets[r];
				if (r >= JF_PKT_NON_IP)
					un += ms->packets[r];
			}
			switch (s) {
			case 0:
				fprintf(f, "jflowd_monitor_info{monitor=\"%s\",record=\"%s\","
					"domain=\"%u\",sample=\"%u\",aggregation=\"%s\"} 1\n", lbl,
					m->record.name, m->conf.domain, m->conf.sample_rate,
					m->agent ? "agent" : m->program_mask ? "program" : "none");
				break;
			case 1:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)obs);
				break;
			case 2:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)ms->packets[JF_PKT_NOT_SAMPLED]);
				break;
			case 3:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)(obs - ms->packets[JF_PKT_NOT_SAMPLED]));
				break;
			case 4:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)(obs_o - ms->octets[JF_PKT_NOT_SAMPLED]));
				break;
			case 5:
				for (r = JF_PKT_NON_IP; r < JF_PKT_REASON_MAX; r++)
					fprintf(f, "%s{monitor=\"%s\",reason=\"%s\"} %llu\n",
						series[s].name, lbl, jf_reason_name(r),
						(unsigned long long)ms->packets[r]);
				fprintf(f, "%s{monitor=\"%s\",reason=\"capture_drop\"} %llu\n",
					series[s].name, lbl, (unsigned long long)ms->capture_drops);
				break;
			case 6:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)fs.exported_packets);
				break;
			case 7:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)fs.exported_octets);
				break;
			case 8:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)fs.packets);
				break;
			case 9:
				fprintf(f, "%s{monitor=\"%s\"} %llu\n", series[s].name, lbl,
					(unsigned long long)fs.flows);
				break;
			default:
				for (r = 1; r <= JF_END_RESOURCES; r++)
					fprintf(f, "%s{monitor=\"%s\",reason=\"%s\"} %llu\n",
						series[s].name, lbl, end_reasons[r],
						(unsigned long long)fs.expired[r]);
				break;
			}
			(void)un;
		}
	}
}

static void write_meter(FILE *f, const struct jf_metrics_input *in)
{
	const struct jf_meter_stats *st = in->meter;
	struct jf_cache_stats totals;
	const struct jf_cache_stats *cs = &totals;
	uint64_t obs_p = st->capture_drops, obs_o = 0, un_p, un_o;
	int r;

	if (in->monitors)
		jf_monitors_flow_totals(in->monitors, in->flow_cache, in->flow_meter, &totals);
	else
		totals = *in->cache;

	for (r = 0; r < JF_PKT_REASON_MAX; r++) {
		obs_p += st->packets[r];
		obs_o += st->octets[r];
	}
	jf_metrics_unaccounted(st, &un_p, &un_o);

	metric(f, "jflowd_info", "gauge", "Capture mode of this jflowd.");
	fprintf(f, "jflowd_info{mode=\"%s\",version=\"%s\"} 1\n", in->mode, JFLOWD_VERSION);
	metric(f, "jflowd_uptime_seconds", "gauge", "Seconds since start.");
	fprintf(f, "jflowd_uptime_seconds %.3f\n", in->uptime_s);
	metric(f, "jflowd_metrics_write_failures_total", "counter",
	       "Writes of this file that failed (it is rewritten every drain interval).");
	fprintf(f, "jflowd_metrics_write_failures_total %llu\n",
		(unsigned long long)write_failures);
	if (in->links)
		jf_link_watch_metrics(in->links, f);
	if (in->control) {
		static const char *const why[JF_CONTROL_REJECT_MAX] = {
			[JF_CONTROL_REJECT_BUSY] = "busy",
			[JF_CONTROL_REJECT_TIMEOUT] = "timeout",
			[JF_CONTROL_REJECT_FDS] = "no_fd",
		};

		metric(f, "jflowd_control_rejected_total", "counter",
		       "jflowctl connections closed unanswered: every slot busy, no request or "
		       "answer taken in time, jflowd out of file descriptors.");
		for (r = 0; r < JF_CONTROL_REJECT_MAX; r++)
			fprintf(f, "jflowd_control_rejected_total{reason=\"%s\"} %llu\n", why[r],
				(unsigned long long)jf_control_rejected(in->control, r));
	}

	metric(f, "jflowd_packets_observed_total", "counter",
	       "Frames seen at the observation point, sampled or not.");
	fprintf(f, "jflowd_packets_observed_total %llu\n", (unsigned long long)obs_p);
	metric(f, "jflowd_packets_not_sampled_total", "counter",
	       "Frames skipped by 1-in-N sampling (not metered).");
	fprintf(f, "jflowd_packets_not_sampled_total %llu\n",
		(unsigned long long)st->packets[JF_PKT_NOT_SAMPLED]);
	metric(f, "jflowd_packets_metered_total", "counter",
	       "Frames selected for metering: observed minus not sampled.");
	fprintf(f, "jflowd_packets_metered_total %llu\n",
		(unsigned long long)(obs_p - st->packets[JF_PKT_NOT_SAMPLED]));
	metric(f, "jflowd_octets_metered_total", "counter",
	       "IP octets (frame octets where no IP header) of metered frames.");
	fprintf(f, "jflowd_octets_metered_total %llu\n",
		(unsigned long long)(obs_o - st->octets[JF_PKT_NOT_SAMPLED]));
	metric(f, "jflowd_packets_in_flows_total", "counter",
	       "Metered packets counted into flows, by path (flow table and maps as the agent "
	       "read them, or spill ring).");
	fprintf(f, "jflowd_packets_in_flows_total{path=\"map\"} %llu\n",
		(unsigned long long)st->packets[JF_PKT_OK]);
	fprintf(f, "jflowd_packets_in_flows_total{path=\"spill\"} %llu\n",
		(unsigned long long)st->packets[JF_PKT_SPILLED]);

	metric(f, "jflowd_packets_unaccounted_total", "counter",
	       "Metered packets in no flow record, by reason.");
	for (r = JF_PKT_NON_IP; r < JF_PKT_REASON_MAX; r++)
		fprintf(f, "jflowd_packets_unaccounted_total{reason=\"%s\"} %llu\n",
			jf_reason_name(r), (unsigned long long)st->packets[r]);
	fprintf(f, "jflowd_packets_unaccounted_total{reason=\"capture_drop\"} %llu\n",
		(unsigned long long)st->capture_drops);
	metric(f, "jflowd_octets_unaccounted_total", "counter",
	       "Octets of metered packets in no flow record, by reason.");
	for (r = JF_PKT_NON_IP; r < JF_PKT_REASON_MAX; r++)
		fprintf(f, "jflowd_octets_unaccounted_total{reason=\"%s\"} %llu\n",
			jf_reason_name(r), (unsigned long long)st->octets[r]);

	metric(f, "jflowd_packets_trimmed_total", "counter",
	       "Packets whose IP header claimed more octets than their frame holds: counted "
	       "in their flow with what the frame holds (not another fate: also in the above).");
	fprintf(f, "jflowd_packets_trimmed_total{reason=\"ip_length\"} %llu\n",
		(unsigned long long)st->trimmed_packets);
	metric(f, "jflowd_octets_trimmed_total", "counter",
	       "Octets those IP headers claimed beyond their frames (not counted anywhere else).");
	fprintf(f, "jflowd_octets_trimmed_total{reason=\"ip_length\"} %llu\n",
		(unsigned long long)st->trimmed_octets);

	metric(f, "jflowd_packets_exported_total", "counter",
	       "Packets in flow records that left the cache for the collectors.");
	fprintf(f, "jflowd_packets_exported_total %llu\n",
		(unsigned long long)cs->exported_packets);
	metric(f, "jflowd_octets_exported_total", "counter",
	       "Octets in flow records that left the cache for the collectors.");
	fprintf(f, "jflowd_octets_exported_total %llu\n", (unsigned long long)cs->exported_octets);
	metric(f, "jflowd_flows_exported_total", "counter", "Flow records by flowEndReason.");
	for (r = 1; r <= JF_END_RESOURCES; r++)
		fprintf(f, "jflowd_flows_exported_total{reason=\"%s\"} %llu\n", end_reasons[r],
			(unsigned long long)cs->expired[r]);
	metric(f, "jflowd_packets_cached", "gauge", "Packets in flows not yet exported.");
	fprintf(f, "jflowd_packets_cached %llu\n", (unsigned long long)cs->packets);
	metric(f, "jflowd_octets_cached", "gauge", "Octets in flows not yet exported.");
	fprintf(f, "jflowd_octets_cached %llu\n", (unsigned long long)cs->octets);
	metric(f, "jflowd_flows_cached", "gauge", "Flows in the cache.");
	fprintf(f, "jflowd_flows_cached %llu\n", (unsigned long long)cs->flows);
	metric(f, "jflowd_flows_created_total", "counter", "Flows created in the cache.");
	fprintf(f, "jflowd_flows_created_total %llu\n", (unsigned long long)in->cache->created);
	metric(f, "jflowd_cache_max_flows", "gauge",
	       "Keyed flow cache capacity (--max-flows; with the XDP table only what misses it).");
	fprintf(f, "jflowd_cache_max_flows %u\n", in->max_flows);
	metric(f, "jflowd_cache_bytes_per_flow", "gauge", "Agent memory per flow slot.");
	fprintf(f, "jflowd_cache_bytes_per_flow %zu\n", in->bytes_per_flow);
	metric(f, "jflowd_memory_bytes", "gauge",
	       "Memory for flows: the agent's keyed cache, the kernel's flow table, maps and spill ring, the agent's per-slot state of the table (router mode: with the route answers); the BGP RIB, as-file and BMP sessions.");
	fprintf(f, "jflowd_memory_bytes{part=\"flow_cache\"} %llu\n",
		(unsigned long long)in->bytes_per_flow * in->max_flows);
	fprintf(f, "jflowd_memory_bytes{part=\"kernel\"} %llu\n",
		(unsigned long long)in->kernel_bytes);
	fprintf(f, "jflowd_memory_bytes{part=\"table_shadow\"} %llu\n",
		(unsigned long long)st->table_bytes);
	if (in->bgp)
		fprintf(f, "jflowd_memory_bytes{part=\"bgp\"} %llu\n",
			(unsigned long long)jf_bgp_bytes(in->bgp));

	metric(f, "jflowd_table_flows", "gauge", "Live slots of the kernel's flow table.");
	fprintf(f, "jflowd_table_flows %llu\n", (unsigned long long)st->table_live);
	metric(f, "jflowd_table_slots", "gauge",
	       "Slots of the kernel's flow table now: it grows with its flows, up to 1.5 per flow of --max-flows.");
	fprintf(f, "jflowd_table_slots %llu\n", (unsigned long long)st->table_slots);
	metric(f, "jflowd_table_moves_total", "counter",
	       "Times the kernel's flow table grew: every flow moved into a larger table.");
	fprintf(f, "jflowd_table_moves_total %llu\n", (unsigned long long)st->table_moves);
	metric(f, "jflowd_table_move_unplaced_total", "counter",
	       "Flows a growth found no slot for within reach in the larger table: exported at once "
	       "(end reason lack of resources); their next packets start new flows.");
	fprintf(f, "jflowd_table_move_unplaced_total %llu\n",
		(unsigned long long)st->table_move_unplaced);
	metric(f, "jflowd_table_read_seconds_total", "counter",
	       "Agent CPU time in the pass over the kernel's flow table (reads, expiry, records, removals).");
	fprintf(f, "jflowd_table_read_seconds_total %.6f\n", st->table_read_ns / 1e9);
	metric(f, "jflowd_drains_total", "counter", "Epoch switches (kernel map drains).");
	fprintf(f, "jflowd_drains_total %llu\n", (unsigned long long)st->drains);
	metric(f, "jflowd_drained_flows_total", "counter", "Kernel map entries merged.");
	fprintf(f, "jflowd_drained_flows_total %llu\n", (unsigned long long)st->drained_flows);
	if (st->ncpus) {
		metric(f, "jflowd_xdp_cpu_packets_total", "counter",
		       "Frames the XDP program saw, per CPU (RSS balance).");
		for (r = 0; r < st->ncpus; r++)
			fprintf(f, "jflowd_xdp_cpu_packets_total{cpu=\"%d\"} %llu\n", r,
				(unsigned long long)st->cpu_packets[r]);
	}
	metric(f, "jflowd_spill_mismatch_total", "counter",
	       "Drains where the spill counter and the spill ring disagreed (a bug if not 0).");
	fprintf(f, "jflowd_spill_mismatch_total %llu\n", (unsigned long long)st->spill_mismatch);
	metric(f, "jflowd_count_mismatch_total", "counter",
	       "Stops where the program's count of packets in flows and what the agent read "
	       "from its table and maps disagreed (a bug if not 0).");
	fprintf(f, "jflowd_count_mismatch_total %llu\n", (unsigned long long)st->count_mismatch);
}

/* Each collector of each exporter instance of each monitor. */
static void write_collectors(FILE *f, const struct jf_monitors *ms)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fields[] = {
#define F(n, m, h) { "jflowd_collector_" n, h, offsetof(struct jf_collector_stats, m) }
		F("messages_total", messages, "Export messages handed to the socket."),
		F("message_octets_total", message_octets, "Bytes of those messages."),
		F("template_messages_total", template_messages,
		  "Messages carrying templates and options only."),
		F("template_records_total", template_records,
		  "Template and options template records sent."),
		F("options_records_total", options_records, "Options data records sent."),
		F("records_total", records, "Flow records handed to the socket."),
		F("packets_total", packets, "Packets in those records."),
		F("octets_total", octets, "Octets in those records."),
		F("dropped_messages_total", dropped_messages,
		  "Messages not delivered: send error, queue full, cut by a lost connection, "
		  "dropped by the full socket of a collector on this host."),
		F("dropped_records_total", dropped_records, "Flow records in dropped messages."),
		F("dropped_packets_total", dropped_packets, "Packets in dropped records."),
		F("dropped_octets_total", dropped_octets, "Octets in dropped records."),
		F("unexportable_records_total", unexportable_records,
		  "Flow records the protocol cannot carry (IPv6 for v5)."),
		F("unexportable_packets_total", unexportable_packets,
		  "Packets in unexportable records."),
		F("unexportable_octets_total", unexportable_octets,
		  "Octets in unexportable records."),
		F("absent_packets_total", absent_packets,
		  "Packets exported before a reload added this collector."),
		F("queued_records", queued_records,
		  "Flow records waiting to be written: TCP, or UDP to a collector on this host "
		  "whose socket is full."),
		F("queued_packets", queued_packets, "Packets in those records."),
		F("socket_drops_total", socket_drops,
		  "UDP, collector on this host: datagrams its socket dropped (full) after jflowd "
		  "sent them (sock_diag); the latest sent are counted in dropped_*."),
		F("send_errors_total", send_errors, "Failed sends (socket buffer or TCP queue full)."),
		F("refused_total", refused,
		  "UDP: ICMP port unreachable reports from the collector (send retried)."),
		F("refused_messages_total", refused_messages,
		  "UDP: messages sent while the collector refused them (port unreachable): "
		  "most likely lost."),
		F("refused_records_total", refused_records, "UDP: flow records in those messages."),
		F("refused_packets_total", refused_packets, "UDP: packets in those records."),
		F("refused_octets_total", refused_octets, "UDP: octets in those records."),
		F("connects_total", connects, "TCP connections established."),
		F("reconnects_total", reconnects, "TCP connections established after a lost one."),
		F("resent_messages_total", resent_messages,
		  "TCP: messages unacknowledged when a connection broke, sent again."),
		F("nat_event_records_total", event_records,
		  "NAT event records handed to the socket."),
		F("dropped_nat_event_records_total", dropped_event_records,
		  "NAT event records in dropped messages."),
		F("unexportable_nat_event_records_total", unexportable_events,
		  "NAT event records the protocol cannot carry (v5)."),
#undef F
	};
	size_t k;
	int i, j, c;

	for (k = 0; k <= sizeof(fields) / sizeof(fields[0]); k++) {
		bool up = k == sizeof(fields) / sizeof(fields[0]);

		if (up)
			metric(f, "jflowd_collector_up", "gauge",
			       "1 if the collector's transport is up.");
		else
			metric(f, fields[k].name, strstr(fields[k].name, "_total") ? "counter"
										     : "gauge",
			       fields[k].help);
		for (i = 0; i < jf_monitors_count(ms); i++) {
			const struct jf_monitor *m = jf_monitors_at(ms, i);

			for (j = 0; j < m->n_ex; j++) {
				const struct jf_exporter *e = m->ex[j].exp;

				for (c = 0; c < jf_exporter_count(e); c++) {
					struct jf_collector_stats cs;
					char lbl[640], mon[64], ex[64];

					jf_exporter_stats(e, c, &cs);
					label_escape(lbl, sizeof(lbl), jf_exporter_name(e, c));
					label_escape(mon, sizeof(mon), m->name);
					label_escape(ex, sizeof(ex), m->ex[j].name);
					fprintf(f, "%s{collector=\"%s\",protocol=\"%s\",monitor=\"%s\","
						"exporter=\"%s\"} ", up ? "jflowd_collector_up" :
						fields[k].name, lbl, jf_exporter_proto(e, c), mon, ex);
					if (up)
						fprintf(f, "%d\n", cs.up);
					else
						fprintf(f, "%llu\n", (unsigned long long)
							*(const uint64_t *)((const char *)&cs +
									    fields[k].off));
				}
			}
		}
	}
}

/* NAT: the per-flow lookups and the event logger (docs/nat.md), one
 * series a row. */
static void write_nat(FILE *f, const struct jf_metrics_input *in)
{
	struct jf_nat_stats ns = { 0 };
	struct jf_nat_events_stats es = { 0 };
	size_t i;

	if (in->nat)
		jf_nat_get_stats(in->nat, &ns);
	if (in->nat_events)
		jf_nat_events_get_stats(in->nat_events, &es);
	{
		const struct {
			const char *name, *type, *help;	/* help: NULL, the name's next series */
			const char *label;		/* NULL: none */
			uint64_t v;
			bool shown;
		} rows[] = {
			{ "jflowd_nat_lookups_total", "counter", "Conntrack lookups of flows, by "
			  "answer (not_yet: asked again at the next drain).",
			  "answer=\"translated\"", ns.translated, in->nat },
			{ "jflowd_nat_lookups_total", NULL, NULL, "answer=\"untranslated\"",
			  ns.found - ns.translated, in->nat },
			{ "jflowd_nat_lookups_total", NULL, NULL, "answer=\"not_yet\"", ns.not_yet,
			  in->nat },
			{ "jflowd_nat_lookups_total", NULL, NULL, "answer=\"untracked\"",
			  ns.untracked, in->nat },
			{ "jflowd_nat_lookups_total", NULL, NULL, "answer=\"error\"", ns.errors,
			  in->nat },
			{ "jflowd_nat_events_total", "counter", "NAT session events handed to the "
			  "exporter (RFC 8158), by event.", "event=\"create\"", es.created,
			  in->nat_events },
			{ "jflowd_nat_events_total", NULL, NULL, "event=\"delete\"", es.deleted,
			  in->nat_events },
			{ "jflowd_nat_events_lost_total", "counter", "Events conntrack could not "
			  "deliver (socket overflow), rebuilt from a re-read of the table or from "
			  "the session's delete.", NULL, es.lost, in->nat_events },
			{ "jflowd_nat_event_overflows_total", "counter", "Overflows (ENOBUFS) of "
			  "the conntrack event socket: raise nat-events-buffer.", NULL,
			  es.overflows, in->nat_events },
			{ "jflowd_nat_resyncs_total", "counter", "Re-reads of the conntrack table "
			  "(at start, after an overflow, while sessions found at start are open).",
			  NULL, es.resyncs, in->nat_events },
			{ "jflowd_nat_sessions", "gauge", "Translated sessions open.", NULL,
			  es.sessions, in->nat_events },
		};

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			if (!rows[i].shown)
				continue;
			if (rows[i].help)
				metric(f, rows[i].name, rows[i].type, rows[i].help);
			fprintf(f, "%s%s%s%s %llu\n", rows[i].name, rows[i].label ? "{" : "",
				rows[i].label ? rows[i].label : "", rows[i].label ? "}" : "",
				(unsigned long long)rows[i].v);
		}
	}
}

int jf_metrics_fprint(FILE *f, const struct jf_metrics_input *in)
{
	write_meter(f, in);
	write_monitors(f, in);
	write_nat(f, in);
	if (in->monitors)
		write_collectors(f, in->monitors);
	if (in->bgp)
		jf_bgp_metrics(in->bgp, f);
	return ferror(f) ? -EIO : 0;
}

/* The file appears whole (a temporary file, then rename) and nothing
 * planted in the directory is followed: the temporary name is random and
 * created exclusively (mkstemp: O_CREAT|O_EXCL, never through a symlink),
 * and rename replaces a symlink at PATH instead of writing through it. */
static double next_warn_s;

void jf_metrics_write_failed(const char *path, int err)
{
	double now = jf_mono_s();

	write_failures++;
	/* Once a minute at most: the next drain interval tries again. */
	if (now < next_warn_s)
		return;
	next_warn_s = now + 60;
	log_warn("metrics file %s: %s (%llu failed writes so far; next warning in a "
		 "minute at most)", path, strerror(-err), (unsigned long long)write_failures);
}

int jf_metrics_write(const char *path, const struct jf_metrics_input *in)
{
	char tmp[4200];
	FILE *f;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Readable by the collector of the metrics (node_exporter). */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	write_meter(f, in);
	write_monitors(f, in);
	write_nat(f, in);
	if (in->monitors)
		write_collectors(f, in->monitors);
	if (in->bgp)
		jf_bgp_metrics(in->bgp, f);
	if (fflush(f) || ferror(f))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
