// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* BGP-aware flows without a network: the BMP parser on hand-built messages
 * (paths with 4-byte ASNs, AS4_PATH and AS_TRANS, AS_SET, MP_REACH with a
 * link-local next hop, add-path, End-of-RIB, FRR's own AS, malformed input
 * of every kind), the RIB (replace, withdraw, peer down, longest match,
 * the kernel's next hop among ECMP routes, the decision, post over pre,
 * the memory bound), the as-file, and the lookup part in a flow record. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "../lib/bmpbuild.h"
#include "export/template.h"
#include "flow/as_file.h"
#include "flow/bgp.h"
#include "flow/bgp_rib.h"
#include "flow/bmp_parse.h"
#include "flow/fields.h"

/* --- what the parser said --- */

struct got {
	int inits, terms, ups, downs, routes, withdrawals, eors, eor_family;
	struct jf_bmp_peer peer;
	struct jf_bgp_prefix pfx[16];
	struct jf_bgp_attrs attrs;
	char sys_name[64];
};

static void g_init(void *arg, const char *name, const char *descr)
{
	struct got *g = arg;

	(void)descr;
	g->inits++;
	snprintf(g->sys_name, sizeof(g->sys_name), "%s", name);
}

static void g_term(void *arg, uint16_t reason)
{
	(void)reason;
	((struct got *)arg)->terms++;
}

static int g_up(void *arg, const struct jf_bmp_peer *p)
{
	struct got *g = arg;

	g->ups++;
	g->peer = *p;
	return 0;
}

static void g_down(void *arg, const struct jf_bmp_peer *p, uint8_t reason)
{
	(void)p;
	(void)reason;
	((struct got *)arg)->downs++;
}

static int g_route(void *arg, const struct jf_bmp_peer *p, const struct jf_bgp_prefix *pfx,
		   const struct jf_bgp_attrs *a)
{
	struct got *g = arg;
	int n = g->routes + g->withdrawals;

	g->peer = *p;
	if (n < 16)
		g->pfx[n] = *pfx;
	if (a) {
		g->routes++;
		g->attrs = *a;
	} else {
		g->withdrawals++;
	}
	return 0;
}

static void g_eor(void *arg, const struct jf_bmp_peer *p, int family)
{
	struct got *g = arg;

	(void)p;
	g->eors++;
	g->eor_family = family;
}

static struct jf_bmp_handler handler(struct got *g)
{
	struct jf_bmp_handler h = {
		.initiation = g_init, .termination = g_term, .peer_up = g_up, .peer_down = g_down,
		.route = g_route, .end_of_rib = g_eor, .arg = g,
	};

	memset(g, 0, sizeof(*g));
	return h;
}

/* Parse every message of m; the first error. */
static int parse_all(struct jf_bmp_parser *ps, const struct bb *m, const struct jf_bmp_handler *h)
{
	size_t off = 0;

	while (off < m->n) {
		long len = jf_bmp_msg_len(ps, m->b + off, m->n - off);
		int rc;

		if (len < 0)
			return (int)len;
		if (!len || (size_t)len > m->n - off)
			return -EAGAIN;
		rc = jf_bmp_parse(ps, m->b + off, (size_t)len, h);
		if (rc)
			return rc;
		off += (size_t)len;
	}
	return 0;
}

/* --- messages --- */

#define PEER1 0x0a0b0002u	/* 10.11.0.2 */
#define PEER2 0x0a0c0002u	/* 10.12.0.2 */

static void peer_up(struct bb *m, uint8_t flags, uint32_t peer, uint32_t peer_as,
		    uint32_t local_as, uint8_t addpath_sent, uint8_t addpath_rcvd)
{
	size_t at = bb_bmp(m, JF_BMP_PEER_UP);

	bb_peer(m, 0, flags, peer, peer_as);
	bb_u32(m, 0), bb_u32(m, 0), bb_u32(m, 0), bb_u32(m, 0x0a0b0001);
	bb_u16(m, 179);
	bb_u16(m, 40000);
	bb_open(m, local_as, addpath_sent);
	bb_open(m, peer_as, addpath_rcvd);
	bb_bmp_end(m, at);
}

/* A path: segments as {type, count, AS...}, ended by a 0 type. */
static void as_path(struct bb *m, uint8_t type, const uint32_t *segs, int asn_bytes)
{
	size_t at = bb_attr(m, 0x40, type);
	int i;

	while (*segs) {
		uint32_t t = *segs++, n = *segs++;

		bb_u8(m, (uint8_t)t);
		bb_u8(m, (uint8_t)n);
		for (i = 0; i < (int)n; i++) {
			if (asn_bytes == 4)
				bb_u32(m, *segs++);
			else
				bb_u16(m, (uint16_t)*segs++);
		}
	}
	bb_attr_end(m, at);
}

/* Route Monitoring of an IPv4 route: ORIGIN IGP, the path, NEXT_HOP nh,
 * LOCAL_PREF lp (0: none), one prefix (path id when ids). */
static void route4(struct bb *m, uint8_t flags, uint32_t peer, uint32_t peer_as,
		   const uint32_t *segs, const uint32_t *as4segs, uint32_t nh, uint32_t lp,
		   uint32_t pfx, uint8_t len, uint32_t path_id)
{
	size_t at = bb_bmp(m, JF_BMP_ROUTE_MONITORING), u, alen;
	int asn = (flags & JF_BMP_FLAG_A) ? 2 : 4;

	bb_peer(m, 0, flags, peer, peer_as);
	u = bb_bgp(m, 2);
	bb_u16(m, 0);			/* withdrawn */
	alen = m->n;
	bb_u16(m, 0);
	bb_u8(m, 0x40), bb_u8(m, 1), bb_u8(m, 1), bb_u8(m, 0);
	as_path(m, 2, segs, asn);
	if (as4segs)
		as_path(m, 17, as4segs, 4);
	bb_u8(m, 0x40), bb_u8(m, 3), bb_u8(m, 4), bb_u32(m, nh);
	if (lp)
		bb_u8(m, 0x40), bb_u8(m, 5), bb_u8(m, 4), bb_u32(m, lp);
	bb_set16(m, alen, (uint16_t)(m->n - alen - 2));
	if (path_id)
		bb_u32(m, path_id);
	bb_prefix4(m, pfx, len);
	bb_bgp_end(m, u);
	bb_bmp_end(m, at);
}

static void withdraw4(struct bb *m, uint8_t flags, uint32_t peer, uint32_t peer_as,
		      uint32_t pfx, uint8_t len)
{
	size_t at = bb_bmp(m, JF_BMP_ROUTE_MONITORING), u, w;

	bb_peer(m, 0, flags, peer, peer_as);
	u = bb_bgp(m, 2);
	w = m->n;
	bb_u16(m, 0);
	bb_prefix4(m, pfx, len);
	bb_set16(m, w, (uint16_t)(m->n - w - 2));
	bb_u16(m, 0);
	bb_bgp_end(m, u);
	bb_bmp_end(m, at);
}

static void peer_down(struct bb *m, uint32_t peer, uint32_t peer_as)
{
	size_t at = bb_bmp(m, JF_BMP_PEER_DOWN);

	bb_peer(m, 0, 0, peer, peer_as);
	bb_u8(m, 2);
	bb_bmp_end(m, at);
}

/* An IPv6 route 2001:db8:100::/48 by MP_REACH with global and link-local
 * next hops. */
static void route6(struct bb *m, uint32_t peer, uint32_t peer_as, const uint32_t *segs)
{
	static const uint8_t nh[32] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x12, [15] = 2,
					0xfe, 0x80, [31] = 2 };
	size_t at = bb_bmp(m, JF_BMP_ROUTE_MONITORING), u, alen, mp;

	bb_peer(m, 0, 0x80, peer, peer_as);
	u = bb_bgp(m, 2);
	bb_u16(m, 0);
	alen = m->n;
	bb_u16(m, 0);
	bb_u8(m, 0x40), bb_u8(m, 1), bb_u8(m, 1), bb_u8(m, 0);
	as_path(m, 2, segs, 4);
	mp = bb_attr(m, 0x80, 14);
	bb_u16(m, 2), bb_u8(m, 1), bb_u8(m, 32);
	bb_put(m, nh, 32);
	bb_u8(m, 0);
	bb_u8(m, 48), bb_u16(m, 0x2001), bb_u16(m, 0x0db8), bb_u16(m, 0x0100);
	bb_attr_end(m, mp);
	bb_set16(m, alen, (uint16_t)(m->n - alen - 2));
	bb_bgp_end(m, u);
	bb_bmp_end(m, at);
}

/* --- the parser --- */

static void test_parse_session(void **state)
{
	static const uint32_t path[] = { 2, 2, 65001, 4200000001u, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };
	size_t at;

	(void)state;
	jf_bmp_parser_init(&ps);
	at = bb_bmp(&m, JF_BMP_INITIATION);
	bb_u16(&m, 2), bb_u16(&m, 1), bb_put(&m, "r", 1);
	bb_bmp_end(&m, at);
	peer_up(&m, 0, PEER1, 65001, 65000, 0, 0);
	route4(&m, 0, PEER1, 65001, path, NULL, PEER1, 0, 0xc6336400, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.inits, 1);
	assert_string_equal(g.sys_name, "r");
	assert_int_equal(g.ups, 1);
	assert_int_equal(g.routes, 1);
	assert_int_equal(g.pfx[0].family, 4);
	assert_int_equal(g.pfx[0].len, 24);
	assert_int_equal(g.pfx[0].addr[0], htonl(0xc6336400));
	assert_int_equal(g.attrs.origin_as, 4200000001u);
	assert_int_equal(g.attrs.first_as, 65001);
	assert_int_equal(g.attrs.path_len, 2);
	assert_int_equal(g.attrs.nh[0], htonl(PEER1));
	jf_bmp_parser_free(&ps);
}

/* FRR 8 puts its own AS before an eBGP peer's path: taken off; an
 * iBGP peer's path (peer AS = local AS) is left as it is. */
static void test_parse_own_as(void **state)
{
	static const uint32_t frr[] = { 2, 3, 65000, 65001, 64999, 0 };
	static const uint32_t ibgp[] = { 2, 2, 65000, 64999, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };

	(void)state;
	jf_bmp_parser_init(&ps);
	peer_up(&m, 0, PEER1, 65001, 65000, 0, 0);
	route4(&m, 0, PEER1, 65001, frr, NULL, PEER1, 0, 0xc6336400, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.first_as, 65001);
	assert_int_equal(g.attrs.origin_as, 64999);
	assert_int_equal(g.attrs.path_len, 2);
	m.n = 0;
	peer_up(&m, 0, PEER2, 65000, 65000, 0, 0);
	route4(&m, 0, PEER2, 65000, ibgp, NULL, PEER2, 0, 0xc6336400, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.first_as, 65000);
	assert_int_equal(g.attrs.path_len, 2);
	jf_bmp_parser_free(&ps);
}

/* A 2-byte AS_PATH with AS_TRANS and the AS4_PATH (RFC 6793): the real
 * ASes; without the AS4_PATH AS_TRANS stays. */
static void test_parse_as4(void **state)
{
	static const uint32_t path2[] = { 2, 3, 65001, 23456, 23456, 0 };
	static const uint32_t path4[] = { 2, 2, 4200000001u, 4200000002u, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };

	(void)state;
	jf_bmp_parser_init(&ps);
	route4(&m, JF_BMP_FLAG_A, PEER1, 65001, path2, path4, PEER1, 0, 0xc0000200, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.first_as, 65001);
	assert_int_equal(g.attrs.origin_as, 4200000002u);
	assert_int_equal(g.attrs.path_len, 3);
	m.n = 0;
	route4(&m, JF_BMP_FLAG_A, PEER1, 65001, path2, NULL, PEER1, 0, 0xc0000200, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.origin_as, AS_TRANS);
	jf_bmp_parser_free(&ps);
}

/* An AS_SET at the origin: its one AS, or 0 for several; a set counts 1
 * in the length; confederation segments count for nothing. */
static void test_parse_as_set(void **state)
{
	static const uint32_t one[] = { 2, 1, 65001, 1, 1, 64600, 0 };
	static const uint32_t many[] = { 2, 1, 65001, 1, 3, 64600, 64601, 64602, 0 };
	static const uint32_t confed[] = { 3, 2, 64900, 64901, 2, 2, 65001, 64700, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };

	(void)state;
	jf_bmp_parser_init(&ps);
	route4(&m, 0, PEER1, 65001, one, NULL, PEER1, 0, 0xc0000200, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.origin_as, 64600);
	assert_int_equal(g.attrs.path_len, 2);
	m.n = 0;
	route4(&m, 0, PEER1, 65001, many, NULL, PEER1, 0, 0xc0000200, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.origin_as, 0);
	assert_int_equal(g.attrs.first_as, 65001);
	assert_int_equal(g.attrs.path_len, 2);
	m.n = 0;
	route4(&m, 0, PEER1, 65001, confed, NULL, PEER1, 0, 0xc0000200, 24, 0);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.attrs.first_as, 65001);
	assert_int_equal(g.attrs.origin_as, 64700);
	assert_int_equal(g.attrs.path_len, 2);
	jf_bmp_parser_free(&ps);
}

/* MP_REACH: IPv6 prefix, global and link-local next hops; withdrawals,
 * End-of-RIB for IPv4 (empty UPDATE), peer down, termination. */
static void test_parse_mp_and_eor(void **state)
{
	static const uint32_t path[] = { 2, 1, 65002, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };
	size_t at, u;

	(void)state;
	jf_bmp_parser_init(&ps);
	route6(&m, PEER2, 65002, path);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.routes, 1);
	assert_int_equal(g.pfx[0].family, 6);
	assert_int_equal(g.pfx[0].len, 48);
	assert_int_equal(g.attrs.nh_family, 6);
	assert_int_equal(g.attrs.nh[0], htonl(0x20010db8));
	assert_int_equal(g.attrs.nh_ll[0], htonl(0xfe800000));
	assert_int_equal(g.attrs.origin_as, 65002);
	assert_true(g.peer.v6);

	h = handler(&g);
	m.n = 0;
	withdraw4(&m, 0, PEER1, 65001, 0xc6336400, 24);
	at = bb_bmp(&m, JF_BMP_ROUTE_MONITORING);	/* End-of-RIB */
	bb_peer(&m, 0, 0, PEER1, 65001);
	u = bb_bgp(&m, 2);
	bb_u16(&m, 0), bb_u16(&m, 0);
	bb_bgp_end(&m, u);
	bb_bmp_end(&m, at);
	peer_down(&m, PEER1, 65001);
	at = bb_bmp(&m, JF_BMP_TERMINATION);
	bb_u16(&m, 1), bb_u16(&m, 2), bb_u16(&m, 0);
	bb_bmp_end(&m, at);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.withdrawals, 1);
	assert_int_equal(g.eors, 1);
	assert_int_equal(g.eor_family, 4);
	assert_int_equal(g.downs, 1);
	assert_int_equal(g.terms, 1);
	jf_bmp_parser_free(&ps);
}

/* ADD-PATH: path ids come when the peer sends them and the speaker
 * receives them (the two OPENs of its Peer Up). */
static void test_parse_addpath(void **state)
{
	static const uint32_t path[] = { 2, 1, 65001, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb m = { .n = 0 };

	(void)state;
	jf_bmp_parser_init(&ps);
	peer_up(&m, 0, PEER1, 65001, 65000, 1, 2);
	route4(&m, 0, PEER1, 65001, path, NULL, PEER1, 0, 0xc6336400, 24, 7);
	route4(&m, 0, PEER1, 65001, path, NULL, PEER2, 0, 0xc6336400, 24, 8);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_int_equal(g.routes, 2);
	assert_int_equal(g.pfx[0].path_id, 7);
	assert_int_equal(g.pfx[1].path_id, 8);
	assert_int_equal(g.pfx[1].len, 24);
	jf_bmp_parser_free(&ps);
}

/* Malformed input: every kind is an error with a reason, never a crash
 * or a read beyond the message; unknown message types are ignored. */
static void test_parse_malformed(void **state)
{
	static const uint32_t path[] = { 2, 2, 65001, 64999, 0 };
	struct jf_bmp_parser ps;
	struct got g;
	struct jf_bmp_handler h = handler(&g);
	struct bb good = { .n = 0 }, m;
	size_t at, cut;
	uint8_t *copy;

	(void)state;
	jf_bmp_parser_init(&ps);
	route4(&good, 0, PEER1, 65001, path, NULL, PEER1, 100, 0xc6336400, 24, 0);
	/* Every truncation of a good message, its length fixed up to match:
	 * the enclosed lengths no longer add up. */
	for (cut = JF_BMP_HDR_LEN; cut < good.n; cut++) {
		m = good;
		m.n = cut;
		bb_set32(&m, 1, (uint32_t)cut);
		copy = malloc(cut);	/* exactly the bytes: ASan sees an overread */
		memcpy(copy, m.b, cut);
		assert_int_equal(jf_bmp_parse(&ps, copy, cut, &h), -EBADMSG);
		assert_true(ps.err[0]);
		free(copy);
	}
	/* Wrong version, impossible length. */
	m = good;
	m.b[0] = 2;
	assert_int_equal(jf_bmp_msg_len(&ps, m.b, m.n), -EBADMSG);
	m = good;
	bb_set32(&m, 1, 3);
	assert_int_equal(jf_bmp_msg_len(&ps, m.b, m.n), -EBADMSG);
	/* A path attribute longer than the attributes: AS_PATH's extended
	 * length (after ORIGIN's 4 bytes) made 0x7f.. */
	m = good;
	m.b[6 + 42 + 19 + 2 + 2 + 4 + 2] = 0x7f;
	assert_int_equal(jf_bmp_parse(&ps, m.b, m.n, &h), -EBADMSG);
	assert_non_null(strstr(ps.err, "longer than"));
	/* An IPv4 prefix of length 33. */
	m = good;
	m.b[m.n - 4] = 33;
	assert_int_equal(jf_bmp_parse(&ps, m.b, m.n, &h), -EBADMSG);
	/* A BGP message of another type. */
	m = good;
	m.b[6 + 42 + 18] = 4;
	assert_int_equal(jf_bmp_parse(&ps, m.b, m.n, &h), -EBADMSG);
	/* An unknown BMP type: ignored, not an error. */
	m.n = 0;
	at = bb_bmp(&m, 42);
	bb_u32(&m, 0xdeadbeef);
	bb_bmp_end(&m, at);
	assert_int_equal(parse_all(&ps, &m, &h), 0);
	assert_true(ps.ignored >= 1);
	jf_bmp_parser_free(&ps);
}

/* --- the RIB --- */

static struct jf_bmp_peer mkpeer(uint32_t addr, uint32_t as, uint8_t flags)
{
	struct jf_bmp_peer p = { .type = 0, .flags = flags, .as = as };

	p.addr[0] = htonl(addr);
	p.bgp_id = htonl(addr);
	return p;
}

static struct jf_bgp_prefix mkpfx(uint32_t addr, uint8_t len)
{
	struct jf_bgp_prefix p = { .family = 4, .len = len };

	p.addr[0] = htonl(addr);
	return p;
}

static struct jf_bgp_attrs mkattrs(uint32_t nh, uint32_t first, uint32_t origin, uint16_t len)
{
	struct jf_bgp_attrs a = { .nh_family = 4, .first_as = first, .origin_as = origin,
				  .path_len = len };

	a.nh[0] = htonl(nh);
	return a;
}

static void test_rib(void **state)
{
	struct jf_rib *r = jf_rib_new(0);
	struct jf_bmp_peer p1 = mkpeer(PEER1, 65001, 0), p2 = mkpeer(PEER2, 65002, 0);
	struct jf_bgp_prefix pfx = mkpfx(0xc6336400, 24), def = mkpfx(0, 0);
	struct jf_bgp_attrs a1 = mkattrs(PEER1, 65001, 64999, 2), a2 = mkattrs(PEER2, 65002, 64512, 4);
	uint32_t dst[4] = { htonl(0xc6336401) }, nh2[4] = { htonl(PEER2) };
	struct jf_rib_answer ans;
	struct jf_rib_stats st;
	int t1, t2;

	(void)state;
	assert_non_null(r);
	t1 = jf_rib_table_open(r, 1, &p1, JF_RIB_PRE, 0);
	t2 = jf_rib_table_open(r, 1, &p2, JF_RIB_PRE, 0);
	assert_true(t1 >= 0 && t2 >= 0 && t1 != t2);
	assert_int_equal(jf_rib_announce(r, t1, &pfx, &a1, 1), 0);
	assert_int_equal(jf_rib_announce(r, t2, &pfx, &a2, 1), 0);
	assert_int_equal(jf_rib_announce(r, t2, &def, &a2, 1), 0);
	/* The decision: the shorter path. */
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 64999);
	assert_int_equal(ans.first_as, 65001);
	/* The kernel's next hop first (its ECMP choice, or its best). */
	assert_true(jf_rib_lookup(r, 4, dst, 24, nh2, &ans));
	assert_int_equal(ans.origin_as, 64512);
	assert_true(ans.nh_matched);
	/* Exactly the kernel's prefix length, else longest match. */
	assert_false(jf_rib_lookup(r, 4, dst, 25, NULL, &ans));
	assert_true(jf_rib_lookup(r, 4, dst, 0, NULL, &ans));
	assert_int_equal(ans.origin_as, 64512);
	assert_true(jf_rib_lookup(r, 4, dst, -1, NULL, &ans));
	assert_int_equal(ans.origin_as, 64999);
	/* Replace: one route, the new attributes. */
	a1.origin_as = 64998;
	assert_int_equal(jf_rib_announce(r, t1, &pfx, &a1, 2), 0);
	jf_rib_get_stats(r, &st);
	assert_int_equal(st.routes, 3);
	assert_int_equal(st.attrs, 2);
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 64998);
	/* Withdraw: p2's route answers. */
	assert_int_equal(jf_rib_withdraw(r, t1, &pfx, 3), 0);
	assert_int_equal(jf_rib_withdraw(r, t1, &pfx, 3), -ENOENT);
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 64512);
	/* Peer down: nothing left of p2, the prefix goes. */
	jf_rib_table_close(r, t2);
	assert_false(jf_rib_lookup(r, 4, dst, -1, NULL, &ans));
	jf_rib_get_stats(r, &st);
	assert_int_equal(st.routes, 0);
	assert_int_equal(st.prefixes, 0);
	assert_int_equal(st.attrs, 0);
	jf_rib_free(r);
}

/* Post-policy hides the same peer's pre-policy table; a Loc-RIB hides
 * the session's Adj-RIBs-In. */
static void test_rib_shadow(void **state)
{
	struct jf_rib *r = jf_rib_new(0);
	struct jf_bmp_peer p1 = mkpeer(PEER1, 65001, 0), loc = { .type = JF_BMP_PEER_LOC_RIB };
	struct jf_bgp_prefix pfx = mkpfx(0xc6336400, 24);
	struct jf_bgp_attrs pre = mkattrs(PEER1, 65001, 100, 2), post = mkattrs(PEER1, 65001, 200, 2);
	struct jf_bgp_attrs best = mkattrs(PEER2, 65002, 300, 3);
	uint32_t dst[4] = { htonl(0xc6336401) };
	struct jf_rib_answer ans;
	int tpre, tpost, tloc;

	(void)state;
	tpre = jf_rib_table_open(r, 1, &p1, JF_RIB_PRE, 0);
	jf_rib_announce(r, tpre, &pfx, &pre, 0);
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 100);
	tpost = jf_rib_table_open(r, 1, &p1, JF_RIB_POST, 0);
	jf_rib_announce(r, tpost, &pfx, &post, 0);
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 200);
	tloc = jf_rib_table_open(r, 1, &loc, JF_RIB_LOC, 0);
	jf_rib_announce(r, tloc, &pfx, &best, 0);
	assert_true(jf_rib_lookup(r, 4, dst, 24, NULL, &ans));
	assert_int_equal(ans.origin_as, 300);
	jf_rib_session_close(r, 1);
	assert_int_equal(jf_rib_table_next(r, -1), -1);
	jf_rib_free(r);
}

/* At the memory bound routes are refused and counted, lookups go on, and
 * what was withdrawn makes room again. */
static void test_rib_bound(void **state)
{
	struct jf_rib *r = jf_rib_new(512 * 1024);
	struct jf_bmp_peer p1 = mkpeer(PEER1, 65001, 0);
	struct jf_bgp_attrs a = mkattrs(PEER1, 65001, 64999, 2);
	struct jf_rib_table_info ti;
	struct jf_rib_stats st;
	uint32_t i, kept = 0;
	int t;

	(void)state;
	t = jf_rib_table_open(r, 1, &p1, JF_RIB_PRE, 0);
	for (i = 0; i < 100000; i++) {
		struct jf_bgp_prefix pfx = mkpfx(0x0a000000 + (i << 8), 24);

		if (!jf_rib_announce(r, t, &pfx, &a, 0))
			kept++;
	}
	jf_rib_get_stats(r, &st);
	assert_true(kept > 1000 && kept < 100000);
	assert_int_equal(st.refused, 100000 - kept);
	assert_true(st.bytes <= 512 * 1024);
	assert_true(jf_rib_table_get(r, t, &ti));
	assert_int_equal(ti.refused, 100000 - kept);
	assert_int_equal(ti.routes, kept);
	{
		struct jf_bgp_prefix first = mkpfx(0x0a000000, 24), again = mkpfx(0x0b000000, 24);

		assert_int_equal(jf_rib_withdraw(r, t, &first, 0), 0);
		assert_int_equal(jf_rib_announce(r, t, &again, &a, 0), 0);
	}
	jf_rib_free(r);
}

/* --- the as-file and the lookup part --- */

static char *write_file(const char *text)
{
	static char path[] = "/tmp/jflowd-test-asfile.XXXXXX";
	int fd;

	strcpy(path, "/tmp/jflowd-test-asfile.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_as_file(void **state)
{
	struct jf_rib *r;
	size_t n;
	char err[256], *path;
	uint32_t a[4] = { htonl(0xc6336401) }, b[4] = { htonl(0xc6336481) }, c[4] = { 0 };

	(void)state;
	path = write_file("# comment\n198.51.100.0/24,64500\n65001,198.51.100.128/25 ! pmacct\n"
			  "10.0.0.1,AS64502,2001:db8::/32\n\n");
	assert_int_equal(jf_as_file_read(path, &r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(jf_as_file_lookup(r, 4, a), 64500);
	assert_int_equal(jf_as_file_lookup(r, 4, b), 65001);
	c[0] = htonl(0x20010db8);
	assert_int_equal(jf_as_file_lookup(r, 6, c), 64502);
	c[0] = 0;
	assert_int_equal(jf_as_file_lookup(r, 4, c), 0);
	jf_rib_free(r);
	unlink(path);
	path = write_file("198.51.100.0/24,64500\n198.51.100.0/33,1\n");
	assert_int_not_equal(jf_as_file_read(path, &r, &n, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
}

/* The part in a flow's record: the as-file's AS for both ends, per flow,
 * and the template writes IE 17 from it only with a BGP source. */
static void test_part(void **state)
{
	struct jf_bgp_params bp = { .memory_mb = 64 };
	struct jf_enrich e;
	struct jf_enrich_part part;
	struct jf_key k = { .family = 4 };
	struct jf_route route = { 0 };
	struct jf_record rec = { 0 };
	struct jf_template t;
	struct jf_tmpl_params tp = { .wire = JF_WIRE_IPFIX };
	struct jf_enc_ctx ctx = { 0 };
	uint8_t out[JF_TMPL_MAX_REC];
	uint8_t info[64] = { 0 };
	struct jf_bgp *g;
	char err[256], *path;
	uint16_t i, off = 0;
	bool seen = false;

	(void)state;
	path = write_file("198.51.100.0/24,64500\n10.1.0.0/16,64501\n");
	bp.as_file = path;
	g = jf_bgp_open(&bp, err, sizeof(err));
	assert_non_null(g);
	jf_bgp_part(g, &part);
	jf_enrich_init(&e);
	assert_int_equal(jf_enrich_add(&e, &part), 0);
	k.src[0] = htonl(0x0a010002);
	k.dst[0] = htonl(0xc6336401);
	assert_true(jf_enrich_info_bytes(&e) <= sizeof(info));
	assert_true(jf_enrich_first(&e, &k, &route, info));
	rec.key = k;
	jf_enrich_apply(&e, info, &rec);
	assert_int_equal(rec.bgp.src_as, 64501);
	assert_int_equal(rec.bgp.dst_as, 64500);

	/* A monitor with a BGP source: IE 17 from the record; without one
	 * (the need unmet) the built-in record sends 0. */
	for (int unmet = 0; unmet < 2; unmet++) {
		tp.unmet = unmet ? JF_NEED_BGP : 0;
		jf_template_data(&t, JF_TID_IPV4, &tp);
		jf_write_flow(out, &t, &rec, &ctx);
		off = 0;
		for (i = 0; i < t.nfields; i++) {
			if (t.f[i].ie == 17) {
				assert_int_equal(out[off] << 24 | out[off + 1] << 16 |
						 out[off + 2] << 8 | out[off + 3],
						 unmet ? 0 : 64500);
				seen = true;
			}
			off = (uint16_t)(off + t.f[i].len);
		}
		assert_true(seen);
	}
	jf_bgp_free(g);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_session),
		cmocka_unit_test(test_parse_own_as),
		cmocka_unit_test(test_parse_as4),
		cmocka_unit_test(test_parse_as_set),
		cmocka_unit_test(test_parse_mp_and_eor),
		cmocka_unit_test(test_parse_addpath),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_rib),
		cmocka_unit_test(test_rib_shadow),
		cmocka_unit_test(test_rib_bound),
		cmocka_unit_test(test_as_file),
		cmocka_unit_test(test_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
