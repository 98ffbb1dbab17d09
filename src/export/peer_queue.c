// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow control toward a UDP collector on this host, through sock_diag:
 * the kernel looks up the socket our datagrams would reach and reports its
 * memory (SK_MEMINFO_RMEM_ALLOC against SK_MEMINFO_RCVBUF) and the
 * datagrams it dropped (SK_MEMINFO_DROPS). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include "export/peer_queue.h"

bool jf_peer_is_local(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return false;
}

static void fill_id(struct inet_diag_sockid *id, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst)
{
	/* The lookup is the one for a datagram from src to dst. */
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		id->idiag_sport = s->sin_port;
		id->idiag_dport = d->sin_port;
		memcpy(id->idiag_src, &s->sin_addr, 4);
		memcpy(id->idiag_dst, &d->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;

		id->idiag_sport = s->sin6_port;
		id->idiag_dport = d->sin6_port;
		memcpy(id->idiag_src, &s->sin6_addr, 16);
		memcpy(id->idiag_dst, &d->sin6_addr, 16);
	}
	id->idiag_cookie[0] = id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

int jf_peer_queue(const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		  struct jf_peer_mem *pm)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nlh;
		char b[8192];
	} resp;
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = -ENOENT;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)peer->ss_family;
	req.r.sdiag_protocol = IPPROTO_UDP;
	req.r.idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	req.r.idiag_states = ~0u;
	/* Seen from the collector: our datagram comes from local to peer. */
	fill_id(&req.r.id, local, peer);

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, &resp, sizeof(resp), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (h = &resp.nlh; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
		struct inet_diag_msg *m;
		struct rtattr *a;
		int len;

		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			rc = e->error ? e->error : -ENOENT;
			break;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		m = NLMSG_DATA(h);
		len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			const uint32_t *mem = RTA_DATA(a);

			if (a->rta_type != INET_DIAG_SKMEMINFO ||
			    RTA_PAYLOAD(a) < (int)sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
				continue;
			pm->queued = mem[SK_MEMINFO_RMEM_ALLOC];
			pm->rcvbuf = mem[SK_MEMINFO_RCVBUF];
			pm->drops = mem[SK_MEMINFO_DROPS];
			pm->inode = m->idiag_inode;
			rc = 0;
		}
		break;
	}
out:
	close(fd);
	return rc;
}
