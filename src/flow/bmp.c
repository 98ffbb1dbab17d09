// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The BMP station: a listening socket and up to JF_BMP_MAX_SESSIONS
 * sessions, each a non-blocking stream cut into messages and parsed into
 * the RIB. A malformed message closes its session with a log line; a
 * session that ends takes its routes with it (the speaker sends them all
 * again when it reconnects). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "flow/bmp.h"
#include "log.h"

#define READ_CHUNK (256 * 1024)
#define CLOCK_EVERY 64		/* messages between two looks at the budget */

struct session {
	int fd;			/* -1: free */
	uint32_t id;		/* the RIB's session number, never reused */
	char addr[INET6_ADDRSTRLEN + 8];
	char sys_name[64];
	uint8_t *buf;
	size_t len, cap;
	struct jf_bmp_parser ps;
	uint64_t since_ms;
	uint64_t messages;
	uint64_t now_ms;	/* of the poll in progress: stamps routes */
	bool terminated;	/* the speaker sent Termination */
	/* The last table a route went to: routes come in runs per peer. */
	struct jf_bmp_peer last_peer;
	int last_table;
	bool warned_full;	/* a refusal at the memory bound was logged */
	struct jf_bmp *b;
};

struct jf_bmp {
	int fd;
	char listen[128];
	struct jf_rib *rib;
	struct session s[JF_BMP_MAX_SESSIONS];
	uint32_t next_id;
	uint64_t start_ms;
	bool ever_up;
	struct jf_bmp_stats st;
};

int jf_bmp_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *salen,
			char *err, size_t errlen)
{
	char host[128];
	const char *port = NULL, *colon;
	unsigned long p = JF_BMP_PORT;
	char *end;

	memset(sa, 0, sizeof(*sa));
	if (!*s || strlen(s) >= sizeof(host)) {
		snprintf(err, errlen, "bmp-listen '%s': expected ADDR[:PORT]", s);
		return -1;
	}
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':')) {
			snprintf(err, errlen, "bmp-listen '%s': expected [IPV6]:PORT", s);
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(rb - s - 1), s + 1);
		if (rb[1] == ':')
			port = rb + 2;
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port = colon + 1;
	} else {
		snprintf(host, sizeof(host), "%s", s);
	}
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || end == port || !p || p > 65535) {
			snprintf(err, errlen, "bmp-listen '%s': port '%s' is not in 1..65535", s, port);
			return -1;
		}
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		*salen = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*salen = sizeof(*in6);
		return 0;
	}
	snprintf(err, errlen, "bmp-listen '%s': '%s' is not an IPv4 or IPv6 address (the "
		 "address the router's BGP speaker connects to, e.g. 127.0.0.1:%d)", s, host,
		 JF_BMP_PORT);
	return -1;
}

struct jf_bmp *jf_bmp_open(const char *listen_on, struct jf_rib *rib, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct jf_bmp *b;
	int one = 1, i;

	if (jf_bmp_parse_listen(listen_on, &sa, &salen, err, errlen))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++)
		b->s[i].fd = -1;
	b->rib = rib;
	b->next_id = 1;
	b->start_ms = jf_mono_ms();
	snprintf(b->listen, sizeof(b->listen), "%s", listen_on);
	b->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0 || setsockopt(b->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(b->fd, (struct sockaddr *)&sa, salen) || listen(b->fd, 8)) {
		snprintf(err, errlen, "bmp-listen %s: %s%s", listen_on, strerror(errno),
			 errno == EADDRINUSE ? " (another BMP station on that port?)" : "");
		if (b->fd >= 0)
			close(b->fd);
		free(b);
		return NULL;
	}
	return b;
}

static void session_end(struct jf_bmp *b, struct session *s, const char *why)
{
	struct jf_rib_stats before, after;

	jf_rib_get_stats(b->rib, &before);
	jf_rib_session_close(b->rib, s->id);
	jf_rib_get_stats(b->rib, &after);
	log_info("bmp: session from %s%s%s ended (%s): %llu routes dropped", s->addr,
		 s->sys_name[0] ? " " : "", s->sys_name, why,
		 (unsigned long long)(before.routes - after.routes));
	close(s->fd);
	jf_bmp_parser_free(&s->ps);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	b->st.sessions--;
}

void jf_bmp_close(struct jf_bmp *b)
{
	int i;

	if (!b)
		return;
	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++)
		if (b->s[i].fd >= 0)
			session_end(b, &b->s[i], "jflowd stops");
	close(b->fd);
	free(b);
}

/* --- what the messages mean for the RIB --- */

static enum jf_rib_kind kind_of(const struct jf_bmp_peer *p)
{
	if (p->type == JF_BMP_PEER_LOC_RIB)
		return JF_RIB_LOC;
	return (p->flags & JF_BMP_FLAG_L) ? JF_RIB_POST : JF_RIB_PRE;
}

static void peer_name(const struct jf_bmp_peer *p, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (p->type == JF_BMP_PEER_LOC_RIB) {
		snprintf(out, n, "Loc-RIB");
		return;
	}
	inet_ntop(p->v6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
	snprintf(out, n, "%s AS%u", a, p->as);
}

static void on_initiation(void *arg, const char *name, const char *descr)
{
	struct session *s = arg;

	snprintf(s->sys_name, sizeof(s->sys_name), "%s", name);
	log_info("bmp: session from %s: speaker %s%s%s", s->addr, name[0] ? name : "(no sysName)",
		 descr[0] ? ", " : "", descr);
}

static void on_termination(void *arg, uint16_t reason)
{
	struct session *s = arg;

	s->terminated = true;
	log_info("bmp: session from %s: the speaker terminates it (reason %u)", s->addr, reason);
}

static int table_for(struct session *s, const struct jf_bmp_peer *p, bool create)
{
	enum jf_rib_kind k = kind_of(p);
	int id;

	if (s->last_table >= 0 && !memcmp(&s->last_peer, p, sizeof(*p)))
		return s->last_table;
	id = jf_rib_table_find(s->b->rib, s->id, p, k);
	if (id < 0 && create) {
		/* Routes before their Peer Up: RFC 7854 forbids it; take them. */
		id = jf_rib_table_open(s->b->rib, s->id, p, k, s->now_ms);
		if (id == -ENOSPC || id == -ENOMEM)
			log_warn("bmp: session from %s: no room for another peer table (%s)",
				 s->addr, strerror(-id));
	}
	if (id >= 0) {
		s->last_peer = *p;
		s->last_table = id;
	}
	return id;
}

static int on_peer_up(void *arg, const struct jf_bmp_peer *p)
{
	struct session *s = arg;
	char name[80];
	int id;

	/* A second Peer Up without a Peer Down: start the table afresh. */
	id = jf_rib_table_find(s->b->rib, s->id, p, kind_of(p));
	if (id >= 0)
		jf_rib_table_close(s->b->rib, id);
	s->last_table = -1;
	id = jf_rib_table_open(s->b->rib, s->id, p, kind_of(p), s->now_ms);
	s->b->st.peer_ups++;
	peer_name(p, name, sizeof(name));
	if (id < 0) {
		log_warn("bmp: session from %s: peer %s up, but no room for its table (%s)",
			 s->addr, name, strerror(-id));
		return 0;
	}
	log_info("bmp: session from %s: peer %s up (%s)", s->addr, name,
		 kind_of(p) == JF_RIB_LOC ? "Loc-RIB" : kind_of(p) == JF_RIB_POST ?
		 "Adj-RIB-In post-policy" : "Adj-RIB-In pre-policy");
	return 0;
}

static void on_peer_down(void *arg, const struct jf_bmp_peer *p, uint8_t reason)
{
	struct session *s = arg;
	struct jf_bmp_peer q = *p;
	char name[80];
	uint64_t dropped = 0;
	int k;

	/* Both policies of the peer go: the L flag of a Peer Down means
	 * nothing. */
	for (k = JF_RIB_PRE; k <= JF_RIB_LOC; k++) {
		struct jf_rib_table_info ti;
		int id;

		q.flags = k == JF_RIB_POST ? (uint8_t)(p->flags | JF_BMP_FLAG_L) :
					     (uint8_t)(p->flags & ~JF_BMP_FLAG_L);
		if ((k == JF_RIB_LOC) != (p->type == JF_BMP_PEER_LOC_RIB))
			continue;
		id = jf_rib_table_find(s->b->rib, s->id, &q, (enum jf_rib_kind)k);
		if (id < 0)
			continue;
		if (jf_rib_table_get(s->b->rib, id, &ti))
			dropped += ti.routes;
		jf_rib_table_close(s->b->rib, id);
	}
	s->last_table = -1;
	s->b->st.peer_downs++;
	peer_name(p, name, sizeof(name));
	log_info("bmp: session from %s: peer %s down (reason %u): %llu routes dropped", s->addr,
		 name, reason, (unsigned long long)dropped);
}

static int on_route(void *arg, const struct jf_bmp_peer *p, const struct jf_bgp_prefix *pfx,
		    const struct jf_bgp_attrs *a)
{
	struct session *s = arg;
	int id = table_for(s, p, a != NULL);

	if (id < 0)
		return 0;
	if (!a) {
		jf_rib_withdraw(s->b->rib, id, pfx, s->now_ms);
		return 0;
	}
	if (jf_rib_announce(s->b->rib, id, pfx, a, s->now_ms) == -ENOMEM && !s->warned_full) {
		struct jf_rib_stats st;
		char name[80];

		s->warned_full = true;
		jf_rib_get_stats(s->b->rib, &st);
		peer_name(p, name, sizeof(name));
		log_warn("bmp: session from %s: the BGP memory bound (bgp-memory, %llu MiB) is "
			 "reached at %llu routes: routes from %s and later ones are refused and "
			 "counted, flows to them get no AS; raise bgp-memory",
			 s->addr, (unsigned long long)(st.max_bytes >> 20),
			 (unsigned long long)st.routes, name);
	}
	return 0;
}

static void on_eor(void *arg, const struct jf_bmp_peer *p, int family)
{
	struct session *s = arg;
	int id = table_for(s, p, false);

	if (id >= 0)
		jf_rib_end_of_rib(s->b->rib, id, family);
}

/* --- sessions --- */

static void accept_new(struct jf_bmp *b, uint64_t now_ms)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		struct session *s = NULL;
		char a[INET6_ADDRSTRLEN];
		int fd, i, one = 1;
		uint16_t port;

		fd = accept4(b->fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (sa.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
		}
		for (i = 0; i < JF_BMP_MAX_SESSIONS && !s; i++)
			if (b->s[i].fd < 0)
				s = &b->s[i];
		if (!s) {
			b->st.sessions_refused++;
			log_warn("bmp: connection from %s refused: %d sessions already", a,
				 JF_BMP_MAX_SESSIONS);
			close(fd);
			continue;
		}
		/* A speaker that vanishes without a FIN is found out. */
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		memset(s, 0, sizeof(*s));
		s->fd = fd;
		s->b = b;
		s->id = b->next_id++;
		s->since_ms = now_ms;
		s->last_table = -1;
		snprintf(s->addr, sizeof(s->addr), "%s:%u", a, port);
		jf_bmp_parser_init(&s->ps);
		b->st.sessions++;
		b->st.sessions_total++;
		b->ever_up = true;
		log_info("bmp: session from %s", s->addr);
	}
}

/* Parse the whole messages in s's buffer until the deadline. false: the
 * session ended (malformed). */
static bool session_parse(struct jf_bmp *b, struct session *s, uint64_t deadline_ms)
{
	static const struct jf_bmp_handler h0 = {
		.initiation = on_initiation, .termination = on_termination,
		.peer_up = on_peer_up, .peer_down = on_peer_down, .route = on_route,
		.end_of_rib = on_eor,
	};
	struct jf_bmp_handler h = h0;
	size_t off = 0;
	unsigned n = 0;

	h.arg = s;
	while (off < s->len) {
		long mlen = jf_bmp_msg_len(&s->ps, s->buf + off, s->len - off);
		int rc;

		if (mlen < 0)
			goto bad;
		if (!mlen || (size_t)mlen > s->len - off)
			break;
		rc = jf_bmp_parse(&s->ps, s->buf + off, (size_t)mlen, &h);
		if (rc) {
			if (rc != -EBADMSG)
				snprintf(s->ps.err, sizeof(s->ps.err), "%s", strerror(-rc));
			goto bad;
		}
		off += (size_t)mlen;
		s->messages++;
		b->st.messages++;
		if (++n % CLOCK_EVERY == 0 && jf_mono_ms() >= deadline_ms)
			break;
	}
	memmove(s->buf, s->buf + off, s->len - off);
	s->len -= off;
	return true;
bad:
	b->st.malformed++;
	log_warn("bmp: session from %s%s%s: malformed message after %llu good ones: %s; "
		 "closing the session", s->addr, s->sys_name[0] ? " " : "", s->sys_name,
		 (unsigned long long)s->messages, s->ps.err);
	session_end(b, s, "malformed input");
	return false;
}

/* Read and parse what s has, within the deadline. true: input is left,
 * or came in this turn (more is likely on its way). */
static bool session_poll(struct jf_bmp *b, struct session *s, uint64_t deadline_ms)
{
	bool more = false;

	for (;;) {
		ssize_t n;

		if (s->len && !session_parse(b, s, deadline_ms))
			return false;
		if (jf_mono_ms() >= deadline_ms) {
			more = true;
			break;
		}
		if (s->cap - s->len < READ_CHUNK) {
			/* Whole messages are parsed before the next read:
			 * what is kept is less than one message (1 MiB). */
			size_t cap = s->len + READ_CHUNK;
			uint8_t *nb = realloc(s->buf, cap);

			if (!nb) {
				more = true;
				break;
			}
			s->buf = nb;
			s->cap = cap;
		}
		n = recv(s->fd, s->buf + s->len, s->cap - s->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			if (s->len && jf_bmp_msg_len(&s->ps, s->buf, s->len) >= 0)
				log_warn("bmp: session from %s: closed within a message (%zu bytes "
					 "of it)", s->addr, s->len);
			session_end(b, s, n < 0 ? strerror(errno) :
				    s->terminated ? "terminated" : "closed by the speaker");
			return false;
		}
		s->len += (size_t)n;
		b->st.bytes += (uint64_t)n;
		/* A stream under way: come back without sleeping. */
		more = true;
	}
	/* A buffer grown for a dump shrinks back once drained. */
	if (!s->len && s->cap > 2 * READ_CHUNK) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	}
	return more;
}

bool jf_bmp_poll(struct jf_bmp *b, uint64_t now_ms, unsigned budget_ms)
{
	uint64_t deadline = jf_mono_ms() + budget_ms;
	bool more = false;
	int i;

	if (!b)
		return false;
	accept_new(b, now_ms);
	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++) {
		struct session *s = &b->s[i];

		if (s->fd < 0)
			continue;
		s->now_ms = now_ms;
		if (session_poll(b, s, deadline))
			more = true;
	}
	return more;
}

bool jf_bmp_synced(const struct jf_bmp *b, uint64_t now_ms)
{
	int id;

	if (!b)
		return true;
	if (!b->st.sessions)
		return b->ever_up || now_ms - b->start_ms >= JF_BMP_SYNC_GRACE_MS;
	for (id = jf_rib_table_next(b->rib, -1); id >= 0; id = jf_rib_table_next(b->rib, id)) {
		struct jf_rib_table_info t;
		uint64_t last;

		jf_rib_table_get(b->rib, id, &t);
		if (t.eor || t.shadowed)
			continue;
		last = t.last_update_ms > t.up_ms ? t.last_update_ms : t.up_ms;
		if (now_ms - last < JF_BMP_QUIET_MS)
			return false;
	}
	return true;
}

void jf_bmp_get_stats(const struct jf_bmp *b, struct jf_bmp_stats *st)
{
	int i;

	*st = b->st;
	st->ignored = 0;
	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++)
		if (b->s[i].fd >= 0)
			st->ignored += b->s[i].ps.ignored;
}

size_t jf_bmp_bytes(const struct jf_bmp *b)
{
	size_t n = sizeof(*b);
	int i;

	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++)
		if (b->s[i].fd >= 0)
			n += b->s[i].cap + b->s[i].ps.cap_peers * sizeof(*b->s[i].ps.peers);
	return n;
}

void jf_bmp_print_sessions(const struct jf_bmp *b, FILE *f, uint64_t now_ms)
{
	int i;

	fprintf(f, "%-46s %-20s %12s %10s\n", "speaker", "sysname", "messages", "up_s");
	for (i = 0; i < JF_BMP_MAX_SESSIONS; i++) {
		const struct session *s = &b->s[i];

		if (s->fd < 0)
			continue;
		fprintf(f, "%-46s %-20s %12llu %10llu\n", s->addr, s->sys_name[0] ? s->sys_name : "-",
			(unsigned long long)s->messages,
			(unsigned long long)((now_ms - s->since_ms) / 1000));
	}
}
