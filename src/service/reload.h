/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reload (SIGHUP, jflowctl reload): read the configuration again and apply
 * it to the running agent without detaching the meter or cutting a flow. */
#ifndef JFLOWD_RELOAD_H
#define JFLOWD_RELOAD_H

#include <stddef.h>
#include <stdint.h>
#include "service/config.h"

struct jf_meter;
struct jf_flow_cache;
struct jf_exporter;
struct jf_monitors;
struct jf_bgp;

struct jf_reload_target {
	struct jf_config *cfg;		/* the running configuration; replaced */
	int argc;			/* the command line jflowd started with */
	char **argv;
	struct jf_meter *meter;
	struct jf_flow_cache *cache;
	struct jf_monitors *mons;
	int drain_ms;			/* a removed TCP collector's queue: at most */
	struct jf_bgp *bgp;		/* as-file read again; NULL: no BGP source */
};

/* Apply what changed. 0 with a summary in msg ("no change" included), or
 * -errno with the reason in msg and nothing changed (an error of the meter
 * while it drains for a new sampling rate is the only exception: fatal,
 * as from a tick). cache_ms: the cache's clock (monotonic); now_ms: the
 * export clock (wall). */
int jf_reload(struct jf_reload_target *t, uint64_t cache_ms, uint64_t now_ms, char *msg,
	      size_t msglen);

/* One interface's name and alias into an exporter's interface options. */
void jf_reload_announce_iface(struct jf_exporter *exp, uint32_t ifindex, const char *name);

#endif
