/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* NAT-aware flows: a per-flow lookup part (src/flow/enrich.h) that asks
 * conntrack once for a flow's entry and fills the other side of its
 * translation (IE 225-228, 281/282). */
#ifndef JFLOWD_NAT_H
#define JFLOWD_NAT_H

#include <stddef.h>
#include <stdint.h>
#include "flow/enrich.h"
#include "flow/record.h"

struct jf_nat;

/* Conntrack zones by metered interface (--nat-zone IFACE=ZONE); the
 * flows of any other interface are looked up in zone 0. */
#define JF_NAT_MAX_ZONES 32

struct jf_nat_zone {
	uint32_t ifindex;
	uint16_t zone;
};

struct jf_nat_params {
	const struct jf_nat_zone *zones;
	int n_zones;
};

struct jf_nat_stats {
	uint64_t lookups;	/* asks, first and again */
	uint64_t found;		/* flows whose entry was found */
	uint64_t translated;	/* of which with a translation */
	uint64_t not_yet;	/* asks with no entry yet (asked again) */
	uint64_t untracked;	/* ICMP errors and types conntrack keeps no entry of */
	uint64_t errors;	/* asks that failed otherwise */
};

/* Open the query socket (needs CAP_NET_ADMIN). NULL with a one-line reason
 * in err. */
struct jf_nat *jf_nat_new(const struct jf_nat_params *p, char *err, size_t errlen);
void jf_nat_free(struct jf_nat *n);

/* The translation of the flow of key (info: its answer, zeroed before the
 * first ask). 0: answered; -ENOENT: conntrack has no entry for it (yet);
 * -errno otherwise. */
int jf_nat_lookup(struct jf_nat *n, const struct jf_key *key, struct jf_nat_info *info);

/* The enrich part asking n; its apply writes rec->nat: the translation,
 * or for a flow conntrack never answered, the flow's own addresses and
 * ports (as Cisco exports an untranslated flow). */
void jf_nat_part(struct jf_nat *n, struct jf_enrich_part *part);

void jf_nat_get_stats(const struct jf_nat *n, struct jf_nat_stats *st);

#endif
