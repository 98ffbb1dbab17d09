/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Random packets for the differential test and the fuzz seed corpus: every
 * framing a router sees (VLAN, QinQ, MPLS, IPv4 options and fragments,
 * IPv6 extension chains, every transport), then, for some, damage: a cut
 * at any byte, a flipped byte, a lying length field. Deterministic from the
 * seed so failures reproduce. */
#ifndef JFLOWD_TEST_PKTRAND_H
#define JFLOWD_TEST_PKTRAND_H

#include <stdint.h>
#include "pktbuild.h"

struct prng {
	uint64_t s;
};

static inline uint32_t rnd(struct prng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static inline uint32_t rnd_below(struct prng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

static inline void rnd_addr6(struct prng *r, uint8_t a[16])
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	memcpy(a, base, 16);
	a[14] = (uint8_t)rnd_below(r, 4);
	a[15] = (uint8_t)rnd_below(r, 16);
}

static inline void rnd_transport(struct prng *r, struct pb *p, uint8_t proto, unsigned room)
{
	switch (proto) {
	case 6:
		pb_tcp(p, (uint16_t)(1000 + rnd_below(r, 8)), (uint16_t)(80 + rnd_below(r, 3)),
		       (uint8_t)rnd(r));
		break;
	case 17:
	case 136:
		pb_udp(p, (uint16_t)(5000 + rnd_below(r, 8)), 53, (uint16_t)(8 + room));
		break;
	case 132:	/* SCTP common header */
	case 33:	/* DCCP */
		pb_u16(p, (uint16_t)(2905 + rnd_below(r, 4)));
		pb_u16(p, 2905);
		pb_zero(p, 8);
		break;
	case 1:
	case 58:
		pb_icmp(p, (uint8_t)rnd_below(r, 4) * 3, (uint8_t)rnd_below(r, 3));
		break;
	case 47:	/* GRE: keyed by protocol alone */
		pb_u32(p, 0x00000800);
		break;
	default:
		pb_zero(p, 8);
		break;
	}
	pb_zero(p, room);
}

static inline uint8_t rnd_proto(struct prng *r)
{
	static const uint8_t protos[] = { 6, 6, 17, 17, 1, 58, 132, 47, 50, 33, 136, 89, 253 };

	return protos[rnd_below(r, sizeof(protos))];
}

static inline void rnd_ipv4(struct prng *r, struct pb *p)
{
	uint8_t proto = rnd_proto(r);
	unsigned optlen = rnd_below(r, 4) == 0 ? 4 * (1 + rnd_below(r, 10)) : 0;
	unsigned payload = rnd_below(r, 64);
	uint16_t frag = 0;
	unsigned l4 = proto == 6 ? 20 : 8;

	if (proto == 58)
		proto = 1;
	switch (rnd_below(r, 8)) {
	case 0:
		frag = 0x2000;				/* first fragment, MF */
		break;
	case 1:
		frag = (uint16_t)(0x2000 | (1 + rnd_below(r, 100)));	/* middle */
		break;
	case 2:
		frag = (uint16_t)(1 + rnd_below(r, 100));	/* last */
		break;
	case 3:
		frag = 0x4000;				/* DF */
		break;
	}
	pb_ipv4(p, 0xc0000200 + rnd_below(r, 8), 0xc6336400 + rnd_below(r, 4), proto,
		(uint8_t)(rnd_below(r, 4) << 2), (uint8_t)(1 + rnd_below(r, 255)),
		(uint16_t)(20 + optlen + l4 + payload), optlen, frag);
	rnd_transport(r, p, proto, payload);
}

static inline void rnd_ipv6(struct prng *r, struct pb *p)
{
	uint8_t src[16], dst[16], proto = rnd_proto(r), nh;
	unsigned next_at, payload = rnd_below(r, 64), start, i, n_ext;
	static const uint8_t exts[] = { 0, 43, 60, 44, 51 };

	if (proto == 1)
		proto = 58;
	rnd_addr6(r, src);
	rnd_addr6(r, dst);
	n_ext = rnd_below(r, 3) == 0 ? rnd_below(r, 10) : 0;	/* > 8: too deep */
	pb_ipv6(p, src, dst, 0, (uint8_t)rnd(r), rnd(r) & 0xfffff,
		(uint8_t)(1 + rnd_below(r, 255)), 0);
	start = p->len;
	next_at = p->ip_off + 6;
	for (i = 0; i < n_ext; i++) {
		uint8_t e = exts[rnd_below(r, sizeof(exts))];

		p->b[next_at] = e;
		next_at = p->len;
		if (e == 44) {
			pb_ipv6_frag(p, 0, (uint16_t)(rnd_below(r, 2) ? 0 : 1 + rnd_below(r, 50)),
				     (int)rnd_below(r, 2));
		} else if (e == 51) {
			pb_u8(p, 0);
			pb_u8(p, (uint8_t)(1 + 2 * rnd_below(r, 3)));	/* (len+2)*4 bytes */
			pb_zero(p, 6 + 4 * (unsigned)(p->b[p->len - 1] + 2) - 8);
		} else {
			pb_ipv6_ext(p, 0, (uint8_t)rnd_below(r, 3));
		}
	}
	nh = proto;
	p->b[next_at] = nh;
	rnd_transport(r, p, proto, payload);
	/* payload length: everything after the fixed header */
	p->b[p->ip_off + 4] = (uint8_t)((p->len - start) >> 8);
	p->b[p->ip_off + 5] = (uint8_t)(p->len - start);
}

/* One random frame, at least 14 bytes (XDP's minimum). */
static inline void rnd_frame(struct prng *r, struct pb *p)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	unsigned tags = rnd_below(r, 4) == 0 ? rnd_below(r, 4) : 0, i;	/* 3: too many */
	unsigned kind = rnd_below(r, 20);

	pb_init(p);
	pb_eth(p);
	for (i = 0; i < tags; i++)
		pb_vlan(p, tpids[rnd_below(r, 3)], (uint16_t)rnd_below(r, 4096), (uint8_t)rnd_below(r, 8));
	if (kind < 3) {			/* MPLS, sometimes too deep or not IP */
		unsigned labels = 1 + rnd_below(r, 10);

		pb_u16(p, rnd_below(r, 4) ? 0x8847 : 0x8848);
		for (i = 0; i < labels; i++)
			pb_mpls(p, rnd_below(r, 1 << 20), (uint8_t)rnd_below(r, 8), i + 1 == labels,
				(uint8_t)rnd(r));
		if (rnd_below(r, 8) == 0) {
			pb_zero(p, 20);	/* pseudowire control word: not IP */
			return;
		}
		if (rnd_below(r, 2))
			rnd_ipv4(r, p);
		else
			rnd_ipv6(r, p);
	} else if (kind < 10) {
		pb_u16(p, 0x0800);
		rnd_ipv4(r, p);
	} else if (kind < 17) {
		pb_u16(p, 0x86dd);
		rnd_ipv6(r, p);
	} else if (kind == 17) {
		pb_u16(p, 0x0806);	/* ARP */
		pb_zero(p, 28);
	} else if (kind == 18) {
		pb_u16(p, 0x88cc);	/* LLDP */
		pb_zero(p, 40);
	} else {
		pb_u16(p, (uint16_t)rnd(r));	/* anything */
		pb_zero(p, rnd_below(r, 60));
	}
}

/* Damage some frames the way real links and bugs do. */
static inline void rnd_damage(struct prng *r, struct pb *p)
{
	switch (rnd_below(r, 8)) {
	case 0:	/* cut anywhere (but keep the Ethernet header) */
		p->len = 14 + rnd_below(r, p->len - 14 + 1);
		break;
	case 1:	/* flip a byte */
		p->b[rnd_below(r, p->len)] ^= (uint8_t)(1 + rnd_below(r, 255));
		break;
	case 2:	/* IP length field lies */
		if (p->ip_off) {
			p->b[p->ip_off + 2] = (uint8_t)rnd(r);
			p->b[p->ip_off + 5] = (uint8_t)rnd(r);
		}
		break;
	default:
		break;	/* most frames stay intact */
	}
}

#endif
