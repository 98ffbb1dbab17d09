/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What jflowd reads of the kernel's connection tracking, and the netlink
 * socket it asks through: libmnl for the socket, libnetfilter_conntrack
 * for the messages. Shared by the per-flow NAT lookup (src/flow/nat.c)
 * and the NAT event logger (src/flow/nat_events.c). */
#ifndef JFLOWD_CONNTRACK_H
#define JFLOWD_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One direction of a conntrack entry, as jflowd's flow key writes it. */
struct jf_ct_tuple {
	uint32_t src[4];	/* network order; IPv4 in src[0] */
	uint32_t dst[4];
	uint16_t sport;		/* host order; ICMP: 0 */
	uint16_t dport;		/* ICMP: type * 256 + code, as the flow key */
	uint16_t icmp_id;	/* ICMP echo identifier, host order */
	uint8_t family;		/* 4 or 6 */
	uint8_t proto;
};

/* A conntrack entry: both directions and what says whether it is
 * translated (status & IPS_NAT_MASK). */
struct jf_ct_entry {
	struct jf_ct_tuple orig;
	struct jf_ct_tuple reply;
	uint32_t id;		/* CTA_ID: unique while the entry lives */
	uint32_t status;	/* IPS_* */
	uint16_t zone;
	uint64_t start_ns;	/* CTA_TIMESTAMP (nf_conntrack_timestamp=1), 0: none */
	uint64_t stop_ns;
};

struct mnl_socket;

struct jf_ct_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	size_t buf_len;
	uint8_t *buf;		/* receive buffer, buf_len bytes */
};

/* Open a ctnetlink socket: groups 0 for queries, NF_NETLINK_CONNTRACK_*
 * bits for events. 0, or -errno with a one-line reason in err (EPERM:
 * needs CAP_NET_ADMIN). */
int jf_ct_open(struct jf_ct_sock *s, unsigned groups, char *err, size_t errlen);
void jf_ct_close(struct jf_ct_sock *s);
int jf_ct_fd(const struct jf_ct_sock *s);

/* The entry one of whose directions is t, in zone: a GET by tuple (the
 * kernel finds either direction). ICMP keys carry no echo identifier, so
 * an ICMP tuple is matched by a dump filtered on addresses, type and code
 * in the kernel, the original direction first, then the reply; the first
 * entry found answers. 0, -ENOENT (no such entry), or -errno. */
int jf_ct_get(struct jf_ct_sock *s, const struct jf_ct_tuple *t, uint16_t zone,
	      struct jf_ct_entry *out);

/* Every entry of the table (family 0: both), each handed to cb; a
 * negative return of cb stops the walk and is returned. 0 or -errno. */
int jf_ct_dump(struct jf_ct_sock *s, int (*cb)(const struct jf_ct_entry *e, void *arg),
	       void *arg);

/* The entry a conntrack message (an answer or an event) carries. 0, or
 * -EINVAL when it holds none. */
struct nlmsghdr;
int jf_ct_parse(const struct nlmsghdr *nlh, struct jf_ct_entry *e);

/* Whether tuple t is the flow's: addresses, protocol and, but for ICMP,
 * ports. */
bool jf_ct_tuple_eq(const struct jf_ct_tuple *a, const struct jf_ct_tuple *b);

/* Whether an entry is translated (source or destination NAT). */
bool jf_ct_translated(const struct jf_ct_entry *e);

#endif
