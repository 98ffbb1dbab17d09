// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Sockets to collectors. UDP: a connected, non-blocking socket with a large
 * send buffer. TCP: a non-blocking stream that reconnects with exponential
 * backoff and keeps whole messages in a bounded queue while it is down; a
 * message cut by a broken connection is dropped, never resent half. IPFIX
 * sequence numbers are per transport session, so they are written into
 * each message when it goes out on the current connection. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "template.h"
#include "transport.h"

#define UDP_SNDBUF (4 << 20)
#define TCP_BACKOFF_MIN_MS 250
#define TCP_BACKOFF_MAX_MS 30000
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
		      bool tcp, const char *source, const char *name,
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
		t->obuf = malloc(JF_TCP_BUF_MAX);
		if (!t->obuf) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		t->backoff_ms = TCP_BACKOFF_MIN_MS;
		/* A bad --source is a start-up error, not a retry loop. */
		rc = new_socket(t, err, errlen);
		if (rc < 0)
			return rc;
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

static enum jf_send_result udp_send(struct jf_transport *t, const void *msg, size_t len)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		ssize_t n = send(t->fd, msg, len, MSG_DONTWAIT);
		struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };

		if (n == (ssize_t)len)
			return JF_SENT;
		if (n >= 0)
			break;
		t->last_errno = errno;
		if (errno == EINTR)
			continue;
		/* The error may belong to an earlier datagram (ICMP port
		 * unreachable): it is now cleared, so try this one again. */
		if (errno == ECONNREFUSED)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS) {
			poll(&pfd, 1, 5);
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

static void meta_add(struct jf_msg_meta *a, const struct jf_msg_meta *b, int sign)
{
	a->data_records += (uint32_t)(sign * (int64_t)b->data_records);
	a->flow_records += (uint32_t)(sign * (int64_t)b->flow_records);
	a->flow_packets += (uint64_t)(sign * (int64_t)b->flow_packets);
	a->flow_octets += (uint64_t)(sign * (int64_t)b->flow_octets);
}

static void queue_meta(const struct jf_transport *t, size_t off, struct jf_msg_meta *m)
{
	memcpy(m, t->obuf + off + 8, sizeof(*m));
}

static void queue_pop(struct jf_transport *t)
{
	size_t mlen = rd32(t->obuf);
	struct jf_msg_meta m;

	queue_meta(t, 0, &m);
	meta_add(&t->queued, &m, -1);

	memmove(t->obuf, t->obuf + QHDR + mlen, t->olen - QHDR - mlen);
	t->olen -= QHDR + mlen;
	t->ooff = 0;
}

static void tcp_down(struct jf_transport *t, uint64_t now_ms, int err)
{
	if (t->up)
		log_warn("collector %s: connection lost: %s", t->name, strerror(err));
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->up = false;
	t->connecting = false;
	t->last_errno = err;
	/* A message cut in the middle is lost with the connection. */
	if (t->ooff && t->olen >= QHDR) {
		struct jf_msg_meta m;

		queue_meta(t, 0, &m);
		meta_add(&t->cut, &m, 1);
		queue_pop(t);
		t->cut_messages++;
	}
	t->ooff = 0;
	t->next_try_ms = now_ms + t->backoff_ms;
	t->backoff_ms = t->backoff_ms * 2 > TCP_BACKOFF_MAX_MS ? TCP_BACKOFF_MAX_MS
							      : t->backoff_ms * 2;
}

static void tcp_flush(struct jf_transport *t, uint64_t now_ms)
{
	while (t->up && t->olen) {
		uint32_t mlen = rd32(t->obuf);
		uint8_t *m = t->obuf + QHDR;
		struct jf_msg_meta meta;
		ssize_t n;

		if (t->ooff == 0) {	/* first byte on this connection */
			queue_meta(t, 0, &meta);
			jf_put_be(m + 8, t->session_seq, 4);
			t->session_seq += meta.data_records;
		}
		n = send(t->fd, m + t->ooff, mlen - t->ooff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			tcp_down(t, now_ms, errno);
			return;
		}
		t->ooff += (size_t)n;
		if (t->ooff < mlen)
			return;
		queue_pop(t);
		t->sent_messages++;
	}
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
	if (connect(fd, (struct sockaddr *)&t->peer, t->peer_len) == 0) {
		t->connecting = true;	/* completes below */
	} else if (errno == EINPROGRESS) {
		t->connecting = true;
	} else {
		tcp_down(t, now_ms, errno);
	}
}

bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms)
{
	bool came_up = false;

	if (!t->tcp)
		return false;
	if (!t->up && !t->connecting && now_ms >= t->next_try_ms)
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
			if (t->connects == 0 && t->backoff_ms == TCP_BACKOFF_MIN_MS)
				log_warn("collector %s: cannot connect: %s; retrying",
					 t->name, strerror(soerr));
			tcp_down(t, now_ms, soerr);
			return false;
		}
		t->up = true;
		t->connects++;
		t->session_seq = 0;
		t->backoff_ms = TCP_BACKOFF_MIN_MS;
		note_local(t);
		if (t->connects > 1)
			log_info("collector %s: reconnected", t->name);
		came_up = true;
	}
	if (t->up && !came_up)
		tcp_flush(t, now_ms);
	return came_up;
}

static enum jf_send_result tcp_queue(struct jf_transport *t, const void *msg, size_t len,
				     const struct jf_msg_meta *meta, bool front)
{
	uint8_t *at;
	uint32_t l32 = (uint32_t)len, pad = 0;

	if (t->olen + QHDR + len > JF_TCP_BUF_MAX) {
		t->send_errors++;
		return JF_DROPPED;
	}
	if (front) {
		/* Before everything not yet begun on this connection. */
		size_t keep = 0;

		if (t->ooff)
			keep = QHDR + rd32(t->obuf);
		at = t->obuf + keep;
		memmove(at + QHDR + len, at, t->olen - keep);
	} else {
		at = t->obuf + t->olen;
	}
	memcpy(at, &l32, 4);
	memcpy(at + 4, &pad, 4);
	memcpy(at + 8, meta, sizeof(*meta));
	memcpy(at + QHDR, msg, len);
	t->olen += QHDR + len;
	meta_add(&t->queued, meta, 1);
	return JF_SENT;
}

enum jf_send_result jf_transport_send(struct jf_transport *t, const void *msg,
				      size_t len, const struct jf_msg_meta *meta, uint64_t now_ms)
{
	enum jf_send_result r;

	if (!t->tcp)
		return udp_send(t, msg, len);
	r = tcp_queue(t, msg, len, meta, false);
	if (r == JF_SENT)
		tcp_flush(t, now_ms);
	return r;
}

enum jf_send_result jf_transport_send_first(struct jf_transport *t, const void *msg,
					    size_t len, const struct jf_msg_meta *meta,
					    uint64_t now_ms)
{
	enum jf_send_result r;

	if (!t->tcp)
		return udp_send(t, msg, len);
	r = tcp_queue(t, msg, len, meta, true);
	if (r == JF_SENT)
		tcp_flush(t, now_ms);
	return r;
}

void jf_transport_drain(struct jf_transport *t, int timeout_ms)
{
	int waited = 0;

	while (t->tcp && t->olen && waited < timeout_ms) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };

		if (!t->up) {
			jf_transport_poll(t, UINT64_MAX / 2);
			if (!t->up && !t->connecting)
				break;
		}
		poll(&pfd, 1, 10);
		waited += 10;
		jf_transport_poll(t, UINT64_MAX / 2);
	}
}

size_t jf_transport_queued(const struct jf_transport *t)
{
	return t->olen;
}
