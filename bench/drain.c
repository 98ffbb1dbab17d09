// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_drain: flows per second moved from the kernel flow map into the
 * agent's flow cache by the agent's own drain (src/xdp_meter.c,
 * jf_xdp_meter_drain). The map the program writes is filled with
 * bpf_map_update_batch; the drain is timed once into an empty cache (every
 * flow new) and once into a cache that already holds the flows (the steady
 * state of long flows). Also reports kernel bytes (both maps and the spill
 * ring at the default size for --max-flows N) and agent bytes per flow.
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
#include "service/config.h"
#include "meter/flow_table.h"
#include "flow/flow_cache.h"
#include "log.h"
#include "meter/xdp_meter.h"
#include "bench_util.h"

#define FILL_BATCH 65536
#define MAX_SIZES 8
#define MAX_REPS 64

struct opts {
	uint32_t flows[MAX_SIZES];
	int nflows;
	int reps;
	int cpu;
};



static uint64_t emitted;

static void emit_count(const struct jf_record *rec, void *arg)
{
	(void)rec;
	(void)arg;
	emitted++;
}



/* The kernel's part alone: the same batch syscall with nothing done with
 * what it returns, over a map filled the same way. */
static uint64_t raw_drain_ns(int fd, struct jf_key *k, struct jf_counters *v)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t in = 0, out = 0;
	bool first = true;
	uint64_t t0 = bench_ns();

	for (;;) {
		uint32_t count = 1024;
		int rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, k, v,
							 &count, &opts);

		if (rc)
			break;
		in = out;
		first = false;
	}
	return bench_ns() - t0;
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

/* The agent's own drain (jf_xdp_meter_drain: epoch switch, wait for the
 * program, batch drain, merge into the cache), timed: the map the program
 * writes now is filled with n flows, then drained into an empty cache (every
 * flow new) and again into the cache holding them (the steady state). */
static int bench_flows(const struct opts *o, uint32_t n)
{
	double fresh[MAX_REPS], steady[MAX_REPS], kshare[MAX_REPS];
	struct jf_cache_params cp = { .max_flows = n, .idle_ms = 15000, .active_ms = 60000,
				      .fin_ms = 2000, .prefault = true };
	struct jf_key *keys = NULL, *scratch_k = NULL;
	struct jf_counters *vals = NULL, *scratch_v = NULL;
	uint64_t kernel_bytes = 0, rss_cache = 0, now_ms = 1700000000000ull;
	struct jf_xdp_meter *m = NULL;
	struct jf_config cfg, cfg_deployed;
	struct jf_meter_params mp;
	char err[256];
	int rep, rc = -1;

	jf_log_level = JF_LOG_WARN;
	/* Memory as deployed: --max-flows n, the default map size. */
	jf_config_defaults(&cfg);
	cfg.max_flows = n;
	jf_config_meter_params(&cfg, &mp);
	m = jf_xdp_meter_open(&mp, NULL, NULL, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "drain: %s\n", err);
		return -1;
	}
	kernel_bytes = jf_xdp_meter_kernel_bytes(m);
	cfg_deployed = cfg;
	jf_xdp_meter_close(m);
	/* The drain itself: maps that hold all n flows of one interval, as
	 * without the persistent table (--table-flows 0; with it, only the
	 * stash is drained this way). */
	cfg.map_flows = n;
	cfg.table_flows = 0;
	cfg.table_flows_set = true;
	jf_config_meter_params(&cfg, &mp);
	m = jf_xdp_meter_open(&mp, NULL, NULL, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "drain: %s\n", err);
		return -1;
	}
	keys = malloc((size_t)n * sizeof(*keys));
	vals = malloc((size_t)n * sizeof(*vals));
	scratch_k = calloc(1024, sizeof(*scratch_k));
	scratch_v = calloc(1024, sizeof(*scratch_v));
	if (!keys || !vals || !scratch_k || !scratch_v) {
		fprintf(stderr, "drain: out of memory\n");
		goto out;
	}
	make_flows(keys, vals, n);

	for (rep = 0; rep < o->reps; rep++) {
		struct jf_meter_stats st;
		struct jf_flow_cache *cache;
		struct jf_cache_stats cs;
		uint64_t rss0 = rss_bytes(), t_new, t_old, raw;
		int fd = jf_xdp_meter_current_map_fd(m);

		cache = jf_cache_new(&cp, emit_count, NULL);
		if (!cache) {
			fprintf(stderr, "drain: cache of %u flows: out of memory\n", n);
			goto out;
		}
		emitted = 0;
		memset(&st, 0, sizeof(st));
		jf_xdp_meter_bind(m, cache, &st);
		if ((rc = fill(fd, keys, vals, n)))
			goto free_cache;
		t_new = bench_ns();
		rc = jf_xdp_meter_drain(m, now_ms);
		t_new = bench_ns() - t_new;
		if (rep == 0)
			rss_cache = rss_bytes() - rss0;
		fd = jf_xdp_meter_current_map_fd(m);
		if (rc || (rc = fill(fd, keys, vals, n)))
			goto free_cache;
		t_old = bench_ns();
		rc = jf_xdp_meter_drain(m, now_ms + 1000);
		t_old = bench_ns() - t_old;
		fd = jf_xdp_meter_current_map_fd(m);
		if (rc || (rc = fill(fd, keys, vals, n)))
			goto free_cache;
		raw = raw_drain_ns(fd, scratch_k, scratch_v);
		jf_cache_get_stats(cache, &cs);
		if (st.drained_flows != 2ull * n || cs.flows != n || emitted) {
			fprintf(stderr, "drain: %u flows filled twice; drained %llu, cache holds "
				"%llu, %llu expired early\n", n,
				(unsigned long long)st.drained_flows, (unsigned long long)cs.flows,
				(unsigned long long)emitted);
			rc = -1;
			goto free_cache;
		}
		fresh[rep] = (double)n / ((double)t_new / 1e9);
		steady[rep] = (double)n / ((double)t_old / 1e9);
		kshare[rep] = (double)raw / (double)t_old;
free_cache:
		jf_cache_free(cache);
		if (rc)
			goto out;
	}
	printf("{\"bench\":\"drain\",\"flows\":%u,\"reps\":%d,\"new_flows_per_s\":%.0f,"
	       "\"existing_flows_per_s\":%.0f,\"kernel_share\":%.3f,"
	       "\"kernel_map_bytes\":%llu,\"kernel_maps\":2,\"cache_bytes_per_flow\":%zu,"
	       "\"cache_rss_bytes\":%llu,\"table_shadow_bytes\":%llu}\n",
	       n, o->reps, bench_median(fresh, o->reps), bench_median(steady, o->reps),
	       bench_median(kshare, o->reps), (unsigned long long)kernel_bytes,
	       jf_cache_bytes_per_flow(), (unsigned long long)rss_cache,
	       (unsigned long long)jf_table_slots_for(jf_config_table_flows(&cfg_deployed)) *
	       jf_table_shadow_bytes_per_slot());
	fflush(stdout);
	rc = 0;
out:
	free(keys);
	free(vals);
	free(scratch_k);
	free(scratch_v);
	jf_xdp_meter_close(m);
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
