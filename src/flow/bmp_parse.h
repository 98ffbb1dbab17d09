/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BMP (RFC 7854, RFC 9069 Loc-RIB) and BGP UPDATE (RFC 4271, 4760,
 * 6793, 7911) parser: bytes in, events out. Pure: no sockets, no RIB; the
 * only state is what one session's Peer Up messages say about the peers
 * (add-path), so it can be unit-tested with hand-built messages and fuzzed.
 * docs/bgp.md has the rules it follows. */
#ifndef JFLOWD_BMP_PARSE_H
#define JFLOWD_BMP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JF_BMP_HDR_LEN 6
#define JF_BMP_MAX_MSG (1u << 20)	/* larger: not BMP, the session closes */
#define JF_BMP_PORT 11019		/* IANA's port for BMP */
#define JF_BMP_MAX_PEERS 4096		/* peers one session may describe */
#define AS_TRANS 23456			/* RFC 6793: a 4-byte AS in 2 bytes */

/* BMP message types. */
enum {
	JF_BMP_ROUTE_MONITORING = 0,
	JF_BMP_STATISTICS = 1,
	JF_BMP_PEER_DOWN = 2,
	JF_BMP_PEER_UP = 3,
	JF_BMP_INITIATION = 4,
	JF_BMP_TERMINATION = 5,
	JF_BMP_ROUTE_MIRRORING = 6,
};

/* Per-peer header: peer types and flags. */
enum {
	JF_BMP_PEER_GLOBAL = 0,
	JF_BMP_PEER_RD = 1,
	JF_BMP_PEER_LOCAL = 2,
	JF_BMP_PEER_LOC_RIB = 3,	/* RFC 9069 */
};
#define JF_BMP_FLAG_V 0x80	/* peer address is IPv6 */
#define JF_BMP_FLAG_L 0x40	/* post-policy Adj-RIB-In */
#define JF_BMP_FLAG_A 0x20	/* legacy 2-byte AS_PATH */
#define JF_BMP_FLAG_O 0x10	/* Adj-RIB-Out (RFC 8671) */
#define JF_BMP_FLAG_F 0x80	/* Loc-RIB: filtered (RFC 9069) */

/* Who a message is about: the per-peer header. */
struct jf_bmp_peer {
	uint8_t type;		/* JF_BMP_PEER_* */
	uint8_t flags;		/* JF_BMP_FLAG_* */
	uint8_t v6;		/* addr is IPv6 */
	uint8_t pad;
	uint32_t as;
	uint32_t bgp_id;	/* network order */
	uint64_t rd;		/* peer distinguisher */
	uint32_t addr[4];	/* network order; IPv4 in addr[0] */
};

/* A prefix of an UPDATE, host bits cleared. */
struct jf_bgp_prefix {
	uint8_t family;		/* 4 or 6 */
	uint8_t len;
	uint16_t pad;
	uint32_t path_id;	/* add-path (RFC 7911); 0 without */
	uint32_t addr[4];	/* network order */
};

/* What a route's attributes say, reduced to what the lookups use. */
#define JF_BGP_HAS_LOCAL_PREF 0x01
#define JF_BGP_HAS_MED 0x02
struct jf_bgp_attrs {
	uint32_t nh[4];		/* next hop, network order (NEXT_HOP or MP_REACH) */
	uint32_t nh_ll[4];	/* IPv6 link-local next hop, 0 if none */
	uint8_t nh_family;	/* 4, 6, 0: none */
	uint8_t origin;		/* ORIGIN: 0 IGP, 1 EGP, 2 incomplete */
	uint8_t flags;		/* JF_BGP_HAS_* */
	uint8_t pad;
	uint16_t path_len;	/* AS_PATH length for the decision (a set counts 1) */
	uint16_t pad2;
	uint32_t origin_as;	/* last AS of the path (docs/bgp.md: AS_SET, AS_TRANS) */
	uint32_t first_as;	/* first AS of the path: the neighbour */
	uint32_t local_pref;
	uint32_t med;
};

/* What a session's messages mean, in order. A callback returning non-zero
 * stops the parse with that error (the session closes). */
struct jf_bmp_handler {
	void (*initiation)(void *arg, const char *sys_name, const char *sys_descr);
	void (*termination)(void *arg, uint16_t reason);
	int (*peer_up)(void *arg, const struct jf_bmp_peer *p);
	void (*peer_down)(void *arg, const struct jf_bmp_peer *p, uint8_t reason);
	/* attrs NULL: a withdrawal. */
	int (*route)(void *arg, const struct jf_bmp_peer *p, const struct jf_bgp_prefix *pfx,
		     const struct jf_bgp_attrs *attrs);
	/* End-of-RIB marker for family 4 or 6. */
	void (*end_of_rib)(void *arg, const struct jf_bmp_peer *p, int family);
	void *arg;
};

/* One session's parser state: what each peer's Peer Up said (add-path,
 * the speaker's own AS), and the reason of the last error. */
struct jf_bmp_parser {
	struct jf_bmp_peer_state {
		struct jf_bmp_peer key;	/* type, flags (V only), rd, addr */
		uint8_t rx[2];		/* path ids in NLRI: IPv4, IPv6 unicast */
		uint32_t local_as;	/* the speaker's AS in its OPEN, 0: unknown */
	} *peers;
	size_t n_peers, cap_peers;
	char err[160];
	uint64_t messages;		/* parsed, every type */
	uint64_t ignored;		/* messages without meaning here (stats, mirroring,
					 * Adj-RIB-Out, other AFI/SAFI) */
};

void jf_bmp_parser_init(struct jf_bmp_parser *ps);
void jf_bmp_parser_free(struct jf_bmp_parser *ps);

/* The length of the message at buf (len bytes available): 0 when more
 * bytes are needed to know, else the whole message's length; -EBADMSG when
 * the header is not BMP version 3 or the length is impossible (ps->err). */
long jf_bmp_msg_len(struct jf_bmp_parser *ps, const uint8_t *buf, size_t len);

/* Parse one whole message (as jf_bmp_msg_len framed it), calling h. 0, or
 * -EBADMSG (malformed: ps->err says what) or a callback's error. */
int jf_bmp_parse(struct jf_bmp_parser *ps, const uint8_t *msg, size_t len,
		 const struct jf_bmp_handler *h);

#endif
