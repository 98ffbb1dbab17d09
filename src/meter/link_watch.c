// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Follows the metered interfaces over rtnetlink: a deleted interface, and
 * one of the same name created again, are reported to the agent. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "meter/link_watch.h"
#include "log.h"

struct jf_link_watch {
	int fd;
	int n;
	char name[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint32_t ifindex[JF_MAX_IFACES];	/* 0: gone */
	bool attached[JF_MAX_IFACES];
};

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

/* Which of our interfaces the events are about does not matter: each
 * event, and an overrun (ENOBUFS: events lost), is a reason to look up
 * every name again. Delete and create between two looks show as a new
 * ifindex under the same name: gone, then back. */
void jf_link_watch_poll(struct jf_link_watch *w, jf_link_change_fn fn, void *arg)
{
	char buf[16384];
	bool changed = false;
	ssize_t n;
	int i;

	for (;;) {
		n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
			size_t len = (size_t)n;

			for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
				if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK)
					changed = true;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			changed = true;
			continue;
		}
		break;
	}
	if (!changed)
		return;
	for (i = 0; i < w->n; i++) {
		uint32_t now = if_nametoindex(w->name[i]);

		if (now == w->ifindex[i])
			continue;
		if (w->ifindex[i]) {
			w->ifindex[i] = 0;
			fn(i, 0, arg);
		}
		if (now) {
			w->ifindex[i] = now;
			fn(i, now, arg);
		}
	}
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
