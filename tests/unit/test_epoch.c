// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit test of the epoch switch on plain shared memory: writer threads,
 * one pinned per CPU, do what the XDP program does (sequence up, read the
 * epoch, add to the map of that epoch, sequence up) while the drainer
 * flips, quiesces and reads-and-zeroes the old map, as the agent does.
 * Not one increment may be lost. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "meter/epoch.h"

#define NKEYS 64
#define WRITERS 2
#define ROUNDS 2000000
#define MIN_DRAINS 200	/* epoch switches the writers must race against */

static volatile __u64 epoch;
static struct jf_cpu_seq seq[JF_MAX_CPUS];
static uint64_t map[2][NKEYS];
static volatile int writers_left;
static uint64_t drains_done;

struct writer {
	int cpu;
	uint64_t done;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	cpu_set_t set;
	uint64_t i;

	CPU_ZERO(&set);
	CPU_SET(w->cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* At least ROUNDS increments, and on until the drainer has switched
	 * epochs MIN_DRAINS times: on a loaded machine the race still happens
	 * often enough to mean something. */
	for (i = 0; i < ROUNDS || __atomic_load_n(&drains_done, __ATOMIC_RELAXED) < MIN_DRAINS;
	     i++) {
		__u64 e;

		__atomic_fetch_add(&seq[w->cpu].seq, 1, __ATOMIC_SEQ_CST);
		e = __atomic_load_n(&epoch, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&map[e & 1][i % NKEYS], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&seq[w->cpu].seq, 1, __ATOMIC_SEQ_CST);
	}
	w->done = i;
	__atomic_fetch_sub(&writers_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Flip, wait, then the old map has no writer: read and zero it plainly. */
static uint64_t drain_once(void)
{
	__u64 old = jf_epoch_flip(&epoch);
	uint64_t sum = 0;
	int k;

	jf_epoch_quiesce(seq, WRITERS);
	for (k = 0; k < NKEYS; k++) {
		sum += map[old & 1][k];
		map[old & 1][k] = 0;
	}
	return sum;
}

static void test_no_increment_lost(void **state)
{
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	uint64_t drained = 0, drains = 0, written = 0;
	int i;

	(void)state;
	drains_done = 0;
	writers_left = WRITERS;
	for (i = 0; i < WRITERS; i++) {
		w[i].cpu = i;
		pthread_create(&th[i], NULL, writer, &w[i]);
	}
	while (__atomic_load_n(&writers_left, __ATOMIC_SEQ_CST)) {
		drained += drain_once();
		drains++;
		__atomic_store_n(&drains_done, drains, __ATOMIC_RELAXED);
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		written += w[i].done;
	}
	drained += drain_once();
	drained += drain_once();
	print_message("%llu increments over %llu epoch switches\n",
		      (unsigned long long)drained, (unsigned long long)drains);
	assert_true(drains >= MIN_DRAINS);
	assert_true(written >= (uint64_t)WRITERS * ROUNDS);
	assert_int_equal(drained, written);
}

/* The drainer's side of test_quiesce_waits: quiesce over two CPUs, then
 * say so and what it returned. */
struct drainer {
	int waited;
	volatile int started, done;
};

static void *drainer(void *arg)
{
	struct drainer *d = arg;

	__atomic_store_n(&d->started, 1, __ATOMIC_SEQ_CST);
	d->waited = jf_epoch_quiesce(seq, 2);
	__atomic_store_n(&d->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A CPU inside the program (odd sequence) is waited for: the drainer is
 * still blocked while it stays inside, for as long as we care to look
 * (200 ms here, against microseconds for a quiesce with nobody inside),
 * and returns, counting it, once it leaves. A CPU outside (even) is not
 * waited for. */
static void test_quiesce_waits(void **state)
{
	struct timespec look = { 0, 200 * 1000 * 1000 };
	struct drainer d = { 0 };
	pthread_t th;

	(void)state;
	memset(seq, 0, sizeof(seq));
	seq[0].seq = 4;		/* outside */
	seq[1].seq = 7;		/* inside: entered, not left */
	assert_int_equal(pthread_create(&th, NULL, drainer, &d), 0);
	while (!__atomic_load_n(&d.started, __ATOMIC_SEQ_CST))
		sched_yield();
	nanosleep(&look, NULL);
	assert_false(__atomic_load_n(&d.done, __ATOMIC_SEQ_CST));
	/* Another pass through the program on CPU 0 changes nothing. */
	__atomic_fetch_add(&seq[0].seq, 2, __ATOMIC_SEQ_CST);
	nanosleep(&look, NULL);
	assert_false(__atomic_load_n(&d.done, __ATOMIC_SEQ_CST));
	/* CPU 1 leaves the program: the drainer goes on. */
	__atomic_fetch_add(&seq[1].seq, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(d.done);
	assert_int_equal(d.waited, 1);
}

/* Nobody inside: nothing to wait for; the flip returns the old epoch. */
static void test_quiesce_idle(void **state)
{
	(void)state;
	memset(seq, 0, sizeof(seq));
	seq[0].seq = 4;
	seq[1].seq = 6;
	assert_int_equal(jf_epoch_quiesce(seq, 2), 0);
	epoch = 7;
	assert_int_equal(jf_epoch_flip(&epoch), 7);
	assert_int_equal(epoch, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_increment_lost),
		cmocka_unit_test(test_quiesce_waits),
		cmocka_unit_test(test_quiesce_idle),
	};
	return cmocka_run_group_tests_name("epoch", tests, NULL, NULL);
}
