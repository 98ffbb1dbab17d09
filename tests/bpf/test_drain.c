// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* (One packet per test run: a repeat count above 1 costs ~300 us per call
 * on this kernel, against ~2 us for a single run.)
 *
 * The lossless drain with the real XDP program and the agent's real drain
 * path (src/meter/xdp_meter.c): two threads, one pinned per CPU, run
 * packets of the same flows through the program with BPF_PROG_TEST_RUN
 * while the main thread switches epochs, drains, and merges the spill ring
 * into a flow cache. The persistent table (96 slots) and the epoch maps
 * (its stash) are far smaller than the flow count, so packets take all
 * three paths: table, stash, spill ring; and table slots unchanged for 2 ms
 * are removed (mark, grace period, read, free) while the runners keep
 * adding to them (at least LIVE_REMOVALS in seq mode: the runners go on
 * past ROUNDS until then, as a loaded machine drains less often). Every
 * packet run must end up in a flow record or in a loss counter: exactly,
 * per flow. Exits 77 without root. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "service/config.h"
#include "flow/flow_cache.h"
#include "log.h"
#include "meter/xdp_meter.h"
#include "../lib/pktbuild.h"

#define FLOWS 3000

#define ROUNDS 100		/* at least; more until the run has done its work */
#define MAX_ROUNDS 2000		/* but never more */
#define RUNNERS 2
#define LIVE_REMOVALS 1000	/* seq mode: table removals racing the runners */

static struct pb pkts[FLOWS];
static uint64_t got_packets[FLOWS];
static volatile int runners_left;
static volatile int enough;	/* set by the main thread */
static int prog_fd;

struct runner {
	int cpu;
	uint64_t runs;
	uint64_t rounds;	/* whole rounds: every flow once per round */
	int err;
};

/* Flow i: a UDP flow whose source port is the index. */
static void build(void)
{
	int i;

	for (i = 0; i < FLOWS; i++) {
		pb_init(&pkts[i]);
		pb_eth(&pkts[i]);
		pb_u16(&pkts[i], 0x0800);
		pb_ipv4(&pkts[i], 0xc6120000 + (uint32_t)(i / 1000), 0xc6130001, 17, 0, 64,
			28 + 100, 0, 0);
		pb_udp(&pkts[i], (uint16_t)(10000 + i), 53, 108);
		pb_zero(&pkts[i], 100);
	}
}

static void *run(void *arg)
{
	struct runner *r = arg;
	cpu_set_t set;
	int round, i;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* Whole rounds only, so that every flow is run the same number of
	 * times per runner. How many removals race the runners depends on
	 * how fast the main thread drains, which a loaded machine slows; so
	 * the runners go on until the main thread has seen enough. */
	for (round = 0; round < MAX_ROUNDS &&
			(round < ROUNDS || !__atomic_load_n(&enough, __ATOMIC_RELAXED));
	     round++) {
		for (i = 0; i < FLOWS; i++) {
			struct xdp_md ctx = { .ingress_ifindex = 1, .data_end = pkts[i].len };
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkts[i].b,
				    .data_size_in = pkts[i].len, .ctx_in = &ctx,
				    .ctx_size_in = sizeof(ctx), .repeat = 1);

			if (bpf_prog_test_run_opts(prog_fd, &o)) {
				r->err = errno;
				goto out;
			}
			r->runs++;
		}
		r->rounds++;
	}
out:
	__atomic_fetch_sub(&runners_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void collect(const struct jf_record *rec, void *arg)
{
	int i = rec->key.sport - 10000;

	(void)arg;
	if (i >= 0 && i < FLOWS)
		got_packets[i] += rec->packets;
}

static int run_mode(enum jf_quiesce mode, const char *name);

int main(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), bad = 0;

	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	if (ncpu < 2) {
		printf("SKIP: needs two CPUs\n");
		return 77;
	}
	jf_log_level = JF_LOG_WARN;
	build();
	bad += run_mode(JF_QUIESCE_RCU, "rcu");
	bad += run_mode(JF_QUIESCE_SEQ, "seq");
	printf("%d passed, %d failed\n", 2 - bad, bad);
	return bad ? 1 : 0;
}

/* One full run with the given epoch quiescence; returns 1 on failure. */
static int run_mode(enum jf_quiesce mode, const char *name)
{
	struct jf_cache_params cp = { .max_flows = FLOWS * 2, .idle_ms = 1000000,
				      .active_ms = 1000000, .fin_ms = 0 };
	struct runner rs[RUNNERS] = { { .cpu = 0 }, { .cpu = 1 } };
	struct jf_meter_stats st;
	struct jf_flow_cache *cache;
	struct jf_xdp_meter *m;
	struct jf_config cfg;
	struct jf_meter_params mp;
	pthread_t th[RUNNERS];
	uint64_t runs = 0, rounds = 0, merged = 0, lost, now = 1, removed_live;
	char err[256];
	int i, bad = 0;

	jf_config_defaults(&cfg);
	cfg.map_flows = 256;		/* far fewer than FLOWS: the spill ring works */
	cfg.table_flows = 64;		/* 96 slots */
	cfg.table_flows_set = true;
	cfg.idle_ms = 2;		/* slots go and come back during the run */
	cfg.quiesce = mode;
	cache = jf_cache_new(&cp, collect, NULL);
	memset(&st, 0, sizeof(st));
	jf_config_meter_params(&cfg, &mp);
	m = jf_xdp_meter_open(&mp, cache, &st, err, sizeof(err));
	if (!m) {
		printf("FAIL: %s: %s\n", name, err);
		return 1;
	}
	prog_fd = jf_xdp_meter_prog_fd(m);
	memset(got_packets, 0, sizeof(got_packets));
	/* Enough: 20 epochs, and in seq mode LIVE_REMOVALS removals. With
	 * the RCU wait a drain takes long enough that every slot is hit
	 * within it: idle removal races with the program only in seq mode. */
	enough = 0;
	runners_left = RUNNERS;
	for (i = 0; i < RUNNERS; i++)
		pthread_create(&th[i], NULL, run, &rs[i]);
	while (__atomic_load_n(&runners_left, __ATOMIC_SEQ_CST)) {
		jf_xdp_meter_poll(m, 2, now);
		jf_xdp_meter_drain(m, now);
		if (st.drains >= 20 &&
		    (mode != JF_QUIESCE_SEQ || st.table_removed >= LIVE_REMOVALS))
			__atomic_store_n(&enough, 1, __ATOMIC_RELAXED);
		now++;
	}
	for (i = 0; i < RUNNERS; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].err) {
			printf("FAIL: test run on CPU %d: %s\n", rs[i].cpu, strerror(rs[i].err));
			bad++;
		}
		runs += rs[i].runs;
		rounds += rs[i].rounds;
	}
	removed_live = st.table_removed;
	/* As at shutdown: both epochs, and every table slot (its flows
	 * leave from the table, through the cache's emit function). */
	jf_xdp_meter_stop(m, now);
	jf_cache_flush(cache, JF_END_FORCED);

	for (i = 0; i < FLOWS; i++)
		merged += got_packets[i];
	lost = st.packets[JF_PKT_MAP_FULL];
	printf("%s: %llu packets run (%llu rounds) on %d CPUs over %llu epochs: %llu in records "
	       "(%llu through the map, %llu through the spill ring), %llu counted lost (ring full)\n",
	       name, (unsigned long long)runs, (unsigned long long)rounds, RUNNERS,
	       (unsigned long long)st.drains,
	       (unsigned long long)merged, (unsigned long long)st.packets[JF_PKT_OK],
	       (unsigned long long)st.packets[JF_PKT_SPILLED], (unsigned long long)lost);
	if (merged + lost != runs) {
		printf("FAIL: %lld packets unaccounted\n", (long long)(runs - merged - lost));
		bad++;
	}
	if (st.packets[JF_PKT_OK] + st.packets[JF_PKT_SPILLED] != merged) {
		printf("FAIL: meter counters say %llu in flows, records hold %llu\n",
		       (unsigned long long)(st.packets[JF_PKT_OK] + st.packets[JF_PKT_SPILLED]),
		       (unsigned long long)merged);
		bad++;
	}
	if (!lost) {
		for (i = 0; i < FLOWS; i++)
			if (got_packets[i] != rounds) {
				printf("FAIL: flow %d: %llu packets, want %llu\n", i,
				       (unsigned long long)got_packets[i],
				       (unsigned long long)rounds);
				bad++;
			}
	}
	printf("%s: %llu table slots removed while packets ran, %llu in all\n", name,
	       (unsigned long long)removed_live, (unsigned long long)st.table_removed);
	if (!st.packets[JF_PKT_SPILLED] || st.drains < 20 || st.spill_mismatch ||
	    (mode == JF_QUIESCE_SEQ && removed_live < LIVE_REMOVALS)) {
		printf("FAIL: the run did not exercise spills, table removals and many epochs "
		       "cleanly (spilled %llu, removed %llu, drains %llu, mismatches %llu)\n",
		       (unsigned long long)st.packets[JF_PKT_SPILLED],
		       (unsigned long long)removed_live,
		       (unsigned long long)st.drains, (unsigned long long)st.spill_mismatch);
		bad++;
	}
	jf_cache_free(cache);
	jf_xdp_meter_close(m);
	return bad ? 1 : 0;
}
