/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flow control toward a UDP collector on this host: the fill of the
 * collector socket's receive queue, read with sock_diag, so the exporter
 * sends only as fast as the collector reads (in every capture mode). */
#ifndef JFLOWD_PEER_QUEUE_H
#define JFLOWD_PEER_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Whether addr is an address of this host's loopback (127/8, ::1). */
bool jf_peer_is_local(const struct sockaddr_storage *addr);

/* What sock_diag says of a UDP socket's receive side. */
struct jf_peer_mem {
	uint32_t queued;	/* bytes in its receive queue (truesize) */
	uint32_t rcvbuf;	/* its receive buffer */
	uint32_t drops;		/* datagrams it dropped since it was created */
	uint64_t inode;		/* which socket: a restarted collector has another */
};

/* The socket that gets datagrams sent from `local` to `peer`. 0 or
 * -errno (-ENOENT: no socket listens there, or sock_diag cannot look up
 * UDP sockets on this kernel: jf_peer_queue(peer, local) of our own
 * connected socket tells which). */
int jf_peer_queue(const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		  struct jf_peer_mem *pm);

#endif
