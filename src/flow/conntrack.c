// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The ctnetlink socket: requests built with libmnl (a tuple is a few
 * nested attributes), answers and events read by libnetfilter_conntrack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include "flow/conntrack.h"

#define RECV_BUF 65536

/* The kernel's tuple filter flags (net/netfilter/nf_internals.h): which
 * parts of a tuple a filtered dump compares. */
#define FILTER_IP_SRC (1u << 0)
#define FILTER_IP_DST (1u << 1)
#define FILTER_PROTO_NUM (1u << 3)
#define FILTER_ICMP_TYPE (1u << 6)
#define FILTER_ICMP_CODE (1u << 7)
#define FILTER_ICMPV6_TYPE (1u << 9)
#define FILTER_ICMPV6_CODE (1u << 10)

static bool is_icmp(uint8_t family, uint8_t proto)
{
	return proto == (family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
}

int jf_ct_open(struct jf_ct_sock *s, unsigned groups, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->buf_len = RECV_BUF;
	s->buf = malloc(s->buf_len);
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->buf || !s->nl) {
		int rc = s->buf ? -errno : -ENOMEM;

		snprintf(err, errlen, "conntrack socket: %s", strerror(-rc));
		jf_ct_close(s);
		return rc;
	}
	if (mnl_socket_bind(s->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "conntrack %s: %s%s", groups ? "events" : "socket",
			 strerror(-rc), rc == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		jf_ct_close(s);
		return rc;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

void jf_ct_close(struct jf_ct_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int jf_ct_fd(const struct jf_ct_sock *s)
{
	return mnl_socket_get_fd(s->nl);
}

static struct nlmsghdr *put_request(void *buf, uint8_t type, uint16_t flags, uint8_t family,
				    uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfh;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = family == 6 ? AF_INET6 : family == 4 ? AF_INET : AF_UNSPEC;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

/* CTA_TUPLE_ORIG or CTA_TUPLE_REPLY with t's addresses and protocol;
 * ports (or ICMP type, code and identifier) unless ports is false. */
static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct jf_ct_tuple *t,
		      bool icmp_id)
{
	struct nlattr *tuple, *ip, *proto;
	bool v6 = t->family == 6;

	tuple = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst);
	} else {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, t->src[0]);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, t->dst[0]);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (is_icmp(t->family, t->proto)) {
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
				(uint8_t)(t->dport >> 8));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE,
				(uint8_t)t->dport);
		if (icmp_id)
			mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID,
					 htons(t->icmp_id));
	} else if (t->sport || t->dport) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
}

/* The reply type of an ICMP query type (the kernel's invert map). */
static uint8_t icmp_reply_type(uint8_t family, uint8_t type)
{
	if (family == 6) {
		switch (type) {
		case 128: return 129;	/* echo */
		case 129: return 128;
		case 139: return 140;	/* node information */
		case 140: return 139;
		default: return type;
		}
	}
	switch (type) {
	case 8: return 0;	/* echo */
	case 0: return 8;
	case 13: return 14;	/* timestamp */
	case 14: return 13;
	case 15: return 16;	/* information */
	case 16: return 15;
	case 17: return 18;	/* address mask */
	case 18: return 17;
	default: return type;
	}
}

static void read_tuple(const struct nf_conntrack *ct, bool reply, struct jf_ct_tuple *t)
{
	uint8_t l3 = nfct_get_attr_u8(ct, reply ? ATTR_REPL_L3PROTO : ATTR_ORIG_L3PROTO);

	memset(t, 0, sizeof(*t));
	t->family = l3 == AF_INET6 ? 6 : 4;
	t->proto = nfct_get_attr_u8(ct, reply ? ATTR_REPL_L4PROTO : ATTR_ORIG_L4PROTO);
	if (t->family == 6) {
		memcpy(t->src, nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_SRC : ATTR_ORIG_IPV6_SRC), 16);
		memcpy(t->dst, nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_DST : ATTR_ORIG_IPV6_DST), 16);
	} else {
		t->src[0] = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC);
		t->dst[0] = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST);
	}
	if (is_icmp(t->family, t->proto)) {
		uint8_t type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);

		if (reply)
			type = icmp_reply_type(t->family, type);
		t->dport = (uint16_t)(type << 8 | nfct_get_attr_u8(ct, ATTR_ICMP_CODE));
		t->icmp_id = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
	} else if (nfct_attr_is_set(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC) > 0) {
		t->sport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC));
		t->dport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST));
	}
}

int jf_ct_parse(const struct nlmsghdr *nlh, struct jf_ct_entry *e)
{
	struct nf_conntrack *ct = nfct_new();
	int rc = -EINVAL;

	if (!ct)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	if (nfct_nlmsg_parse(nlh, ct) < 0 || nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) <= 0 ||
	    nfct_attr_is_set(ct, ATTR_REPL_L3PROTO) <= 0)
		goto out;
	read_tuple(ct, false, &e->orig);
	read_tuple(ct, true, &e->reply);
	e->id = nfct_attr_is_set(ct, ATTR_ID) > 0 ? nfct_get_attr_u32(ct, ATTR_ID) : 0;
	e->status = nfct_attr_is_set(ct, ATTR_STATUS) > 0 ? nfct_get_attr_u32(ct, ATTR_STATUS) : 0;
	e->zone = nfct_attr_is_set(ct, ATTR_ZONE) > 0 ? nfct_get_attr_u16(ct, ATTR_ZONE) : 0;
	if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0)
		e->start_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);
	if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_STOP) > 0)
		e->stop_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_STOP);
	rc = 0;
out:
	nfct_destroy(ct);
	return rc;
}

bool jf_ct_tuple_eq(const struct jf_ct_tuple *a, const struct jf_ct_tuple *b)
{
	size_t alen = a->family == 6 ? 16 : 4;

	if (a->family != b->family || a->proto != b->proto || memcmp(a->src, b->src, alen) ||
	    memcmp(a->dst, b->dst, alen))
		return false;
	if (is_icmp(a->family, a->proto))
		return a->dport == b->dport;
	return a->sport == b->sport && a->dport == b->dport;
}

bool jf_ct_translated(const struct jf_ct_entry *e)
{
	return (e->status & (IPS_SRC_NAT | IPS_DST_NAT)) != 0;
}

struct walk {
	int (*cb)(const struct jf_ct_entry *e, void *arg);
	void *arg;
	int rc;			/* of cb, or a parse error */
	bool found;
	struct jf_ct_entry *one;	/* a GET: the first entry only */
	/* An IPv6 ICMP search: the first entry with these addresses in that
	 * direction (the kernel's filter cannot say it, icmp_find). */
	const struct jf_ct_tuple *addrs;
	bool addrs_reply;
};

static bool same_addrs(const struct jf_ct_tuple *a, const struct jf_ct_tuple *b)
{
	return !memcmp(a->src, b->src, sizeof(a->src)) && !memcmp(a->dst, b->dst, sizeof(a->dst));
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	struct jf_ct_entry e;

	if ((nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW)
		return MNL_CB_OK;
	if (jf_ct_parse(nlh, &e))
		return MNL_CB_OK;	/* not an entry we can read: skipped */
	if (w->one) {
		if (w->addrs && !same_addrs(w->addrs, w->addrs_reply ? &e.reply : &e.orig))
			return MNL_CB_OK;
		if (!w->found)
			*w->one = e;
		w->found = true;
		return MNL_CB_OK;
	}
	w->rc = w->cb(&e, w->arg);
	return w->rc < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Send the request in s->buf and read its answers until the kernel's
 * acknowledgement or the dump's end. */
static int transact(struct jf_ct_sock *s, struct nlmsghdr *req, struct walk *w)
{
	uint32_t seq = req->nlmsg_seq;
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(s->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->nl, s->buf, s->buf_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run(s->buf, (size_t)n, seq, s->portid, on_msg, w);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return w->rc < 0 ? w->rc : -errno;
	}
}

/* An ICMP tuple without its echo identifier: the kernel filters a dump on
 * addresses, protocol, type and code of one direction. For IPv6 it is
 * told protocol, type and code only, and jflowd compares the addresses:
 * the kernel's IPv6 address filter is inverted (ctnetlink_filter_match_tuple
 * drops the entries whose address equals the filter's, !ipv6_addr_cmp, up
 * to Linux 6.18 at least). */
static int icmp_find(struct jf_ct_sock *s, const struct jf_ct_tuple *t, uint16_t zone,
		     bool reply, struct jf_ct_entry *out)
{
	uint8_t req[512];
	struct nlmsghdr *nlh;
	struct nlattr *filter;
	bool v6 = t->family == 6;
	uint32_t flags = FILTER_PROTO_NUM | (v6 ? FILTER_ICMPV6_TYPE | FILTER_ICMPV6_CODE
						: FILTER_IP_SRC | FILTER_IP_DST |
						  FILTER_ICMP_TYPE | FILTER_ICMP_CODE);
	struct walk w = { .one = out, .addrs = v6 ? t : NULL, .addrs_reply = reply };
	int rc;

	nlh = put_request(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, t->family, ++s->seq);
	put_tuple(nlh, reply ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG, t, false);
	if (zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(zone));
	filter = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, reply ? CTA_FILTER_REPLY_FLAGS : CTA_FILTER_ORIG_FLAGS, flags);
	mnl_attr_nest_end(nlh, filter);
	rc = transact(s, nlh, &w);
	if (rc)
		return rc;
	return w.found ? 0 : -ENOENT;
}

int jf_ct_get(struct jf_ct_sock *s, const struct jf_ct_tuple *t, uint16_t zone,
	      struct jf_ct_entry *out)
{
	uint8_t req[512];
	struct nlmsghdr *nlh;
	struct walk w = { .one = out };
	int rc;

	if (is_icmp(t->family, t->proto)) {
		rc = icmp_find(s, t, zone, false, out);
		if (rc == -ENOENT)
			rc = icmp_find(s, t, zone, true, out);
		return rc;
	}
	nlh = put_request(req, IPCTNL_MSG_CT_GET, NLM_F_ACK, t->family, ++s->seq);
	put_tuple(nlh, CTA_TUPLE_ORIG, t, true);
	if (zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(zone));
	rc = transact(s, nlh, &w);
	if (rc)
		return rc;
	return w.found ? 0 : -ENOENT;
}

int jf_ct_dump(struct jf_ct_sock *s, int (*cb)(const struct jf_ct_entry *e, void *arg),
	       void *arg)
{
	uint8_t req[64];
	struct nlmsghdr *nlh;
	struct walk w = { .cb = cb, .arg = arg };

	nlh = put_request(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, 0, ++s->seq);
	return transact(s, nlh, &w);
}
