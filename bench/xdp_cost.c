// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_xdp_cost: cost per packet of the real XDP program (bpf/jflowd.bpf.c)
 * on the insert path (new flows) and the hit path (existing flows), over
 * many distinct flows, against the trivial XDP_PASS program (bpf/trivial).
 * The program counts into the persistent flow table as the agent loads it
 * by default (1.5 slots per flow; the epoch maps are its stash).
 *
 * Main method, in the kernel's repeat loop: bench/xdp_rotate.bpf.c writes
 * flow n % N into the frame and tail-calls the program under test, so one
 * BPF_PROG_TEST_RUN runs a million packets over N flows back to back, warm,
 * as a NAPI poll would. The trivial program runs behind the same rotator,
 * so both figures carry the rotator and the tail call. Insert path: rounds
 * of N packets into an emptied map; hit path: the same flows again.
 *
 * Cross-check ("cold"): one syscall per packet with repeat=1, summing the
 * kernel's own time of each run; every run then starts with caches and TLB
 * disturbed by the syscall, the worst case of sparse traffic.
 *
 * --filter EXPR: monitor 0 with that filter (src/meter/filter.h), which
 * must select the frames (TCP from 10.0.0.0/8, or 2001:db8:1::/48, to port
 * 443): the cost of the selection step on top of the table's.
 *
 * One JSON object per line on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/flow.h"
#include "jflowd/table.h"
#include "meter/bpf_clock.h"
#include "meter/filter.h"
#include "meter/table_segs.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"
#include "trivial.skel.h"
#include "xdp_rotate.skel.h"
#include "bench_util.h"

#define MAX_SIZES 8
#define MAX_REPS 64
#define DEFAULT_MAP_MIN 131072	/* the agent's default --max-flows */

struct opts {
	uint32_t flows[MAX_SIZES];
	int nflows;
	int reps;
	int cpu;
	int family;
	uint32_t hot_repeat;
	uint32_t cold_max;	/* per-packet syscall method up to this many flows */
	const char *filter;	/* monitor 0's, or NULL */
};

struct frame {
	uint8_t b[128];
	uint32_t len;
	uint32_t src_off;	/* where the flow index goes */
};

static void build_frame(struct frame *f, int family)
{
	uint8_t *p = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (family == 4) {
		/* Ethernet + IPv4 + TCP ACK + 10 bytes: a 64-byte frame. */
		p[12] = 0x08;
		p[14] = 0x45;
		p[16] = 0; p[17] = 50;			/* total length */
		p[22] = 64; p[23] = 6;			/* TTL, TCP */
		memcpy(p + 26, "\x0a\x00\x00\x00", 4);	/* 10.0.0.0 + flow */
		memcpy(p + 30, "\xc6\x33\x64\x07", 4);	/* 198.51.100.7 */
		p[34] = 40000 >> 8; p[35] = 40000 & 0xff;
		p[36] = 443 >> 8; p[37] = 443 & 0xff;
		p[46] = 5 << 4; p[47] = 0x10;		/* ACK */
		f->len = 64;
		f->src_off = 26;
	} else {
		/* Ethernet + IPv6 + TCP ACK + 4 bytes: 78 bytes. */
		static const uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
		static const uint8_t d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 };

		p[12] = 0x86; p[13] = 0xdd;
		p[14] = 0x60;
		p[19] = 24;				/* payload length */
		p[20] = 6; p[21] = 64;			/* next header TCP, hop limit */
		memcpy(p + 22, s, 16);
		memcpy(p + 38, d, 16);
		p[54] = 40000 >> 8; p[55] = 40000 & 0xff;
		p[56] = 443 >> 8; p[57] = 443 & 0xff;
		p[66] = 5 << 4; p[67] = 0x10;
		f->len = 78;
		f->src_off = 22 + 12;			/* low 32 bits of the source */
	}
}

static void set_flow(struct frame *f, uint32_t i)
{
	uint32_t a = f->src_off == 26 ? htonl(0x0a000000u + i + 1) : htonl(i + 1);

	memcpy(f->b + f->src_off, &a, 4);
}

struct pass {
	uint64_t kernel_ns;	/* sum of the kernel's per-run times */
	uint64_t wall_ns;	/* the whole loop, syscalls included */
};

static int run_pass(int prog_fd, struct frame *f, uint32_t nflows, struct pass *out)
{
	uint64_t t0 = bench_ns(), sum = 0;
	uint32_t i;

	for (i = 0; i < nflows; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
			    .repeat = 1);
		int rc;

		set_flow(f, i);
		rc = bpf_prog_test_run_opts(prog_fd, &o);
		if (rc) {
			fprintf(stderr, "xdp_cost: test run: %s\n", strerror(-rc));
			return rc;
		}
		sum += o.duration;
	}
	out->wall_ns = bench_ns() - t0;
	out->kernel_ns = sum;
	return 0;
}

static int hot_run(int prog_fd, struct frame *f, uint32_t repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);
	int rc;

	set_flow(f, 0);
	rc = bpf_prog_test_run_opts(prog_fd, &o);
	if (rc)
		return rc;
	*ns = o.duration;
	return 0;
}

static bool is_flow_map(const struct bpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m);

	return bpf_map__key_size(m) == sizeof(struct jf_key) &&
	       (t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
		t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH);
}

/* The persistent flow table as the agent runs it by default (1.5 slots
 * per flow), mapped here to count and clear it. */
static struct jf_slot *tbl;
/* The program's clock as the agent sets it (jiffies); tick 0: not measured. */
static struct jf_bpf_clock clk;
static uint32_t tbl_slots;
static struct jf_table_segs tbl_segs;
static struct jf_table_mem tbl_mem = { .fd0 = -1 };

static uint64_t table_live(bool clear)
{
	uint64_t n = 0;
	uint32_t i;

	if (!tbl)
		return 0;
	for (i = 0; i < tbl_slots; i++)
		n += tbl[i].state == JF_SLOT_LIVE;
	if (clear)
		memset(tbl, 0, (size_t)tbl_slots * JF_SLOT_BYTES);
	return n;
}

/* Entries in every flow map, without changing them. */
static uint64_t count_flows(struct bpf_object *obj)
{
	struct jf_key k, next;
	struct bpf_map *m;
	uint64_t n = table_live(false);

	bpf_object__for_each_map(m, obj) {
		int fd = bpf_map__fd(m);
		void *prev = NULL;

		if (!is_flow_map(m))
			continue;
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			k = next;
			prev = &k;
			n++;
		}
	}
	return n;
}

/* Empty every flow map; returns the entries removed. */
static uint64_t clear_flows(struct bpf_object *obj)
{
	int ncpus = libbpf_num_possible_cpus();
	struct bpf_map *m;
	uint64_t n = table_live(true);

	bpf_object__for_each_map(m, obj) {
		enum bpf_map_type t = bpf_map__type(m);
		size_t vsz = bpf_map__value_size(m);
		uint32_t in = 0, out = 0, batch = 4096;
		void *keys, *vals;
		bool first = true;
		int fd = bpf_map__fd(m);

		if (!is_flow_map(m))
			continue;
		if (t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH)
			vsz = ((vsz + 7) & ~(size_t)7) * (size_t)ncpus;
		keys = calloc(batch, sizeof(struct jf_key));
		vals = calloc(batch, vsz);
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return n;
		}
		for (;;) {
			LIBBPF_OPTS(bpf_map_batch_opts, bo);
			uint32_t cnt = batch;
			int rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out,
								 keys, vals, &cnt, &bo);

			if (rc && rc != -ENOENT) {
				fprintf(stderr, "xdp_cost: clear %s: %s\n", bpf_map__name(m),
					strerror(-rc));
				break;
			}
			n += cnt;
			if (rc == -ENOENT)
				break;
			in = out;
			first = false;
		}
		free(keys);
		free(vals);
	}
	return n;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "flows", 1, 0, 'f' }, { "reps", 1, 0, 'r' }, { "cpu", 1, 0, 'c' },
		{ "family", 1, 0, 'F' }, { "hot-repeat", 1, 0, 'H' }, { "cold-max", 1, 0, 'C' },
		{ "filter", 1, 0, 'X' }, { 0 }
	};
	char *tok, *save;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->nflows = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && o->nflows < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				o->flows[o->nflows++] = (uint32_t)strtoul(tok, NULL, 0);
			break;
		case 'r': o->reps = atoi(optarg); break;
		case 'c': o->cpu = atoi(optarg); break;
		case 'F': o->family = atoi(optarg); break;
		case 'H': o->hot_repeat = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'C': o->cold_max = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'X': o->filter = optarg; break;
		default:
			fprintf(stderr, "usage: bench_xdp_cost [--flows N,N,..] [--reps N] "
				"[--cpu N] [--family 4|6] [--hot-repeat N] [--cold-max N] "
				"[--filter EXPR]\n");
			exit(2);
		}
	}
	if (o->reps < 1 || o->reps > MAX_REPS || (o->family != 4 && o->family != 6))
		exit(2);
}

/* The rotator: the harness program of the in-kernel method. */
struct rot {
	struct xdp_rotate_bpf *skel;
	int fd, seq_fd, target_fd;
};

static int rot_open(struct rot *r, uint32_t nflows, const struct frame *f)
{
	memset(r, 0, sizeof(*r));
	r->skel = xdp_rotate_bpf__open();
	if (!r->skel)
		return -errno;
	r->skel->rodata->nflows = nflows;
	r->skel->rodata->addr_off = f->src_off;
	r->skel->rodata->addr_base = f->src_off == 26 ? 0x0a000001 : 1;
	if (xdp_rotate_bpf__load(r->skel))
		return -errno;
	r->fd = bpf_program__fd(r->skel->progs.xdp_rotate);
	r->seq_fd = bpf_map__fd(r->skel->maps.seq);
	r->target_fd = bpf_map__fd(r->skel->maps.target);
	return 0;
}

/* ns per packet of `repeat` runs through the rotator into prog_fd, flows
 * starting again at 0, as the kernel times its repeat loop (an integer,
 * rounded down). Not the wall time of the syscall: with repeat > 1 the
 * kernel also swaps the program into the XDP dispatcher, which waits for an
 * RCU grace period (about a millisecond here). */
static int rot_run(struct rot *r, int prog_fd, struct frame *f, uint32_t repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);
	uint64_t zeros[JF_MAX_CPUS] = { 0 };
	uint32_t zero = 0;
	int rc;

	if (bpf_map_update_elem(r->target_fd, &zero, &prog_fd, BPF_ANY) ||
	    bpf_map_update_elem(r->seq_fd, &zero, zeros, BPF_ANY))
		return -errno;
	rc = bpf_prog_test_run_opts(r->fd, &o);
	if (rc)
		return rc;
	if (o.retval == XDP_ABORTED) {
		fprintf(stderr, "xdp_cost: rotator aborted (tail call failed?)\n");
		return -EINVAL;
	}
	*ns = o.duration;
	return 0;
}

static void rot_close(struct rot *r)
{
	xdp_rotate_bpf__destroy(r->skel);
}

static int bench_flows(const struct opts *o, int trivial_fd, uint32_t nflows)
{
	double tk[MAX_REPS], ik[MAX_REPS], hk[MAX_REPS], tc[MAX_REPS], ic[MAX_REPS],
	       hc[MAX_REPS];
	uint32_t max_entries = nflows * 2 > DEFAULT_MAP_MIN ? nflows * 2 : DEFAULT_MAP_MIN;
	/* Hit and trivial runs: at least 2^20 packets, whole rounds of flows.
	 * Insert runs: at least 2^18 packets in rounds over an emptied map. */
	uint32_t hit_repeat = nflows * ((1u << 20) / nflows + ((1u << 20) % nflows != 0));
	uint32_t ins_rounds = (1u << 18) / nflows ? (1u << 18) / nflows : 1;
	int cold_reps = nflows > o->cold_max ? 0 : o->reps;
	struct jflowd_bpf *skel;
	uint64_t inserted = 0, removed;
	struct rot rot = { 0 };
	struct bpf_map *m;
	struct frame f;
	int rep, fd, rc = -1;
	uint32_t k, seg_shift;

	skel = jflowd_bpf__open();
	if (!skel) {
		fprintf(stderr, "xdp_cost: open jflowd object: %s\n", strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(m, skel->obj)
		if (is_flow_map(m))
			bpf_map__set_max_entries(m, max_entries);
	tbl_slots = nflows + nflows / 2;
	skel->rodata->table_on = 1;
	skel->data->table_slots[0] = tbl_slots;
	skel->rodata->jiffy_ns = clk.tick_ns;
	skel->bss->clock_off_ns = clk.off_ns;
	/* Segments as the agent makes them for its first table (65,536
	 * slots, or the whole table when smaller). */
	seg_shift = jf_table_seg_shift(tbl_slots < 65536 ? tbl_slots : 65536);
	skel->rodata->table_seg_shift = seg_shift;
	rc = jf_table_segs_prepare(skel->maps.flow_segs, seg_shift, tbl_slots);
	if (rc >= 0) {
		k = (uint32_t)rc;
		rc = jflowd_bpf__load(skel);
		close((int)k);	/* the segments' model */
	}
	if (rc) {
		fprintf(stderr, "xdp_cost: load jflowd object: %s\n", strerror(-rc));
		goto out;
	}
	if (o->filter) {
		struct jf_cbpf flt;
		char err[600];
		__u32 key = 0;

		if (jf_filter_to_cbpf(o->filter, &flt, err, sizeof(err)) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.mon_filter), &key, &flt, BPF_ANY)) {
			fprintf(stderr, "xdp_cost: %s\n", err);
			rc = -1;
			goto out;
		}
		skel->bss->filter_on[0] = 1;
	}
	tbl_segs = (struct jf_table_segs){ .fd = bpf_map__fd(skel->maps.flow_segs), .shift = seg_shift };
	rc = jf_table_mem_make(&tbl_segs, 0, tbl_slots, &tbl_mem);
	if (rc) {
		fprintf(stderr, "xdp_cost: map the flow table: %s\n", strerror(-rc));
		rc = -1;
		goto out;
	}
	tbl = tbl_mem.mem;
	fd = bpf_program__fd(skel->progs.jflowd_xdp);
	build_frame(&f, o->family);
	set_flow(&f, 0);
	rc = rot_open(&rot, nflows, &f);
	if (rc) {
		fprintf(stderr, "xdp_cost: load rotator: %s\n", strerror(-rc));
		goto out;
	}

	/* In-kernel method, interleaved so drift hits all three alike. */
	for (rep = 0; rep < o->reps; rep++) {
		double sum = 0, x;

		if ((rc = rot_run(&rot, trivial_fd, &f, hit_repeat, &tk[rep])))
			goto fail;
		for (k = 0; k < ins_rounds; k++) {
			clear_flows(skel->obj);
			if ((rc = rot_run(&rot, fd, &f, nflows, &x)))
				goto fail;
			sum += x;
		}
		ik[rep] = sum / ins_rounds;
		if (rep == 0)
			inserted = count_flows(skel->obj);
		if ((rc = rot_run(&rot, fd, &f, hit_repeat, &hk[rep])))
			goto fail;
		removed = clear_flows(skel->obj);
		if (removed != nflows || inserted != nflows) {
			fprintf(stderr, "xdp_cost: %u flows sent, %llu in the map after the insert "
				"pass, %llu after the hit pass\n", nflows,
				(unsigned long long)inserted, (unsigned long long)removed);
			rc = -1;
			goto out;
		}
	}

	/* One syscall per packet: cold caches (and TLB, with PTI) each time. */
	for (rep = 0; rep < cold_reps; rep++) {
		struct pass t, ins, hit;

		if ((rc = run_pass(trivial_fd, &f, nflows, &t)) ||
		    (rc = run_pass(fd, &f, nflows, &ins)) ||
		    (rc = run_pass(fd, &f, nflows, &hit)))
			goto fail;
		removed = clear_flows(skel->obj);
		if (removed != nflows) {
			fprintf(stderr, "xdp_cost: cold method: %u flows sent, %llu in the map\n",
				nflows, (unsigned long long)removed);
			rc = -1;
			goto out;
		}
		tc[rep] = (double)t.kernel_ns / nflows;
		ic[rep] = (double)ins.kernel_ns / nflows;
		hc[rep] = (double)hit.kernel_ns / nflows;
	}
	printf("{\"bench\":\"xdp_cost\",\"family\":%d,\"flows\":%u,\"max_entries\":%u,"
	       "\"reps\":%d,\"hit_repeat\":%u,\"insert_rounds\":%u,"
	       "\"trivial_ns\":%.2f,\"insert_ns\":%.2f,\"hit_ns\":%.2f,\"flows_in_map\":%llu",
	       o->family, nflows, max_entries, o->reps, hit_repeat, ins_rounds,
	       bench_median(tk, o->reps),
	       bench_median(ik, o->reps), bench_median(hk, o->reps),
	       (unsigned long long)inserted);
	if (cold_reps)
		printf(",\"cold_trivial_ns\":%.2f,\"cold_insert_ns\":%.2f,\"cold_hit_ns\":%.2f",
		       bench_median(tc, cold_reps), bench_median(ic, cold_reps),
		       bench_median(hc, cold_reps));
	printf("}\n");
	fflush(stdout);

	if (o->hot_repeat && nflows == o->flows[0]) {
		double th[MAX_REPS], hh[MAX_REPS];

		/* One flow, no rotator: the kernel's repeat loop on one frame. */
		for (rep = 0; rep < o->reps; rep++) {
			if ((rc = hot_run(fd, &f, 1, &hh[rep])) ||
			    (rc = hot_run(trivial_fd, &f, o->hot_repeat, &th[rep])) ||
			    (rc = hot_run(fd, &f, o->hot_repeat, &hh[rep])))
				goto fail;
			clear_flows(skel->obj);
		}
		printf("{\"bench\":\"xdp_cost_hot\",\"family\":%d,\"repeat\":%u,\"reps\":%d,"
		       "\"trivial_ns\":%.2f,\"hit_ns\":%.2f}\n", o->family, o->hot_repeat,
		       o->reps, bench_median(th, o->reps), bench_median(hh, o->reps));
		fflush(stdout);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "xdp_cost: test run: %s\n", strerror(rc < 0 ? -rc : rc));
out:
	rot_close(&rot);
	jf_table_mem_unmap(&tbl_segs, &tbl_mem, NULL);
	tbl = NULL;
	jflowd_bpf__destroy(skel);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .flows = { 1024, 65536, 1048576 }, .nflows = 3, .reps = 3,
			  .cpu = -1, .family = 4, .hot_repeat = 1000000,
			  .cold_max = 65536 };
	struct trivial_bpf *triv;
	int i, rc;

	parse_args(argc, argv, &o);
	bench_pin(o.cpu);
	rc = jf_bpf_clock_init(&clk);
	if (rc)
		fprintf(stderr, "xdp_cost: no jiffies clock (%s): the program reads "
			"bpf_ktime_get_ns\n", strerror(-rc));
	triv = trivial_bpf__open_and_load();
	if (!triv) {
		fprintf(stderr, "xdp_cost: load trivial object: %s (root and BPF needed)\n",
			strerror(errno));
		return 1;
	}
	for (i = 0; i < o.nflows; i++) {
		rc = bench_flows(&o, bpf_program__fd(triv->progs.trivial_xdp), o.flows[i]);
		if (rc)
			break;
	}
	trivial_bpf__destroy(triv);
	return rc ? 1 : 0;
}
