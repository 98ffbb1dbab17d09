// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reload: the configuration read again, checked whole, then applied in an
 * order where every step that can fail comes before any that changes
 * something, so a bad configuration leaves the agent as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/exporter.h"
#include "flow/bgp.h"
#include "flow/flow_cache.h"
#include "log.h"
#include "meter/meter.h"
#include "meter/mirror.h"
#include "service/monitors.h"
#include "service/reload.h"
#include "service/sections.h"

static void read_ifalias(const char *ifname, char *out, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(out, n, "%s", ifname);
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", ifname);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)n, f)) {
		out[strcspn(out, "\n")] = '\0';
		if (!*out)
			snprintf(out, n, "%s", ifname);
	}
	fclose(f);
}

void jf_reload_announce_iface(struct jf_exporter *exp, uint32_t ifindex, const char *name)
{
	char descr[64];

	read_ifalias(name, descr, sizeof(descr));
	jf_exporter_add_ifname(exp, ifindex, name, descr);
}

static bool same_ifaces(const struct jf_config *o, const struct jf_config *n);

static bool same_maps(const struct jf_config *o, const struct jf_config *n)
{
	const struct jf_if_map *a, *b;
	int i;

	if (o->n_if_maps != n->n_if_maps)
		return false;
	for (i = 0; i < o->n_if_maps; i++) {
		a = &o->if_maps[i];
		b = &n->if_maps[i];
		if (a->kind != b->kind || memcmp(a->mac, b->mac, sizeof(a->mac)) ||
		    a->vlan != b->vlan || a->index != b->index || strcmp(a->name, b->name) ||
		    strcmp(a->descr, b->descr))
			return false;
	}
	return true;
}

static uint8_t dir_of(const struct jf_config *c, int i)
{
	return c->iface_dir[i] ? c->iface_dir[i] : JF_DIR_IN;
}

/* The direction of interface name in c, or 0 when c does not meter it. */
static uint8_t dir_by_name(const struct jf_config *c, const char *name)
{
	int i;

	for (i = 0; i < c->n_ifaces; i++)
		if (!strcmp(c->ifaces[i], name))
			return dir_of(c, i);
	return 0;
}

/* Egress metering (the TC program, IFACE:out or :both) is attached once,
 * at start: a reload may add and remove ingress-only interfaces, but not
 * change a direction nor add or remove an egress one. A mirror port's
 * interfaces are promiscuous from the start: they stay as they are. */
static int fixed_ifaces(const struct jf_config *o, const struct jf_config *n, char *msg,
			size_t msglen)
{
	const char *name = NULL;
	uint8_t od, nd;
	int i;

	for (i = 0; i < n->n_ifaces && !name; i++) {
		od = dir_by_name(o, n->ifaces[i]);
		nd = dir_of(n, i);
		if ((od && od != nd) || (!od && (nd & JF_DIR_OUT)))
			name = n->ifaces[i];
	}
	for (i = 0; i < o->n_ifaces && !name; i++)
		if (!dir_by_name(n, o->ifaces[i]) && (dir_of(o, i) & JF_DIR_OUT))
			name = o->ifaces[i];
	if (name) {
		snprintf(msg, msglen, "reload refused: the direction of %s (IFACE:in|:out|:both) "
			 "and the set of egress interfaces cannot change without a restart; "
			 "nothing changed", name);
		return -EINVAL;
	}
	if (o->mirror && !same_ifaces(o, n)) {
		snprintf(msg, msglen, "reload refused: the interfaces of a mirror port cannot "
			 "change without a restart; nothing changed");
		return -EINVAL;
	}
	return 0;
}

/* Options fixed for the life of the process: the meter's program and
 * maps, the cache's memory, the privileges and the control socket. (An
 * exporter whose source, mtu, ipfix-sequence or tcp-buffer changes, or a
 * monitor whose observation domain does, starts new export streams:
 * src/service/monitors.c.) */
static int fixed_option(const struct jf_config *o, const struct jf_config *n, char *msg,
			size_t msglen)
{
	const char *what = NULL;

	if (o->mode != n->mode)
		what = "mode";
	else if (o->mirror != n->mirror)
		what = "mirror";
	else if (o->route_lookup != n->route_lookup)
		what = "route-lookup";
	else if (o->vlan_offload != n->vlan_offload)
		what = "vlan-offload";
	else if (o->nat_lookup != n->nat_lookup || o->n_nat_zones != n->n_nat_zones ||
		 memcmp(o->nat_zone, n->nat_zone, sizeof(o->nat_zone)) ||
		 memcmp(o->nat_zone_if, n->nat_zone_if, sizeof(o->nat_zone_if)))
		what = "nat-lookup/nat-zone";
	else if (o->nat_events != n->nat_events || o->nat_events_buffer != n->nat_events_buffer)
		what = "nat-events";
	else if (!same_maps(o, n))
		what = "map-mac/map-vlan";
	else if (o->max_flows != n->max_flows)
		what = "max-flows";
	else if (jf_config_map_flows(o) != jf_config_map_flows(n))
		what = "map-flows";
	else if (o->min_flows != n->min_flows)
		what = "min-flows";
	else if (o->quiesce != n->quiesce)
		what = "quiesce";
	else if (strcmp(o->user, n->user))
		what = "user";
	else if (strcmp(o->control_socket, n->control_socket))
		what = "control-socket";
	else if (strcmp(o->bmp_listen, n->bmp_listen))
		what = "bmp-listen";
	else if (o->bgp_memory_mb != n->bgp_memory_mb)
		what = "bgp-memory";
	else if (!o->as_file[0] != !n->as_file[0] && !o->bmp_listen[0])
		what = "as-file (added or removed without bmp-listen)";
	if (!what)
		return 0;
	snprintf(msg, msglen, "reload refused: %s cannot change without a restart; "
		 "nothing changed", what);
	return -EINVAL;
}

static bool same_ifaces(const struct jf_config *o, const struct jf_config *n)
{
	int i;

	if (o->n_ifaces != n->n_ifaces)
		return false;
	for (i = 0; i < o->n_ifaces; i++)
		if (strcmp(o->ifaces[i], n->ifaces[i]) || dir_of(o, i) != dir_of(n, i))
			return false;
	return true;
}

/* Whether collector url of exporter x of monitor m is in cfg. */
static bool has_collector(const struct jf_config *cfg, const char *m, const char *x,
			  const char *url)
{
	const struct jf_monitor_conf *mc = jf_config_monitor(cfg, m);
	const struct jf_exporter_conf *xc = jf_config_exporter(cfg, x);
	int i;

	if (!mc || !xc)
		return false;
	for (i = 0; i < mc->n_exporters; i++)
		if (!strcmp(mc->exporters[i], x))
			break;
	if (i == mc->n_exporters)
		return false;
	for (i = 0; i < xc->n_collectors; i++)
		if (!strcmp(xc->collector_urls[i], url))
			return true;
	return false;
}

/* Collectors of every monitor's exporters in to, and how many of them
 * from does not have. */
static int count_collectors(const struct jf_config *from, const struct jf_config *to, int *fresh)
{
	int i, j, k, n = 0;

	*fresh = 0;
	for (i = 0; i < to->n_monitors; i++) {
		const struct jf_monitor_conf *m = &to->monitors[i];

		for (j = 0; j < m->n_exporters; j++) {
			const struct jf_exporter_conf *x = jf_config_exporter(to, m->exporters[j]);

			for (k = 0; x && k < x->n_collectors; k++) {
				n++;
				*fresh += !has_collector(from, m->name, x->name,
							 x->collector_urls[k]);
			}
		}
	}
	return n;
}

int jf_reload(struct jf_reload_target *t, uint64_t cache_ms, uint64_t now_ms, char *msg,
	      size_t msglen)
{
	struct jf_config *o = t->cfg, *n;
	struct jf_monitors_reload *staged = NULL;
	char err[1024], summary[512];
	const struct jf_monitor_conf *od, *nd;
	int rc = 0, added, removed, total;
	bool ifaces_change;

	n = malloc(sizeof(*n));
	if (!n) {
		snprintf(msg, msglen, "reload failed: out of memory; nothing changed");
		return -ENOMEM;
	}
	/* 1. Everything that can fail, before any change: the file and the
	 * command line again, what cannot change, every new socket, every
	 * new interface attached. */
	if (jf_config_reload(n, t->argc, t->argv, err, sizeof(err))) {
		snprintf(msg, msglen, "reload failed: %s; nothing changed", err);
		rc = -EINVAL;
		goto out;
	}
	rc = fixed_option(o, n, msg, msglen);
	if (!rc)
		rc = fixed_ifaces(o, n, msg, msglen);
	if (rc)
		goto out;
	/* The as-file is read again whether or not its name changed. */
	if (t->bgp && jf_bgp_stage_as_file(t->bgp, n->as_file, err, sizeof(err))) {
		snprintf(msg, msglen, "reload failed: %s; nothing changed", err);
		rc = -EINVAL;
		goto out;
	}
	if (jf_monitors_stage(t->mons, n, &staged, err, sizeof(err))) {
		if (t->bgp)
			jf_bgp_unstage_as_file(t->bgp);
		snprintf(msg, msglen, "reload failed: %s; nothing changed", err);
		rc = -EINVAL;
		goto out;
	}
	ifaces_change = !same_ifaces(o, n);
	if (ifaces_change) {
		struct jf_meter_params mp;

		jf_config_meter_params(n, &mp);
		jf_monitors_meter_params(t->mons, n, &mp);
		rc = jf_meter_set_ifaces(t->meter, &mp, err, sizeof(err));
		if (rc) {
			jf_monitors_unstage(staged);
			if (t->bgp)
				jf_bgp_unstage_as_file(t->bgp);
			snprintf(msg, msglen, "reload failed: %s; nothing changed", err);
			goto out;
		}
	}

	/* 2. The changes, none of which can fail but the meter's drain:
	 * monitors, records, exporters (src/service/monitors.c), then the
	 * as-file, the interfaces' names and the log level. */
	rc = jf_monitors_apply(t->mons, staged, n, t->meter, t->cache, cache_ms, now_ms,
			       t->drain_ms, summary, sizeof(summary));
	if (rc) {
		if (t->bgp)
			jf_bgp_unstage_as_file(t->bgp);
		snprintf(msg, msglen, "%s", summary);
		goto out;
	}
	jf_monitors_announce(t->mons, n, t->meter);
	if (t->bgp)
		jf_bgp_commit_as_file(t->bgp);
	jf_log_level = n->verbosity;
	total = count_collectors(o, n, &added);
	count_collectors(n, o, &removed);
	/* The first monitor's (the command line's) sampling and timeouts. */
	od = &o->monitors[0];
	nd = &n->monitors[0];
	snprintf(msg, msglen, "reloaded: %d collectors (%d added, %d removed), sampling 1 in %u%s, "
		 "timeouts idle=%.3f,active=%.3f,fin=%.3f, %d interfaces%s; %s", total, added,
		 removed, nd->sample_rate, strcmp(od->name, nd->name) ||
		 od->sample_rate != nd->sample_rate ? " (changed)" : "", nd->idle_ms / 1000.0,
		 nd->active_ms / 1000.0, nd->fin_ms / 1000.0, n->n_ifaces,
		 ifaces_change ? " (changed)" : "", summary);
	*o = *n;
out:
	free(n);
	return rc;
}
