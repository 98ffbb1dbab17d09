// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus text-format metrics, written atomically. The lossless
 * invariant can be checked from this file alone:
 *   jflowd_packets_metered_total == jflowd_packets_exported_total
 *     + jflowd_packets_cached + sum(jflowd_packets_unaccounted_total)
 * and, per collector,
 *   jflowd_packets_exported_total == jflowd_collector_packets_total
 *     + jflowd_collector_dropped_packets_total
 *     + jflowd_collector_unexportable_packets_total
 *     + jflowd_collector_absent_packets_total (exported before a reload
 *       added the collector) */
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

static void write_meter(FILE *f, const struct jf_metrics_input *in)
{
	const struct jf_meter_stats *st = in->meter;
	const struct jf_cache_stats *cs = in->cache;
	uint64_t obs_p = st->capture_drops, obs_o = 0, un_p, un_o;
	int r;

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
	       "Metered packets counted into flows, by path (flow map or spill ring).");
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

	metric(f, "jflowd_packets_exported_total", "counter",
	       "Packets in flow records that left the cache for the collectors.");
	fprintf(f, "jflowd_packets_exported_total %llu\n",
		(unsigned long long)cs->exported_packets);
	metric(f, "jflowd_octets_exported_total", "counter",
	       "Octets in flow records that left the cache for the collectors.");
	fprintf(f, "jflowd_octets_exported_total %llu\n", (unsigned long long)cs->exported_octets);
	metric(f, "jflowd_flows_exported_total", "counter", "Flow records by flowEndReason.");
	{
		static const char *const why[] = { "", "idle", "active", "end_of_flow",
						   "forced", "lack_of_resources" };

		for (r = 1; r <= JF_END_RESOURCES; r++)
			fprintf(f, "jflowd_flows_exported_total{reason=\"%s\"} %llu\n", why[r],
				(unsigned long long)cs->expired[r]);
	}
	metric(f, "jflowd_packets_cached", "gauge", "Packets in flows not yet exported.");
	fprintf(f, "jflowd_packets_cached %llu\n", (unsigned long long)cs->packets);
	metric(f, "jflowd_octets_cached", "gauge", "Octets in flows not yet exported.");
	fprintf(f, "jflowd_octets_cached %llu\n", (unsigned long long)cs->octets);
	metric(f, "jflowd_flows_cached", "gauge", "Flows in the cache.");
	fprintf(f, "jflowd_flows_cached %llu\n", (unsigned long long)cs->flows);
	metric(f, "jflowd_flows_created_total", "counter", "Flows created in the cache.");
	fprintf(f, "jflowd_flows_created_total %llu\n", (unsigned long long)cs->created);
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
}

static void write_collectors(FILE *f, const struct jf_exporter *e)
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
		  "Messages not delivered: send error, TCP queue full, cut by a lost connection."),
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
		F("queued_records", queued_records, "TCP: flow records waiting to be written."),
		F("queued_packets", queued_packets, "TCP: packets in those records."),
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
	int i;

	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		metric(f, fields[k].name, strstr(fields[k].name, "_total") ? "counter" : "gauge",
		       fields[k].help);
		for (i = 0; i < jf_exporter_count(e); i++) {
			struct jf_collector_stats cs;
			char lbl[640];

			jf_exporter_stats(e, i, &cs);
			label_escape(lbl, sizeof(lbl), jf_exporter_name(e, i));
			fprintf(f, "%s{collector=\"%s\",protocol=\"%s\"} %llu\n", fields[k].name, lbl,
				jf_exporter_proto(e, i),
				(unsigned long long)*(const uint64_t *)((const char *)&cs +
									 fields[k].off));
		}
	}
	metric(f, "jflowd_collector_up", "gauge", "1 if the collector's transport is up.");
	for (i = 0; i < jf_exporter_count(e); i++) {
		struct jf_collector_stats cs;
		char lbl[640];

		jf_exporter_stats(e, i, &cs);
		label_escape(lbl, sizeof(lbl), jf_exporter_name(e, i));
		fprintf(f, "jflowd_collector_up{collector=\"%s\",protocol=\"%s\"} %d\n", lbl,
			jf_exporter_proto(e, i), cs.up);
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
	write_nat(f, in);
	if (in->exporter)
		write_collectors(f, in->exporter);
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
	write_nat(f, in);
	if (in->exporter)
		write_collectors(f, in->exporter);
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
