// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_route_cost: the two ways of router mode's forwarding lookup, per
 * new flow, measured in the same run.
 * (a) in the XDP program: bench/xdp_fib.bpf.c (parse + bpf_fib_lookup with
 *     BPF_FIB_LOOKUP_SKIP_NEIGH) under BPF_PROG_TEST_RUN, as a ratio to the
 *     trivial program and in ns per packet;
 * (b) in the agent: jf_router_lookup() (RTM_GETROUTE: route, matched
 *     prefix, source prefix) for distinct flows, then the same flows again
 *     (answer cache).
 * Run inside a namespace whose routes send 10.3.0.0/16 somewhere, with the
 * ingress interface as argument (tests/net/test_router.sh sets one up).
 * One JSON object per line on stdout. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/flow.h"
#include "flow/route.h"
#include "trivial.skel.h"
#include "xdp_fib.skel.h"
#include "bench_util.h"

#define REPS 5

static int run(int fd, const uint8_t *frame, uint32_t len, uint32_t repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);
	int rc = bpf_prog_test_run_opts(fd, &o);

	if (rc)
		return rc;
	*ns = o.duration;	/* the kernel's mean per run, ns */
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t f[64] = { 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
			  0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0,
			  10, 1, 0, 2, 10, 3, 1, 1, 0x9c, 0x40, 0x13, 0x89, 0, 30 };
	uint32_t repeat = 1000000, nflows = 2000, i;
	double triv[REPS], fib[REPS], miss, hit;
	struct trivial_bpf *t;
	struct xdp_fib_bpf *x;
	struct jf_router *r;
	struct jf_route rt;
	struct jf_key k;
	char err[256];
	uint64_t t0;
	int ifindex, rep;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_route_cost IFACE [FLOWS]\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argc > 2)
		nflows = (uint32_t)strtoul(argv[2], NULL, 0);
	bench_pin(0);

	t = trivial_bpf__open_and_load();
	x = xdp_fib_bpf__open();
	if (!t || !x)
		return 1;
	x->rodata->iif = (uint32_t)ifindex;
	if (xdp_fib_bpf__load(x))
		return 1;
	for (rep = 0; rep < REPS; rep++) {
		if (run(bpf_program__fd(t->progs.trivial_xdp), f, sizeof(f), repeat, &triv[rep]) ||
		    run(bpf_program__fd(x->progs.xdp_fib), f, sizeof(f), repeat, &fib[rep])) {
			fprintf(stderr, "test run: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("{\"method\":\"xdp_fib_lookup\",\"ns_per_pkt\":%.1f,\"trivial_ns\":%.1f,"
	       "\"ratio_to_trivial\":%.2f,\"fib_rc\":%u,\"oif\":%u}\n",
	       bench_median(fib, REPS), bench_median(triv, REPS),
	       bench_median(fib, REPS) / bench_median(triv, REPS), x->bss->last_rc,
	       x->bss->last_oif);

	r = jf_router_new(err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(&k, 0, sizeof(k));
	k.family = JF_FAMILY_IPV4;
	inet_pton(AF_INET, "10.1.0.2", &k.src[0]);
	inet_pton(AF_INET, "10.3.1.1", &k.dst[0]);
	k.proto = 17;
	k.dport = 5001;
	k.ifindex = (uint32_t)ifindex;
	t0 = bench_ns();
	for (i = 0; i < nflows; i++) {
		k.sport = (uint16_t)(10000 + i);
		if (jf_router_lookup(r, &k, &rt))
			return 1;
	}
	miss = (double)(bench_ns() - t0) / nflows;
	t0 = bench_ns();
	for (i = 0; i < nflows; i++) {
		k.sport = (uint16_t)(10000 + i);
		jf_router_lookup(r, &k, &rt);
	}
	hit = (double)(bench_ns() - t0) / nflows;
	printf("{\"method\":\"agent_rtm_getroute\",\"flows\":%u,\"ns_per_new_flow\":%.0f,"
	       "\"ns_per_cached_flow\":%.0f,\"ratio_new_flow_to_trivial_pkt\":%.0f,"
	       "\"oif\":%u,\"dst_len\":%u,\"src_len\":%u}\n",
	       nflows, miss, hit, miss / bench_median(triv, REPS), rt.oif, rt.dst_len, rt.src_len);
	{
		struct jf_router_stats st;

		jf_router_get_stats(r, &st);
		printf("{\"lookups\":%llu,\"cache_hits\":%llu,\"queries\":%llu,"
		       "\"invalidations\":%llu}\n", (unsigned long long)st.lookups,
		       (unsigned long long)st.cache_hits, (unsigned long long)st.queries,
		       (unsigned long long)st.invalidations);
	}
	jf_router_free(r);
	xdp_fib_bpf__destroy(x);
	trivial_bpf__destroy(t);
	return 0;
}
