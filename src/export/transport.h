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

/* One message sent, remembered until the next look at the collector's
 * socket (UDP, collector on this host). */
struct jf_sent {
	struct jf_msg_meta meta;
	uint32_t len;
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
	uint64_t wait_until_ms;		/* ... until then (monotonic; 0: no end) */
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
	uint8_t *obuf;			/* TCP: qmax + JF_TCP_SESSION_RESERVE bytes */
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

	/* UDP to a collector on this host (docs/export.md). The kernel says
	 * through sock_diag how full its socket is: messages go while it has
	 * room, and wait in the bounded queue above (obuf, from qhead) while
	 * it has none or is not there; the agent never waits for it (a file
	 * replay does, may_block). Its socket's drop counter tells which of
	 * our datagrams it lost. */
	bool watch;			/* on this host, and sock_diag sees its socket */
	bool paced;			/* watch, and send only as it takes them */
	bool looked;			/* a look was made since open */
	bool peer_up;			/* its socket was there at the last look */
	bool warned_slow;		/* "reads slower than we export" is out */
	bool warned_absent;		/* "nothing listens" is out, for this absence */
	uint64_t peer_inode;		/* that socket */
	uint32_t peer_drops;		/* its SK_MEMINFO_DROPS at the last look */
	uint32_t peer_queued;		/* bytes its socket held then */
	bool stuck;			/* replay: it stopped reading, not waited for */
	int64_t room;			/* bytes it can still take, estimated */
	uint64_t next_look_ms;		/* monotonic */
	size_t qhead;			/* UDP queue: first entry not sent */
	size_t qcap;			/* UDP queue: bytes allocated (grows to qmax) */
	struct jf_sent *recent;		/* sent since the last look, a ring */
	uint32_t nrecent, recent_at;
	uint64_t tail_drops;		/* UDP queue full: messages not queued */
	struct jf_msg_tally lost;	/* sent, then dropped by its full socket */
	uint64_t socket_drops;		/* datagrams its socket dropped after our sends */
	uint64_t drop_looks;		/* looks that found drops (logged at 1, 10...) */

	/* counters */
	uint64_t send_errors;		/* failed sends: buffer full, TCP queue full */
	uint64_t refused;		/* UDP: ECONNREFUSED (ICMP port unreachable) */
	bool refusing;			/* UDP: the last datagram answered was refused */
	bool unreachable;		/* UDP: ... or its host or network unreachable */
	struct jf_refusal refusal;	/* UDP: what was sent while refused */
	int last_errno;			/* of the last send; 0 after one that went */
};

/* Resolve and open; 0 or -errno with a message in err. tcp_queue: bytes
 * the queue may hold (IPFIX over TCP; UDP to a collector on this host),
 * 0: default. */
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

/* Bytes waiting in the queue: TCP, unacknowledged ones included; UDP to
 * a collector on this host, not sent yet. */
size_t jf_transport_queued(const struct jf_transport *t);

/* UDP to a collector on this host: pace on its socket (true), or send
 * at once (--export-rate 0); its drops are counted either way. */
void jf_transport_set_paced(struct jf_transport *t, bool paced);

/* TCP: advance connecting, writing and acknowledgements; notice a
 * collector that closed. Returns true while a new connection waits for
 * its templates: nothing is written on it until the exporter has queued
 * them with jf_transport_send(first) and called jf_transport_session_start.
 * UDP to a collector on this host: look at its socket when due, count
 * what it dropped, send what waits while it has room. Never waits. */
bool jf_transport_poll(struct jf_transport *t, uint64_t now_ms);
void jf_transport_session_start(struct jf_transport *t);

/* Milliseconds until jf_transport_poll has work (0: now, -1: nothing
 * waits on this transport between ticks). */
int jf_transport_wait_ms(const struct jf_transport *t);

/* Wait up to *timeout_ms for everything queued to be taken (TCP:
 * acknowledged; UDP: sent as the collector's socket has room);
 * *timeout_ms is left with the time that remains. Returns true early when
 * a new TCP connection needs its templates (then call it again). */
bool jf_transport_drain(struct jf_transport *t, int *timeout_ms);

/* Give up what is still queued (at exit, or a removed collector's time is
 * up), into t->abandoned. */
void jf_transport_abandon(struct jf_transport *t);

/* Whether the stream is writable now (TCP up, or UDP). */
static inline bool jf_transport_ready(const struct jf_transport *t)
{
	return !t->tcp || t->up;
}

#endif
