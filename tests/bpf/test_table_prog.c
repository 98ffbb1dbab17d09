// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The real XDP program with the persistent flow table (table_slots set),
 * through BPF_PROG_TEST_RUN, read by the agent's module (src/flow_table.c)
 * through a mapping of the array: both sides agree on layout and hash,
 * every packet is in a slot, the stash or the spill ring, and a removed
 * flow comes back in a slot of its own. Exits 77 without root. */
#include <errno.h>
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
#include "flow_table.h"
#include "jflowd.skel.h"
#include "../lib/pktbuild.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		failures++; \
	} \
} while (0)

struct sink {
	uint64_t packets, octets, deltas;
	int far;		/* slots more than JF_TABLE_MAX_PROBE from home */
	uint32_t nslots;
};

static void collect(void *arg, uint32_t idx, const struct jf_key *key,
		    const struct jf_table_delta *d)
{
	struct sink *s = arg;
	uint32_t home = jf_table_home(jf_table_hash(key), s->nslots);
	uint32_t dist = idx >= home ? idx - home : idx + s->nslots - home;

	s->packets += d->packets;
	s->octets += d->octets;
	s->deltas++;
	s->far += dist >= JF_TABLE_MAX_PROBE;
}

static int send_flow(int prog_fd, uint32_t flow)
{
	struct pb p;

	pb_init(&p);
	pb_eth(&p);
	pb_u16(&p, 0x0800);
	pb_ipv4(&p, 0x0a000000u + flow, 0xc6336407u, 6, 0, 64, 40, 0, 0);
	pb_tcp(&p, 40000, 443, 0x10);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.b, .data_size_in = p.len,
			    .repeat = 1);
		return bpf_prog_test_run_opts(prog_fd, &o);
	}
}

static uint64_t stat_packets(struct jflowd_bpf *skel, uint32_t reason)
{
	int ncpu = libbpf_num_possible_cpus();
	struct jf_stat v[ncpu];
	uint32_t idx = JF_STAT_IDX(0, reason);
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, v))
		return UINT64_MAX;
	for (i = 0; i < ncpu; i++)
		sum += v[i].packets;
	return sum;
}

static uint64_t hash_entries(int fd)
{
	struct jf_key k, next;
	void *prev = NULL;
	uint64_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static uint64_t ring_records;

static int on_ring(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	ring_records++;
	return 0;
}

static int wait_rcu(void *arg)
{
	(void)arg;
	/* Test runs hold rcu_read_lock; a grace period outlasts them. */
	return syscall(__NR_membarrier, 1 << 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0) ? -errno : 0;
}

/* A table of `slots` slots and a stash of `stash` entries, `flows` flows of
 * `per_flow` packets each. */
static void run(uint32_t slots, uint32_t stash, uint32_t flows, uint32_t per_flow,
		bool overflow)
{
	struct jflowd_bpf *skel = jflowd_bpf__open();
	struct sink sk = { .nslots = slots };
	struct ring_buffer *rb = NULL;
	struct jf_table *t = NULL;
	uint64_t in_stash, sent = (uint64_t)flows * per_flow;
	size_t len = (size_t)slots * sizeof(struct jf_slot);
	struct jf_slot *mem = MAP_FAILED;
	uint32_t f, k;
	int fd;

	CHECK(skel, "open: %s", strerror(errno));
	if (!skel)
		return;
	skel->rodata->table_on = 1;
	skel->data->table_slots = slots;
	bpf_map__set_max_entries(skel->maps.flow_table, slots);
	/* The stash: the flow map of epoch 0. */
	bpf_map__set_max_entries(skel->maps.flows_a, stash);
	if (jflowd_bpf__load(skel)) {
		CHECK(0, "load with %u slots: %s", slots, strerror(errno));
		goto out;
	}
	fd = bpf_program__fd(skel->progs.jflowd_xdp);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bpf_map__fd(skel->maps.flow_table), 0);
	CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	if (mem == MAP_FAILED)
		goto out;
	t = jf_table_new(mem, slots);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.spill), on_ring, NULL, NULL);
	CHECK(t && rb, "table or ring: out of memory");
	if (!t || !rb)
		goto out;
	ring_records = 0;
	for (k = 0; k < per_flow; k++)
		for (f = 0; f < flows; f++)
			CHECK(!send_flow(fd, f), "test run: %s", strerror(errno));
	ring_buffer__consume(rb);
	jf_table_scan(t, 1, collect, &sk);
	in_stash = hash_entries(bpf_map__fd(skel->maps.flows_a));
	printf("%u slots, %u flows x %u: %llu packets in %llu slots, %llu flows in the stash, "
	       "%llu spilled\n", slots, flows, per_flow, (unsigned long long)sk.packets,
	       (unsigned long long)sk.deltas, (unsigned long long)in_stash,
	       (unsigned long long)ring_records);
	CHECK(sk.far == 0, "%d slots beyond the probe limit from their home", sk.far);
	CHECK(sk.octets == sk.packets * 40, "octets %llu for %llu packets",
	      (unsigned long long)sk.octets, (unsigned long long)sk.packets);
	CHECK(stat_packets(skel, JF_PKT_OK) + stat_packets(skel, JF_PKT_SPILLED) == sent,
	      "stats: %llu ok + %llu spilled, %llu sent",
	      (unsigned long long)stat_packets(skel, JF_PKT_OK),
	      (unsigned long long)stat_packets(skel, JF_PKT_SPILLED), (unsigned long long)sent);
	CHECK(stat_packets(skel, JF_PKT_SPILLED) == ring_records, "spill counter %llu, ring %llu",
	      (unsigned long long)stat_packets(skel, JF_PKT_SPILLED),
	      (unsigned long long)ring_records);
	if (!overflow) {
		/* Room for all: every packet in a slot, one slot per flow. */
		CHECK(sk.packets == sent && sk.deltas == flows && in_stash == 0,
		      "%llu packets in %llu slots", (unsigned long long)sk.packets,
		      (unsigned long long)sk.deltas);
		/* Removed, then seen again: the flow gets a slot again. */
		CHECK(jf_table_remove_all(t, wait_rcu, NULL, NULL, NULL) == (long)flows,
		      "remove all");
		for (f = 0; f < flows; f++)
			CHECK(!send_flow(fd, f), "test run: %s", strerror(errno));
		memset(&sk, 0, sizeof(sk));
		sk.nslots = slots;
		jf_table_scan(t, 2, collect, &sk);
		CHECK(sk.packets == flows && sk.deltas == flows, "after removal: %llu packets in "
		      "%llu slots", (unsigned long long)sk.packets, (unsigned long long)sk.deltas);
	} else {
		/* Overflow: the table is full, the stash too, the ring
		 * holds the rest (one spilled packet per leftover flow). */
		CHECK(sk.deltas <= slots && in_stash == stash, "%llu slots, %llu in the stash",
		      (unsigned long long)sk.deltas, (unsigned long long)in_stash);
		CHECK(sk.deltas + in_stash + ring_records / per_flow == flows,
		      "slots %llu + stash %llu + spilled flows %llu != %u flows",
		      (unsigned long long)sk.deltas, (unsigned long long)in_stash,
		      (unsigned long long)(ring_records / per_flow), flows);
	}
out:
	ring_buffer__free(rb);
	jf_table_free(t);
	if (mem != MAP_FAILED)
		munmap(mem, len);
	jflowd_bpf__destroy(skel);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	run(1536, 64, 1000, 3, false);	/* 2/3 load, like the default sizing */
	run(64, 16, 40, 3, false);	/* room for all */
	run(16, 8, 40, 2, true);	/* full table, full stash, spill ring */
	printf("%s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
