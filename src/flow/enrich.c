// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-flow lookups beyond the route: the parts, their answers laid out in
 * one block per flow, asked and applied in order. */
#include <errno.h>
#include <string.h>
#include "flow/enrich.h"

/* A flow's info: a state word (bit n: part n answered; FINAL: no more
 * asks), then each part's answer at a 4-byte boundary. */
#define STATE_BYTES 4u
#define FINAL 0x80000000u

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

void jf_enrich_init(struct jf_enrich *e)
{
	memset(e, 0, sizeof(*e));
	e->info_bytes = STATE_BYTES;
}

int jf_enrich_add(struct jf_enrich *e, const struct jf_enrich_part *p)
{
	if (e->n >= JF_ENRICH_MAX_PARTS)
		return -ENOSPC;
	e->part[e->n] = *p;
	e->off[e->n] = e->info_bytes;
	e->info_bytes += align4(p->info_bytes);
	e->n++;
	return 0;
}

static uint32_t *state_of(void *info)
{
	return (uint32_t *)info;
}

static uint32_t all_parts(const struct jf_enrich *e)
{
	return (1u << e->n) - 1;
}

/* Ask every part that has not answered; true once all have. */
static bool ask(struct jf_enrich *e, const struct jf_key *key, const struct jf_route *route,
		void *info)
{
	uint32_t *st = state_of(info);
	int i;

	for (i = 0; i < e->n; i++) {
		const struct jf_enrich_part *p = &e->part[i];

		if (*st & (1u << i))
			continue;
		if (p->lookup(p->arg, key, route, (char *)info + e->off[i]))
			*st |= 1u << i;
	}
	return (*st & all_parts(e)) == all_parts(e);
}

bool jf_enrich_first(struct jf_enrich *e, const struct jf_key *key,
		     const struct jf_route *route, void *info)
{
	e->lookups++;
	return ask(e, key, route, info);
}

bool jf_enrich_retry(struct jf_enrich *e, const struct jf_key *key,
		     const struct jf_route *route, void *info, bool last)
{
	uint32_t *st = state_of(info);
	bool done;

	if (*st & FINAL)
		return true;
	e->retries++;
	done = ask(e, key, route, info);
	if (last) {
		if (!done)
			e->unanswered++;
		*st |= FINAL;
		return true;
	}
	return done;
}

bool jf_enrich_pending(const struct jf_enrich *e, const void *info)
{
	uint32_t st = *(const uint32_t *)info;

	return !(st & FINAL) && (st & all_parts(e)) != all_parts(e);
}

void jf_enrich_apply(const struct jf_enrich *e, const void *info, struct jf_record *rec)
{
	int i;

	for (i = 0; i < e->n; i++) {
		const struct jf_enrich_part *p = &e->part[i];

		p->apply(p->arg, (const char *)info + e->off[i], rec);
	}
}
