/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sockets to collectors: UDP (never blocks, errors counted) and TCP
 * (reconnects with backoff, buffers a bounded amount while down). */
#ifndef JFLOWD_TRANSPORT_H
#define JFLOWD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export/refusal.h"
#include <sys/socket.h>

#define JF_TCP_BUF_DEFAULT (8u << 20)	/* bytes buffered while disconnected */
#define JF_TCP_BUF_MIN (1u << 17)	/* holds the largest message */
/* Beyond the bound, room that only a new connection's templates may take:
 * a queue full of data must not crowd them out (data without templates
 * cannot be decoded). Templates, options and 64 interface records fit. */
#define JF_TCP_SESSION_RESERVE (1u << 16)

/* What a message carries, for the counters of whoever loses it. */
struct jf_msg_meta {
	uint32_t seq_step;	/* IPFIX sequence step of this message */
	uint32_t flow_records;
	uint64_t flow_packets;
	uint64_t flow_octets;
	uint32_t tmpl_records;	/* template and options template records */
	uint32_t opt_records;	/* options data records */
	uint32_t event_records;	/* NAT event records */
	uint32_t session;	/* TCP: templates/options of one connection, never resent */
	uint16_t seq_off;	/* TCP: where the per-connection sequence number goes, 0: none */
	uint16_t pad;
};

/* Messages taken out of the TCP queue unsent, and what they carried. */
struct jf_msg_tally {
	uint64_t messages;
	uint64_t octets;
	struct jf_msg_meta meta;
};

enum jf_send_result {
	JF_SENT = 0,		/* handed to the kernel (or queued on TCP) */
	JF_DROPPED,		/* not sent; counted by the caller */
};

struct jf_transport {
	int fd;
	bool tcp;
	bool may_block;			/* UDP: brief waits on a full socket (file replay) */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage src;	/* --source, if given */
	socklen_t src_len;
	struct sockaddr_storage local;	/* our address once connected */
	socklen_t local_len;
	char name[300];			/* for log messages */

	/* TCP. The queue holds whole messages, oldest first: those written on
	 * this connection but not yet acknowledged by the collector's TCP,
	 * then the one being written, then those not begun. */
	bool up;			/* connected */
	bool connecting;
	bool session_new;		/* up, waiting for its templates: nothing written */
	uint64_t next_try_ms;
	uint32_t backoff_ms;
	uint8_t *obuf;			/* qmax + JF_TCP_SESSION_RESERVE bytes */
	size_t qmax;			/* bound of the queue for everything else */
	size_t olen;
	size_t wr_off;			/* entry being written (or next to write) */
	size_t wr_pos;			/* its bytes written so far */
	size_t ins_off;			/* where the next "first" entry goes */
	uint64_t stream_written;	/* bytes written on this connection */
	uint64_t stream_acked;		/* bytes of whole messages acknowledged */
	uint32_t session_seq;		/* IPFIX sequence on this connection */
	uint64_t connects;		/* successful connections */
	uint64_t delivered_messages;	/* acknowledged by the collector's TCP */
	uint64_t resent_messages;	/* unacknowledged at a loss, sent again */
	struct jf_msg_tally discarded;	/* session messages of a lost connection */
	struct jf_msg_tally abandoned;	/* still queued when jflowd gave up (exit) */
	struct jf_msg_meta queued;	/* what waits in the queue */

	/* counters */
	uint64_t send_errors;		/* failed sends: buffer full, TCP queue full */
	uint64_t refused;		/* UDP: ECONNREFUSED (ICMP port unreachable) */
	bool refusing;			/* UDP: the last datagram answered was refused */
	bool unreachable;		/* UDP: ... or its host or network unreachable */
	struct jf_refusal refusal;	/* UDP: what was sent while refused */
	int last_errno;			/* of the last send; 0 after one that went */
};

/* Resolve and open; 0 or -errno with a message in err. tcp_queue: bytes
 * the TCP queue may hold (0: default). */
int jf_transport_open(struct jf_transport *t, const char *host, const char *port,
		      bool tcp, const char *source, size_t tcp_queue, const char *name,
		      char *err, size_t errlen);
void jf_transport_close(struct jf_transport *t);

/* UDP: one datagram. TCP: append to the stream; JF_DROPPED when the
 * bounded queue is full. meta: what the message carries. TCP and first:
 * ahead of every queued message not yet begun on this connection, after
 * earlier first messages (the templates of a new connection, in order). */
enum jf_send_result jf_transport_send(struct jf_transport *t, const void *msg,
				      size_t len, const struct jf_msg_meta *meta, bool first,
				      uint64_t now_ms);

/* Bytes waiting in the TCP queue, unacknowledged ones included. */
size_t jf_transport_queued(const struct jf_transport *t);

/* TCP: advance connecting, writing and acknowledgements; notice a
 * collector that closed. Returns true while a new connection waits for
 * its templates: nothing is written on it until the exporter has queued
 * them with jf_transport_send(first) and called jf_transport_session_start. */
bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms);
void jf_transport_session_start(struct jf_transport *t);

/* TCP: wait up to *timeout_ms for everything queued to be acknowledged;
 * *timeout_ms is left with the time that remains. Returns true early when
 * a new connection needs its templates (then call it again). */
bool jf_transport_drain(struct jf_transport *t, int *timeout_ms);

/* TCP: give up what is still queued (at exit), into t->abandoned. */
void jf_transport_abandon(struct jf_transport *t);

/* Whether the stream is writable now (TCP up, or UDP). */
static inline bool jf_transport_ready(const struct jf_transport *t)
{
	return !t->tcp || t->up;
}

#endif
