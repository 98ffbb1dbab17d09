// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The running monitors: exporter instances per monitor and exporter,
 * records routed by the monitor index in their key, aggregation in the
 * agent, what the meter is told, and reload of monitors, records and
 * exporters (docs/records.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/loss_report.h"
#include "flow/fields.h"
#include "log.h"
#include "meter/mirror.h"
#include "service/monitors.h"
#include "service/reload.h"
#include "service/sections.h"

/* Exporter instances that a reload let go of: their collectors drain
 * (TCP queues) from the ticks until each has left. */
#define MAX_RETIRED (JF_MAX_MONITORS * JF_MON_EXPORTERS)

struct jf_monitors {
	struct jf_monitor *m[JF_MAX_MONITORS];
	int n;
	bool replay;
	bool started;
	uint64_t now_ms, uptime_base_ms;
	uint32_t max_flows;		/* bounds an aggregator */
	struct jf_exporter *retired[MAX_RETIRED];
	int n_retired;
};

/* --- one monitor --- */

static void exporter_params(const struct jf_config *cfg, const struct jf_monitor *m,
			    const struct jf_exporter_conf *x, bool replay,
			    struct jf_exporter_params *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->mode = replay ? JF_EXPORT_REPLAY : JF_EXPORT_LIVE;
	p->collectors = x->collectors;
	for (i = 0; i < x->n_collectors; i++)
		p->names[i] = x->collector_urls[i];
	p->n_collectors = x->n_collectors;
	p->domain = m->conf.domain;
	p->mtu = x->mtu;
	p->template_interval_s = x->template_interval_s;
	p->template_packets = x->template_packets;
	p->sample_rate = m->conf.sample_rate;
	p->active_ms = m->conf.active_ms;
	p->idle_ms = m->conf.idle_ms;
	p->export_rate = x->export_rate;
	p->ipfix_sequence = x->ipfix_sequence;
	p->source_addr = x->source_addr;
	p->tcp_buffer = x->tcp_buffer;
	p->record = &m->record;
	p->unmet = m->unmet;
	/* NAT events (RFC 8158) are no monitor's: the first monitor's
	 * exporters send them (jf_monitors_nat_event). */
	p->nat_events = cfg->nat_events && cfg->n_monitors &&
			!strcmp(m->conf.name, cfg->monitors[0].name);
}

/* Where the monitor's flows are merged to its record: nowhere (its record
 * is the packet's key), in the meter (a key mask), or in the agent (a
 * lookup needs the whole flow, or the operator asked). */
static void placement(struct jf_monitor *m)
{
	const struct jf_record_def *d = &m->record;
	bool coarse = jf_record_masks_key(d) || jf_record_keys_lookups(d, m->unmet);

	m->agent = coarse && (m->conf.aggregation == JF_AGG_AGENT ||
			      jf_record_uses_lookups(d, m->unmet));
	m->program_mask = coarse && !m->agent && jf_record_masks_key(d);
}

static void emit_agg(const struct jf_record *r, void *arg);

static void monitor_free(struct jf_monitor *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->n_ex; i++)
		jf_exporter_free(m->ex[i].exp);
	jf_agg_free(m->agg);
	free(m);
}

/* A monitor of cfg with its index, its instances opened (not started). */
static struct jf_monitor *monitor_new(struct jf_monitors *ms, const struct jf_config *cfg,
				      const struct jf_monitor_conf *c, uint32_t index,
				      char *err, size_t errlen)
{
	struct jf_monitor *m = calloc(1, sizeof(*m));
	char why[512];
	int i;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(m->name, sizeof(m->name), "%s", c->name);
	m->index = index;
	m->conf = *c;
	m->record = *jf_config_record(cfg, c);
	m->unmet = jf_needs_unmet(cfg, c);
	placement(m);
	if (m->agent) {
		struct jf_agg_params ap = {
			.record = &m->record, .unmet = m->unmet, .idle_ms = c->idle_ms,
			.active_ms = c->active_ms, .max = ms->max_flows,
		};

		m->agg = jf_agg_new(&ap, emit_agg, ms);
		if (!m->agg) {
			snprintf(err, errlen, "monitor %s: aggregates: out of memory", m->name);
			goto fail;
		}
	}
	for (i = 0; i < c->n_exporters; i++) {
		const struct jf_exporter_conf *x = jf_config_exporter(cfg, c->exporters[i]);
		struct jf_exporter_params p;

		exporter_params(cfg, m, x, ms->replay, &p);
		snprintf(m->ex[i].name, sizeof(m->ex[i].name), "%s", x->name);
		m->ex[i].mtu = x->mtu;
		m->ex[i].tcp_buffer = x->tcp_buffer;
		m->ex[i].ipfix_sequence = x->ipfix_sequence;
		snprintf(m->ex[i].source_addr, sizeof(m->ex[i].source_addr), "%s", x->source_addr);
		m->ex[i].exp = jf_exporter_new(&p, why, sizeof(why));
		if (!m->ex[i].exp) {
			snprintf(err, errlen, "monitor %s, exporter %s: %s", m->name, x->name, why);
			goto fail;
		}
		m->n_ex = i + 1;
	}
	return m;
fail:
	monitor_free(m);
	return NULL;
}

struct jf_monitors *jf_monitors_new(const struct jf_config *cfg, bool replay, char *err,
				    size_t errlen)
{
	struct jf_monitors *ms = calloc(1, sizeof(*ms));
	int i;

	if (!ms) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->replay = replay;
	ms->max_flows = jf_config_cache_flows(cfg);
	for (i = 0; i < cfg->n_monitors; i++) {
		ms->m[i] = monitor_new(ms, cfg, &cfg->monitors[i], (uint32_t)i, err, errlen);
		if (!ms->m[i]) {
			jf_monitors_free(ms);
			return NULL;
		}
		ms->n = i + 1;
	}
	return ms;
}

void jf_monitors_free(struct jf_monitors *ms)
{
	int i;

	if (!ms)
		return;
	for (i = 0; i < ms->n; i++)
		monitor_free(ms->m[i]);
	for (i = 0; i < ms->n_retired; i++)
		jf_exporter_free(ms->retired[i]);
	free(ms);
}

int jf_monitors_count(const struct jf_monitors *ms)
{
	return ms ? ms->n : 0;
}

struct jf_monitor *jf_monitors_at(const struct jf_monitors *ms, int i)
{
	return ms->m[i];
}

struct jf_monitor *jf_monitors_find(const struct jf_monitors *ms, const char *name)
{
	int i;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i]->name, name))
			return ms->m[i];
	return NULL;
}

struct jf_monitor *jf_monitors_by_index(const struct jf_monitors *ms, uint32_t index)
{
	int i;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i]->index == index)
			return ms->m[i];
	return NULL;
}

uint16_t jf_monitors_mask(const struct jf_monitors *ms)
{
	uint16_t mask = 0;
	int i;

	for (i = 0; i < ms->n; i++)
		mask |= (uint16_t)(1u << ms->m[i]->index);
	return mask;
}

void jf_monitors_meter_params(const struct jf_monitors *ms, const struct jf_config *cfg,
			      struct jf_meter_params *p)
{
	int i, j, k;

	memset(p->mons, 0, sizeof(p->mons));
	for (i = 0; i < ms->n; i++) {
		const struct jf_monitor *m = ms->m[i];
		struct jf_meter_monitor *mm = &p->mons[m->index];

		mm->used = true;
		mm->sample_rate = m->conf.sample_rate;
		snprintf(mm->filter, sizeof(mm->filter), "%s", m->conf.filter);
		mm->masked = m->program_mask;
		if (mm->masked)
			for (k = 0; k < 4; k++)
				jf_record_key_mask(&m->record, k & 1 ? JF_FAMILY_IPV6 : JF_FAMILY_IPV4,
						   k >> 1, &mm->mask.m[k & 1][k >> 1]);
		for (j = 0; j < cfg->n_ifaces; j++)
			for (k = 0; k < m->conf.n_ifaces; k++)
				if (!strcmp(cfg->ifaces[j], m->conf.ifaces[k]))
					mm->dirs[j] = m->conf.iface_dir[k] ? m->conf.iface_dir[k]
									   : JF_DIR_IN;
	}
}

void jf_monitors_set_timeouts(const struct jf_monitors *ms, struct jf_flow_cache *cache,
			      struct jf_meter *meter)
{
	int i;

	for (i = 0; i < ms->n; i++) {
		const struct jf_monitor *m = ms->m[i];

		if (cache)
			jf_cache_set_monitor_timeouts(cache, m->index, m->conf.idle_ms,
						      m->conf.active_ms, m->conf.fin_ms);
		jf_meter_set_timeouts(meter, m->index, m->conf.idle_ms, m->conf.active_ms,
				      m->conf.fin_ms);
		if (m->agg)
			jf_agg_set_timeouts(m->agg, m->conf.idle_ms, m->conf.active_ms);
	}
}

/* --- records --- */

static void to_exporters(struct jf_monitors *ms, struct jf_monitor *m,
			 const struct jf_record *r)
{
	int i;

	m->handed_packets += r->packets;
	m->handed_octets += r->octets;
	for (i = 0; i < m->n_ex; i++)
		jf_exporter_add(m->ex[i].exp, r, ms->now_ms);
}

/* An aggregate leaving (its key's monitor bits are its monitor's). */
static void emit_agg(const struct jf_record *r, void *arg)
{
	struct jf_monitors *ms = arg;
	struct jf_monitor *m = jf_monitors_by_index(ms, jf_key_monitor(&r->key));

	if (m)
		to_exporters(ms, m, r);
}

void jf_monitors_emit(struct jf_monitors *ms, const struct jf_record *r, uint64_t now_ms,
		      uint64_t mono_ms)
{
	struct jf_monitor *m = jf_monitors_by_index(ms, jf_key_monitor(&r->key));

	ms->now_ms = now_ms;
	/* A reload drains a monitor's flows before it lets go of it: a
	 * record always finds its monitor. */
	if (!m) {
		log_err("a flow record of monitor index %u, which no monitor has: %llu packets "
			"not exported", jf_key_monitor(&r->key), (unsigned long long)r->packets);
		return;
	}
	if (m->agg)
		jf_agg_add(m->agg, r, mono_ms);
	else
		to_exporters(ms, m, r);
}

void jf_monitors_nat_event(struct jf_monitors *ms, const struct jf_nat_event *ev,
			   uint64_t now_ms)
{
	int j;

	if (!ms->n)
		return;
	for (j = 0; j < ms->m[0]->n_ex; j++)
		jf_exporter_add_nat_event(ms->m[0]->ex[j].exp, ev, now_ms);
}

void jf_monitors_start(struct jf_monitors *ms, uint64_t now_ms, uint64_t uptime_base_ms)
{
	int i, j;

	ms->started = true;
	ms->now_ms = now_ms;
	ms->uptime_base_ms = uptime_base_ms;
	for (i = 0; i < ms->n; i++)
		for (j = 0; j < ms->m[i]->n_ex; j++)
			jf_exporter_start(ms->m[i]->ex[j].exp, now_ms, uptime_base_ms);
}

/* Loss counters of one monitor (IE 164/165): its losses of IP traffic. */
static void ignored_of(const struct jf_meter_stats *st, uint32_t k, uint64_t *p, uint64_t *o)
{
	int r;

	*p = st->mon[k].capture_drops;
	*o = 0;
	for (r = JF_PKT_NON_IP; r < JF_PKT_REASON_MAX; r++) {
		if (!jf_reason_is_ignored(r))
			continue;
		*p += st->mon[k].packets[r];
		*o += st->mon[k].octets[r];
	}
}

/* Each instance of m: its monitor's loss counters (st NULL: none yet). */
static void set_ignored(struct jf_monitor *m, const struct jf_meter_stats *st)
{
	uint64_t ip = 0, io = 0;
	int j;

	if (st)
		ignored_of(st, m->index, &ip, &io);
	for (j = 0; j < m->n_ex; j++)
		jf_exporter_set_ignored(m->ex[j].exp, ip, io);
}

static void flush_exporters(struct jf_monitors *ms, const struct jf_meter_stats *st,
			    uint64_t now_ms)
{
	int i, j, k;

	for (i = 0; i < ms->n; i++) {
		set_ignored(ms->m[i], st);
		for (j = 0; j < ms->m[i]->n_ex; j++)
			jf_exporter_flush(ms->m[i]->ex[j].exp, now_ms);
	}
	/* Retired instances: their collectors drain, then they go. */
	for (i = 0, k = 0; i < ms->n_retired; i++) {
		jf_exporter_flush(ms->retired[i], now_ms);
		if (!jf_exporter_count(ms->retired[i]))
			jf_exporter_free(ms->retired[i]);
		else
			ms->retired[k++] = ms->retired[i];
	}
	ms->n_retired = k;
}

void jf_monitors_tick(struct jf_monitors *ms, const struct jf_meter_stats *st, uint64_t mono_ms,
		      uint64_t now_ms)
{
	int i;

	ms->now_ms = now_ms;
	for (i = 0; i < ms->n; i++)
		if (ms->m[i]->agg)
			jf_agg_expire(ms->m[i]->agg, mono_ms);
	flush_exporters(ms, st, now_ms);
}

size_t jf_monitors_flush(struct jf_monitors *ms, uint16_t mons, enum jf_end_reason why,
			 uint64_t now_ms)
{
	size_t n = 0;
	int i;

	ms->now_ms = now_ms;
	for (i = 0; i < ms->n; i++)
		if (ms->m[i]->agg && (mons & (1u << ms->m[i]->index)))
			n += jf_agg_flush(ms->m[i]->agg, why);
	return n;
}

/* Every exporter instance, the retired ones too (NULL past the last):
 * *cursor from 0. */
static struct jf_exporter *next_exporter(const struct jf_monitors *ms, int *cursor)
{
	int c = (*cursor)++, i;

	for (i = 0; i < ms->n; i++) {
		if (c < ms->m[i]->n_ex)
			return ms->m[i]->ex[c].exp;
		c -= ms->m[i]->n_ex;
	}
	return c < ms->n_retired ? ms->retired[c] : NULL;
}

void jf_monitors_poll(struct jf_monitors *ms, uint64_t now_ms)
{
	struct jf_exporter *e;
	int c = 0;

	while ((e = next_exporter(ms, &c)))
		jf_exporter_poll(e, now_ms);
}

int jf_monitors_wait_ms(const struct jf_monitors *ms)
{
	struct jf_exporter *e;
	int c = 0, w, wait = -1;

	while ((e = next_exporter(ms, &c))) {
		w = jf_exporter_wait_ms(e);
		if (w >= 0 && (wait < 0 || w < wait))
			wait = w;
	}
	return wait;
}

void jf_monitors_may_wait(struct jf_monitors *ms, int timeout_ms)
{
	struct jf_exporter *e;
	int c = 0;

	while ((e = next_exporter(ms, &c)))
		jf_exporter_may_wait(e, timeout_ms);
}

void jf_monitors_finish(struct jf_monitors *ms, const struct jf_meter_stats *st,
			uint64_t now_ms, int timeout_ms)
{
	int i, j;

	jf_monitors_flush(ms, 0xffff, JF_END_FORCED, now_ms);
	for (i = 0; i < ms->n; i++) {
		set_ignored(ms->m[i], st);
		for (j = 0; j < ms->m[i]->n_ex; j++)
			jf_exporter_finish(ms->m[i]->ex[j].exp, now_ms, timeout_ms);
	}
	for (i = 0; i < ms->n_retired; i++)
		jf_exporter_finish(ms->retired[i], now_ms, timeout_ms);
}

/* --- interface names --- */

static void announce_monitor(struct jf_monitor *m, const struct jf_config *cfg,
			     struct jf_meter *meter)
{
	int i, j, k;

	for (j = 0; j < m->n_ex; j++)
		jf_exporter_clear_ifnames(m->ex[j].exp);
	for (i = 0; i < cfg->n_ifaces; i++) {
		for (k = 0; k < m->conf.n_ifaces; k++)
			if (!strcmp(m->conf.ifaces[k], cfg->ifaces[i]))
				break;
		if (k == m->conf.n_ifaces && m->conf.n_ifaces)
			continue;	/* not one of its interfaces */
		for (j = 0; j < m->n_ex; j++)
			jf_reload_announce_iface(m->ex[j].exp, jf_meter_ifindex(meter, i),
						 cfg->ifaces[i]);
	}
	for (j = 0; j < m->n_ex; j++)
		jf_mirror_add_ifnames(cfg->if_maps, cfg->n_if_maps, m->ex[j].exp);
}

void jf_monitors_announce(struct jf_monitors *ms, const struct jf_config *cfg,
			  struct jf_meter *meter)
{
	int i;

	for (i = 0; i < ms->n; i++)
		announce_monitor(ms->m[i], cfg, meter);
}

void jf_monitors_announce_iface(struct jf_monitors *ms, uint32_t ifindex, const char *name)
{
	int i, j, k;

	for (i = 0; i < ms->n; i++) {
		struct jf_monitor *m = ms->m[i];

		for (k = 0; k < m->conf.n_ifaces; k++)
			if (!strcmp(m->conf.ifaces[k], name))
				break;
		if (k == m->conf.n_ifaces)
			continue;
		for (j = 0; j < m->n_ex; j++)
			jf_reload_announce_iface(m->ex[j].exp, ifindex, name);
	}
}

int jf_monitors_loss_report(struct jf_monitors *ms)
{
	int i, j, lossy = 0;

	for (i = 0; i < ms->n; i++)
		for (j = 0; j < ms->m[i]->n_ex; j++)
			lossy += jf_loss_report(ms->m[i]->ex[j].exp);
	for (i = 0; i < ms->n_retired; i++)
		lossy += jf_loss_report(ms->retired[i]);
	return lossy;
}

void jf_monitor_flow_stats(const struct jf_monitors *ms, const struct jf_monitor *m,
			   const struct jf_flow_cache *cache, const struct jf_meter *meter,
			   struct jf_cache_stats *st)
{
	(void)ms;
	memset(st, 0, sizeof(*st));
	if (cache)
		jf_cache_get_monitor_stats(cache, m->index, st);
	jf_meter_add_flow_stats(meter, (int)m->index, st);
	if (m->agg) {
		struct jf_cache_stats a;

		/* What left the flow state waits in the aggregates; their
		 * records are the monitor's, by their end reasons. */
		jf_agg_get_stats(m->agg, &a);
		st->packets += a.packets;
		st->octets += a.octets;
		st->flows += a.flows;
		memcpy(st->expired, a.expired, sizeof(st->expired));
	}
	/* Exported: what reached its exporters, since it started (an
	 * aggregator a reload replaced included). */
	st->exported_packets = m->handed_packets;
	st->exported_octets = m->handed_octets;
}

void jf_monitors_flow_totals(const struct jf_monitors *ms, const struct jf_flow_cache *cache,
			     const struct jf_meter *meter, struct jf_cache_stats *t)
{
	int i, r;

	memset(t, 0, sizeof(*t));
	if (cache)
		jf_cache_get_stats(cache, t);
	jf_meter_add_flow_stats(meter, -1, t);
	if (!ms || !ms->n)
		return;
	t->packets = t->octets = t->flows = 0;
	t->exported_packets = t->exported_octets = 0;
	memset(t->expired, 0, sizeof(t->expired));
	for (i = 0; i < ms->n; i++) {
		struct jf_cache_stats m;

		jf_monitor_flow_stats(ms, ms->m[i], cache, meter, &m);
		t->packets += m.packets;
		t->octets += m.octets;
		t->flows += m.flows;
		t->exported_packets += m.exported_packets;
		t->exported_octets += m.exported_octets;
		for (r = 0; r <= JF_END_RESOURCES; r++)
			t->expired[r] += m.expired[r];
	}
}

int jf_monitors_templates_now(struct jf_monitors *ms)
{
	int i, j, n = 0;

	for (i = 0; i < ms->n; i++) {
		for (j = 0; j < ms->m[i]->n_ex; j++) {
			jf_exporter_templates_now(ms->m[i]->ex[j].exp);
			n += jf_exporter_count(ms->m[i]->ex[j].exp);
		}
	}
	return n;
}

/* --- reload --- */

struct staged_ex {
	int old;			/* the kept instance's place, -1: new */
	struct jf_mon_export fresh;	/* a new instance (old < 0) */
	struct jf_exporter_params p;	/* (its parameters point into the
					 * configuration and the monitor) */
};

struct staged_mon {
	struct jf_monitor *old;		/* kept, or NULL: added */
	struct jf_monitor *fresh;	/* added */
	struct jf_monitor next;		/* kept: what it becomes (conf,
					 * record, placement; no instance) */
	bool boundary;			/* its flows end: record, sampling,
					 * what it can know, placement */
	struct staged_ex ex[JF_MON_EXPORTERS];
	int n_ex;
};

struct jf_monitors_reload {
	struct staged_mon s[JF_MAX_MONITORS];
	int n;
};

static bool same_record(const struct jf_record_def *a, const struct jf_record_def *b)
{
	int i;

	if (a->n != b->n || strcmp(a->name, b->name) || a->nat_zero != b->nat_zero)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->e[i].ie != b->e[i].ie || a->e[i].len != b->e[i].len ||
		    a->e[i].key != b->e[i].key || a->e[i].prefix != b->e[i].prefix)
			return false;
	return true;
}

/* An index no running monitor has (one a removed monitor had is not
 * taken in the same reload: its flows leave during the apply). */
static int free_index(const struct jf_monitors *ms, const struct jf_monitors_reload *r)
{
	uint16_t used = jf_monitors_mask(ms);
	int i, k;

	for (i = 0; i < r->n; i++)
		if (r->s[i].fresh)
			used |= (uint16_t)(1u << r->s[i].fresh->index);
	for (k = 0; k < JF_MONITORS; k++)
		if (!(used & (1u << k)))
			return k;
	return -1;
}

void jf_monitors_unstage(struct jf_monitors_reload *r)
{
	int i, j;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct staged_mon *s = &r->s[i];

		if (s->fresh) {
			monitor_free(s->fresh);
			continue;
		}
		for (j = 0; j < s->n_ex; j++) {
			if (s->ex[j].old >= 0)
				jf_exporter_unstage(s->old->ex[s->ex[j].old].exp);
			else
				jf_exporter_free(s->ex[j].fresh.exp);
		}
	}
	free(r);
}

/* Whether instance e of a kept monitor carries on for exporter x. */
static bool same_stream(const struct jf_mon_export *e, const struct jf_exporter_conf *x,
			bool domain_changed)
{
	return !domain_changed && e->mtu == x->mtu && e->tcp_buffer == x->tcp_buffer &&
	       e->ipfix_sequence == x->ipfix_sequence && !strcmp(e->source_addr, x->source_addr);
}

static int stage_kept(struct jf_monitors *ms, struct staged_mon *s, const struct jf_config *cfg,
		      const struct jf_monitor_conf *c, char *err, size_t errlen)
{
	struct jf_monitor *o = s->old, *n = &s->next;
	bool dom = o->conf.domain != c->domain;
	char why[512];
	int i, j;

	*n = *o;
	n->conf = *c;
	n->record = *jf_config_record(cfg, c);
	n->unmet = jf_needs_unmet(cfg, c);
	n->n_ex = 0;
	placement(n);
	s->boundary = !same_record(&o->record, &n->record) || o->unmet != n->unmet ||
		      o->conf.sample_rate != c->sample_rate || o->agent != n->agent ||
		      o->program_mask != n->program_mask;
	for (i = 0; i < c->n_exporters; i++) {
		const struct jf_exporter_conf *x = jf_config_exporter(cfg, c->exporters[i]);
		struct staged_ex *se = &s->ex[i];

		se->old = -1;
		for (j = 0; j < o->n_ex; j++)
			if (!strcmp(o->ex[j].name, x->name) && same_stream(&o->ex[j], x, dom))
				se->old = j;
		exporter_params(cfg, o, x, ms->replay, &se->p);
		se->p.domain = c->domain;
		se->p.sample_rate = c->sample_rate;
		se->p.active_ms = c->active_ms;
		se->p.idle_ms = c->idle_ms;
		se->p.record = &o->record;	/* updated in place by the apply */
		se->p.unmet = n->unmet;
		se->p.relayout = s->boundary && !same_record(&o->record, &n->record);
		s->n_ex = i + 1;
		if (se->old >= 0) {
			if (jf_exporter_stage(o->ex[se->old].exp, &se->p, why, sizeof(why)))
				goto fail;
			continue;
		}
		memset(&se->fresh, 0, sizeof(se->fresh));
		snprintf(se->fresh.name, sizeof(se->fresh.name), "%s", x->name);
		se->fresh.mtu = x->mtu;
		se->fresh.tcp_buffer = x->tcp_buffer;
		se->fresh.ipfix_sequence = x->ipfix_sequence;
		snprintf(se->fresh.source_addr, sizeof(se->fresh.source_addr), "%s",
			 x->source_addr);
		se->p.relayout = false;
		se->fresh.exp = jf_exporter_new(&se->p, why, sizeof(why));
		if (!se->fresh.exp) {
			s->n_ex = i;
			goto fail;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "monitor %s: %s", o->name, why);
	return -1;
}

int jf_monitors_stage(struct jf_monitors *ms, const struct jf_config *cfg,
		      struct jf_monitors_reload **out, char *err, size_t errlen)
{
	struct jf_monitors_reload *r = calloc(1, sizeof(*r));
	int i, k;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < cfg->n_monitors; i++) {
		const struct jf_monitor_conf *c = &cfg->monitors[i];
		struct staged_mon *s = &r->s[i];

		r->n = i + 1;
		s->old = jf_monitors_find(ms, c->name);
		if (s->old) {
			if (stage_kept(ms, s, cfg, c, err, errlen))
				goto fail;
			continue;
		}
		k = free_index(ms, r);
		if (k < 0) {
			snprintf(err, errlen, "monitor %s: no free monitor index while removed "
				 "monitors' flows leave (at most %d)", c->name, JF_MONITORS);
			goto fail;
		}
		s->fresh = monitor_new(ms, cfg, c, (uint32_t)k, err, errlen);
		if (!s->fresh)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	jf_monitors_unstage(r);
	return -1;
}

/* An instance let go of: its collectors leave, draining their queues. */
static void retire(struct jf_monitors *ms, struct jf_exporter *e, uint64_t now_ms,
		   int drain_ms)
{
	struct jf_exporter_params none;

	memset(&none, 0, sizeof(none));
	jf_exporter_unstage(e);
	jf_exporter_apply(e, &none, now_ms, drain_ms);
	if (ms->n_retired < MAX_RETIRED)
		ms->retired[ms->n_retired++] = e;
	else
		jf_exporter_free(e);
}

int jf_monitors_apply(struct jf_monitors *ms, struct jf_monitors_reload *r,
		      const struct jf_config *cfg, struct jf_meter *meter,
		      struct jf_flow_cache *cache, uint64_t mono_ms, uint64_t now_ms,
		      int drain_ms, char *msg, size_t msglen)
{
	struct jf_monitor *next[JF_MAX_MONITORS];
	struct jf_meter_params mp;
	uint16_t removed = 0, ended = 0;
	int i, j, rc, added = 0, changed = 0, n_removed = 0;
	bool kept_old[JF_MAX_MONITORS] = { false };
	size_t flushed = 0;

	ms->now_ms = now_ms;
	/* 1. The meter by the new monitors: their keys, rates and interfaces
	 * from now on; what it metered before is drained into the cache and
	 * its table. (The new monitors' meter parameters, from a list of
	 * what each monitor becomes.) */
	for (i = 0; i < r->n; i++)
		next[i] = r->s[i].fresh ? r->s[i].fresh : &r->s[i].next;
	{
		struct jf_monitors view = { .n = r->n };

		memcpy(view.m, next, sizeof(next[0]) * (size_t)r->n);
		jf_config_meter_params(cfg, &mp);
		jf_monitors_meter_params(&view, cfg, &mp);
	}
	for (j = 0; j < ms->n; j++) {
		for (i = 0; i < r->n; i++)
			if (r->s[i].old == ms->m[j])
				kept_old[j] = true;
		if (!kept_old[j])
			removed |= (uint16_t)(1u << ms->m[j]->index);
	}
	for (i = 0; i < r->n; i++)
		if (r->s[i].old && r->s[i].boundary)
			ended |= (uint16_t)(1u << r->s[i].old->index);
	rc = jf_meter_set_monitors(meter, &mp, mono_ms);
	if (rc) {
		jf_monitors_unstage(r);
		snprintf(msg, msglen, "reload failed: the meter's drain: %s", strerror(-rc));
		return rc;
	}

	/* 2. Flows of removed monitors, and of monitors whose record,
	 * sampling or view changed, leave now with the old settings: their
	 * old exporters' templates and options announce them. */
	if (removed | ended) {
		flushed += jf_meter_flush(meter, removed | ended, mono_ms, JF_END_FORCED);
		if (cache)
			flushed += jf_cache_flush_monitors(cache, removed | ended, JF_END_FORCED);
		rc = jf_meter_remove_monitors(meter, removed, mono_ms);
		flushed += jf_monitors_flush(ms, removed | ended, JF_END_FORCED, now_ms);
		flush_exporters(ms, NULL, now_ms);
		if (rc) {
			jf_monitors_unstage(r);
			snprintf(msg, msglen, "reload failed: the meter's table: %s", strerror(-rc));
			return rc;
		}
	}

	/* 3. Removed monitors: their instances drain and go. */
	for (j = 0; j < ms->n; j++) {
		if (kept_old[j])
			continue;
		for (i = 0; i < ms->m[j]->n_ex; i++)
			retire(ms, ms->m[j]->ex[i].exp, now_ms, drain_ms);
		ms->m[j]->n_ex = 0;
		log_info("monitor %s: removed by reload", ms->m[j]->name);
		monitor_free(ms->m[j]);
		n_removed++;
	}

	/* 4. Kept monitors take their new settings and instances; added
	 * ones start. */
	for (i = 0; i < r->n; i++) {
		struct staged_mon *s = &r->s[i];
		struct jf_monitor *o = s->old;
		struct jf_mon_export ex[JF_MON_EXPORTERS];
		bool agg_changed;

		if (s->fresh) {
			for (j = 0; j < s->fresh->n_ex; j++)
				if (ms->started)
					jf_exporter_start(s->fresh->ex[j].exp, now_ms,
							  ms->uptime_base_ms);
			log_info("monitor %s: added by reload (record %s)", s->fresh->name,
				 s->fresh->record.name);
			next[i] = s->fresh;
			s->fresh = NULL;
			added++;
			continue;
		}
		agg_changed = o->agent != s->next.agent;
		if (o->conf.sample_rate != s->next.conf.sample_rate)
			log_info("monitor %s: sampling 1 in %u -> 1 in %u: its flows metered at "
				 "the old rate exported", o->name, o->conf.sample_rate,
				 s->next.conf.sample_rate);
		if (!same_record(&o->record, &s->next.record) &&
		    strcmp(o->record.name, s->next.record.name))
			log_info("monitor %s: record %s -> %s: its flows exported, new ones keyed "
				 "by the new record", o->name, o->record.name, s->next.record.name);
		else if (!same_record(&o->record, &s->next.record))
			log_info("monitor %s: record %s changed: its flows exported, new ones "
				 "keyed by the new definition", o->name, o->record.name);
		o->conf = s->next.conf;
		o->record = s->next.record;
		o->unmet = s->next.unmet;
		o->agent = s->next.agent;
		o->program_mask = s->next.program_mask;
		if (agg_changed || (o->agg && s->boundary)) {
			jf_agg_free(o->agg);	/* flushed above */
			o->agg = NULL;
			if (o->agent) {
				struct jf_agg_params ap = {
					.record = &o->record, .unmet = o->unmet,
					.idle_ms = o->conf.idle_ms, .active_ms = o->conf.active_ms,
					.max = ms->max_flows,
				};

				/* Out of memory: merged as before, not lost. */
				o->agg = jf_agg_new(&ap, emit_agg, ms);
				if (!o->agg)
					log_err("monitor %s: aggregates: out of memory", o->name);
			}
		}
		/* Instances: kept ones apply their staged parameters, the
		 * others are retired, new ones join (absent: what the
		 * monitor exported before them). */
		for (j = 0; j < s->n_ex; j++) {
			struct staged_ex *se = &s->ex[j];

			if (se->old >= 0) {
				ex[j] = o->ex[se->old];
				jf_exporter_apply(ex[j].exp, &se->p, now_ms, drain_ms);
				o->ex[se->old].exp = NULL;
			} else {
				ex[j] = se->fresh;
				se->fresh.exp = NULL;
				jf_exporter_set_absent(ex[j].exp, o->handed_packets);
				if (ms->started)
					jf_exporter_start(ex[j].exp, now_ms, ms->uptime_base_ms);
			}
		}
		for (j = 0; j < o->n_ex; j++)
			if (o->ex[j].exp)
				retire(ms, o->ex[j].exp, now_ms, drain_ms);
		memcpy(o->ex, ex, sizeof(ex[0]) * (size_t)s->n_ex);
		o->n_ex = s->n_ex;
		next[i] = o;
		changed += s->boundary;
	}
	memcpy(ms->m, next, sizeof(next[0]) * (size_t)r->n);
	ms->n = r->n;
	free(r);
	jf_monitors_set_timeouts(ms, cache, meter);
	snprintf(msg, msglen, "%d monitors (%d added, %d removed, %d with new records or "
		 "sampling: %zu flows ended)", ms->n, added, n_removed, changed, flushed);
	return 0;
}
