// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The selection step of the programs (bpf/filter.h) against libpcap: for
 * each expression, over a random corpus of frames (every framing, some
 * damaged: tests/lib/pktrand.h), the XDP program (BPF_PROG_TEST_RUN), the
 * TC egress program and the agent's reference interpreter (jf_cbpf_run)
 * select exactly the frames pcap_offline_filter selects. A frame is
 * selected by a program when it lands in some counter of the monitor; a
 * rejected one in none. Each expression goes into the slot the last did
 * not use, as a reload writes it: the switch applies from the next frame. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/flow.h"
#include "jflowd/monitor.h"
#include "meter/filter.h"
#include "jflowd.skel.h"
#include "filter_ref.h"
#include "../lib/pktrand.h"

#define IFINDEX_LO 1

static const char *const exprs[] = {
	"udp",
	"not port 22",
	"tcp and (port 443 or port 80)",
	"ip6 and tcp",
	"icmp or icmp6",
	"vlan",
	"vlan and udp",
	"mpls",
	"src net 192.0.2.0/30",
	"src host 192.0.2.1 or dst net 2001:db8::/32",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
	"len > 200",
	"ip[6:2] & 0x1fff != 0",
	"portrange 1000-2000 and not ip6",
	"ip proto 47 or ip6 proto 47",
	"ether[12:2] = 0x0800 and ip[9] = 17",
};

static uint64_t stats_total(int fd, int ncpus)
{
	struct jf_stat st[ncpus];
	uint64_t sum = 0;
	__u32 idx;
	int c;

	for (idx = 0; idx < 2 * JF_PKT_REASON_MAX; idx++) {	/* monitor 0, both parities */
		if (bpf_map_lookup_elem(fd, &idx, st))
			continue;
		for (c = 0; c < ncpus; c++)
			sum += st[c].packets;
	}
	return sum;
}

/* Whether the program counted the frame: the stats of monitor 0 moved;
 * -errno when it could not run. */
static int run(int prog_fd, int stats_fd, int ncpus, bool tc, const struct pb *p)
{
	struct xdp_md xctx = { .ingress_ifindex = IFINDEX_LO, .data_end = p->len };
	struct __sk_buff skb = { .gso_segs = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->b, .data_size_in = p->len,
		    .repeat = 1);
	uint64_t before = stats_total(stats_fd, ncpus);

	if (tc) {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	} else {
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
	}
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return stats_total(stats_fd, ncpus) != before;
}

static int set_filter(struct jflowd_bpf *skel, const char *expr, uint32_t slot)
{
	struct jf_cbpf f;
	char err[600];
	__u32 key = slot;

	if (jf_filter_to_cbpf(expr, &f, err, sizeof(err))) {
		printf("FAIL: %s\n", err);
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.mon_filter), &key, &f, BPF_ANY))
		return -1;
	skel->bss->filter_on[0] = (__u8)(slot + 1);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long npkts = argc > 1 ? strtoul(argv[1], NULL, 0) : 3000;
	int ncpus = libbpf_num_possible_cpus(), xdp_fd, tc_fd, stats_fd, failed = 0;
	struct jflowd_bpf *skel;
	size_t e;

	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	skel = jflowd_bpf__open();
	if (!skel || jflowd_bpf__load(skel)) {
		printf("FAIL: cannot load the programs: %s\n", strerror(errno));
		return 1;
	}
	xdp_fd = bpf_program__fd(skel->progs.jflowd_xdp);
	tc_fd = bpf_program__fd(skel->progs.jflowd_tc_egress);
	stats_fd = bpf_map__fd(skel->maps.stats);

	for (e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct prng rng = { 20261206 + e };
		struct filter_ref *ref = filter_ref_new(exprs[e]);
		struct jf_cbpf f;
		char err[600];
		unsigned long i, sel = 0, bad = 0, tc_cut = 0;

		if (!ref || jf_filter_to_cbpf(exprs[e], &f, err, sizeof(err)) ||
		    set_filter(skel, exprs[e], (uint32_t)(e & 1))) {
			printf("FAIL %s: does not compile\n", exprs[e]);
			failed++;
			filter_ref_free(ref);
			continue;
		}
		for (i = 0; i < npkts; i++) {
			struct pb p;
			int want, x, t, u;

			rnd_frame(&rng, &p);
			if (i % 4 == 3)
				rnd_damage(&rng, &p);
			want = filter_ref_match(ref, p.b, p.len);
			u = jf_cbpf_run(&f, p.b, p.len) != 0;
			x = run(xdp_fd, stats_fd, ncpus, false, &p);
			t = run(tc_fd, stats_fd, ncpus, true, &p);
			/* The kernel refuses to build an skb of a frame cut inside
			 * its IP header (EINVAL): the stack never sends one. */
			if (t == -EINVAL) {
				tc_cut++;
				t = want;
			}
			sel += want;
			if (x != want || t != want || u != want) {
				if (++bad <= 5) {
					unsigned k;

					printf("%s: frame %lu (%u bytes): libpcap %d, XDP %d, TC %d, "
					       "agent %d:", exprs[e], i, p.len, want, x, t, u);
					for (k = 0; k < p.len && k < 64; k++)
						printf(" %02x", p.b[k]);
					printf("\n");
				}
			}
		}
		filter_ref_free(ref);
		printf("%s %-45s %u instructions, %lu of %lu frames selected, %lu differ (TC: %lu "
		       "cut frames not run)\n", bad ? "FAIL" : "ok  ", exprs[e], f.len, sel, npkts,
		       bad, tc_cut);
		failed += bad != 0;
		/* A filter that selects nothing in the corpus proves little. */
		if (!sel || sel == npkts) {
			printf("FAIL %s: selects %s frame of the corpus\n", exprs[e],
			       sel ? "every" : "no");
			failed++;
		}
	}
	jflowd_bpf__destroy(skel);
	printf("%zu expressions, %d failed\n", sizeof(exprs) / sizeof(exprs[0]), failed);
	return failed ? 1 : 0;
}
