// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Sockets to collectors. UDP: a connected, non-blocking socket with a large
 * send buffer. TCP: a non-blocking stream that reconnects with exponential
 * backoff and keeps whole messages in a bounded queue while it is down.
 * A message leaves the queue only once the collector's TCP acknowledged
 * it, so a message cut or unacknowledged when the connection breaks is
 * sent again, whole, on the next one; templates and options of the lost
 * connection are not (the new one gets fresh ones first). IPFIX sequence
 * numbers are per transport session, so they are written into each
 * message when it goes out on the current connection. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "log.h"
#include "export/bytes.h"
#include "export/peer_queue.h"
#include "export/transport.h"

#define UDP_SNDBUF (4 << 20)
#define TCP_BACKOFF_MIN_MS 250
#define TCP_BACKOFF_MAX_MS 30000
#define UDP_WAIT_MS 5		/* file replay only: wait for room, then retry */
/* A queued message: u32 length, u32 pad, struct jf_msg_meta, bytes. */
#define QHDR (8 + sizeof(struct jf_msg_meta))
/* UDP to a collector on this host: when to look at its socket again. */
#define LOOK_AGAIN_MS 1		/* it took what it had room for: soon */
#define LOOK_SLOW_MS 10		/* it had no room: it reads slowly */
#define LOOK_ABSENT_MS 250	/* nothing listens there: look for it again */
#define LOOK_IDLE_MS 1000	/* nothing waits: for its drop count only */
#define RECENT_MAX 1024		/* messages remembered between two looks */
#define REPLAY_STUCK_MS 1000	/* replay: wait this long for room, at most */

static int resolve(const char *host, const char *port, int socktype,
		   struct sockaddr_storage *out, socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = socktype, .ai_family = AF_UNSPEC };
	struct addrinfo *res;
	int rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int new_socket(struct jf_transport *t, char *err, size_t errlen)
{
	int fd, one = 1, sz = UDP_SNDBUF;

	fd = socket(t->peer.ss_family, (t->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (!t->tcp && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (t->tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (t->src_len && bind(fd, (struct sockaddr *)&t->src, t->src_len)) {
		int e = errno;

		snprintf(err, errlen, "bind to source address: %s", strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static void note_local(struct jf_transport *t)
{
	t->local_len = sizeof(t->local);
	if (getsockname(t->fd, (struct sockaddr *)&t->local, &t->local_len))
		t->local_len = 0;
}

static void udp_watch_setup(struct jf_transport *t);

int jf_transport_open(struct jf_transport *t, const char *host, const char *port,
		      bool tcp, const char *source, size_t tcp_queue, const char *name,
		      char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->tcp = tcp;
	snprintf(t->name, sizeof(t->name), "%s", name);
	rc = resolve(host, port, tcp ? SOCK_STREAM : SOCK_DGRAM, &t->peer, &t->peer_len,
		     err, errlen);
	if (rc)
		return rc;
	if (source && *source) {
		rc = resolve(source, "0", tcp ? SOCK_STREAM : SOCK_DGRAM, &t->src, &t->src_len,
			     err, errlen);
		if (rc)
			return rc;
		if (t->src.ss_family != t->peer.ss_family) {
			snprintf(err, errlen, "source address %s is not of the collector's "
				 "address family", source);
			return -EINVAL;
		}
	}
	if (tcp) {
		t->qmax = tcp_queue ? tcp_queue : JF_TCP_BUF_DEFAULT;
		t->obuf = malloc(t->qmax + JF_TCP_SESSION_RESERVE);
		if (!t->obuf) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		t->backoff_ms = TCP_BACKOFF_MIN_MS;
		/* A bad --source is a start-up error, not a retry loop. */
		rc = new_socket(t, err, errlen);
		if (rc < 0) {
			free(t->obuf);
			t->obuf = NULL;
			return rc;
		}
		close(rc);
		return 0;	/* connects in jf_transport_poll */
	}
	rc = new_socket(t, err, errlen);
	if (rc < 0)
		return rc;
	t->fd = rc;
	if (connect(t->fd, (struct sockaddr *)&t->peer, t->peer_len)) {
		rc = -errno;
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(t->fd);
		t->fd = -1;
		return rc;
	}
	note_local(t);
	t->qmax = tcp_queue ? tcp_queue : JF_TCP_BUF_DEFAULT;
	udp_watch_setup(t);
	return 0;
}

void jf_transport_close(struct jf_transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->obuf);
	t->obuf = NULL;
	free(t->recent);
	t->recent = NULL;
}

/* Logged at 1, 10, 100... occurrences: visible, never a flood. */
static bool log_due(uint64_t n)
{
	while (n >= 10 && n % 10 == 0)
		n /= 10;
	return n == 1;
}

/* Once per absence, when the first message waits for it. */
static void warn_absent(struct jf_transport *t)
{
	if (t->warned_absent)
		return;
	t->warned_absent = true;
	log_warn("collector %s: nothing listens on its port; messages wait in jflowd (up to "
		 "%zu bytes), then are dropped and counted", t->name, t->qmax);
}

/* One datagram: 0, -1 (not sent: counted as a send error), or, to a
 * collector on this host paced on its socket, -ECONNREFUSED: it is gone
 * (nothing sent; the message waits for it instead). */
static int udp_send(struct jf_transport *t, const void *msg, size_t len)
{
	bool refused = false, unreachable = false;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		ssize_t n = send(t->fd, msg, len, MSG_DONTWAIT);
		struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };

		if (n == (ssize_t)len) {
			/* What the collector said of the datagram before this one. */
			t->refusing = refused;
			t->unreachable = unreachable;
			t->last_errno = 0;
			return 0;
		}
		if (n >= 0)
			break;
		t->last_errno = errno;
		if (errno == EINTR)
			continue;
		/* The error belongs to an earlier datagram (ICMP port
		 * unreachable) and is now cleared: count it, send this one
		 * again. A collector that is down is not fatal. */
		if (errno == ECONNREFUSED) {
			refused = true;
			t->refused++;
			jf_refusal_reported(&t->refusal, jf_mono_ms());
			if (t->paced) {
				/* Gone since the last look: wait for it. */
				t->peer_up = false;
				t->room = 0;
				t->next_look_ms = jf_mono_ms() + LOOK_ABSENT_MS;
				return -ECONNREFUSED;
			}
			if (log_due(t->refused))
				log_warn("collector %s: port unreachable (%llu time%s); "
					 "still sending", t->name, (unsigned long long)t->refused,
					 t->refused == 1 ? "" : "s");
			continue;
		}
		/* Host unreachable (ICMP, or no answer to ARP) for an earlier
		 * datagram: noted for the collector's state, this one tried
		 * again; no route at all fails every try. */
		if (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN ||
		    errno == ENETDOWN) {
			unreachable = true;
			t->unreachable = true;
			continue;
		}
		/* The agent never waits on a live collector; a file replay has
		 * nothing better to do than let the socket drain. */
		if ((errno == EAGAIN || errno == ENOBUFS) && t->may_block) {
			poll(&pfd, 1, UDP_WAIT_MS);
			continue;
		}
		break;
	}
	t->send_errors++;
	return -1;
}

/* --- TCP --- */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static size_t entry_len(const struct jf_transport *t, size_t off)
{
	return QHDR + rd32(t->obuf + off);
}

static void entry_meta(const struct jf_transport *t, size_t off, struct jf_msg_meta *m)
{
	memcpy(m, t->obuf + off + 8, sizeof(*m));
}

static void meta_add(struct jf_msg_meta *a, const struct jf_msg_meta *b, int sign)
{
	a->seq_step += (uint32_t)(sign * (int64_t)b->seq_step);
	a->flow_records += (uint32_t)(sign * (int64_t)b->flow_records);
	a->flow_packets += (uint64_t)(sign * (int64_t)b->flow_packets);
	a->flow_octets += (uint64_t)(sign * (int64_t)b->flow_octets);
	a->tmpl_records += (uint32_t)(sign * (int64_t)b->tmpl_records);
	a->opt_records += (uint32_t)(sign * (int64_t)b->opt_records);
	a->event_records += (uint32_t)(sign * (int64_t)b->event_records);
}

/* Remove the entry at off; keeps the cursors on the same entries. */
static void queue_remove(struct jf_transport *t, size_t off)
{
	size_t sz = entry_len(t, off);
	struct jf_msg_meta m;

	entry_meta(t, off, &m);
	meta_add(&t->queued, &m, -1);
	memmove(t->obuf + off, t->obuf + off + sz, t->olen - off - sz);
	t->olen -= sz;
	if (t->wr_off > off)
		t->wr_off -= sz;
	if (t->ins_off > off)
		t->ins_off = t->ins_off >= off + sz ? t->ins_off - sz : off;
}

/* Remove the entry at off unsent, counted in tally. */
static void queue_drop(struct jf_transport *t, size_t off, struct jf_msg_tally *tally)
{
	struct jf_msg_meta m;

	entry_meta(t, off, &m);
	meta_add(&tally->meta, &m, 1);
	tally->messages++;
	tally->octets += rd32(t->obuf + off);
	queue_remove(t, off);
}

/* Pop the messages the collector's TCP has acknowledged: bytes written on
 * this connection minus those still unacknowledged in the socket. */
static void tcp_update_acked(struct jf_transport *t)
{
	uint64_t acked;
	int outq = 0;

	if (t->fd < 0 || ioctl(t->fd, SIOCOUTQ, &outq) || outq < 0)
		return;
	acked = t->stream_written - (uint64_t)outq;
	while (t->olen && t->wr_off > 0) {
		size_t mlen = rd32(t->obuf);

		if (t->stream_acked + mlen > acked)
			break;
		t->stream_acked += mlen;
		queue_remove(t, 0);
		t->delivered_messages++;
	}
}

static void tcp_down(struct jf_transport *t, uint64_t now_ms, int err)
{
	size_t off = 0;

	if (t->up) {
		if (err)
			log_warn("collector %s: connection lost: %s", t->name, strerror(err));
		else
			log_warn("collector %s: connection closed by the collector", t->name);
		tcp_update_acked(t);	/* the last acknowledgements, before close */
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->up = false;
	t->connecting = false;
	t->session_new = false;
	t->last_errno = err;
	/* Templates and options belonged to that connection; everything else
	 * waits for the next, the unacknowledged part written again whole. */
	while (off < t->olen) {
		struct jf_msg_meta m;
		bool begun = off < t->wr_off || (off == t->wr_off && t->wr_pos);

		entry_meta(t, off, &m);
		if (m.session) {
			queue_drop(t, off, &t->discarded);
			continue;
		}
		if (begun)
			t->resent_messages++;
		off += entry_len(t, off);
	}
	t->wr_off = t->wr_pos = t->ins_off = 0;
	t->stream_written = t->stream_acked = 0;
	/* Backoff on the monotonic clock: a wall-clock step must not stall it. */
	(void)now_ms;
	t->next_try_ms = jf_mono_ms() + t->backoff_ms;
	t->backoff_ms = t->backoff_ms * 2 > TCP_BACKOFF_MAX_MS ? TCP_BACKOFF_MAX_MS
							      : t->backoff_ms * 2;
}

static void tcp_flush(struct jf_transport *t, uint64_t now_ms)
{
	while (t->up && !t->session_new && t->wr_off < t->olen) {
		uint32_t mlen = rd32(t->obuf + t->wr_off);
		uint8_t *m = t->obuf + t->wr_off + QHDR;
		struct jf_msg_meta meta;
		ssize_t n;

		entry_meta(t, t->wr_off, &meta);
		if (t->wr_pos == 0 && meta.seq_off)	/* numbered for this connection */
			jf_put_be(m + meta.seq_off, t->session_seq, 4);
		n = send(t->fd, m + t->wr_pos, mlen - t->wr_pos, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			tcp_down(t, now_ms, errno);
			return;
		}
		/* The number is taken once the first byte is out. */
		if (t->wr_pos == 0 && n > 0)
			t->session_seq += meta.seq_step;
		t->wr_pos += (size_t)n;
		t->stream_written += (uint64_t)n;
		if (t->wr_pos < mlen)
			return;
		t->wr_off += QHDR + mlen;
		t->wr_pos = 0;
	}
}

/* A collector never sends on an IPFIX stream: readable means closed. */
static bool tcp_peer_closed(struct jf_transport *t, uint64_t now_ms)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN | POLLRDHUP };
	char junk[256];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return false;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLIN)) {
		n = recv(t->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
			return false;
		tcp_down(t, now_ms, n < 0 ? errno : 0);
		return true;
	}
	return false;
}

static void tcp_connect(struct jf_transport *t, uint64_t now_ms)
{
	char err[256];
	int fd = new_socket(t, err, sizeof(err));

	if (fd < 0) {
		tcp_down(t, now_ms, -fd);
		return;
	}
	t->fd = fd;
	if (connect(fd, (struct sockaddr *)&t->peer, t->peer_len) == 0 || errno == EINPROGRESS)
		t->connecting = true;	/* completes in jf_transport_poll */
	else
		tcp_down(t, now_ms, errno);
}

/* --- UDP to a collector on this host ---
 * Looks at its socket through sock_diag: room (half its buffer, less what
 * waits in it), whether it is there, and what it dropped. On loopback a
 * datagram reaches the receiver inside send(), so what its socket dropped
 * since the last look was among what we sent since: the latest of those
 * (a full socket drops the later arrivals) are counted lost. */

static void look(struct jf_transport *t, uint64_t now);

static void udp_watch_setup(struct jf_transport *t)
{
	struct jf_peer_mem pm;
	int rc;

	if (!jf_peer_is_local(&t->peer))
		return;
	/* Our own socket, seen from the collector's side: if sock_diag
	 * cannot find it, it cannot find the collector's either. */
	rc = jf_peer_queue(&t->peer, &t->local, &pm);
	if (rc) {
		log_warn("collector %s is on this host, but sock_diag cannot look at UDP "
			 "sockets (%s; udp_diag module?): it is sent to without pacing, and what "
			 "its socket drops is not counted", t->name, strerror(-rc));
		return;
	}
	t->recent = calloc(RECENT_MAX, sizeof(*t->recent));
	if (!t->recent) {
		log_warn("collector %s: out of memory: sent to without pacing", t->name);
		return;
	}
	t->watch = true;
	/* Before anything is sent: the drops its socket counted so far
	 * are none of ours. */
	look(t, jf_mono_ms());
}

void jf_transport_set_paced(struct jf_transport *t, bool paced)
{
	t->paced = t->watch && paced;
}

static void entry_put(struct jf_transport *t, size_t off, const void *msg, size_t len,
		      const struct jf_msg_meta *meta)
{
	uint8_t *at = t->obuf + off;
	uint32_t l32 = (uint32_t)len, pad = 0;

	memcpy(at, &l32, 4);
	memcpy(at + 4, &pad, 4);
	memcpy(at + 8, meta, sizeof(*meta));
	memcpy(at + QHDR, msg, len);
	meta_add(&t->queued, meta, 1);
}

/* At the tail of the UDP queue; -ENOBUFS when it would pass qmax. The
 * buffer grows as needed, up to qmax: nothing is held while nothing waits. */
static int udpq_push(struct jf_transport *t, const void *msg, size_t len,
		     const struct jf_msg_meta *meta, bool first)
{
	size_t sz = QHDR + len, off;

	if (t->olen - t->qhead + sz > t->qmax)
		return -ENOBUFS;
	if (t->qhead && t->olen + sz > t->qcap) {
		memmove(t->obuf, t->obuf + t->qhead, t->olen - t->qhead);
		t->olen -= t->qhead;
		t->ins_off -= t->ins_off > t->qhead ? t->qhead : t->ins_off;
		t->qhead = 0;
	}
	if (t->olen + sz > t->qcap) {
		size_t cap = t->qcap ? t->qcap : 65536;
		uint8_t *p;

		while (cap < t->olen + sz)
			cap *= 2;
		if (cap > t->qmax + QHDR + 65536)
			cap = t->olen + sz;
		p = realloc(t->obuf, cap);
		if (!p)
			return -ENOMEM;
		t->obuf = p;
		t->qcap = cap;
	}
	/* A new socket's templates: ahead of what waits, in their order. */
	off = t->olen;
	if (first) {
		off = t->ins_off > t->qhead ? t->ins_off : t->qhead;
		memmove(t->obuf + off + sz, t->obuf + off, t->olen - off);
		t->ins_off = off + sz;
	}
	entry_put(t, off, msg, len, meta);
	t->olen += sz;
	return 0;
}

static void udpq_pop(struct jf_transport *t)
{
	struct jf_msg_meta m;

	entry_meta(t, t->qhead, &m);
	meta_add(&t->queued, &m, -1);
	t->qhead += entry_len(t, t->qhead);
	if (t->qhead == t->olen)
		t->qhead = t->olen = t->ins_off = 0;
}

static bool udpq_empty(const struct jf_transport *t)
{
	return t->qhead == t->olen;
}

/* Its socket dropped d datagrams since the last look. */
static void count_drops(struct jf_transport *t, uint32_t d)
{
	uint32_t i, at = t->recent_at, n = d < t->nrecent ? d : t->nrecent;

	t->socket_drops += d;
	for (i = 0; i < n; i++) {
		at = (at + RECENT_MAX - 1) % RECENT_MAX;
		meta_add(&t->lost.meta, &t->recent[at].meta, 1);
		t->lost.messages++;
		t->lost.octets += t->recent[at].len;
	}
	if (log_due(++t->drop_looks))
		log_warn("collector %s: its socket dropped %llu of our datagrams (%llu so far: "
			 "it was full)", t->name, (unsigned long long)d,
			 (unsigned long long)t->socket_drops);
}

static void look(struct jf_transport *t, uint64_t now)
{
	struct jf_peer_mem pm;
	bool first = !t->looked;
	int rc;

	rc = jf_peer_queue(&t->local, &t->peer, &pm);
	if (rc == -ENOENT) {
		t->looked = true;
		t->peer_up = false;
		t->room = 0;
		t->nrecent = 0;		/* refused, and counted so (refusal.c) */
		t->next_look_ms = now + LOOK_ABSENT_MS;
		return;
	}
	if (rc) {	/* out of descriptors, say: look again soon */
		t->next_look_ms = now + LOOK_SLOW_MS;
		return;
	}
	t->looked = true;
	if (t->peer_up && pm.inode == t->peer_inode) {
		if (pm.drops != t->peer_drops)
			count_drops(t, pm.drops - t->peer_drops);
	} else {
		/* A socket seen for the first time: at start its drops are
		 * none of ours; one that came since got what we sent since. */
		if (!first && pm.drops)
			count_drops(t, pm.drops);
		/* Another socket, maybe another process: templates first, as
		 * on a new TCP connection (jf_transport_poll says so). */
		if (!first) {
			t->session_new = true;
			log_info("collector %s: listening%s", t->name,
				 udpq_empty(t) ? "" : ", sending what waited for it");
		}
	}
	t->peer_up = true;
	t->warned_absent = false;
	t->peer_inode = pm.inode;
	t->peer_drops = pm.drops;
	t->peer_queued = pm.queued;
	t->nrecent = 0;
	t->room = (int64_t)pm.rcvbuf / 2 - pm.queued;
	t->next_look_ms = now + (udpq_empty(t) ? LOOK_IDLE_MS : LOOK_AGAIN_MS);
}

/* A datagram went: for the refusal slots, and (on this host) remembered
 * until the next look tells whether its socket dropped it. */
static void note_sent(struct jf_transport *t, const struct jf_msg_meta *m, size_t len)
{
	struct jf_sent *s;

	jf_refusal_sent(&t->refusal, jf_mono_ms(), m->flow_records, m->flow_packets,
			m->flow_octets);
	if (!t->watch)
		return;
	s = &t->recent[t->recent_at];
	s->meta = *m;
	s->len = (uint32_t)len;
	t->recent_at = (t->recent_at + 1) % RECENT_MAX;
	if (++t->nrecent == RECENT_MAX)
		look(t, jf_mono_ms());	/* count its drops before we forget */
}

/* A datagram costs the receiver its truesize, about len + 900 bytes on
 * loopback: 2 * len is safe. */
static int64_t need(size_t len)
{
	return (int64_t)(2 * len);
}

/* Send from the queue while the collector has room (all of it when not
 * paced). A send that fails for a message counted sent is counted lost. */
static void udpq_send(struct jf_transport *t)
{
	while (!udpq_empty(t)) {
		uint32_t mlen = rd32(t->obuf + t->qhead);
		struct jf_msg_meta m;
		int rc;

		if (t->session_new || (t->paced && t->room < need(mlen)))
			break;
		entry_meta(t, t->qhead, &m);
		rc = udp_send(t, t->obuf + t->qhead + QHDR, mlen);
		if (rc == -ECONNREFUSED)
			break;		/* gone: it waits at the head */
		if (!rc) {
			note_sent(t, &m, mlen);
		} else {
			meta_add(&t->lost.meta, &m, 1);
			t->lost.messages++;
			t->lost.octets += mlen;
		}
		t->room -= need(mlen);
		udpq_pop(t);
	}
}

/* Look when due, count drops, send what it has room for. */
static void udp_service(struct jf_transport *t)
{
	uint64_t now = jf_mono_ms();
	size_t before = t->olen - t->qhead;

	if (!t->watch)
		return;
	if (now < t->next_look_ms)
		return;
	look(t, now);
	if (t->peer_up || !t->paced)
		udpq_send(t);
	if (!udpq_empty(t))
		t->next_look_ms = now + (t->peer_up && t->olen - t->qhead < before ? LOOK_AGAIN_MS
						   : t->peer_up ? LOOK_SLOW_MS : LOOK_ABSENT_MS);
	else if (t->warned_slow)
		t->warned_slow = false;
}

/* One look and what it has room for; whether it took anything since the
 * last look (its socket holds less, or our queue shrank). */
static bool udp_step(struct jf_transport *t)
{
	size_t before = t->olen - t->qhead;
	uint32_t held = t->peer_queued;

	look(t, jf_mono_ms());
	if (!t->peer_up)
		return false;
	udpq_send(t);
	return t->olen - t->qhead < before || t->peer_queued < held;
}

/* A replay waits for room, as long as the collector takes some within
 * REPLAY_STUCK_MS: nothing is lost by waiting. One that stops reading is
 * not waited for again until it reads. */
static void udp_wait_room(struct jf_transport *t, size_t len)
{
	uint64_t start = jf_mono_ms();

	if (t->wait_until_ms && start >= t->wait_until_ms)
		return;
	while (!udpq_empty(t) || t->room < need(len)) {
		if (udp_step(t)) {
			if (t->stuck)
				log_info("collector %s reads again", t->name);
			t->stuck = false;
			start = jf_mono_ms();
		}
		if (!t->peer_up || t->stuck || t->session_new ||
		    (udpq_empty(t) && t->room >= need(len)))
			return;
		if (t->wait_until_ms && jf_mono_ms() >= t->wait_until_ms)
			return;
		if (jf_mono_ms() - start >= REPLAY_STUCK_MS) {
			t->stuck = true;
			log_warn("collector %s does not read its socket: not waited for until it "
				 "does; what it has no room for waits in jflowd (up to %zu bytes), "
				 "then is dropped and counted", t->name, t->qmax);
			return;
		}
		poll(NULL, 0, LOOK_AGAIN_MS);
	}
}

/* Paced: now if nothing waits and it has room, else queued (dropped and
 * counted beyond the bound). The agent never waits here. */
static enum jf_send_result udp_paced_send(struct jf_transport *t, const void *msg, size_t len,
					  const struct jf_msg_meta *meta, bool first)
{
	uint64_t now = jf_mono_ms();
	int rc;

	if (t->may_block && !first)
		udp_wait_room(t, len);
	else if (udpq_empty(t) && t->room < need(len) && (t->peer_up || now >= t->next_look_ms))
		look(t, now);
	if (udpq_empty(t) && t->peer_up && !t->session_new && t->room >= need(len)) {
		t->room -= need(len);
		rc = udp_send(t, msg, len);
		if (!rc) {
			note_sent(t, meta, len);
			return JF_SENT;
		}
		if (rc != -ECONNREFUSED)
			return JF_DROPPED;
	}
	if (!t->peer_up)
		warn_absent(t);
	if (udpq_push(t, msg, len, meta, first)) {
		t->tail_drops++;
		t->send_errors++;
		if (log_due(t->tail_drops))
			log_warn("collector %s: %zu bytes of messages wait for it, the most jflowd "
				 "keeps (--tcp-buffer): message dropped (%llu so far, counted)",
				 t->name, t->olen - t->qhead, (unsigned long long)t->tail_drops);
		return JF_DROPPED;
	}
	if (!t->warned_slow && t->peer_up && t->olen - t->qhead > t->qmax / 2) {
		t->warned_slow = true;
		log_warn("collector %s reads slower than jflowd exports: %zu bytes of messages "
			 "wait for it; beyond %zu they are dropped (counted)", t->name,
			 t->olen - t->qhead, t->qmax);
	}
	return JF_SENT;
}

bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms)
{
	if (!t->tcp) {
		udp_service(t);
		return t->session_new;
	}
	if (!t->up && !t->connecting && jf_mono_ms() >= t->next_try_ms)
		tcp_connect(t, now_ms);
	if (t->connecting) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (poll(&pfd, 1, 0) <= 0)
			return false;
		getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		t->connecting = false;
		if (soerr) {
			if (t->backoff_ms == TCP_BACKOFF_MIN_MS)
				log_warn("collector %s: cannot connect: %s; retrying",
					 t->name, strerror(soerr));
			tcp_down(t, now_ms, soerr);
			return false;
		}
		t->up = true;
		t->connects++;
		t->session_seq = 0;
		t->wr_off = t->wr_pos = t->ins_off = 0;
		t->stream_written = t->stream_acked = 0;
		t->backoff_ms = TCP_BACKOFF_MIN_MS;
		note_local(t);
		log_info("collector %s: %s", t->name, t->connects > 1 ? "reconnected" : "connected");
		t->session_new = true;
	}
	if (t->up && !t->session_new && !tcp_peer_closed(t, now_ms)) {
		tcp_update_acked(t);
		tcp_flush(t, now_ms);
	}
	return t->up && t->session_new;
}

void jf_transport_session_start(struct jf_transport *t)
{
	t->session_new = false;
	if (!t->tcp)
		t->ins_off = t->qhead;
}

static enum jf_send_result tcp_queue(struct jf_transport *t, const void *msg, size_t len,
				     const struct jf_msg_meta *meta, bool front)
{
	size_t off, sz = QHDR + len;

	if (t->olen + sz > t->qmax + (front ? JF_TCP_SESSION_RESERVE : 0)) {
		t->send_errors++;
		return JF_DROPPED;
	}
	if (front) {
		/* After what is begun and earlier "first" entries. */
		size_t begun = t->wr_off + (t->wr_pos ? entry_len(t, t->wr_off) : 0);

		off = t->ins_off > begun ? t->ins_off : begun;
		memmove(t->obuf + off + sz, t->obuf + off, t->olen - off);
		t->ins_off = off + sz;
	} else {
		off = t->olen;
	}
	entry_put(t, off, msg, len, meta);
	t->olen += sz;
	return JF_SENT;
}

enum jf_send_result jf_transport_send(struct jf_transport *t, const void *msg,
				      size_t len, const struct jf_msg_meta *meta, bool first,
				      uint64_t now_ms)
{
	enum jf_send_result r;

	if (!t->tcp) {
		if (t->paced)
			return udp_paced_send(t, msg, len, meta, first);
		if (udp_send(t, msg, len))
			return JF_DROPPED;
		note_sent(t, meta, len);
		return JF_SENT;
	}
	r = tcp_queue(t, msg, len, meta, first);
	if (r == JF_SENT)
		tcp_flush(t, now_ms);
	return r;
}

bool jf_transport_drain(struct jf_transport *t, int *timeout_ms)
{
	uint64_t start = jf_mono_ms(), deadline = start + (uint64_t)(*timeout_ms > 0 ? *timeout_ms : 0);
	uint64_t moved = start;
	bool fresh = false;

	/* One attempt now, whatever the backoff says; then, until the
	 * deadline, the backoff's (so "retrying" holds to the end). */
	if (t->tcp && !t->up && !t->connecting)
		t->next_try_ms = 0;
	/* UDP: as long as the collector takes some within REPLAY_STUCK_MS
	 * (one not there may still come). */
	while (!t->tcp && !udpq_empty(t) && jf_mono_ms() < deadline) {
		if (udp_step(t) || !t->peer_up)
			moved = jf_mono_ms();
		else if (jf_mono_ms() - moved >= REPLAY_STUCK_MS)
			break;
		if (!udpq_empty(t))
			poll(NULL, 0, t->peer_up ? LOOK_AGAIN_MS : LOOK_SLOW_MS);
	}
	while (t->tcp && t->olen && jf_mono_ms() < deadline) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLIN | POLLRDHUP };

		if (!t->up) {
			uint64_t now = jf_mono_ms();

			if (!t->connecting && now < t->next_try_ms) {
				uint64_t until = t->next_try_ms < deadline ? t->next_try_ms : deadline;

				poll(NULL, 0, (int)(until - now));
				continue;
			}
			fresh = jf_transport_poll(t, now);
			if (fresh)
				break;
			if (!t->up) {
				poll(NULL, 0, 10);
				continue;
			}
		}
		if (t->wr_off < t->olen)
			pfd.events |= POLLOUT;
		poll(&pfd, 1, 10);
		fresh = jf_transport_poll(t, UINT64_MAX / 2);
		if (fresh)
			break;
	}
	*timeout_ms -= (int)(jf_mono_ms() - start);
	return fresh;
}

void jf_transport_abandon(struct jf_transport *t)
{
	while (!t->tcp && !udpq_empty(t)) {
		struct jf_msg_meta m;

		entry_meta(t, t->qhead, &m);
		meta_add(&t->abandoned.meta, &m, 1);
		t->abandoned.messages++;
		t->abandoned.octets += rd32(t->obuf + t->qhead);
		udpq_pop(t);
	}
	while (t->tcp && t->olen) {
		struct jf_msg_meta m;

		entry_meta(t, 0, &m);
		queue_drop(t, 0, m.session ? &t->discarded : &t->abandoned);
	}
	t->wr_off = t->wr_pos = t->ins_off = 0;
}

size_t jf_transport_queued(const struct jf_transport *t)
{
	return t->olen - t->qhead;
}

int jf_transport_wait_ms(const struct jf_transport *t)
{
	uint64_t now;

	/* TCP is served at the tick and as messages are queued: its socket
	 * buffer takes a tick's worth. */
	if (!t->tcp && t->session_new)
		return 0;
	if (t->tcp || !t->watch || udpq_empty(t))
		return -1;
	now = jf_mono_ms();
	return t->next_look_ms <= now ? 0 : (int)(t->next_look_ms - now);
}
