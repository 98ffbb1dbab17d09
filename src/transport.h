/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sockets to collectors: UDP (never blocks, errors counted) and TCP
 * (reconnects with backoff, buffers a bounded amount while down). */
#ifndef JFLOWD_TRANSPORT_H
#define JFLOWD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define JF_TCP_BUF_MAX (8u << 20)	/* bytes buffered while disconnected */

/* What a message carries, for the counters of whoever loses it. */
struct jf_msg_meta {
	uint32_t data_records;	/* IPFIX sequence step */
	uint32_t flow_records;
	uint64_t flow_packets;
	uint64_t flow_octets;
};

enum jf_send_result {
	JF_SENT = 0,		/* handed to the kernel (or queued on TCP) */
	JF_DROPPED,		/* not sent; counted by the caller */
};

struct jf_transport {
	int fd;
	bool tcp;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage src;	/* --source, if given */
	socklen_t src_len;
	struct sockaddr_storage local;	/* our address once connected */
	socklen_t local_len;
	char name[300];			/* for log messages */

	/* TCP */
	bool up;			/* connected */
	bool connecting;
	uint64_t next_try_ms;
	uint32_t backoff_ms;
	uint8_t *obuf;			/* unsent bytes */
	size_t olen;
	size_t ooff;			/* sent part of obuf */
	uint64_t connects;		/* successful connections */
	uint32_t session_seq;		/* IPFIX data records sent on this connection */
	uint64_t sent_messages;		/* messages fully written */

	/* counters */
	uint64_t send_errors;		/* failed sends: ECONNREFUSED, ENOBUFS, queue full */
	uint64_t cut_messages;		/* TCP: lost half-written with a connection */
	struct jf_msg_meta cut;		/* ... and what they carried */
	struct jf_msg_meta queued;	/* TCP: what waits in the queue */
	int last_errno;
};

/* Resolve and open; 0 or -errno with a message in err. */
int jf_transport_open(struct jf_transport *t, const char *host, const char *port,
		      bool tcp, const char *source, const char *name,
		      char *err, size_t errlen);
void jf_transport_close(struct jf_transport *t);

/* UDP: one datagram. TCP: append to the stream; JF_DROPPED when the
 * bounded queue is full. meta: what the message carries. */
enum jf_send_result jf_transport_send(struct jf_transport *t, const void *msg,
				      size_t len, const struct jf_msg_meta *meta, uint64_t now_ms);

/* TCP: the same, but ahead of every queued message not yet begun (the
 * templates of a new connection). UDP: as jf_transport_send. */
enum jf_send_result jf_transport_send_first(struct jf_transport *t, const void *msg,
					    size_t len, const struct jf_msg_meta *meta,
					    uint64_t now_ms);

/* Bytes waiting in the TCP queue. */
size_t jf_transport_queued(const struct jf_transport *t);

/* TCP: advance connecting and writing. Returns true when a new connection
 * just came up (the exporter then resends its templates). */
bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms);

/* TCP: wait up to timeout_ms for the buffer to drain (at exit). */
void jf_transport_drain(struct jf_transport *t, int timeout_ms);

/* Whether the stream is writable now (TCP up, or UDP). */
static inline bool jf_transport_ready(const struct jf_transport *t)
{
	return !t->tcp || t->up;
}

#endif
