// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of aggregation in the agent (src/flow/aggregate.c): flow
 * records merged to a coarser record's key (addresses to /N, what the
 * record does not key by dropped, a lookup's answer kept), the merged
 * counters, times and flags, the idle and active timeouts, the bound on
 * what is held (the least recently updated leaves, reason 5), flush,
 * the figures, and the walk jflowctl uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "flow/aggregate.h"
#include "flow/records.h"
#include "jflowd/monitor.h"

#define MAX_OUT 4096

static struct jf_record out[MAX_OUT];
static int n_out;

static void emit(const struct jf_record *r, void *arg)
{
	(void)arg;
	assert_true(n_out < MAX_OUT);
	out[n_out++] = *r;
}

static void define(struct jf_record_def *d, const char *keys, const char *fields)
{
	char err[256];

	jf_record_init(d, "t", 1);
	assert_int_equal(jf_record_add_list(d, keys, true, 2, err, sizeof(err)), 0);
	assert_int_equal(jf_record_add_list(d, fields, false, 3, err, sizeof(err)), 0);
	assert_int_equal(jf_record_finish(d, err, sizeof(err)), 0);
}

/* A 5-tuple IPv4 flow record of monitor 2. */
static struct jf_record v4(const char *src, const char *dst, uint16_t sport, uint16_t dport,
			   uint8_t proto, uint64_t packets, uint64_t first, uint64_t last)
{
	struct jf_record r;

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, src, &r.key.src[0]);
	inet_pton(AF_INET, dst, &r.key.dst[0]);
	r.key.sport = sport;
	r.key.dport = dport;
	r.key.proto = proto;
	r.key.ifindex = 7;
	r.key.tos = 0x10;
	r.key.family = JF_FAMILY_IPV4;
	jf_key_set_monitor(&r.key, 2);
	r.packets = packets;
	r.octets = packets * 100;
	r.first_ms = first;
	r.last_ms = last;
	r.tcp_flags = proto == 6 ? 0x02 : 0;
	r.ttl_min = r.ttl_max = 64;
	return r;
}

static struct jf_aggregate *hosts24(struct jf_record_def *d, uint32_t idle, uint32_t active,
				    uint32_t max)
{
	struct jf_agg_params p = { .record = d, .idle_ms = idle, .active_ms = active, .max = max };

	define(d, "sourceIPv4Address/24, destinationIPv4Address/24, protocolIdentifier",
	       "octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds, "
	       "tcpControlBits, minimumTTL, maximumTTL");
	n_out = 0;
	return jf_agg_new(&p, emit, NULL);
}

static uint32_t a4(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Flows of one /24 pair and protocol merge into one record: its key the
 * networks and the protocol (ports, ToS, interface zero: the record does
 * not key by them), the monitor kept; counters summed, the earliest
 * first, the latest last, flags ORed, TTLs min and max. */
static void test_merge(void **state)
{
	struct jf_record_def d;
	struct jf_aggregate *a = hosts24(&d, 10000, 60000, 0);
	struct jf_record r1 = v4("10.1.2.3", "192.0.2.9", 1000, 443, 6, 5, 100, 200);
	struct jf_record r2 = v4("10.1.2.200", "192.0.2.77", 2000, 80, 6, 7, 50, 300);
	struct jf_record r3 = v4("10.1.2.3", "192.0.2.9", 1000, 53, 17, 3, 10, 20);
	struct jf_record r4 = v4("10.1.3.3", "192.0.2.9", 1000, 443, 6, 1, 10, 20);
	struct jf_cache_stats st;

	(void)state;
	assert_non_null(a);
	r2.tcp_flags = 0x11;
	r2.ttl_min = 3;
	r2.ttl_max = 200;
	jf_agg_add(a, &r1, 1000);
	jf_agg_add(a, &r2, 1001);
	jf_agg_add(a, &r3, 1002);
	jf_agg_add(a, &r4, 1003);
	jf_agg_get_stats(a, &st);
	assert_int_equal(st.flows, 3);
	assert_int_equal(st.packets, 16);
	assert_int_equal(st.octets, 1600);
	assert_int_equal(n_out, 0);
	assert_int_equal(jf_agg_flush(a, JF_END_FORCED), 3);
	assert_int_equal(n_out, 3);
	/* Oldest first: the 10.1.2/24 TCP aggregate. */
	assert_int_equal(out[0].key.src[0], a4("10.1.2.0"));
	assert_int_equal(out[0].key.dst[0], a4("192.0.2.0"));
	assert_int_equal(out[0].key.proto, 6);
	assert_int_equal(out[0].key.sport, 0);
	assert_int_equal(out[0].key.dport, 0);
	assert_int_equal(out[0].key.tos, 0);
	assert_int_equal(out[0].key.ifindex, 0);
	assert_int_equal(out[0].key.family, JF_FAMILY_IPV4);
	assert_int_equal(jf_key_monitor(&out[0].key), 2);
	assert_int_equal(out[0].packets, 12);
	assert_int_equal(out[0].octets, 1200);
	assert_int_equal(out[0].first_ms, 50);
	assert_int_equal(out[0].last_ms, 300);
	assert_int_equal(out[0].tcp_flags, 0x13);
	assert_int_equal(out[0].ttl_min, 3);
	assert_int_equal(out[0].ttl_max, 200);
	assert_int_equal(out[0].end_reason, JF_END_FORCED);
	/* UDP apart from TCP; 10.1.3/24 apart from 10.1.2/24. */
	assert_int_equal(out[1].key.proto, 17);
	assert_int_equal(out[1].packets, 3);
	assert_int_equal(out[2].key.src[0], a4("10.1.3.0"));
	assert_int_equal(out[2].packets, 1);
	jf_agg_get_stats(a, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.exported_packets, 16);
	assert_int_equal(st.exported_octets, 1600);
	assert_int_equal(st.expired[JF_END_FORCED], 3);
	jf_agg_free(a);
}

/* Idle: due idle_ms after its last flow; active: active_ms after its
 * first, however busy. */
static void test_timeouts(void **state)
{
	struct jf_record_def d;
	struct jf_aggregate *a = hosts24(&d, 1000, 5000, 0);
	struct jf_record r1 = v4("10.0.0.1", "10.9.0.1", 1, 2, 17, 1, 0, 0);
	struct jf_record r2 = v4("10.0.1.1", "10.9.0.1", 1, 2, 17, 1, 0, 0);
	uint64_t t;

	(void)state;
	jf_agg_add(a, &r1, 0);
	jf_agg_add(a, &r2, 0);
	/* r1's aggregate stays busy every 500 ms; r2's idles out at 1000. */
	assert_int_equal(jf_agg_expire(a, 999), 0);
	jf_agg_add(a, &r1, 500);
	assert_int_equal(jf_agg_expire(a, 1000), 1);
	assert_int_equal(out[0].key.src[0], a4("10.0.1.0"));
	assert_int_equal(out[0].end_reason, JF_END_IDLE);
	for (t = 1000; t < 5000; t += 500) {
		jf_agg_add(a, &r1, t);
		assert_int_equal(jf_agg_expire(a, t), 0);
	}
	assert_int_equal(jf_agg_expire(a, 5000), 1);
	assert_int_equal(out[1].key.src[0], a4("10.0.0.0"));
	assert_int_equal(out[1].end_reason, JF_END_ACTIVE);
	assert_int_equal(out[1].packets, 10);
	/* New timeouts apply to what is held. */
	jf_agg_add(a, &r2, 6000);
	jf_agg_set_timeouts(a, 100, 5000);
	assert_int_equal(jf_agg_expire(a, 6100), 1);
	jf_agg_free(a);
}

/* Held at most max (at least 1024): beyond, the least recently updated
 * leaves early, end reason 5, nothing lost. */
static void test_bound(void **state)
{
	struct jf_record_def d;
	struct jf_aggregate *a = hosts24(&d, 100000, 100000, 1024);
	struct jf_cache_stats st;
	char src[32];
	int i;

	(void)state;
	for (i = 0; i < 1100; i++) {
		struct jf_record r;

		snprintf(src, sizeof(src), "10.%d.%d.1", i / 256, i % 256);
		r = v4(src, "10.200.0.1", 1, 2, 17, 2, (uint64_t)i, (uint64_t)i);
		jf_agg_add(a, &r, (uint64_t)i);
		if (i == 10) {	/* the first aggregate is busy again */
			r = v4("10.0.0.1", "10.200.0.1", 1, 2, 17, 1, 10, 10);
			jf_agg_add(a, &r, 10);
		}
	}
	jf_agg_get_stats(a, &st);
	assert_int_equal(st.flows, 1024);
	assert_int_equal(n_out, 76);
	assert_int_equal(st.expired[JF_END_RESOURCES], 76);
	/* Least recently updated first: 10.0.1.0 to 10.0.10.0, then 10.0.0.0
	 * (updated at 10, after them), then 10.0.11.0 on. */
	for (i = 0; i < n_out; i++) {
		snprintf(src, sizeof(src), "10.0.%d.0", i < 10 ? i + 1 : i == 10 ? 0 : i);
		assert_int_equal(out[i].key.src[0], a4(src));
		assert_int_equal(out[i].end_reason, JF_END_RESOURCES);
	}
	assert_int_equal(out[10].packets, 3);
	assert_int_equal(st.packets + st.exported_packets, 2201);
	jf_agg_flush(a, JF_END_FORCED);
	jf_agg_get_stats(a, &st);
	assert_int_equal(st.exported_packets, 2201);
	jf_agg_free(a);
}

/* A record keyed by a lookup's answer: flows with different source ASes
 * stay apart although the record keeps nothing of the packet's key but
 * the family; the answer is in the aggregate. */
static void visit(const struct jf_key *k, const struct jf_flow *f, void *arg)
{
	uint64_t *sum = arg;

	(void)k;
	sum[0]++;
	sum[1] += f->packets;
}

static void test_lookup_key(void **state)
{
	struct jf_record_def d;
	struct jf_agg_params p = { .record = &d, .idle_ms = 1000, .active_ms = 1000 };
	struct jf_aggregate *a;
	struct jf_record r1 = v4("10.0.0.1", "10.9.0.1", 1, 2, 6, 4, 0, 0);
	struct jf_record r2 = v4("10.5.0.1", "10.8.0.1", 3, 4, 17, 5, 0, 0);
	struct jf_record r3 = v4("10.6.0.1", "10.7.0.1", 5, 6, 1, 6, 0, 0);
	uint64_t sum[2] = { 0, 0 };

	(void)state;
	define(&d, "bgpSourceAsNumber", "packetDeltaCount, octetDeltaCount");
	n_out = 0;
	a = jf_agg_new(&p, emit, NULL);
	assert_non_null(a);
	r1.bgp.src_as = 64500;
	r2.bgp.src_as = 64501;
	r3.bgp.src_as = 64500;
	jf_agg_add(a, &r1, 0);
	jf_agg_add(a, &r2, 0);
	jf_agg_add(a, &r3, 0);
	jf_agg_foreach(a, visit, sum);
	assert_int_equal(sum[0], 2);
	assert_int_equal(sum[1], 15);
	assert_int_equal(jf_agg_flush(a, JF_END_FORCED), 2);
	assert_int_equal(out[0].bgp.src_as, 64500);
	assert_int_equal(out[0].packets, 10);
	assert_int_equal(out[0].key.src[0], 0);
	assert_int_equal(out[0].key.proto, 0);
	assert_int_equal(out[1].bgp.src_as, 64501);
	assert_int_equal(out[1].packets, 5);
	jf_agg_free(a);
}

/* An IPv6 flow under an IPv4-only record key: its own family's mask (no
 * IPv6 element: every address bit dropped), never merged with IPv4. */
static void test_families(void **state)
{
	struct jf_record_def d;
	struct jf_aggregate *a = hosts24(&d, 1000, 1000, 0);
	struct jf_record r4 = v4("10.0.0.1", "10.9.0.1", 1, 2, 17, 1, 0, 0);
	struct jf_record r6 = r4, r6b;

	(void)state;
	r6.key.family = JF_FAMILY_IPV6;
	inet_pton(AF_INET6, "2001:db8::1", r6.key.src);
	inet_pton(AF_INET6, "2001:db8::2", r6.key.dst);
	r6b = r6;
	inet_pton(AF_INET6, "2001:db8:ffff::7", r6b.key.src);
	jf_agg_add(a, &r4, 0);
	jf_agg_add(a, &r6, 0);
	jf_agg_add(a, &r6b, 0);
	assert_int_equal(jf_agg_flush(a, JF_END_FORCED), 2);
	assert_int_equal(out[1].key.family, JF_FAMILY_IPV6);
	assert_int_equal(out[1].packets, 2);
	assert_int_equal(out[1].key.src[0] | out[1].key.src[3], 0);
	jf_agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_lookup_key),
		cmocka_unit_test(test_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
