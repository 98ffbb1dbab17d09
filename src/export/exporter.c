// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Export to every configured collector. Records are grouped per data
 * template into pending messages, so each data message carries one set;
 * templates and options travel in messages of their own. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "export/export_proto.h"
#include "export/exporter.h"
#include "log.h"
#include "export/transport.h"

#define MAX_IFNAMES 64
#define MSG_MAX 65535
#define STARTUP_TEMPLATE_REPEATS 3	/* UDP: templates sent 3 times at start */

struct pending {
	struct jf_out_msg out;
	bool open;			/* out holds records */
	struct jf_msg_meta meta;
	uint8_t buf[MSG_MAX];
};

struct collector {
	struct jf_collector_url url;
	char name[300];
	const struct jf_export_proto *proto;	/* its row of the protocol table */
	struct jf_transport tr;
	struct jf_template data_tmpl[JF_DATA_TEMPLATES];
	struct jf_template opt_exporter;
	struct jf_template opt_ifname;
	struct pending pend[JF_DATA_TEMPLATES];	/* without templates: pend[0] */
	struct jf_template nat_tmpl[2];	/* NAT events: IPv4, IPv6 */
	struct pending nat_pend;
	uint32_t sequence;		/* v9: messages; IPFIX: records (see seq_nfdump); v5: flows */
	bool seq_nfdump;		/* IPFIX sequence counts flow records only */
	uint64_t next_template_ms;
	uint32_t startup_repeats;
	uint32_t msgs_since_template;
	bool templates_due;
	uint64_t refused_seen;		/* UDP refusals when templates last went */
	/* pacing by rate (remote, file replay); one on this host is paced
	 * on its socket by the transport */
	double tokens;
	double last_refill_s;
	struct jf_collector_stats st;
	/* Reload: removed, it takes no new flow and leaves once its TCP queue
	 * is empty or the deadline passed (never blocking the meter). */
	bool retiring;
	uint64_t retire_deadline_ms;	/* monotonic */
	uint64_t retired_handed;	/* e->handed_packets when it was removed */
};

struct jf_exporter {
	struct collector c[JF_MAX_COLLECTORS];
	int n;
	uint32_t domain;
	uint32_t mtu;
	uint32_t tmpl_interval_ms;
	uint32_t tmpl_packets;
	uint32_t sample_rate;
	uint16_t active_s, idle_s;
	uint32_t export_rate;		/* remote collectors, file replay only */
	bool pace_local;		/* collectors on this host, always */
	bool seq_nfdump;		/* IPFIX sequence counts flow records only */
	bool started;
	bool nat_events;		/* NAT event templates announced */
	uint64_t uptime_base_ms;
	uint64_t system_init_ms;
	uint64_t ignored_packets, ignored_octets;
	struct jf_opt_ifname ifnames[MAX_IFNAMES];
	int n_ifnames;
	uint64_t handed_packets;	/* in every flow given to jf_exporter_add */
	/* Reload: collectors opened by jf_exporter_stage, not yet exporting. */
	struct collector *staged[JF_MAX_COLLECTORS];
	int n_staged;
	enum jf_export_mode mode;
	/* First data template ID. A reload that turns sampling on or off
	 * changes the data templates' layout: they move to the other set of
	 * IDs, so no ID is ever redefined (collectors keep the first
	 * definition of an ID; IPFIX over TCP forbids redefining one). */
	uint16_t tid_base;
	const struct jf_record_def *record;	/* NULL: default */
	uint32_t unmet;			/* needs the monitor does not meet */
};

_Static_assert(JF_TID_IPV4 + 2 * JF_DATA_TEMPLATES <= JF_TID_OPT_EXPORTER,
	       "two sets of data template IDs below the options templates");

static void collector_templates(const struct jf_exporter *e, struct collector *c)
{
	struct jf_tmpl_params tp = { 0 };
	int t;

	tp.wire = c->proto->wire;
	tp.sampling = e->sample_rate > 1;
	tp.exporter_ipv6 = c->tr.peer.ss_family == AF_INET6;
	tp.record = e->record;
	tp.unmet = e->unmet;
	for (t = 0; t < JF_DATA_TEMPLATES; t++) {
		jf_template_data(&c->data_tmpl[t], (uint16_t)(JF_TID_IPV4 + t), &tp);
		c->data_tmpl[t].id = (uint16_t)(e->tid_base + t);
	}
	jf_template_nat_event(&c->nat_tmpl[0], JF_TID_NAT_EVENT_IPV4, &tp);
	jf_template_nat_event(&c->nat_tmpl[1], JF_TID_NAT_EVENT_IPV6, &tp);
	jf_template_opt_exporter(&c->opt_exporter, &tp);
	jf_template_opt_ifname(&c->opt_ifname, &tp);
}

/* Open the i-th collector of p into c (zeroed); 0 or -1 with err. */
static int collector_open(struct jf_exporter *e, struct collector *c,
			  const struct jf_exporter_params *p, int i, char *err, size_t errlen)
{
	char why[256];

	c->url = p->collectors[i];
	/* ?sequence= in the URL, else --ipfix-sequence. */
	c->seq_nfdump = c->url.sequence >= 0 ? c->url.sequence == JF_IPFIX_SEQ_NFDUMP
					      : e->seq_nfdump;
	snprintf(c->name, sizeof(c->name), "%s", p->names[i]);
	c->proto = c->url.proto;
	if (jf_transport_open(&c->tr, c->url.host, c->url.port,
			      c->proto->tcp, p->source_addr,
			      p->tcp_buffer, c->name, why, sizeof(why))) {
		snprintf(err, errlen, "collector %s: %s", c->name, why);
		return -1;
	}
	c->tr.may_block = p->mode == JF_EXPORT_REPLAY;
	jf_transport_set_paced(&c->tr, e->pace_local);
	collector_templates(e, c);
	c->st.up = !c->proto->tcp;
	c->tokens = 1;
	c->last_refill_s = jf_mono_s();
	return 0;
}

struct jf_exporter *jf_exporter_new(const struct jf_exporter_params *p, char *err,
				    size_t errlen)
{
	struct jf_exporter *e = calloc(1, sizeof(*e));
	int i;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->domain = p->domain;
	e->mtu = p->mtu;
	e->tmpl_interval_ms = p->template_interval_s * 1000;
	e->tmpl_packets = p->template_packets;
	e->sample_rate = p->sample_rate ? p->sample_rate : 1;
	e->active_s = (uint16_t)((p->active_ms + 999) / 1000);
	e->idle_s = (uint16_t)((p->idle_ms + 999) / 1000);
	/* A collector on this host is paced on its socket in every mode (a
	 * burst at shutdown or of expiries must not overrun it; while the
	 * agent waits, the kernel maps and the spill ring keep counting). A
	 * remote one is paced by rate only when replaying a file. */
	e->pace_local = p->export_rate != 0;
	e->export_rate = p->mode == JF_EXPORT_REPLAY ? p->export_rate : 0;
	e->seq_nfdump = p->ipfix_sequence == JF_IPFIX_SEQ_NFDUMP;
	e->system_init_ms = jf_wall_ms();
	e->mode = p->mode;
	e->tid_base = JF_TID_IPV4;
	e->record = p->record;
	e->unmet = p->unmet;
	e->nat_events = p->nat_events;

	for (i = 0; i < p->n_collectors; i++) {
		if (collector_open(e, &e->c[i], p, i, err, errlen)) {
			e->n = i;
			jf_exporter_free(e);
			return NULL;
		}
		e->n = i + 1;
	}
	return e;
}

void jf_exporter_free(struct jf_exporter *e)
{
	int i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		jf_transport_close(&e->c[i].tr);
	jf_exporter_unstage(e);
	free(e);
}

void jf_exporter_add_ifname(struct jf_exporter *e, uint32_t ifindex, const char *name,
			    const char *description)
{
	struct jf_opt_ifname *v;

	if (e->n_ifnames >= MAX_IFNAMES)
		return;
	v = &e->ifnames[e->n_ifnames++];
	memset(v, 0, sizeof(*v));
	v->domain = e->domain;
	v->ifindex = ifindex;
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->description, sizeof(v->description), "%s", description);
}

void jf_exporter_set_ignored(struct jf_exporter *e, uint64_t packets, uint64_t octets)
{
	e->ignored_packets = packets;
	e->ignored_octets = octets;
}

/* A remote collector, replaying a file: at most export_rate messages per
 * second, in bursts of at most 8 (a default 212 KB socket buffer holds
 * about 90 datagrams). */
#define PACE_BURST 8.0
static void pace(struct jf_exporter *e, struct collector *c, size_t len)
{
	double now;

	(void)len;
	/* One on this host: its transport paces it on its socket. */
	if (!e->export_rate || c->tr.watch)
		return;
	for (;;) {
		now = jf_mono_s();
		c->tokens += (now - c->last_refill_s) * e->export_rate;
		c->last_refill_s = now;
		if (c->tokens > PACE_BURST)
			c->tokens = PACE_BURST;
		if (c->tokens >= 1)
			break;
		struct timespec d = { 0, (long)((1 - c->tokens) / e->export_rate * 1e9) + 1000 };

		nanosleep(&d, NULL);
	}
	c->tokens -= 1;
}

static void account_sent(struct collector *c, size_t len, const struct jf_msg_meta *m,
			 enum jf_send_result r)
{
	if (r == JF_SENT) {
		c->st.messages++;
		c->st.message_octets += len;
		c->st.template_records += m->tmpl_records;
		c->st.options_records += m->opt_records;
		c->st.records += m->flow_records;
		c->st.packets += m->flow_packets;
		c->st.octets += m->flow_octets;
		c->st.event_records += m->event_records;
	} else {
		c->st.dropped_event_records += m->event_records;
		c->st.dropped_messages++;
		c->st.dropped_records += m->flow_records;
		c->st.dropped_packets += m->flow_packets;
		c->st.dropped_octets += m->flow_octets;
	}
}

static void exporter_values(const struct jf_exporter *e, const struct collector *c,
			    struct jf_opt_exporter *v)
{
	memset(v, 0, sizeof(*v));
	v->domain = e->domain;
	v->sampling_interval = e->sample_rate;
	v->sampling_algorithm = e->sample_rate > 1 ? 2 : 0;	/* random */
	v->active_timeout_s = e->active_s;
	v->idle_timeout_s = e->idle_s;
	v->exported_messages = c->st.messages;
	v->exported_records = c->st.records;
	v->exported_octets = c->st.message_octets;
	v->system_init_ms = e->system_init_ms;
	if (c->tr.local.ss_family == AF_INET)
		memcpy(v->exporter_addr, &((const struct sockaddr_in *)&c->tr.local)->sin_addr, 4);
	else if (c->tr.local.ss_family == AF_INET6)
		memcpy(v->exporter_addr, &((const struct sockaddr_in6 *)&c->tr.local)->sin6_addr, 16);
	v->export_transport = c->proto->tcp ? 6 : 17;
	v->ignored_packets = e->ignored_packets;
	v->ignored_octets = e->ignored_octets;
}

static void finish_and_send(struct jf_exporter *e, struct collector *c, struct jf_out_msg *m,
			    struct jf_msg_meta *meta, uint64_t now_ms, bool first)
{
	struct jf_out_hdr h = {
		.now_ms = now_ms,
		.uptime_base_ms = e->uptime_base_ms,
		.sequence = c->sequence,
		.domain = e->domain,
		.sample_rate = e->sample_rate,
		.seq_flows_only = c->seq_nfdump,
	};
	enum jf_send_result r;
	size_t len;

	len = c->proto->finish(m, &h, meta);
	meta->seq_off = c->proto->seq_off;
	pace(e, c, len);
	r = jf_transport_send(&c->tr, m->buf, len, meta, first, now_ms);
	/* The sequence moves on even for a message lost here: the collector
	 * then sees the gap, which is the truth. (TCP numbers messages per
	 * connection as they are written: transport.c.) */
	c->sequence += meta->seq_step;
	account_sent(c, len, meta, r);
}

/* Templates and options data, in as many messages as they need. Over TCP
 * a new connection gets them ahead of everything queued (first). */
static void send_templates(struct jf_exporter *e, struct collector *c, uint64_t now_ms,
			   bool with_templates, bool first)
{
	static uint8_t buf[MSG_MAX];
	struct jf_opt_exporter ev;
	struct jf_out_msg out;
	struct jf_msg *m = &out.msg;
	struct jf_msg_meta meta;
	int t, i = 0, step = 0;
	bool again;

	if (with_templates)
		c->refused_seen = c->tr.refused;

	if (!c->proto->templates)
		return;
	exporter_values(e, c, &ev);
	/* Steps: data templates, NAT event templates, options templates,
	 * exporter record, ifnames. */
	do {
		c->proto->init(&out, c->proto->wire, buf, e->mtu);
		memset(&meta, 0, sizeof(meta));
		meta.session = 1;	/* TCP: never resent on another connection */
		again = false;
		for (; step < 5 && !again; step++) {
			if (step == 0 && with_templates) {
				for (t = 0; t < JF_DATA_TEMPLATES; t++)
					if (jf_msg_add_template(m, &c->data_tmpl[t]))
						break;
				if (t < JF_DATA_TEMPLATES) {
					again = true;
					break;
				}
			} else if (step == 1 && with_templates && e->nat_events) {
				if (jf_msg_add_template(m, &c->nat_tmpl[0]) ||
				    jf_msg_add_template(m, &c->nat_tmpl[1])) {
					again = true;
					break;
				}
			} else if (step == 2 && with_templates) {
				if (jf_msg_add_template(m, &c->opt_exporter) ||
				    (e->n_ifnames && jf_msg_add_template(m, &c->opt_ifname))) {
					again = true;
					break;
				}
			} else if (step == 3) {
				if (jf_msg_add_opt_exporter(m, &c->opt_exporter, &ev)) {
					again = true;
					break;
				}
			} else if (step == 4) {
				for (; i < e->n_ifnames; i++)
					if (jf_msg_add_opt_ifname(m, &c->opt_ifname, &e->ifnames[i]))
						break;
				if (i < e->n_ifnames) {
					again = true;
					break;
				}
			}
		}
		if (jf_msg_empty(m))
			break;	/* one item larger than the MTU: cannot happen at >= 512 */
		finish_and_send(e, c, &out, &meta, now_ms, first);
		c->st.template_messages++;
	} while (again);
	c->msgs_since_template = 0;
	c->templates_due = false;
}

void jf_exporter_start(struct jf_exporter *e, uint64_t now_ms, uint64_t uptime_base_ms)
{
	int i;

	e->started = true;
	e->uptime_base_ms = uptime_base_ms;
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];

		if (c->proto->tcp) {
			jf_transport_poll(&c->tr, now_ms);	/* first connect attempt */
			continue;
		}
		send_templates(e, c, now_ms, true, false);
		c->startup_repeats = STARTUP_TEMPLATE_REPEATS - 1;
		c->next_template_ms = now_ms + 1000;
	}
}

static void send_pending_msg(struct jf_exporter *e, struct collector *c, struct pending *p,
			     uint64_t now_ms)
{
	if (!p->open)
		return;
	/* A UDP collector that refused since the templates went out may be
	 * back, without them: they go ahead of the data. */
	if (c->proto->templates && !c->proto->tcp && c->tr.refused != c->refused_seen)
		send_templates(e, c, now_ms, true, false);
	finish_and_send(e, c, &p->out, &p->meta, now_ms, false);
	p->open = false;
	c->msgs_since_template++;
	if (e->tmpl_packets && !c->proto->tcp && c->msgs_since_template >= e->tmpl_packets)
		send_templates(e, c, now_ms, true, false);
}

static void send_pending(struct jf_exporter *e, struct collector *c, int t, uint64_t now_ms)
{
	send_pending_msg(e, c, &c->pend[t], now_ms);
}

static struct jf_enc_ctx enc_ctx(const struct jf_exporter *e, uint64_t now_ms)
{
	struct jf_enc_ctx ctx = {
		.uptime_base_ms = e->uptime_base_ms,
		.now_ms = now_ms,
		.sampling_interval = e->sample_rate,
		.sampling_algorithm = e->sample_rate > 1 ? 2 : 0,
	};
	return ctx;
}

static void open_pending(struct jf_exporter *e, struct collector *c, struct pending *p)
{
	c->proto->init(&p->out, c->proto->wire, p->buf, e->mtu);
	memset(&p->meta, 0, sizeof(p->meta));
	p->open = true;
}

/* One flow to one collector, in as many records as its protocol needs. */
static void add_flow(struct jf_exporter *e, struct collector *c, int t,
		     const struct jf_record *r, const struct jf_enc_ctx *ctx, uint64_t now_ms)
{
	const struct jf_template *tmpl = &c->data_tmpl[t];
	struct jf_record parts[JF_EXPORT_SPLIT_MAX];
	struct pending *p;
	unsigned n, i;

	n = c->proto->split(r, parts, JF_EXPORT_SPLIT_MAX);
	if (!n) {
		c->st.unexportable_records++;
		c->st.unexportable_packets += r->packets;
		c->st.unexportable_octets += r->octets;
		return;
	}
	if (!c->proto->templates)
		t = 0;	/* one message for every layout */
	p = &c->pend[t];
	for (i = 0; i < n; i++) {
		if (!p->open)
			open_pending(e, c, p);
		if (c->proto->add_flow(&p->out, tmpl, &parts[i], ctx) == -ENOSPC) {
			send_pending(e, c, t, now_ms);
			open_pending(e, c, p);
			c->proto->add_flow(&p->out, tmpl, &parts[i], ctx);
		}
		p->meta.flow_records++;
		p->meta.flow_packets += parts[i].packets;
		p->meta.flow_octets += parts[i].octets;
	}
	/* One flow split in parts is still one flow for the counters. */
	p->meta.flow_records -= n - 1;
}

/* v9 and v5 date records from sysUpTime 0 (uptime_base_ms). A wall clock
 * stepped back past it would make sysUpTime wrap to 49 days: sysUpTime
 * starts again from 0 instead (a restart of the exporter, to collectors). */
#define REBASE_MARGIN_MS 3600000ull

static void rebase_uptime(struct jf_exporter *e, uint64_t now_ms)
{
	if (e->started && now_ms < e->uptime_base_ms) {
		log_warn("wall clock stepped back %.3f s past jflowd's start: v9/v5 "
			 "sysUpTime restarts (from one hour)",
			 (e->uptime_base_ms - now_ms) / 1000.0);
		/* The flows open now are dated on the new clock, up to an
		 * active timeout before now: an hour of room, or their times
		 * would clamp to sysUpTime 0. */
		e->uptime_base_ms = now_ms > REBASE_MARGIN_MS ? now_ms - REBASE_MARGIN_MS : 0;
	}
}

void jf_exporter_add(struct jf_exporter *e, const struct jf_record *r, uint64_t now_ms)
{
	struct jf_enc_ctx ctx;

	rebase_uptime(e, now_ms);
	ctx = enc_ctx(e, now_ms);
	int i, t = jf_template_id_for(r) - JF_TID_IPV4;

	e->handed_packets += r->packets;
	for (i = 0; i < e->n; i++)
		if (!e->c[i].retiring)
			add_flow(e, &e->c[i], t, r, &ctx, now_ms);
}

void jf_exporter_add_nat_event(struct jf_exporter *e, const struct jf_nat_event *ev,
			       uint64_t now_ms)
{
	int i;

	rebase_uptime(e, now_ms);
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];
		const struct jf_template *t = &c->nat_tmpl[ev->family == 6];
		struct pending *p = &c->nat_pend;

		if (c->retiring)
			continue;
		if (!c->proto->templates || !e->nat_events) {
			c->st.unexportable_events++;
			continue;
		}
		if (!p->open)
			open_pending(e, c, p);
		if (jf_msg_add_nat_event(&p->out.msg, t, ev) == -ENOSPC) {
			send_pending_msg(e, c, p, now_ms);
			open_pending(e, c, p);
			jf_msg_add_nat_event(&p->out.msg, t, ev);
		}
		p->meta.event_records++;
	}
}

static void refresh_transport_stats(struct collector *c)
{
	c->st.up = jf_transport_ready(&c->tr);
	c->st.socket_drops = c->tr.socket_drops;
	c->st.connects = c->tr.connects;
	c->st.reconnects = c->tr.connects ? c->tr.connects - 1 : 0;
	c->st.resent_messages = c->tr.resent_messages;
	c->st.send_errors = c->tr.send_errors;
	c->st.queued_records = c->tr.queued.flow_records;
	c->st.queued_packets = c->tr.queued.flow_packets;
	c->st.queued_octets = c->tr.queued.flow_octets;
}

/* A new TCP connection, or a new socket of a UDP collector on this host,
 * gets templates and options before anything else. */
static void session_start(struct jf_exporter *e, struct collector *c, uint64_t now_ms)
{
	jf_transport_session_start(&c->tr);
	send_templates(e, c, now_ms, true, true);
	c->next_template_ms = now_ms + e->tmpl_interval_ms;
}

/* Advance the transport: TCP connecting and writing (a new connection
 * gets its templates), UDP to a collector on this host what waits. */
static void transport_service(struct jf_exporter *e, struct collector *c, uint64_t now_ms)
{
	if (jf_transport_poll(&c->tr, now_ms))
		session_start(e, c, now_ms);
}

/* A removed collector whose queue is empty, or whose time is up: what it
 * never took is dropped; it leaves the exporter (and the metrics). */
static bool retire_done(struct jf_exporter *e, struct collector *c)
{
	struct jf_collector_stats st;
	int i = (int)(c - e->c);

	if (jf_transport_queued(&c->tr) && jf_mono_ms() < c->retire_deadline_ms)
		return false;
	jf_transport_abandon(&c->tr);
	refresh_transport_stats(c);
	jf_exporter_stats(e, i, &st);
	log_info("collector %s removed: %llu flow records (%llu packets) sent, %llu dropped",
		 c->name, (unsigned long long)st.records, (unsigned long long)st.packets,
		 (unsigned long long)st.dropped_records);
	jf_transport_close(&c->tr);
	return true;
}

/* Drop the collectors that finished retiring; their pending messages are
 * all sent (flush), so nothing points into a moved buffer. */
static void compact(struct jf_exporter *e, const bool *gone)
{
	int i, j = 0;

	for (i = 0; i < e->n; i++) {
		if (gone[i])
			continue;
		if (j != i)
			memcpy(&e->c[j], &e->c[i], sizeof(e->c[0]));
		j++;
	}
	e->n = j;
}

void jf_exporter_flush(struct jf_exporter *e, uint64_t now_ms)
{
	bool gone[JF_MAX_COLLECTORS] = { false }, any_gone = false;
	int i, t;

	rebase_uptime(e, now_ms);
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];

		if (c->retiring) {
			transport_service(e, c, now_ms);
			gone[i] = retire_done(e, c);
			any_gone |= gone[i];
			continue;
		}
		if (c->proto->tcp)
			transport_service(e, c, now_ms);
		for (t = 0; t < JF_DATA_TEMPLATES; t++)
			send_pending(e, c, t, now_ms);
		send_pending_msg(e, c, &c->nat_pend, now_ms);
		/* A deadline more than an interval ahead means the wall clock
		 * stepped back: due now, not after the step is made up. */
		if (c->next_template_ms > now_ms + e->tmpl_interval_ms + 1000)
			c->next_template_ms = now_ms;
		if (e->started && now_ms >= c->next_template_ms && c->proto->templates) {
			if (!c->proto->tcp) {
				send_templates(e, c, now_ms, true, false);
			} else if (c->tr.up) {
				send_templates(e, c, now_ms, false, false);	/* options data only */
			}
			if (c->startup_repeats) {
				c->startup_repeats--;
				/* The last start-up repeat hands over to the interval. */
				c->next_template_ms = now_ms + (c->startup_repeats ? 1000
										  : e->tmpl_interval_ms);
			} else {
				c->next_template_ms = now_ms + e->tmpl_interval_ms;
			}
		}
		transport_service(e, c, now_ms);
		refresh_transport_stats(c);
		c->st.refused = c->tr.refused;
		c->st.refused_messages = c->tr.refusal.messages;
		c->st.refused_records = c->tr.refusal.records;
		c->st.refused_packets = c->tr.refusal.packets;
		c->st.refused_octets = c->tr.refusal.octets;
	}
	if (any_gone)
		compact(e, gone);
}

void jf_exporter_finish(struct jf_exporter *e, uint64_t now_ms, int timeout_ms)
{
	int i;

	jf_exporter_flush(e, now_ms);
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];
		int left = timeout_ms;

		while (jf_transport_drain(&c->tr, &left))
			session_start(e, c, now_ms);
		/* What the collector never took is lost: dropped, not sent. */
		jf_transport_abandon(&c->tr);
		refresh_transport_stats(c);
	}
}

void jf_exporter_may_wait(struct jf_exporter *e, int timeout_ms)
{
	uint64_t until = jf_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	int i;

	for (i = 0; i < e->n; i++) {
		e->c[i].tr.may_block = true;
		e->c[i].tr.wait_until_ms = until;
	}
}

void jf_exporter_poll(struct jf_exporter *e, uint64_t now_ms)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (jf_transport_wait_ms(&e->c[i].tr) == 0)
			transport_service(e, &e->c[i], now_ms);
}

int jf_exporter_wait_ms(const struct jf_exporter *e)
{
	int i, w, first = -1;

	for (i = 0; i < e->n; i++) {
		w = jf_transport_wait_ms(&e->c[i].tr);
		if (w >= 0 && (first < 0 || w < first))
			first = w;
	}
	return first;
}

int jf_exporter_count(const struct jf_exporter *e)
{
	return e->n;
}

const char *jf_exporter_name(const struct jf_exporter *e, int i)
{
	return e->c[i].name;
}

const char *jf_exporter_proto(const struct jf_exporter *e, int i)
{
	return e->c[i].proto->name;
}

/* Messages counted sent that were not: out of the sent figures; into the
 * dropped ones if they carried flows (dropped), else they were a lost TCP
 * connection's templates. */
static void not_sent(struct jf_collector_stats *st, const struct jf_msg_tally *t, bool dropped)
{
	const struct jf_msg_meta *m = &t->meta;

	st->messages -= t->messages;
	st->message_octets -= t->octets;
	st->template_records -= m->tmpl_records;
	st->options_records -= m->opt_records;
	if (!dropped) {
		st->template_messages -= t->messages;
		return;
	}
	st->dropped_messages += t->messages;
	st->dropped_records += m->flow_records;
	st->dropped_packets += m->flow_packets;
	st->dropped_octets += m->flow_octets;
	st->records -= m->flow_records;
	st->packets -= m->flow_packets;
	st->octets -= m->flow_octets;
	st->event_records -= m->event_records;
	st->dropped_event_records += m->event_records;
}

static const char *collector_state(const struct collector *c)
{
	if (c->retiring)
		return "removed";
	if (c->proto->tcp)
		return c->tr.up ? "up" : "down";
	/* On this host, paced, and not there: what is exported waits. */
	if (c->tr.paced && !c->tr.peer_up)
		return "away";
	if (c->tr.unreachable)
		return "unreachable";
	return c->tr.refusing ? "refused" : "up";
}

void jf_exporter_stats(const struct jf_exporter *e, int i, struct jf_collector_stats *st)
{
	const struct collector *c = &e->c[i];

	*st = c->st;
	st->retiring = c->retiring;
	st->state = collector_state(c);
	/* Counted when queued (TCP; UDP to a collector on this host): the
	 * templates of a lost TCP connection never went out, and what was
	 * still queued at exit is dropped. */
	not_sent(st, &c->tr.discarded, false);
	not_sent(st, &c->tr.abandoned, true);
	/* Sent, then dropped by the full socket of a collector on this host. */
	not_sent(st, &c->tr.lost, true);
}

void jf_exporter_templates_now(struct jf_exporter *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		e->c[i].next_template_ms = 0;
}

void jf_exporter_clear_ifnames(struct jf_exporter *e)
{
	e->n_ifnames = 0;
}

void jf_exporter_set_absent(struct jf_exporter *e, uint64_t packets)
{
	int i;

	e->handed_packets = packets;
	for (i = 0; i < e->n; i++)
		e->c[i].st.absent_packets = packets;
}

/* The collector of that name, retiring or not: there is one at most (a
 * name added back while it drains is that collector again). */
static int find_collector(const struct jf_exporter *e, const char *name)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->c[i].name, name))
			return i;
	return -1;
}

static bool in_params(const struct jf_exporter_params *p, const char *name)
{
	int i;

	for (i = 0; i < p->n_collectors; i++)
		if (!strcmp(p->names[i], name))
			return true;
	return false;
}

void jf_exporter_unstage(struct jf_exporter *e)
{
	int i;

	for (i = 0; i < e->n_staged; i++) {
		jf_transport_close(&e->staged[i]->tr);
		free(e->staged[i]);
	}
	e->n_staged = 0;
}

int jf_exporter_stage(struct jf_exporter *e, const struct jf_exporter_params *p, char *err,
		      size_t errlen)
{
	int i, slots = 0;

	jf_exporter_unstage(e);
	for (i = 0; i < e->n; i++)
		if (e->c[i].retiring && !in_params(p, e->c[i].name))
			slots++;
	if (slots + p->n_collectors > JF_MAX_COLLECTORS) {
		snprintf(err, errlen, "%d collectors while %d removed ones still drain: "
			 "at most %d in all", p->n_collectors, slots, JF_MAX_COLLECTORS);
		return -1;
	}
	for (i = 0; i < p->n_collectors; i++) {
		struct collector *c;

		if (find_collector(e, p->names[i]) >= 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c) {
			snprintf(err, errlen, "out of memory");
			jf_exporter_unstage(e);
			return -1;
		}
		if (collector_open(e, c, p, i, err, errlen)) {
			free(c);
			jf_exporter_unstage(e);
			return -1;
		}
		e->staged[e->n_staged++] = c;
	}
	return 0;
}

/* Start a collector that joins a running exporter, as at start-up. */
static void collector_start(struct jf_exporter *e, struct collector *c, uint64_t now_ms)
{
	if (c->proto->tcp) {
		jf_transport_poll(&c->tr, now_ms);
		return;
	}
	send_templates(e, c, now_ms, true, false);
	c->startup_repeats = STARTUP_TEMPLATE_REPEATS - 1;
	c->next_template_ms = now_ms + 1000;
}

void jf_exporter_apply(struct jf_exporter *e, const struct jf_exporter_params *p,
		       uint64_t now_ms, int drain_ms)
{
	uint32_t rate = p->sample_rate ? p->sample_rate : 1;
	bool relayout = (e->sample_rate > 1) != (rate > 1) || p->relayout;
	int i, t;

	/* Removed: what it is owed leaves now (pending messages); over TCP
	 * its queue drains from the tick for at most drain_ms. */
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];

		if (c->retiring || in_params(p, c->name))
			continue;
		for (t = 0; t < JF_DATA_TEMPLATES; t++)
			send_pending(e, c, t, now_ms);
		send_pending_msg(e, c, &c->nat_pend, now_ms);
		c->retiring = true;
		c->retired_handed = e->handed_packets;
		/* Monotonic: a step of the wall clock neither cuts nor stretches it. */
		c->retire_deadline_ms = jf_mono_ms() + (uint64_t)(drain_ms > 0 ? drain_ms : 0);
		log_info("collector %s: removed by reload%s", c->name,
			 jf_transport_queued(&c->tr) ? ", draining its queue" : "");
	}
	/* Added back while it drains: the same collector goes on, its queue,
	 * connection and counters with it (one series in the metrics); what
	 * was exported while it was out is its "absent" share. */
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];

		if (!c->retiring || !in_params(p, c->name))
			continue;
		c->retiring = false;
		c->st.absent_packets += e->handed_packets - c->retired_handed;
		log_info("collector %s: added back by reload%s", c->name,
			 jf_transport_queued(&c->tr) ? ", its queue kept" : "");
	}

	e->tmpl_interval_ms = p->template_interval_s * 1000;
	e->tmpl_packets = p->template_packets;
	e->sample_rate = rate;
	e->record = p->record;
	e->unmet = p->unmet;
	if (relayout)
		e->tid_base = e->tid_base == JF_TID_IPV4 ? JF_TID_IPV4 + JF_DATA_TEMPLATES
							  : JF_TID_IPV4;
	e->active_s = (uint16_t)((p->active_ms + 999) / 1000);
	e->idle_s = (uint16_t)((p->idle_ms + 999) / 1000);
	e->pace_local = p->export_rate != 0;
	e->export_rate = e->mode == JF_EXPORT_REPLAY ? p->export_rate : 0;
	for (i = 0; i < e->n; i++)
		jf_transport_set_paced(&e->c[i].tr, e->pace_local);

	/* Kept: the new templates (sampling on or off changes them) and the
	 * options announcing the rate and timeouts, before any new record. */
	for (i = 0; i < e->n; i++) {
		struct collector *c = &e->c[i];

		if (c->retiring || !c->proto->templates)
			continue;
		if (relayout)
			collector_templates(e, c);
		if (!e->started)
			continue;
		if (!c->proto->tcp)
			send_templates(e, c, now_ms, true, false);
		else if (c->tr.up)
			send_templates(e, c, now_ms, relayout, false);
		c->next_template_ms = now_ms + (c->startup_repeats ? 1000 : e->tmpl_interval_ms);
	}

	/* Added: counted from now; what was exported before it was there is
	 * its "absent" share of the invariant. */
	for (i = 0; i < e->n_staged; i++) {
		struct collector *c = &e->c[e->n];

		memcpy(c, e->staged[i], sizeof(*c));
		free(e->staged[i]);
		collector_templates(e, c);
		c->st.absent_packets = e->handed_packets;
		e->n++;
		log_info("collector %s: added by reload", c->name);
		if (e->started)
			collector_start(e, c, now_ms);
	}
	e->n_staged = 0;
}

