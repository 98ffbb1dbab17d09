// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Differential test of the one parser in its two builds: every packet of a
 * random corpus (every framing, plus damaged frames) goes through the XDP
 * program (BPF_PROG_TEST_RUN) and through the userspace build of
 * include/jflowd/parse.h. The counter reason of each packet, and the flow
 * map contents (key, packets, octets, flags, TTL range, flow label) must be
 * identical. Exits 77 (skip) without root only; as root a program that does
 * not load fails. Usage: test_parser_diff [PACKETS [SEED]] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/parse.h"
#include "flow/flow_hash.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"
#include "../lib/pktrand.h"

#define IFINDEX_LO 1
#define MAX_FLOWS (1 << 16)

/* What the userspace parser says the map must hold. */
struct expect {
	struct jf_key key;
	struct jf_counters c;
	int used;
};

static struct expect table[MAX_FLOWS * 2];
static unsigned long reason_user[JF_PKT_REASON_MAX];

static struct expect *lookup(const struct jf_key *k)
{
	uint32_t i = jf_flow_hash(k) & (MAX_FLOWS * 2 - 1);

	while (table[i].used && memcmp(&table[i].key, k, sizeof(*k)))
		i = (i + 1) & (MAX_FLOWS * 2 - 1);
	return &table[i];
}

static void user_meter(const struct jf_pkt *p)
{
	struct expect *e = lookup(&p->key);
	uint8_t lo, hi;

	if (!e->used) {
		e->used = 1;
		e->key = p->key;
		e->c.ttl = p->ttl | (uint32_t)p->ttl << 8;
	}
	e->c.packets++;
	e->c.octets += p->octets;
	e->c.tcp_flags |= p->tcp_flags;
	lo = (uint8_t)e->c.ttl;
	hi = (uint8_t)(e->c.ttl >> 8);
	if (p->ttl < lo)
		lo = p->ttl;
	if (p->ttl > hi)
		hi = p->ttl;
	e->c.ttl = lo | (uint32_t)hi << 8;
	if (p->flow_label)
		e->c.flow_label = p->flow_label;
}

static int stats_sum(int fd, int ncpus, unsigned long *out)
{
	struct jf_stat v[ncpus];
	__u32 r;
	int cpu;

	for (r = 0; r < JF_PKT_REASON_MAX; r++) {
		__u32 idx = JF_STAT_IDX(0, r);

		if (bpf_map_lookup_elem(fd, &idx, v))
			return -1;
		out[r] = 0;
		for (cpu = 0; cpu < ncpus; cpu++)
			out[r] += v[cpu].packets;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long npkts = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 20261126;
	unsigned long before[JF_PKT_REASON_MAX], after[JF_PKT_REASON_MAX];
	unsigned long i, mismatches = 0, flows = 0, keys_seen = 0, cold_bad = 0, cold_checked = 0;
	int ncpus = libbpf_num_possible_cpus(), prog_fd, map_fd, stats_fd, r;
	struct prng rng = { seed };
	struct jflowd_bpf *skel;
	struct pb p;

	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	/* As root the program must load: a verifier rejection is a bug in
	 * the parser's BPF build, never a reason to skip. */
	skel = jflowd_bpf__open();
	if (!skel || (bpf_map__set_max_entries(skel->maps.flows_a, MAX_FLOWS),
		      jflowd_bpf__load(skel))) {
		printf("FAIL: cannot load the XDP program: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.jflowd_xdp);
	map_fd = bpf_map__fd(skel->maps.flows_a);
	stats_fd = bpf_map__fd(skel->maps.stats);
	stats_sum(stats_fd, ncpus, before);

	for (i = 0; i < npkts; i++) {
		struct xdp_md ctx = { .ingress_ifindex = IFINDEX_LO };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1);
		struct jf_pkt up;
		int ureason, kreason = -1;
		bool v4_plain;

		rnd_frame(&rng, &p);
		rnd_damage(&rng, &p);
		ctx.data_end = p.len;
		opts.data_in = p.b;
		opts.data_size_in = p.len;

		/* userspace build, on a buffer of exactly the frame's size */
		{
			uint8_t *copy = malloc(p.len);

			memcpy(copy, p.b, p.len);
			memset(&up, 0, sizeof(up));
			ureason = jf_parse_eth(copy, copy + p.len, &up);
			free(copy);
		}
		up.key.ifindex = IFINDEX_LO;
		reason_user[ureason]++;
		if (ureason == JF_PKT_OK)
			user_meter(&up);
		/* The table's slot compares an IPv4 key without MPLS by its
		 * hot words only (jf_key_has_cold in include/jflowd/table.h):
		 * its cold words must be zero. */
		v4_plain = up.key.family == JF_FAMILY_IPV4 && !(up.key.flags & JF_KEY_MPLS);
		if (ureason == JF_PKT_OK && v4_plain &&
		    (up.key.src[1] | up.key.src[2] | up.key.src[3] | up.key.dst[1] | up.key.dst[2] |
		     up.key.dst[3] | up.key.mpls[0] | up.key.mpls[1] | up.key.mpls[2])) {
			cold_bad++;
			mismatches++;
			if (cold_bad <= 10)
				printf("packet %lu: IPv4 key without MPLS with non-zero cold words\n", i);
		}
		if (ureason == JF_PKT_OK && v4_plain)
			cold_checked++;

		/* XDP build */
		if (bpf_prog_test_run_opts(prog_fd, &opts) || opts.retval != XDP_PASS) {
			printf("packet %lu: test run failed (retval %u)\n", i, opts.retval);
			return 1;
		}
		stats_sum(stats_fd, ncpus, after);
		for (r = 0; r < JF_PKT_REASON_MAX; r++) {
			if (after[r] != before[r]) {
				if (kreason != -1 || after[r] - before[r] != 1)
					kreason = -2;
				else
					kreason = r;
			}
			before[r] = after[r];
		}
		if (kreason != ureason) {
			mismatches++;
			if (mismatches <= 10) {
				unsigned k;

				printf("packet %lu (%u bytes): XDP reason %d, userspace reason %d:", i,
				       p.len, kreason, ureason);
				for (k = 0; k < p.len && k < 96; k++)
					printf(" %02x", p.b[k]);
				printf("\n");
			}
		}
	}

	/* Every flow the userspace parser saw is in the map, with equal
	 * counters, and the map holds nothing else. */
	for (i = 0; i < MAX_FLOWS * 2; i++) {
		struct jf_counters c;

		if (!table[i].used)
			continue;
		flows++;
		if (bpf_map_lookup_elem(map_fd, &table[i].key, &c)) {
			mismatches++;
			printf("flow %lu: in userspace, not in the XDP map\n", i);
			continue;
		}
		if (c.packets != table[i].c.packets || c.octets != table[i].c.octets ||
		    (c.tcp_flags & 0xff) != table[i].c.tcp_flags || c.ttl != table[i].c.ttl ||
		    c.flow_label != table[i].c.flow_label) {
			mismatches++;
			printf("flow %lu: XDP %llu/%llu flags %#x ttl %#x label %#x, userspace "
			       "%llu/%llu flags %#x ttl %#x label %#x\n", i,
			       (unsigned long long)c.packets, (unsigned long long)c.octets, c.tcp_flags,
			       c.ttl, c.flow_label, (unsigned long long)table[i].c.packets,
			       (unsigned long long)table[i].c.octets, table[i].c.tcp_flags,
			       table[i].c.ttl, table[i].c.flow_label);
		}
	}
	{
		struct jf_key k, next;
		int rc = bpf_map_get_next_key(map_fd, NULL, &next);

		while (!rc) {
			keys_seen++;
			k = next;
			rc = bpf_map_get_next_key(map_fd, &k, &next);
		}
	}
	if (keys_seen != flows) {
		mismatches++;
		printf("XDP map holds %lu flows, userspace %lu\n", keys_seen, flows);
	}

	printf("%lu packets (seed %llu), %lu flows; by reason:", npkts, (unsigned long long)seed,
	       flows);
	for (r = 0; r < JF_PKT_REASON_MAX; r++)
		if (reason_user[r])
			printf(" %d:%lu", r, reason_user[r]);
	printf("\n%lu IPv4 keys without MPLS, %lu with non-zero cold words\n", cold_checked, cold_bad);
	if (!cold_checked)
		mismatches++;
	printf("%s: %lu differences\n", mismatches ? "FAIL" : "ok", mismatches);
	jflowd_bpf__destroy(skel);
	return mismatches ? 1 : 0;
}
