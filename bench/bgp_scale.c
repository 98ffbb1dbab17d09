// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* BGP at Internet scale (issue 20): a synthetic full table as a BMP stream
 * (1,000,000 IPv4 + 200,000 IPv6 prefixes per peer, paths of 2-6 ASes over
 * 70,000 origins, one BMP message per route as FRR sends them).
 *
 *   bench_bgp_scale rib [PEERS]        parse and load the stream into the RIB
 *                                      in process: load time against parsing
 *                                      alone, bytes per route, lookup cost per
 *                                      new flow against router mode's
 *                                      RTM_GETROUTE of the same run
 *   bench_bgp_scale send ADDR PORT [PEERS]   stream it to a running jflowd
 *                                      (--bmp-listen) and keep the session
 *                                      open until stdin closes */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "flow/bgp_rib.h"
#include "flow/bmp_parse.h"
#include "flow/route.h"

#define V4 1000000u
#define V6 200000u
#define ORIGINS 70000u

struct buf {
	uint8_t *b;
	size_t n, cap;
};

static void put(struct buf *m, const void *p, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->cap + n) * 2;
		m->b = realloc(m->b, m->cap);
		if (!m->b)
			abort();
	}
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void u8(struct buf *m, uint8_t v) { put(m, &v, 1); }
static void u16(struct buf *m, uint16_t v) { v = htons(v); put(m, &v, 2); }
static void u32(struct buf *m, uint32_t v) { v = htonl(v); put(m, &v, 4); }
static void set16(struct buf *m, size_t at, uint16_t v) { v = htons(v); memcpy(m->b + at, &v, 2); }
static void set32(struct buf *m, size_t at, uint32_t v) { v = htonl(v); memcpy(m->b + at, &v, 4); }

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	return x ^ (x >> 16);
}

static uint32_t peer_addr(int p) { return 0x0a0b0002u + ((uint32_t)p << 8); }
static uint32_t peer_as(int p) { return 65001u + (uint32_t)p; }

static void peer_hdr(struct buf *m, int p, bool v6)
{
	u8(m, 0);
	u8(m, v6 ? 0x80 : 0);
	u32(m, 0), u32(m, 0);
	if (v6)
		u32(m, 0x20010db8), u32(m, 0), u32(m, 0), u32(m, peer_addr(p));
	else
		u32(m, 0), u32(m, 0), u32(m, 0), u32(m, peer_addr(p));
	u32(m, peer_as(p));
	u32(m, peer_addr(p));
	u32(m, 0), u32(m, 0);
}

static size_t bmp_start(struct buf *m, uint8_t type)
{
	size_t at = m->n;

	u8(m, 3), u32(m, 0), u8(m, type);
	return at;
}

static void bmp_end(struct buf *m, size_t at) { set32(m, at + 1, (uint32_t)(m->n - at)); }

static size_t bgp_start(struct buf *m, uint8_t type)
{
	static const uint8_t marker[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t at = m->n;

	put(m, marker, 16);
	u16(m, 0);
	u8(m, type);
	return at;
}

static void bgp_end(struct buf *m, size_t at) { set16(m, at + 16, (uint16_t)(m->n - at)); }

/* The path of route i from peer p: the peer's AS, 0-4 transit ASes, the
 * origin (one of ORIGINS). */
static void path_attr(struct buf *m, int p, uint32_t i)
{
	uint32_t h = hash32(i), n = 2 + h % 5, k;

	u8(m, 0x50), u8(m, 2), u16(m, (uint16_t)(2 + 4 * n));
	u8(m, 2), u8(m, (uint8_t)n);
	u32(m, peer_as(p));
	for (k = 1; k + 1 < n; k++)
		u32(m, 3000 + hash32(h + k) % 500);	/* transit: few of them */
	u32(m, 100000 + hash32(i * 7 + 1) % ORIGINS);
}

/* Prefix i of the family: IPv4 /20-/24 in 1.0.0.0 up, IPv6 /40-/48 in 2a00::/12. */
static void prefix4(uint32_t i, uint32_t *addr, uint8_t *len)
{
	*addr = 0x01000000u + i * 256u;
	*len = i % 16 == 0 ? 20 : i % 4 == 0 ? 22 : i % 2 == 0 ? 23 : 24;
}

static void prefix6(uint32_t i, uint32_t a[4], uint8_t *len)
{
	a[0] = 0x2a000000u | (i >> 16);
	a[1] = (i & 0xffffu) << 16;
	a[2] = a[3] = 0;
	*len = i % 256 == 0 ? 40 : 48;
}

static void gen_open(struct buf *m, uint32_t as)
{
	size_t at = bgp_start(m, 1);

	u8(m, 4), u16(m, (uint16_t)(as > 65535 ? 23456 : as)), u16(m, 90), u32(m, 0x0a000001);
	u8(m, 8), u8(m, 2), u8(m, 6), u8(m, 65), u8(m, 4), u32(m, as);
	bgp_end(m, at);
}

static void gen_peer(struct buf *m, int p, uint32_t v4, uint32_t v6)
{
	size_t at, b, alen;
	uint32_t i;

	for (int fam = 0; fam < 2; fam++) {
		at = bmp_start(m, JF_BMP_PEER_UP);
		peer_hdr(m, p, fam);
		u32(m, 0), u32(m, 0), u32(m, 0), u32(m, 0x0a0b0001);
		u16(m, 179), u16(m, 40000);
		gen_open(m, 65000);
		gen_open(m, peer_as(p));
		bmp_end(m, at);
	}
	for (i = 0; i < v4; i++) {
		uint32_t a;
		uint8_t len;

		prefix4(i, &a, &len);
		at = bmp_start(m, JF_BMP_ROUTE_MONITORING);
		peer_hdr(m, p, false);
		b = bgp_start(m, 2);
		u16(m, 0);
		alen = m->n;
		u16(m, 0);
		u8(m, 0x40), u8(m, 1), u8(m, 1), u8(m, 0);
		path_attr(m, p, i);
		u8(m, 0x40), u8(m, 3), u8(m, 4), u32(m, peer_addr(p));
		if (i % 3 == 0)
			u8(m, 0x80), u8(m, 4), u8(m, 4), u32(m, i % 7);
		set16(m, alen, (uint16_t)(m->n - alen - 2));
		u8(m, len);
		for (int k = 0; k < (len + 7) / 8; k++)
			u8(m, (uint8_t)(a >> (24 - 8 * k)));
		bgp_end(m, b);
		bmp_end(m, at);
	}
	for (i = 0; i < v6; i++) {
		uint32_t a[4];
		uint8_t len;
		size_t mp;

		prefix6(i, a, &len);
		at = bmp_start(m, JF_BMP_ROUTE_MONITORING);
		peer_hdr(m, p, true);
		b = bgp_start(m, 2);
		u16(m, 0);
		alen = m->n;
		u16(m, 0);
		u8(m, 0x40), u8(m, 1), u8(m, 1), u8(m, 0);
		path_attr(m, p, i + V4);
		u8(m, 0x90), u8(m, 14);
		mp = m->n;
		u16(m, 0);
		u16(m, 2), u8(m, 1), u8(m, 16);
		u32(m, 0x20010db8), u32(m, 0), u32(m, 0), u32(m, peer_addr(p));
		u8(m, 0);
		u8(m, len);
		for (int k = 0; k < len / 8; k++)
			u8(m, (uint8_t)(a[k / 4] >> (24 - 8 * (k % 4))));
		set16(m, mp, (uint16_t)(m->n - mp - 2));
		set16(m, alen, (uint16_t)(m->n - alen - 2));
		bgp_end(m, b);
		bmp_end(m, at);
	}
	/* End-of-RIB, both families. */
	at = bmp_start(m, JF_BMP_ROUTE_MONITORING);
	peer_hdr(m, p, false);
	b = bgp_start(m, 2);
	u16(m, 0), u16(m, 0);
	bgp_end(m, b);
	bmp_end(m, at);
}

static void gen_stream(struct buf *m, int peers)
{
	size_t at = bmp_start(m, JF_BMP_INITIATION);

	u16(m, 2), u16(m, 5);
	put(m, "bench", 5);
	bmp_end(m, at);
	for (int p = 0; p < peers; p++)
		gen_peer(m, p, V4, V6);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- in process --- */

struct load {
	struct jf_rib *rib;
	uint64_t routes;
};

static enum jf_rib_kind kind_of(const struct jf_bmp_peer *p)
{
	return (p->flags & JF_BMP_FLAG_L) ? JF_RIB_POST : JF_RIB_PRE;
}

static int on_route(void *arg, const struct jf_bmp_peer *p, const struct jf_bgp_prefix *pfx,
		    const struct jf_bgp_attrs *a)
{
	struct load *l = arg;
	int id;

	if (!l->rib) {
		l->routes++;
		return 0;
	}
	id = jf_rib_table_find(l->rib, 1, p, kind_of(p));
	if (id < 0)
		id = jf_rib_table_open(l->rib, 1, p, kind_of(p), 0);
	if (a && !jf_rib_announce(l->rib, id, pfx, a, 0))
		l->routes++;
	return 0;
}

static int feed(const struct buf *m, struct load *l)
{
	struct jf_bmp_handler h = { .route = on_route, .arg = l };
	struct jf_bmp_parser ps;
	size_t off = 0;

	jf_bmp_parser_init(&ps);
	while (off < m->n) {
		long len = jf_bmp_msg_len(&ps, m->b + off, m->n - off);

		if (len <= 0 || jf_bmp_parse(&ps, m->b + off, (size_t)len, &h)) {
			fprintf(stderr, "bench: stream broken at %zu: %s\n", off, ps.err);
			return -1;
		}
		off += (size_t)len;
	}
	jf_bmp_parser_free(&ps);
	return 0;
}

static int run_rib(int peers)
{
	struct buf m = { 0 };
	struct load parse_only = { 0 }, l = { 0 };
	struct jf_rib_stats st;
	struct jf_router *router;
	double t0, t_parse, t_load, t_look, t_route;
	const uint32_t flows = 1000000, rflows = 20000;
	uint64_t hits = 0;
	char err[256];
	uint32_t i;

	gen_stream(&m, peers);
	printf("stream: %d peers, %u IPv4 + %u IPv6 prefixes each, %.1f MB of BMP\n", peers, V4,
	       V6, (double)m.n / 1e6);
	t0 = now_s();
	if (feed(&m, &parse_only))
		return 1;
	t_parse = now_s() - t0;
	l.rib = jf_rib_new(0);
	t0 = now_s();
	if (feed(&m, &l))
		return 1;
	t_load = now_s() - t0;
	jf_rib_get_stats(l.rib, &st);
	printf("load: %llu routes in %.2f s (%.0f routes/s); parsing alone %.2f s: load/parse %.2fx\n",
	       (unsigned long long)st.routes, t_load, (double)st.routes / t_load, t_parse,
	       t_load / t_parse);
	printf("memory: %llu bytes, %.1f bytes/route (%llu prefixes, %llu attribute sets, "
	       "%llu next hops)\n", (unsigned long long)st.bytes, (double)st.bytes / (double)st.routes,
	       (unsigned long long)st.prefixes, (unsigned long long)st.attrs,
	       (unsigned long long)st.next_hops);

	/* Lookups per new flow, as the part makes them in router mode: the
	 * destination by the kernel's prefix and next hop, the source by
	 * the prefix of the route back to it. */
	t0 = cpu_s();
	for (i = 0; i < flows; i++) {
		uint32_t h = hash32(i), d = h % (V4 + V6), s = hash32(h) % (V4 + V6);
		uint32_t dst[4] = { 0 }, src[4] = { 0 }, nh[4] = { htonl(peer_addr(0)) };
		uint8_t dl, sl;
		struct jf_rib_answer a;
		int fam = d < V4 ? 4 : 6;

		if (fam == 4) {
			prefix4(d, dst, &dl);
			dst[0] = htonl(dst[0] | (h & 0xff));
			prefix4(s % V4, src, &sl);
			src[0] = htonl(src[0] | 7);
		} else {
			prefix6(d - V4, dst, &dl);
			prefix6(s % V6, src, &sl);
			for (int k = 0; k < 4; k++)
				dst[k] = htonl(dst[k]), src[k] = htonl(src[k]);
			nh[0] = htonl(0x20010db8);
			nh[3] = htonl(peer_addr(0));
		}
		hits += jf_rib_lookup(l.rib, fam, dst, dl, nh, &a);
		hits += jf_rib_lookup(l.rib, fam, src, sl, NULL, &a);
	}
	t_look = cpu_s() - t0;
	/* Baseline: router mode's RTM_GETROUTE per new flow (loopback
	 * destinations, each flow its own ports: no answer cache hit). */
	router = jf_router_new(err, sizeof(err));
	if (!router) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < rflows; i++) {
		struct jf_key k = { .family = 4, .proto = 17 };
		struct jf_route r;

		k.src[0] = htonl(0x7f000001);
		k.dst[0] = htonl(0x7f000001 + (i & 0xff));
		k.sport = (uint16_t)(1024 + i % 60000);
		k.dport = (uint16_t)(5000 + i / 60000);
		k.flags = JF_KEY_EGRESS;
		jf_router_lookup(router, &k, &r);
	}
	t_route = (now_s() - t0) / rflows;
	jf_router_free(router);
	printf("lookup per new flow (dst + src): %.0f ns, %llu of %u flows hit; router mode's "
	       "RTM_GETROUTE per flow: %.0f ns: BGP/route %.3fx\n", t_look / flows * 1e9,
	       (unsigned long long)hits / 2, flows, t_route * 1e9, t_look / flows / t_route);
	jf_rib_free(l.rib);
	free(m.b);
	return 0;
}

/* --- to a running jflowd --- */

static int run_send(const char *addr, int port, int peers)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct buf m = { 0 };
	size_t off = 0;
	char c;
	int fd;

	gen_stream(&m, peers);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("bench: connect");
		return 1;
	}
	printf("sending %.1f MB\n", (double)m.n / 1e6);
	fflush(stdout);
	while (off < m.n) {
		ssize_t n = send(fd, m.b + off, m.n - off, 0);

		if (n <= 0) {
			perror("bench: send");
			return 1;
		}
		off += (size_t)n;
	}
	printf("sent\n");
	fflush(stdout);
	/* The session stays up (its routes with it) until stdin closes. */
	while (read(0, &c, 1) > 0)
		;
	close(fd);
	free(m.b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "rib"))
		return run_rib(argc > 2 ? atoi(argv[2]) : 2);
	if (argc >= 4 && !strcmp(argv[1], "send"))
		return run_send(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 1);
	fprintf(stderr, "usage: bench_bgp_scale rib [PEERS] | send ADDR PORT [PEERS]\n");
	return 2;
}
