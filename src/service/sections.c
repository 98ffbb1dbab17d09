// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file's sections ([record], [exporter], [monitor]) and
 * the resolution of the whole configuration into monitors. Options that
 * sections share with the command line are parsed by the option table
 * (src/service/options.c) into a scratch configuration, then taken over:
 * one parser per option. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "export/export_proto.h"
#include "export/template.h"
#include "flow/fields.h"
#include "flow/records.h"
#include "meter/filter.h"
#include "jflowd/monitor.h"
#include "service/options.h"
#include "service/sections.h"

enum { SEC_NONE = 0, SEC_RECORD, SEC_EXPORTER, SEC_MONITOR };

_Static_assert(offsetof(struct jf_record_def, name) == 0 &&
	       offsetof(struct jf_exporter_conf, name) == 0 &&
	       offsetof(struct jf_monitor_conf, name) == 0,
	       "a section's name is the first member (jf_sections_header)");

static const char *const kind_names[] = { "", "record", "exporter", "monitor" };

/* "FILE:LINE: " for an error at a line of the file (the file's name is
 * what -c gave). */
static void at(const struct jf_config *cfg, int line, char *err, size_t errlen,
	       const char *what)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s", what);
	if (line > 0)
		snprintf(err, errlen, "config %s:%d: %s", cfg->config_file, line, tmp);
	else
		snprintf(err, errlen, "%s", tmp);
}

int jf_sections_begin(struct jf_sections *s, struct jf_config *cfg, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->path = path;
	snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", path);
	return 0;
}

void jf_sections_free(struct jf_sections *s)
{
	free(s->scratch);
	s->scratch = NULL;
}

static bool name_ok(const char *n)
{
	if (!*n || strlen(n) >= JF_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '-' && *n != '_' && *n != '.')
			return false;
	return true;
}

/* The end of a section: a record is whole. */
static int close_section(struct jf_sections *s, int *lineno, char *err, size_t errlen)
{
	struct jf_config *cfg = s->cfg;

	if (s->kind == SEC_RECORD) {
		struct jf_record_def *d = &cfg->records[s->index];

		if (jf_record_finish(d, err, errlen)) {
			*lineno = d->line;
			return -1;
		}
	}
	s->kind = SEC_NONE;
	return 0;
}

int jf_sections_header(struct jf_sections *s, char *line, int *lineno, char *err,
		       size_t errlen)
{
	struct jf_config *cfg = s->cfg;
	char kind[32], name[256], tail;
	int k, i;

	/* The section above ends: an error there is at its own line. */
	if (close_section(s, lineno, err, errlen))
		return -1;
	if (sscanf(line, "[ %31[a-z] %255[^] \t] ]%c", kind, name, &tail) != 2 ||
	    line[strlen(line) - 1] != ']') {
		snprintf(err, errlen, "'%s': a section is [record NAME], [exporter NAME] or "
			 "[monitor NAME]", line);
		return -1;
	}
	for (k = SEC_RECORD; k <= SEC_MONITOR; k++)
		if (!strcmp(kind, kind_names[k]))
			break;
	if (k > SEC_MONITOR) {
		snprintf(err, errlen, "unknown section '[%s ...]' (record, exporter, monitor)",
			 kind);
		return -1;
	}
	if (!name_ok(name)) {
		snprintf(err, errlen, "%s name '%s': letters, digits, '-', '_' and '.', at most "
			 "%d", kind, name, JF_NAME_MAX - 1);
		return -1;
	}
	if (k == SEC_RECORD && jf_record_builtin(name)) {
		snprintf(err, errlen, "record %s is built in: give yours another name", name);
		return -1;
	}
	/* The three kinds alike: a new entry at the end of cfg's array of
	 * that kind, its name first, its line second. */
	{
		struct { void *base; size_t stride; int *n; int max; size_t line; } a[] = {
			[SEC_RECORD] = { cfg->records, sizeof(cfg->records[0]), &cfg->n_records,
					 JF_MAX_RECORDS, offsetof(struct jf_record_def, line) },
			[SEC_EXPORTER] = { cfg->exporters, sizeof(cfg->exporters[0]),
					   &cfg->n_exporters, JF_MAX_EXPORTERS,
					   offsetof(struct jf_exporter_conf, line) },
			[SEC_MONITOR] = { cfg->monitors, sizeof(cfg->monitors[0]), &cfg->n_monitors,
					  JF_MAX_MONITORS, offsetof(struct jf_monitor_conf, line) },
		};
		char *e;

		for (i = 0; i < *a[k].n; i++) {
			e = (char *)a[k].base + (size_t)i * a[k].stride;
			if (strcmp(e, name))
				continue;
			snprintf(err, errlen, "%s %s defined twice (first at line %d)", kind, name,
				 *(int *)(e + a[k].line));
			return -1;
		}
		if (*a[k].n >= a[k].max) {
			snprintf(err, errlen, "too many %ss (at most %d)", kind, a[k].max);
			return -1;
		}
		e = (char *)a[k].base + (size_t)*a[k].n * a[k].stride;
		memset(e, 0, a[k].stride);
		snprintf(e, JF_NAME_MAX, "%.*s", JF_NAME_MAX - 1, name);
		*(int *)(e + a[k].line) = *lineno;
		s->index = (*a[k].n)++;
	}
	s->kind = k;
	return 0;
}

int jf_sections_end(struct jf_sections *s, int *lineno, char *err, size_t errlen)
{
	return close_section(s, lineno, err, errlen);
}

/* --- section options --- */

/* Parse val with the option table's setter of that name into the scratch
 * configuration (defaults first). */
static struct jf_config *parse_opt(struct jf_sections *s, const char *name, const char *val,
				   char *err, size_t errlen)
{
	const struct jf_opt *o = jf_opt_find(name);
	char e[JF_OPT_ERRLEN];

	if (!s->scratch) {
		s->scratch = malloc(sizeof(*s->scratch));
		if (!s->scratch) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	jf_config_defaults(s->scratch);
	s->scratch->idle_ms = s->scratch->active_ms = s->scratch->fin_ms = UINT32_MAX;
	if (!o || !o->set || o->set(s->scratch, val, e)) {
		snprintf(err, errlen, "%s", o ? e : "unknown option");
		return NULL;
	}
	return s->scratch;
}

static int rec_key(struct jf_sections *s, const char *val, int line, char *err, size_t errlen)
{
	return jf_record_add_list(&s->cfg->records[s->index], val, true, line, err, errlen);
}

static int rec_fields(struct jf_sections *s, const char *val, int line, char *err,
		      size_t errlen)
{
	return jf_record_add_list(&s->cfg->records[s->index], val, false, line, err, errlen);
}

/* What the post-NAT elements of an untranslated flow carry. */
static int rec_nat_untranslated(struct jf_sections *s, const char *val, char *err,
				size_t errlen)
{
	struct jf_record_def *d = &s->cfg->records[s->index];

	if (!strcmp(val, "own"))
		d->nat_zero = false;
	else if (!strcmp(val, "zero"))
		d->nat_zero = true;
	else {
		snprintf(err, errlen, "nat-untranslated '%s': expected own (the flow's own "
			 "addresses and ports) or zero", val);
		return -1;
	}
	return 0;
}

static int exp_opt(struct jf_sections *s, const char *name, const char *val, char *err,
		   size_t errlen)
{
	struct jf_exporter_conf *x = &s->cfg->exporters[s->index];
	struct jf_config *c = parse_opt(s, name, val, err, errlen);
	int i;

	if (!c)
		return -1;
	if (!strcmp(name, "collector")) {
		for (i = 0; i < x->n_collectors; i++) {
			if (!strcmp(x->collector_urls[i], c->collector_urls[0])) {
				snprintf(err, errlen, "collector %s given twice", val);
				return -1;
			}
		}
		if (x->n_collectors >= JF_MAX_COLLECTORS) {
			snprintf(err, errlen, "too many collectors (at most %d)", JF_MAX_COLLECTORS);
			return -1;
		}
		x->collectors[x->n_collectors] = c->collectors[0];
		strcpy(x->collector_urls[x->n_collectors], c->collector_urls[0]);
		x->n_collectors++;
	} else if (!strcmp(name, "template-interval")) {
		x->template_interval_s = c->template_interval_s;
		x->set |= JF_EXP_SET_TMPL_INTERVAL;
	} else if (!strcmp(name, "template-packets")) {
		x->template_packets = c->template_packets;
		x->set |= JF_EXP_SET_TMPL_PACKETS;
	} else if (!strcmp(name, "mtu")) {
		x->mtu = c->mtu;
		x->set |= JF_EXP_SET_MTU;
	} else if (!strcmp(name, "source")) {
		strcpy(x->source_addr, c->source_addr);
		x->set |= JF_EXP_SET_SOURCE;
	} else if (!strcmp(name, "export-rate")) {
		x->export_rate = c->export_rate;
		x->set |= JF_EXP_SET_EXPORT_RATE;
	} else if (!strcmp(name, "ipfix-sequence")) {
		x->ipfix_sequence = c->ipfix_sequence;
		x->set |= JF_EXP_SET_IPFIX_SEQ;
	} else {
		x->tcp_buffer = c->tcp_buffer;
		x->set |= JF_EXP_SET_TCP_BUFFER;
	}
	return 0;
}

static int mon_opt(struct jf_sections *s, const char *name, const char *val, int line,
		   char *err, size_t errlen)
{
	struct jf_monitor_conf *m = &s->cfg->monitors[s->index];
	struct jf_config *c;
	int i;

	if (!strcmp(name, "record")) {
		if (!name_ok(val)) {
			snprintf(err, errlen, "record name '%s' is not a name", val);
			return -1;
		}
		snprintf(m->record, sizeof(m->record), "%s", val);
		m->record_line = line;
		return 0;
	}
	if (!strcmp(name, "exporter")) {
		if (!name_ok(val)) {
			snprintf(err, errlen, "exporter name '%s' is not a name", val);
			return -1;
		}
		for (i = 0; i < m->n_exporters; i++) {
			if (!strcmp(m->exporters[i], val)) {
				snprintf(err, errlen, "exporter %s given twice", val);
				return -1;
			}
		}
		if (m->n_exporters >= JF_MON_EXPORTERS) {
			snprintf(err, errlen, "too many exporters for one monitor (at most %d)",
				 JF_MON_EXPORTERS);
			return -1;
		}
		snprintf(m->exporters[m->n_exporters], JF_NAME_MAX, "%s", val);
		m->exporter_lines[m->n_exporters++] = line;
		return 0;
	}
	if (!strcmp(name, "filter")) {
		if (strlen(val) >= sizeof(m->filter)) {
			snprintf(err, errlen, "filter: longer than %zu bytes", sizeof(m->filter) - 1);
			return -1;
		}
		snprintf(m->filter, sizeof(m->filter), "%s", val);
		m->filter_line = line;
		m->set |= JF_MON_SET_FILTER;
		return 0;
	}
	if (!strcmp(name, "aggregation")) {
		if (!strcmp(val, "program"))
			m->aggregation = JF_AGG_PROGRAM;
		else if (!strcmp(val, "agent"))
			m->aggregation = JF_AGG_AGENT;
		else {
			snprintf(err, errlen, "aggregation '%s': expected program or agent", val);
			return -1;
		}
		return 0;
	}
	c = parse_opt(s, name, val, err, errlen);
	if (!c)
		return -1;
	if (!strcmp(name, "interface")) {
		for (i = 0; i < m->n_ifaces; i++) {
			if (!strcmp(m->ifaces[i], c->ifaces[0])) {
				snprintf(err, errlen, "interface %s given twice (one line with :both "
					 "meters both directions)", c->ifaces[0]);
				return -1;
			}
		}
		if (m->n_ifaces >= JF_MAX_IFACES) {
			snprintf(err, errlen, "too many interfaces (at most %d)", JF_MAX_IFACES);
			return -1;
		}
		strcpy(m->ifaces[m->n_ifaces], c->ifaces[0]);
		m->iface_dir[m->n_ifaces++] = c->iface_dir[0];
	} else if (!strcmp(name, "timeouts")) {
		/* Names not given take the global value (jf_config_resolve). */
		m->idle_ms = c->idle_ms;
		m->active_ms = c->active_ms;
		m->fin_ms = c->fin_ms;
		m->set |= JF_MON_SET_TIMEOUTS;
	} else if (!strcmp(name, "sample")) {
		m->sample_rate = c->sample_rate;
		m->set |= JF_MON_SET_SAMPLE;
	} else {
		m->domain = c->observation_domain;
		m->set |= JF_MON_SET_DOMAIN;
	}
	return 0;
}

static const struct {
	int kind;
	const char *name;
} sec_opts[] = {
	{ SEC_RECORD, "key" }, { SEC_RECORD, "fields" }, { SEC_RECORD, "nat-untranslated" },
	{ SEC_EXPORTER, "collector" }, { SEC_EXPORTER, "source" },
	{ SEC_EXPORTER, "template-interval" }, { SEC_EXPORTER, "template-packets" },
	{ SEC_EXPORTER, "mtu" }, { SEC_EXPORTER, "export-rate" },
	{ SEC_EXPORTER, "ipfix-sequence" }, { SEC_EXPORTER, "tcp-buffer" },
	{ SEC_MONITOR, "record" }, { SEC_MONITOR, "exporter" }, { SEC_MONITOR, "interface" },
	{ SEC_MONITOR, "timeouts" }, { SEC_MONITOR, "sample" },
	{ SEC_MONITOR, "observation-domain" }, { SEC_MONITOR, "aggregation" },
	{ SEC_MONITOR, "filter" },
};

int jf_sections_line(struct jf_sections *s, const char *name, const char *val, int lineno,
		     char *err, size_t errlen)
{
	char list[512];
	size_t i, off = 0;

	for (i = 0; i < sizeof(sec_opts) / sizeof(sec_opts[0]); i++)
		if (sec_opts[i].kind == s->kind && !strcmp(sec_opts[i].name, name))
			break;
	if (i == sizeof(sec_opts) / sizeof(sec_opts[0])) {
		for (i = 0; i < sizeof(sec_opts) / sizeof(sec_opts[0]); i++)
			if (sec_opts[i].kind == s->kind)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							off ? ", " : "", sec_opts[i].name);
		snprintf(err, errlen, "'%s' is not an option of a [%s] section (%s)", name,
			 kind_names[s->kind], list);
		return -1;
	}
	if (!*val) {
		snprintf(err, errlen, "option '%s' needs a value", name);
		return -1;
	}
	switch (s->kind) {
	case SEC_RECORD:
		if (!strcmp(name, "nat-untranslated"))
			return rec_nat_untranslated(s, val, err, errlen);
		return !strcmp(name, "key") ? rec_key(s, val, lineno, err, errlen)
					    : rec_fields(s, val, lineno, err, errlen);
	case SEC_EXPORTER:
		return exp_opt(s, name, val, err, errlen);
	default:
		return mon_opt(s, name, val, lineno, err, errlen);
	}
}

/* --- resolution --- */

const struct jf_record_def *jf_config_record(const struct jf_config *cfg,
					     const struct jf_monitor_conf *m)
{
	const char *name = m->record[0] ? m->record : "default";
	int i;

	for (i = 0; i < cfg->n_records; i++)
		if (!strcmp(cfg->records[i].name, name))
			return &cfg->records[i];
	return jf_record_builtin(name);
}

const struct jf_exporter_conf *jf_config_exporter(const struct jf_config *cfg,
						  const char *name)
{
	int i;

	for (i = 0; i < cfg->n_exporters; i++)
		if (!strcmp(cfg->exporters[i].name, name))
			return &cfg->exporters[i];
	return NULL;
}

const struct jf_monitor_conf *jf_config_monitor(const struct jf_config *cfg,
						const char *name)
{
	int i;

	for (i = 0; i < cfg->n_monitors; i++)
		if (!strcmp(cfg->monitors[i].name, name))
			return &cfg->monitors[i];
	return NULL;
}

/* An exporter section takes what it does not set from the global options. */
static void inherit_exporter(const struct jf_config *cfg, struct jf_exporter_conf *x)
{
	if (!(x->set & JF_EXP_SET_TMPL_INTERVAL))
		x->template_interval_s = cfg->template_interval_s;
	if (!(x->set & JF_EXP_SET_TMPL_PACKETS))
		x->template_packets = cfg->template_packets;
	if (!(x->set & JF_EXP_SET_MTU))
		x->mtu = cfg->mtu;
	if (!(x->set & JF_EXP_SET_SOURCE))
		strcpy(x->source_addr, cfg->source_addr);
	if (!(x->set & JF_EXP_SET_EXPORT_RATE))
		x->export_rate = cfg->export_rate;
	if (!(x->set & JF_EXP_SET_IPFIX_SEQ))
		x->ipfix_sequence = cfg->ipfix_sequence;
	if (!(x->set & JF_EXP_SET_TCP_BUFFER))
		x->tcp_buffer = cfg->tcp_buffer;
}

static void inherit_monitor(const struct jf_config *cfg, struct jf_monitor_conf *m)
{
	if (!(m->set & JF_MON_SET_TIMEOUTS) || m->idle_ms == UINT32_MAX)
		m->idle_ms = cfg->idle_ms;
	if (!(m->set & JF_MON_SET_TIMEOUTS) || m->active_ms == UINT32_MAX)
		m->active_ms = cfg->active_ms;
	if (!(m->set & JF_MON_SET_TIMEOUTS) || m->fin_ms == UINT32_MAX)
		m->fin_ms = cfg->fin_ms;
	if (!(m->set & JF_MON_SET_SAMPLE))
		m->sample_rate = cfg->sample_rate;
	if (!(m->set & JF_MON_SET_FILTER))
		snprintf(m->filter, sizeof(m->filter), "%s", cfg->filter);
}

/* The default exporter and monitor, from the global options, first in
 * their lists. */
static int make_default(struct jf_config *cfg, char *err, size_t errlen)
{
	struct jf_exporter_conf *x;
	struct jf_monitor_conf *m;
	int i;

	if (!cfg->n_ifaces && !cfg->n_collectors && (cfg->n_monitors || !cfg->pcap_file[0]))
		return 0;
	for (i = 0; i < cfg->n_exporters; i++) {
		if (!strcmp(cfg->exporters[i].name, "default")) {
			at(cfg, cfg->exporters[i].line, err, errlen, "exporter default is the one "
			   "-n (collector = outside a section) makes: name this one otherwise");
			return -1;
		}
	}
	for (i = 0; i < cfg->n_monitors; i++) {
		if (!strcmp(cfg->monitors[i].name, "default")) {
			at(cfg, cfg->monitors[i].line, err, errlen, "monitor default is the one -i "
			   "and -n (interface = and collector = outside a section) make: name this "
			   "one otherwise");
			return -1;
		}
	}
	if (cfg->n_exporters >= JF_MAX_EXPORTERS || cfg->n_monitors >= JF_MAX_MONITORS) {
		snprintf(err, errlen, "too many exporters or monitors with the default ones");
		return -1;
	}
	memmove(&cfg->exporters[1], &cfg->exporters[0],
		(size_t)cfg->n_exporters * sizeof(cfg->exporters[0]));
	memmove(&cfg->monitors[1], &cfg->monitors[0],
		(size_t)cfg->n_monitors * sizeof(cfg->monitors[0]));
	cfg->n_exporters++;
	cfg->n_monitors++;
	x = &cfg->exporters[0];
	memset(x, 0, sizeof(*x));
	strcpy(x->name, "default");
	memcpy(x->collectors, cfg->collectors, sizeof(x->collectors));
	memcpy(x->collector_urls, cfg->collector_urls, sizeof(x->collector_urls));
	x->n_collectors = cfg->n_collectors;
	m = &cfg->monitors[0];
	memset(m, 0, sizeof(*m));
	strcpy(m->name, "default");
	memcpy(m->ifaces, cfg->ifaces, sizeof(m->ifaces));
	memcpy(m->iface_dir, cfg->iface_dir, sizeof(m->iface_dir));
	m->n_ifaces = cfg->n_ifaces;
	strcpy(m->exporters[0], "default");
	m->n_exporters = 1;
	snprintf(m->record, sizeof(m->record), "%s", cfg->record);
	m->domain = cfg->observation_domain;
	m->set = JF_MON_SET_DOMAIN;
	return 0;
}

/* Every monitor's interfaces, merged: cfg->ifaces is what the meter
 * attaches to, each in every direction a monitor asks for. */
static int merge_ifaces(struct jf_config *cfg, char *err, size_t errlen)
{
	int i, j, k;

	cfg->n_ifaces = 0;
	for (i = 0; i < cfg->n_monitors; i++) {
		const struct jf_monitor_conf *m = &cfg->monitors[i];

		for (j = 0; j < m->n_ifaces; j++) {
			for (k = 0; k < cfg->n_ifaces; k++)
				if (!strcmp(cfg->ifaces[k], m->ifaces[j]))
					break;
			if (k == cfg->n_ifaces) {
				if (cfg->n_ifaces >= JF_MAX_IFACES) {
					snprintf(err, errlen, "too many interfaces in all monitors "
						 "(at most %d)", JF_MAX_IFACES);
					return -1;
				}
				strcpy(cfg->ifaces[k], m->ifaces[j]);
				cfg->iface_dir[k] = 0;
				cfg->n_ifaces++;
			}
			cfg->iface_dir[k] |= m->iface_dir[j] ? m->iface_dir[j] : JF_DIR_IN;
		}
	}
	/* The program walks at most JF_MON_PER_IF monitors per interface and
	 * direction (include/jflowd/monitor.h). */
	for (k = 0; k < cfg->n_ifaces; k++) {
		int n[2] = { 0, 0 }, d;

		for (i = 0; i < cfg->n_monitors; i++) {
			const struct jf_monitor_conf *m = &cfg->monitors[i];

			for (j = 0; j < m->n_ifaces; j++) {
				uint8_t dir = m->iface_dir[j] ? m->iface_dir[j] : JF_DIR_IN;

				if (strcmp(m->ifaces[j], cfg->ifaces[k]))
					continue;
				for (d = 0; d < 2; d++) {
					char why[256];

					if (!(dir & (d ? JF_DIR_OUT : JF_DIR_IN)) ||
					    ++n[d] <= JF_MON_PER_IF)
						continue;
					snprintf(why, sizeof(why), "monitor %s: more than %d monitors "
						 "on %s:%s", m->name, JF_MON_PER_IF, m->ifaces[j],
						 d ? "out" : "in");
					at(cfg, m->line, err, errlen, why);
					return -1;
				}
			}
		}
	}
	return 0;
}

/* Observation domains: the default monitor's is --observation-domain;
 * the others' their own, or the next free one. nfdump keys an exporter on
 * (version, domain, source address): two monitors never share one. */
static int assign_domains(struct jf_config *cfg, char *err, size_t errlen)
{
	int i, j;

	for (i = 0; i < cfg->n_monitors; i++) {
		struct jf_monitor_conf *m = &cfg->monitors[i];
		uint32_t d = cfg->observation_domain;

		if (m->set & JF_MON_SET_DOMAIN)
			continue;
		for (;;) {
			for (j = 0; j < cfg->n_monitors; j++)
				if (j != i && ((cfg->monitors[j].set & JF_MON_SET_DOMAIN) ||
					       j < i) && cfg->monitors[j].domain == d)
					break;
			if (j == cfg->n_monitors)
				break;
			d = d == UINT32_MAX ? 1 : d + 1;
		}
		m->domain = d;
	}
	for (i = 0; i < cfg->n_monitors; i++) {
		for (j = i + 1; j < cfg->n_monitors; j++) {
			char why[256];

			if (cfg->monitors[i].domain != cfg->monitors[j].domain)
				continue;
			snprintf(why, sizeof(why), "monitors %s and %s share observation domain %u: "
				 "collectors would mix their flows (give each its own "
				 "observation-domain)", cfg->monitors[i].name, cfg->monitors[j].name,
				 cfg->monitors[i].domain);
			at(cfg, cfg->monitors[j].line, err, errlen, why);
			return -1;
		}
	}
	return 0;
}

/* Every template each monitor will send, built once to see it can be. */
static int check_templates(const struct jf_config *cfg, const struct jf_monitor_conf *m,
			   const struct jf_record_def *d, uint32_t unmet, char *err,
			   size_t errlen)
{
	static const enum jf_wire wires[] = { JF_WIRE_IPFIX, JF_WIRE_V9 };
	struct jf_template t;
	size_t w;
	int l;

	for (w = 0; w < 2; w++) {
		for (l = 0; l < JF_LAYOUTS; l++) {
			struct jf_tmpl_params p = {
				.wire = wires[w], .sampling = m->sample_rate > 1,
				.record = d, .unmet = unmet,
			};
			char why[256];

			if (!jf_record_layout_used(d, l) ||
			    !jf_template_record(&t, (uint16_t)(JF_TID_IPV4 + l), l, &p))
				continue;
			snprintf(why, sizeof(why), "record %s: a record of it would take more than "
				 "%d bytes or %d fields", d->name, JF_TMPL_MAX_REC,
				 JF_TMPL_MAX_FIELDS);
			at(cfg, d->line, err, errlen, why);
			return -1;
		}
	}
	return 0;
}

/* A monitor's filter compiles (libpcap), and the XDP program can run it
 * where it will (not with libpcap: mode = pcap, a capture file). */
static int check_filter(const struct jf_config *cfg, const struct jf_monitor_conf *m,
			char *err, size_t errlen)
{
	struct bpf_program prog;
	struct jf_cbpf *f;
	char why[700];
	int rc = 0;

	if (jf_filter_compile(m->filter, DLT_EN10MB, &prog, why, sizeof(why)))
		rc = -1;
	else
		pcap_freecode(&prog);
	if (!rc && cfg->mode != JF_MODE_PCAP && !cfg->pcap_file[0]) {
		f = malloc(sizeof(*f));
		if (!f || jf_filter_to_cbpf(m->filter, f, why, sizeof(why)))
			rc = -1;
		if (!f)
			snprintf(why, sizeof(why), "out of memory");
		free(f);
	}
	if (rc) {
		char full[800];

		snprintf(full, sizeof(full), "monitor %s: %s", m->name, why);
		at(cfg, m->filter_line ? m->filter_line : m->line, err, errlen, full);
	}
	return rc;
}

static int resolve_monitor(struct jf_config *cfg, struct jf_monitor_conf *m, char *err,
			   size_t errlen)
{
	const struct jf_record_def *d = jf_config_record(cfg, m);
	char why[700];
	uint32_t unmet;
	int i, j, line = 0;

	if (!d) {
		snprintf(why, sizeof(why), "monitor %s: no record named %s (define it in a "
			 "[record %s] section, or use a built-in one: default, juniper, as, "
			 "protocol-port, source-prefix, destination-prefix, prefix)", m->name,
			 m->record, m->record);
		at(cfg, m->record_line, err, errlen, why);
		return -1;
	}
	if (!m->n_exporters) {
		snprintf(why, sizeof(why), "monitor %s has no exporter (exporter = NAME of an "
			 "[exporter NAME] section)", m->name);
		at(cfg, m->line, err, errlen, why);
		return -1;
	}
	if (!m->n_ifaces && !cfg->pcap_file[0]) {
		snprintf(why, sizeof(why), "monitor %s has no interface (interface = "
			 "IFACE[:in|:out|:both])", m->name);
		at(cfg, m->line, err, errlen, why);
		return -1;
	}
	inherit_monitor(cfg, m);
	if (m->filter[0] && check_filter(cfg, m, err, errlen))
		return -1;
	unmet = jf_needs_unmet(cfg, m);
	if (jf_record_check_needs(d, unmet, why, sizeof(why), &line)) {
		char full[800];

		snprintf(full, sizeof(full), "monitor %s: %s", m->name, why);
		at(cfg, line ? line : m->record_line, err, errlen, full);
		return -1;
	}
	for (i = 0; i < m->n_exporters; i++) {
		const struct jf_exporter_conf *x = jf_config_exporter(cfg, m->exporters[i]);

		if (!x) {
			snprintf(why, sizeof(why), "monitor %s: no exporter named %s (define it in "
				 "an [exporter %s] section)", m->name, m->exporters[i],
				 m->exporters[i]);
			at(cfg, m->exporter_lines[i], err, errlen, why);
			return -1;
		}
		for (j = 0; j < x->n_collectors; j++) {
			char v5[300];

			if (x->collectors[j].proto->wire != JF_WIRE_V5 ||
			    !jf_record_v5_check(d, v5, sizeof(v5)))
				continue;
			snprintf(why, sizeof(why), "monitor %s, collector %s: %s", m->name,
				 x->collector_urls[j], v5);
			at(cfg, x->line ? x->line : m->exporter_lines[i], err, errlen, why);
			return -1;
		}
	}
	return check_templates(cfg, m, d, unmet, err, errlen);
}

int jf_config_resolve(struct jf_config *cfg, char *err, size_t errlen)
{
	int i;

	if (make_default(cfg, err, errlen))
		return -1;
	if (!cfg->n_monitors) {
		snprintf(err, errlen, "nothing to meter: give -i IFACE or -r FILE (see jflowd "
			 "--help), or a [monitor NAME] section");
		return -1;
	}
	for (i = 0; i < cfg->n_exporters; i++) {
		struct jf_exporter_conf *x = &cfg->exporters[i];

		inherit_exporter(cfg, x);
		if (!x->n_collectors) {
			if (!x->line) {
				snprintf(err, errlen, "no collector: give -n URL, e.g. -n "
					 "ipfix://127.0.0.1:4739");
			} else {
				char why[256];

				snprintf(why, sizeof(why), "exporter %s has no collector "
					 "(collector = URL)", x->name);
				at(cfg, x->line, err, errlen, why);
			}
			return -1;
		}
	}
	if (merge_ifaces(cfg, err, errlen))
		return -1;
	if (!strcmp(cfg->monitors[0].name, "default") && !cfg->monitors[0].line &&
	    !cfg->monitors[0].n_ifaces && !cfg->pcap_file[0]) {
		snprintf(err, errlen, "nothing to meter: give -i IFACE or -r FILE (see jflowd "
			 "--help)");
		return -1;
	}
	for (i = 0; i < cfg->n_monitors; i++)
		if (resolve_monitor(cfg, &cfg->monitors[i], err, errlen))
			return -1;
	return assign_domains(cfg, err, errlen);
}

/* --- --check-config --- */

static const char *dir_name(uint8_t d)
{
	return d == (JF_DIR_IN | JF_DIR_OUT) ? "both" : d == JF_DIR_OUT ? "out" : "in";
}

/* A template, element by element: the IANA name, then the ID and length
 * it has on this wire (v9 carries some under other IDs), and the value of
 * a fixed one. */
static void print_template(const struct jf_template *t, const struct jf_record_def *d,
			   int layout, bool sampling, const char *family, const char *wire,
			   FILE *out)
{
	uint16_t i = 0;
	int k;

	fprintf(out, "    template %u, %s %s, %u bytes:", t->id, wire, family, t->rec_len);
	for (k = 0; k < d->n && i < t->nfields; k++) {
		if (!jf_record_elem_in(&d->e[k], layout, sampling))
			continue;
		fprintf(out, "%s %s(%u)/%u", i ? "," : "", d->e[k].ie->name, t->f[i].ie,
			t->f[i].len);
		if (t->f[i].fixed)
			fprintf(out, "=%u", t->f[i].value);
		i++;
	}
	fprintf(out, "\n");
}

void jf_config_print(const struct jf_config *cfg, FILE *out)
{
	static const char *const fams[JF_LAYOUTS] = { "IPv4", "IPv6", "MPLS IPv4", "MPLS IPv6" };
	int i, j, k, l;

	for (i = 0; i < cfg->n_monitors; i++) {
		const struct jf_monitor_conf *m = &cfg->monitors[i];
		const struct jf_record_def *d = jf_config_record(cfg, m);
		uint32_t unmet = jf_needs_unmet(cfg, m);
		char desc[2048];

		fprintf(out, "monitor %s: record %s, observation domain %u, sampling 1 in %u, "
			"timeouts idle=%.3f,active=%.3f,fin=%.3f\n", m->name, d->name, m->domain,
			m->sample_rate, m->idle_ms / 1000.0, m->active_ms / 1000.0,
			m->fin_ms / 1000.0);
		fprintf(out, "  interfaces:");
		for (j = 0; j < m->n_ifaces; j++)
			fprintf(out, " %s:%s", m->ifaces[j], dir_name(m->iface_dir[j]));
		fprintf(out, "%s\n", m->n_ifaces ? "" : cfg->pcap_file[0] ? " (the capture file)"
								       : " none");
		jf_record_describe(d, true, desc, sizeof(desc));
		fprintf(out, "  key: %s\n", desc);
		jf_record_describe(d, false, desc, sizeof(desc));
		fprintf(out, "  fields: %s\n", desc);
		fprintf(out, "  aggregation: %s\n",
			jf_record_uses_lookups(d, unmet) || m->aggregation == JF_AGG_AGENT
			? (jf_record_masks_key(d) || jf_record_keys_lookups(d, unmet)
			   ? "in the agent, at export" : "none (the packet's key)")
			: jf_record_masks_key(d) ? "in the program (masked key)"
						  : "none (the packet's key)");
		if (m->filter[0]) {
			struct bpf_program prog;
			char why[600];

			if (!jf_filter_compile(m->filter, DLT_EN10MB, &prog, why, sizeof(why))) {
				fprintf(out, "  filter: %s (%u classic BPF instructions)\n",
					m->filter, prog.bf_len);
				pcap_freecode(&prog);
			}
		} else {
			fprintf(out, "  filter: none (every packet)\n");
		}
		for (j = 0; j < m->n_exporters; j++) {
			const struct jf_exporter_conf *x = jf_config_exporter(cfg, m->exporters[j]);
			bool wire_seen[11] = { false };

			fprintf(out, "  exporter %s:", x->name);
			for (k = 0; k < x->n_collectors; k++)
				fprintf(out, " %s", x->collector_urls[k]);
			fprintf(out, "\n");
			for (k = 0; k < x->n_collectors; k++) {
				const struct jf_export_proto *pr = x->collectors[k].proto;
				enum jf_wire w = pr->wire;

				if (wire_seen[w])
					continue;
				wire_seen[w] = true;
				if (w == JF_WIRE_V5) {
					fprintf(out, "    v5: its fixed record, IPv4 flows only\n");
					continue;
				}
				for (l = 0; l < JF_LAYOUTS; l++) {
					struct jf_tmpl_params p = {
						.wire = w, .sampling = m->sample_rate > 1,
						.record = d, .unmet = unmet,
					};
					struct jf_template t;

					if (!jf_record_layout_used(d, l) ||
					    jf_template_record(&t, (uint16_t)(JF_TID_IPV4 + l), l, &p))
						continue;
					print_template(&t, d, l, p.sampling, fams[l],
						       w == JF_WIRE_V9 ? "v9" : "IPFIX", out);
				}
			}
		}
	}
}
