// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_offline_meter: what jflowd -r adds per packet to reading a capture,
 * without the page cache, the system calls or the collector. The file is
 * read into memory once; then, alternately, a bare pcap_loop with a
 * callback that only counts and jflowd's own replay path (parser, hash,
 * flow cache, expiry; records are counted, not encoded) read it through
 * fmemopen, each with the same 1 MiB stdio buffer jflowd gives libpcap.
 * Prints one line per run and the medians:
 *   bare_ns=B meter_ns=M added_ns=M-B (per packet, CPU time). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>
#include "service/config.h"
#include "flow/flow_cache.h"
#include "meter/pcap_meter.h"

#define FILE_BUFFER (1 << 20)	/* as src/pcap_meter.c */

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static FILE *open_mem(char *data, size_t len, char *buf)
{
	FILE *f = fmemopen(data, len, "rb");

	if (f)
		setvbuf(f, buf, _IOFBF, FILE_BUFFER);
	return f;
}

static void count(u_char *arg, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)d;
	((uint64_t *)arg)[0]++;
	((uint64_t *)arg)[1] += h->caplen;
}

static void emitted(const struct jf_record *rec, void *arg)
{
	((uint64_t *)arg)[0]++;
	((uint64_t *)arg)[1] += rec->packets;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The bare loop: seconds of CPU, packets in *n. */
static int run_bare(char *data, size_t len, char *buf, uint64_t *n, double *s)
{
	char err[PCAP_ERRBUF_SIZE];
	uint64_t c[2] = { 0, 0 };
	double t0 = cpu_s();
	FILE *f = open_mem(data, len, buf);
	pcap_t *p = f ? pcap_fopen_offline(f, err) : NULL;

	if (!p) {
		fprintf(stderr, "offline_meter: %s\n", f ? err : strerror(errno));
		return -1;
	}
	pcap_loop(p, -1, count, (u_char *)c);
	pcap_close(p);
	*s = cpu_s() - t0;
	*n = c[0];
	return 0;
}

/* jflowd's replay path with the defaults of jflowd -r: packets metered in
 * *n, packets in the records the cache emitted in *exported. */
static int run_meter(char *data, size_t len, char *buf, uint64_t *n, uint64_t *exported,
		     double *s)
{
	struct jf_cache_params cp;
	struct jf_meter_stats st;
	struct jf_config cfg;
	uint64_t rec[2] = { 0, 0 };
	struct jf_flow_cache *c;
	struct jf_pcap_meter *m;
	char err[256];
	double t0;
	FILE *f;

	/* jflowd -r's defaults: cache size and timeouts */
	jf_config_defaults(&cfg);
	snprintf(cfg.pcap_file, sizeof(cfg.pcap_file), "memory");
	if (jf_config_size(&cfg, 1ull << 40, 1ull << 40, err, sizeof(err))) {
		fprintf(stderr, "offline_meter: %s\n", err);
		return -1;
	}
	cp = (struct jf_cache_params){ .max_flows = cfg.max_flows, .idle_ms = cfg.idle_ms,
				       .active_ms = cfg.active_ms, .fin_ms = cfg.fin_ms };
	t0 = cpu_s();
	c = jf_cache_new(&cp, emitted, rec);

	memset(&st, 0, sizeof(st));
	f = open_mem(data, len, buf);
	m = f && c ? jf_pcap_meter_open_fp(f, "memory", 1, err, sizeof(err)) : NULL;
	if (!m || jf_pcap_meter_run_file(m, c, &st, 1000, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "offline_meter: %s\n", m ? err : "cannot open");
		return -1;
	}
	jf_cache_expire(c, jf_pcap_meter_clock_ms(m));
	jf_cache_flush(c, JF_END_FORCED);
	jf_pcap_meter_close(m);
	jf_cache_free(c);
	*s = cpu_s() - t0;
	*n = st.packets[JF_PKT_OK];
	*exported = rec[1];
	return 0;
}

int main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 7, i;
	double bare[64], meter[64], added[64];
	char *data, *buf = malloc(FILE_BUFFER);
	uint64_t nb = 0, nm = 0, ex = 0;
	size_t len;
	long sz;
	FILE *f;

	if (argc < 2 || reps < 1 || reps > 64 || !buf) {
		fprintf(stderr, "usage: bench_offline_meter FILE.pcap [REPS]\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "offline_meter: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	len = (size_t)sz;
	data = malloc(len);
	if (!data || fread(data, 1, len, f) != len) {
		fprintf(stderr, "offline_meter: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	for (i = 0; i < reps; i++) {
		/* alternating order, as the offline benchmark does */
		if (i % 2 == 0 ? run_bare(data, len, buf, &nb, &bare[i]) ||
				 run_meter(data, len, buf, &nm, &ex, &meter[i]) :
				 run_meter(data, len, buf, &nm, &ex, &meter[i]) ||
				 run_bare(data, len, buf, &nb, &bare[i]))
			return 1;
		if (nm != nb || ex != nm) {
			fprintf(stderr, "offline_meter: read %llu, metered %llu, exported %llu\n",
				(unsigned long long)nb, (unsigned long long)nm,
				(unsigned long long)ex);
			return 1;
		}
		added[i] = meter[i] - bare[i];
		printf("run %d: bare %.1f ns/packet, meter %.1f ns/packet\n", i,
		       bare[i] * 1e9 / (double)nb, meter[i] * 1e9 / (double)nb);
	}
	qsort(bare, (size_t)reps, sizeof(double), cmp_d);
	qsort(meter, (size_t)reps, sizeof(double), cmp_d);
	qsort(added, (size_t)reps, sizeof(double), cmp_d);
	printf("packets=%llu bare_ns=%.1f meter_ns=%.1f added_ns=%.1f\n", (unsigned long long)nb,
	       bare[reps / 2] * 1e9 / (double)nb, meter[reps / 2] * 1e9 / (double)nb,
	       added[reps / 2] * 1e9 / (double)nb);
	free(data);
	free(buf);
	return 0;
}
