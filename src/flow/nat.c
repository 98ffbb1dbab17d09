// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The NAT lookup part: one conntrack GET per flow, by the flow's tuple, in
 * the zone of its interface. The kernel finds an entry by either of its
 * directions; which one the flow is tells where the other side is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/conntrack.h"
#include "flow/nat.h"
#include "log.h"

struct jf_nat {
	struct jf_ct_sock sock;
	struct jf_nat_zone zones[JF_NAT_MAX_ZONES];
	int n_zones;
	struct jf_nat_stats st;
	bool warned;
};

/* Bit of jf_nat_info.translated: the answer is conntrack's (else the
 * record carries the flow's own addresses and ports). */
#define NAT_FOUND 0x2
#define NAT_XLATED 0x1

struct jf_nat *jf_nat_new(const struct jf_nat_params *p, char *err, size_t errlen)
{
	struct jf_nat *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p->n_zones > JF_NAT_MAX_ZONES) {
		snprintf(err, errlen, "at most %d NAT zones", JF_NAT_MAX_ZONES);
		free(n);
		return NULL;
	}
	memcpy(n->zones, p->zones, sizeof(n->zones[0]) * (size_t)p->n_zones);
	n->n_zones = p->n_zones;
	if (jf_ct_open(&n->sock, 0, err, errlen)) {
		free(n);
		return NULL;
	}
	return n;
}

void jf_nat_free(struct jf_nat *n)
{
	if (!n)
		return;
	jf_ct_close(&n->sock);
	free(n);
}

static uint16_t zone_of(const struct jf_nat *n, uint32_t ifindex)
{
	int i;

	for (i = 0; i < n->n_zones; i++)
		if (n->zones[i].ifindex == ifindex)
			return n->zones[i].zone;
	return 0;
}

static void tuple_of(const struct jf_key *k, struct jf_ct_tuple *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->src, k->src, sizeof(t->src));
	memcpy(t->dst, k->dst, sizeof(t->dst));
	t->sport = k->sport;
	t->dport = k->dport;
	t->family = k->family;
	t->proto = k->proto;
}

/* The flow is one direction of e; its packets leave the router as the
 * inverse of the other direction (a translated packet's addresses are the
 * other direction's, swapped). An ICMP flow keeps its own type and code. */
static void other_side(const struct jf_ct_entry *e, const struct jf_ct_tuple *flow,
		       struct jf_nat_info *info)
{
	const struct jf_ct_tuple *o = jf_ct_tuple_eq(flow, &e->orig) ? &e->reply : &e->orig;
	bool icmp = flow->proto == 1 || flow->proto == 58;

	memcpy(info->src, o->dst, sizeof(info->src));
	memcpy(info->dst, o->src, sizeof(info->dst));
	info->sport = icmp ? flow->sport : o->dport;
	info->dport = icmp ? flow->dport : o->sport;
	info->translated = NAT_FOUND | (jf_ct_translated(e) ? NAT_XLATED : 0);
}

int jf_nat_lookup(struct jf_nat *n, const struct jf_key *key, struct jf_nat_info *info)
{
	struct jf_ct_tuple t;
	struct jf_ct_entry e;
	int rc;

	n->st.lookups++;
	if (key->family != 4 && key->family != 6)
		return -EAFNOSUPPORT;
	tuple_of(key, &t);
	rc = jf_ct_get(&n->sock, &t, zone_of(n, key->ifindex), &e);
	if (rc == -ENOENT) {
		n->st.not_yet++;
		return rc;
	}
	if (rc == -EINVAL && (key->proto == 1 || key->proto == 58)) {
		/* An ICMP error or a type conntrack keeps no session of:
		 * no entry of its own, the flow's own values. */
		n->st.untracked++;
		return 0;
	}
	if (rc) {
		n->st.errors++;
		if (!n->warned) {
			log_warn("NAT lookup: conntrack: %s (flows carry their own addresses "
				 "until it answers)", strerror(-rc));
			n->warned = true;
		}
		return rc;
	}
	other_side(&e, &t, info);
	n->st.found++;
	if (info->translated & NAT_XLATED)
		n->st.translated++;
	return 0;
}

static bool part_lookup(void *arg, const struct jf_key *key, const struct jf_route *route,
			void *info)
{
	int rc;

	(void)route;
	rc = jf_nat_lookup(arg, key, info);
	/* Only a missing entry is worth asking again: XDP meters a flow's
	 * first packets before netfilter has confirmed its entry. */
	return rc != -ENOENT;
}

static void part_apply(void *arg, const void *info, struct jf_record *rec)
{
	const struct jf_nat_info *ni = info;
	const struct jf_key *k = &rec->key;

	(void)arg;
	if (ni->translated & NAT_FOUND) {
		rec->nat = *ni;
		rec->nat.translated = (ni->translated & NAT_XLATED) != 0;
		return;
	}
	/* No entry: untranslated, the flow's own values. */
	memcpy(rec->nat.src, k->src, sizeof(rec->nat.src));
	memcpy(rec->nat.dst, k->dst, sizeof(rec->nat.dst));
	rec->nat.sport = k->sport;
	rec->nat.dport = k->dport;
	rec->nat.translated = 0;
}

void jf_nat_part(struct jf_nat *n, struct jf_enrich_part *part)
{
	memset(part, 0, sizeof(*part));
	part->name = "nat";
	part->info_bytes = sizeof(struct jf_nat_info);
	part->lookup = part_lookup;
	part->apply = part_apply;
	part->arg = n;
}

void jf_nat_get_stats(const struct jf_nat *n, struct jf_nat_stats *st)
{
	*st = n->st;
}
