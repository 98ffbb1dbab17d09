// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket's commands: one request line in, the answer ("ok"
 * and the body, or "error: REASON") out; a flow listing in steps. The
 * socket itself, and how the answer travels, are src/service/control.c's. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/control.h"
#include "service/control_cmds.h"
#include "export/exporter.h"
#include "flow/aggregate.h"
#include "flow/fields.h"
#include "flow/flow_cache.h"
#include "flow/flow_hash.h"
#include "flow/records.h"
#include "jflowd/monitor.h"
#include "service/monitors.h"

/* --- flows --- */

struct flow_row {
	struct jf_key key;
	struct jf_flow f;
};

static int by_octets(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	if (x->f.octets != y->f.octets)
		return x->f.octets < y->f.octets ? 1 : -1;
	return x->f.packets < y->f.packets ? 1 : x->f.packets > y->f.packets ? -1 : 0;
}

static int by_packets(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	if (x->f.packets != y->f.packets)
		return x->f.packets < y->f.packets ? 1 : -1;
	return x->f.octets < y->f.octets ? 1 : x->f.octets > y->f.octets ? -1 : 0;
}

static void addr_str(const struct jf_key *k, const uint32_t *a, char *out, size_t n)
{
	if (k->family == JF_FAMILY_IPV6)
		inet_ntop(AF_INET6, a, out, (socklen_t)n);
	else
		inet_ntop(AF_INET, a, out, (socklen_t)n);
}

/* IANA protocol numbers as nfdump and tcpdump name them; without
 * /etc/protocols, which a minimal system lacks. */
static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmp6";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

static bool is_icmp(const struct jf_key *k)
{
	return k->proto == 1 || k->proto == 58;
}

/* The OR of TCP flags as nfdump shows them: CWR ECE URG ACK PSH RST SYN
 * FIN, a letter where set, '.' where not. */
static void tcp_flags_str(uint8_t flags, char out[9])
{
	static const char letters[] = "CEUAPRSF";
	int i;

	for (i = 0; i < 8; i++)
		out[i] = flags & (0x80 >> i) ? letters[i] : '.';
	out[8] = '\0';
}

/* The packet-key elements of a monitor's record: its flows' columns. */
static int key_columns(const struct jf_monitor *m, const struct jf_record_elem **cols, int max)
{
	int i, n = 0;

	for (i = 0; i < m->record.n && n < max; i++)
		if (m->record.e[i].key && m->record.e[i].ie->src == JF_SRC_PACKET)
			cols[n++] = &m->record.e[i];
	return n;
}

static int col_width(const struct jf_ie_def *e)
{
	int w = e->type == JF_IET_IPV6 ? 43 : e->type == JF_IET_IPV4 ? 18 : 8;
	int n = (int)strlen(e->name);

	return n > w ? n : w;
}

/* The monitor --monitor names (NULL: none given); -1 with the error
 * written when no monitor has that name. */
static int req_monitor(const struct jf_control_env *env, const struct jf_ctl_req *req,
		       struct jf_monitor **mon, FILE *f)
{
	int i;

	*mon = NULL;
	if (!req->monitor[0])
		return 0;
	*mon = env->mons ? jf_monitors_find(env->mons, req->monitor) : NULL;
	if (*mon)
		return 0;
	fprintf(f, "error: %s: no monitor named %s (monitors:", req->cmd->name, req->monitor);
	for (i = 0; i < jf_monitors_count(env->mons); i++)
		fprintf(f, " %s", jf_monitors_at(env->mons, i)->name);
	fprintf(f, ")\n");
	return -1;
}

static const char *mon_name(const struct jf_control_env *env, const struct jf_key *k)
{
	const struct jf_monitor *m = env->mons ? jf_monitors_by_index(env->mons,
								   jf_key_monitor(k)) : NULL;

	return m ? m->name : "?";
}

/* A flow listing, produced in steps as the client takes it (control.c):
 * the cache's slots, then the meter's, each walked with a cursor.
 * Every monitor's flows by the packet's key: unsorted, a row is written
 * as its slot is visited; sorted, a heap keeps the best rows (--top N,
 * else up to JF_CTL_SORT_MAX), written once the walk ends. One monitor's
 * (--monitor NAME) by its record's key: each flow's key masked to the
 * record's, equal keys merged into one row (a flow metered whole and
 * merged in the agent at export; the same flow in the cache and the
 * kernel's table), the monitor's aggregates added, at most
 * JF_CTL_SORT_MAX rows, written once the walk ends. Its memory is
 * bounded whatever the number of flows. */
#define STEP_SLOTS 4096		/* slots a sorted listing visits per step */
#define STEP_ROWS 256		/* rows written per step at most (about 40 KB) */
#define MERGE_SLOTS (2 * JF_CTL_SORT_MAX)	/* a monitor's rows' hash index */

enum { LS_CACHE, LS_METER, LS_AGG, LS_ROWS };

struct jf_control_listing {
	const struct jf_control_env *env;
	FILE *f;
	int (*cmp)(const void *, const void *);	/* NULL: unsorted */
	bool json;
	bool top;		/* --top given: the best `keep`, nothing said of the rest */
	bool many;		/* several monitors: a monitor column */
	int phase;
	uint64_t cursor;
	uint64_t seen;		/* flows visited */
	uint64_t rows;		/* rows written */
	struct flow_row *heap;	/* sorted: its root sorts last; merged: the rows */
	size_t keep, n, next;
	/* --monitor: the monitor, its key columns and masks, the merged
	 * rows' index (row + 1; 0 empty) and how many keys found no row. */
	const struct jf_monitor *mon;
	const struct jf_record_elem *cols[JF_RECORD_MAX_ELEMS];
	int nc;
	struct jf_key masks[2][2];
	uint32_t *index;
	uint64_t unmerged;
};

void jf_control_listing_free(struct jf_control_listing *l)
{
	if (!l)
		return;
	free(l->heap);
	free(l->index);
	free(l);
}

static void flows_header(const struct jf_control_listing *l)
{
	int c;

	if (l->json) {
		fprintf(l->f, "[");
		return;
	}
	if (l->mon) {
		for (c = 0; c < l->nc; c++)
			fprintf(l->f, "%-*s ", col_width(l->cols[c]->ie), l->cols[c]->ie->name);
		fprintf(l->f, "%12s %16s %8s\n", "packets", "octets", "seconds");
		return;
	}
	fprintf(l->f, "%s%-7s %-39s %5s  %-39s %5s %7s %12s %16s %8s %8s\n",
		l->many ? "monitor          " : "", "proto", "source", "sport", "destination",
		"dport", "ifindex", "packets", "octets", "seconds", "flags");
}

static void flows_footer(const struct jf_control_listing *l)
{
	if (l->json)
		fprintf(l->f, "%s]\n", l->rows ? "\n" : "");
}

/* A row of one monitor's listing: its record's key, column by element
 * name (the vocabulary's, src/flow/fields.c). */
static void record_row_print(const struct jf_control_listing *l, const struct jf_key *k,
			     const struct jf_flow *fl)
{
	FILE *f = l->f;
	char v[80];
	int c;

	if (l->json)
		fprintf(f, "%s\n {\"monitor\":\"%s\"", l->rows ? "," : "", l->mon->name);
	for (c = 0; c < l->nc; c++) {
		const struct jf_ie_def *ie = l->cols[c]->ie;

		jf_ie_format_key(ie, k, l->cols[c]->prefix, v, sizeof(v));
		if (l->json && *v)
			fprintf(f, ie->type == JF_IET_IPV4 || ie->type == JF_IET_IPV6
					   ? ",\"%s\":\"%s\"" : ",\"%s\":%s", ie->name, v);
		else if (!l->json)
			fprintf(f, "%-*s ", col_width(ie), *v ? v : "-");
	}
	if (l->json)
		fprintf(f, ",\"packets\":%llu,\"octets\":%llu,\"first_ms\":%llu,\"last_ms\":%llu}",
			(unsigned long long)fl->packets, (unsigned long long)fl->octets,
			(unsigned long long)fl->first_ms, (unsigned long long)fl->last_ms);
	else
		fprintf(f, "%12llu %16llu %8.3f\n", (unsigned long long)fl->packets,
			(unsigned long long)fl->octets, (double)(fl->last_ms - fl->first_ms) / 1000.0);
}

/* A row of the listing of every monitor's flows, by the packet's key. */
static void flow_row_print(const struct jf_control_listing *l, const struct jf_key *k,
			   const struct jf_flow *fl)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], proto[8], dport[8], flags[9];
	double secs = (double)(fl->last_ms - fl->first_ms) / 1000.0;
	const char *pn = proto_name(k->proto);
	FILE *f = l->f;

	addr_str(k, k->src, src, sizeof(src));
	addr_str(k, k->dst, dst, sizeof(dst));
	tcp_flags_str(k->proto == 6 ? fl->tcp_flags : 0, flags);
	if (l->json) {
		fprintf(f, "%s\n {\"monitor\":\"%s\",\"proto\":%u,\"proto_name\":\"%s\","
			"\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,",
			l->rows ? "," : "", mon_name(l->env, k), k->proto, pn ? pn : "", src,
			k->sport, dst, k->dport);
		if (is_icmp(k))
			fprintf(f, "\"icmp_type\":%u,\"icmp_code\":%u,", k->dport >> 8,
				k->dport & 0xff);
		fprintf(f, "\"ifindex\":%u,\"vlan\":%u,\"packets\":%llu,\"octets\":%llu,"
			"\"first_ms\":%llu,\"last_ms\":%llu,\"tcp_flags\":%u}", k->ifindex,
			k->vlan, (unsigned long long)fl->packets, (unsigned long long)fl->octets,
			(unsigned long long)fl->first_ms, (unsigned long long)fl->last_ms,
			k->proto == 6 ? fl->tcp_flags : 0);
		return;
	}
	snprintf(proto, sizeof(proto), "%s", pn ? pn : "");
	if (!pn)
		snprintf(proto, sizeof(proto), "%u", k->proto);
	/* ICMP: the type and code the key keeps in the destination port. */
	if (is_icmp(k))
		snprintf(dport, sizeof(dport), "%u.%u", k->dport >> 8, k->dport & 0xff);
	else
		snprintf(dport, sizeof(dport), "%u", k->dport);
	if (l->many)
		fprintf(f, "%-16s ", mon_name(l->env, k));
	fprintf(f, "%-7s %-39s %5u  %-39s %5s %7u %12llu %16llu %8.3f %8s\n", proto, src,
		k->sport, dst, dport, k->ifindex, (unsigned long long)fl->packets,
		(unsigned long long)fl->octets, secs, k->proto == 6 ? flags : "-");
}

static void row_print(struct jf_control_listing *l, const struct jf_key *k,
		      const struct jf_flow *fl)
{
	if (l->mon)
		record_row_print(l, k, fl);
	else
		flow_row_print(l, k, fl);
	l->rows++;
}

static void heap_down(struct jf_control_listing *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, w = i;
		struct flow_row t;

		if (c < l->n && l->cmp(&l->heap[c], &l->heap[w]) > 0)
			w = c;
		if (c + 1 < l->n && l->cmp(&l->heap[c + 1], &l->heap[w]) > 0)
			w = c + 1;
		if (w == i)
			return;
		t = l->heap[i];
		l->heap[i] = l->heap[w];
		l->heap[w] = t;
		i = w;
	}
}

static void heap_offer(struct jf_control_listing *l, const struct flow_row *r)
{
	size_t i;

	if (l->n < l->keep) {
		/* Up: a parent sorts after its children. */
		for (i = l->n++; i && l->cmp(&l->heap[(i - 1) / 2], r) < 0; i = (i - 1) / 2)
			l->heap[i] = l->heap[(i - 1) / 2];
		l->heap[i] = *r;
		return;
	}
	if (l->cmp(r, &l->heap[0]) >= 0)
		return;		/* sorts after every row kept */
	l->heap[0] = *r;
	heap_down(l, 0);
}

/* One monitor's flow into its row: the key masked to the record's, added
 * to the row of that key (a new row while there is room). */
static void merge_row(struct jf_control_listing *l, const struct jf_key *key,
		      const struct jf_flow *f)
{
	struct jf_key k = *key;
	uint32_t h;
	struct flow_row *to;

	jf_key_mask_apply(&k, &l->masks[k.family == JF_FAMILY_IPV6]
				       [(k.flags & JF_KEY_EGRESS) ? 1 : 0]);
	for (h = jf_flow_hash(&k) % MERGE_SLOTS; l->index[h]; h = (h + 1) % MERGE_SLOTS)
		if (!memcmp(&l->heap[l->index[h] - 1].key, &k, sizeof(k)))
			break;
	if (!l->index[h]) {
		if (l->n == JF_CTL_SORT_MAX) {
			l->unmerged++;
			return;
		}
		l->heap[l->n].key = k;
		l->heap[l->n].f = *f;
		l->index[h] = (uint32_t)++l->n;
		return;
	}
	to = &l->heap[l->index[h] - 1];
	to->f.packets += f->packets;
	to->f.octets += f->octets;
	to->f.tcp_flags |= f->tcp_flags;
	if (f->first_ms < to->f.first_ms)
		to->f.first_ms = f->first_ms;
	if (f->last_ms > to->f.last_ms)
		to->f.last_ms = f->last_ms;
}

static void listing_visit(const struct jf_key *key, const struct jf_flow *f, void *arg)
{
	struct jf_control_listing *l = arg;
	struct flow_row r;

	if (l->mon) {
		/* The cache and the table hold every monitor's flows; the
		 * aggregator only this one's. */
		if (l->phase != LS_AGG && jf_key_monitor(key) != l->mon->index)
			return;
		l->seen++;
		merge_row(l, key, f);
		return;
	}
	l->seen++;
	if (!l->cmp) {
		row_print(l, key, f);
		return;
	}
	r.key = *key;
	r.f = *f;
	heap_offer(l, &r);
}

/* The walk is over: sorted or merged rows are checked, ordered and their
 * first lines written; true when the answer ended there. */
static bool listing_walked(struct jf_control_listing *l)
{
	if (l->mon && l->unmerged) {
		fprintf(l->f, "error: flows: monitor %s has more than %u rows by its record's key "
			"(%llu flows left out); list its flows without --monitor\n", l->mon->name,
			JF_CTL_SORT_MAX, (unsigned long long)l->unmerged);
		return true;
	}
	if (!l->mon && !l->top && l->seen > l->keep) {
		fprintf(l->f, "error: flows: %llu flows to sort, at most %u can be: add "
			"--top N (N <= %u), or list them unsorted\n", (unsigned long long)l->seen,
			JF_CTL_SORT_MAX, JF_CTL_SORT_MAX);
		return true;
	}
	if (l->cmp)
		qsort(l->heap, l->n, sizeof(*l->heap), l->cmp);
	if (l->mon && l->keep && l->n > l->keep)
		l->n = l->keep;
	fprintf(l->f, "ok\n");
	flows_header(l);
	l->phase = LS_ROWS;
	return false;
}

bool jf_control_listing_step(struct jf_control_listing *l)
{
	const struct jf_control_env *env = l->env;
	/* Unsorted, a slot visited may be a row written. */
	size_t step = l->cmp || l->mon ? STEP_SLOTS : STEP_ROWS;

	switch (l->phase) {
	case LS_CACHE:
		if (jf_cache_foreach_from(env->cache, &l->cursor, step, listing_visit, l)) {
			l->phase = LS_METER;
			l->cursor = 0;
		}
		return false;
	case LS_METER:
		if (env->foreach_more &&
		    !env->foreach_more(&l->cursor, step, listing_visit, l, env->arg))
			return false;
		l->phase = LS_AGG;
		if (!l->cmp && !l->mon) {
			flows_footer(l);
			return true;
		}
		/* The monitor's aggregates: bounded by its aggregator. */
		if (l->mon && l->mon->agg)
			jf_agg_foreach(l->mon->agg, listing_visit, l);
		return listing_walked(l);
	default: {
		size_t end = l->next + STEP_ROWS < l->n ? l->next + STEP_ROWS : l->n;

		for (; l->next < end; l->next++)
			row_print(l, &l->heap[l->next].key, &l->heap[l->next].f);
		if (l->next < l->n)
			return false;
		flows_footer(l);
		return true;
	}
	}
}

/* A new listing, its first lines written (unsorted, every monitor: "ok"
 * and the header; otherwise they wait for the walk). NULL with the error
 * line written. */
static struct jf_control_listing *cmd_flows(const struct jf_control_env *env,
					    const struct jf_ctl_req *req, FILE *f)
{
	struct jf_control_listing *l;
	struct jf_monitor *mon;
	int fam, eg;

	if (req_monitor(env, req, &mon, f))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l && req->sort)
		l->cmp = req->sort == JF_CTL_SORT_PACKETS ? by_packets : by_octets;
	if (l && (req->sort || mon)) {
		l->keep = req->top ? req->top : mon ? 0 : JF_CTL_SORT_MAX;
		l->heap = malloc((mon ? JF_CTL_SORT_MAX : l->keep) * sizeof(*l->heap));
	}
	if (l && mon)
		l->index = calloc(MERGE_SLOTS, sizeof(*l->index));
	if (!l || ((req->sort || mon) && !l->heap) || (mon && !l->index)) {
		jf_control_listing_free(l);
		fprintf(f, "error: out of memory\n");
		return NULL;
	}
	l->env = env;
	l->f = f;
	l->json = req->json;
	l->top = req->top != 0;
	l->many = jf_monitors_count(env->mons) > 1;
	l->mon = mon;
	if (mon) {
		l->nc = key_columns(mon, l->cols, JF_RECORD_MAX_ELEMS);
		for (fam = 0; fam < 2; fam++)
			for (eg = 0; eg < 2; eg++)
				jf_record_key_mask(&mon->record, fam ? JF_FAMILY_IPV6 : JF_FAMILY_IPV4,
						   eg, &l->masks[fam][eg]);
	}
	if (!l->cmp && !l->mon) {
		fprintf(f, "ok\n");
		flows_header(l);
	}
	return l;
}

/* --- collectors --- */

static void cmd_collectors(const struct jf_control_env *env, const struct jf_ctl_req *req,
			   FILE *f)
{
	struct jf_monitor *mon;
	int i, j, k, n = 0;

	if (req_monitor(env, req, &mon, f))
		return;
	fprintf(f, "ok\n");
	if (req->json)
		fprintf(f, "[");
	else
		fprintf(f, "%-40s %-9s %-11s %12s %14s %12s %14s %10s %12s %-16s %s\n",
			"collector", "protocol", "state", "records", "packets", "dropped_rec",
			"dropped_pkts", "queued_rec", "refused_rec", "monitor", "exporter");
	for (k = 0; k < jf_monitors_count(env->mons); k++) {
		const struct jf_monitor *m = jf_monitors_at(env->mons, k);

		if (mon && mon != m)
			continue;
		for (j = 0; j < m->n_ex; j++) {
			const struct jf_exporter *e = m->ex[j].exp;

			for (i = 0; i < jf_exporter_count(e); i++) {
				struct jf_collector_stats st;

				jf_exporter_stats(e, i, &st);
				if (!req->json) {
					fprintf(f, "%-40s %-9s %-11s %12llu %14llu %12llu %14llu %10llu "
						"%12llu %-16s %s\n", jf_exporter_name(e, i),
						jf_exporter_proto(e, i), st.state,
						(unsigned long long)st.records,
						(unsigned long long)st.packets,
						(unsigned long long)st.dropped_records,
						(unsigned long long)st.dropped_packets,
						(unsigned long long)st.queued_records,
						(unsigned long long)st.refused_records, m->name,
						m->ex[j].name);
					continue;
				}
				fprintf(f, "%s\n {\"collector\":\"%s\",\"protocol\":\"%s\","
					"\"monitor\":\"%s\",\"exporter\":\"%s\",\"state\":\"%s\","
					"\"messages\":%llu,\"records\":%llu,\"packets\":%llu,"
					"\"octets\":%llu,\"dropped_records\":%llu,"
					"\"dropped_packets\":%llu,\"queued_records\":%llu,"
					"\"refused\":%llu,\"refused_records\":%llu,"
					"\"refused_packets\":%llu,\"send_errors\":%llu,"
					"\"connects\":%llu,\"reconnects\":%llu}", n++ ? "," : "",
					jf_exporter_name(e, i), jf_exporter_proto(e, i), m->name,
					m->ex[j].name, st.state, (unsigned long long)st.messages,
					(unsigned long long)st.records, (unsigned long long)st.packets,
					(unsigned long long)st.octets,
					(unsigned long long)st.dropped_records,
					(unsigned long long)st.dropped_packets,
					(unsigned long long)st.queued_records,
					(unsigned long long)st.refused,
					(unsigned long long)st.refused_records,
					(unsigned long long)st.refused_packets,
					(unsigned long long)st.send_errors,
					(unsigned long long)st.connects,
					(unsigned long long)st.reconnects);
			}
		}
	}
	if (req->json)
		fprintf(f, "%s]\n", n ? "\n" : "");
}

/* --- stats --- */

/* One sample line of the metrics text, name{a="x",b="y"} value, as a JSON
 * object (the label values are escaped the Prometheus way, which JSON
 * reads alike: \\ \" \n). */
static void sample_json(FILE *f, char *line, bool first)
{
	char *brace = strchr(line, '{'), *value = strrchr(line, ' ');

	if (!value)
		return;
	*value++ = '\0';
	fprintf(f, "%s\n {\"name\":\"%.*s\",\"labels\":{", first ? "" : ",",
		(int)(brace ? brace - line : (long)strlen(line)), line);
	if (brace) {
		char *p = brace + 1;
		bool any = false;

		while (*p && *p != '}') {
			char *eq = strchr(p, '='), *q;

			if (!eq || eq[1] != '"')
				break;
			/* The closing quote: the first one not escaped. */
			for (q = eq + 2; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
			fprintf(f, "%s\"%.*s\":\"%.*s\"", any ? "," : "", (int)(eq - p), p,
				(int)(q - eq - 2), eq + 2);
			any = true;
			p = *q ? q + 1 : q;
			if (*p == ',')
				p++;
		}
	}
	fprintf(f, "},\"value\":%s}", value);
}

/* The metrics without their comments: one "name{labels} value" a line,
 * or a JSON array of {name, labels, value}. */
static void cmd_stats(const struct jf_control_env *env, const struct jf_ctl_req *req, FILE *f)
{
	char *text = NULL, *line, *save = NULL, want[JF_CTL_MONITOR_MAX + 16] = "";
	size_t len = 0;
	struct jf_monitor *mon;
	bool first = true;
	FILE *m;

	if (req_monitor(env, req, &mon, f))
		return;
	if (mon)	/* its series alone */
		snprintf(want, sizeof(want), "monitor=\"%s\"", mon->name);
	m = open_memstream(&text, &len);
	if (!m) {
		fprintf(f, "error: out of memory\n");
		return;
	}
	env->stats(m, env->arg);
	fclose(m);
	fprintf(f, "ok\n%s", req->json ? "[" : "");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || (*want && !strstr(line, want)))
			continue;
		if (req->json) {
			sample_json(f, line, first);
			first = false;
		} else {
			fprintf(f, "%s\n", line);
		}
	}
	if (req->json)
		fprintf(f, "%s]\n", first ? "" : "\n");
	free(text);
}

struct jf_control_listing *jf_control_run(const struct jf_control_env *env, const char *line,
					  FILE *f)
{
	char buf[JF_CONTROL_LINE_MAX], *argv[16], *save = NULL, *tok, err[256], msg[1024];
	struct jf_ctl_req req;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " \t\r\n", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (jf_ctl_parse(argc, argv, &req, err, sizeof(err))) {
		fprintf(f, "error: %s (see jflowctl --help)\n", err);
		return NULL;
	}
	switch (req.cmd->id) {
	case JF_CTL_STATS:
		cmd_stats(env, &req, f);
		break;
	case JF_CTL_FLOWS:
		return cmd_flows(env, &req, f);
	case JF_CTL_COLLECTORS:
		cmd_collectors(env, &req, f);
		break;
	case JF_CTL_CONFIG:
		fprintf(f, "ok\n");
		env->config(f, req.json, env->arg);
		break;
	case JF_CTL_EXPIRE: {
		struct jf_monitor *mon;

		if (req_monitor(env, &req, &mon, f))
			break;
		fprintf(f, "ok\n%zu flows exported\n",
			env->expire(env->arg, mon ? (uint16_t)(1u << mon->index) : (uint16_t)0xffff));
		break;
	}
	case JF_CTL_RELOAD:
		if (env->reload(env->arg, msg, sizeof(msg)))
			fprintf(f, "error: %s\n", msg);
		else
			fprintf(f, "ok\n%s\n", msg);
		break;
	case JF_CTL_SEND_TEMPLATE:
		fprintf(f, "ok\ntemplates and options sent to %d collectors\n",
			env->send_templates(env->arg));
		break;
	case JF_CTL_SHUTDOWN:
		env->shutdown(env->arg);
		fprintf(f, "ok\nstopping: exporting every flow\n");
		break;
	case JF_CTL_BGP:
		if (!env->bgp) {
			fprintf(f, "error: bgp: no BGP source (start jflowd with bmp-listen or "
				"as-file)\n");
			break;
		}
		fprintf(f, "ok\n");
		env->bgp(f, env->arg);
		break;
	}
	return NULL;
}
