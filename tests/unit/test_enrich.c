// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The per-flow lookups beyond the route (src/flow/enrich.c) in the keyed
 * cache and in the table: asked once when a flow enters, again at each
 * drain while a part has not answered, one last time when the flow's first
 * record leaves; every record carries the part's answer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "flow/enrich.h"
#include "flow/flow_cache.h"
#include "meter/flow_table.h"

/* A part that answers a flow's destination AS (its source address) at the
 * answer_at-th ask of that flow, never with answer_at 0. */
struct fake {
	int answer_at;
	int asks[64];
};

struct fake_info {
	uint32_t asked;
	uint32_t as;
};

static bool fake_lookup(void *arg, const struct jf_key *key, const struct jf_route *route,
			void *info)
{
	struct fake *f = arg;
	struct fake_info *fi = info;

	(void)route;
	fi->asked++;
	f->asks[key->src[0] & 63]++;
	if (!f->answer_at || (int)fi->asked < f->answer_at)
		return false;
	fi->as = 64500 + key->src[0];
	return true;
}

static void fake_apply(void *arg, const void *info, struct jf_record *rec)
{
	const struct fake_info *fi = info;

	(void)arg;
	rec->bgp.dst_as = fi->as;
}

struct got {
	uint32_t as[64];
	int records;
};

static void emit(const struct jf_record *rec, void *arg)
{
	struct got *g = arg;

	g->as[rec->key.src[0] & 63] = rec->bgp.dst_as;
	g->records++;
}

static void setup_enrich(struct jf_enrich *e, struct fake *f)
{
	struct jf_enrich_part p = {
		.name = "fake", .info_bytes = sizeof(struct fake_info),
		.lookup = fake_lookup, .apply = fake_apply, .arg = f,
	};

	jf_enrich_init(e);
	assert_int_equal(jf_enrich_add(e, &p), 0);
	assert_true(jf_enrich_info_bytes(e) >= sizeof(struct fake_info));
}

static struct jf_key key_of(uint32_t n)
{
	struct jf_key k;

	memset(&k, 0, sizeof(k));
	k.family = JF_FAMILY_IPV4;
	k.proto = 17;
	k.src[0] = n;
	k.dst[0] = 0x01020304;
	k.sport = 1000;
	k.dport = 53;
	k.ifindex = 2;
	return k;
}

/* Cache: answered at the third ask, i.e. two drains after the flow came;
 * the record carries the answer. */
static void test_cache_retries_until_answered(void **state)
{
	struct jf_cache_params cp = { .max_flows = 64, .idle_ms = 10000, .active_ms = 60000,
				      .fin_ms = 2000 };
	struct fake f = { .answer_at = 3 };
	struct got g = { 0 };
	struct jf_enrich e;
	struct jf_flow_cache *c;
	struct jf_key k = key_of(7);
	struct jf_flow u = jf_flow_packet(100, 0, 64, 0, 1000);

	(void)state;
	setup_enrich(&e, &f);
	c = jf_cache_new(&cp, emit, &g);
	assert_non_null(c);
	assert_int_equal(jf_cache_set_enrich(c, &e), 0);
	jf_cache_update(c, &k, &u, 1000);
	assert_int_equal(f.asks[7], 1);
	jf_cache_expire(c, 2000);
	assert_int_equal(f.asks[7], 2);
	jf_cache_expire(c, 3000);
	assert_int_equal(f.asks[7], 3);
	jf_cache_expire(c, 4000);	/* answered: never asked again */
	assert_int_equal(f.asks[7], 3);
	jf_cache_flush(c, JF_END_FORCED);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.as[7], 64507);
	assert_int_equal(e.unanswered, 0);
	jf_cache_free(c);
}

/* Cache: a part that never answers is asked one last time as the record
 * leaves, and the record carries its zero answer. */
static void test_cache_unanswered_is_zero(void **state)
{
	struct jf_cache_params cp = { .max_flows = 64, .idle_ms = 10000, .active_ms = 60000,
				      .fin_ms = 2000 };
	struct fake f = { .answer_at = 0 };
	struct got g = { 0 };
	struct jf_enrich e;
	struct jf_flow_cache *c;
	struct jf_key k = key_of(9);
	struct jf_flow u = jf_flow_packet(100, 0, 64, 0, 1000);

	(void)state;
	setup_enrich(&e, &f);
	c = jf_cache_new(&cp, emit, &g);
	assert_int_equal(jf_cache_set_enrich(c, &e), 0);
	jf_cache_update(c, &k, &u, 1000);
	jf_cache_expire(c, 2000);
	jf_cache_flush(c, JF_END_FORCED);
	assert_int_equal(f.asks[9], 3);	/* first, one drain, the last ask */
	assert_int_equal(g.records, 1);
	assert_int_equal(g.as[9], 0);
	assert_int_equal(e.unanswered, 1);
	jf_cache_free(c);
}

/* Table: the same through the agent's pass over the slots. */
static void test_table_retries_until_answered(void **state)
{
	uint32_t n = 64;
	struct jf_slot *slots = aligned_alloc(64, (size_t)n * JF_SLOT_BYTES);
	struct fake f = { .answer_at = 2 };
	struct got g = { 0 };
	struct jf_enrich e;
	struct jf_table *t;
	struct jf_pkt p;

	(void)state;
	assert_non_null(slots);
	memset(slots, 0, (size_t)n * JF_SLOT_BYTES);
	setup_enrich(&e, &f);
	t = jf_table_new(slots, n);
	assert_non_null(t);
	assert_int_equal(jf_table_set_export(t, emit, &g, NULL, NULL), 0);
	assert_int_equal(jf_table_set_enrich(t, &e), 0);
	memset(&p, 0, sizeof(p));
	p.key = key_of(5);
	p.octets = 100;
	p.ttl = 64;
	assert_int_equal(jf_table_count(t, &p, 1000000), 0);
	jf_table_expire(t, 1000, NULL, NULL);	/* first sight: asked once */
	assert_int_equal(f.asks[5], 1);
	jf_table_expire(t, 2000, NULL, NULL);	/* answered at the second ask */
	assert_int_equal(f.asks[5], 2);
	jf_table_expire(t, 3000, NULL, NULL);
	assert_int_equal(f.asks[5], 2);
	assert_int_equal(jf_table_flush(t, 4000, JF_END_FORCED), 1);
	assert_int_equal(g.as[5], 64505);
	jf_table_free(t);
	free(slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_retries_until_answered),
		cmocka_unit_test(test_cache_unanswered_is_zero),
		cmocka_unit_test(test_table_retries_until_answered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
