/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The configuration file's named sections: [record NAME], [exporter NAME]
 * and [monitor NAME], read beside the global "name = value" lines; and
 * what the whole configuration means once the command line is in: the
 * monitors, each with its record, exporters, interfaces, timeouts,
 * sampling and observation domain, every name resolved and every
 * template built (docs/records.md). */
#ifndef JFLOWD_SECTIONS_H
#define JFLOWD_SECTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include "service/config.h"

/* Reading a file: the section its lines belong to now. */
struct jf_sections {
	struct jf_config *cfg;
	const char *path;
	int kind;			/* 0: global lines; else the section's */
	int index;			/* in cfg's array of that kind */
	struct jf_config *scratch;	/* options parsed by the option table */
};

int jf_sections_begin(struct jf_sections *s, struct jf_config *cfg, const char *path);
/* A "[kind NAME]" line (line starts with '['), at *lineno: 0 or -1 with
 * err and the line at fault in *lineno (the section it ends may be). */
int jf_sections_header(struct jf_sections *s, char *line, int *lineno, char *err,
		       size_t errlen);
/* Whether lines now belong to a section. */
static inline bool jf_sections_active(const struct jf_sections *s)
{
	return s->kind != 0;
}
/* One "name = value" line of the current section: 0 or -1 with err. */
int jf_sections_line(struct jf_sections *s, const char *name, const char *val, int lineno,
		     char *err, size_t errlen);
/* End of the file: the last section is whole. 0 or -1 with err (and the
 * line at fault in *lineno). */
int jf_sections_end(struct jf_sections *s, int *lineno, char *err, size_t errlen);
void jf_sections_free(struct jf_sections *s);

/* After the file and the command line: the monitors. The command line's
 * (and the file's global) interfaces and collectors make the monitor
 * "default" with record default and exporter "default"; every name is
 * resolved, the sections take the global values they do not set, each
 * monitor gets its observation domain, what its record needs is checked
 * against what it can know, every template is built, and cfg->ifaces
 * becomes every monitor's interfaces. 0, or -1 with "FILE:LINE: what" (or
 * the option's name for the command line) in err. */
int jf_config_resolve(struct jf_config *cfg, char *err, size_t errlen);

/* The record of a resolved monitor. */
const struct jf_record_def *jf_config_record(const struct jf_config *cfg,
					     const struct jf_monitor_conf *m);
/* The exporter of that name, or NULL. */
const struct jf_exporter_conf *jf_config_exporter(const struct jf_config *cfg,
						  const char *name);
/* The monitor of that name, or NULL. */
const struct jf_monitor_conf *jf_config_monitor(const struct jf_config *cfg,
						const char *name);

/* --check-config: the monitors, their interfaces and exporters, and the
 * templates they will send, to out. */
void jf_config_print(const struct jf_config *cfg, FILE *out);

#endif
