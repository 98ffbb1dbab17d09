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
#include "export/transport.h"

#define UDP_SNDBUF (4 << 20)
#define TCP_BACKOFF_MIN_MS 250
#define TCP_BACKOFF_MAX_MS 30000
#define UDP_WAIT_MS 5		/* file replay only: wait for room, then retry */
/* A queued message: u32 length, u32 pad, struct jf_msg_meta, bytes. */
#define QHDR (8 + sizeof(struct jf_msg_meta))

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
	return 0;
}

void jf_transport_close(struct jf_transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->obuf);
	t->obuf = NULL;
}

/* Logged at 1, 10, 100... occurrences: visible, never a flood. */
static bool log_due(uint64_t n)
{
	while (n >= 10 && n % 10 == 0)
		n /= 10;
	return n == 1;
}

static enum jf_send_result udp_send(struct jf_transport *t, const void *msg, size_t len)
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
			return JF_SENT;
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
	return JF_DROPPED;
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

bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms)
{
	if (!t->tcp)
		return false;
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
}

static enum jf_send_result tcp_queue(struct jf_transport *t, const void *msg, size_t len,
				     const struct jf_msg_meta *meta, bool front)
{
	uint8_t *at;
	size_t off, sz = QHDR + len;
	uint32_t l32 = (uint32_t)len, pad = 0;

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
	at = t->obuf + off;
	memcpy(at, &l32, 4);
	memcpy(at + 4, &pad, 4);
	memcpy(at + 8, meta, sizeof(*meta));
	memcpy(at + QHDR, msg, len);
	t->olen += sz;
	meta_add(&t->queued, meta, 1);
	return JF_SENT;
}

enum jf_send_result jf_transport_send(struct jf_transport *t, const void *msg,
				      size_t len, const struct jf_msg_meta *meta, bool first,
				      uint64_t now_ms)
{
	enum jf_send_result r;

	if (!t->tcp) {
		r = udp_send(t, msg, len);
		if (r == JF_SENT)
			jf_refusal_sent(&t->refusal, jf_mono_ms(), meta->flow_records,
					meta->flow_packets, meta->flow_octets);
		return r;
	}
	r = tcp_queue(t, msg, len, meta, first);
	if (r == JF_SENT)
		tcp_flush(t, now_ms);
	return r;
}

bool jf_transport_drain(struct jf_transport *t, int *timeout_ms)
{
	uint64_t start = jf_mono_ms(), deadline = start + (uint64_t)(*timeout_ms > 0 ? *timeout_ms : 0);
	bool fresh = false;

	/* One attempt now, whatever the backoff says; then, until the
	 * deadline, the backoff's (so "retrying" holds to the end). */
	if (t->tcp && !t->up && !t->connecting)
		t->next_try_ms = 0;
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
	while (t->tcp && t->olen) {
		struct jf_msg_meta m;

		entry_meta(t, 0, &m);
		queue_drop(t, 0, m.session ? &t->discarded : &t->abandoned);
	}
	t->wr_off = t->wr_pos = t->ins_off = 0;
}

size_t jf_transport_queued(const struct jf_transport *t)
{
	return t->olen;
}
