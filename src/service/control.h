/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket jflowctl talks to: a Unix stream socket served from
 * the main loop without ever blocking it. One request line, one response
 * ("ok" or "error: REASON", then the body, then a line "." that ends it;
 * a body line starting with "." has one more in front), then the socket
 * closes (docs/control.md). */
#ifndef JFLOWD_CONTROL_H
#define JFLOWD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <sys/types.h>
#include "flow/flow_cache.h"

struct jf_flow_cache;
struct jf_monitors;
struct jf_control;

#define JF_CONTROL_MAX_CLIENTS 8	/* served at once; more are told "busy" */
#define JF_CONTROL_REQUEST_MS 1000	/* to send the request line */
#define JF_CONTROL_RESPONSE_MS 5000	/* to take more of the response */
#define JF_CONTROL_LINE_MAX 256

/* Why a connection was closed unanswered (or answered only with that). */
enum jf_control_reject {
	JF_CONTROL_REJECT_BUSY,		/* every client slot taken */
	JF_CONTROL_REJECT_TIMEOUT,	/* no request, or the answer not taken, in time */
	JF_CONTROL_REJECT_FDS,		/* jflowd out of file descriptors (accept) */
	JF_CONTROL_REJECT_MAX,
};

/* What the commands act on; the agent's own work comes as callbacks.
 * Commands take --monitor NAME: that monitor's part alone. */
struct jf_control_env {
	struct jf_flow_cache *cache;
	struct jf_monitors *mons;
	void (*stats)(FILE *f, void *arg);	/* the metrics text */
	/* Export every flow of the monitors in mons (bits) now; how many. */
	size_t (*expire)(void *arg, uint16_t mons);
	int (*reload)(void *arg, char *msg, size_t msglen);
	/* The settings in effect, as jflowd.conf lines or a JSON object. */
	void (*config)(FILE *f, bool json, void *arg);
	int (*send_templates)(void *arg);	/* now, to every collector; how many */
	void (*shutdown)(void *arg);		/* export everything and exit */
	/* Flows held outside the cache (the XDP table's), in steps as
	 * jf_cache_foreach_from; NULL: none. */
	bool (*foreach_more)(uint64_t *cursor, size_t max, jf_visit_fn visit, void *visit_arg,
			     void *arg);
	/* jflowctl bgp: peers, routes, lookups; NULL: no BGP source. */
	void (*bgp)(FILE *f, void *arg);
	void *arg;
};

/* Listen on path (mode 0600, owner uid/gid when not -1). A stale socket
 * is replaced, a live one (another jflowd) is an error. NULL with err. */
struct jf_control *jf_control_open(const char *path, uid_t uid, gid_t gid,
				   const struct jf_control_env *env, char *err, size_t errlen);

/* Accept, read, answer and close what is ready now; never waits, gives
 * each client a bounded share of the turn, and serves no more client once
 * the monotonic clock passes until_ms (the next drain is due). */
void jf_control_poll(struct jf_control *c, uint64_t until_ms);

/* For the main loop's wait: the descriptors to watch (up to max into pfd;
 * how many), and the milliseconds until jf_control_poll has work without
 * them (0: now, -1: none). */
int jf_control_pollfds(const struct jf_control *c, struct pollfd *pfd, int max);
int jf_control_wait_ms(const struct jf_control *c);

/* The commands (src/service/control_cmds.c). Run one request line into f:
 * the whole answer, or for a flow listing its first lines and the listing
 * that writes the rest to f in steps (jf_control_listing_step, true once
 * the listing is complete; then jf_control_listing_free). NULL: f has the
 * whole answer. */
struct jf_control_listing;
struct jf_control_listing *jf_control_run(const struct jf_control_env *env, const char *line,
					  FILE *f);
bool jf_control_listing_step(struct jf_control_listing *l);
void jf_control_listing_free(struct jf_control_listing *l);

/* Connections closed for reason why since start. */
uint64_t jf_control_rejected(const struct jf_control *c, enum jf_control_reject why);

void jf_control_close(struct jf_control *c);

#endif
