/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket jflowctl talks to: a Unix stream socket served from
 * the main loop without ever blocking it. One request line, one response
 * ("ok" or "error: REASON", then the body), then the socket closes. */
#ifndef JFLOWD_CONTROL_H
#define JFLOWD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "flow/flow_cache.h"

struct jf_flow_cache;
struct jf_exporter;
struct jf_control;

#define JF_CONTROL_MAX_CLIENTS 8	/* served at once; more are told "busy" */
#define JF_CONTROL_REQUEST_MS 1000	/* to send the request line */
#define JF_CONTROL_RESPONSE_MS 5000	/* to take the response */
#define JF_CONTROL_LINE_MAX 256

/* What the commands act on; the agent's own work comes as callbacks. */
struct jf_control_env {
	struct jf_flow_cache *cache;
	struct jf_exporter *exp;
	void (*stats)(FILE *f, void *arg);	/* the metrics text */
	size_t (*expire)(void *arg);		/* export every flow now; how many */
	int (*reload)(void *arg, char *msg, size_t msglen);
	/* The settings in effect, as jflowd.conf lines or a JSON object. */
	void (*config)(FILE *f, bool json, void *arg);
	int (*send_templates)(void *arg);	/* now, to every collector; how many */
	void (*shutdown)(void *arg);		/* export everything and exit */
	/* Flows held outside the cache (the XDP table's); NULL: none. */
	void (*foreach_more)(jf_visit_fn visit, void *visit_arg, void *arg);
	/* jflowctl bgp: peers, routes, lookups; NULL: no BGP source. */
	void (*bgp)(FILE *f, void *arg);
	void *arg;
};

/* Listen on path (mode 0600, owner uid/gid when not -1). A stale socket
 * is replaced, a live one (another jflowd) is an error. NULL with err. */
struct jf_control *jf_control_open(const char *path, uid_t uid, gid_t gid,
				   const struct jf_control_env *env, char *err, size_t errlen);

/* Accept, read, answer and close what is ready now; never waits. */
void jf_control_poll(struct jf_control *c);

/* Run one request line into f (the response): src/service/control_cmds.c.
 * Exposed for the tests. */
void jf_control_run(const struct jf_control_env *env, const char *line, FILE *f);

/* Connections refused because every slot was taken or timed out. */
uint64_t jf_control_rejected(const struct jf_control *c);

void jf_control_close(struct jf_control *c);

#endif
