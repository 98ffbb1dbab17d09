/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Test packet builder: appends headers to a byte buffer, written from the
 * RFCs rather than from jflowd's parser, so tests check the parser against
 * an independent description of each packet. */
#ifndef JFLOWD_TEST_PKTBUILD_H
#define JFLOWD_TEST_PKTBUILD_H

#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[2048];
	unsigned len;
	unsigned ip_off;	/* where the last IP header starts */
};

static inline void pb_init(struct pb *p)
{
	memset(p, 0, sizeof(*p));
}

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->len++] = v;
}

static inline void pb_u16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void pb_bytes(struct pb *p, const void *d, unsigned n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static inline void pb_zero(struct pb *p, unsigned n)
{
	memset(p->b + p->len, 0, n);
	p->len += n;
}

/* Ethernet header up to (not including) the ethertype. */
static inline void pb_eth(struct pb *p)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	pb_bytes(p, macs, 12);
}

static inline void pb_vlan(struct pb *p, uint16_t tpid, uint16_t vid, uint8_t pcp)
{
	pb_u16(p, tpid);
	pb_u16(p, (uint16_t)(pcp << 13 | vid));
}

static inline void pb_mpls(struct pb *p, uint32_t label, uint8_t exp, int bos, uint8_t ttl)
{
	pb_u32(p, label << 12 | (uint32_t)exp << 9 | (uint32_t)(bos ? 1 : 0) << 8 | ttl);
}

/* IPv4 header with total length tot (header + payload), optional options
 * of optlen bytes (multiple of 4), fragment field frag. */
static inline void pb_ipv4(struct pb *p, uint32_t src, uint32_t dst, uint8_t proto,
			   uint8_t tos, uint8_t ttl, uint16_t tot, unsigned optlen, uint16_t frag)
{
	p->ip_off = p->len;
	pb_u8(p, (uint8_t)(0x40 | (5 + optlen / 4)));
	pb_u8(p, tos);
	pb_u16(p, tot);
	pb_u16(p, 0x1234);
	pb_u16(p, frag);
	pb_u8(p, ttl);
	pb_u8(p, proto);
	pb_u16(p, 0);
	pb_u32(p, src);
	pb_u32(p, dst);
	if (optlen) {
		pb_u8(p, 0x01);		/* NOPs, then end of options */
		pb_zero(p, optlen - 1);
	}
}

static inline void pb_ipv6(struct pb *p, const uint8_t src[16], const uint8_t dst[16],
			   uint8_t nh, uint8_t tc, uint32_t flow_label, uint8_t hlim, uint16_t plen)
{
	p->ip_off = p->len;
	pb_u32(p, 6u << 28 | (uint32_t)tc << 20 | (flow_label & 0xfffff));
	pb_u16(p, plen);
	pb_u8(p, nh);
	pb_u8(p, hlim);
	pb_bytes(p, src, 16);
	pb_bytes(p, dst, 16);
}

/* IPv6 extension header of 8 * (1 + hdrlen) bytes (AH: 4 * (2 + len)). */
static inline void pb_ipv6_ext(struct pb *p, uint8_t nh, uint8_t hdrlen_units)
{
	pb_u8(p, nh);
	pb_u8(p, hdrlen_units);
	pb_zero(p, 6u + 8u * hdrlen_units);
}

static inline void pb_ipv6_frag(struct pb *p, uint8_t nh, uint16_t offset8, int more)
{
	pb_u8(p, nh);
	pb_u8(p, 0);
	pb_u16(p, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	pb_u32(p, 0xabcd);
}

static inline void pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, 1);
	pb_u32(p, 0);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_u16(p, 65535);
	pb_u32(p, 0);
}

static inline void pb_udp(struct pb *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, len);
	pb_u16(p, 0);
}

static inline void pb_icmp(struct pb *p, uint8_t type, uint8_t code)
{
	pb_u8(p, type);
	pb_u8(p, code);
	pb_u16(p, 0);
	pb_u32(p, 0x00010002);
}

#endif
