// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Follows the metered interfaces over rtnetlink: a deleted interface, and
 * one of the same name created again (even under the same number), are
 * reported to the agent as the events come; while one is there but not
 * metered, its own rx counters say what it received. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include "meter/link_watch.h"
#include "log.h"

struct jf_link_watch {
	int fd;
	int n;
	char name[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint32_t ifindex[JF_MAX_IFACES];	/* 0: gone */
	bool attached[JF_MAX_IFACES];
	/* Present but not metered: its rx counters when last read (a new
	 * device starts at 0). */
	uint64_t rx_packets[JF_MAX_IFACES], rx_bytes[JF_MAX_IFACES];
};

#define WATCH_RCVBUF (1 << 20)	/* events of a burst of churn, not overrun */

struct jf_link_watch *jf_link_watch_new(const char *const *names, int n, const uint32_t *ifindex,
					 char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct jf_link_watch *w = calloc(1, sizeof(*w));
	int i;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->fd >= 0) {
		int sz = WATCH_RCVBUF;

		if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "rtnetlink (to follow the interfaces): %s", strerror(errno));
		jf_link_watch_free(w);
		return NULL;
	}
	w->n = n < JF_MAX_IFACES ? n : JF_MAX_IFACES;
	for (i = 0; i < w->n; i++) {
		snprintf(w->name[i], sizeof(w->name[i]), "%s", names[i]);
		w->ifindex[i] = ifindex[i];
		w->attached[i] = true;
	}
	return w;
}

static void went(struct jf_link_watch *w, int i, jf_link_change_fn fn, void *arg)
{
	w->ifindex[i] = 0;
	fn(i, 0, arg);
}

static void came(struct jf_link_watch *w, int i, uint32_t ifindex, jf_link_change_fn fn,
		 void *arg)
{
	w->ifindex[i] = ifindex;
	w->rx_packets[i] = w->rx_bytes[i] = 0;	/* a new device counts from 0 */
	fn(i, ifindex, arg);
}

/* One link event. The device, not its number: a DELLINK of our ifindex is
 * our interface gone, even if a device of that name and number comes right
 * after (a NEWLINK, then, is it back); a NEWLINK of our ifindex under
 * another name is ours renamed away. Another NEWLINK of our device (up,
 * down, an XDP program attached) is a new try if it is not metered yet
 * (a capture needs it up), else nothing. */
static void on_event(struct jf_link_watch *w, const struct nlmsghdr *h, jf_link_change_fn fn,
		     void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a;
	const char *name = NULL;
	uint32_t idx;
	int i;

	if (len < 0)
		return;
	idx = (uint32_t)ifi->ifi_index;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			name = RTA_DATA(a);
	for (i = 0; i < w->n; i++) {
		bool ours = name && !strncmp(name, w->name[i], JF_IFNAME_MAX);

		if (h->nlmsg_type == RTM_DELLINK) {
			if (w->ifindex[i] && w->ifindex[i] == idx)
				went(w, i, fn, arg);
			continue;
		}
		if (w->ifindex[i] == idx && name && !ours) {
			went(w, i, fn, arg);	/* renamed away */
		} else if (ours && w->ifindex[i] != idx) {
			if (w->ifindex[i])
				went(w, i, fn, arg);	/* another device took the name */
			came(w, i, idx, fn, arg);
		} else if (ours && !w->attached[i]) {
			fn(i, idx, arg);	/* it changed (came up): try again */
		}
	}
}

/* After an overrun (ENOBUFS: events lost), look up every name again: a
 * device deleted and created again under the same number between two looks
 * cannot be told from the old one then (docs/faults.md). */
static void look_again(struct jf_link_watch *w, jf_link_change_fn fn, void *arg)
{
	int i;

	for (i = 0; i < w->n; i++) {
		uint32_t now = if_nametoindex(w->name[i]);

		if (now == w->ifindex[i])
			continue;
		if (w->ifindex[i])
			went(w, i, fn, arg);
		if (now)
			came(w, i, now, fn, arg);
	}
}

void jf_link_watch_poll(struct jf_link_watch *w, jf_link_change_fn fn, void *arg)
{
	char buf[16384];
	bool overrun = false;
	ssize_t n;

	for (;;) {
		n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
			size_t len = (size_t)n;

			for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
				if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK)
					on_event(w, h, fn, arg);
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			overrun = true;
			continue;
		}
		break;
	}
	if (overrun)
		look_again(w, fn, arg);
}

/* The device's own rx counters (IFLA_STATS64 of RTM_GETLINK). */
static int link_rx(uint32_t ifindex, uint64_t *packets, uint64_t *bytes)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	char buf[16384];
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = -ENOENT;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		struct ifinfomsg *ifi = NLMSG_DATA(h);
		int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
		struct rtattr *a;

		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
		if (h->nlmsg_type != RTM_NEWLINK)
			continue;
		for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			struct rtnl_link_stats64 st;

			if (a->rta_type != IFLA_STATS64 || RTA_PAYLOAD(a) < sizeof(st))
				continue;
			memcpy(&st, RTA_DATA(a), sizeof(st));
			*packets = st.rx_packets;
			*bytes = st.rx_bytes;
			rc = 0;
		}
		break;
	}
out:
	close(fd);
	return rc;
}

int jf_link_watch_unmetered(struct jf_link_watch *w, int i, uint64_t *packets, uint64_t *bytes)
{
	uint64_t p, b;
	int rc;

	*packets = *bytes = 0;
	if (!w->ifindex[i] || w->attached[i])
		return 0;
	rc = link_rx(w->ifindex[i], &p, &b);
	if (rc)
		return rc;
	if (p >= w->rx_packets[i] && b >= w->rx_bytes[i]) {
		*packets = p - w->rx_packets[i];
		*bytes = b - w->rx_bytes[i];
	}
	w->rx_packets[i] = p;
	w->rx_bytes[i] = b;
	return 0;
}

void jf_link_watch_retry(struct jf_link_watch *w, jf_link_change_fn fn, void *arg)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->ifindex[i] && !w->attached[i])
			fn(i, w->ifindex[i], arg);
}

int jf_link_watch_fd(const struct jf_link_watch *w)
{
	return w->fd;
}

void jf_link_watch_set_attached(struct jf_link_watch *w, int i, bool attached)
{
	w->attached[i] = attached;
}

void jf_link_watch_metrics(const struct jf_link_watch *w, FILE *f)
{
	int i;

	fprintf(f, "# HELP jflowd_interface_attached 1 while jflowd meters the interface, 0 "
		   "while it is gone (deleted) or could not be attached again.\n"
		   "# TYPE jflowd_interface_attached gauge\n");
	for (i = 0; i < w->n; i++) {
		const char *c;

		fputs("jflowd_interface_attached{ifname=\"", f);
		for (c = w->name[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				fputc('\\', f);
			fputc(*c, f);
		}
		fprintf(f, "\"} %d\n", w->attached[i]);
	}
}

void jf_link_watch_free(struct jf_link_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
