/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* BGP-aware flows: the per-flow lookup part (src/flow/enrich.h) that fills
 * IE 16, 17, 18/63, 128 and 129 from the BMP station's RIB, for the route
 * the kernel chose, and from the prefix-to-AS file where BGP has no answer.
 * Also what jflowctl bgp and the metrics show of it. */
#ifndef JFLOWD_BGP_H
#define JFLOWD_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flow/enrich.h"

#define JF_BGP_DEFAULT_MEMORY_MB 1024

struct jf_bgp;

struct jf_bgp_params {
	const char *bmp_listen;		/* "" or NULL: no BMP station */
	const char *as_file;		/* "" or NULL: no file */
	uint32_t memory_mb;		/* the RIB's bound */
};

/* Whether p asks for a BGP source at all. */
bool jf_bgp_wanted(const struct jf_bgp_params *p);

/* Open the station and read the file. NULL with err (a start-up error). */
struct jf_bgp *jf_bgp_open(const struct jf_bgp_params *p, char *err, size_t errlen);
void jf_bgp_free(struct jf_bgp *g);

/* Reload: read the file at path again into a staged copy (what can fail),
 * then take it (commit) or leave it (unstage). 0 or -errno with err. */
int jf_bgp_stage_as_file(struct jf_bgp *g, const char *path, char *err, size_t errlen);
void jf_bgp_commit_as_file(struct jf_bgp *g);
void jf_bgp_unstage_as_file(struct jf_bgp *g);

/* Serve the BMP sessions for at most budget_ms; true: input left over. */
bool jf_bgp_poll(struct jf_bgp *g, uint64_t now_ms, unsigned budget_ms);

/* The lookup part, to add to the run's jf_enrich set. */
void jf_bgp_part(struct jf_bgp *g, struct jf_enrich_part *out);

struct jf_bgp_stats {
	uint64_t lookups;		/* flows asked about (first asks and again) */
	uint64_t not_synced;		/* asks put off: the feed was not synced */
	uint64_t dst_hits, dst_misses;	/* a BGP route for the destination, or none */
	uint64_t src_hits, src_misses;
	uint64_t file_hits;		/* AS numbers the as-file gave */
	uint64_t nh_mismatch;		/* the kernel's next hop was no route's: the
					 * best route answered */
};

void jf_bgp_get_stats(const struct jf_bgp *g, struct jf_bgp_stats *st);

/* Memory held (RIB, file, sessions): jflowd_memory_bytes{part="bgp"}. */
size_t jf_bgp_bytes(const struct jf_bgp *g);

/* The metrics (Prometheus text) and jflowctl bgp's text. */
void jf_bgp_metrics(const struct jf_bgp *g, FILE *f);
void jf_bgp_print(const struct jf_bgp *g, FILE *f);

#endif
