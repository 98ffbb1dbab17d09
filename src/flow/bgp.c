// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The BGP lookup part: a flow's destination by the prefix and next hop the
 * kernel forwards it by, its source by the route back to it (router mode),
 * else both by longest match; the answer kept per flow is 20 bytes (the
 * BGP next hop as an index into a pool of distinct next hops). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "flow/as_file.h"
#include "flow/bgp.h"
#include "flow/bgp_rib.h"
#include "flow/bmp.h"
#include "flow/nexthop_pool.h"
#include "log.h"

#define POLL_BUDGET_MS 10

struct jf_bgp {
	struct jf_rib *rib;
	struct jf_bmp *bmp;		/* NULL: no station */
	struct jf_rib *file;		/* the as-file's prefixes; NULL: none */
	size_t file_entries;
	char file_path[4096];
	struct jf_rib *staged;		/* reload: the file read again */
	size_t staged_entries;
	char staged_path[4096];
	struct jf_nh_pool *nh;		/* BGP next hops the answers point to */
	struct jf_bgp_stats st;
};

/* One flow's answer. */
struct bgp_info {
	uint32_t src_as, dst_as;
	uint32_t prev_adj_as, next_adj_as;
	uint32_t nh;			/* index into g->nh */
};

bool jf_bgp_wanted(const struct jf_bgp_params *p)
{
	return (p->bmp_listen && p->bmp_listen[0]) || (p->as_file && p->as_file[0]);
}

struct jf_bgp *jf_bgp_open(const struct jf_bgp_params *p, char *err, size_t errlen)
{
	struct jf_bgp *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->nh = jf_nh_pool_new();
	g->rib = jf_rib_new((size_t)p->memory_mb << 20);
	if (!g->nh || !g->rib) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (p->as_file && p->as_file[0]) {
		if (jf_bgp_stage_as_file(g, p->as_file, err, errlen))
			goto fail;
		jf_bgp_commit_as_file(g);
	}
	if (p->bmp_listen && p->bmp_listen[0]) {
		g->bmp = jf_bmp_open(p->bmp_listen, g->rib, err, errlen);
		if (!g->bmp)
			goto fail;
		log_info("bgp: BMP station listening on %s", p->bmp_listen);
	}
	return g;
fail:
	jf_bgp_free(g);
	return NULL;
}

void jf_bgp_free(struct jf_bgp *g)
{
	if (!g)
		return;
	jf_bmp_close(g->bmp);
	jf_rib_free(g->rib);
	jf_rib_free(g->file);
	jf_rib_free(g->staged);
	jf_nh_pool_free(g->nh);
	free(g);
}

int jf_bgp_stage_as_file(struct jf_bgp *g, const char *path, char *err, size_t errlen)
{
	int rc;

	jf_bgp_unstage_as_file(g);
	if (path && path[0]) {
		rc = jf_as_file_read(path, &g->staged, &g->staged_entries, err, errlen);
		if (rc)
			return rc;
	}
	snprintf(g->staged_path, sizeof(g->staged_path), "%s", path ? path : "");
	return 0;
}

void jf_bgp_commit_as_file(struct jf_bgp *g)
{
	jf_rib_free(g->file);
	g->file = g->staged;
	g->file_entries = g->staged_entries;
	memcpy(g->file_path, g->staged_path, sizeof(g->file_path));
	g->staged = NULL;
	if (g->file)
		log_info("bgp: as-file %s: %zu prefixes", g->file_path, g->file_entries);
}

void jf_bgp_unstage_as_file(struct jf_bgp *g)
{
	jf_rib_free(g->staged);
	g->staged = NULL;
	g->staged_entries = 0;
}

bool jf_bgp_poll(struct jf_bgp *g, uint64_t now_ms, unsigned budget_ms)
{
	return g && g->bmp && jf_bmp_poll(g->bmp, now_ms, budget_ms ? budget_ms : POLL_BUDGET_MS);
}

static bool zero(const uint32_t a[4])
{
	return !(a[0] | a[1] | a[2] | a[3]);
}

static bool lookup(void *arg, const struct jf_key *key, const struct jf_route *route, void *info)
{
	struct jf_bgp *g = arg;
	struct bgp_info *bi = info;
	bool router = route && route->fwd_status != JF_FWD_UNKNOWN;
	struct jf_rib_answer a;
	int fam = key->family;

	g->st.lookups++;
	if (fam != 4 && fam != 6)
		return true;
	memset(bi, 0, sizeof(*bi));
	/* The destination: in router mode the kernel's prefix and next hop
	 * (connected, local and dropped flows have no BGP route). */
	if (router ? route->fwd_status == JF_FWD_FORWARDED && !zero(route->next_hop) &&
			     jf_rib_lookup(g->rib, fam, key->dst, route->dst_len,
					   route->next_hop, &a)
		   : jf_rib_lookup(g->rib, fam, key->dst, -1, NULL, &a)) {
		g->st.dst_hits++;
		bi->dst_as = a.origin_as;
		bi->next_adj_as = a.first_as;
		/* An IPv6 next hop of an IPv4 route (RFC 8950) does not fit
		 * IE 18: 0. */
		if (a.nh_family == fam && jf_nh_pool_intern(g->nh, a.next_hop, &bi->nh))
			bi->nh = 0;
		if (router && !a.nh_matched)
			g->st.nh_mismatch++;
	} else {
		g->st.dst_misses++;
	}
	/* The source: the route back to it. */
	if (router ? jf_rib_lookup(g->rib, fam, key->src, route->src_len, NULL, &a)
		   : jf_rib_lookup(g->rib, fam, key->src, -1, NULL, &a)) {
		g->st.src_hits++;
		bi->src_as = a.origin_as;
		bi->prev_adj_as = a.first_as;
	} else {
		g->st.src_misses++;
	}
	/* The file where BGP had nothing. */
	if (g->file) {
		if (!bi->dst_as && (bi->dst_as = jf_as_file_lookup(g->file, fam, key->dst)))
			g->st.file_hits++;
		if (!bi->src_as && (bi->src_as = jf_as_file_lookup(g->file, fam, key->src)))
			g->st.file_hits++;
	}
	/* Until the feed is synced the answer is what the RIB has so far:
	 * asked again at the next drain, it stays if the flow's first
	 * record leaves before. */
	if (g->bmp && !jf_bmp_synced(g->bmp, jf_mono_ms())) {
		g->st.not_synced++;
		return false;
	}
	return true;
}

static void apply(void *arg, const void *info, struct jf_record *rec)
{
	const struct jf_bgp *g = arg;
	const struct bgp_info *bi = info;

	rec->bgp.src_as = bi->src_as;
	rec->bgp.dst_as = bi->dst_as;
	rec->bgp.prev_adj_as = bi->prev_adj_as;
	rec->bgp.next_adj_as = bi->next_adj_as;
	memcpy(rec->bgp.next_hop, jf_nh_pool_get(g->nh, bi->nh), sizeof(rec->bgp.next_hop));
}

void jf_bgp_part(struct jf_bgp *g, struct jf_enrich_part *out)
{
	memset(out, 0, sizeof(*out));
	out->name = "bgp";
	out->info_bytes = sizeof(struct bgp_info);
	out->lookup = lookup;
	out->apply = apply;
	out->arg = g;
}

void jf_bgp_get_stats(const struct jf_bgp *g, struct jf_bgp_stats *st)
{
	*st = g->st;
}

size_t jf_bgp_bytes(const struct jf_bgp *g)
{
	return sizeof(*g) + jf_rib_bytes(g->rib) + (g->file ? jf_rib_bytes(g->file) : 0) +
	       jf_nh_pool_bytes(g->nh) + (g->bmp ? jf_bmp_bytes(g->bmp) : 0);
}

static const char *kind_name(enum jf_rib_kind k)
{
	return k == JF_RIB_LOC ? "loc-rib" : k == JF_RIB_POST ? "post-policy" : "pre-policy";
}

static void peer_addr(const struct jf_rib_table_info *t, char *out, size_t n)
{
	if (t->peer.type == JF_BMP_PEER_LOC_RIB)
		snprintf(out, n, "local");
	else
		inet_ntop(t->peer.v6 ? AF_INET6 : AF_INET, t->peer.addr, out, (socklen_t)n);
}

void jf_bgp_metrics(const struct jf_bgp *g, FILE *f)
{
	struct jf_rib_stats rs;
	struct jf_bmp_stats bs = { 0 };
	uint64_t now = jf_mono_ms();
	int id;

	jf_rib_get_stats(g->rib, &rs);
	if (g->bmp)
		jf_bmp_get_stats(g->bmp, &bs);
	fprintf(f, "# HELP jflowd_bgp_sessions BMP sessions up.\n# TYPE jflowd_bgp_sessions gauge\n"
		"jflowd_bgp_sessions %llu\n", (unsigned long long)bs.sessions);
	fprintf(f, "# HELP jflowd_bgp_sessions_total BMP sessions accepted, refused (too many) "
		"and closed on malformed input.\n# TYPE jflowd_bgp_sessions_total counter\n"
		"jflowd_bgp_sessions_total{event=\"accepted\"} %llu\n"
		"jflowd_bgp_sessions_total{event=\"refused\"} %llu\n"
		"jflowd_bgp_sessions_total{event=\"malformed\"} %llu\n",
		(unsigned long long)bs.sessions_total, (unsigned long long)bs.sessions_refused,
		(unsigned long long)bs.malformed);
	fprintf(f, "# HELP jflowd_bgp_messages_total BMP messages parsed.\n"
		"# TYPE jflowd_bgp_messages_total counter\njflowd_bgp_messages_total %llu\n",
		(unsigned long long)bs.messages);
	fprintf(f, "# HELP jflowd_bgp_routes Routes held, all peers and tables.\n"
		"# TYPE jflowd_bgp_routes gauge\njflowd_bgp_routes %llu\n",
		(unsigned long long)rs.routes);
	fprintf(f, "# HELP jflowd_bgp_prefixes Distinct prefixes held.\n"
		"# TYPE jflowd_bgp_prefixes gauge\njflowd_bgp_prefixes %llu\n",
		(unsigned long long)rs.prefixes);
	fprintf(f, "# HELP jflowd_bgp_attribute_sets Distinct interned attribute sets.\n"
		"# TYPE jflowd_bgp_attribute_sets gauge\njflowd_bgp_attribute_sets %llu\n",
		(unsigned long long)rs.attrs);
	fprintf(f, "# HELP jflowd_bgp_routes_refused_total Routes not kept: the memory bound "
		"(bgp-memory).\n# TYPE jflowd_bgp_routes_refused_total counter\n"
		"jflowd_bgp_routes_refused_total %llu\n", (unsigned long long)rs.refused);
	fprintf(f, "# HELP jflowd_bgp_memory_limit_bytes The RIB's bound (bgp-memory).\n"
		"# TYPE jflowd_bgp_memory_limit_bytes gauge\njflowd_bgp_memory_limit_bytes %llu\n",
		(unsigned long long)rs.max_bytes);
	fprintf(f, "# HELP jflowd_bgp_lookups_total Flow lookups by answer: BGP route for the "
		"destination or source (hit, miss), AS from the as-file, put off (feed not synced).\n"
		"# TYPE jflowd_bgp_lookups_total counter\n"
		"jflowd_bgp_lookups_total{side=\"dst\",result=\"hit\"} %llu\n"
		"jflowd_bgp_lookups_total{side=\"dst\",result=\"miss\"} %llu\n"
		"jflowd_bgp_lookups_total{side=\"src\",result=\"hit\"} %llu\n"
		"jflowd_bgp_lookups_total{side=\"src\",result=\"miss\"} %llu\n"
		"jflowd_bgp_lookups_total{side=\"any\",result=\"as_file\"} %llu\n"
		"jflowd_bgp_lookups_total{side=\"any\",result=\"not_synced\"} %llu\n",
		(unsigned long long)g->st.dst_hits, (unsigned long long)g->st.dst_misses,
		(unsigned long long)g->st.src_hits, (unsigned long long)g->st.src_misses,
		(unsigned long long)g->st.file_hits, (unsigned long long)g->st.not_synced);
	fprintf(f, "# HELP jflowd_bgp_next_hop_mismatch_total Destinations whose kernel next "
		"hop was no route's (iBGP, recursive): the best route answered.\n"
		"# TYPE jflowd_bgp_next_hop_mismatch_total counter\n"
		"jflowd_bgp_next_hop_mismatch_total %llu\n", (unsigned long long)g->st.nh_mismatch);
	fprintf(f, "# HELP jflowd_bgp_peer_routes Routes per BMP peer table.\n"
		"# TYPE jflowd_bgp_peer_routes gauge\n");
	for (id = jf_rib_table_next(g->rib, -1); id >= 0; id = jf_rib_table_next(g->rib, id)) {
		struct jf_rib_table_info t;
		char a[INET6_ADDRSTRLEN];

		jf_rib_table_get(g->rib, id, &t);
		peer_addr(&t, a, sizeof(a));
		fprintf(f, "jflowd_bgp_peer_routes{peer=\"%s\",as=\"%u\",table=\"%s\",session=\"%u\"} "
			"%llu\n", a, t.peer.as, kind_name(t.kind), t.session,
			(unsigned long long)t.routes);
	}
	fprintf(f, "# HELP jflowd_bgp_peer_last_update_seconds Seconds since the peer table's "
		"last route change (or its peer up).\n"
		"# TYPE jflowd_bgp_peer_last_update_seconds gauge\n");
	for (id = jf_rib_table_next(g->rib, -1); id >= 0; id = jf_rib_table_next(g->rib, id)) {
		struct jf_rib_table_info t;
		char a[INET6_ADDRSTRLEN];
		uint64_t last;

		jf_rib_table_get(g->rib, id, &t);
		peer_addr(&t, a, sizeof(a));
		last = t.last_update_ms > t.up_ms ? t.last_update_ms : t.up_ms;
		fprintf(f, "jflowd_bgp_peer_last_update_seconds{peer=\"%s\",as=\"%u\",table=\"%s\","
			"session=\"%u\"} %.3f\n", a, t.peer.as, kind_name(t.kind), t.session,
			(double)(now - last) / 1000.0);
	}
	if (g->file) {
		fprintf(f, "# HELP jflowd_bgp_as_file_prefixes Prefixes of the as-file.\n"
			"# TYPE jflowd_bgp_as_file_prefixes gauge\njflowd_bgp_as_file_prefixes %zu\n",
			g->file_entries);
	}
}

void jf_bgp_print(const struct jf_bgp *g, FILE *f)
{
	struct jf_rib_stats rs;
	uint64_t now = jf_mono_ms();
	int id;

	jf_rib_get_stats(g->rib, &rs);
	if (g->bmp) {
		fprintf(f, "bmp: %s\n", jf_bmp_synced(g->bmp, now) ? "synced" : "syncing");
		jf_bmp_print_sessions(g->bmp, f, now);
	} else {
		fprintf(f, "bmp: off (no bmp-listen)\n");
	}
	fprintf(f, "\n%-39s %10s %-11s %-9s %10s %10s %8s %9s\n", "peer", "as", "table", "state",
		"routes", "refused", "session", "update_s");
	for (id = jf_rib_table_next(g->rib, -1); id >= 0; id = jf_rib_table_next(g->rib, id)) {
		struct jf_rib_table_info t;
		char a[INET6_ADDRSTRLEN];
		uint64_t last;
		const char *state;

		jf_rib_table_get(g->rib, id, &t);
		peer_addr(&t, a, sizeof(a));
		last = t.last_update_ms > t.up_ms ? t.last_update_ms : t.up_ms;
		state = t.shadowed ? "shadowed" : t.eor ? "synced" : "syncing";
		fprintf(f, "%-39s %10u %-11s %-9s %10llu %10llu %8u %9.1f\n", a, t.peer.as,
			kind_name(t.kind), state, (unsigned long long)t.routes,
			(unsigned long long)t.refused, t.session, (double)(now - last) / 1000.0);
	}
	fprintf(f, "\nroutes %llu, prefixes %llu, attribute sets %llu, next hops %llu, "
		"memory %llu of %llu bytes, refused %llu\n",
		(unsigned long long)rs.routes, (unsigned long long)rs.prefixes,
		(unsigned long long)rs.attrs, (unsigned long long)rs.next_hops,
		(unsigned long long)jf_bgp_bytes(g), (unsigned long long)rs.max_bytes,
		(unsigned long long)rs.refused);
	if (g->file)
		fprintf(f, "as-file %s: %zu prefixes\n", g->file_path, g->file_entries);
	fprintf(f, "lookups: dst hit %llu miss %llu, src hit %llu miss %llu, as-file %llu, "
		"not synced %llu, next hop mismatch %llu\n",
		(unsigned long long)g->st.dst_hits, (unsigned long long)g->st.dst_misses,
		(unsigned long long)g->st.src_hits, (unsigned long long)g->st.src_misses,
		(unsigned long long)g->st.file_hits, (unsigned long long)g->st.not_synced,
		(unsigned long long)g->st.nh_mismatch);
}
