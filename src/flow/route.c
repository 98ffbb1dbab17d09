// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The forwarding lookup of router mode: RTM_GETROUTE per new flow, with a
 * small answer cache emptied on every route, rule, address or link event. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "flow/flow_hash.h"
#include "flow/route.h"

#define CACHE_SLOTS 16384	/* power of two; direct mapped */
#define SRC_SLOTS 4096		/* source prefix lengths, by address */
#define REQ_BUF 512
#define REPLY_BUF 8192
#define POLL_NS 1000000		/* events read at most this often from cache hits */

#ifndef RTM_F_FIB_MATCH
#define RTM_F_FIB_MATCH 0x2000
#endif

struct cache_ent {
	struct jf_key key;	/* the lookup's inputs only, see cache_key() */
	uint64_t gen;		/* 0: empty */
	struct jf_route route;
};

/* The source's prefix depends on its address only: many flows share it;
 * so does the interface toward an address (jf_router_oif). */
struct src_ent {
	uint32_t addr[4];
	uint64_t gen;		/* 0: empty */
	uint8_t family;
	uint8_t len;
	uint32_t oif;
};

struct jf_router {
	int fd;			/* requests */
	int ev_fd;		/* route/rule/address/link events */
	uint32_t seq;
	uint64_t gen;		/* bumped on every event */
	uint64_t polled_ns;	/* CLOCK_MONOTONIC of the last event read */
	struct cache_ent *cache;
	struct src_ent *src_cache;
	struct src_ent *oif_cache;
	struct jf_router_stats st;
	uint8_t reply[REPLY_BUF];
};

/* What a reply says. */
struct answer {
	int type;		/* rtm_type */
	int dst_len;
	uint32_t oif;
	uint32_t gw[4];
};

static int nl_socket(uint32_t groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* Error answers without a copy of the request: a small reply buffer. */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

struct jf_router *jf_router_new(char *err, size_t errlen)
{
	/* Routes, rules, addresses and links: IPv4 flushes the routes of a
	 * link that goes down without a route event, so link and address
	 * events empty the cache too. */
	static const unsigned groups[] = {
		RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
		RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK,
	};
	struct jf_router *r;
	size_t i;

	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = r->ev_fd = -1;
	r->gen = 1;
	r->cache = calloc(CACHE_SLOTS, sizeof(*r->cache));
	r->src_cache = calloc(SRC_SLOTS, sizeof(*r->src_cache));
	r->oif_cache = calloc(SRC_SLOTS, sizeof(*r->oif_cache));
	if (!r->cache || !r->src_cache || !r->oif_cache) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->fd = nl_socket(0);
	if (r->fd < 0) {
		snprintf(err, errlen, "route lookup socket: %s", strerror(-r->fd));
		goto fail;
	}
	r->ev_fd = nl_socket(0);
	if (r->ev_fd < 0) {
		snprintf(err, errlen, "route event socket: %s", strerror(-r->ev_fd));
		goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (setsockopt(r->ev_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])) < 0) {
			snprintf(err, errlen, "route events (group %u): %s", groups[i],
				 strerror(errno));
			goto fail;
		}
	}
	return r;
fail:
	jf_router_free(r);
	return NULL;
}

void jf_router_free(struct jf_router *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->ev_fd >= 0)
		close(r->ev_fd);
	free(r->cache);
	free(r->src_cache);
	free(r->oif_cache);
	free(r);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void jf_router_poll_events(struct jf_router *r)
{
	ssize_t n;

	r->polled_ns = mono_ns();
	for (;;) {
		n = recv(r->ev_fd, r->reply, sizeof(r->reply), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == ENOBUFS)) {
			/* Any change, or changes lost to an overrun: forget all. */
			r->gen++;
			r->st.invalidations++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;
	}
}

static void add_attr(struct nlmsghdr *n, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* One RTM_GETROUTE: dst (and src, iif, ToS, protocol, ports when given) as
 * the kernel sees a packet. Returns 0 with the answer, or the kernel's
 * -errno (-ENETUNREACH, -EHOSTUNREACH, -EINVAL for a blackhole...). */
static int query(struct jf_router *r, int family, const uint32_t *dst, const uint32_t *src,
		 uint32_t iif, uint8_t tos, uint8_t proto, uint16_t sport, uint16_t dport,
		 unsigned flags, struct answer *ans)
{
	union {
		struct nlmsghdr n;
		uint8_t b[REQ_BUF];
	} req;
	struct rtmsg *rtm;
	size_t alen = family == 4 ? 4 : 16;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint32_t seq = ++r->seq;
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = seq;
	rtm = NLMSG_DATA(&req.n);
	rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	rtm->rtm_tos = family == 4 ? tos : 0;
	rtm->rtm_flags = flags;
	add_attr(&req.n, RTA_DST, dst, alen);
	if (src) {
		rtm->rtm_src_len = (unsigned char)(alen * 8);
		add_attr(&req.n, RTA_SRC, src, alen);
	}
	if (iif)
		add_attr(&req.n, RTA_IIF, &iif, 4);
	/* Protocol and ports feed policy rules (ipproto, sport, dport) and
	 * the multipath hash; the kernel takes them for TCP, UDP and ICMP. */
	if (proto == 6 || proto == 17 || proto == (family == 4 ? 1 : 58))
		add_attr(&req.n, RTA_IP_PROTO, &proto, 1);
	if (proto == 6 || proto == 17) {
		uint16_t sp = htons(sport), dp = htons(dport);

		add_attr(&req.n, RTA_SPORT, &sp, 2);
		add_attr(&req.n, RTA_DPORT, &dp, 2);
	}
	r->st.queries++;
	if (sendto(r->fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		len = recv(r->fd, r->reply, sizeof(r->reply), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)r->reply; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			struct rtattr *a;
			int alen2;

			if (h->nlmsg_seq != seq)
				continue;	/* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -ENOENT;
			}
			if (h->nlmsg_type != RTM_NEWROUTE)
				continue;
			rtm = NLMSG_DATA(h);
			memset(ans, 0, sizeof(*ans));
			ans->type = rtm->rtm_type;
			ans->dst_len = rtm->rtm_dst_len;
			alen2 = (int)RTM_PAYLOAD(h);
			for (a = RTM_RTA(rtm); RTA_OK(a, alen2); a = RTA_NEXT(a, alen2)) {
				if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4)
					memcpy(&ans->oif, RTA_DATA(a), 4);
				else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) <= 16)
					memcpy(ans->gw, RTA_DATA(a), RTA_PAYLOAD(a));
			}
			return 0;
		}
	}
}

/* The errors with which the kernel refuses to forward. */
static bool refused(int rc)
{
	return rc == -ENETUNREACH || rc == -EHOSTUNREACH || rc == -EINVAL || rc == -EACCES ||
	       rc == -EXDEV || rc == -EPERM;
}

/* The source's prefix: the route back to it, cached per address. */
static uint8_t src_len(struct jf_router *r, const struct jf_key *k)
{
	uint32_t h = (k->src[0] ^ k->src[1] ^ k->src[2] ^ k->src[3]) * 0x9e3779b1u;
	struct src_ent *e = &r->src_cache[(h >> 20) & (SRC_SLOTS - 1)];
	struct answer m;

	if (e->gen == r->gen && e->family == k->family &&
	    !memcmp(e->addr, k->src, sizeof(e->addr)))
		return e->len;
	if (query(r, k->family, k->src, NULL, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH, &m))
		return 0;
	memcpy(e->addr, k->src, sizeof(e->addr));
	e->family = k->family;
	e->len = (uint8_t)m.dst_len;
	e->gen = r->gen;
	return e->len;
}

static struct src_ent *addr_slot(struct src_ent *cache, int family, const uint32_t *addr)
{
	uint32_t h = (addr[0] ^ addr[1] ^ addr[2] ^ addr[3]) * 0x9e3779b1u;

	(void)family;
	return &cache[(h >> 20) & (SRC_SLOTS - 1)];
}

int jf_router_oif(struct jf_router *r, int family, const uint32_t *addr, uint32_t *oif)
{
	struct src_ent *e = addr_slot(r->oif_cache, family, addr);
	struct answer a;
	int rc;

	if (mono_ns() - r->polled_ns >= POLL_NS)
		jf_router_poll_events(r);
	if (e->gen == r->gen && e->family == family && !memcmp(e->addr, addr, sizeof(e->addr))) {
		*oif = e->oif;
		return 0;
	}
	rc = query(r, family, addr, NULL, 0, 0, 0, 0, 0, 0, &a);
	*oif = rc ? 0 : a.oif;
	if (rc && !refused(rc))
		return rc;
	memcpy(e->addr, addr, sizeof(e->addr));
	e->family = (uint8_t)family;
	e->oif = *oif;
	e->gen = r->gen;
	return 0;
}

static int lookup_kernel(struct jf_router *r, const struct jf_key *k, struct jf_route *out)
{
	bool egress = k->flags & JF_KEY_EGRESS;
	uint32_t iif = egress ? 0 : k->ifindex;
	struct answer a, m;
	int rc;

	memset(out, 0, sizeof(*out));
	/* The route the packets take: the kernel's own choice of path,
	 * multipath hash included. */
	rc = query(r, k->family, k->dst, k->src, iif, k->tos, k->proto, k->sport, k->dport,
		   0, &a);
	if (rc) {
		if (!refused(rc))
			return rc;
		out->fwd_status = JF_FWD_DROPPED_UNROUTABLE;
	} else if (a.type == RTN_LOCAL || a.type == RTN_BROADCAST) {
		out->fwd_status = JF_FWD_CONSUMED_FOR_US;
	} else if (a.type == RTN_UNICAST) {
		out->fwd_status = JF_FWD_FORWARDED;
		out->oif = a.oif;
		memcpy(out->next_hop, a.gw, sizeof(out->next_hop));
	} else if (a.type == RTN_BLACKHOLE || a.type == RTN_UNREACHABLE ||
		   a.type == RTN_PROHIBIT) {
		out->fwd_status = JF_FWD_DROPPED_UNROUTABLE;
	}
	/* The prefix it matched (a second question: the first answer is the
	 * host route cloned from it). A refused flow has none to give. */
	if (out->fwd_status != JF_FWD_DROPPED_UNROUTABLE &&
	    !query(r, k->family, k->dst, k->src, iif, k->tos, k->proto, k->sport, k->dport,
		   RTM_F_FIB_MATCH, &m))
		out->dst_len = (uint8_t)m.dst_len;
	out->src_len = src_len(r, k);
	return 0;
}

/* The lookup's inputs: everything else in the key (VLANs, labels) does not
 * reach the kernel's routing decision. */
static void cache_key(const struct jf_key *k, struct jf_key *ck)
{
	memset(ck, 0, sizeof(*ck));
	memcpy(ck->src, k->src, sizeof(ck->src));
	memcpy(ck->dst, k->dst, sizeof(ck->dst));
	ck->ifindex = k->ifindex;
	ck->sport = k->sport;
	ck->dport = k->dport;
	ck->proto = k->proto;
	ck->tos = k->tos;
	ck->family = k->family;
	ck->flags = k->flags & JF_KEY_EGRESS;
}

int jf_router_lookup(struct jf_router *r, const struct jf_key *key, struct jf_route *out)
{
	struct cache_ent *e;
	struct jf_key ck;
	int rc;

	r->st.lookups++;
	if (key->family != JF_FAMILY_IPV4 && key->family != JF_FAMILY_IPV6) {
		memset(out, 0, sizeof(*out));
		return -EAFNOSUPPORT;
	}
	cache_key(key, &ck);
	e = &r->cache[jf_flow_hash(&ck) & (CACHE_SLOTS - 1)];
	if (e->gen == r->gen && !memcmp(&e->key, &ck, sizeof(ck))) {
		/* Only as fresh as the events read: read them first, at
		 * most every millisecond (a syscall costs more than the rest
		 * of a hit). Flows reach the cache a drain interval after
		 * their first packet anyway. */
		if (mono_ns() - r->polled_ns >= POLL_NS)
			jf_router_poll_events(r);
		if (e->gen == r->gen) {
			r->st.cache_hits++;
			*out = e->route;
			return 0;
		}
	}
	jf_router_poll_events(r);
	rc = lookup_kernel(r, key, out);
	if (rc)
		return rc;
	e->key = ck;
	e->gen = r->gen;
	e->route = *out;
	return 0;
}

void jf_router_route_fn(const struct jf_key *key, struct jf_route *out, void *arg)
{
	jf_router_lookup(arg, key, out);
}

void jf_router_get_stats(const struct jf_router *r, struct jf_router_stats *st)
{
	*st = r->st;
}

static bool sysctl_on(const char *path)
{
	char c = '0';
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

bool jf_router_forwarding(const char *ifname)
{
	char path[160];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	if (sysctl_on(path))
		return true;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/forwarding", ifname);
	return sysctl_on(path);
}

int jf_router_setup(const struct jf_router_params *p, struct jf_flow_cache *cache,
		    struct jf_router **out, char *err, size_t errlen)
{
	bool on = p->lookup == JF_ROUTE_ON;
	struct jf_router *r;
	int i, rc;

	*out = NULL;
	for (i = 0; i < p->n_ifaces && p->lookup == JF_ROUTE_AUTO; i++)
		if (jf_router_forwarding(p->ifaces[i]))
			on = true;
	if (!on)
		return 0;
	r = jf_router_new(err, errlen);
	if (!r)
		return -EIO;
	rc = jf_cache_set_route_fn(cache, jf_router_route_fn, r);
	if (rc) {
		snprintf(err, errlen, "route lookup: %s", strerror(-rc));
		jf_router_free(r);
		return rc;
	}
	*out = r;
	return 0;
}
