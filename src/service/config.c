// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's configuration: defaults, the command line over the file
 * (src/service/config_file.c) through the option table
 * (src/service/options.c), reload, and each module's part of it. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "service/config.h"
#include "service/options.h"
#include "service/sections.h"
#include "export/exporter.h"
#include "export/transport.h"
#include "flow/bgp.h"
#include "flow/fields.h"
#include "flow/nat.h"
#include "flow/route.h"
#include "log.h"
#include "version.h"
#include "meter/meter.h"

void jf_config_defaults(struct jf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_ms = 15000;
	cfg->active_ms = 60000;
	cfg->fin_ms = 2000;
	cfg->sample_rate = 1;
	cfg->mode = JF_MODE_XDP;
	cfg->max_flows = 0;		/* from memory: jf_config_size() */
	cfg->tick_ms = 1000;
	cfg->observation_domain = 1;
	cfg->template_interval_s = 60;
	cfg->template_packets = 20;
	cfg->mtu = 1400;
	cfg->export_rate = 10000;
	cfg->tcp_buffer = JF_TCP_BUF_DEFAULT;
	cfg->nat_events_buffer = 16u << 20;
	cfg->bgp_memory_mb = JF_BGP_DEFAULT_MEMORY_MB;
	cfg->verbosity = JF_LOG_INFO;
}

/* "a, b, c": a list of names for the log. */
static void list_names(char *out, size_t n, const char *names, int count, size_t stride)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < count && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "",
					names + (size_t)i * stride);
}

/* What the command line's lists replaced in the file ("" if nothing). */
struct replaced {
	const char *file;
	char ifaces[JF_MAX_IFACES * (JF_IFNAME_MAX + 2)];
	char collectors[JF_MAX_COLLECTORS * 302];
};

/* The command line and the file into cfg; errors, one line each, to
 * errout. */
static int load(struct jf_config *cfg, int argc, char **argv, FILE *errout,
		struct replaced *r)
{
	struct option longopts[jf_n_opts + 1];
	char shortopts[3 * jf_n_opts + 2], *sp = shortopts, err[JF_OPT_ERRLEN];
	char *orig[argc > 0 ? argc : 1];
	bool cli_ifaces = false, cli_collectors = false;
	size_t i;
	int c, idx;

	memset(longopts, 0, sizeof(longopts));
	*sp++ = ':';
	for (i = 0; i < jf_n_opts; i++) {
		longopts[i].name = jf_opts[i].name;
		longopts[i].has_arg = jf_opts[i].has_arg ? required_argument : no_argument;
		longopts[i].val = jf_opts[i].short_opt ? jf_opts[i].short_opt : 256 + (int)i;
		if (jf_opts[i].short_opt && jf_opts[i].short_opt < 128) {
			*sp++ = (char)jf_opts[i].short_opt;
			if (jf_opts[i].has_arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';

	/* getopt permutes argv: the order as given, for the error hints. */
	for (i = 0; i < (size_t)argc && i < sizeof(orig) / sizeof(orig[0]); i++)
		orig[i] = argv[i];

	/* First pass: only -c, so the file is read before the command line. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		if (c != JF_OPT_CONFIG)
			continue;
		if (jf_config_read_file(cfg, optarg, errout))
			return -1;
		r->file = optarg;
	}
	r->ifaces[0] = r->collectors[0] = '\0';

	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		const struct jf_opt *o = NULL;

		switch (c) {
		case JF_OPT_HELP:
			jf_config_usage(stdout);
			return 1;
		case JF_OPT_VERSION:
			JFLOWD_PRINT_VERSION("jflowd");
			return 1;
		case JF_OPT_CONFIG:
			continue;
		case JF_OPT_CHECK_CONFIG:
			cfg->check_only = true;
			continue;
		case '?': {
			char name[64], hint[300];

			if (optopt)
				snprintf(name, sizeof(name), "%c", optopt);
			else
				snprintf(name, sizeof(name), "%.*s",
					 (int)strcspn(argv[optind - 1] + 2, "="), argv[optind - 1] + 2);
			jf_opt_unknown_hint(name, true, hint, sizeof(hint));
			if (!hint[0])
				snprintf(hint, sizeof(hint), " (see jflowd --help)");
			if (optopt)
				fprintf(errout, "jflowd: unknown option '-%c'%s\n", optopt, hint);
			else
				fprintf(errout, "jflowd: unknown option '%s'%s\n", argv[optind - 1],
					hint);
			return -1;
		}
		case ':':
			fprintf(errout, "jflowd: option '%s' needs a value (see jflowd --help)\n",
				argv[optind - 1]);
			return -1;
		}
		for (i = 0; i < jf_n_opts; i++)
			if ((jf_opts[i].short_opt && jf_opts[i].short_opt == c) || c == 256 + (int)i)
				o = &jf_opts[i];
		if (!o || !o->set)
			continue;
		/* Lists on the command line replace those from the file; the
		 * log says which (-c FILE -n URL drops the file's collectors). */
		if (o->list == JF_OPT_LIST_IFACES && !cli_ifaces) {
			list_names(r->ifaces, sizeof(r->ifaces), cfg->ifaces[0], cfg->n_ifaces,
				   sizeof(cfg->ifaces[0]));
			cfg->n_ifaces = 0;
			cli_ifaces = true;
		}
		if (o->list == JF_OPT_LIST_COLLECTORS && !cli_collectors) {
			list_names(r->collectors, sizeof(r->collectors), cfg->collector_urls[0],
				   cfg->n_collectors, sizeof(cfg->collector_urls[0]));
			cfg->n_collectors = 0;
			cli_collectors = true;
		}
		if (o->set(cfg, optarg ? optarg : "", err)) {
			fprintf(errout, "jflowd: %s\n", err);
			return -1;
		}
	}
	if (optind < argc) {
		/* softflowd's -v VERSION: here -v takes no value. */
		bool version = false;
		size_t off = 0;

		for (i = 1; i < (size_t)argc; i++)
			if (orig[i] == argv[optind] && !strcmp(orig[i - 1], "-v"))
				version = true;
		if (version) {
			fprintf(errout, "jflowd: unexpected argument '%s' (-v is more logging; "
				"softflowd's -v VERSION is the collector URL's scheme here: -n "
				"v5://, v9://, ipfix://HOST:PORT)\n", argv[optind]);
			return -1;
		}
		/* The words after the options: a filter expression, as
		 * softflowd and tcpdump take it (in place of --filter). */
		for (; optind < argc; optind++) {
			size_t n = strlen(argv[optind]);

			if (off + n + 1 >= sizeof(cfg->filter)) {
				fprintf(errout, "jflowd: filter: longer than %zu bytes\n",
					sizeof(cfg->filter) - 1);
				return -1;
			}
			if (off)
				cfg->filter[off++] = ' ';
			memcpy(cfg->filter + off, argv[optind], n + 1);
			off += n;
		}
	}

	/* A fresh install's configuration names no interface: the unit's
	 * ExecCondition= says so and the unit stays down, not failed. */
	if (cfg->start_condition && !cfg->n_ifaces && !cfg->pcap_file[0] && !cfg->n_monitors) {
		log_warn("%s names no interface to meter: the service starts once it does "
			 "(interface = eth0; jflowd.conf(5)), e.g. with systemctl start jflowd",
			 r->file ? r->file : "the command line");
		return JF_CONFIG_NOTHING_TO_METER;
	}

	/* The monitors: the command line's and the file's sections. */
	{
		char rerr[1024];

		if (jf_config_resolve(cfg, rerr, sizeof(rerr))) {
			fprintf(errout, "jflowd: %s\n", rerr);
			return -1;
		}
	}
	if (cfg->n_ifaces && cfg->pcap_file[0]) {
		fprintf(errout, "jflowd: -i and -r exclude each other\n");
		return -1;
	}
	if (cfg->mirror && cfg->mode == JF_MODE_PCAP) {
		/* libpcap only watches: it cannot keep the box from answering
		 * or forwarding what the mirror port delivers. */
		fprintf(errout, "jflowd: --mirror needs -m xdp or xdp-generic (libpcap cannot drop "
			"the mirrored packets)\n");
		return -1;
	}
	if ((cfg->nat_lookup || cfg->nat_events) && (cfg->mirror || cfg->pcap_file[0])) {
		/* conntrack knows this box's own sessions only: a mirror port
		 * or a capture file shows another box's traffic. */
		fprintf(errout, "jflowd: --nat-lookup and --nat-events need this box's conntrack: "
			"a %s carries no translation of its own (the NAT router must run jflowd)\n",
			cfg->mirror ? "mirror port" : "capture file");
		return -1;
	}
	for (i = 0; i < (size_t)cfg->n_nat_zones; i++) {
		int j;

		for (j = 0; j < cfg->n_ifaces && strcmp(cfg->ifaces[j], cfg->nat_zone_if[i]); j++)
			;
		if (j == cfg->n_ifaces) {
			fprintf(errout, "jflowd: --nat-zone %s: not a metered interface (give -i %s)\n",
				cfg->nat_zone_if[i], cfg->nat_zone_if[i]);
			return -1;
		}
	}
	if (cfg->n_if_maps && !cfg->mirror) {
		fprintf(errout, "jflowd: --map-mac and --map-vlan need --mirror\n");
		return -1;
	}
	for (i = 0; i < (size_t)cfg->n_ifaces; i++) {
		if ((cfg->iface_dir[i] & JF_DIR_OUT) && cfg->mode == JF_MODE_PCAP) {
			fprintf(errout, "jflowd: -i %s:out needs -m xdp (egress metering is a TC "
				"program beside the XDP one)\n", cfg->ifaces[i]);
			return -1;
		}
	}
	if (cfg->active_ms < cfg->idle_ms)
		log_warn("active timeout %.3fs is shorter than idle timeout %.3fs",
			 cfg->active_ms / 1000.0, cfg->idle_ms / 1000.0);
	{
		uint64_t total, avail;

		if (jf_config_meminfo(&total, &avail)) {
			fprintf(errout, "jflowd: cannot read /proc/meminfo to size the flow tables\n");
			return -1;
		}
		if (jf_config_size(cfg, total, avail, err, JF_OPT_ERRLEN)) {
			fprintf(errout, "jflowd: %s\n", err);
			return -1;
		}
	}
	if (cfg->start_condition)
		return 1;
	if (cfg->check_only) {
		jf_config_print(cfg, stdout);
		printf("%s: configuration OK\n", cfg->config_file[0] ? cfg->config_file
									: "command line");
		return 1;
	}
	return 0;
}

/* Each line of a load's errors through the log (under systemd with its
 * priority, so journalctl -p err shows why the unit failed). */
static void log_errors(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_err("%s", strncmp(line, "jflowd: ", 8) ? line : line + 8);
}

/* -c FILE -i/-n: say what the command line's list replaced, and by what. */
static void log_replaced(const struct jf_config *cfg, const struct replaced *r)
{
	char now[sizeof(r->collectors)];

	if (r->ifaces[0]) {
		list_names(now, sizeof(now), cfg->ifaces[0], cfg->n_ifaces, sizeof(cfg->ifaces[0]));
		log_info("interfaces: %s from the command line, instead of %s from %s", now,
			 r->ifaces, r->file);
	}
	if (r->collectors[0]) {
		list_names(now, sizeof(now), cfg->collector_urls[0], cfg->n_collectors,
			   sizeof(cfg->collector_urls[0]));
		log_info("collectors: %s from the command line, instead of %s from %s", now,
			 r->collectors, r->file);
	}
}

int jf_config_load(struct jf_config *cfg, int argc, char **argv)
{
	struct replaced r = { 0 };
	char *msg = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&msg, &len);
	int rc;

	if (!m) {
		log_err("configuration: out of memory");
		return -1;
	}
	rc = load(cfg, argc, argv, m, &r);
	fclose(m);
	if (msg)
		log_errors(msg);
	free(msg);
	if (!rc && cfg->verbosity >= JF_LOG_INFO)
		log_replaced(cfg, &r);
	return rc;
}

int jf_config_reload(struct jf_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	struct replaced r = { 0 };
	char *msg = NULL;
	size_t len = 0;
	FILE *m;
	int rc;

	jf_config_defaults(cfg);
	m = open_memstream(&msg, &len);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = load(cfg, argc, argv, m, &r);
	fclose(m);
	if (rc) {
		const char *e = msg && !strncmp(msg, "jflowd: ", 8) ? msg + 8 : msg;

		snprintf(err, errlen, "%.*s", e ? (int)strcspn(e, "\n") : 0, e ? e : "");
		if (!*err)
			snprintf(err, errlen, "the configuration is not valid");
		rc = -1;
	}
	free(msg);
	return rc;
}

void jf_config_exporter_params(const struct jf_config *cfg, bool replay,
			       struct jf_exporter_params *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->mode = replay ? JF_EXPORT_REPLAY : JF_EXPORT_LIVE;
	p->collectors = cfg->collectors;
	for (i = 0; i < cfg->n_collectors; i++)
		p->names[i] = cfg->collector_urls[i];
	p->n_collectors = cfg->n_collectors;
	p->domain = cfg->observation_domain;
	p->mtu = cfg->mtu;
	p->template_interval_s = cfg->template_interval_s;
	p->template_packets = cfg->template_packets;
	p->sample_rate = cfg->sample_rate;
	p->active_ms = cfg->active_ms;
	p->idle_ms = cfg->idle_ms;
	p->export_rate = cfg->export_rate;
	p->ipfix_sequence = cfg->ipfix_sequence;
	p->source_addr = cfg->source_addr;
	p->tcp_buffer = cfg->tcp_buffer;
	if (cfg->n_monitors) {
		p->record = jf_config_record(cfg, &cfg->monitors[0]);
		p->unmet = jf_needs_unmet(cfg, &cfg->monitors[0]);
	}
	p->nat_events = cfg->nat_events;
}

void jf_config_meter_params(const struct jf_config *cfg, struct jf_meter_params *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < cfg->n_ifaces; i++)
		p->ifaces[i] = cfg->ifaces[i];
	p->n_ifaces = cfg->n_ifaces;
	p->sample_rate = cfg->sample_rate;
	p->generic = cfg->mode == JF_MODE_XDP_GENERIC;
	p->mirror = cfg->mirror;
	p->vlan_offload = cfg->vlan_offload;
	p->quiesce = cfg->quiesce;
	p->map_flows = jf_config_map_flows(cfg);
	p->table_flows = jf_config_table_flows(cfg);
	p->min_flows = cfg->min_flows;
	p->idle_ms = cfg->idle_ms;
	p->active_ms = cfg->active_ms;
	p->fin_ms = cfg->fin_ms;
	for (i = 0; i < cfg->n_ifaces; i++)
		p->dirs[i] = cfg->iface_dir[i];
	p->if_maps = cfg->if_maps;
	p->n_if_maps = cfg->n_if_maps;
	for (i = 0; i < cfg->n_monitors; i++)
		if (jf_record_collects(jf_config_record(cfg, &cfg->monitors[i]),
				       jf_ie_by_name("fragmentIdentification")))
			p->keep_frag_id = true;
}

void jf_config_router_params(const struct jf_config *cfg, struct jf_router_params *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < cfg->n_ifaces; i++)
		p->ifaces[i] = cfg->ifaces[i];
	p->n_ifaces = cfg->n_ifaces;
	p->lookup = cfg->route_lookup;
}

void jf_config_nat_params(const struct jf_config *cfg, struct jf_nat_zone *zones,
			  struct jf_nat_params *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < cfg->n_nat_zones; i++) {
		zones[i].ifindex = if_nametoindex(cfg->nat_zone_if[i]);
		zones[i].zone = cfg->nat_zone[i];
	}
	p->zones = zones;
	p->n_zones = cfg->n_nat_zones;
}

void jf_config_bgp_params(const struct jf_config *cfg, struct jf_bgp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->bmp_listen = cfg->bmp_listen;
	p->as_file = cfg->as_file;
	p->memory_mb = cfg->bgp_memory_mb;
}
