// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* BMP and BGP UPDATE parsing: every length is checked against what
 * encloses it before it is read, and anything that does not add up is an
 * error naming the field (the session closes, nothing is applied after). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/bmp_parse.h"

#define PEER_HDR_LEN 42
#define BGP_HDR_LEN 19
#define BGP_UPDATE 2
#define BGP_OPEN 1

/* Path attributes. */
enum {
	ATTR_ORIGIN = 1,
	ATTR_AS_PATH = 2,
	ATTR_NEXT_HOP = 3,
	ATTR_MED = 4,
	ATTR_LOCAL_PREF = 5,
	ATTR_MP_REACH = 14,
	ATTR_MP_UNREACH = 15,
	ATTR_AS4_PATH = 17,
};
#define ATTR_FLAG_EXTLEN 0x10

/* AS_PATH segment types. */
enum { SEG_SET = 1, SEG_SEQUENCE = 2, SEG_CONFED_SEQUENCE = 3, SEG_CONFED_SET = 4 };

#define CAP_ADDPATH 69
#define MAX_PATH_ASNS 1024	/* ASes kept from one path (longer: an error) */

/* A bounded reader: every get fails once the bytes run out. */
struct cur {
	const uint8_t *p;
	size_t n;
};

static bool take(struct cur *c, size_t n, const uint8_t **out)
{
	if (c->n < n)
		return false;
	*out = c->p;
	c->p += n;
	c->n -= n;
	return true;
}

static bool get8(struct cur *c, uint8_t *v)
{
	const uint8_t *b;

	if (!take(c, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool get16(struct cur *c, uint16_t *v)
{
	const uint8_t *b;

	if (!take(c, 2, &b))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static bool get32(struct cur *c, uint32_t *v)
{
	const uint8_t *b;

	if (!take(c, 4, &b))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static bool sub(struct cur *c, size_t n, struct cur *out)
{
	const uint8_t *b;

	if (!take(c, n, &b))
		return false;
	out->p = b;
	out->n = n;
	return true;
}

__attribute__((format(printf, 2, 3)))
static int bad(struct jf_bmp_parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

void jf_bmp_parser_init(struct jf_bmp_parser *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void jf_bmp_parser_free(struct jf_bmp_parser *ps)
{
	free(ps->peers);
	ps->peers = NULL;
	ps->n_peers = ps->cap_peers = 0;
}

long jf_bmp_msg_len(struct jf_bmp_parser *ps, const uint8_t *buf, size_t len)
{
	uint32_t mlen;

	if (len < 1)
		return 0;
	if (buf[0] != 3)
		return bad(ps, "BMP version %u (only version 3 is BMP as RFC 7854 defines it)",
			   buf[0]);
	if (len < JF_BMP_HDR_LEN)
		return 0;
	mlen = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (mlen < JF_BMP_HDR_LEN || mlen > JF_BMP_MAX_MSG)
		return bad(ps, "BMP message length %u out of range (6..%u)", mlen, JF_BMP_MAX_MSG);
	return (long)mlen;
}

/* --- the per-peer header and the add-path state of the session --- */

static int parse_peer(struct jf_bmp_parser *ps, struct cur *c, struct jf_bmp_peer *p)
{
	const uint8_t *b;
	uint32_t hi, lo;

	if (!take(c, PEER_HDR_LEN, &b))
		return bad(ps, "per-peer header truncated");
	memset(p, 0, sizeof(*p));
	p->type = b[0];
	p->flags = b[1];
	if (p->type > JF_BMP_PEER_LOC_RIB)
		return bad(ps, "unknown peer type %u", p->type);
	hi = (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5];
	lo = (uint32_t)b[6] << 24 | (uint32_t)b[7] << 16 | (uint32_t)b[8] << 8 | b[9];
	p->rd = (uint64_t)hi << 32 | lo;
	/* Loc-RIB's F flag shares the bit of V: its address is zero anyway. */
	p->v6 = p->type != JF_BMP_PEER_LOC_RIB && (p->flags & JF_BMP_FLAG_V);
	if (p->v6)
		memcpy(p->addr, b + 10, 16);
	else
		memcpy(p->addr, b + 22, 4);
	p->as = (uint32_t)b[26] << 24 | (uint32_t)b[27] << 16 | (uint32_t)b[28] << 8 | b[29];
	memcpy(&p->bgp_id, b + 30, 4);
	return 0;
}

/* What identifies a peer's state in the session: all but AS, id, policy. */
static bool same_peer(const struct jf_bmp_peer *a, const struct jf_bmp_peer *b)
{
	return a->type == b->type && a->v6 == b->v6 && a->rd == b->rd &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static struct jf_bmp_peer_state *peer_state(struct jf_bmp_parser *ps, const struct jf_bmp_peer *p)
{
	size_t i;

	for (i = 0; i < ps->n_peers; i++)
		if (same_peer(&ps->peers[i].key, p))
			return &ps->peers[i];
	return NULL;
}

/* What one OPEN says: ADD-PATH (bit 0 of out[f]: it receives path ids
 * for family f (4: 0, 6: 1), bit 1: it sends them) and its AS (the
 * 4-octet capability's, else My AS; 0 for a bare header). */
#define CAP_AS4 65
static int open_caps(struct jf_bmp_parser *ps, struct cur *c, uint8_t out[2], uint32_t *as)
{
	uint8_t marker[16], type, ver, optlen8;
	uint16_t len, myas, hold, optlen;
	uint32_t id;
	struct cur params, all;
	bool ext = false;
	const uint8_t *m;

	out[0] = out[1] = 0;
	*as = 0;
	if (!take(c, 16, &m))
		return bad(ps, "Peer Up: OPEN truncated");
	memset(marker, 0xff, sizeof(marker));
	if (memcmp(m, marker, 16))
		return bad(ps, "Peer Up: OPEN without the BGP marker");
	if (!get16(c, &len) || !get8(c, &type))
		return bad(ps, "Peer Up: OPEN truncated");
	/* FRR sends a bare header (length 19) for an OPEN it did not keep:
	 * no capabilities then. */
	if (type != BGP_OPEN || len < 19 || (len > 19 && len < 29) || len - 19u > c->n)
		return bad(ps, "Peer Up: BGP message type %u length %u is not an OPEN that fits",
			   type, len);
	if (len == 19)
		return 0;
	sub(c, len - 19u, &all);
	if (!get8(&all, &ver) || !get16(&all, &myas) || !get16(&all, &hold) ||
	    !get32(&all, &id) || !get8(&all, &optlen8))
		return bad(ps, "Peer Up: OPEN truncated");
	*as = myas;
	optlen = optlen8;
	/* RFC 9072: extended optional parameters (length 255, type 255). */
	if (optlen8 == 255 && all.n >= 3 && all.p[0] == 255) {
		uint8_t t;

		get8(&all, &t);
		get16(&all, &optlen);
		ext = true;
	}
	if (!sub(&all, optlen, &params))
		return bad(ps, "Peer Up: OPEN optional parameters longer than the OPEN");
	while (params.n) {
		uint8_t ptype, plen8, ccode, clen;
		uint16_t plen;
		struct cur pv;

		if (!get8(&params, &ptype))
			break;
		if (ext) {
			if (!get16(&params, &plen))
				return bad(ps, "Peer Up: OPEN parameter truncated");
		} else {
			if (!get8(&params, &plen8))
				return bad(ps, "Peer Up: OPEN parameter truncated");
			plen = plen8;
		}
		if (!sub(&params, plen, &pv))
			return bad(ps, "Peer Up: OPEN parameter longer than the parameters");
		if (ptype != 2)	/* capabilities */
			continue;
		while (pv.n) {
			struct cur cv;

			if (!get8(&pv, &ccode) || !get8(&pv, &clen) || !sub(&pv, clen, &cv))
				return bad(ps, "Peer Up: OPEN capability truncated");
			if (ccode == CAP_AS4 && clen == 4)
				get32(&cv, as);
			if (ccode != CAP_ADDPATH)
				continue;
			while (cv.n >= 4) {
				uint16_t afi;
				uint8_t safi, sr;

				get16(&cv, &afi);
				get8(&cv, &safi);
				get8(&cv, &sr);
				if (safi == 1 && (afi == 1 || afi == 2))
					out[afi - 1] |= sr & 3;
			}
		}
	}
	return 0;
}

static int parse_peer_up(struct jf_bmp_parser *ps, struct cur *c, const struct jf_bmp_peer *p,
			 const struct jf_bmp_handler *h)
{
	uint8_t sent[2], rcvd[2];
	uint32_t local_as, remote_as;
	struct jf_bmp_peer_state *ap;
	const uint8_t *b;
	int rc, f;

	if (!take(c, 20, &b))	/* local address and ports */
		return bad(ps, "Peer Up truncated");
	rc = open_caps(ps, c, sent, &local_as);
	if (!rc)
		rc = open_caps(ps, c, rcvd, &remote_as);
	if (rc)
		return rc;
	/* Information TLVs follow (and, for Loc-RIB, the table name): not
	 * needed here. */
	ap = peer_state(ps, p);
	if (!ap) {
		if (ps->n_peers >= JF_BMP_MAX_PEERS)
			return bad(ps, "more than %d peers in one session", JF_BMP_MAX_PEERS);
		if (ps->n_peers == ps->cap_peers) {
			size_t cap = ps->cap_peers ? 2 * ps->cap_peers : 16;
			struct jf_bmp_peer_state *n = realloc(ps->peers, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			ps->peers = n;
			ps->cap_peers = cap;
		}
		ap = &ps->peers[ps->n_peers++];
		memset(ap, 0, sizeof(*ap));
		ap->key = *p;
	}
	/* Path ids come with the routes the peer sent when it sends them
	 * (its OPEN, the received one) and the speaker receives them (the
	 * sent one), RFC 7911 section 4. */
	for (f = 0; f < 2; f++)
		ap->rx[f] = (rcvd[f] & 2) && (sent[f] & 1);
	ap->local_as = local_as;
	return h->peer_up ? h->peer_up(h->arg, p) : 0;
}

static bool has_path_ids(struct jf_bmp_parser *ps, const struct jf_bmp_peer *p, int family)
{
	struct jf_bmp_peer_state *ap = peer_state(ps, p);

	return ap && ap->rx[family == 6];
}

/* --- UPDATE --- */

/* One NLRI prefix (with its path id when add-path is on). */
static int get_prefix(struct jf_bmp_parser *ps, struct cur *c, int family, bool path_ids,
		      struct jf_bgp_prefix *pfx)
{
	unsigned max = family == 4 ? 32 : 128, bytes;
	uint8_t len, *a = (uint8_t *)pfx->addr;
	const uint8_t *b;

	memset(pfx, 0, sizeof(*pfx));
	pfx->family = (uint8_t)family;
	if (path_ids && !get32(c, &pfx->path_id))
		return bad(ps, "UPDATE: NLRI path identifier truncated");
	if (!get8(c, &len))
		return bad(ps, "UPDATE: NLRI truncated");
	if (len > max)
		return bad(ps, "UPDATE: IPv%d prefix length %u", family, len);
	bytes = (len + 7u) / 8;
	if (!take(c, bytes, &b))
		return bad(ps, "UPDATE: IPv%d prefix /%u longer than the NLRI", family, len);
	memcpy(a, b, bytes);
	if (len % 8)
		a[bytes - 1] &= (uint8_t)(0xff << (8 - len % 8));
	pfx->len = len;
	return 0;
}

/* An AS_PATH or AS4_PATH as a flat list: each AS with its segment's type
 * and number. */
struct path {
	uint32_t as[MAX_PATH_ASNS];
	uint8_t seg[MAX_PATH_ASNS];
	uint16_t segno[MAX_PATH_ASNS];
	unsigned n, nseg;
	bool present;
};

static bool confed(uint8_t seg)
{
	return seg == SEG_CONFED_SEQUENCE || seg == SEG_CONFED_SET;
}

static int parse_path(struct jf_bmp_parser *ps, struct cur c, unsigned asn_bytes,
		      struct path *out, const char *what)
{
	out->n = out->nseg = 0;
	out->present = true;
	while (c.n) {
		uint8_t type, count;
		unsigned i;

		if (!get8(&c, &type) || !get8(&c, &count))
			return bad(ps, "UPDATE: %s segment header truncated", what);
		if (type < SEG_SET || type > SEG_CONFED_SET)
			return bad(ps, "UPDATE: %s segment type %u", what, type);
		if (!count)
			return bad(ps, "UPDATE: %s segment of no AS", what);
		if (c.n < (size_t)count * asn_bytes)
			return bad(ps, "UPDATE: %s segment of %u ASes longer than the attribute",
				   what, count);
		if (out->n + count > MAX_PATH_ASNS)
			return bad(ps, "UPDATE: %s longer than %d ASes", what, MAX_PATH_ASNS);
		for (i = 0; i < count; i++) {
			uint32_t as = 0;
			uint16_t as16 = 0;

			if (asn_bytes == 4) {
				get32(&c, &as);
			} else {
				get16(&c, &as16);
				as = as16;
			}
			out->seg[out->n] = type;
			out->segno[out->n] = (uint16_t)out->nseg;
			out->as[out->n++] = as;
		}
		out->nseg++;
	}
	return 0;
}

/* RFC 6793 4.2.3: a 2-byte AS_PATH and an AS4_PATH into the real path:
 * the AS_PATH's leading ASes that the AS4_PATH lacks, then the AS4_PATH
 * (one longer than the AS_PATH is ignored). A set counts 1, confederation
 * segments count 0 on both sides. */
static unsigned path_count(const struct path *p)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n; i++) {
		if (confed(p->seg[i]))
			continue;
		if (p->seg[i] == SEG_SEQUENCE || i == 0 || p->segno[i - 1] != p->segno[i])
			n++;
	}
	return n;
}

static void merge_as4(struct path *p, const struct path *p4)
{
	unsigned n, n4, keep, i = 0, k, segs;

	if (!p4->present)
		return;
	n = path_count(p);
	n4 = path_count(p4);
	if (n4 > n)
		return;
	keep = n - n4;
	while (i < p->n && keep) {
		unsigned s = p->segno[i];

		if (p->seg[i] == SEG_SEQUENCE) {
			i++;
			keep--;
			continue;
		}
		/* a set (one element, kept whole) or a confed segment (none) */
		if (p->seg[i] == SEG_SET)
			keep--;
		while (i < p->n && p->segno[i] == s)
			i++;
	}
	k = i;
	segs = k ? p->segno[k - 1] + 1u : 0;
	for (i = 0; i < p4->n && k < MAX_PATH_ASNS; i++) {
		if (confed(p4->seg[i]))
			continue;
		p->seg[k] = p4->seg[i];
		p->segno[k] = (uint16_t)(segs + p4->segno[i]);
		p->as[k++] = p4->as[i];
	}
	p->n = k;
}

/* The AS a segment stands for: the one AS of a set of one, else 0 (no
 * single AS: docs/bgp.md). */
static uint32_t set_as(const struct path *p, unsigned i)
{
	unsigned j = i, n = 0;

	while (j > 0 && p->segno[j - 1] == p->segno[i])
		j--;
	for (; j < p->n && p->segno[j] == p->segno[i]; j++)
		n++;
	return n == 1 ? p->as[i] : 0;
}

/* What the lookups use of a path (docs/bgp.md): confederation segments
 * skipped; the origin is the last AS; the neighbour the first; an AS_SET
 * there gives its one AS if it has one, else 0; the length for the
 * decision counts a set as 1 (RFC 4271 9.1.2.2). */
static void reduce_path(const struct path *p, struct jf_bgp_attrs *a)
{
	int first = -1, last = -1;
	unsigned i;

	for (i = 0; i < p->n; i++) {
		if (confed(p->seg[i]))
			continue;
		if (first < 0)
			first = (int)i;
		last = (int)i;
	}
	a->path_len = (uint16_t)path_count(p);
	if (first < 0) {
		a->origin_as = a->first_as = 0;
		return;
	}
	a->first_as = p->seg[first] == SEG_SET ? set_as(p, (unsigned)first) : p->as[first];
	a->origin_as = p->seg[last] == SEG_SET ? set_as(p, (unsigned)last) : p->as[last];
}

/* FRR 8 encodes the routes it monitors as if it sent them to the peer:
 * its own AS before an eBGP peer's path. An Adj-RIB-In path of an eBGP
 * peer starts with the peer's AS (RFC 4271 6.3), so the speaker's own AS
 * in front of it is removed (docs/bgp.md). */
static void strip_own_as(struct path *p, uint32_t local_as, uint32_t peer_as)
{
	unsigned k = 0;

	while (k < p->n && p->seg[k] == SEG_SEQUENCE && p->as[k] == local_as)
		k++;
	if (!k || k == p->n || p->seg[k] != SEG_SEQUENCE || p->as[k] != peer_as)
		return;
	memmove(p->as, p->as + k, (p->n - k) * sizeof(p->as[0]));
	memmove(p->seg, p->seg + k, (p->n - k) * sizeof(p->seg[0]));
	memmove(p->segno, p->segno + k, (p->n - k) * sizeof(p->segno[0]));
	p->n -= k;
}

struct update {
	struct jf_bgp_attrs a;
	bool has_origin, has_path, has_nh;
	struct cur mp_reach, mp_unreach;	/* their NLRI parts */
	uint16_t reach_afi, unreach_afi;
	uint8_t reach_safi, unreach_safi;
	bool reach, unreach;
};

static int parse_mp_reach(struct jf_bmp_parser *ps, struct cur v, struct update *u)
{
	uint8_t nhlen, reserved;
	const uint8_t *nh;

	if (!get16(&v, &u->reach_afi) || !get8(&v, &u->reach_safi) || !get8(&v, &nhlen))
		return bad(ps, "UPDATE: MP_REACH_NLRI truncated");
	if (!take(&v, nhlen, &nh) || !get8(&v, &reserved))
		return bad(ps, "UPDATE: MP_REACH_NLRI next hop of %u bytes longer than the "
			   "attribute", nhlen);
	u->reach = true;
	u->mp_reach = v;
	if (u->reach_safi != 1 || (u->reach_afi != 1 && u->reach_afi != 2))
		return 0;	/* not unicast IPv4/IPv6: not ours */
	/* IPv4 (4), IPv6 global (16), global and link-local (32); an IPv4
	 * route may have an IPv6 next hop (RFC 8950). */
	switch (nhlen) {
	case 4:
		memset(u->a.nh, 0, sizeof(u->a.nh));
		memcpy(u->a.nh, nh, 4);
		u->a.nh_family = 4;
		break;
	case 16:
	case 32:
		memcpy(u->a.nh, nh, 16);
		if (nhlen == 32)
			memcpy(u->a.nh_ll, nh + 16, 16);
		u->a.nh_family = 6;
		break;
	case 12:	/* RD (8 zero bytes) + IPv4: VPN style, not unicast */
	case 24:
	case 48:
	case 0:		/* BMP may abbreviate (RFC 7854 5): no next hop */
		break;
	default:
		return bad(ps, "UPDATE: MP_REACH_NLRI next hop length %u", nhlen);
	}
	u->has_nh = nhlen > 0;
	return 0;
}

static int parse_attrs(struct jf_bmp_parser *ps, struct cur c, unsigned asn_bytes,
		       struct update *u, struct path *path, struct path *path4)
{
	while (c.n) {
		uint8_t flags, type, len8;
		uint16_t len;
		struct cur v;

		if (!get8(&c, &flags) || !get8(&c, &type))
			return bad(ps, "UPDATE: path attribute header truncated");
		if (flags & ATTR_FLAG_EXTLEN) {
			if (!get16(&c, &len))
				return bad(ps, "UPDATE: path attribute %u length truncated", type);
		} else {
			if (!get8(&c, &len8))
				return bad(ps, "UPDATE: path attribute %u length truncated", type);
			len = len8;
		}
		if (!sub(&c, len, &v))
			return bad(ps, "UPDATE: path attribute %u of %u bytes longer than the "
				   "attributes (%zu left)", type, len, c.n);
		switch (type) {
		case ATTR_ORIGIN:
			if (len != 1)
				return bad(ps, "UPDATE: ORIGIN of length %u", len);
			u->a.origin = v.p[0];
			u->has_origin = true;
			break;
		case ATTR_AS_PATH:
			if (parse_path(ps, v, asn_bytes, path, "AS_PATH"))
				return -EBADMSG;
			u->has_path = true;
			break;
		case ATTR_AS4_PATH:
			/* Only meaningful beside a 2-byte AS_PATH. */
			if (asn_bytes == 2 && parse_path(ps, v, 4, path4, "AS4_PATH"))
				return -EBADMSG;
			break;
		case ATTR_NEXT_HOP:
			if (len != 4)
				return bad(ps, "UPDATE: NEXT_HOP of length %u", len);
			if (u->a.nh_family != 6) {	/* MP_REACH's wins */
				memset(u->a.nh, 0, sizeof(u->a.nh));
				memcpy(u->a.nh, v.p, 4);
				u->a.nh_family = 4;
			}
			u->has_nh = true;
			break;
		case ATTR_MED:
			if (len != 4)
				return bad(ps, "UPDATE: MULTI_EXIT_DISC of length %u", len);
			get32(&v, &u->a.med);
			u->a.flags |= JF_BGP_HAS_MED;
			break;
		case ATTR_LOCAL_PREF:
			if (len != 4)
				return bad(ps, "UPDATE: LOCAL_PREF of length %u", len);
			get32(&v, &u->a.local_pref);
			u->a.flags |= JF_BGP_HAS_LOCAL_PREF;
			break;
		case ATTR_MP_REACH:
			if (parse_mp_reach(ps, v, u))
				return -EBADMSG;
			break;
		case ATTR_MP_UNREACH:
			if (!get16(&v, &u->unreach_afi) || !get8(&v, &u->unreach_safi))
				return bad(ps, "UPDATE: MP_UNREACH_NLRI truncated");
			u->unreach = true;
			u->mp_unreach = v;
			break;
		default:	/* communities and the rest: not used */
			break;
		}
	}
	return 0;
}

static int afi_family(uint16_t afi, uint8_t safi)
{
	if (safi != 1)
		return 0;
	return afi == 1 ? 4 : afi == 2 ? 6 : 0;
}

/* Every prefix of an NLRI field, announced (a) or withdrawn (a NULL). */
static int each_prefix(struct jf_bmp_parser *ps, struct cur c, int family,
		       const struct jf_bmp_peer *p, const struct jf_bgp_attrs *a,
		       const struct jf_bmp_handler *h)
{
	bool ids = has_path_ids(ps, p, family);

	while (c.n) {
		struct jf_bgp_prefix pfx;
		int rc = get_prefix(ps, &c, family, ids, &pfx);

		if (rc)
			return rc;
		if (h->route && (rc = h->route(h->arg, p, &pfx, a)))
			return rc;
	}
	return 0;
}

static int parse_update(struct jf_bmp_parser *ps, struct cur c, const struct jf_bmp_peer *p,
			const struct jf_bmp_handler *h)
{
	static struct path path, path4;	/* large; the parser runs on one thread */
	unsigned asn_bytes = (p->flags & JF_BMP_FLAG_A) && p->type != JF_BMP_PEER_LOC_RIB ? 2 : 4;
	uint16_t wlen = 0, alen = 0, blen;
	struct cur withdrawn, attrs, nlri;
	struct update u;
	const uint8_t *m;
	uint8_t type;
	int rc, f;

	if (!take(&c, 16, &m) || !get16(&c, &blen) || !get8(&c, &type))
		return bad(ps, "Route Monitoring: BGP message truncated");
	for (f = 0; f < 16; f++)
		if (m[f] != 0xff)
			return bad(ps, "Route Monitoring: BGP message without the marker");
	if (type != BGP_UPDATE)
		return bad(ps, "Route Monitoring: BGP message type %u, not UPDATE", type);
	if (blen < 23 || (size_t)blen - BGP_HDR_LEN != c.n)
		return bad(ps, "Route Monitoring: BGP length %u, but %zu bytes follow the "
			   "header", blen, c.n);
	if (!get16(&c, &wlen) || !sub(&c, wlen, &withdrawn))
		return bad(ps, "UPDATE: withdrawn routes length %u longer than the message", wlen);
	if (!get16(&c, &alen) || !sub(&c, alen, &attrs))
		return bad(ps, "UPDATE: path attributes length %u longer than the message", alen);
	nlri = c;
	memset(&u, 0, sizeof(u));
	path.n = path4.n = 0;
	path.present = path4.present = false;
	rc = parse_attrs(ps, attrs, asn_bytes, &u, &path, &path4);
	if (rc)
		return rc;
	if (asn_bytes == 2)
		merge_as4(&path, &path4);
	if (p->type != JF_BMP_PEER_LOC_RIB) {
		const struct jf_bmp_peer_state *st = peer_state(ps, p);

		if (st && st->local_as && st->local_as != p->as)
			strip_own_as(&path, st->local_as, p->as);
	}
	reduce_path(&path, &u.a);

	/* End-of-RIB (RFC 4724): an empty UPDATE for IPv4, an MP_UNREACH of
	 * nothing but AFI/SAFI for the others. */
	if (!wlen && !alen && !nlri.n) {
		if (h->end_of_rib)
			h->end_of_rib(h->arg, p, 4);
		return 0;
	}
	if (u.unreach && !u.mp_unreach.n && !wlen && !nlri.n && !u.reach) {
		f = afi_family(u.unreach_afi, u.unreach_safi);
		if (f && h->end_of_rib)
			h->end_of_rib(h->arg, p, f);
		else if (!f)
			ps->ignored++;
		return 0;
	}
	rc = each_prefix(ps, withdrawn, 4, p, NULL, h);
	if (!rc && u.unreach && (f = afi_family(u.unreach_afi, u.unreach_safi)))
		rc = each_prefix(ps, u.mp_unreach, f, p, NULL, h);
	if (rc)
		return rc;
	if (nlri.n || u.reach) {
		/* RFC 4271: ORIGIN and AS_PATH are mandatory with NLRI; a
		 * missing one (RFC 7606) makes them withdrawals. */
		bool ok = u.has_origin && u.has_path;

		if (nlri.n) {
			if (!u.has_nh)
				ok = false;
			rc = each_prefix(ps, nlri, 4, p, ok ? &u.a : NULL, h);
		}
		if (!rc && u.reach && (f = afi_family(u.reach_afi, u.reach_safi)))
			rc = each_prefix(ps, u.mp_reach, f, p, ok ? &u.a : NULL, h);
		else if (u.reach && !f)
			ps->ignored++;
	}
	return rc;
}

/* --- messages --- */

static void info_tlvs(struct cur c, const struct jf_bmp_handler *h)
{
	char name[256] = "", descr[256] = "";

	while (c.n >= 4) {
		uint16_t t, l;
		const uint8_t *v;

		get16(&c, &t);
		get16(&c, &l);
		if (!take(&c, l, &v))
			break;
		if (t == 2)
			snprintf(name, sizeof(name), "%.*s", (int)l, (const char *)v);
		else if (t == 1)
			snprintf(descr, sizeof(descr), "%.*s", (int)l, (const char *)v);
	}
	if (h->initiation)
		h->initiation(h->arg, name, descr);
}

int jf_bmp_parse(struct jf_bmp_parser *ps, const uint8_t *msg, size_t len,
		 const struct jf_bmp_handler *h)
{
	struct cur c = { msg, len };
	struct jf_bmp_peer p;
	uint8_t type, reason;
	int rc;

	if (len < JF_BMP_HDR_LEN || msg[0] != 3)
		return bad(ps, "not a BMP version 3 message");
	type = msg[5];
	c.p += JF_BMP_HDR_LEN;
	c.n -= JF_BMP_HDR_LEN;
	ps->messages++;
	switch (type) {
	case JF_BMP_INITIATION:
		info_tlvs(c, h);
		return 0;
	case JF_BMP_TERMINATION: {
		uint16_t why = 0;

		while (c.n >= 4) {
			uint16_t t, l;
			const uint8_t *v;

			get16(&c, &t);
			get16(&c, &l);
			if (!take(&c, l, &v))
				break;
			if (t == 1 && l == 2)
				why = (uint16_t)(v[0] << 8 | v[1]);
		}
		if (h->termination)
			h->termination(h->arg, why);
		return 0;
	}
	case JF_BMP_ROUTE_MONITORING:
	case JF_BMP_STATISTICS:
	case JF_BMP_PEER_DOWN:
	case JF_BMP_PEER_UP:
	case JF_BMP_ROUTE_MIRRORING:
		break;
	default:	/* RFC 7854 4.1: unrecognised types are ignored */
		ps->ignored++;
		return 0;
	}
	rc = parse_peer(ps, &c, &p);
	if (rc)
		return rc;
	switch (type) {
	case JF_BMP_ROUTE_MONITORING:
		/* Adj-RIB-Out (RFC 8671) says what the speaker sends: not the
		 * routes it forwards by. */
		if (p.type != JF_BMP_PEER_LOC_RIB && (p.flags & JF_BMP_FLAG_O)) {
			ps->ignored++;
			return 0;
		}
		return parse_update(ps, c, &p, h);
	case JF_BMP_PEER_UP:
		if (p.type != JF_BMP_PEER_LOC_RIB && (p.flags & JF_BMP_FLAG_O)) {
			ps->ignored++;
			return 0;
		}
		return parse_peer_up(ps, &c, &p, h);
	case JF_BMP_PEER_DOWN:
		if (!get8(&c, &reason))
			return bad(ps, "Peer Down without a reason");
		if (p.type != JF_BMP_PEER_LOC_RIB && (p.flags & JF_BMP_FLAG_O)) {
			ps->ignored++;
			return 0;
		}
		if (h->peer_down)
			h->peer_down(h->arg, &p, reason);
		return 0;
	case JF_BMP_STATISTICS: {
		uint32_t n;

		if (!get32(&c, &n))
			return bad(ps, "Statistics Report truncated");
		while (n--) {
			uint16_t t, l;
			const uint8_t *v;

			if (!get16(&c, &t) || !get16(&c, &l) || !take(&c, l, &v))
				return bad(ps, "Statistics Report: counter longer than the message");
		}
		ps->ignored++;
		return 0;
	}
	default:	/* route mirroring */
		ps->ignored++;
		return 0;
	}
}
