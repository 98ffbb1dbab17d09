// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the persistent flow table on plain memory: the program's
 * update (jf_table_count, the same code the XDP program runs), the agent's
 * scan and removal, a full table, and the removal race: a CPU that checked
 * a slot before the agent marked it still adds to it; with the grace
 * period the agent reads that increment, without it the increment is lost. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "epoch.h"
#include "flow_table.h"

static struct jf_slot *slots_new(uint32_t n)
{
	struct jf_slot *s = aligned_alloc(64, (size_t)n * sizeof(*s));

	assert_non_null(s);
	memset(s, 0, (size_t)n * sizeof(*s));
	return s;
}

static struct jf_pkt pkt(uint32_t flow)
{
	struct jf_pkt p;

	memset(&p, 0, sizeof(p));
	p.key.family = JF_FAMILY_IPV4;
	p.key.proto = 6;
	p.key.src[0] = 0x0a000000u + flow;
	p.key.dst[0] = 0xc6336407u;
	p.key.sport = 40000;
	p.key.dport = 443;
	p.key.ifindex = 2;
	p.octets = 100;
	p.ttl = 64;
	p.tcp_flags = 0x10;
	return p;
}

/* Sums of what the table handed out. */
struct sink {
	uint64_t packets, octets, deltas, finals;
	uint32_t last_idx, last_out;
};

static void collect(void *arg, uint32_t idx, const struct jf_key *key,
		    const struct jf_table_delta *d)
{
	struct sink *s = arg;

	(void)key;
	s->packets += d->packets;
	s->octets += d->octets;
	s->deltas++;
	s->finals += d->final;
	s->last_idx = idx;
	s->last_out = d->out_ifindex;
}

static uint32_t count_state(const struct jf_slot *s, uint32_t n, uint32_t state)
{
	uint32_t i, c = 0;

	for (i = 0; i < n; i++)
		c += s[i].state == state;
	return c;
}

static void test_insert_and_hit(void **state)
{
	struct jf_slot *slots = slots_new(64);
	struct jf_table *t = jf_table_new(slots, 64);
	struct jf_table_stats st;
	struct sink sk = { 0 };
	uint32_t f, k;

	(void)state;
	assert_non_null(t);
	for (k = 0; k < 10; k++)
		for (f = 0; f < 20; f++) {
			struct jf_pkt p = pkt(f);

			assert_int_equal(jf_table_count(t, &p, 1000 + k), 0);
		}
	/* One slot per flow: inserted once, hit nine times. */
	assert_int_equal(count_state(slots, 64, JF_SLOT_LIVE), 20);
	assert_int_equal(jf_table_scan(t, 1, collect, &sk), 20);
	assert_int_equal(sk.packets, 200);
	assert_int_equal(sk.octets, 20000);
	jf_table_get_stats(t, &st);
	assert_int_equal(st.live, 20);
	/* Nothing moved: nothing to hand out. */
	memset(&sk, 0, sizeof(sk));
	assert_int_equal(jf_table_scan(t, 2, collect, &sk), 0);
	jf_table_free(t);
	free(slots);
}

/* Eight slots, eight flows: every flow finds a slot by probing (wrapping
 * at the end), and finds the same slot again. */
static void test_probe_and_full_table(void **state)
{
	struct jf_slot *slots = slots_new(8);
	struct jf_table *t = jf_table_new(slots, 8);
	struct sink sk = { 0 };
	struct jf_pkt p;
	uint32_t f;

	(void)state;
	for (f = 0; f < 8; f++) {
		p = pkt(f);
		assert_int_equal(jf_table_count(t, &p, 1), 0);
	}
	assert_int_equal(count_state(slots, 8, JF_SLOT_LIVE), 8);
	for (f = 0; f < 8; f++) {
		p = pkt(f);
		assert_int_equal(jf_table_count(t, &p, 2), 0);
	}
	assert_int_equal(count_state(slots, 8, JF_SLOT_LIVE), 8);
	/* A ninth flow finds no room: the program goes to the stash. */
	p = pkt(8);
	assert_int_equal(jf_table_count(t, &p, 3), -ENOSPC);
	assert_int_equal(jf_table_scan(t, 1, collect, &sk), 8);
	assert_int_equal(sk.packets, 16);
	jf_table_free(t);
	free(slots);
}

static int no_wait(void *arg)
{
	(void)arg;
	return 0;
}

/* The mirror mapping's output interface: kept by the slot from the insert
 * or from a later mapped packet (another CPU may have inserted the flow
 * unmapped), not cleared by unmapped ones, handed out with every delta,
 * the final one included. */
static void test_out_ifindex(void **state)
{
	struct jf_slot *slots = slots_new(64);
	struct jf_table *t = jf_table_new(slots, 64);
	struct sink sk = { 0 };
	struct jf_pkt p = pkt(5);

	(void)state;
	p.out_ifindex = 0;
	assert_int_equal(jf_table_count(t, &p, 1), 0);
	assert_int_equal(jf_table_scan(t, 1, collect, &sk), 1);
	assert_int_equal(sk.last_out, 0);
	p.out_ifindex = 20;
	assert_int_equal(jf_table_count(t, &p, 2), 0);
	p.out_ifindex = 0;
	assert_int_equal(jf_table_count(t, &p, 3), 0);
	assert_int_equal(jf_table_scan(t, 2, collect, &sk), 1);
	assert_int_equal(sk.last_out, 20);
	p = pkt(6);
	p.out_ifindex = 10;
	assert_int_equal(jf_table_count(t, &p, 4), 0);
	sk.last_out = 0;
	assert_int_equal(jf_table_remove_all(t, no_wait, NULL, collect, &sk), 2);
	assert_int_equal(sk.finals, 1);	/* flow 5 had no new packet */
	assert_int_equal(sk.last_out, 10);
	jf_table_free(t);
	free(slots);
}

/* A packet of a flow whose slot is being removed (here: during the wait)
 * skips the marked slot and takes a new one; nothing is lost. */
static int count_during_wait(void *arg)
{
	struct jf_table *t = arg;
	struct jf_pkt p = pkt(3);

	return jf_table_count(t, &p, 99);
}

static void test_removal(void **state)
{
	struct jf_slot *slots = slots_new(64);
	struct jf_table *t = jf_table_new(slots, 64);
	struct jf_table_stats st;
	struct sink sk = { 0 };
	struct jf_pkt p;
	uint32_t f;
	long n;

	(void)state;
	for (f = 0; f < 5; f++) {
		p = pkt(f);
		jf_table_count(t, &p, 1);
		jf_table_count(t, &p, 2);
	}
	assert_int_equal(jf_table_scan(t, 1000, collect, &sk), 5);
	/* Two more packets for flow 0 after the scan: in its final delta. */
	p = pkt(0);
	jf_table_count(t, &p, 3);
	jf_table_count(t, &p, 4);
	/* Not idle yet at 1500 ms with a 1 s timeout. */
	assert_int_equal(jf_table_expire_idle(t, 1500, 1000, no_wait, NULL, collect, &sk), 0);
	n = jf_table_expire_idle(t, 2000, 1000, count_during_wait, t, collect, &sk);
	assert_int_equal(n, 5);
	assert_int_equal(sk.finals, 1);		/* only flow 0 had news */
	assert_int_equal(sk.packets, 12);
	/* The packet counted during the wait lives in a new slot. */
	assert_int_equal(count_state(slots, 64, JF_SLOT_LIVE), 1);
	assert_int_equal(count_state(slots, 64, JF_SLOT_MARKED), 0);
	assert_int_equal(jf_table_scan(t, 2001, collect, &sk), 1);
	assert_int_equal(sk.packets, 13);
	jf_table_get_stats(t, &st);
	assert_int_equal(st.removed, 5);
	/* Freed slots are taken again. */
	for (f = 10; f < 60; f++) {
		p = pkt(f);
		assert_int_equal(jf_table_count(t, &p, 5), 0);
	}
	assert_int_equal(count_state(slots, 64, JF_SLOT_LIVE), 51);
	assert_int_equal(jf_table_remove_all(t, no_wait, NULL, collect, &sk), 51);
	assert_int_equal(sk.packets, 13 + 50);
	assert_int_equal(count_state(slots, 64, JF_SLOT_LIVE), 0);
	jf_table_free(t);
	free(slots);
}

/* The race, step by step. A "CPU" (thread) enters the program (sequence
 * odd), finds flow 0's slot LIVE with its key, and stops there; the agent
 * marks the slot; the CPU then adds its packet and leaves. With the wait
 * (jf_epoch_quiesce on the CPU's sequence) the agent reads after the add;
 * without it, the agent reads and frees first and the packet is lost. */
static struct jf_cpu_seq race_seq[JF_MAX_CPUS];
static volatile int race_checked, race_go;
static struct jf_table *race_t;
static struct jf_slot *race_slots;

static void *race_cpu(void *arg)
{
	struct jf_pkt p = pkt(0);
	uint32_t i;

	(void)arg;
	__atomic_fetch_add(&race_seq[0].seq, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 64; i++)
		if (race_slots[i].state == JF_SLOT_LIVE && jf_slot_key_equal(&race_slots[i], &p.key))
			break;
	assert_true(i < 64);
	__atomic_store_n(&race_checked, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&race_go, __ATOMIC_SEQ_CST))
		sched_yield();
	jf_slot_add(&race_slots[i], &p, 7);
	__atomic_fetch_add(&race_seq[0].seq, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int race_wait(void *arg)
{
	(void)arg;
	__atomic_store_n(&race_go, 1, __ATOMIC_SEQ_CST);
	jf_epoch_quiesce(race_seq, 1);
	return 0;
}

/* Returns the packets the agent handed out for 3 counted. */
static uint64_t race_run(bool wait)
{
	struct jf_pkt p = pkt(0);
	struct sink sk = { 0 };
	pthread_t th;

	race_slots = slots_new(64);
	race_t = jf_table_new(race_slots, 64);
	race_checked = race_go = 0;
	memset(race_seq, 0, sizeof(race_seq));
	jf_table_count(race_t, &p, 1);
	jf_table_count(race_t, &p, 2);
	pthread_create(&th, NULL, race_cpu, NULL);
	while (!__atomic_load_n(&race_checked, __ATOMIC_SEQ_CST))
		sched_yield();
	jf_table_remove_all(race_t, wait ? race_wait : no_wait, NULL, collect, &sk);
	__atomic_store_n(&race_go, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	/* Whatever is still live is read too (none should be). */
	jf_table_remove_all(race_t, no_wait, NULL, collect, &sk);
	jf_table_free(race_t);
	free(race_slots);
	return sk.packets;
}

static void test_race_with_grace_period(void **state)
{
	(void)state;
	assert_int_equal(race_run(true), 3);
}

/* The same without the wait loses the packet: this is what the grace
 * period is for, and it shows that the test above can fail. */
static void test_race_without_grace_period_loses(void **state)
{
	(void)state;
	assert_int_equal(race_run(false), 2);
}

/* Two writer threads count packets through the program's update, as two
 * CPUs would, inside their sequence counters; the agent scans and removes
 * every live slot again and again. Every packet must come out once. */
#define STRESS_FLOWS 512
#define STRESS_ROUNDS 300	/* removal rounds at least */
#define STRESS_MIN_PKTS 200000	/* per writer, at least */

struct stress_writer {
	int cpu;
	uint64_t counted, nospace;
};

static volatile int stress_stop;

static void *stress_cpu(void *arg)
{
	struct stress_writer *w = arg;
	uint64_t i;

	for (i = 0; !__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST); i++) {
		struct jf_pkt p = pkt((uint32_t)((i * 2654435761u + (uint64_t)w->cpu) %
						 STRESS_FLOWS));

		__atomic_fetch_add(&race_seq[w->cpu].seq, 1, __ATOMIC_SEQ_CST);
		if (jf_table_count(race_t, &p, i))
			w->nospace++;
		else
			w->counted++;
		__atomic_fetch_add(&race_seq[w->cpu].seq, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Each writer has counted STRESS_MIN_PKTS packets. */
static bool stress_enough(void)
{
	return __atomic_load_n(&race_seq[0].seq, __ATOMIC_SEQ_CST) >= 2 * STRESS_MIN_PKTS &&
	       __atomic_load_n(&race_seq[1].seq, __ATOMIC_SEQ_CST) >= 2 * STRESS_MIN_PKTS;
}

static int stress_wait(void *arg)
{
	(void)arg;
	jf_epoch_quiesce(race_seq, 2);
	return 0;
}

static void test_concurrent_removal(void **state)
{
	struct stress_writer w[2] = { { .cpu = 0 }, { .cpu = 1 } };
	struct sink sk = { 0 };
	pthread_t th[2];
	uint64_t rounds = 0;
	int i;

	(void)state;
	race_slots = slots_new(4096);
	race_t = jf_table_new(race_slots, 4096);
	memset(race_seq, 0, sizeof(race_seq));
	stress_stop = 0;
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, stress_cpu, &w[i]);
	/* Removing every live slot each round: the most removals there can
	 * be, all racing with the writers. */
	for (rounds = 0; rounds < STRESS_ROUNDS || !stress_enough(); rounds++) {
		jf_table_scan(race_t, rounds, collect, &sk);
		jf_table_expire_idle(race_t, rounds + 1, 0, stress_wait, NULL, collect, &sk);
	}
	__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	jf_table_remove_all(race_t, stress_wait, NULL, collect, &sk);
	print_message("%llu packets, %llu removal rounds, %llu slots removed\n",
		      (unsigned long long)(w[0].counted + w[1].counted),
		      (unsigned long long)rounds, (unsigned long long)sk.finals);
	assert_int_equal(w[0].nospace + w[1].nospace, 0);
	assert_int_equal(sk.packets, w[0].counted + w[1].counted);
	assert_int_equal(sk.octets, 100 * (w[0].counted + w[1].counted));
	assert_true(sk.finals > STRESS_ROUNDS);
	jf_table_free(race_t);
	free(race_slots);
}

static void test_sizing(void **state)
{
	(void)state;
	assert_int_equal(jf_table_slots_for(1048576), 1572864);
	/* 24 GiB: about 1.5 M flows. */
	assert_int_equal(jf_table_default_flows(24ull << 30), (24ull << 30) / 64 / 260);
	assert_int_equal(jf_table_default_flows(1ull << 30), 131072);
	assert_int_equal(jf_table_default_flows(1ull << 50), 16777216);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_and_hit),
		cmocka_unit_test(test_probe_and_full_table),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_out_ifindex),
		cmocka_unit_test(test_race_with_grace_period),
		cmocka_unit_test(test_race_without_grace_period_loses),
		cmocka_unit_test(test_concurrent_removal),
		cmocka_unit_test(test_sizing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
