/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Building BMP and BGP messages by hand for the tests and the fuzz seeds:
 * a byte buffer with big-endian writers and length fix-ups. */
#ifndef JFLOWD_TEST_BMPBUILD_H
#define JFLOWD_TEST_BMPBUILD_H

#include <stdint.h>
#include <string.h>

struct bb {
	uint8_t b[8192];
	size_t n;
};

static inline void bb_u8(struct bb *m, uint8_t v) { m->b[m->n++] = v; }
static inline void bb_u16(struct bb *m, uint16_t v) { bb_u8(m, (uint8_t)(v >> 8)); bb_u8(m, (uint8_t)v); }
static inline void bb_u32(struct bb *m, uint32_t v) { bb_u16(m, (uint16_t)(v >> 16)); bb_u16(m, (uint16_t)v); }
static inline void bb_put(struct bb *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }
static inline void bb_set16(struct bb *m, size_t at, uint16_t v) { m->b[at] = (uint8_t)(v >> 8); m->b[at + 1] = (uint8_t)v; }
static inline void bb_set32(struct bb *m, size_t at, uint32_t v)
{
	bb_set16(m, at, (uint16_t)(v >> 16));
	bb_set16(m, at + 2, (uint16_t)v);
}

/* BMP common header; bb_bmp_end fixes its length. */
static inline size_t bb_bmp(struct bb *m, uint8_t type)
{
	size_t at = m->n;

	bb_u8(m, 3);
	bb_u32(m, 0);
	bb_u8(m, type);
	return at;
}
static inline void bb_bmp_end(struct bb *m, size_t at) { bb_set32(m, at + 1, (uint32_t)(m->n - at)); }

/* Per-peer header: IPv4 peer a.b.c.d (v6: 2001:db8::X), AS, flags. */
static inline void bb_peer(struct bb *m, uint8_t type, uint8_t flags, uint32_t addr4, uint32_t as)
{
	bb_u8(m, type);
	bb_u8(m, flags);
	bb_u32(m, 0);
	bb_u32(m, 0);
	if (flags & 0x80 && type != 3) {
		bb_u32(m, 0x20010db8);
		bb_u32(m, 0);
		bb_u32(m, 0);
		bb_u32(m, addr4);
	} else {
		bb_u32(m, 0);
		bb_u32(m, 0);
		bb_u32(m, 0);
		bb_u32(m, addr4);
	}
	bb_u32(m, as);
	bb_u32(m, addr4);	/* BGP id */
	bb_u32(m, 0);
	bb_u32(m, 0);
}

/* BGP header of type; bb_bgp_end fixes its length. */
static inline size_t bb_bgp(struct bb *m, uint8_t type)
{
	size_t at = m->n;

	memset(m->b + m->n, 0xff, 16);
	m->n += 16;
	bb_u16(m, 0);
	bb_u8(m, type);
	return at;
}
static inline void bb_bgp_end(struct bb *m, size_t at) { bb_set16(m, at + 16, (uint16_t)(m->n - at)); }

/* An OPEN with AS (2 bytes: AS_TRANS above 65535), the 4-octet AS
 * capability, and ADD-PATH for IPv4 unicast with send/receive sr (0: none). */
static inline void bb_open(struct bb *m, uint32_t as, uint8_t addpath_sr)
{
	size_t at = bb_bgp(m, 1), opt;

	bb_u8(m, 4);
	bb_u16(m, as > 65535 ? 23456 : (uint16_t)as);
	bb_u16(m, 90);
	bb_u32(m, 0x0a000001);
	opt = m->n;
	bb_u8(m, 0);
	bb_u8(m, 2);			/* capabilities */
	bb_u8(m, addpath_sr ? 12 : 6);
	bb_u8(m, 65);
	bb_u8(m, 4);
	bb_u32(m, as);
	if (addpath_sr) {
		bb_u8(m, 69);
		bb_u8(m, 4);
		bb_u16(m, 1);
		bb_u8(m, 1);
		bb_u8(m, addpath_sr);
	}
	m->b[opt] = (uint8_t)(m->n - opt - 1);
	bb_bgp_end(m, at);
}

/* A path attribute's header; bb_attr_end fixes its (extended) length. */
static inline size_t bb_attr(struct bb *m, uint8_t flags, uint8_t type)
{
	size_t at = m->n;

	bb_u8(m, flags | 0x10);
	bb_u8(m, type);
	bb_u16(m, 0);
	return at;
}
static inline void bb_attr_end(struct bb *m, size_t at) { bb_set16(m, at + 2, (uint16_t)(m->n - at - 4)); }

/* An IPv4 prefix in NLRI encoding. */
static inline void bb_prefix4(struct bb *m, uint32_t addr, uint8_t len)
{
	int i;

	bb_u8(m, len);
	for (i = 0; i < (len + 7) / 8; i++)
		bb_u8(m, (uint8_t)(addr >> (24 - 8 * i)));
}

#endif
