// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The real XDP object through BPF_PROG_TEST_RUN: a table of packets with the
 * verdict, the counter reason and the flow-map entry each must produce.
 * Exits 77 (skip) without root; as root a program that does not load fails. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/flow.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"
#include "../lib/pktbuild.h"

#define REPEAT 3
#define IFINDEX_LO 1

static int failures;

#define CHECK(cond, ...) do {							\
		if (!(cond)) {							\
			failures++;						\
			printf("  FAIL %s:%d: ", __FILE__, __LINE__);		\
			printf(__VA_ARGS__);					\
			printf("\n");						\
		}								\
	} while (0)

static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

struct tcase {
	const char *name;
	struct pb pkt;
	int reason;		/* enum jf_pkt_reason */
	struct jf_key key;	/* for JF_PKT_OK */
	uint32_t octets;	/* per packet */
	uint8_t tcp_flags;
	uint8_t ttl;
	uint32_t flow_label;
	uint32_t trimmed_by;	/* octets the IP header claimed beyond the frame */
};

static void key4(struct jf_key *k, const char *s, const char *d, uint8_t proto,
		 uint16_t sp, uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	k->family = JF_FAMILY_IPV4;
	inet_pton(AF_INET, s, &k->src[0]);
	inet_pton(AF_INET, d, &k->dst[0]);
	k->proto = proto;
	k->sport = sp;
	k->dport = dp;
	k->ifindex = IFINDEX_LO;
}

static void key6(struct jf_key *k, uint8_t proto, uint16_t sp, uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	k->family = JF_FAMILY_IPV6;
	memcpy(k->src, v6a, 16);
	memcpy(k->dst, v6b, 16);
	k->proto = proto;
	k->sport = sp;
	k->dport = dp;
	k->ifindex = IFINDEX_LO;
}

static int build_cases(struct tcase *c)
{
	int n = 0;
	struct tcase *t;

	/* Ethernet, IPv4, TCP SYN: ports, flags, TTL, ToS, IP length. */
	t = &c[n++];
	t->name = "ipv4 tcp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000201, 0xc6336407, 6, 0x2e, 61, 40 + 100, 0, 0);
	pb_tcp(&t->pkt, 40000, 443, 0x02); pb_zero(&t->pkt, 100);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.1", "198.51.100.7", 6, 40000, 443);
	t->key.tos = 0x2e;
	t->octets = 140; t->tcp_flags = 0x02; t->ttl = 61;

	/* 802.1Q tag: VLAN id in the key, priority bits ignored. */
	t = &c[n++];
	t->name = "vlan ipv4 udp";
	pb_eth(&t->pkt); pb_vlan(&t->pkt, 0x8100, 42, 5); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000202, 0xc0000203, 17, 0, 64, 28 + 12, 0, 0);
	pb_udp(&t->pkt, 5353, 53, 8 + 12); pb_zero(&t->pkt, 12);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.2", "192.0.2.3", 17, 5353, 53);
	t->key.vlan = 42;
	t->octets = 40; t->ttl = 64;

	/* QinQ 802.1ad outer + 802.1Q inner. */
	t = &c[n++];
	t->name = "qinq ipv4 icmp";
	pb_eth(&t->pkt); pb_vlan(&t->pkt, 0x88a8, 300, 0); pb_vlan(&t->pkt, 0x8100, 7, 0);
	pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000204, 0xc0000205, 1, 0, 64, 28, 0, 0);
	pb_icmp(&t->pkt, 8, 0);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.4", "192.0.2.5", 1, 0, 8 << 8);
	t->key.vlan = 300; t->key.inner_vlan = 7;
	t->octets = 28; t->ttl = 64;

	/* IPv6 UDP with flow label and traffic class. */
	t = &c[n++];
	t->name = "ipv6 udp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 17, 0xb8, 0x12345, 50, 8 + 20);
	pb_udp(&t->pkt, 1000, 2000, 28); pb_zero(&t->pkt, 20);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 1000, 2000);
	t->key.tos = 0xb8;
	t->octets = 40 + 28; t->ttl = 50; t->flow_label = 0x12345;

	/* ICMPv6 echo request: type 128 code 0 as the destination port. */
	t = &c[n++];
	t->name = "ipv6 icmpv6";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 58, 0, 0, 64, 8);
	pb_icmp(&t->pkt, 128, 0);
	t->reason = JF_PKT_OK;
	key6(&t->key, 58, 0, 128 << 8);
	t->octets = 48; t->ttl = 64;

	/* ARP: not IP, passed and counted, no flow. */
	t = &c[n++];
	t->name = "arp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0806); pb_zero(&t->pkt, 28);
	t->reason = JF_PKT_NON_IP;

	/* IPv4 header cut short. */
	t = &c[n++];
	t->name = "truncated ipv4";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800); pb_u8(&t->pkt, 0x45); pb_zero(&t->pkt, 10);
	t->reason = JF_PKT_TRUNC_L3;

	/* TCP header cut short: no flow (ports unknown). */
	t = &c[n++];
	t->name = "truncated tcp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000206, 0xc0000207, 6, 0, 64, 40, 0, 0);
	pb_zero(&t->pkt, 6);
	t->reason = JF_PKT_TRUNC_L4;

	/* VLAN tag cut short (XDP frames have at least 14 bytes). */
	t = &c[n++];
	t->name = "truncated vlan tag";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x8100); pb_u16(&t->pkt, 5);
	t->reason = JF_PKT_TRUNC_L2;

	/* IHL below 5. */
	t = &c[n++];
	t->name = "bad ihl";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000206, 0xc0000207, 6, 0, 64, 40, 0, 0);
	t->pkt.b[t->pkt.ip_off] = 0x44;
	pb_tcp(&t->pkt, 1, 2, 0);
	t->reason = JF_PKT_BAD_L3;

	/* IPv4 options: the transport header is found after them. */
	t = &c[n++];
	t->name = "ipv4 options udp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000208, 0xc0000209, 17, 0, 30, 32 + 8, 12, 0);
	pb_udp(&t->pkt, 123, 123, 8);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.8", "192.0.2.9", 17, 123, 123);
	t->octets = 40; t->ttl = 30;

	/* First fragment (offset 0, MF): it carries the ports. */
	t = &c[n++];
	t->name = "ipv4 first fragment";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc000020a, 0xc000020b, 17, 0, 64, 1500, 0, 0x2000);
	pb_udp(&t->pkt, 4000, 4001, 3000); pb_zero(&t->pkt, 1500 - 28);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.10", "192.0.2.11", 17, 4000, 4001);
	t->octets = 1500; t->ttl = 64;

	/* Later fragments carry no transport header: their own flow with
	 * ports 0 (jflowd does not reassemble; the choice is documented). */
	t = &c[n++];
	t->name = "ipv4 later fragment";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc000020a, 0xc000020b, 17, 0, 64, 1520, 0, 185);
	pb_u16(&t->pkt, 4000); pb_u16(&t->pkt, 4001);	/* payload bytes, not ports */
	pb_zero(&t->pkt, 1520 - 24);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.10", "192.0.2.11", 17, 0, 0);
	t->octets = 1520; t->ttl = 64;

	/* 0x9100 outer tag. */
	t = &c[n++];
	t->name = "9100 tag sctp";
	pb_eth(&t->pkt); pb_vlan(&t->pkt, 0x9100, 4000, 0); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc000020c, 0xc000020d, 132, 0, 64, 20 + 12, 0, 0);
	pb_u16(&t->pkt, 2905); pb_u16(&t->pkt, 38412); pb_zero(&t->pkt, 8);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.12", "192.0.2.13", 132, 2905, 38412);
	t->key.vlan = 4000;
	t->octets = 32; t->ttl = 64;

	/* GRE: keyed by protocol alone. */
	t = &c[n++];
	t->name = "gre";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc000020e, 0xc000020f, 47, 0, 64, 24 + 20, 0, 0);
	pb_u32(&t->pkt, 0x00000800); pb_zero(&t->pkt, 20);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.14", "192.0.2.15", 47, 0, 0);
	t->octets = 44; t->ttl = 64;

	/* Three tags: more than we walk. */
	t = &c[n++];
	t->name = "three vlan tags";
	pb_eth(&t->pkt); pb_vlan(&t->pkt, 0x88a8, 1, 0); pb_vlan(&t->pkt, 0x8100, 2, 0);
	pb_vlan(&t->pkt, 0x8100, 3, 0); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000210, 0xc0000211, 17, 0, 64, 28, 0, 0);
	pb_udp(&t->pkt, 1, 2, 8);
	t->reason = JF_PKT_DEEP_STACK;

	/* MPLS, three labels, IPv6 under the bottom of stack: the labels are
	 * part of the key (label, exp, bos as in IE 70-72). */
	t = &c[n++];
	t->name = "mpls ipv6 tcp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x8847);
	pb_mpls(&t->pkt, 16001, 0, 0, 255); pb_mpls(&t->pkt, 24000, 5, 0, 255);
	pb_mpls(&t->pkt, 299776, 0, 1, 255);
	pb_ipv6(&t->pkt, v6a, v6b, 6, 0, 0, 63, 20);
	pb_tcp(&t->pkt, 179, 50000, 0x18);
	t->reason = JF_PKT_OK;
	key6(&t->key, 6, 179, 50000);
	t->key.flags = JF_KEY_MPLS;
	t->key.mpls[0] = 16001u << 4;
	t->key.mpls[1] = 24000u << 4 | 5 << 1;
	t->key.mpls[2] = 299776u << 4 | 1;
	t->octets = 60; t->tcp_flags = 0x18; t->ttl = 63;

	/* Eight labels deep is still walked; the key keeps the top three. */
	t = &c[n++];
	t->name = "mpls eight labels";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x8847);
	for (int l = 0; l < 8; l++)
		pb_mpls(&t->pkt, 100 + l, 0, l == 7, 64);
	pb_ipv4(&t->pkt, 0xc0000212, 0xc0000213, 17, 0, 64, 28, 0, 0);
	pb_udp(&t->pkt, 7, 7, 8);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.18", "192.0.2.19", 17, 7, 7);
	t->key.flags = JF_KEY_MPLS;
	t->key.mpls[0] = 100u << 4;
	t->key.mpls[1] = 101u << 4;
	t->key.mpls[2] = 102u << 4;
	t->octets = 28; t->ttl = 64;

	/* Nine labels: too deep. */
	t = &c[n++];
	t->name = "mpls nine labels";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x8847);
	for (int l = 0; l < 9; l++)
		pb_mpls(&t->pkt, 100 + l, 0, l == 8, 64);
	pb_ipv4(&t->pkt, 0xc0000212, 0xc0000213, 17, 0, 64, 28, 0, 0);
	pb_udp(&t->pkt, 7, 7, 8);
	t->reason = JF_PKT_DEEP_STACK;

	/* MPLS over an Ethernet pseudowire (control word): not IP. */
	t = &c[n++];
	t->name = "mpls pseudowire";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x8847);
	pb_mpls(&t->pkt, 500, 0, 1, 64); pb_u32(&t->pkt, 0); pb_zero(&t->pkt, 40);
	t->reason = JF_PKT_NON_IP;

	/* IPv6 hop-by-hop, routing, destination options, AH, then UDP. */
	t = &c[n++];
	t->name = "ipv6 extension chain";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 0, 0, 7, 64, 8 + 24 + 16 + 12 + 8);
	pb_ipv6_ext(&t->pkt, 43, 0);		/* hop-by-hop, 8 bytes */
	pb_ipv6_ext(&t->pkt, 60, 2);		/* routing, 24 bytes */
	pb_ipv6_ext(&t->pkt, 51, 1);		/* destination options, 16 bytes */
	pb_u8(&t->pkt, 17); pb_u8(&t->pkt, 1); pb_zero(&t->pkt, 10);	/* AH, (1+2)*4 bytes */
	pb_udp(&t->pkt, 500, 4500, 8);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 500, 4500);
	t->octets = 40 + 8 + 24 + 16 + 12 + 8; t->ttl = 64; t->flow_label = 7;

	/* IPv6 first fragment: ports; later fragment: ports 0. */
	t = &c[n++];
	t->name = "ipv6 first fragment";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 44, 0, 0, 64, 8 + 8 + 1000);
	pb_ipv6_frag(&t->pkt, 17, 0, 1);
	pb_udp(&t->pkt, 6000, 6001, 2000); pb_zero(&t->pkt, 1000);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 6000, 6001);
	t->octets = 40 + 1016; t->ttl = 64;

	t = &c[n++];
	t->name = "ipv6 later fragment";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 44, 0, 0, 64, 8 + 992);
	pb_ipv6_frag(&t->pkt, 17, 126, 0);
	pb_zero(&t->pkt, 992);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 0, 0);
	t->octets = 40 + 1000; t->ttl = 64;

	/* Eight extension headers: as deep as the parser walks (README). */
	t = &c[n++];
	t->name = "ipv6 eight extensions";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 60, 0, 0, 64, 8 * 8 + 8);
	for (int e = 0; e < 8; e++)
		pb_ipv6_ext(&t->pkt, e == 7 ? 17 : 60, 0);
	pb_udp(&t->pkt, 1, 2, 8);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 1, 2);
	t->octets = 40 + 8 * 8 + 8; t->ttl = 64;

	/* Nine extension headers: too deep. */
	t = &c[n++];
	t->name = "ipv6 nine extensions";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 60, 0, 0, 64, 9 * 8 + 8);
	for (int e = 0; e < 9; e++)
		pb_ipv6_ext(&t->pkt, e == 8 ? 17 : 60, 0);
	pb_udp(&t->pkt, 1, 2, 8);
	t->reason = JF_PKT_DEEP_STACK;

	/* IPv6 extension header cut short. */
	t = &c[n++];
	t->name = "ipv6 truncated extension";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 0, 0, 0, 64, 64);
	pb_u8(&t->pkt, 17); pb_u8(&t->pkt, 4); pb_zero(&t->pkt, 6);	/* says 40 bytes, has 8 */
	t->reason = JF_PKT_TRUNC_L3;

	/* An IPv4 header that claims 65535 octets in a 60-byte frame: the flow
	 * counts what the frame holds (46), the packet is flagged trimmed. */
	t = &c[n++];
	t->name = "ipv4 length lies";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000220, 0xc0000221, 17, 0, 64, 65535, 0, 0);
	pb_udp(&t->pkt, 9, 9, 8); pb_zero(&t->pkt, 18);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.32", "192.0.2.33", 17, 9, 9);
	t->octets = 46; t->ttl = 64; t->trimmed_by = 65535 - 46;

	/* IPv6 claiming a payload of 65000: the same. */
	t = &c[n++];
	t->name = "ipv6 length lies";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x86dd);
	pb_ipv6(&t->pkt, v6a, v6b, 17, 0, 0, 64, 65000);
	pb_udp(&t->pkt, 10, 10, 8);
	t->reason = JF_PKT_OK;
	key6(&t->key, 17, 10, 10);
	t->octets = 48; t->ttl = 64; t->trimmed_by = 65040 - 48;

	/* UDP length 0: not checked, as a router does not (parse.h): a UDP
	 * packet of its flow, with its IP length. */
	t = &c[n++];
	t->name = "udp length 0";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x0800);
	pb_ipv4(&t->pkt, 0xc0000222, 0xc0000223, 17, 0, 64, 28 + 4, 0, 0);
	pb_udp(&t->pkt, 11, 12, 0); pb_zero(&t->pkt, 4);
	t->reason = JF_PKT_OK;
	key4(&t->key, "192.0.2.34", "192.0.2.35", 17, 11, 12);
	t->octets = 32; t->ttl = 64;

	/* LLDP and an 802.3 length field: not IP. */
	t = &c[n++];
	t->name = "lldp";
	pb_eth(&t->pkt); pb_u16(&t->pkt, 0x88cc); pb_zero(&t->pkt, 40);
	t->reason = JF_PKT_NON_IP;
	return n;
}

/* Entries in a flow map. */
static unsigned map_entries(int fd)
{
	struct jf_key k, next;
	unsigned n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static int run_case(struct jflowd_bpf *skel, struct tcase *t, __u64 *stat_before)
{
	__u32 len = t->pkt.len;
	struct xdp_md ctx = { .ingress_ifindex = IFINDEX_LO, .data_end = len };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = t->pkt.b,
		    .data_size_in = len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = REPEAT);
	int ncpus = libbpf_num_possible_cpus();
	int fa = bpf_map__fd(skel->maps.flows_a), fb = bpf_map__fd(skel->maps.flows_b);
	unsigned na = map_entries(fa), nb = map_entries(fb);
	struct jf_stat st[ncpus];
	__u32 idx = JF_STAT_IDX(0, t->reason);
	__u64 sum = 0;
	int rc, i;

	rc = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.jflowd_xdp), &opts);
	CHECK(rc == 0, "%s: test run: %s", t->name, strerror(-rc));
	CHECK(opts.retval == XDP_PASS, "%s: verdict %u, want XDP_PASS", t->name, opts.retval);

	rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, st);
	CHECK(rc == 0, "%s: stats lookup", t->name);
	for (i = 0; i < ncpus; i++)
		sum += st[i].packets;
	CHECK(sum - stat_before[t->reason] == REPEAT, "%s: reason %d counted %llu times, want %d",
	      t->name, t->reason, (unsigned long long)(sum - stat_before[t->reason]), REPEAT);
	stat_before[t->reason] = sum;

	/* Beside the fate: trimmed, with the octets claimed beyond the frame. */
	{
		__u32 tidx = JF_STAT_IDX(0, JF_STAT_TRIMMED);
		__u64 tp = 0, to = 0;

		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &tidx, st);
		CHECK(rc == 0, "%s: trimmed stats lookup", t->name);
		for (i = 0; i < ncpus; i++) {
			tp += st[i].packets;
			to += st[i].octets;
		}
		CHECK(tp - stat_before[JF_STAT_TRIMMED] == (t->trimmed_by ? REPEAT : 0) &&
		      to - stat_before[JF_STAT_TRIMMED + 1] == (__u64)REPEAT * t->trimmed_by,
		      "%s: trimmed %llu packets, %llu octets beyond; want %u, %u", t->name,
		      (unsigned long long)(tp - stat_before[JF_STAT_TRIMMED]),
		      (unsigned long long)(to - stat_before[JF_STAT_TRIMMED + 1]),
		      t->trimmed_by ? REPEAT : 0, REPEAT * t->trimmed_by);
		stat_before[JF_STAT_TRIMMED] = tp;
		stat_before[JF_STAT_TRIMMED + 1] = to;
	}

	/* A packet that is not metered leaves no trace in either map; a
	 * metered one adds at most its own entry. */
	if (t->reason != JF_PKT_OK) {
		CHECK(map_entries(fa) == na && map_entries(fb) == nb,
		      "%s: rejected, yet the flow maps went from %u+%u to %u+%u entries", t->name,
		      na, nb, map_entries(fa), map_entries(fb));
	} else {
		CHECK(map_entries(fa) <= na + 1 && map_entries(fb) == nb,
		      "%s: flow maps went from %u+%u to %u+%u entries", t->name, na, nb,
		      map_entries(fa), map_entries(fb));
	}
	if (t->reason == JF_PKT_OK) {
		struct jf_counters c;

		rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_a), &t->key, &c);
		CHECK(rc == 0, "%s: flow not in map", t->name);
		if (rc)
			return 0;
		CHECK(c.packets == REPEAT, "%s: packets %llu", t->name, (unsigned long long)c.packets);
		CHECK(c.octets == (__u64)REPEAT * t->octets, "%s: octets %llu, want %u", t->name,
		      (unsigned long long)c.octets, REPEAT * t->octets);
		CHECK(c.tcp_flags == t->tcp_flags, "%s: tcp flags %#x", t->name, c.tcp_flags);
		CHECK((c.ttl & 0xff) == t->ttl && (c.ttl >> 8) == t->ttl, "%s: ttl %#x", t->name, c.ttl);
		CHECK(c.flow_label == t->flow_label, "%s: flow label %#x", t->name, c.flow_label);
		/* IE 54: the IPv4 identification (pktbuild's 0x1234), an IPv6
		 * fragment header's (0xabcd), else 0. */
		CHECK(c.frag_id == (t->key.family == JF_FAMILY_IPV4 ? 0x1234u :
				    strstr(t->name, "fragment") ? 0xabcdu : 0u),
		      "%s: fragment identification %#x", t->name, c.frag_id);
		CHECK(c.first_ns && c.last_ns >= c.first_ns, "%s: times", t->name);
	}
	return 0;
}

/* After an epoch switch, the same packet lands in the other map. */
static void check_epoch(struct jflowd_bpf *skel, struct tcase *t)
{
	struct xdp_md ctx = { .ingress_ifindex = IFINDEX_LO, .data_end = t->pkt.len };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = t->pkt.b, .data_size_in = t->pkt.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 5);
	struct jf_counters c;

	skel->bss->epoch = 1;
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.jflowd_xdp), &opts);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_b), &t->key, &c) == 0 &&
	      c.packets == 5, "epoch 1 writes flows_b");
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_a), &t->key, &c) == 0 &&
	      c.packets == REPEAT, "epoch 1 leaves flows_a alone");
	skel->bss->epoch = 0;
	for (int i = 0; i < libbpf_num_possible_cpus(); i++)
		CHECK(!(skel->data_seq->cpu_seq[i].seq & 1), "cpu %d left the program", i);
}

/* Mirror mode drops after metering. */
static void check_mirror(struct tcase *t)
{
	struct xdp_md ctx = { .ingress_ifindex = IFINDEX_LO, .data_end = t->pkt.len };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = t->pkt.b, .data_size_in = t->pkt.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	struct jflowd_bpf *skel = jflowd_bpf__open();
	struct jf_counters c;

	skel->rodata->verdict = XDP_DROP;
	CHECK(jflowd_bpf__load(skel) == 0, "load mirror");
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.jflowd_xdp), &opts);
	CHECK(opts.retval == XDP_DROP, "mirror: verdict %u", opts.retval);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_a), &t->key, &c) == 0 &&
	      c.packets == 1, "mirror: metered before the drop");
	jflowd_bpf__destroy(skel);
}

/* 1-in-N sampling happens in the program, before the map: of 20000 runs at
 * N = 10, Binomial(20000, 0.1) are metered (mean 2000, sigma 42.4; within
 * 5 sigma) and every other run is counted as not sampled. */
static void check_sampling(struct tcase *t)
{
	struct xdp_md ctx = { .ingress_ifindex = IFINDEX_LO, .data_end = t->pkt.len };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = t->pkt.b, .data_size_in = t->pkt.len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	struct jflowd_bpf *skel = jflowd_bpf__open();
	int ncpus = libbpf_num_possible_cpus(), i;
	struct jf_stat st[ncpus];
	__u64 not_sampled = 0;
	struct jf_counters c;
	__u32 idx = JF_STAT_IDX(0, JF_PKT_NOT_SAMPLED);

	CHECK(jflowd_bpf__load(skel) == 0, "load sampling");
	/* After load, through the mmapped .bss: a reload changes it so. */
	skel->bss->sample_rate[0] = 10;
	for (i = 0; i < 20000; i++)
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.jflowd_xdp), &opts);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows_a), &t->key, &c) == 0,
	      "sampling: flow metered");
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, st);
	for (i = 0; i < ncpus; i++)
		not_sampled += st[i].packets;
	CHECK(c.packets >= 2000 - 212 && c.packets <= 2000 + 212,
	      "sampling: %llu of 20000 metered at 1 in 10", (unsigned long long)c.packets);
	CHECK(c.packets + not_sampled == 20000, "sampling: %llu metered + %llu skipped != 20000",
	      (unsigned long long)c.packets, (unsigned long long)not_sampled);
	jflowd_bpf__destroy(skel);
}

/* The TC egress program samples at the same run-time rate as the XDP
 * program, read per epoch parity from .bss: a reload changes both. */
static void check_tc_sampling(struct tcase *t)
{
	struct __sk_buff skb = { .gso_segs = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = t->pkt.b, .data_size_in = t->pkt.len,
		    .ctx_in = &skb, .ctx_size_in = sizeof(skb), .repeat = 1);
	struct jflowd_bpf *skel = jflowd_bpf__open();
	int ncpus = libbpf_num_possible_cpus(), i, fd;
	struct jf_stat st[ncpus];
	__u64 not_sampled = 0, metered = 0;
	struct jf_key k, next, *prev = NULL;
	struct jf_counters c;
	__u32 idx = JF_STAT_IDX(0, JF_PKT_NOT_SAMPLED);

	CHECK(jflowd_bpf__load(skel) == 0, "load tc sampling");
	skel->bss->sample_rate[0] = 10;
	skel->bss->sample_rate[1] = 1;
	for (i = 0; i < 20000; i++)
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.jflowd_tc_egress), &opts);
	fd = bpf_map__fd(skel->maps.flows_a);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &c) == 0)
			metered += c.packets;
	}
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, st);
	for (i = 0; i < ncpus; i++)
		not_sampled += st[i].packets;
	CHECK(metered >= 2000 - 212 && metered <= 2000 + 212,
	      "tc sampling: %llu of 20000 metered at 1 in 10", (unsigned long long)metered);
	CHECK(metered + not_sampled == 20000, "tc sampling: %llu metered + %llu skipped != 20000",
	      (unsigned long long)metered, (unsigned long long)not_sampled);
	jflowd_bpf__destroy(skel);
}

int main(void)
{
	static struct tcase cases[32];
	__u64 before[JF_STAT_TRIMMED + 2] = { 0 };	/* the reasons, then trimmed packets and octets */
	struct bpf_prog_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct jflowd_bpf *skel;
	int n, i, rc, failed = 0;

	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	skel = jflowd_bpf__open();
	if (!skel) {
		printf("FAIL: cannot open BPF object: %s\n", strerror(errno));
		return 1;
	}
	rc = jflowd_bpf__load(skel);
	if (rc) {
		printf("%s: cannot load the XDP program: %s\n", rc == -EPERM ? "SKIP" : "FAIL",
		       strerror(-rc));
		return rc == -EPERM ? 77 : 1;
	}
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.jflowd_xdp), &info, &info_len))
		printf("program loaded: %u instructions verified, %u xlated bytes\n",
		       info.verified_insns, info.xlated_prog_len);

	n = build_cases(cases);
	for (i = 0; i < n + 4; i++) {
		int f = failures;
		const char *name;

		if (i < n) {
			run_case(skel, &cases[i], before);
			name = cases[i].name;
		} else if (i == n) {
			check_epoch(skel, &cases[0]);
			name = "epoch switch";
		} else if (i == n + 1) {
			jflowd_bpf__destroy(skel);
			skel = NULL;
			check_mirror(&cases[0]);
			name = "mirror mode";
		} else if (i == n + 2) {
			check_sampling(&cases[0]);
			name = "sampling 1 in 10";
		} else {
			check_tc_sampling(&cases[0]);
			name = "tc egress sampling 1 in 10 (run-time rate)";
		}
		printf("%s %s\n", failures == f ? "ok  " : "FAIL", name);
		if (failures != f)
			failed++;
	}
	printf("%d passed, %d failed\n", n + 3 - failed, failed);
	return failed ? 1 : 0;
}
