// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_drain: flows per second moved from a kernel flow map of the real
 * jflowd object into the agent's flow cache, with the loop src/xdp_meter.c
 * runs each tick (bpf_map_lookup_and_delete_batch, DRAIN_BATCH entries at a
 * time, counters converted, jf_cache_update). flows_a is filled with
 * bpf_map_update_batch; the drain is timed once into an empty cache (every
 * flow new) and once into a cache that already holds the flows (the steady
 * state of long flows). Also reports kernel and agent bytes per flow.
 * One JSON object per line on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flow_cache.h"
#include "jflowd.skel.h"
#include "bench_util.h"

#define DRAIN_BATCH 8192	/* as src/xdp_meter.c */
#define FILL_BATCH 65536
#define MAX_SIZES 8
#define MAX_REPS 64

struct opts {
	uint32_t flows[MAX_SIZES];
	int nflows;
	int reps;
	int cpu;
};

struct drain_ctx {
	int64_t mono_to_real_ns;
	struct jf_key *keys;
	struct jf_counters *vals;
};

struct drain_time {
	uint64_t total_ns;
	uint64_t kernel_ns;	/* inside bpf_map_lookup_and_delete_batch */
	uint64_t flows;
};

static uint64_t emitted;

static void emit_count(const struct jf_record *rec, void *arg)
{
	(void)rec;
	(void)arg;
	emitted++;
}

static int64_t mono_to_real_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
}

static uint64_t to_real_ms(const struct drain_ctx *d, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + d->mono_to_real_ns) / 1000000u;
}

/* The body of drain_map() in src/xdp_meter.c, with the kernel part timed. */
static int drain(struct drain_ctx *d, int fd, struct jf_flow_cache *cache, uint64_t now_ms,
		 struct drain_time *t)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t in = 0, out = 0;
	bool first = true;
	uint64_t t0 = bench_ns();
	int rc = 0;

	memset(t, 0, sizeof(*t));
	d->mono_to_real_ns = mono_to_real_offset();
	for (;;) {
		uint32_t count = DRAIN_BATCH, i;
		uint64_t k0 = bench_ns();

		rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, d->keys,
						     d->vals, &count, &opts);
		t->kernel_ns += bench_ns() - k0;
		if (rc && rc != -ENOENT)
			break;
		for (i = 0; i < count; i++) {
			const struct jf_counters *c = &d->vals[i];
			struct jf_update u = {
				.packets = c->packets,
				.octets = c->octets,
				.first_ms = to_real_ms(d, c->first_ns),
				.last_ms = to_real_ms(d, c->last_ns),
				.flow_label = c->flow_label,
				.tcp_flags = (uint8_t)c->tcp_flags,
				.ttl_min = (uint8_t)c->ttl,
				.ttl_max = (uint8_t)(c->ttl >> 8),
			};

			jf_cache_update(cache, &d->keys[i], &u, now_ms);
		}
		t->flows += count;
		if (rc == -ENOENT) {
			rc = 0;
			break;
		}
		in = out;
		first = false;
	}
	t->total_ns = bench_ns() - t0;
	if (rc)
		fprintf(stderr, "drain: lookup_and_delete_batch: %s\n", strerror(-rc));
	return rc;
}

static void make_flows(struct jf_key *k, struct jf_counters *v, uint32_t n)
{
	uint64_t now = bench_ns();
	uint32_t i;

	memset(k, 0, (size_t)n * sizeof(*k));
	memset(v, 0, (size_t)n * sizeof(*v));
	for (i = 0; i < n; i++) {
		k[i].family = JF_FAMILY_IPV4;
		k[i].src[0] = htonl(0x0a000000u + (i >> 4) + 1);
		k[i].dst[0] = htonl(0xc6336407u);
		k[i].sport = (uint16_t)(40000 + (i & 15));
		k[i].dport = 443;
		k[i].proto = (i & 1) ? 17 : 6;
		k[i].ifindex = 2;
		v[i].packets = 1 + i % 7;
		v[i].octets = v[i].packets * 500;
		v[i].first_ns = now - 1000000000ull;
		v[i].last_ns = now;
		v[i].tcp_flags = 0x10;
		v[i].ttl = 64 | 64 << 8;
	}
}

static int fill(int fd, struct jf_key *k, struct jf_counters *v, uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		uint32_t cnt = n - done < FILL_BATCH ? n - done : FILL_BATCH;
		int rc = bpf_map_update_batch(fd, k + done, v + done, &cnt, &opts);

		if (rc) {
			fprintf(stderr, "drain: fill: %s after %u flows\n", strerror(-rc),
				done + cnt);
			return rc;
		}
		done += cnt;
	}
	return 0;
}

/* Kernel memory of a map as fdinfo reports it (map_mem_usage, 6.4+). */
static uint64_t map_memlock(int fd)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", (unsigned long long *)&v) == 1)
			break;
	fclose(f);
	return v;
}

static uint64_t rss_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", (unsigned long long *)&kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static int bench_flows(const struct opts *o, uint32_t n)
{
	double fresh[MAX_REPS], steady[MAX_REPS], kshare[MAX_REPS];
	struct jf_cache_params cp = { .max_flows = n, .idle_ms = 15000, .active_ms = 60000,
				      .fin_ms = 2000 };
	struct drain_ctx d = { 0 };
	struct jflowd_bpf *skel;
	struct jf_key *keys = NULL;
	struct jf_counters *vals = NULL;
	uint64_t mem_a = 0, mem_b = 0, rss_cache = 0, now_ms = 1700000000000ull;
	int rep, fd, rc = -1;

	skel = jflowd_bpf__open();
	if (!skel) {
		fprintf(stderr, "drain: open jflowd object: %s\n", strerror(errno));
		return -1;
	}
	/* As the agent does for --max-flows n. */
	bpf_map__set_max_entries(skel->maps.flows_a, n);
	bpf_map__set_max_entries(skel->maps.flows_b, n);
	rc = jflowd_bpf__load(skel);
	if (rc) {
		fprintf(stderr, "drain: load jflowd object: %s\n", strerror(-rc));
		goto out;
	}
	fd = bpf_map__fd(skel->maps.flows_a);
	mem_a = map_memlock(fd);
	mem_b = map_memlock(bpf_map__fd(skel->maps.flows_b));
	keys = malloc((size_t)n * sizeof(*keys));
	vals = malloc((size_t)n * sizeof(*vals));
	d.keys = calloc(DRAIN_BATCH, sizeof(*d.keys));
	d.vals = calloc(DRAIN_BATCH, sizeof(*d.vals));
	if (!keys || !vals || !d.keys || !d.vals) {
		fprintf(stderr, "drain: out of memory\n");
		rc = -1;
		goto out;
	}
	make_flows(keys, vals, n);

	for (rep = 0; rep < o->reps; rep++) {
		struct drain_time t1, t2;
		struct jf_flow_cache *cache;
		struct jf_cache_stats cs;
		uint64_t rss0 = rss_bytes();

		cache = jf_cache_new(&cp, emit_count, NULL);
		if (!cache) {
			fprintf(stderr, "drain: cache of %u flows: out of memory\n", n);
			rc = -1;
			goto out;
		}
		emitted = 0;
		if ((rc = fill(fd, keys, vals, n)) || (rc = drain(&d, fd, cache, now_ms, &t1)))
			goto free_cache;
		if (rep == 0)
			rss_cache = rss_bytes() - rss0;
		if ((rc = fill(fd, keys, vals, n)) ||
		    (rc = drain(&d, fd, cache, now_ms + 1000, &t2)))
			goto free_cache;
		jf_cache_get_stats(cache, &cs);
		if (t1.flows != n || t2.flows != n || cs.flows != n || emitted) {
			fprintf(stderr, "drain: %u flows filled; drained %llu and %llu, cache "
				"holds %llu, %llu expired early\n", n,
				(unsigned long long)t1.flows, (unsigned long long)t2.flows,
				(unsigned long long)cs.flows, (unsigned long long)emitted);
			rc = -1;
			goto free_cache;
		}
		fresh[rep] = (double)n / ((double)t1.total_ns / 1e9);
		steady[rep] = (double)n / ((double)t2.total_ns / 1e9);
		kshare[rep] = (double)(t1.kernel_ns + t2.kernel_ns) /
			      (double)(t1.total_ns + t2.total_ns);
free_cache:
		jf_cache_free(cache);
		if (rc)
			goto out;
	}
	printf("{\"bench\":\"drain\",\"flows\":%u,\"reps\":%d,\"new_flows_per_s\":%.0f,"
	       "\"existing_flows_per_s\":%.0f,\"kernel_share\":%.3f,"
	       "\"kernel_map_bytes\":%llu,\"kernel_maps\":2,\"cache_bytes_per_flow\":%zu,"
	       "\"cache_rss_bytes\":%llu}\n",
	       n, o->reps, bench_median(fresh, o->reps), bench_median(steady, o->reps),
	       bench_median(kshare, o->reps), (unsigned long long)(mem_a + mem_b),
	       jf_cache_bytes_per_flow(), (unsigned long long)rss_cache);
	fflush(stdout);
	rc = 0;
out:
	free(keys);
	free(vals);
	free(d.keys);
	free(d.vals);
	jflowd_bpf__destroy(skel);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "flows", 1, 0, 'f' }, { "reps", 1, 0, 'r' }, { "cpu", 1, 0, 'c' }, { 0 }
	};
	struct opts o = { .flows = { 65536, 1048576 }, .nflows = 2, .reps = 3, .cpu = -1 };
	char *tok, *save;
	int c, i;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.nflows = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && o.nflows < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				o.flows[o.nflows++] = (uint32_t)strtoul(tok, NULL, 0);
			break;
		case 'r': o.reps = atoi(optarg); break;
		case 'c': o.cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_drain [--flows N,..] [--reps N] [--cpu N]\n");
			return 2;
		}
	}
	if (o.reps < 1 || o.reps > MAX_REPS)
		return 2;
	bench_pin(o.cpu);
	for (i = 0; i < o.nflows; i++)
		if (bench_flows(&o, o.flows[i]))
			return 1;
	return 0;
}
