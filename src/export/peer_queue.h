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

/* The receive queue of the socket that gets datagrams sent from `local`
 * to `peer`: bytes queued and the buffer size. 0 or -errno (-ENOENT: no
 * socket listens there). */
int jf_peer_queue(const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		  uint32_t *queued, uint32_t *rcvbuf);

#endif
