// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table's removal race against the real program: two threads, one per
 * CPU, run packets of 16 flows through the XDP program (the race build,
 * bpf/jflowd_race.bpf.c: the real program with a pause between finding a
 * live slot and adding to it) while the main thread reads the table and
 * removes every live slot, round after round, through src/flow_table.c:
 * mark, grace period, read, free. With the grace period every flow's
 * packets come out exactly; without it (the same removal, no wait) packets
 * added after the final read are lost or land in the flow that took the
 * slot next, and the test must see that. Exits 77 without root. */
#include <errno.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meter/epoch.h"
#include "meter/flow_table.h"
#include "meter/table_segs.h"
#include "jflowd/monitor.h"
#include "jflowd_race.skel.h"
#include "../lib/pktbuild.h"

#define FLOWS 16
#define SLOTS 1536
#define PER_RUNNER 20000	/* packets each runner sends */
#define RUNNERS 2

static struct pb frames[FLOWS];
static uint64_t got[FLOWS];
static uint64_t strays;		/* packets under a key we never sent */
static int prog_fd;
static int runners_left;

struct runner {
	int cpu;
	int err;
};

static void build(void)
{
	uint32_t f;

	for (f = 0; f < FLOWS; f++) {
		struct pb *p = &frames[f];

		pb_init(p);
		pb_eth(p);
		pb_u16(p, 0x0800);
		pb_ipv4(p, 0x0a000000u + f, 0xc6336407u, 6, 0, 64, 40, 0, 0);
		pb_tcp(p, 40000, 443, 0x10);
	}
}

static void *run(void *arg)
{
	struct runner *r = arg;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = 0; i < PER_RUNNER && !r->err; i++) {
		const struct pb *p = &frames[i % FLOWS];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->len,
			    .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &o))
			r->err = errno;
	}
	__atomic_sub_fetch(&runners_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void collect(void *arg, uint32_t idx, const struct jf_key *key,
		    const struct jf_table_delta *d)
{
	uint32_t f = ntohl(key->src[0]) - 0x0a000000u;

	(void)arg;
	(void)idx;
	if (key->family != 4 || f >= FLOWS)
		strays += d->packets;
	else
		got[f] += d->packets;
}

enum wait { WAIT_SEQ, WAIT_RCU, WAIT_NONE };

static struct jflowd_race_bpf *cur;
static int ncpus;

/* The agent's two grace periods (src/epoch.c), as src/xdp_meter.c uses
 * them before reading a marked slot. */
static int wait_seq(void *arg)
{
	(void)arg;
	jf_epoch_quiesce(cur->data_seq->cpu_seq, ncpus);
	return 0;
}

static int wait_rcu(void *arg)
{
	(void)arg;
	return jf_epoch_wait_rcu();
}

/* One run with the given wait between mark and read. Returns the number
 * of flows whose count is wrong, or -1 when the run failed. */
static int race(enum wait w, uint64_t *rounds, uint64_t *removed)
{
	struct jflowd_race_bpf *skel = jflowd_race_bpf__open();
	jf_table_quiesce_fn wait = w == WAIT_SEQ ? wait_seq : w == WAIT_RCU ? wait_rcu : NULL;
	struct runner rs[RUNNERS] = { { .cpu = 0 }, { .cpu = 1 } };
	struct jf_table_mem tm = { .fd0 = -1 };
	uint32_t shift = jf_table_seg_shift(SLOTS);
	struct jf_table_segs sg = { .fd = -1, .shift = shift };
	struct jf_table *t = NULL;
	struct jf_table_stats ts;
	pthread_t th[RUNNERS];
	int i, bad = -1;

	if (!skel)
		return -1;
	cur = skel;
	skel->rodata->table_on = 1;
	skel->rodata->quiesce_seq = w == WAIT_SEQ;
	skel->data->table_slots[0] = SLOTS;
	/* In segments as the agent makes them: a quarter of the table at most. */
	skel->rodata->table_seg_shift = shift;
	i = jf_table_segs_prepare(skel->maps.flow_segs, shift, SLOTS);
	if (i < 0 || jflowd_race_bpf__load(skel)) {
		printf("FAIL: load: %s\n", strerror(i < 0 ? -i : errno));
		if (i >= 0)
			close(i);
		goto out;
	}
	close(i);
	prog_fd = bpf_program__fd(skel->progs.jflowd_xdp);
	sg.fd = bpf_map__fd(skel->maps.flow_segs);
	i = jf_table_mem_make(&sg, 0, SLOTS, &tm);
	t = i ? NULL : jf_table_new(tm.mem, SLOTS);
	if (!t) {
		printf("FAIL: map the table: %s\n", strerror(i ? -i : errno));
		goto out;
	}
	memset(got, 0, sizeof(got));
	strays = 0;
	*rounds = 0;
	runners_left = RUNNERS;
	for (i = 0; i < RUNNERS; i++)
		pthread_create(&th[i], NULL, run, &rs[i]);
	while (__atomic_load_n(&runners_left, __ATOMIC_SEQ_CST)) {
		jf_table_scan(t, 0, collect, NULL);
		if (jf_table_remove_all(t, wait, NULL, collect, NULL) < 0) {
			printf("FAIL: wait: %s\n", strerror(errno));
			break;
		}
		(*rounds)++;
	}
	for (i = 0; i < RUNNERS; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].err) {
			printf("FAIL: test run on CPU %d: %s\n", rs[i].cpu, strerror(rs[i].err));
			goto out;
		}
	}
	/* Everything left: nothing runs now. */
	jf_table_scan(t, 0, collect, NULL);
	jf_table_remove_all(t, NULL, NULL, collect, NULL);
	jf_table_get_stats(t, &ts);
	*removed = ts.removed;
	bad = 0;
	for (i = 0; i < FLOWS; i++)
		if (got[i] != (uint64_t)RUNNERS * PER_RUNNER / FLOWS)
			bad++;
	if (strays)
		bad++;
out:
	jf_table_free(t);
	jf_table_mem_unmap(&sg, &tm, NULL);
	jflowd_race_bpf__destroy(skel);
	return bad;
}

static int report(const char *name, int bad, uint64_t rounds, uint64_t removed)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < FLOWS; i++)
		total += got[i];
	printf("%s: %llu packets of %d (%llu under another key), %llu removal rounds, "
	       "%llu slots removed, %d flows wrong\n", name, (unsigned long long)total,
	       RUNNERS * PER_RUNNER, (unsigned long long)strays, (unsigned long long)rounds,
	       (unsigned long long)removed, bad);
	return bad;
}

int main(void)
{
	uint64_t rounds = 0, removed = 0;
	int bad, failures = 0;

	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs two CPUs\n");
		return 77;
	}
	ncpus = libbpf_num_possible_cpus();
	build();

	bad = race(WAIT_SEQ, &rounds, &removed);
	bad = report("per-CPU sequence wait", bad, rounds, removed);
	if (bad != 0 || removed < 100) {
		printf("FAIL: with the grace period every packet must come out once, "
		       "over many removals\n");
		failures++;
	}
	bad = race(WAIT_NONE, &rounds, &removed);
	bad = report("no wait", bad, rounds, removed);
	if (bad <= 0) {
		printf("FAIL: without the grace period the race must show (lost or misplaced "
		       "packets)\n");
		failures++;
	}
	/* The default wait (--quiesce auto picks it wherever the kernel offers
	 * it): membarrier(GLOBAL) is synchronize_rcu(), 8-16 ms a call here,
	 * and a program run is an RCU read-side section. */
	if (jf_epoch_rcu_available()) {
		uint64_t total = 0;
		int runs;

		/* Each wait takes 8-16 ms, so a run's removals depend on the
		 * machine's load: runs until 50 removals in all (at most 4),
		 * every one exact. */
		for (runs = 0, bad = 0; runs < 4 && !bad && total < 50; runs++) {
			bad = race(WAIT_RCU, &rounds, &removed);
			bad = report("membarrier(GLOBAL) wait", bad, rounds, removed);
			total += removed;
		}
		removed = total;
		if (bad != 0 || removed < 50) {
			printf("FAIL: with the RCU grace period every packet must come out "
			       "once, over many removals\n");
			failures++;
		}
	}
	printf("%s\n", failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
