// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket's commands: one request line in, the answer ("ok"
 * and the body, or "error: REASON") out. The socket itself, and how the
 * answer travels, are src/service/control.c's. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/control.h"
#include "service/control_cmds.h"
#include "export/exporter.h"
#include "flow/flow_cache.h"

/* --- flows --- */

struct flow_row {
	struct jf_key key;
	struct jf_flow f;
};

struct flow_list {
	struct flow_row *rows;
	size_t n, cap;
};

static void collect(const struct jf_key *key, const struct jf_flow *f, void *arg)
{
	struct flow_list *l = arg;

	if (l->n == l->cap) {
		/* The meter's flows come on top of the cache's counted ones. */
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct flow_row *r = realloc(l->rows, cap * sizeof(*r));

		if (r) {
			l->rows = r;
			l->cap = cap;
		}
	}
	if (l->n < l->cap) {
		l->rows[l->n].key = *key;
		l->rows[l->n].f = *f;
		l->n++;
	}
}

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

static void cmd_flows(const struct jf_control_env *env, const struct jf_ctl_req *req, FILE *f)
{
	struct jf_cache_stats cs;
	struct flow_list l = { 0 };
	size_t i;

	jf_cache_get_stats(env->cache, &cs);
	l.cap = cs.flows;
	l.rows = l.cap ? calloc(l.cap, sizeof(*l.rows)) : NULL;
	if (l.cap && !l.rows) {
		fprintf(f, "error: out of memory\n");
		return;
	}
	jf_cache_foreach(env->cache, collect, &l);
	if (env->foreach_more)
		env->foreach_more(collect, &l, env->arg);
	if (req->sort)
		qsort(l.rows, l.n, sizeof(*l.rows),
		      req->sort == JF_CTL_SORT_PACKETS ? by_packets : by_octets);
	if (req->top && req->top < l.n)
		l.n = req->top;
	fprintf(f, "ok\n");
	if (req->json)
		fprintf(f, "[");
	else
		fprintf(f, "%-7s %-39s %5s  %-39s %5s %7s %12s %16s %8s %8s\n", "proto", "source",
			"sport", "destination", "dport", "ifindex", "packets", "octets", "seconds",
			"flags");
	for (i = 0; i < l.n; i++) {
		const struct flow_row *r = &l.rows[i];
		const struct jf_key *k = &r->key;
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], proto[8], dport[8], flags[9];
		double secs = (double)(r->f.last_ms - r->f.first_ms) / 1000.0;
		const char *pn = proto_name(k->proto);

		addr_str(k, k->src, src, sizeof(src));
		addr_str(k, k->dst, dst, sizeof(dst));
		tcp_flags_str(k->proto == 6 ? r->f.tcp_flags : 0, flags);
		if (req->json) {
			fprintf(f, "%s\n {\"proto\":%u,\"proto_name\":\"%s\",\"src\":\"%s\","
				"\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,", i ? "," : "", k->proto,
				pn ? pn : "", src, k->sport, dst, k->dport);
			if (is_icmp(k))
				fprintf(f, "\"icmp_type\":%u,\"icmp_code\":%u,", k->dport >> 8,
					k->dport & 0xff);
			fprintf(f, "\"ifindex\":%u,\"vlan\":%u,\"packets\":%llu,\"octets\":%llu,"
				"\"first_ms\":%llu,\"last_ms\":%llu,\"tcp_flags\":%u}", k->ifindex,
				k->vlan, (unsigned long long)r->f.packets,
				(unsigned long long)r->f.octets, (unsigned long long)r->f.first_ms,
				(unsigned long long)r->f.last_ms, k->proto == 6 ? r->f.tcp_flags : 0);
			continue;
		}
		snprintf(proto, sizeof(proto), "%s", pn ? pn : "");
		if (!pn)
			snprintf(proto, sizeof(proto), "%u", k->proto);
		/* ICMP: the type and code the key keeps in the destination port. */
		if (is_icmp(k))
			snprintf(dport, sizeof(dport), "%u.%u", k->dport >> 8, k->dport & 0xff);
		else
			snprintf(dport, sizeof(dport), "%u", k->dport);
		fprintf(f, "%-7s %-39s %5u  %-39s %5s %7u %12llu %16llu %8.3f %8s\n", proto, src,
			k->sport, dst, dport, k->ifindex, (unsigned long long)r->f.packets,
			(unsigned long long)r->f.octets, secs, k->proto == 6 ? flags : "-");
	}
	if (req->json)
		fprintf(f, "%s]\n", l.n ? "\n" : "");
	free(l.rows);
}

/* --- collectors --- */

static void cmd_collectors(const struct jf_control_env *env, const struct jf_ctl_req *req,
			   FILE *f)
{
	int i, n = jf_exporter_count(env->exp);

	fprintf(f, "ok\n");
	if (req->json)
		fprintf(f, "[");
	else
		fprintf(f, "%-40s %-9s %-11s %12s %14s %12s %14s %10s %12s\n", "collector",
			"protocol", "state", "records", "packets", "dropped_rec", "dropped_pkts",
			"queued_rec", "refused_rec");
	for (i = 0; i < n; i++) {
		struct jf_collector_stats st;

		jf_exporter_stats(env->exp, i, &st);
		if (!req->json) {
			fprintf(f, "%-40s %-9s %-11s %12llu %14llu %12llu %14llu %10llu %12llu\n",
				jf_exporter_name(env->exp, i), jf_exporter_proto(env->exp, i),
				st.state, (unsigned long long)st.records,
				(unsigned long long)st.packets,
				(unsigned long long)st.dropped_records,
				(unsigned long long)st.dropped_packets,
				(unsigned long long)st.queued_records,
				(unsigned long long)st.refused_records);
			continue;
		}
		fprintf(f, "%s\n {\"collector\":\"%s\",\"protocol\":\"%s\",\"state\":\"%s\","
			"\"messages\":%llu,\"records\":%llu,\"packets\":%llu,\"octets\":%llu,"
			"\"dropped_records\":%llu,\"dropped_packets\":%llu,\"queued_records\":%llu,"
			"\"refused\":%llu,\"refused_records\":%llu,\"refused_packets\":%llu,"
			"\"send_errors\":%llu,\"connects\":%llu,\"reconnects\":%llu}", i ? "," : "",
			jf_exporter_name(env->exp, i), jf_exporter_proto(env->exp, i), st.state,
			(unsigned long long)st.messages, (unsigned long long)st.records,
			(unsigned long long)st.packets, (unsigned long long)st.octets,
			(unsigned long long)st.dropped_records, (unsigned long long)st.dropped_packets,
			(unsigned long long)st.queued_records, (unsigned long long)st.refused,
			(unsigned long long)st.refused_records, (unsigned long long)st.refused_packets,
			(unsigned long long)st.send_errors, (unsigned long long)st.connects,
			(unsigned long long)st.reconnects);
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
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	bool first = true;

	if (!m) {
		fprintf(f, "error: out of memory\n");
		return;
	}
	env->stats(m, env->arg);
	fclose(m);
	fprintf(f, "ok\n%s", req->json ? "[" : "");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#')
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

void jf_control_run(const struct jf_control_env *env, const char *line, FILE *f)
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
		return;
	}
	switch (req.cmd->id) {
	case JF_CTL_STATS:
		cmd_stats(env, &req, f);
		break;
	case JF_CTL_FLOWS:
		cmd_flows(env, &req, f);
		break;
	case JF_CTL_COLLECTORS:
		cmd_collectors(env, &req, f);
		break;
	case JF_CTL_CONFIG:
		fprintf(f, "ok\n");
		env->config(f, req.json, env->arg);
		break;
	case JF_CTL_EXPIRE:
		fprintf(f, "ok\n%zu flows exported\n", env->expire(env->arg));
		break;
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
}
