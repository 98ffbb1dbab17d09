// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NAT event logging from conntrack's events. The translated sessions open
 * are kept by conntrack id, so that every session gets exactly one create
 * and one delete, whichever way it became known: its NEW event, a re-read
 * of the table (at start, after an overflow), or its DESTROY event alone
 * (its NEW was lost: the kernel delivers a DESTROY again until it gets
 * through, NETLINK_BROADCAST_ERROR). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include "clock.h"
#include "flow/conntrack.h"
#include "flow/nat_events.h"
#include "flow/route.h"
#include "log.h"

#define POLL_MAX 65536		/* messages read per poll at most */
#define SWEEP_MS 60000		/* re-read while dump-learned sessions are open */

/* A translated session: how it became known. */
enum {
	S_EMPTY = 0,
	S_EVENT,	/* began while the events were followed: its DESTROY will come */
	S_DUMP,		/* found by the first read: its DESTROY may never come (the
			 * kernel gives events only to entries made while someone
			 * listens, nf_conntrack_events=2) */
	S_GONE,		/* a later read missed it: its delete is out, its DESTROY
			 * may follow (swallowed) */
};
#define S_SEEN 0x80	/* found by the re-read in progress */

struct sess {
	uint32_t id;
	uint8_t state;
	struct jf_ct_entry *ent;	/* S_DUMP: what its delete will say */
};

struct jf_nat_events {
	struct jf_ct_sock ev;		/* NEW and DESTROY events */
	struct jf_ct_sock query;	/* re-reads of the table */
	struct jf_router *routes;	/* interfaces toward each side */
	jf_nat_event_fn fn;
	void *arg;
	struct sess *tab;
	uint32_t mask;			/* slots - 1 */
	uint32_t used;
	uint32_t from_dump;		/* S_DUMP and S_GONE sessions */
	uint32_t gone;			/* S_GONE sessions */
	uint32_t rcvbuf;
	bool resync_due;
	bool rebuilding;		/* a re-read after an overflow: what it finds was lost */
	bool warned;
	uint64_t next_sweep_ms;		/* monotonic */
	struct jf_nat_events_stats st;
};

/* --- the open sessions, by conntrack id (linear probing) --- */

static uint32_t slot_of(const struct jf_nat_events *n, uint32_t id)
{
	return (id * 0x9e3779b1u) & n->mask;
}

static struct sess *sess_find(struct jf_nat_events *n, uint32_t id)
{
	uint32_t i;

	for (i = slot_of(n, id); n->tab[i].state; i = (i + 1) & n->mask)
		if (n->tab[i].id == id)
			return &n->tab[i];
	return NULL;
}

static int sess_grow(struct jf_nat_events *n)
{
	uint32_t old = n->mask + 1, i;
	struct sess *t = n->tab;

	n->tab = calloc((size_t)old * 2, sizeof(*n->tab));
	if (!n->tab) {
		n->tab = t;
		return -ENOMEM;
	}
	n->mask = old * 2 - 1;
	for (i = 0; i < old; i++) {
		uint32_t j;

		if (!t[i].state)
			continue;
		for (j = slot_of(n, t[i].id); n->tab[j].state; j = (j + 1) & n->mask)
			;
		n->tab[j] = t[i];
	}
	free(t);
	return 0;
}

static struct sess *sess_add(struct jf_nat_events *n, uint32_t id, uint8_t state)
{
	uint32_t i;

	if ((n->used + 1) * 2 > n->mask + 1 && sess_grow(n))
		return NULL;
	for (i = slot_of(n, id); n->tab[i].state; i = (i + 1) & n->mask)
		;
	n->tab[i].id = id;
	n->tab[i].state = state;
	n->tab[i].ent = NULL;
	n->used++;
	return &n->tab[i];
}

/* Remove s, shifting back the entries that probed past it. */
static void sess_del(struct jf_nat_events *n, struct sess *s)
{
	uint32_t i = (uint32_t)(s - n->tab), j = i;
	uint8_t st = s->state & (uint8_t)~S_SEEN;

	if (st == S_DUMP || st == S_GONE)
		n->from_dump--;
	if (st == S_GONE)
		n->gone--;
	free(s->ent);
	n->tab[i].ent = NULL;
	n->tab[i].state = S_EMPTY;
	n->used--;
	for (;;) {
		uint32_t home;

		j = (j + 1) & n->mask;
		if (!n->tab[j].state)
			return;
		home = slot_of(n, n->tab[j].id);
		/* j's entry may move to i if i lies on its probe path. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			n->tab[i] = n->tab[j];
			n->tab[j].state = S_EMPTY;
			i = j;
		}
	}
}

/* --- events --- */

static void emit(struct jf_nat_events *n, const struct jf_ct_entry *e, uint8_t type,
		 uint64_t ts_ns)
{
	const struct jf_ct_tuple *o = &e->orig, *r = &e->reply;
	bool icmp = o->proto == 1 || o->proto == 58;
	struct jf_nat_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time_ms = ts_ns ? ts_ns / 1000000 : jf_wall_ms();
	ev.event = type;
	ev.family = o->family;
	ev.proto = o->proto;
	memcpy(ev.src, o->src, sizeof(ev.src));
	memcpy(ev.dst, o->dst, sizeof(ev.dst));
	/* The original direction leaves the router as the reply's inverse. */
	memcpy(ev.xsrc, r->dst, sizeof(ev.xsrc));
	memcpy(ev.xdst, r->src, sizeof(ev.xdst));
	if (icmp) {
		/* Type and code as the flow key has them; the identifier
		 * where a NAPT logs its port. */
		ev.dport = ev.xdport = o->dport;
		ev.xsport = o->icmp_id;
	} else {
		ev.sport = o->sport;
		ev.dport = o->dport;
		ev.xsport = r->dport;
		ev.xdport = r->sport;
	}
	if (n->routes) {
		jf_router_oif(n->routes, o->family, o->src, &ev.in_if);
		jf_router_oif(n->routes, o->family, r->src, &ev.out_if);
	}
	if (type == JF_NAT44_SESSION_CREATE)
		n->st.created++;
	else
		n->st.deleted++;
	n->fn(&ev, n->arg);
}

static void on_new(struct jf_nat_events *n, const struct jf_ct_entry *e)
{
	if (sess_find(n, e->id))
		return;		/* already known from a re-read */
	if (!sess_add(n, e->id, S_EVENT)) {
		log_warn("NAT events: out of memory for session %u: its delete event will "
			 "come with a second create", e->id);
	}
	emit(n, e, JF_NAT44_SESSION_CREATE, e->start_ns);
}

static void on_destroy(struct jf_nat_events *n, const struct jf_ct_entry *e)
{
	struct sess *s = sess_find(n, e->id);

	if (s) {
		uint8_t st = s->state & (uint8_t)~S_SEEN;

		sess_del(n, s);
		if (st == S_GONE)
			return;	/* its delete went out at the re-read */
	} else {
		/* Its NEW never came: the create is rebuilt now. */
		n->st.lost++;
		emit(n, e, JF_NAT44_SESSION_CREATE, e->start_ns);
	}
	emit(n, e, JF_NAT44_SESSION_DELETE, e->stop_ns);
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct jf_nat_events *n = data;
	uint8_t type = nlh->nlmsg_type & 0xff;
	struct jf_ct_entry e;

	if (jf_ct_parse(nlh, &e) || !jf_ct_translated(&e))
		return MNL_CB_OK;
	if (type == IPCTNL_MSG_CT_DELETE)
		on_destroy(n, &e);
	else if (type == IPCTNL_MSG_CT_NEW)
		on_new(n, &e);
	return MNL_CB_OK;
}

/* --- re-reads of the table --- */

static int on_dumped(const struct jf_ct_entry *e, void *arg)
{
	struct jf_nat_events *n = arg;
	struct sess *s;

	if (!jf_ct_translated(e))
		return 0;
	s = sess_find(n, e->id);
	if (s) {
		s->state |= S_SEEN;
		return 0;
	}
	/* A session that began after the events were followed sends its
	 * DESTROY (reliably); only those found by the first read may not. */
	if (n->st.resyncs > 1) {
		if (!sess_add(n, e->id, S_EVENT | S_SEEN))
			return -ENOMEM;
		if (n->rebuilding)
			n->st.lost++;
		emit(n, e, JF_NAT44_SESSION_CREATE, e->start_ns);
		return 0;
	}
	s = sess_add(n, e->id, S_DUMP | S_SEEN);
	if (!s || !(s->ent = malloc(sizeof(*s->ent)))) {
		if (s)
			sess_del(n, s);
		return -ENOMEM;
	}
	*s->ent = *e;
	n->from_dump++;
	emit(n, e, JF_NAT44_SESSION_CREATE, e->start_ns);
	return 0;
}

/* Sessions found by the first read that this one did not find are gone:
 * their delete goes out now (their DESTROY, if it comes, is swallowed);
 * those already gone at the previous re-read are forgotten. */
static void sweep(struct jf_nat_events *n)
{
	uint32_t i, purge = 0;
	struct sess *old;

	for (i = 0; i <= n->mask; i++) {
		struct sess *s = &n->tab[i];
		struct jf_ct_entry e;

		if (s->state & S_SEEN) {
			s->state &= (uint8_t)~S_SEEN;
		} else if (s->state == S_GONE) {
			s->state = S_EMPTY;	/* dropped below */
			purge++;
		} else if (s->state == S_DUMP) {
			e = *s->ent;
			free(s->ent);
			s->ent = NULL;
			s->state = S_GONE;
			n->gone++;
			emit(n, &e, JF_NAT44_SESSION_DELETE, 0);
		}
	}
	if (!purge)
		return;
	/* Entries were emptied in place: insert the rest again. */
	old = n->tab;
	n->tab = calloc((size_t)n->mask + 1, sizeof(*n->tab));
	if (!n->tab) {
		n->tab = old;	/* emptied slots stay: lookups may miss, nothing leaks */
		return;
	}
	n->used -= purge;
	n->gone -= purge;
	n->from_dump -= purge;
	for (i = 0; i <= n->mask; i++) {
		uint32_t j;

		if (!old[i].state)
			continue;
		for (j = slot_of(n, old[i].id); n->tab[j].state; j = (j + 1) & n->mask)
			;
		n->tab[j] = old[i];
	}
	free(old);
}

static int resync(struct jf_nat_events *n)
{
	int rc;

	n->st.resyncs++;
	n->rebuilding = n->resync_due;
	rc = jf_ct_dump(&n->query, on_dumped, n);
	if (rc) {
		n->rebuilding = false;
		log_warn("NAT events: reading the conntrack table: %s", strerror(-rc));
		return rc;
	}
	sweep(n);
	n->rebuilding = false;
	n->resync_due = false;
	n->next_sweep_ms = jf_mono_ms() + SWEEP_MS;
	return 0;
}

static void overflow(struct jf_nat_events *n)
{
	n->st.overflows++;
	n->resync_due = true;
	if (n->warned)
		return;
	n->warned = true;
	log_warn("NAT events: conntrack sent more events than the socket holds "
		 "(nat-events-buffer = %u bytes): some were lost; the table is read again "
		 "so that open sessions are logged, and what was rebuilt is counted in "
		 "jflowd_nat_events_lost_total. Raise nat-events-buffer to keep up with "
		 "bursts", n->rcvbuf);
}

void jf_nat_events_poll(struct jf_nat_events *n)
{
	int fd = jf_ct_fd(&n->ev), i;
	ssize_t len;

	for (i = 0; i < POLL_MAX; i++) {
		len = recv(fd, n->ev.buf, n->ev.buf_len, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overflow(n);
				continue;
			}
			break;	/* EAGAIN: nothing more */
		}
		mnl_cb_run(n->ev.buf, (size_t)len, 0, 0, on_event, n);
	}
	if (n->resync_due || (n->from_dump && jf_mono_ms() >= n->next_sweep_ms))
		resync(n);
	n->st.sessions = n->used - n->gone;
}

struct jf_nat_events *jf_nat_events_new(const struct jf_nat_events_params *p,
					jf_nat_event_fn fn, void *arg, char *err,
					size_t errlen)
{
	struct jf_nat_events *n = calloc(1, sizeof(*n));
	int one = 1, fd, rc;

	if (!n || !(n->tab = calloc(1024, sizeof(*n->tab)))) {
		free(n);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->mask = 1023;
	n->fn = fn;
	n->arg = arg;
	n->rcvbuf = p->rcvbuf;
	if (jf_ct_open(&n->ev, NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY, err,
		       errlen) ||
	    jf_ct_open(&n->query, 0, err, errlen))
		goto fail;
	fd = jf_ct_fd(&n->ev);
	/* The buffer is set past rmem_max with CAP_NET_ADMIN (FORCE). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &p->rcvbuf, sizeof(p->rcvbuf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, sizeof(p->rcvbuf))) {
		snprintf(err, errlen, "conntrack events: receive buffer of %u bytes: %s",
			 p->rcvbuf, strerror(errno));
		goto fail;
	}
	/* Reliable events: a DESTROY the socket cannot take is delivered
	 * again, and a NEW it could not take comes along with it. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &one, sizeof(one))) {
		snprintf(err, errlen, "conntrack events: NETLINK_BROADCAST_ERROR: %s",
			 strerror(errno));
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	n->routes = jf_router_new(err, errlen);
	if (!n->routes)
		goto fail;
	/* Subscribed first, then read: a session created in between is in
	 * both, and logged once (by id). */
	rc = resync(n);
	if (rc) {
		snprintf(err, errlen, "conntrack table: %s", strerror(-rc));
		goto fail;
	}
	return n;
fail:
	jf_nat_events_free(n);
	return NULL;
}

void jf_nat_events_free(struct jf_nat_events *n)
{
	if (!n)
		return;
	if (n->ev.nl)
		jf_ct_close(&n->ev);
	if (n->query.nl)
		jf_ct_close(&n->query);
	jf_router_free(n->routes);
	if (n->tab) {
		uint32_t i;

		for (i = 0; i <= n->mask; i++)
			free(n->tab[i].ent);
	}
	free(n->tab);
	free(n);
}

void jf_nat_events_get_stats(const struct jf_nat_events *n, struct jf_nat_events_stats *st)
{
	*st = n->st;
}
