// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowd-xdpgen: pushes UDP/IPv4 packets out of an interface at millions of
 * packets per second with BPF_F_TEST_XDP_LIVE_FRAMES (kernel >= 5.18): the
 * kernel runs bench/xdpgen.bpf.c on recycled frames and transmits each one
 * (XDP_TX out of the interface given as ingress). Flows and sizes cycle
 * deterministically; the count printed at the end is exact (a per-CPU
 * counter in the program), so receivers can compute the share they saw. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
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
#include <linux/if_link.h>
#include "xdpgen.skel.h"

#define MAX_SIZES 64
#define MAX_FRAME 3000	/* a live frame lives in one page with its headroom */
#define MIN_FRAME 42	/* Ethernet + IPv4 + UDP */

struct opts {
	const char *iface;
	uint32_t flows;
	uint16_t sizes[MAX_SIZES];
	uint32_t nsizes;
	double duration;	/* seconds; bounded even with --count */
	uint64_t count;		/* stop after this many packets (0: duration only) */
	double pps;		/* 0: as fast as possible */
	int cpu;
	uint32_t batch;
	uint8_t dst_mac[6], src_mac[6];
	const char *hold;	/* device that keeps the program in the XDP dispatcher */
	uint32_t chunk;		/* frames per test run (0: automatic) */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: jflowd-xdpgen --iface IFACE [options]\n"
		"  --flows N          distinct flows, cycled packet by packet (1024)\n"
		"  --sizes LIST       frame lengths with optional weights, cycled:\n"
		"                     64 | 64,594,1518 | 64:7,594:4,1518:1 (64)\n"
		"  --duration S       send for S seconds (5; upper bound with --count)\n"
		"  --count N          stop after exactly N packets\n"
		"  --pps N            about N packets/s, evenly spaced (default: as fast as possible)\n"
		"  --cpu N            pin to CPU N (the program runs there)\n"
		"  --batch N          frames per kernel batch, 1..256 (64)\n"
		"  --dst-mac MAC      destination MAC (02:00:00:00:00:02)\n"
		"  --chunk N          frames per test-run call (automatic)\n"
		"  --hold IFACE       attach the program (generic XDP) to IFACE, a dummy device\n"
		"                     that never receives, while sending: test runs then skip\n"
		"                     the XDP dispatcher update (an RCU wait) each call\n"
		"Prints one line: sent=N seconds=S pps=R on stdout.\n");
	exit(2);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "xdpgen: bad MAC '%s'\n", s);
		exit(2);
	}
}

static void parse_sizes(const char *s, struct opts *o)
{
	char buf[512], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", s);
	o->nsizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned len, weight = 1, i;

		if (sscanf(tok, "%u:%u", &len, &weight) < 1 || len < MIN_FRAME ||
		    len > MAX_FRAME || !weight) {
			fprintf(stderr, "xdpgen: bad size '%s' (%d..%d bytes)\n", tok, MIN_FRAME,
				MAX_FRAME);
			exit(2);
		}
		for (i = 0; i < weight; i++) {
			if (o->nsizes == MAX_SIZES) {
				fprintf(stderr, "xdpgen: more than %d sizes with weights\n",
					MAX_SIZES);
				exit(2);
			}
			o->sizes[o->nsizes++] = (uint16_t)len;
		}
	}
	if (!o->nsizes)
		usage();
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "iface", 1, 0, 'i' }, { "flows", 1, 0, 'f' }, { "sizes", 1, 0, 's' },
		{ "duration", 1, 0, 'd' }, { "count", 1, 0, 'n' }, { "pps", 1, 0, 'p' },
		{ "cpu", 1, 0, 'c' }, { "batch", 1, 0, 'b' }, { "dst-mac", 1, 0, 'm' },
		{ "hold", 1, 0, 'H' }, { "chunk", 1, 0, 'k' }, { "help", 0, 0, 'h' }, { 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'f': o->flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': parse_sizes(optarg, o); break;
		case 'd': o->duration = atof(optarg); break;
		case 'n': o->count = strtoull(optarg, NULL, 0); break;
		case 'p': o->pps = atof(optarg); break;
		case 'c': o->cpu = atoi(optarg); break;
		case 'b': o->batch = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': parse_mac(optarg, o->dst_mac); break;
		case 'H': o->hold = optarg; break;
		case 'k': o->chunk = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!o->iface || !o->flows || o->duration <= 0 || o->batch < 1 || o->batch > 256 ||
	    o->pps < 0)
		usage();
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The template frame at the largest size; the program shrinks it. */
static size_t build_frame(uint8_t *fr, const struct opts *o, uint32_t src_base)
{
	size_t len = 0;
	uint32_t i, a;

	for (i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > len)
			len = o->sizes[i];
	memset(fr, 0, len);
	memcpy(fr, o->dst_mac, 6);
	memcpy(fr + 6, o->src_mac, 6);
	fr[12] = 0x08;			/* IPv4 */
	fr[14] = 0x45;
	fr[22] = 64;			/* TTL */
	fr[23] = 17;			/* UDP */
	a = htonl(src_base);
	memcpy(fr + 26, &a, 4);
	a = htonl(0xc6130001);		/* 198.19.0.1 */
	memcpy(fr + 30, &a, 4);
	fr[36] = 5001 >> 8;		/* destination port */
	fr[37] = 5001 & 0xff;
	return len;
}

static uint64_t read_sent(struct xdpgen_bpf *skel, int ncpus)
{
	uint64_t *v = calloc((size_t)ncpus, sizeof(*v)), sum = 0;
	uint32_t zero = 0;
	int i;

	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.sent), &zero, v))
		for (i = 0; i < ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.flows = 1024, .sizes = { 64 }, .nsizes = 1, .duration = 5, .cpu = -1,
		.batch = 64,
		.dst_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
		.src_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	static uint8_t frame[MAX_FRAME];
	struct xdp_md ctx = { 0 };
	struct xdpgen_bpf *skel;
	double t0, t1, deadline, base, per_loop = 0, tp0 = 0;
	uint64_t sent, chunk, queued = 0;
	uint32_t delay = 0, calls = 0, d0 = 0;
	int ifindex, prog_fd, ncpus, rc = 0, hold_ifindex = 0;
	size_t flen;
	uint32_t i;

	parse_args(argc, argv, &o);
	ifindex = (int)if_nametoindex(o.iface);
	if (!ifindex) {
		fprintf(stderr, "xdpgen: interface %s: %s\n", o.iface, strerror(errno));
		return 1;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("xdpgen: sched_setaffinity");
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = xdpgen_bpf__open();
	if (!skel) {
		fprintf(stderr, "xdpgen: open BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->nflows = o.flows;
	skel->rodata->nsizes = o.nsizes;
	for (i = 0; i < o.nsizes; i++)
		skel->rodata->sizes[i] = o.sizes[i];
	rc = xdpgen_bpf__load(skel);
	if (rc) {
		fprintf(stderr, "xdpgen: load BPF program: %s\n", strerror(-rc));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xdpgen);
	ncpus = libbpf_num_possible_cpus();
	flen = build_frame(frame, &o, skel->rodata->src_base);
	ctx.ingress_ifindex = (uint32_t)ifindex;
	ctx.data_end = (uint32_t)flen;	/* the kernel checks it equals the data size */

	if (o.hold) {
		hold_ifindex = (int)if_nametoindex(o.hold);
		if (!hold_ifindex || bpf_xdp_attach(hold_ifindex, prog_fd, XDP_FLAGS_SKB_MODE |
						    XDP_FLAGS_UPDATE_IF_NOEXIST, NULL)) {
			fprintf(stderr, "xdpgen: cannot attach to hold device %s\n", o.hold);
			xdpgen_bpf__destroy(skel);
			return 1;
		}
	}

	/* Each test run sets up and tears down a page pool of fresh frames
	 * (0.1-0.2 ms here), so frames go in large chunks. Pacing (--pps)
	 * leaves no bursts for the veth ring (256 frames): the program spins
	 * delay_loops iterations before each packet. A chunk's time per packet
	 * is about a + c * delay. Two short calibration chunks, both slower
	 * than asked, give c; after that every chunk refreshes a and sets
	 * delay for 1/pps per packet, call overhead included, so the average
	 * rate is the one asked for and packets within a chunk are evenly
	 * spaced. */
	chunk = o.chunk ? o.chunk : 16384;
	if (o.pps > 0 && !o.chunk && o.pps * 4e-3 < chunk)
		chunk = o.pps * 4e-3 > 1024 ? (uint64_t)(o.pps * 4e-3) : 1024;
	if (o.pps > 0) {
		/* c is at least 0.1 ns a loop: this is slower than asked. */
		double slow = 10.0 / o.pps / 1e-9;

		delay = slow > (1u << 22) ? (1u << 22) : (uint32_t)slow;
	}
	t0 = mono_s();
	deadline = t0 + o.duration;
	while (!stop) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = frame,
			    .data_size_in = (uint32_t)flen,
			    .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = o.batch);
		uint64_t n = chunk;
		double now = mono_s(), dt, tp;

		if (now >= deadline)
			break;
		if (o.pps > 0 && calls < 2 && n > 1024)
			n = 1024;	/* calibration */
		if (o.count) {
			if (queued >= o.count)
				break;
			if (n > o.count - queued)
				n = o.count - queued;
		}
		skel->bss->delay_loops = delay;
		opts.repeat = (uint32_t)n;
		rc = bpf_prog_test_run_opts(prog_fd, &opts);
		if (rc && rc != -EINTR) {
			fprintf(stderr, "xdpgen: test run: %s%s\n", strerror(-rc),
				rc == -EINVAL ? " (kernel without live frames? needs 5.18+)" : "");
			break;
		}
		queued += n;
		calls++;
		if (o.pps <= 0)
			continue;
		dt = mono_s() - now;
		tp = dt / (double)n;
		if (calls == 1) {
			tp0 = tp;
			d0 = delay;
			delay /= 4;
			continue;
		}
		if (calls == 2 && d0 > delay && tp0 > tp)
			per_loop = (tp0 - tp) / (double)(d0 - delay);
		if (per_loop <= 0)
			per_loop = 1e-9;
		base = tp - per_loop * delay;	/* a, with this chunk's overhead */
		if (1.0 / o.pps <= base) {
			delay = 0;	/* as fast as it goes is not faster than asked */
		} else {
			double want = (1.0 / o.pps - base) / per_loop;

			delay = want > (1u << 22) ? (1u << 22) : (uint32_t)want;
		}
	}
	t1 = mono_s();
	sent = read_sent(skel, ncpus);
	if (hold_ifindex)
		bpf_xdp_detach(hold_ifindex, XDP_FLAGS_SKB_MODE, NULL);
	if (rc && rc != -EINTR) {
		xdpgen_bpf__destroy(skel);
		return 1;
	}
	printf("sent=%llu seconds=%.6f pps=%.0f flows=%u frame_max=%zu\n",
	       (unsigned long long)sent, t1 - t0, (double)sent / (t1 - t0), o.flows, flen);
	xdpgen_bpf__destroy(skel);
	return 0;
}
