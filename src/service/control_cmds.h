/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket's commands, their arguments and their softflowctl
 * names: one table, read by jflowctl (usage, checks before it connects,
 * exit 2 on a usage error) and by jflowd (what it answers). Header only:
 * jflowctl links nothing of the agent. */
#ifndef JFLOWD_CONTROL_CMDS_H
#define JFLOWD_CONTROL_CMDS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jf_ctl_id {
	JF_CTL_STATS = 0,
	JF_CTL_FLOWS,
	JF_CTL_EXPIRE,
	JF_CTL_RELOAD,
	JF_CTL_COLLECTORS,
	JF_CTL_CONFIG,
	JF_CTL_SEND_TEMPLATE,
	JF_CTL_SHUTDOWN,
	JF_CTL_BGP,
};

/* Rows a sorted flow listing may keep (--top N at most; --sort alone over
 * more flows is refused): what bounds jflowd's memory per client. */
#define JF_CTL_SORT_MAX 16384

/* What a command takes besides its name. */
#define JF_CTL_ARG_JSON 0x1	/* --json */
#define JF_CTL_ARG_SORT 0x2	/* --sort octets|packets, --top N */
#define JF_CTL_ARG_MONITOR 0x4	/* --monitor NAME: that monitor's part */
#define JF_CTL_MONITOR_MAX 32	/* a monitor's name, as jflowd.conf's */

struct jf_ctl_cmd {
	enum jf_ctl_id id;
	const char *name;
	const char *alias;	/* softflowctl's name for the same thing, or NULL */
	unsigned args;		/* JF_CTL_ARG_* */
	const char *usage;	/* the arguments, for --help */
	const char *help;
};

static const struct jf_ctl_cmd jf_ctl_cmds[] = {
	{ JF_CTL_STATS, "stats", "statistics", JF_CTL_ARG_JSON | JF_CTL_ARG_MONITOR,
	  "[--monitor NAME] [--json]",
	  "the counters of the metrics file (a monitor's series alone)" },
	{ JF_CTL_FLOWS, "flows", "dump-flows",
	  JF_CTL_ARG_JSON | JF_CTL_ARG_SORT | JF_CTL_ARG_MONITOR,
	  "[--monitor NAME] [--sort octets|packets] [--top N] [--json]",
	  "the active flows (--top alone sorts by octets); a monitor's by its key" },
	{ JF_CTL_EXPIRE, "expire", "expire-all", JF_CTL_ARG_MONITOR, "[--monitor NAME]",
	  "export every active flow (of one monitor) now" },
	{ JF_CTL_RELOAD, "reload", NULL, 0, "", "read the configuration again and apply it" },
	{ JF_CTL_COLLECTORS, "collectors", NULL, JF_CTL_ARG_JSON | JF_CTL_ARG_MONITOR,
	  "[--monitor NAME] [--json]",
	  "state, sent, dropped and refused per collector of each monitor" },
	{ JF_CTL_CONFIG, "config", "timeouts", JF_CTL_ARG_JSON, "[--json]",
	  "the settings in effect, as jflowd.conf lines" },
	{ JF_CTL_SEND_TEMPLATE, "send-template", NULL, 0, "",
	  "send templates and options to every collector now" },
	{ JF_CTL_SHUTDOWN, "shutdown", NULL, 0, "",
	  "export every flow and stop jflowd, as SIGTERM" },
	{ JF_CTL_BGP, "bgp", NULL, 0, "",
	  "BMP sessions, BGP peers: state, routes, last update; lookup hits" },
};

#define JF_CTL_N_CMDS (sizeof(jf_ctl_cmds) / sizeof(jf_ctl_cmds[0]))

enum jf_ctl_sort {
	JF_CTL_SORT_NONE = 0,	/* table order */
	JF_CTL_SORT_OCTETS,
	JF_CTL_SORT_PACKETS,
};

/* A request, parsed. */
struct jf_ctl_req {
	const struct jf_ctl_cmd *cmd;
	bool json;
	enum jf_ctl_sort sort;
	unsigned long top;	/* 0: every flow */
	char monitor[JF_CTL_MONITOR_MAX];	/* "": every monitor */
};

static inline const struct jf_ctl_cmd *jf_ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < JF_CTL_N_CMDS; i++)
		if (!strcmp(jf_ctl_cmds[i].name, name) ||
		    (jf_ctl_cmds[i].alias && !strcmp(jf_ctl_cmds[i].alias, name)))
			return &jf_ctl_cmds[i];
	return NULL;
}

/* argv[0] the command (or its softflowctl name), then its arguments, into
 * req: 0, or -EINVAL with a one-line reason in err. */
static inline int jf_ctl_parse(int argc, char *const *argv, struct jf_ctl_req *req, char *err,
			       size_t errlen)
{
	int a;

	memset(req, 0, sizeof(*req));
	if (argc < 1) {
		snprintf(err, errlen, "no command");
		return -EINVAL;
	}
	req->cmd = jf_ctl_find(argv[0]);
	if (!req->cmd) {
		snprintf(err, errlen, "unknown command '%s'", argv[0]);
		return -EINVAL;
	}
	for (a = 1; a < argc; a++) {
		unsigned args = req->cmd->args;
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if ((args & JF_CTL_ARG_JSON) && !strcmp(argv[a], "--json")) {
			req->json = true;
		} else if ((args & JF_CTL_ARG_SORT) && !strcmp(argv[a], "--sort")) {
			if (v && (!strcmp(v, "octets") || !strcmp(v, "bytes"))) {
				req->sort = JF_CTL_SORT_OCTETS;
			} else if (v && !strcmp(v, "packets")) {
				req->sort = JF_CTL_SORT_PACKETS;
			} else {
				snprintf(err, errlen, "%s: --sort '%s': expected octets or packets",
					 req->cmd->name, v ? v : "");
				return -EINVAL;
			}
			a++;
		} else if ((args & JF_CTL_ARG_MONITOR) && !strcmp(argv[a], "--monitor")) {
			if (!v || !*v || strlen(v) >= sizeof(req->monitor)) {
				snprintf(err, errlen, "%s: --monitor needs a monitor's name",
					 req->cmd->name);
				return -EINVAL;
			}
			strcpy(req->monitor, v);
			a++;
		} else if ((args & JF_CTL_ARG_SORT) && !strcmp(argv[a], "--top")) {
			char *end = NULL;

			errno = 0;
			req->top = v && *v >= '1' && *v <= '9' ? strtoul(v, &end, 10) : 0;
			if (!req->top || errno || *end || req->top > JF_CTL_SORT_MAX) {
				snprintf(err, errlen, "%s: --top '%s': expected a number from 1 to %u",
					 req->cmd->name, v ? v : "", JF_CTL_SORT_MAX);
				return -EINVAL;
			}
			a++;
		} else if (*req->cmd->usage) {
			snprintf(err, errlen, "%s: unknown argument '%s' (%s %s)", req->cmd->name,
				 argv[a], req->cmd->name, req->cmd->usage);
			return -EINVAL;
		} else {
			snprintf(err, errlen, "%s takes no argument ('%s')", req->cmd->name, argv[a]);
			return -EINVAL;
		}
	}
	/* --top without --sort: the largest by octets. */
	if (req->top && !req->sort)
		req->sort = JF_CTL_SORT_OCTETS;
	return 0;
}

#endif
