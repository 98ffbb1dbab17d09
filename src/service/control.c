// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket: accepts jflowctl's requests and answers them from
 * the main loop. Every socket is non-blocking and every client has a
 * deadline, so a flood of connections costs a few syscalls per loop turn
 * and never delays a drain. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "clock.h"
#include "service/control.h"
#include "export/exporter.h"
#include "flow/fields.h"
#include "flow/flow_cache.h"
#include "jflowd/monitor.h"
#include "log.h"
#include "service/monitors.h"

#define ACCEPTS_PER_POLL 64	/* a flood is worked off over several turns */

struct client {
	int fd;			/* -1: free */
	char req[JF_CONTROL_LINE_MAX];
	size_t rlen;
	char *out;		/* the response, once the request is in */
	size_t olen, opos;
	uint64_t deadline_ms;	/* monotonic */
};

struct jf_control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct jf_control_env env;
	struct client cl[JF_CONTROL_MAX_CLIENTS];
	uint64_t rejected;
};

struct jf_control *jf_control_open(const char *path, uid_t uid, gid_t gid,
				   const struct jf_control_env *env, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct jf_control *c;
	mode_t old_mask;
	int i, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->env = *env;
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	/* A socket left by a jflowd that died is replaced; one that answers
	 * belongs to a running jflowd. */
	if (!access(path, F_OK)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			snprintf(err, errlen, "control socket %s: another jflowd listens on it", c->path);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	old_mask = umask(0177);	/* 0600 from the start: no window */
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc) {
		snprintf(err, errlen, "control socket %s: %s", c->path, strerror(errno));
		goto fail;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid)) {
		snprintf(err, errlen, "control socket %s: chown: %s", c->path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(c->fd, 16)) {
		snprintf(err, errlen, "control socket %s: listen: %s", c->path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return c;
fail:
	close(c->fd);
	free(c);
	return NULL;
}

static void client_close(struct client *cl)
{
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* --- commands --- */

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

/* "--monitor NAME" among a command's arguments: taken out of argv, the
 * monitor in *mon (NULL when not given). -1 with the error written. */
static int take_monitor(const struct jf_control_env *env, char **argv, int *argc,
			struct jf_monitor **mon, FILE *f)
{
	int a, b, i;

	*mon = NULL;
	for (a = 1; a < *argc; a++) {
		if (strcmp(argv[a], "--monitor"))
			continue;
		if (a + 1 >= *argc) {
			fprintf(f, "error: --monitor needs a monitor's name\n");
			return -1;
		}
		*mon = env->mons ? jf_monitors_find(env->mons, argv[a + 1]) : NULL;
		if (!*mon) {
			fprintf(f, "error: no monitor named %s (monitors:", argv[a + 1]);
			for (i = 0; i < jf_monitors_count(env->mons); i++)
				fprintf(f, " %s", jf_monitors_at(env->mons, i)->name);
			fprintf(f, ")\n");
			return -1;
		}
		for (b = a; b + 2 < *argc; b++)
			argv[b] = argv[b + 2];
		*argc -= 2;
		return 0;
	}
	return 0;
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

/* A monitor's own flows: its record's key, by element name. */
static void print_record_flows(const struct jf_monitor *m, const struct flow_list *l,
			       bool json, FILE *f)
{
	const struct jf_record_elem *cols[JF_RECORD_MAX_ELEMS];
	int nc = key_columns(m, cols, JF_RECORD_MAX_ELEMS), c;
	char v[80];
	size_t i;

	if (json) {
		fprintf(f, "[");
	} else {
		for (c = 0; c < nc; c++)
			fprintf(f, "%-*s ", cols[c]->ie->type == JF_IET_IPV6 ? 39 :
				cols[c]->ie->type == JF_IET_IPV4 ? 18 : 8, cols[c]->ie->name);
		fprintf(f, "%12s %16s %8s\n", "packets", "octets", "seconds");
	}
	for (i = 0; i < l->n; i++) {
		const struct flow_row *r = &l->rows[i];

		if (json)
			fprintf(f, "%s\n {\"monitor\":\"%s\"", i ? "," : "", m->name);
		for (c = 0; c < nc; c++) {
			jf_ie_format_key(cols[c]->ie, &r->key, cols[c]->prefix, v, sizeof(v));
			if (json && *v)
				fprintf(f, cols[c]->ie->type == JF_IET_IPV4 ||
					   cols[c]->ie->type == JF_IET_IPV6 ? ",\"%s\":\"%s\""
									    : ",\"%s\":%s",
					cols[c]->ie->name, v);
			else if (!json)
				fprintf(f, "%-*s ", cols[c]->ie->type == JF_IET_IPV6 ? 39 :
					cols[c]->ie->type == JF_IET_IPV4 ? 18 : 8, *v ? v : "-");
		}
		if (json)
			fprintf(f, ",\"packets\":%llu,\"octets\":%llu,\"first_ms\":%llu,"
				"\"last_ms\":%llu}", (unsigned long long)r->f.packets,
				(unsigned long long)r->f.octets, (unsigned long long)r->f.first_ms,
				(unsigned long long)r->f.last_ms);
		else
			fprintf(f, "%12llu %16llu %8.3f\n", (unsigned long long)r->f.packets,
				(unsigned long long)r->f.octets,
				(double)(r->f.last_ms - r->f.first_ms) / 1000.0);
	}
	if (json)
		fprintf(f, "%s]\n", l->n ? "\n" : "");
}

static const char *mon_name(const struct jf_control_env *env, const struct jf_key *k)
{
	const struct jf_monitor *m = env->mons ? jf_monitors_by_index(env->mons,
								   jf_key_monitor(k)) : NULL;

	return m ? m->name : "?";
}

static void cmd_flows(const struct jf_control_env *env, char **argv, int argc, FILE *f)
{
	int (*cmp)(const void *, const void *) = NULL;
	struct jf_cache_stats cs;
	struct flow_list l = { 0 };
	struct jf_monitor *mon;
	unsigned long top = 0;
	bool json = false, many;
	size_t i, k;
	int a;

	if (take_monitor(env, argv, &argc, &mon, f))
		return;
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (!strcmp(argv[a], "--sort") && a + 1 < argc) {
			a++;
			if (!strcmp(argv[a], "octets") || !strcmp(argv[a], "bytes"))
				cmp = by_octets;
			else if (!strcmp(argv[a], "packets"))
				cmp = by_packets;
			else {
				fprintf(f, "error: flows: --sort '%s': expected octets or packets\n",
					argv[a]);
				return;
			}
		} else if (!strcmp(argv[a], "--top") && a + 1 < argc) {
			char *end;

			top = strtoul(argv[++a], &end, 10);
			if (*end || !top) {
				fprintf(f, "error: flows: --top '%s': expected a number >= 1\n", argv[a]);
				return;
			}
		} else {
			fprintf(f, "error: flows: unknown argument '%s' (--monitor NAME, --sort "
				"octets|packets, --top N, --json)\n", argv[a]);
			return;
		}
	}
	/* --top without --sort: the largest by octets. */
	if (top && !cmp)
		cmp = by_octets;
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
	if (mon) {	/* that monitor's flows only */
		for (i = 0, k = 0; i < l.n; i++)
			if (jf_key_monitor(&l.rows[i].key) == mon->index)
				l.rows[k++] = l.rows[i];
		l.n = k;
	}
	if (cmp)
		qsort(l.rows, l.n, sizeof(*l.rows), cmp);
	if (top && top < l.n)
		l.n = top;
	fprintf(f, "ok\n");
	if (mon) {
		print_record_flows(mon, &l, json, f);
		free(l.rows);
		return;
	}
	/* Every monitor's flows: the packet's key, and whose they are when
	 * there are several monitors. */
	many = jf_monitors_count(env->mons) > 1;
	if (json)
		fprintf(f, "[");
	else
		fprintf(f, "%s%-5s %-39s %5s  %-39s %5s %7s %12s %16s %8s\n", many ? "monitor  " : "",
			"proto", "source", "sport", "destination", "dport", "ifindex", "packets",
			"octets", "seconds");
	for (i = 0; i < l.n; i++) {
		const struct flow_row *r = &l.rows[i];
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		double secs = (double)(r->f.last_ms - r->f.first_ms) / 1000.0;

		addr_str(&r->key, r->key.src, src, sizeof(src));
		addr_str(&r->key, r->key.dst, dst, sizeof(dst));
		if (json)
			fprintf(f, "%s\n {\"monitor\":\"%s\",\"proto\":%u,\"src\":\"%s\",\"sport\":%u,"
				"\"dst\":\"%s\",\"dport\":%u,\"ifindex\":%u,\"vlan\":%u,"
				"\"packets\":%llu,\"octets\":%llu,\"first_ms\":%llu,\"last_ms\":%llu}",
				i ? "," : "", mon_name(env, &r->key), r->key.proto, src, r->key.sport,
				dst, r->key.dport, r->key.ifindex, r->key.vlan,
				(unsigned long long)r->f.packets, (unsigned long long)r->f.octets,
				(unsigned long long)r->f.first_ms, (unsigned long long)r->f.last_ms);
		else
			fprintf(f, "%s%s%-5u %-39s %5u  %-39s %5u %7u %12llu %16llu %8.3f\n",
				many ? mon_name(env, &r->key) : "", many ? "  " : "", r->key.proto,
				src, r->key.sport, dst, r->key.dport, r->key.ifindex,
				(unsigned long long)r->f.packets, (unsigned long long)r->f.octets,
				secs);
	}
	if (json)
		fprintf(f, "%s]\n", l.n ? "\n" : "");
	free(l.rows);
}

/* Each collector of each exporter of each monitor (or of one). */
static void cmd_collectors(const struct jf_control_env *env, const struct jf_monitor *mon,
			   FILE *f)
{
	int i, j, k;

	fprintf(f, "ok\n%-40s %-9s %-8s %12s %14s %12s %14s %10s %-16s %s\n", "collector",
		"protocol", "state", "records", "packets", "dropped_rec", "dropped_pkts",
		"queued_rec", "monitor", "exporter");
	for (i = 0; i < jf_monitors_count(env->mons); i++) {
		const struct jf_monitor *m = jf_monitors_at(env->mons, i);

		if (mon && mon != m)
			continue;
		for (j = 0; j < m->n_ex; j++) {
			const struct jf_exporter *e = m->ex[j].exp;

			for (k = 0; k < jf_exporter_count(e); k++) {
				struct jf_collector_stats st;

				jf_exporter_stats(e, k, &st);
				fprintf(f, "%-40s %-9s %-8s %12llu %14llu %12llu %14llu %10llu "
					"%-16s %s\n", jf_exporter_name(e, k), jf_exporter_proto(e, k),
					st.retiring ? "removed" : st.up ? "up" : "down",
					(unsigned long long)st.records, (unsigned long long)st.packets,
					(unsigned long long)st.dropped_records,
					(unsigned long long)st.dropped_packets,
					(unsigned long long)st.queued_records, m->name, m->ex[j].name);
			}
		}
	}
}

/* The metrics without their comments: one "name{labels} value" a line;
 * with a monitor, its series alone. */
static void cmd_stats(const struct jf_control_env *env, const struct jf_monitor *mon, FILE *f)
{
	char *text = NULL, *line, *save = NULL, want[JF_NAME_MAX + 16] = "";
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m) {
		fprintf(f, "error: out of memory\n");
		return;
	}
	if (mon)
		snprintf(want, sizeof(want), "monitor=\"%s\"", mon->name);
	env->stats(m, env->arg);
	fclose(m);
	fprintf(f, "ok\n");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line != '#' && (!mon || strstr(line, want)))
			fprintf(f, "%s\n", line);
	free(text);
}

void jf_control_run(const struct jf_control_env *env, const char *line, FILE *f)
{
	char buf[JF_CONTROL_LINE_MAX], *argv[16], *save = NULL, *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " \t\r\n", &save); tok && argc < 16;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (!argc) {
		fprintf(f, "error: empty request (commands: stats, flows, expire, reload, "
			"collectors)\n");
	} else if (!strcmp(argv[0], "flows")) {
		cmd_flows(env, argv, argc, f);
	} else if (!strcmp(argv[0], "stats") || !strcmp(argv[0], "collectors") ||
		   !strcmp(argv[0], "expire")) {
		struct jf_monitor *mon;

		if (take_monitor(env, argv, &argc, &mon, f))
			return;
		if (argc != 1) {
			fprintf(f, "error: %s: unknown argument '%s' (--monitor NAME)\n", argv[0],
				argv[1]);
		} else if (!strcmp(argv[0], "stats")) {
			cmd_stats(env, mon, f);
		} else if (!strcmp(argv[0], "collectors")) {
			cmd_collectors(env, mon, f);
		} else {
			size_t n = env->expire(env->arg, mon ? (uint16_t)(1u << mon->index)
							      : (uint16_t)0xffff);

			fprintf(f, "ok\n%zu flows exported\n", n);
		}
	} else if (!strcmp(argv[0], "reload") && argc == 1) {
		char msg[1024];

		if (env->reload(env->arg, msg, sizeof(msg)))
			fprintf(f, "error: %s\n", msg);
		else
			fprintf(f, "ok\n%s\n", msg);
	} else {
		fprintf(f, "error: unknown request '%s' (commands, each with [--monitor NAME]: "
			"stats, flows [--sort "
			"octets|packets] [--top N] [--json], expire, reload, collectors)\n", line);
	}
}

/* --- the socket --- */

static void answer(struct jf_control *c, struct client *cl)
{
	FILE *f;

	cl->req[cl->rlen] = '\0';
	cl->req[strcspn(cl->req, "\r\n")] = '\0';
	f = open_memstream(&cl->out, &cl->olen);
	if (!f) {
		client_close(cl);
		return;
	}
	log_debug("control: %s", cl->req);
	jf_control_run(&c->env, cl->req, f);
	fclose(f);
	cl->opos = 0;
	cl->deadline_ms = jf_mono_ms() + JF_CONTROL_RESPONSE_MS;
}

static void serve(struct jf_control *c, struct client *cl, uint64_t now)
{
	ssize_t n;

	if (now >= cl->deadline_ms) {
		c->rejected++;
		client_close(cl);
		return;
	}
	if (!cl->out) {
		n = recv(cl->fd, cl->req + cl->rlen, sizeof(cl->req) - 1 - cl->rlen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(cl);	/* gone before a whole line */
			return;
		}
		cl->rlen += (size_t)n;
		if (!memchr(cl->req, '\n', cl->rlen) && cl->rlen < sizeof(cl->req) - 1)
			return;
		answer(c, cl);
		if (!cl->out)
			return;
	}
	while (cl->opos < cl->olen) {
		n = send(cl->fd, cl->out + cl->opos, cl->olen - cl->opos,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		cl->opos += (size_t)n;
	}
	client_close(cl);
}

void jf_control_poll(struct jf_control *c)
{
	uint64_t now = jf_mono_ms();
	int i, k;

	if (!c)
		return;
	for (k = 0; k < ACCEPTS_PER_POLL; k++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		static const char busy[] = "error: busy, try again\n";

		if (fd < 0)
			break;
		for (i = 0; i < JF_CONTROL_MAX_CLIENTS && c->cl[i].fd >= 0; i++)
			;
		if (i == JF_CONTROL_MAX_CLIENTS) {
			/* Every slot taken: say so and close, never queue. */
			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				log_debug("control: busy: %s", strerror(errno));
			close(fd);
			c->rejected++;
			continue;
		}
		c->cl[i].fd = fd;
		c->cl[i].deadline_ms = now + JF_CONTROL_REQUEST_MS;
	}
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			serve(c, &c->cl[i], now);
}

uint64_t jf_control_rejected(const struct jf_control *c)
{
	return c ? c->rejected : 0;
}

void jf_control_close(struct jf_control *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_close(&c->cl[i]);
	close(c->fd);
	/* After --user the directory may not be ours: the next start replaces
	 * a stale socket anyway. */
	if (unlink(c->path) && errno != ENOENT)
		log_debug("control socket %s: %s", c->path, strerror(errno));
	free(c);
}
