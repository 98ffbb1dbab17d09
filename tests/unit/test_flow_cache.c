// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the flow cache: merging and every expiry reason, driven by
 * a fake clock (the cache takes time as an argument). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "flow/flow_cache.h"
#include "flow/flow_hash.h"

#define MAXREC 4096

static struct jf_record got[MAXREC];
static unsigned ngot;

static void collect(const struct jf_record *r, void *arg)
{
	(void)arg;
	assert_true(ngot < MAXREC);
	got[ngot++] = *r;
}

static struct jf_key key(uint32_t n, uint8_t proto)
{
	struct jf_key k;

	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.src[0] = n;
	k.dst[0] = 0x01020304;
	k.proto = proto;
	k.sport = (uint16_t)n;
	k.dport = 80;
	return k;
}

static void pkt(struct jf_flow_cache *c, uint32_t n, uint8_t proto, uint8_t flags,
		uint32_t len, uint64_t t)
{
	struct jf_key k = key(n, proto);
	struct jf_flow u = { .packets = 1, .octets = len, .first_ms = t, .last_ms = t,
			       .tcp_flags = flags, .ttl_min = 64, .ttl_max = 64 };

	jf_cache_update(c, &k, &u, t);
}

static struct jf_flow_cache *cache(uint32_t max)
{
	struct jf_cache_params p = { .max_flows = max, .idle_ms = 15000, .active_ms = 60000,
				     .fin_ms = 2000 };

	ngot = 0;
	return jf_cache_new(&p, collect, NULL);
}

/* Packets of one flow merge; an idle flow leaves after 15 s without one. */
static void test_idle(void **state)
{
	struct jf_flow_cache *c = cache(16);

	(void)state;
	pkt(c, 1, 17, 0, 100, 1000);
	pkt(c, 1, 17, 0, 200, 5000);
	assert_int_equal(jf_cache_expire(c, 19999), 0);	/* 14.999 s idle */
	assert_int_equal(jf_cache_expire(c, 20000), 1);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].packets, 2);
	assert_int_equal(got[0].octets, 300);
	assert_int_equal(got[0].first_ms, 1000);
	assert_int_equal(got[0].last_ms, 5000);
	assert_int_equal(got[0].end_reason, JF_END_IDLE);
	jf_cache_free(c);
}

/* fragmentIdentification is the last packet's: a delta that ends later
 * brings its own, an older one (a spilled packet merged late) does not. */
static void test_frag_id_last(void **state)
{
	struct jf_flow_cache *c = cache(16);
	struct jf_key k = key(1, 17);
	struct jf_flow u = { .packets = 1, .octets = 100, .first_ms = 1000, .last_ms = 1000,
			     .frag_id = 7 };

	(void)state;
	jf_cache_update(c, &k, &u, 1000);
	u.first_ms = u.last_ms = 3000;
	u.frag_id = 9;
	jf_cache_update(c, &k, &u, 3000);
	u.first_ms = u.last_ms = 2000;
	u.frag_id = 8;
	jf_cache_update(c, &k, &u, 3000);
	assert_int_equal(jf_cache_flush(c, JF_END_FORCED), 1);
	assert_int_equal(got[0].frag_id, 9);
	assert_int_equal(got[0].packets, 3);
	jf_cache_free(c);
}

/* A busy flow is exported every 60 s (active timeout); its next packet
 * starts a new record, and no packet is counted twice or lost. */
static void test_active(void **state)
{
	struct jf_flow_cache *c = cache(16);
	uint64_t t, total = 0;
	unsigned i;

	(void)state;
	for (t = 0; t <= 150000; t += 1000) {
		jf_cache_expire(c, t);
		pkt(c, 7, 6, 0x10, 10, t);
	}
	jf_cache_flush(c, JF_END_FORCED);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[0].end_reason, JF_END_ACTIVE);
	assert_int_equal(got[0].first_ms, 0);
	assert_int_equal(got[0].last_ms, 59000);
	assert_int_equal(got[1].end_reason, JF_END_ACTIVE);
	assert_int_equal(got[1].first_ms, 60000);
	assert_int_equal(got[2].end_reason, JF_END_FORCED);
	for (i = 0; i < ngot; i++)
		total += got[i].packets;
	assert_int_equal(total, 151);
	jf_cache_free(c);
}

/* FIN or RST ends a TCP flow after the linger, so the closing packets stay
 * in the same record; FIN on UDP means nothing. */
static void test_fin_linger(void **state)
{
	struct jf_flow_cache *c = cache(16);

	(void)state;
	pkt(c, 1, 6, 0x02, 60, 0);	/* SYN */
	pkt(c, 1, 6, 0x11, 60, 1000);	/* FIN ACK */
	pkt(c, 1, 6, 0x10, 40, 1500);	/* last ACK, inside the linger */
	pkt(c, 2, 6, 0x04, 40, 1000);	/* RST */
	pkt(c, 3, 17, 0x01, 40, 1000);	/* not TCP */
	assert_int_equal(jf_cache_expire(c, 2999), 0);
	assert_int_equal(jf_cache_expire(c, 3000), 2);
	assert_int_equal(got[0].end_reason, JF_END_FLOW_END);
	assert_int_equal(got[0].packets, 3);
	assert_int_equal(got[0].tcp_flags, 0x13);
	assert_int_equal(got[1].end_reason, JF_END_FLOW_END);
	assert_int_equal(got[1].tcp_flags, 0x04);
	jf_cache_flush(c, JF_END_FORCED);
	assert_int_equal(got[2].key.proto, 17);
	jf_cache_free(c);
}

/* A full cache expires its least recently updated flow to make room. */
static void test_emergency(void **state)
{
	struct jf_flow_cache *c = cache(4);
	struct jf_cache_stats st;
	uint32_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		pkt(c, i, 17, 0, 100, i);
	pkt(c, 0, 17, 0, 100, 10);	/* flow 0 is now the freshest */
	pkt(c, 9, 17, 0, 100, 11);	/* no room: flow 1 goes */
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].key.src[0], 1);
	assert_int_equal(got[0].end_reason, JF_END_RESOURCES);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.flows, 4);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.expired[JF_END_RESOURCES], 1);
	jf_cache_free(c);
}

/* Expiry looks only at list heads: a tick with nothing due examines three
 * heads whatever the cache holds, and each expired flow costs one more. */
static void test_expiry_is_not_a_scan(void **state)
{
	struct jf_flow_cache *c = cache(200000);
	struct jf_cache_stats st;
	uint64_t before;
	uint32_t i;

	(void)state;
	for (i = 0; i < 200000; i++)
		pkt(c, i, 17, 0, 100, 1000 + i / 1000);
	jf_cache_get_stats(c, &st);
	before = st.expire_checks;
	assert_int_equal(jf_cache_expire(c, 1000 + 14999), 0);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.expire_checks - before, 3);
	/* Flows 0-999 (updated at 1000) go at 16000, the rest stay. */
	before = st.expire_checks;
	assert_int_equal(jf_cache_expire(c, 16000), 1000);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.expire_checks - before, 1000 + 3);
	assert_int_equal(st.flows, 199000);
	jf_cache_free(c);
}

/* Counters of the cache agree with the records it emitted. */
static void test_stats_balance(void **state)
{
	struct jf_flow_cache *c = cache(64);
	struct jf_cache_stats st;
	uint64_t sum = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < 1000; i++)
		pkt(c, (i * 7) % 100, (i & 1) ? 6 : 17, (i % 50 == 0) ? 1 : 0x10, 100 + i, i * 100);
	jf_cache_expire(c, 50000);
	jf_cache_get_stats(c, &st);
	for (i = 0; i < ngot; i++)
		sum += got[i].packets;
	assert_int_equal(sum, st.exported_packets);
	assert_int_equal(st.exported_packets + st.packets, 1000);
	jf_cache_free(c);
}

/* Expiry returns at once until the earliest deadline of the list heads,
 * and must still see every flow the moment it is due: a flow that starts
 * an empty list, a FIN timeout of zero (due the very millisecond), new
 * timeouts from a reload, a head that left. */
static void test_expiry_early_return_is_exact(void **state)
{
	struct jf_cache_params p = { .max_flows = 16, .idle_ms = 15000, .active_ms = 60000,
				     .fin_ms = 0 };
	struct jf_flow_cache *c;

	(void)state;
	ngot = 0;
	c = jf_cache_new(&p, collect, NULL);
	assert_non_null(c);
	/* Empty: nothing is due, ever, until a list gets a head. */
	assert_int_equal(jf_cache_expire(c, 1000), 0);
	pkt(c, 1, 17, 0, 100, 1000);
	assert_int_equal(jf_cache_expire(c, 15999), 0);
	assert_int_equal(jf_cache_expire(c, 16000), 1);
	/* A FIN at the time of the last expiry, lingering 0 ms: due now. */
	pkt(c, 2, 6, 0x10, 100, 16000);
	assert_int_equal(jf_cache_expire(c, 16000), 0);
	pkt(c, 2, 6, 0x01, 100, 16000);
	assert_int_equal(jf_cache_expire(c, 16000), 1);
	assert_int_equal(got[1].end_reason, JF_END_FLOW_END);
	assert_int_equal(got[1].packets, 2);
	/* A reload shortens the idle timeout: the flow is due at once. */
	pkt(c, 3, 17, 0, 100, 17000);
	assert_int_equal(jf_cache_expire(c, 18000), 0);
	jf_cache_set_timeouts(c, 500, 60000, 0);
	assert_int_equal(jf_cache_expire(c, 18000), 1);
	assert_int_equal(got[2].end_reason, JF_END_IDLE);
	/* The idle head moves to the tail: the next head is due on time. */
	jf_cache_set_timeouts(c, 15000, 60000, 0);
	pkt(c, 4, 17, 0, 100, 20000);
	pkt(c, 5, 17, 0, 100, 21000);
	assert_int_equal(jf_cache_expire(c, 21000), 0);
	pkt(c, 4, 17, 0, 100, 22000);
	assert_int_equal(jf_cache_expire(c, 35999), 0);
	assert_int_equal(jf_cache_expire(c, 36000), 1);
	assert_int_equal(got[3].key.src[0], 5);
	assert_int_equal(jf_cache_expire(c, 37000), 1);
	assert_int_equal(got[4].key.src[0], 4);
	assert_int_equal(ngot, 5);
	jf_cache_free(c);
}

/* Keys that differ in one byte anywhere, the last ones included, are
 * different flows. */
static void test_keys_differ_anywhere(void **state)
{
	struct jf_flow_cache *c = cache(256);
	struct jf_flow u = { .packets = 1, .octets = 100, .first_ms = 1000, .last_ms = 1000,
			     .ttl_min = 64, .ttl_max = 64 };
	struct jf_cache_stats st;
	struct jf_key k;
	size_t b;

	(void)state;
	k = key(1, 17);
	jf_cache_update(c, &k, &u, 1000);
	for (b = 0; b < sizeof(k); b++) {
		k = key(1, 17);
		((unsigned char *)&k)[b] ^= 0x80;
		jf_cache_update(c, &k, &u, 1000);
	}
	k = key(1, 17);
	jf_cache_update(c, &k, &u, 1000);	/* merges with the first */
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.flows, sizeof(k) + 1);
	assert_int_equal(st.packets, sizeof(k) + 2);
	jf_cache_free(c);
}

/* Two keys with the same 32-bit hash that differ only in their last four
 * bytes (found by search: about eight such pairs among 2^18 tails) are
 * two flows: the hash only narrows the compare, the key decides. */
struct hashed {
	uint32_t hash;
	uint32_t tail;
};

static int by_hash(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void test_hash_collision_is_two_flows(void **state)
{
	enum { N = 1 << 18 };
	struct hashed *h = calloc(N, sizeof(*h));
	struct jf_flow u = { .packets = 1, .octets = 100, .first_ms = 1000, .last_ms = 1000,
			     .ttl_min = 64, .ttl_max = 64 };
	struct jf_flow_cache *c = cache(16);
	struct jf_cache_stats st;
	struct jf_key k[2];
	uint32_t i, tail;

	(void)state;
	assert_non_null(h);
	k[0] = key(1, 17);
	for (i = 0; i < N; i++) {
		tail = i * 2654435761u;
		memcpy((unsigned char *)&k[0] + 56, &tail, 4);
		h[i].hash = jf_flow_hash(&k[0]);
		h[i].tail = tail;
	}
	qsort(h, N, sizeof(*h), by_hash);
	for (i = 1; i < N && h[i].hash != h[i - 1].hash; i++)
		;
	assert_true(i < N);
	k[1] = k[0];
	memcpy((unsigned char *)&k[0] + 56, &h[i - 1].tail, 4);
	memcpy((unsigned char *)&k[1] + 56, &h[i].tail, 4);
	assert_int_equal(jf_flow_hash(&k[0]), jf_flow_hash(&k[1]));
	jf_cache_update(c, &k[0], &u, 1000);
	jf_cache_update(c, &k[1], &u, 1000);
	jf_cache_update(c, &k[0], &u, 1000);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.flows, 2);
	assert_int_equal(jf_cache_flush(c, JF_END_FORCED), 2);
	assert_int_equal(got[0].packets + got[1].packets, 3);
	assert_int_equal(got[0].packets * got[1].packets, 2);
	jf_cache_free(c);
	free(h);
}

/* The idle list (last update order) and the active list (creation order)
 * are kept apart: a flow updated goes to the idle tail and stays where it
 * was on the active list. */
static uint32_t seen[8];
static unsigned nseen;

static void visit(const struct jf_key *k, const struct jf_flow *f, void *arg)
{
	(void)f;
	(void)arg;
	if (nseen < 8)
		seen[nseen] = k->src[0];
	nseen++;
}

/* A listing in steps (jflowctl flows) while flows expire and new ones
 * take freed slots: every flow that lives through it is visited exactly
 * once, an expired one is not visited after it left. */
static void test_listing_in_steps(void **state)
{
	struct jf_flow_cache *c = cache(16);
	uint64_t cur = 0;
	unsigned i, twice = 0;
	uint32_t count[16] = { 0 };

	(void)state;
	for (i = 1; i <= 6; i++)
		pkt(c, i, 17, 0, 100, 0);	/* slots 0-5, flows 1-6 */
	nseen = 0;
	assert_false(jf_cache_foreach_from(c, &cur, 2, visit, NULL));	/* 1, 2 */
	for (i = 0; i < nseen; i++)
		count[seen[i]]++;
	/* 1 and 4 leave (idle), their slots go to 7 and 8. */
	pkt(c, 2, 17, 0, 100, 10000);
	pkt(c, 3, 17, 0, 100, 10000);
	pkt(c, 5, 17, 0, 100, 10000);
	pkt(c, 6, 17, 0, 100, 10000);
	assert_int_equal(jf_cache_expire(c, 15000), 2);
	pkt(c, 7, 17, 0, 100, 15000);
	pkt(c, 8, 17, 0, 100, 15000);
	nseen = 0;
	while (!jf_cache_foreach_from(c, &cur, 1, visit, NULL))
		;
	for (i = 0; i < nseen; i++)
		count[seen[i]]++;
	for (i = 2; i <= 6; i++) {
		if (i == 4)
			continue;
		assert_int_equal(count[i], 1);
	}
	assert_int_equal(count[4], 0);	/* gone before the cursor got there */
	for (i = 0; i < 16; i++)
		twice += count[i] > 1;
	assert_int_equal(twice, 0);
	jf_cache_free(c);
}

static void test_lists_are_independent(void **state)
{
	struct jf_flow_cache *c = cache(16);
	uint64_t t;

	(void)state;
	pkt(c, 1, 17, 0, 100, 0);	/* A */
	pkt(c, 2, 17, 0, 100, 1000);	/* B */
	pkt(c, 3, 17, 0, 100, 2000);	/* C */
	/* every 10 s, C then A then B: never idle; idle order C, A, B */
	for (t = 10000; t <= 50000; t += 10000) {
		pkt(c, 3, 17, 0, 100, t);
		pkt(c, 1, 17, 0, 100, t + 1);
		pkt(c, 2, 17, 0, 100, t + 2);
		assert_int_equal(jf_cache_expire(c, t + 2), 0);
	}
	nseen = 0;
	{
		uint64_t cur = 0;

		/* In steps of one slot, as jflowctl's listing goes. */
		while (!jf_cache_foreach_from(c, &cur, 1, visit, NULL))
			;
	}
	assert_int_equal(nseen, 3);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 3);
	/* active timeout, in creation order */
	assert_int_equal(jf_cache_expire(c, 60000), 1);
	assert_int_equal(jf_cache_expire(c, 61000), 1);
	assert_int_equal(jf_cache_expire(c, 62000), 1);
	assert_int_equal(got[0].key.src[0], 1);
	assert_int_equal(got[1].key.src[0], 2);
	assert_int_equal(got[2].key.src[0], 3);
	assert_int_equal(got[2].end_reason, JF_END_ACTIVE);
	assert_int_equal(got[2].packets, 6);
	/* then idle, in update order: C at 50000 goes at 65000, then A, B */
	pkt(c, 3, 17, 0, 100, 62500);
	pkt(c, 1, 17, 0, 100, 62600);
	pkt(c, 2, 17, 0, 100, 62700);
	assert_int_equal(jf_cache_expire(c, 77599), 1);
	assert_int_equal(got[3].key.src[0], 3);
	assert_int_equal(jf_cache_expire(c, 77700), 2);
	assert_int_equal(got[4].key.src[0], 1);
	assert_int_equal(got[5].key.src[0], 2);
	assert_int_equal(got[5].end_reason, JF_END_IDLE);
	jf_cache_free(c);
}

/* A flush empties the cache at once: every flow leaves in creation order,
 * the counters balance, and the same keys afterwards are new flows that
 * expire on their own times. */
static void test_flush_then_reuse(void **state)
{
	struct jf_flow_cache *c = cache(64);
	struct jf_cache_stats st;
	unsigned i;

	(void)state;
	for (i = 0; i < 40; i++)
		pkt(c, i, 6, i % 7 == 0 ? 0x01 : 0x10, 100, 1000 + i);
	for (i = 0; i < 40; i += 3)	/* reorder the idle list */
		pkt(c, i, 6, 0x10, 100, 2000 + i);
	assert_int_equal(jf_cache_flush(c, JF_END_FORCED), 40);
	for (i = 0; i < 40; i++) {
		assert_int_equal(got[i].key.src[0], i);
		assert_int_equal(got[i].end_reason, JF_END_FORCED);
		assert_int_equal(got[i].packets, i % 3 == 0 ? 2 : 1);
	}
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.exported_packets, 54);
	assert_int_equal(jf_cache_expire(c, 100000), 0);
	/* the same keys again: new flows, in a cache that fills to its size */
	ngot = 0;
	for (i = 0; i < 64; i++)
		pkt(c, i, 6, 0x10, 100, 200000 + i);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.created, 40 + 64);
	assert_int_equal(st.flows, 64);
	assert_int_equal(st.expired[JF_END_RESOURCES], 0);
	assert_int_equal(jf_cache_expire(c, 200000 + 15000), 1);
	assert_int_equal(got[0].key.src[0], 0);
	assert_int_equal(got[0].packets, 1);
	assert_int_equal(jf_cache_expire(c, 200000 + 15063), 63);
	jf_cache_get_stats(c, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.exported_packets, 54 + 64);
	jf_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_frag_id_last),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_fin_linger),
		cmocka_unit_test(test_emergency),
		cmocka_unit_test(test_expiry_is_not_a_scan),
		cmocka_unit_test(test_stats_balance),
		cmocka_unit_test(test_expiry_early_return_is_exact),
		cmocka_unit_test(test_keys_differ_anywhere),
		cmocka_unit_test(test_hash_collision_is_two_flows),
		cmocka_unit_test(test_lists_are_independent),
		cmocka_unit_test(test_listing_in_steps),
		cmocka_unit_test(test_flush_then_reuse),
	};
	return cmocka_run_group_tests_name("flow_cache", tests, NULL, NULL);
}
