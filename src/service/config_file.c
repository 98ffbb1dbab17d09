// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file: "name = value" lines with the options' long
 * names, read into a struct jf_config through the option table, and the
 * named sections, handed to src/service/sections.c. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "service/config.h"
#include "service/options.h"
#include "service/sections.h"
#include "log.h"
#include "text.h"

#define CONFIG_LINE_MAX 4096

/* A line without '=': what it should have been. */
static void bare_line(const char *path, int lineno, char *s, bool section, FILE *errout)
{
	size_t n = strcspn(s, " \t");
	const struct jf_opt *o;
	char hint[300], *rest;

	rest = jf_trim(s + n);
	s[n] = '\0';
	if (n > 1 && s[n - 1] == ':')		/* pmacct's "key: value" */
		s[n - 1] = '\0';
	o = section ? NULL : jf_opt_find(s);
	if (o && o->set && *rest)
		fprintf(errout, "jflowd: config %s:%d: '%s %s': write '%s = %s'\n", path, lineno,
			s, rest, s, rest);
	else if (o && o->set && !o->has_arg)
		fprintf(errout, "jflowd: config %s:%d: '%s' alone: write '%s = true' (or false)\n",
			path, lineno, s, s);
	else if (o && o->set)
		fprintf(errout, "jflowd: config %s:%d: option '%s' needs a value (%s = %s)\n",
			path, lineno, s, s, o->arg);
	else if (section)
		fprintf(errout, "jflowd: config %s:%d: '%s%s%s': expected 'name = value'\n", path,
			lineno, s, *rest ? " " : "", rest);
	else {
		jf_opt_unknown_hint(s, false, hint, sizeof(hint));
		fprintf(errout, "jflowd: config %s:%d: unknown option '%s'%s%s\n", path, lineno, s,
			hint, *rest ? "; lines are 'name = value'" : "");
	}
}

int jf_config_read_file(struct jf_config *cfg, const char *path, FILE *errout)
{
	char *line = NULL, err[1024], hint[300];
	struct jf_sections sec;
	size_t cap = 0;
	struct stat sb;
	int lineno = 0, rc = -1, at;
	ssize_t len;
	FILE *f;

	jf_sections_begin(&sec, cfg, path);
	f = fopen(path, "r");
	if (!f) {
		int e = errno;
		size_t plen = strlen(path);

		/* softflowd's -c is its control socket. */
		fprintf(errout, "jflowd: config %s: %s%s\n", path, strerror(e),
			e == ENXIO || (e == ENOENT && (plen < 5 || strcmp(path + plen - 5, ".conf")))
			? " (-c is the configuration file; softflowd's -c control socket is "
			  "--control-socket here)" : "");
		return -1;
	}
	/* A directory reads as empty, a device (/dev/zero) never ends: only a
	 * regular file is a configuration. */
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		fprintf(errout, "jflowd: config %s: not a regular file\n", path);
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s, *name, *val, *sep;
		const struct jf_opt *o;
		size_t n;

		lineno++;
		/* Whole lines or nothing: the tail of a cut line, or what follows
		 * a NUL, would be read as an option of its own. */
		if (len > CONFIG_LINE_MAX) {
			fprintf(errout, "jflowd: config %s:%d: line longer than %d bytes\n",
				path, lineno, CONFIG_LINE_MAX);
			goto out;
		}
		if (memchr(line, '\0', (size_t)len)) {
			fprintf(errout, "jflowd: config %s:%d: NUL byte (not a text file?)\n",
				path, lineno);
			goto out;
		}
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		s = jf_trim(line);
		if (!*s)
			continue;
		/* [record NAME], [exporter NAME], [monitor NAME]: the lines
		 * up to the next one are that section's (sections.c). */
		if (*s == '[') {
			at = lineno;
			if (jf_sections_header(&sec, s, &at, err, sizeof(err))) {
				fprintf(errout, "jflowd: config %s:%d: %s\n", path, at, err);
				goto out;
			}
			continue;
		}
		/* Always "name = value": a bare "mirror" or "interface eth0"
		 * is an error that says how to write it, not a guess. */
		sep = strchr(s, '=');
		n = strcspn(s, " \t");
		if (!sep || (n > 1 && s[n - 1] == ':' && !memchr(s, '=', n))) {	/* "key: value" */
			bare_line(path, lineno, s, jf_sections_active(&sec), errout);
			goto out;
		}
		*sep = '\0';
		name = jf_trim(s);
		val = jf_trim(sep + 1);
		/* Values are taken as written, up to a '#': quotes would be
		 * part of them. */
		if (*val == '"' || *val == '\'') {
			fprintf(errout, "jflowd: config %s:%d: option '%s': the value is in quotes; "
				"write it without them (%s = %.*s)\n", path, lineno, name, name,
				(int)strcspn(val + 1, "\"'"), val + 1);
			goto out;
		}
		if (jf_sections_active(&sec)) {
			if (jf_sections_line(&sec, name, val, lineno, err, sizeof(err))) {
				fprintf(errout, "jflowd: config %s:%d: %s\n", path, lineno, err);
				goto out;
			}
			continue;
		}
		o = jf_opt_find(name);
		if (!o || !o->set) {
			jf_opt_unknown_hint(name, false, hint, sizeof(hint));
			fprintf(errout, "jflowd: config %s:%d: unknown option '%s'%s\n", path, lineno,
				name, hint);
			goto out;
		}
		if (!*val) {
			fprintf(errout, "jflowd: config %s:%d: option '%s' needs a value (%s = %s)\n",
				path, lineno, name, name, o->has_arg ? o->arg : "true|false");
			goto out;
		}
		if (o->set(cfg, val, err)) {
			fprintf(errout, "jflowd: config %s:%d: %s\n", path, lineno, err);
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(errout, "jflowd: config %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (jf_sections_end(&sec, &at, err, sizeof(err))) {
		fprintf(errout, "jflowd: config %s:%d: %s\n", path, at, err);
		goto out;
	}
	rc = 0;
out:
	jf_sections_free(&sec);
	free(line);
	fclose(f);
	return rc;
}


/* --- the settings in effect, written back (jflowctl config) --- */

struct conf_out {
	FILE *f;
	bool json;
	bool first;
	const char *list;	/* JSON: the list being written, or NULL */
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void end_list(struct conf_out *o)
{
	if (o->json && o->list)
		fprintf(o->f, "]");
	o->list = NULL;
}

/* One "name = value" line, or one JSON member: an array for a repeated
 * option (list), whose items come one call each. value NULL: unset, a
 * comment line, JSON null. */
__attribute__((format(printf, 4, 0)))
static void vput(struct conf_out *o, const char *name, bool list, const char *fmt, va_list ap)
{
	char val[4400];

	if (fmt)
		vsnprintf(val, sizeof(val), fmt, ap);
	if (!o->json) {
		fprintf(o->f, fmt ? "%s = %s\n" : "#%s =\n", name, val);
		return;
	}
	if (o->list && strcmp(o->list, name))
		end_list(o);
	if (o->list) {
		fputc(',', o->f);
	} else {
		fprintf(o->f, "%s\n \"%s\":%s", o->first ? "" : ",", name, list ? "[" : "");
		o->first = false;
		o->list = list ? name : NULL;
	}
	if (fmt)
		json_str(o->f, val);
	else
		fprintf(o->f, "null");
}

__attribute__((format(printf, 3, 4)))
static void put(struct conf_out *o, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, name, false, fmt, ap);
	va_end(ap);
}

/* One item of a repeatable option (interface, collector, map-mac...). */
__attribute__((format(printf, 3, 4)))
static void put_item(struct conf_out *o, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, name, true, fmt, ap);
	va_end(ap);
}

static const char *dir_suffix(uint8_t dir)
{
	return dir == (JF_DIR_IN | JF_DIR_OUT) ? ":both" : dir == JF_DIR_OUT ? ":out" : "";
}

void jf_config_print_settings(const struct jf_config *cfg, FILE *f, bool json)
{
	struct conf_out o = { .f = f, .json = json, .first = true };
	int i, k;

	if (json)
		fprintf(f, "{");
	else
		fprintf(f, "# the settings in effect, as jflowd.conf(5) lines\n");
	for (i = 0; i < cfg->n_ifaces; i++)
		put_item(&o, "interface", "%s%s", cfg->ifaces[i], dir_suffix(cfg->iface_dir[i]));
	if (!cfg->n_ifaces)
		put(&o, "interface", NULL);
	end_list(&o);
	if (cfg->pcap_file[0])
		put(&o, "read", "%s", cfg->pcap_file);
	for (i = 0; i < cfg->n_collectors; i++)
		put_item(&o, "collector", "%s", cfg->collector_urls[i]);
	if (!cfg->n_collectors)
		put(&o, "collector", NULL);
	end_list(&o);
	put(&o, "timeouts", "idle=%g,active=%g,fin=%g", cfg->idle_ms / 1000.0,
	    cfg->active_ms / 1000.0, cfg->fin_ms / 1000.0);
	put(&o, "sample", "%u", cfg->sample_rate);
	put(&o, "filter", cfg->filter[0] ? "%s" : NULL, cfg->filter);
	put(&o, "mode", "%s", jf_mode_names[cfg->mode]);
	put(&o, "mirror", "%s", cfg->mirror ? "true" : "false");
	for (k = JF_MAP_MAC; k <= JF_MAP_VLAN; k++) {
		const char *name = k == JF_MAP_MAC ? "map-mac" : "map-vlan";
		int n = 0;

		for (i = 0; i < cfg->n_if_maps; i++) {
			const struct jf_if_map *m = &cfg->if_maps[i];
			const uint8_t *a = m->mac;

			if (m->kind != k)
				continue;
			n++;
			if (k == JF_MAP_MAC)
				put_item(&o, name, "%02x:%02x:%02x:%02x:%02x:%02x=%u,%s%s%s", a[0],
					 a[1], a[2], a[3], a[4], a[5], m->index, m->name,
					 m->descr[0] ? "," : "", m->descr);
			else
				put_item(&o, name, "%u=%u,%s%s%s", m->vlan, m->index, m->name,
					 m->descr[0] ? "," : "", m->descr);
		}
		if (!n)
			put(&o, name, NULL);
		end_list(&o);
	}
	put(&o, "route-lookup", "%s", jf_route_lookup_names[cfg->route_lookup]);
	put(&o, "vlan-offload", "%s", jf_vlan_offload_names[cfg->vlan_offload]);
	put(&o, "record", cfg->record[0] ? "%s" : NULL, cfg->record);
	put(&o, "nat-lookup", "%s", cfg->nat_lookup ? "true" : "false");
	for (i = 0; i < cfg->n_nat_zones; i++)
		put_item(&o, "nat-zone", "%s=%u", cfg->nat_zone_if[i], cfg->nat_zone[i]);
	if (!cfg->n_nat_zones)
		put(&o, "nat-zone", NULL);
	end_list(&o);
	put(&o, "nat-events", "%s", cfg->nat_events ? "true" : "false");
	put(&o, "nat-events-buffer", "%u", cfg->nat_events_buffer);
	/* Sizes as they are now: max-flows sized from memory if it was not
	 * given, the tables from it. */
	put(&o, "max-flows", "%u", cfg->max_flows);
	put(&o, "table-flows", "%u", jf_config_table_flows(cfg));
	if (cfg->min_flows)
		put(&o, "min-flows", "%u", cfg->min_flows);
	else
		put(&o, "min-flows", NULL);
	put(&o, "map-flows", "%u", jf_config_map_flows(cfg));
	if (json)
		fprintf(f, ",\n \"agent-cache-flows\":\"%u\",\n \"flow-memory-bytes\":\"%llu\"",
			jf_config_cache_flows(cfg),
			(unsigned long long)jf_config_flow_memory(cfg));
	else
		fprintf(f, "# agent cache: %u flows; flow state: %.0f MiB\n",
			jf_config_cache_flows(cfg), jf_config_flow_memory(cfg) / 1048576.0);
	put(&o, "drain-interval", "%g", cfg->tick_ms / 1000.0);
	put(&o, "quiesce", "%s", jf_quiesce_names[cfg->quiesce]);
	put(&o, "observation-domain", "%u", cfg->observation_domain);
	put(&o, "template-interval", "%u", cfg->template_interval_s);
	put(&o, "template-packets", "%u", cfg->template_packets);
	put(&o, "mtu", "%u", cfg->mtu);
	put(&o, "source", cfg->source_addr[0] ? "%s" : NULL, cfg->source_addr);
	put(&o, "export-rate", "%u", cfg->export_rate);
	put(&o, "ipfix-sequence", "%s", cfg->ipfix_sequence == JF_IPFIX_SEQ_NFDUMP ? "nfdump"
									      : "rfc");
	put(&o, "tcp-buffer", "%u", cfg->tcp_buffer);
	put(&o, "bmp-listen", cfg->bmp_listen[0] ? "%s" : NULL, cfg->bmp_listen);
	put(&o, "as-file", cfg->as_file[0] ? "%s" : NULL, cfg->as_file);
	put(&o, "bgp-memory", "%u", cfg->bgp_memory_mb);
	put(&o, "metrics-file", cfg->metrics_file[0] ? "%s" : NULL, cfg->metrics_file);
	put(&o, "user", cfg->user[0] ? "%s" : NULL, cfg->user);
	put(&o, "control-socket", cfg->control_socket[0] ? "%s" : NULL, cfg->control_socket);
	put(&o, "verbose", "%s", cfg->verbosity > JF_LOG_INFO ? "true" : "false");
	put(&o, "quiet", "%s", cfg->verbosity < JF_LOG_INFO ? "true" : "false");
	if (json)
		fprintf(f, "\n}\n");
}
