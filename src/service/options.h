/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The option table: every option's long and short name, its setter and its
 * help, read by the command line, the configuration file and --help. */
#ifndef JFLOWD_OPTIONS_H
#define JFLOWD_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include "service/config.h"

#define JF_OPT_ERRLEN 512

/* A setter parses val into cfg: 0, or -1 with a one-line reason in err
 * (JF_OPT_ERRLEN bytes). */
typedef int (*jf_opt_setter)(struct jf_config *cfg, const char *val, char *err);

/* Lists that a command line replaces rather than extends (the file's
 * interfaces or collectors give way to those of -i or -n). */
enum jf_opt_list {
	JF_OPT_LIST_NONE = 0,
	JF_OPT_LIST_IFACES,
	JF_OPT_LIST_COLLECTORS,
};

struct jf_opt {
	const char *name;
	int short_opt;		/* 0: long only */
	int has_arg;
	jf_opt_setter set;	/* NULL: handled by the reader (-c, -h, -V) */
	const char *arg;
	const char *help;
	enum jf_opt_list list;
};

/* Options the reader handles itself (no setter). --check-config has no
 * short form: a value above the characters. */
enum { JF_OPT_HELP = 'h', JF_OPT_VERSION = 'V', JF_OPT_CONFIG = 'c',
       JF_OPT_CHECK_CONFIG = 1000 };

extern const struct jf_opt jf_opts[];

/* The words of the keyword options, indexed by their enum (config.h):
 * what the file and the command line take and what jflowctl config
 * prints. NULL-terminated. */
extern const char *const jf_mode_names[];
extern const char *const jf_route_lookup_names[];
extern const char *const jf_quiesce_names[];
extern const char *const jf_vlan_offload_names[];
extern const size_t jf_n_opts;

/* The option of that long name, or NULL. */
const struct jf_opt *jf_opt_find(const char *name);

/* For an unknown option: " (did you mean ...?)" for a near option name,
 * or " (...)" with the jflowd equivalent of a peer's option (softflowd's
 * short options on the command line, ipt-netflow's and pmacct's keys), or
 * "". name: without dashes; cli: the command line (else a file). */
void jf_opt_unknown_hint(const char *name, bool cli, char *out, size_t n);

#endif
