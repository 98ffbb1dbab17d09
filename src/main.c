// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowd: meter IP traffic into flows (XDP or libpcap) and export them to
 * flow collectors. Wires the modules together and runs the tick loop. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "service/config.h"
#include "service/control.h"
#include "flow/bgp.h"
#include "flow/flow_cache.h"
#include "meter/link_watch.h"
#include "log.h"
#include "meter/meter.h"
#include "meter/meter_stats.h"
#include "service/metrics.h"
#include "service/monitors.h"
#include "meter/pcap_meter.h"
#include "service/preflight.h"
#include "service/privs.h"
#include "service/reload.h"
#include "flow/enrich.h"
#include "flow/nat.h"
#include "flow/nat_events.h"
#include "flow/route.h"
#include "service/sd_notify.h"
#include "service/summary.h"
#include "meter/table_maker.h"
#include "meter/xdp_meter.h"

#define EXIT_USAGE 2
#define TCP_DRAIN_MS 5000
#define CONTROL_POLL_MS 50	/* longest wait before the control socket is served */
#define NAT_EVENTS_POLL_MS 10	/* longest wait before conntrack's events are read */
#define BGP_POLL_MS 20		/* ... and the BMP sessions */
#define BGP_BUDGET_MS 10	/* BMP work per loop turn: a dump never holds up a drain */

struct app {
	struct jf_config cfg;
	struct jf_flow_cache *cache;
	struct jf_monitors *mons;	/* their exporters and aggregates */
	struct jf_meter *meter;		/* live capture */
	struct jf_pcap_meter *pcap;	/* file replay */
	struct jf_router *router;	/* router mode: forwarding lookups */
	struct jf_nat *nat;		/* --nat-lookup: post-NAT fields per flow */
	struct jf_nat_events *nat_events;	/* --nat-events: RFC 8158 logging */
	struct jf_link_watch *links;	/* live capture: interfaces that go and return */
	bool back_failed[JF_MAX_IFACES];	/* back, but its attach failed (said once) */
	struct jf_bgp *bgp;		/* BMP station and as-file, if configured */
	struct jf_enrich enrich;	/* per-flow lookups beyond the route */
	struct jf_meter_stats st;
	uint64_t now_ms;		/* export clock: wall clock, or capture clock */
	uint64_t cache_ms;		/* the cache's clock: monotonic, or capture */
	double start_s;
	const char *mode;
	bool exporter_started;
	struct jf_control *ctl;		/* jflowctl's socket, if configured */
	int argc;			/* the command line, read again on reload */
	char **argv;
};

/* The capture backend of each -m mode. */
static const struct jf_meter_ops *const meters[] = {
	[JF_MODE_XDP] = &jf_xdp_meter_ops,
	[JF_MODE_XDP_GENERIC] = &jf_xdp_meter_ops,
	[JF_MODE_PCAP] = &jf_pcap_meter_ops,
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void emit(const struct jf_record *rec, void *arg)
{
	struct app *a = arg;
	uint64_t now = a->now_ms;

	uint64_t cache_ms = a->cache_ms;

	/* Replaying, flows also expire between ticks: the export clock is
	 * the capture's, never behind a record it sends. */
	if (a->cfg.pcap_file[0] && jf_pcap_meter_clock_ms(a->pcap) > now) {
		now = jf_pcap_meter_clock_ms(a->pcap);
		cache_ms = now;
	}
	jf_monitors_emit(a->mons, rec, now, cache_ms);
}

/* What the metrics file and jflowctl stats show, read now. */
static void metrics_input(struct app *a, struct jf_metrics_input *in, struct jf_cache_stats *cs)
{
	jf_cache_get_stats(a->cache, cs);
	jf_meter_add_flow_stats(a->meter, -1, cs);
	memset(in, 0, sizeof(*in));
	in->meter = &a->st;
	in->cache = cs;
	in->monitors = a->mons;
	in->flow_cache = a->cache;
	in->flow_meter = a->meter;
	in->mode = a->mode;
	in->uptime_s = jf_mono_s() - a->start_s;
	in->bytes_per_flow = jf_cache_slot_bytes(a->cache);
	in->max_flows = jf_config_cache_flows(&a->cfg);
	in->kernel_bytes = a->meter ? jf_meter_kernel_bytes(a->meter) : 0;
	in->links = a->links;
	in->control = a->ctl;
	in->nat = a->nat;
	in->nat_events = a->nat_events;
	in->bgp = a->bgp;
}

static void write_metrics(struct app *a)
{
	struct jf_cache_stats cs;
	struct jf_metrics_input in;
	int rc;

	if (!a->cfg.metrics_file[0])
		return;
	metrics_input(a, &in, &cs);
	rc = jf_metrics_write(a->cfg.metrics_file, &in);
	if (rc)
		jf_metrics_write_failed(a->cfg.metrics_file, rc);
}

/* Expire, export, report: the same every tick in every mode. The cache
 * expires on cache_ms (monotonic live, capture time replaying); what goes
 * out is stamped now_ms (wall clock live, capture time replaying). */
static void tick(struct app *a, uint64_t cache_ms, uint64_t now_ms)
{
	a->now_ms = now_ms;
	a->cache_ms = cache_ms;
	jf_cache_expire(a->cache, cache_ms);
	jf_monitors_tick(a->mons, &a->st, cache_ms, now_ms);
	write_metrics(a);
}

static void shutdown_export(struct app *a, uint64_t now_ms, enum jf_end_reason why)
{
	a->now_ms = now_ms;
	jf_cache_flush(a->cache, why);
	jf_monitors_finish(a->mons, &a->st, now_ms, TCP_DRAIN_MS);
	write_metrics(a);
}

/* The meter's parameters: the configuration's and the monitors'. */
static void meter_params(struct app *a, struct jf_meter_params *mp)
{
	jf_config_meter_params(&a->cfg, mp);
	jf_monitors_meter_params(a->mons, &a->cfg, mp);
}

static void log_totals(struct app *a)
{
	struct jf_cache_stats cs;

	jf_monitors_flow_totals(a->mons, a->cache, a->meter, &cs);
	jf_summary_totals(&a->st, &cs, a->mons, jf_mono_s() - a->start_s);
}

static int open_common(struct app *a)
{
	struct jf_cache_params cp = {
		.max_flows = jf_config_cache_flows(&a->cfg),
		.idle_ms = a->cfg.idle_ms,
		.active_ms = a->cfg.active_ms,
		.fin_ms = a->cfg.fin_ms,
		.prefault = !a->cfg.pcap_file[0],
	};
	char err[512];

	a->mons = jf_monitors_new(&a->cfg, a->cfg.pcap_file[0] != '\0', err, sizeof(err));
	if (!a->mons) {
		log_err("%s", err);
		return -1;
	}
	a->cache = jf_cache_new(&cp, emit, a);
	if (!a->cache) {
		log_err("flow cache of %u flows: out of memory", jf_config_cache_flows(&a->cfg));
		return -1;
	}
	jf_monitors_set_timeouts(a->mons, a->cache, NULL);
	jf_enrich_init(&a->enrich);	/* the lookups join it, then bind_lookups */
	return 0;
}

/* BGP-aware flows: the BMP station and the as-file, their lookup part
 * added to the cache's set before the first flow (the XDP meter's table
 * takes the same set when it opens). */
static int open_bgp(struct app *a)
{
	struct jf_bgp_params bp;
	struct jf_enrich_part part;
	char err[512];
	int rc;

	jf_config_bgp_params(&a->cfg, &bp);
	if (!jf_bgp_wanted(&bp))
		return 0;
	a->bgp = jf_bgp_open(&bp, err, sizeof(err));
	if (!a->bgp) {
		log_err("%s", err);
		return -1;
	}
	jf_bgp_part(a->bgp, &part);
	rc = jf_enrich_add(&a->enrich, &part);
	if (rc) {
		log_err("bgp: per-flow lookups: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* The per-flow lookups' set, whole (BGP, NAT), bound to the cache before
 * the first flow: the cache sizes its answers from it once. */
static int bind_lookups(struct app *a)
{
	int rc = jf_cache_set_enrich(a->cache, &a->enrich);

	if (rc)
		log_err("per-flow lookups: %s", strerror(-rc));
	return rc;
}

/* Once the meter is attached and the exporter's sockets are open, keep
 * only what later work needs: what the meter says it needs to attach or
 * capture again (jf_meter_ops.keep_caps); a replay needs nothing. Reading the maps,
 * sending, reconnecting and writing the metrics file use descriptors
 * already held, or plain file permissions. */
static int drop_privileges(struct app *a, uint64_t keep)
{
	struct jf_privs_params pp = { .keep = keep, .user = a->cfg.user };
	uint64_t eff, prm, bnd;
	char err[256];

	if (jf_privs_drop(&pp, err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	if (!jf_privs_current(&eff, &prm, &bnd))
		log_debug("capabilities now: effective %#" PRIx64 ", bounding %#" PRIx64 "%s%s",
			  eff, bnd, a->cfg.user[0] ? ", user " : "", a->cfg.user);
	return 0;
}

/* NAT (conntrack): the per-flow lookup joins the cache's lookups before
 * the meter opens (the XDP table takes the same set); the event logger
 * starts once the templates are out. Both need CAP_NET_ADMIN, kept for
 * the life of the process (drop_privileges). */
static int open_nat_lookup(struct app *a)
{
	struct jf_nat_zone zones[JF_MAX_IFACES];
	struct jf_enrich_part part;
	struct jf_nat_params np;
	char err[512];
	int rc;

	if (!a->cfg.nat_lookup)
		return 0;
	jf_config_nat_params(&a->cfg, zones, &np);
	a->nat = jf_nat_new(&np, err, sizeof(err));
	if (!a->nat) {
		log_err("NAT lookup: %s", err);
		return -1;
	}
	jf_nat_part(a->nat, &part);
	rc = jf_enrich_add(&a->enrich, &part);
	if (rc) {
		log_err("NAT lookup: %s", strerror(-rc));
		return -1;
	}
	log_info("NAT lookup: the other side of each flow's translation from conntrack");
	return 0;
}

static void emit_nat_event(const struct jf_nat_event *ev, void *arg)
{
	struct app *a = arg;

	jf_monitors_nat_event(a->mons, ev, jf_wall_ms());
}

static int open_nat_events(struct app *a)
{
	struct jf_nat_events_params p = { .rcvbuf = a->cfg.nat_events_buffer };
	char err[512];

	if (!a->cfg.nat_events)
		return 0;
	a->nat_events = jf_nat_events_new(&p, emit_nat_event, a, err, sizeof(err));
	if (!a->nat_events) {
		log_err("NAT events: %s", err);
		return -1;
	}
	log_info("NAT events: logging every translated session's creation and deletion");
	return 0;
}

/* --- replay of a capture file --- */

static void file_tick(uint64_t now_ms, void *arg)
{
	struct app *a = arg;

	if (!a->exporter_started) {
		/* sysUpTime 0 a second before the first packet. */
		jf_monitors_start(a->mons, now_ms, jf_pcap_meter_first_ms(a->pcap) - 1000);
		a->exporter_started = true;
	}
	tick(a, now_ms, now_ms);
}

static int run_file(struct app *a)
{
	char err[512];
	uint64_t end_ms;
	int rc;

	a->mode = "file";
	a->pcap = jf_pcap_meter_open_file(a->cfg.pcap_file, a->cfg.sample_rate, err, sizeof(err));
	if (!a->pcap) {
		log_err("%s", err);
		return EXIT_FAILURE;
	}
	if (a->cfg.bmp_listen[0]) {
		log_err("bmp-listen needs a live capture (-i): a capture file has no BGP "
			"speaker to follow; as-file works with -r");
		return EXIT_FAILURE;
	}
	jf_summary_sizing(&a->cfg);
	if (open_common(a) || open_bgp(a) || bind_lookups(a) || drop_privileges(a, 0))
		return EXIT_FAILURE;
	{
		struct jf_meter_params mp;

		meter_params(a, &mp);
		jf_pcap_meter_set_monitors(a->pcap, &mp);
	}
	jf_summary_start(&a->cfg);
	rc = jf_pcap_meter_run_file(a->pcap, a->cache, &a->st, a->cfg.tick_ms, file_tick, a,
				    err, sizeof(err));
	end_ms = jf_pcap_meter_clock_ms(a->pcap);
	if (!a->exporter_started) {	/* no packet at all */
		end_ms = jf_wall_ms();
		jf_monitors_start(a->mons, end_ms, end_ms - 1000);
		a->exporter_started = true;
	}
	/* Flows still open at the end of the capture leave as "forced end". */
	tick(a, end_ms, end_ms);
	shutdown_export(a, end_ms, JF_END_FORCED);
	log_totals(a);
	if (rc) {
		log_err("read %s: %s (the packets before it were exported)", a->cfg.pcap_file, err);
		return EXIT_FAILURE;
	}
	if (jf_monitors_loss_report(a->mons)) {
		log_err("%s: %llu packets read; not every record reached the collectors",
			a->cfg.pcap_file, (unsigned long long)a->st.files_read_packets);
		return EXIT_FAILURE;
	}
	log_info("%s: %llu packets read, exported", a->cfg.pcap_file,
		 (unsigned long long)a->st.files_read_packets);
	return EXIT_SUCCESS;
}

/* --- live capture --- */

/* Follow the metered interfaces (a new watcher at start and after a
 * reload: the set may have changed). */
static int watch_links(struct app *a)
{
	const char *names[JF_MAX_IFACES];
	uint32_t ifx[JF_MAX_IFACES];
	struct jf_link_watch *w;
	char err[512];
	int i;

	for (i = 0; i < a->cfg.n_ifaces; i++) {
		names[i] = a->cfg.ifaces[i];
		ifx[i] = jf_meter_ifindex(a->meter, i);
	}
	w = jf_link_watch_new(names, a->cfg.n_ifaces, ifx, err, sizeof(err));
	if (!w) {
		log_err("%s", err);
		return -1;
	}
	jf_link_watch_free(a->links);
	a->links = w;
	return 0;
}

static int reload(struct app *a, char *msg, size_t msglen)
{
	struct jf_reload_target t = {
		.cfg = &a->cfg, .argc = a->argc, .argv = a->argv, .meter = a->meter,
		.cache = a->cache, .mons = a->mons, .drain_ms = TCP_DRAIN_MS, .bgp = a->bgp,
	};
	int rc;

	jf_sd_notify("RELOADING=1\nSTATUS=reloading the configuration");
	rc = jf_reload(&t, jf_mono_ms(), jf_wall_ms(), msg, msglen);
	if (rc) {
		log_err("%s", msg);
	} else {
		log_info("%s", msg);
		/* The interfaces may have changed: follow the new set. */
		if (watch_links(a))
			log_err("reload: interfaces not followed any more (deleted and "
				"created again, they stay unmetered)");
	}
	write_metrics(a);
	jf_sd_notify("READY=1\nSTATUS=metering and exporting");
	return rc;
}

/* jflowctl's commands that act on the agent. */
static void ctl_stats(FILE *f, void *arg)
{
	struct app *a = arg;
	struct jf_cache_stats cs;
	struct jf_metrics_input in;

	metrics_input(a, &in, &cs);
	jf_metrics_fprint(f, &in);
}

static void ctl_config(FILE *f, bool json, void *arg)
{
	struct app *a = arg;

	jf_config_print_settings(&a->cfg, f, json);
}

/* softflowctl's send-template: due now, sent by this tick's flush. */
static int ctl_send_templates(void *arg)
{
	struct app *a = arg;
	int n = jf_monitors_templates_now(a->mons);

	tick(a, jf_mono_ms(), jf_wall_sample());
	return n;
}

/* softflowctl's shutdown: as SIGTERM, after this answer. */
static void ctl_shutdown(void *arg)
{
	(void)arg;
	log_info("shutdown asked for over the control socket");
	stop_requested = 1;
}

/* softflowd's expire-all: what the meter holds is read, and every flow
 * of the monitors in mons, the meter's own (the XDP table's), the
 * cache's and the aggregates', leaves now (flowEndReason forced). */
static size_t ctl_expire(void *arg, uint16_t mons)
{
	struct app *a = arg;
	uint64_t now = jf_wall_sample(), mono = jf_mono_ms();
	size_t n;

	a->now_ms = now;
	a->cache_ms = mono;
	if (jf_meter_tick(a->meter, mono))
		log_warn("expire: the meter's drain failed");
	n = jf_meter_flush(a->meter, mons, mono, JF_END_FORCED);
	n += jf_cache_flush_monitors(a->cache, mons, JF_END_FORCED);
	n += jf_monitors_flush(a->mons, mons, JF_END_FORCED, now);
	tick(a, mono, now);
	log_info("expire: %zu flows exported", n);
	return n;
}

static void ctl_bgp(FILE *f, void *arg)
{
	struct app *a = arg;

	jf_bgp_print(a->bgp, f);
}

static int ctl_reload(void *arg, char *msg, size_t msglen)
{
	return reload(arg, msg, msglen);
}

/* jflowctl flows: the meter's own flows (the XDP table's) besides the
 * cache's, in steps. */
static bool ctl_foreach_more(uint64_t *cursor, size_t max, jf_visit_fn visit, void *varg,
			     void *arg)
{
	struct app *a = arg;

	return jf_meter_foreach_flow(a->meter, cursor, max, visit, varg);
}

static int open_control(struct app *a)
{
	struct jf_control_env env = {
		.cache = a->cache, .mons = a->mons, .stats = ctl_stats,
		.expire = ctl_expire, .reload = ctl_reload, .foreach_more = ctl_foreach_more,
		.config = ctl_config, .send_templates = ctl_send_templates,
		.shutdown = ctl_shutdown, .arg = a, .bgp = a->bgp ? ctl_bgp : NULL,
	};
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	char err[512];

	if (!a->cfg.control_socket[0])
		return 0;
	if (a->cfg.user[0]) {
		struct passwd *pw = getpwnam(a->cfg.user);

		if (pw) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		}
	}
	a->ctl = jf_control_open(a->cfg.control_socket, uid, gid, &env, err, sizeof(err));
	if (!a->ctl) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* What interface i's device received while it was there but not metered
 * (before jflowd attached to it again, or since attaching failed): counted
 * from its own rx counters, as not_attached. Read before attaching, so
 * nothing the meter also counts is counted here; what arrives between the
 * read and the attach (microseconds) is in neither. */
static void count_unmetered(struct app *a, int i)
{
	uint64_t p, o;

	if (jf_link_watch_unmetered(a->links, i, &p, &o) || !p)
		return;
	a->st.packets[JF_PKT_NOT_ATTACHED] += p;
	a->st.octets[JF_PKT_NOT_ATTACHED] += o;
	log_warn("interface %s: %llu frames arrived while it was not metered (counted as "
		 "not_attached)", a->cfg.ifaces[i], (unsigned long long)p);
}

/* An interface went (ifindex 0) or came back: say so, and meter it again. */
static void on_link(int i, uint32_t ifindex, void *arg)
{
	struct app *a = arg;
	const struct jf_meter_ops *ops = a->meter->ops;
	const char *name = a->cfg.ifaces[i];
	char err[512];

	if (!ifindex) {
		log_warn("interface %s is gone: nothing on it is metered until it is back",
			 name);
		if (ops->iface_gone)
			ops->iface_gone(a->meter, i);
		jf_link_watch_set_attached(a->links, i, false);
		a->back_failed[i] = false;
		return;
	}
	/* Back, or tried again (its attach failed before): said once. */
	count_unmetered(a, i);
	if (!ops->iface_back) {
		if (!a->back_failed[i])
			log_err("interface %s is back (ifindex %u), but a %s capture cannot "
				"follow it: restart jflowd to meter it", name, ifindex,
				ops->name);
		a->back_failed[i] = true;
		return;
	}
	if (ops->iface_back(a->meter, i, ifindex, err, sizeof(err))) {
		if (!a->back_failed[i])
			log_err("interface %s is back (ifindex %u), but: %s (tried again at each "
				"change of it and each drain interval)", name, ifindex, err);
		a->back_failed[i] = true;
		return;
	}
	a->back_failed[i] = false;
	jf_monitors_announce_iface(a->mons, ifindex, name);
	jf_link_watch_set_attached(a->links, i, true);
}

#define WAIT_FDS (JF_MAX_IFACES + 1 + 1 + JF_CONTROL_MAX_CLIENTS)

/* Wait, until the next tick at most, for what comes first: packets, an
 * interface event, a jflowctl client, a collector that can take what
 * waits for it; then serve it. Nothing here waits on a client or a
 * collector: each is served a bounded share of the turn. */
static void wait_and_serve(struct app *a, int wait, uint64_t next_tick)
{
	struct pollfd pfd[WAIT_FDS];
	int n, nm, nl, w, i;

	w = jf_control_wait_ms(a->ctl);
	if (w >= 0 && w < wait)
		wait = w;
	w = jf_monitors_wait_ms(a->mons);
	if (w >= 0 && w < wait)
		wait = w;
	nm = jf_meter_pollfds(a->meter, pfd, JF_MAX_IFACES, &wait);
	n = nm;
	nl = a->links ? n++ : -1;
	if (nl >= 0) {
		pfd[nl].fd = jf_link_watch_fd(a->links);
		pfd[nl].events = POLLIN;
	}
	n += jf_control_pollfds(a->ctl, pfd + n, WAIT_FDS - n);
	for (i = 0; i < n; i++)
		pfd[i].revents = 0;
	if (!nm) {
		/* The backend waits itself: briefly, so the rest is served. */
		jf_meter_poll(a->meter, a->ctl && wait > CONTROL_POLL_MS ? CONTROL_POLL_MS : wait,
			      jf_mono_ms());
		wait = 0;
	}
	if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR)
		log_debug("poll: %s", strerror(errno));
	/* What arrived, and the meter's own look (its table's fill). */
	if (nm)
		jf_meter_poll(a->meter, 0, jf_mono_ms());
	/* An interface deleted or created again: followed at once, not at
	 * the next tick, so little arrives before it is metered again. */
	if (nl >= 0 && pfd[nl].revents)
		jf_link_watch_poll(a->links, on_link, a);
	jf_control_poll(a->ctl, next_tick);
	/* Collectors that can take more now (the tick's wall clock dates
	 * whatever the transport has to write fresh: a TCP session's
	 * templates). */
	jf_monitors_poll(a->mons, a->now_ms);
}

static int run_live(struct app *a)
{
	const struct jf_meter_ops *ops = meters[a->cfg.mode];
	struct sigaction sa = { .sa_handler = on_signal };
	struct jf_meter_params mp;
	struct jf_router_params rp;
	uint64_t next_tick;
	char err[512];
	int rc = 0;

	a->mode = ops->name;
	jf_log_setup_libbpf();
	jf_summary_sizing(&a->cfg);
	/* The cache first: the meter merges into it from the start. The
	 * control socket next, so that its mistakes (no directory, another
	 * jflowd on it) stop the start before anything is attached; it is
	 * served from the loop only. The BGP source before it: jflowctl bgp
	 * asks it. */
	if (open_common(a) || open_bgp(a) || open_control(a))
		return EXIT_FAILURE;
	/* Router mode: the forwarding lookup hooked into the cache before
	 * the first flow, its netlink sockets opened before the capabilities
	 * go (RTM_GETROUTE itself needs none). */
	jf_config_router_params(&a->cfg, &rp);
	if (jf_router_setup(&rp, a->cache, &a->router, err, sizeof(err))) {
		log_err("%s", err);
		return EXIT_FAILURE;
	}
	if (a->router)
		log_info("router mode: output interface, next hop and prefixes per flow");
	if (open_nat_lookup(a) || bind_lookups(a))
		return EXIT_FAILURE;
	meter_params(a, &mp);
	a->meter = ops->open(&mp, a->cache, &a->st, err, sizeof(err));
	if (!a->meter) {
		log_err("%s", err);
		return EXIT_FAILURE;
	}
	jf_monitors_set_timeouts(a->mons, a->cache, a->meter);
	/* Every way of being told to go exports what it holds first. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);	/* reload */
	signal(SIGPIPE, SIG_IGN);

	jf_monitors_announce(a->mons, &a->cfg, a->meter);
	if (watch_links(a))
		return EXIT_FAILURE;
	a->now_ms = jf_wall_sample();
	jf_monitors_start(a->mons, a->now_ms, a->now_ms);
	a->exporter_started = true;
	if (open_nat_events(a) ||
	    drop_privileges(a, ops->keep_caps | (a->nat || a->nat_events ?
						 JF_CAP(CAP_NET_ADMIN) : 0)))
		return EXIT_FAILURE;
	write_metrics(a);
	/* Ready: the meter is attached and the templates are out. */
	jf_sd_notify("READY=1\nSTATUS=metering and exporting");
	jf_summary_start(&a->cfg);

	/* Ticks, poll timeouts and the cache's timeouts run on the monotonic
	 * clock: a step of the wall clock neither stalls nor rushes them. The
	 * wall clock only stamps what goes out (a->now_ms). */
	next_tick = jf_mono_ms() + a->cfg.tick_ms;
	while (!stop_requested) {
		uint64_t mono = jf_mono_ms();
		int wait = mono >= next_tick ? 0 : (int)(next_tick - mono);
		bool more;

		if (reload_requested) {
			char msg[1024];

			reload_requested = 0;
			reload(a, msg, sizeof(msg));
		}
		if (a->nat_events)
			jf_nat_events_poll(a->nat_events);
		/* BMP input under way: the meter is polled without waiting,
		 * the tick comes at its time. */
		more = jf_bgp_poll(a->bgp, mono, BGP_BUDGET_MS);
		if (wait > 0) {
			/* BMP and conntrack's events are read on a timer. */
			int most = more ? 0 : a->bgp ? BGP_POLL_MS : wait;

			if (a->nat_events && most > NAT_EVENTS_POLL_MS)
				most = NAT_EVENTS_POLL_MS;
			wait_and_serve(a, wait > most ? most : wait, next_tick);
			continue;
		}
		jf_link_watch_poll(a->links, on_link, a);
		/* There but not metered: attach again, or count what it got. */
		jf_link_watch_retry(a->links, on_link, a);
		mono = jf_mono_ms();
		a->now_ms = jf_wall_sample();
		rc = jf_meter_tick(a->meter, mono);
		if (rc)
			break;
		tick(a, mono, a->now_ms);
		next_tick += a->cfg.tick_ms;
		if (next_tick <= mono)	/* fell behind: do not try to catch up */
			next_tick = mono + a->cfg.tick_ms;
	}

	log_info("stopping: exporting every flow");
	jf_sd_notify("STOPPING=1\nSTATUS=exporting every flow before exit");
	a->now_ms = jf_wall_sample();
	/* Once the program is detached (jf_meter_stop), nothing is lost by
	 * waiting for a collector on this host to take the last records (a
	 * while: a slow one must not hold up the exit for long). */
	jf_monitors_may_wait(a->mons, TCP_DRAIN_MS);
	rc = jf_meter_stop(a->meter, jf_mono_ms());
	if (a->nat_events)
		jf_nat_events_poll(a->nat_events);
	shutdown_export(a, a->now_ms, JF_END_FORCED);
	log_totals(a);
	jf_monitors_loss_report(a->mons);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --start-condition, even where the file's error came before the option
 * was read: for ExecCondition=, 1-254 skip the unit, 255 fails it. */
static bool start_condition(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--start-condition"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct app a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.start_s = jf_mono_s();
	a.argc = argc;
	a.argv = argv;
	/* The table maker (a child: its own copy of them) writes its name
	 * over the argument strings, so ps tells it from jflowd. */
	jf_table_maker_title_area(argv, argc);
	/* Logging first: a usage error under systemd carries its priority. */
	jf_log_init();
	setvbuf(stderr, NULL, _IOLBF, 0);
	jf_config_defaults(&a.cfg);
	rc = jf_config_load(&a.cfg, argc, argv);
	if (rc == JF_CONFIG_NOTHING_TO_METER)
		return 1;	/* ExecCondition=: skip the unit, it did not fail */
	if (rc > 0)
		return EXIT_SUCCESS;
	if (rc < 0)
		return start_condition(argc, argv) ? 255 : EXIT_USAGE;
	jf_log_level = a.cfg.verbosity;
	{
		char err[512];

		if (jf_preflight(&a.cfg, err, sizeof(err))) {
			log_err("%s", err);
			return EXIT_FAILURE;
		}
	}

	rc = a.cfg.pcap_file[0] ? run_file(&a) : run_live(&a);

	jf_control_close(a.ctl);
	jf_meter_close(a.meter);
	jf_pcap_meter_close(a.pcap);
	jf_link_watch_free(a.links);
	jf_cache_free(a.cache);
	jf_nat_events_free(a.nat_events);
	jf_nat_free(a.nat);
	jf_router_free(a.router);
	jf_bgp_free(a.bgp);
	jf_monitors_free(a.mons);
	return rc;
}
