// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_proto_table: the flow table prototypes of bench/proto_table.bpf.c
 * (and the real program, bpf/jflowd.bpf.c) side by side, per packet, on the
 * insert and the hit path, at each flow count; then what it costs the agent
 * to read each table once at the largest flow count, and memory per flow.
 *
 * Per-packet method: as bench_xdp_cost (BPF_PROG_TEST_RUN with repeat, a
 * rotator that writes flow n into the frame and tail-calls the variant),
 * but flows are visited in a scattered order (n * odd multiplier mod N),
 * with another multiplier for the hit pass than for the insert pass. Every
 * figure of one repetition is taken back to back, the trivial program
 * first, so ratios to it are same-run ratios.
 *
 * Read method: the 128-byte-slot table, filled with N flows by its own
 * program, is read by a full pass through mmap, as the agent would (state
 * word, and for a live slot its counters against a shadow of the last
 * values read), against the same pass over a heap copy, and with the
 * suspected causes of slow reads one at a time: mmap per pass, random
 * order, a writer on the other CPU. The hash map is read with
 * bpf_map_lookup_batch (no delete), 1024 entries per call.
 *
 * One JSON object per line on stdout. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jflowd/flow.h"
#include "jflowd/table.h"
#include "meter/bpf_clock.h"
#include "meter/table_segs.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"
#include "proto_table.h"
#include "proto_table.skel.h"
#include "bench_util.h"

#define MAX_SIZES 8
#define MAX_REPS 16
#define INS_MULT 0x9e3779b1u
#define HIT_MULT 0x85ebca6bu
#define READ_PASSES 5

enum tbl { TB_NONE, TB_H60, TB_H16, TB_OA128, TB_OA64, TB_JFLOWD, TB_H60NP, TB_JFTABLE, TB_OA32 };

struct variant {
	const char *name;
	enum tbl t;
	int fd;
	bool off;		/* not selected (--variants): table kept tiny */
};

static struct variant variants[] = {
	{ "trivial", TB_NONE }, { "parse", TB_NONE }, { "parse_ktime", TB_NONE },
	{ "parse_coarse", TB_NONE }, { "parse_bss", TB_NONE }, { "parse_jiffies", TB_NONE },
	{ "jflowd", TB_JFLOWD }, { "jflowd_table", TB_JFTABLE }, { "hash_ktime", TB_H60 }, { "hash_coarse", TB_H60 },
	{ "hash_np", TB_H60NP }, { "hash16", TB_H16 }, { "oa_ktime", TB_OA128 }, { "oa_coarse", TB_OA128 },
	{ "oa_bss", TB_OA128 }, { "oa64", TB_OA64 }, { "oa64_bss", TB_OA64 }, { "oa32", TB_OA32 },
};
#define NV (sizeof(variants) / sizeof(variants[0]))

struct ctx {
	struct proto_table_bpf *pt;
	struct jflowd_bpf *jf;
	struct jflowd_bpf *jt;		/* the real program with table_on */
	void *jt_mem;
	struct jf_table_segs jt_segs;
	struct jf_table_mem jt_tm;
	uint32_t jt_slots, jt_shift;
	int jt_model;		/* the segments' model until the load */
	uint32_t nflows;
	uint8_t frame[64];
	void *oa128_mem, *oa64_mem, *oa32_mem;
	size_t oa128_len, oa64_len, oa32_len;
};

static void build_frame(uint8_t *p)
{
	/* Ethernet + IPv4 + TCP ACK: 64 bytes, as bench_xdp_cost. */
	memset(p, 0, 64);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p[12] = 0x08;
	p[14] = 0x45;
	p[17] = 50;
	p[22] = 64;
	p[23] = 6;
	memcpy(p + 26, "\x0a\x00\x00\x01", 4);
	memcpy(p + 30, "\xc6\x33\x64\x07", 4);
	p[34] = 40000 >> 8;
	p[35] = 40000 & 0xff;
	p[36] = 443 >> 8;
	p[37] = 443 & 0xff;
	p[46] = 5 << 4;
	p[47] = 0x10;
}

static int map_fd(struct ctx *c, enum tbl t)
{
	switch (t) {
	case TB_H60: return bpf_map__fd(c->pt->maps.h60);
	case TB_H16: return bpf_map__fd(c->pt->maps.h16);
	case TB_H60NP: return bpf_map__fd(c->pt->maps.h60np);
	case TB_JFLOWD: return bpf_map__fd(c->jf->maps.flows_a);
	default: return -1;
	}
}

/* Entries in a hash map (batch lookup, no delete); also the read-pass
 * method of the hash map design. */
static int64_t hash_read_all(int fd, size_t ksz, size_t vsz)
{
	static char keys[1024 * 64], vals[1024 * 64];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t in = 0, out = 0;
	bool first = true;
	int64_t n = 0;

	(void)ksz;
	(void)vsz;
	for (;;) {
		uint32_t cnt = 1024;
		int rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &cnt, &o);

		if (rc && rc != -ENOENT)
			return rc;
		n += cnt;
		if (rc == -ENOENT)
			return n;
		in = out;
		first = false;
	}
}

static int64_t hash_clear(int fd)
{
	static char keys[4096 * 64], vals[4096 * 64];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t in = 0, out = 0;
	bool first = true;
	int64_t n = 0;

	for (;;) {
		uint32_t cnt = 4096;
		int rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, keys, vals,
							 &cnt, &o);

		if (rc && rc != -ENOENT)
			return rc;
		n += cnt;
		if (rc == -ENOENT)
			return n;
		in = out;
		first = false;
	}
}

/* Live slots of an open-addressing table: n slots of size bytes, the
 * state word at offset off. */
static int64_t count_live(const void *mem, uint32_t n, size_t size, size_t off)
{
	const uint8_t *b = mem;
	int64_t live = 0;
	uint32_t i, st;

	for (i = 0; i < n; i++) {
		memcpy(&st, b + (size_t)i * size + off, sizeof(st));
		live += st == PT_LIVE;
	}
	return live;
}

static int64_t oa128_count(const struct ctx *c)
{
	return count_live(c->oa128_mem, c->pt->rodata->oa128_slots, sizeof(struct pt_slot),
			  offsetof(struct pt_slot, state));
}

static int64_t oa64_count(const struct ctx *c)
{
	return count_live(c->oa64_mem, c->pt->rodata->oa64_slots, sizeof(struct pt_slot64),
			  offsetof(struct pt_slot64, state));
}

static int64_t oa32_count(const struct ctx *c)
{
	return count_live(c->oa32_mem, c->pt->rodata->oa32_slots, sizeof(struct pt_slot32),
			  offsetof(struct pt_slot32, state));
}

/* Empties the variant's table; returns the flows it held. */
static int64_t clear_table(struct ctx *c, enum tbl t)
{
	int64_t n;

	switch (t) {
	case TB_OA128:
		n = oa128_count(c);
		memset(c->oa128_mem, 0, c->oa128_len);
		return n + hash_clear(bpf_map__fd(c->pt->maps.stash128));
	case TB_JFTABLE: {
		const struct jf_slot *sl = c->jt_mem;
		uint32_t i, ns = c->jt->data->table_slots[0];

		for (i = 0, n = 0; i < ns; i++)
			n += sl[i].state == JF_SLOT_LIVE;
		memset(c->jt_mem, 0, (size_t)c->jt_slots * JF_SLOT_BYTES);
		/* Its stash: the flow map of epoch 0. */
		return n + hash_clear(bpf_map__fd(c->jt->maps.flows_a));
	}
	case TB_OA64:
		n = oa64_count(c);
		memset(c->oa64_mem, 0, c->oa64_len);
		return n + hash_clear(bpf_map__fd(c->pt->maps.stash64));
	case TB_OA32:
		n = oa32_count(c);
		memset(c->oa32_mem, 0, c->oa32_len);
		return n + hash_clear(bpf_map__fd(c->pt->maps.stash64));
	case TB_NONE:
		return 0;
	default:
		return hash_clear(map_fd(c, t));
	}
}

static int run(struct ctx *c, int prog_fd, uint32_t mult, uint32_t repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->frame, .data_size_in = 64,
		    .repeat = repeat);
	uint64_t zeros[JF_MAX_CPUS] = { 0 };
	uint32_t zero = 0;
	int rc;

	c->pt->bss->rot_mult = mult;
	if (bpf_map_update_elem(bpf_map__fd(c->pt->maps.rot_target), &zero, &prog_fd, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(c->pt->maps.rot_seq), &zero, zeros, BPF_ANY))
		return -errno;
	rc = bpf_prog_test_run_opts(bpf_program__fd(c->pt->progs.rot), &o);
	if (rc)
		return rc;
	if (o.retval != XDP_PASS) {
		fprintf(stderr, "proto_table: retval %u (tail call failed?)\n", o.retval);
		return -EINVAL;
	}
	*ns = o.duration;
	return 0;
}

static struct bpf_program *prog_of(struct proto_table_bpf *pt, const char *name)
{
	char full[64];

	snprintf(full, sizeof(full), "v_%s", name);
	return bpf_object__find_program_by_name(pt->obj, full);
}

/* The read pass fills the 128-byte-slot table, or (--read-hash) the hash
 * map: on a shared machine both at once may not fit in free memory. */
static bool read_tables, read_hash;

static bool table_on(enum tbl t)
{
	size_t i;

	if (read_tables && t == (read_hash ? TB_H60 : TB_OA128))
		return true;
	for (i = 0; i < NV; i++)
		if (variants[i].t == t && !variants[i].off)
			return true;
	return false;
}

/* Tables of variants not selected get 1024 entries: at 1 M flows all of
 * them together need more memory than a shared machine may have free. */
static struct jf_bpf_clock clk;

static int open_ctx(struct ctx *c, uint32_t n)
{
	uint32_t big = n * 2 > 1024 ? n * 2 : 1024, ent;
	uint32_t slots = n + n / 2, big_slots = slots;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->nflows = n;
	build_frame(c->frame);
	c->pt = proto_table_bpf__open();
	c->jf = jflowd_bpf__open();
	c->jt = jflowd_bpf__open();
	if (!c->pt || !c->jf || !c->jt)
		return -errno;
	/* The real program's clock as the agent sets it, and parse_jiffies'. */
	c->jf->rodata->jiffy_ns = clk.tick_ns;
	c->jt->rodata->jiffy_ns = clk.tick_ns;
	c->jf->bss->clock_off_ns = clk.off_ns;
	c->jt->bss->clock_off_ns = clk.off_ns;
	if (clk.tick_ns)
		c->pt->rodata->jiffy_ns = clk.tick_ns;
	c->pt->bss->jiffy_off_ns = clk.off_ns;
	slots = table_on(TB_JFTABLE) ? big_slots : 1024;
	c->jt->rodata->table_on = 1;
	c->jt->data->table_slots[0] = slots;
	/* Segments as the agent makes them for its first table. */
	c->jt_slots = slots;
	c->jt_shift = jf_table_seg_shift(slots < 65536 ? slots : 65536);
	c->jt->rodata->table_seg_shift = c->jt_shift;
	c->jt_model = jf_table_segs_prepare(c->jt->maps.flow_segs, c->jt_shift, slots);
	if (c->jt_model < 0)
		return c->jt_model;
	bpf_map__set_max_entries(c->jt->maps.flows_a, slots / 16 > 1024 ? slots / 16 : 1024);
	bpf_map__set_max_entries(c->jt->maps.flows_b, 1024);
	bpf_map__set_max_entries(c->pt->maps.h60, table_on(TB_H60) ? big : 1024);
	bpf_map__set_max_entries(c->pt->maps.h16, table_on(TB_H16) ? big : 1024);
	bpf_map__set_max_entries(c->pt->maps.h60np, table_on(TB_H60NP) ? big : 1024);
	slots = table_on(TB_OA128) ? big_slots : 1024;
	bpf_map__set_max_entries(c->pt->maps.oa128, slots);
	bpf_map__set_max_entries(c->pt->maps.stash128, slots / 16 > 1024 ? slots / 16 : 1024);
	c->pt->rodata->oa128_slots = slots;
	slots = table_on(TB_OA64) ? big_slots : 1024;
	bpf_map__set_max_entries(c->pt->maps.oa64, slots);
	bpf_map__set_max_entries(c->pt->maps.stash64, slots / 16 > 1024 ? slots / 16 : 1024);
	c->pt->rodata->oa64_slots = slots;
	slots = table_on(TB_OA32) ? big_slots : 1024;
	bpf_map__set_max_entries(c->pt->maps.oa32, slots);
	c->pt->rodata->oa32_slots = slots;
	ent = table_on(TB_JFLOWD) ? big : 1024;
	bpf_map__set_max_entries(c->jf->maps.flows_a, ent);
	/* Epoch 0 writes flows_a only. */
	bpf_map__set_max_entries(c->jf->maps.flows_b, 1024);
	if ((rc = proto_table_bpf__load(c->pt)) || (rc = jflowd_bpf__load(c->jf)) ||
	    (rc = jflowd_bpf__load(c->jt)))
		return rc;
	close(c->jt_model);
	c->jt_model = -1;
	c->jt_segs = (struct jf_table_segs){ .fd = bpf_map__fd(c->jt->maps.flow_segs),
					     .shift = c->jt_shift };
	rc = jf_table_mem_make(&c->jt_segs, 0, c->jt_slots, &c->jt_tm);
	if (rc)
		return rc;
	c->jt_mem = c->jt_tm.mem;
	c->pt->bss->rot_mask = n - 1;
	c->pt->bss->bss_clock_ns = bench_ns();
	c->oa128_len = (size_t)c->pt->rodata->oa128_slots * sizeof(struct pt_slot);
	c->oa64_len = (size_t)c->pt->rodata->oa64_slots * sizeof(struct pt_slot64);
	c->oa128_mem = mmap(NULL, c->oa128_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    bpf_map__fd(c->pt->maps.oa128), 0);
	c->oa64_mem = mmap(NULL, c->oa64_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   bpf_map__fd(c->pt->maps.oa64), 0);
	c->oa32_len = (size_t)c->pt->rodata->oa32_slots * sizeof(struct pt_slot32);
	c->oa32_mem = mmap(NULL, c->oa32_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			   bpf_map__fd(c->pt->maps.oa32), 0);
	if (c->oa128_mem == MAP_FAILED || c->oa64_mem == MAP_FAILED || c->oa32_mem == MAP_FAILED)
		return -errno;
	for (i = 0; i < NV; i++) {
		if (variants[i].t == TB_JFLOWD) {
			variants[i].fd = bpf_program__fd(c->jf->progs.jflowd_xdp);
		} else if (variants[i].t == TB_JFTABLE) {
			variants[i].fd = bpf_program__fd(c->jt->progs.jflowd_xdp);
		} else {
			struct bpf_program *p = prog_of(c->pt, variants[i].name);

			if (!p)
				return -ENOENT;
			variants[i].fd = bpf_program__fd(p);
		}
	}
	return 0;
}

static void close_ctx(struct ctx *c)
{
	if (c->oa128_mem && c->oa128_mem != MAP_FAILED)
		munmap(c->oa128_mem, c->oa128_len);
	if (c->oa64_mem && c->oa64_mem != MAP_FAILED)
		munmap(c->oa64_mem, c->oa64_len);
	if (c->oa32_mem && c->oa32_mem != MAP_FAILED)
		munmap(c->oa32_mem, c->oa32_len);
	jf_table_mem_unmap(&c->jt_segs, &c->jt_tm, NULL);
	jflowd_bpf__destroy(c->jt);
	proto_table_bpf__destroy(c->pt);
	jflowd_bpf__destroy(c->jf);
}

static void minmax(const double *v, int n, double *lo, double *hi)
{
	int i;

	*lo = *hi = v[0];
	for (i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* Per-packet figures at one flow count. */
static int bench_packets(struct ctx *c, int reps)
{
	static double ins[NV][MAX_REPS], hit[NV][MAX_REPS], rin[NV][MAX_REPS],
		      rhit[NV][MAX_REPS];
	uint32_t n = c->nflows;
	uint32_t hit_repeat = n * ((1u << 20) / n + ((1u << 20) % n != 0));
	uint32_t rounds = (1u << 18) / n ? (1u << 18) / n : 1;
	uint64_t stashed0 = c->pt->bss->oa_stashed;
	size_t v;
	int rep, rc;

	/* Each run waits out an RCU grace period: 32 rounds are enough. */
	if (rounds > 32)
		rounds = 32;

	for (rep = 0; rep < reps; rep++) {
		for (v = 0; v < NV; v++) {
			struct variant *va = &variants[v];
			double sum = 0, x;
			int64_t held;
			uint32_t k;

			if (va->off)
				continue;
			if (va->t != TB_NONE) {
				for (k = 0; k < rounds; k++) {
					clear_table(c, va->t);
					if ((rc = run(c, va->fd, INS_MULT, n, &x)))
						return rc;
					sum += x;
				}
				ins[v][rep] = sum / rounds;
			}
			if ((rc = run(c, va->fd, HIT_MULT, hit_repeat, &hit[v][rep])))
				return rc;
			if (va->t == TB_NONE)
				ins[v][rep] = hit[v][rep];
			held = clear_table(c, va->t);
			if (va->t != TB_NONE && held != n) {
				fprintf(stderr, "proto_table: %s: %u flows sent, %lld in the table\n",
					va->name, n, (long long)held);
				return -EIO;
			}
			rin[v][rep] = ins[v][rep] / hit[0][rep];
			rhit[v][rep] = hit[v][rep] / hit[0][rep];
		}
	}
	for (v = 0; v < NV; v++) {
		double lo_i, hi_i, lo_h, hi_h;

		if (variants[v].off)
			continue;
		minmax(rin[v], reps, &lo_i, &hi_i);
		minmax(rhit[v], reps, &lo_h, &hi_h);
		printf("{\"bench\":\"proto_table\",\"flows\":%u,\"variant\":\"%s\",\"reps\":%d,"
		       "\"insert_ns\":%.1f,\"hit_ns\":%.1f,\"insert_x\":%.2f,\"insert_x_min\":%.2f,"
		       "\"insert_x_max\":%.2f,\"hit_x\":%.2f,\"hit_x_min\":%.2f,\"hit_x_max\":%.2f}\n",
		       n, variants[v].name, reps, bench_median(ins[v], reps),
		       bench_median(hit[v], reps), bench_median(rin[v], reps), lo_i, hi_i,
		       bench_median(rhit[v], reps), lo_h, hi_h);
	}
	printf("{\"bench\":\"proto_stash\",\"flows\":%u,\"packets_into_stash\":%llu}\n", n,
	       (unsigned long long)(c->pt->bss->oa_stashed - stashed0));
	fflush(stdout);
	return 0;
}

/* ---- the agent's read pass ---------------------------------------------- */

/* What the agent keeps per slot: counters as last read. */
struct shadow {
	uint64_t packets, octets;
};

static uint64_t sink;

/* One load per slot. */
static uint64_t pass_touch(const struct pt_slot *s, uint32_t n)
{
	uint64_t t0 = bench_ns(), x = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		x += *(const volatile uint32_t *)&s[i].state;
	sink += x;
	return bench_ns() - t0;
}

/* The agent's pass: state, and for a live slot its counters against the
 * shadow; order[] (or slot order when NULL). Returns ns, *changed = slots
 * with new packets. */
static uint64_t pass_agent(const struct pt_slot *s, uint32_t n, struct shadow *sh,
			   const uint32_t *order, uint64_t *changed)
{
	uint64_t t0 = bench_ns(), ch = 0;
	uint32_t j;

	for (j = 0; j < n; j++) {
		uint32_t i = order ? order[j] : j;
		const volatile struct pt_slot *v = &s[i];
		uint64_t p;

		if (v->state != PT_LIVE)
			continue;
		p = v->c.packets;
		if (p != sh[i].packets) {
			sh[i].octets = v->c.octets;
			sh[i].packets = p;
			ch++;
		}
	}
	*changed = ch;
	return bench_ns() - t0;
}

/* Read and reset: each counter taken with an atomic exchange, as a
 * reader that wants deltas without a shadow would. */
static uint64_t pass_xchg(struct pt_slot *s, uint32_t n, uint64_t *total)
{
	uint64_t t0 = bench_ns(), sum = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (__atomic_load_n(&s[i].state, __ATOMIC_RELAXED) != PT_LIVE)
			continue;
		sum += __atomic_exchange_n(&s[i].c.packets, 0, __ATOMIC_SEQ_CST);
		sum += __atomic_exchange_n(&s[i].c.octets, 0, __ATOMIC_SEQ_CST);
	}
	*total = sum;
	return bench_ns() - t0;
}

/* Dependent loads at random over len bytes: the latency of one miss
 * (cache and TLB) on this machine, with 4 KiB pages or huge pages. */
static double chase_ns(size_t len, bool huge)
{
	size_t n = len / 64, i;
	uint64_t *mem, t0, steps = 2000000;
	uint32_t *perm;
	size_t cur = 0;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	madvise(mem, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	perm = malloc(n * sizeof(*perm));
	if (!perm) {
		munmap(mem, len);
		return -1;
	}
	for (i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		size_t j = ((size_t)rand() << 16 ^ (size_t)rand()) % (i + 1);
		uint32_t tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (i = 0; i < n; i++)
		mem[(size_t)perm[i] * 8] = (uint64_t)perm[(i + 1) % n] * 8;
	free(perm);
	t0 = bench_ns();
	for (i = 0; i < steps; i++)
		cur = mem[cur];
	t0 = bench_ns() - t0;
	sink += cur;
	munmap(mem, len);
	return (double)t0 / (double)steps;
}

struct writer {
	struct ctx *c;
	int fd;
	volatile bool stop;
	uint64_t runs;
	int cpu;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	double ns;

	bench_pin(w->cpu);
	while (!w->stop) {
		if (run(w->c, w->fd, HIT_MULT, 1u << 16, &ns))
			break;
		w->runs++;
	}
	return NULL;
}

static uint64_t fdinfo_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void emit_read(const char *what, uint32_t n, const double *v, int k, uint64_t extra)
{
	double lo, hi;

	minmax(v, k, &lo, &hi);
	printf("{\"bench\":\"proto_read\",\"flows\":%u,\"method\":\"%s\",\"passes\":%d,"
	       "\"ms\":%.2f,\"ms_min\":%.2f,\"ms_max\":%.2f,\"first_ms\":%.2f,\"extra\":%llu}\n",
	       n, what, k, bench_median(v, k) / 1e6, lo / 1e6, hi / 1e6, v[0] / 1e6,
	       (unsigned long long)extra);
	fflush(stdout);
}

static int bench_read(struct ctx *c, int other_cpu)
{
	uint32_t n = c->nflows, slots = c->pt->rodata->oa128_slots, i;
	size_t len = c->oa128_len;
	double t[READ_PASSES];
	struct shadow *sh;
	uint32_t *order;
	struct pt_slot *heap, *m;
	struct writer w = { 0 };
	pthread_t th;
	uint64_t ch = 0;
	double x;
	int k, rc, fd = bpf_map__fd(c->pt->maps.oa128);
	int oa_fd = 0;

	if (read_hash)
		goto hash;
	for (i = 0; i < NV; i++)
		if (!strcmp(variants[i].name, "oa_coarse"))
			oa_fd = variants[i].fd;
	clear_table(c, TB_OA128);
	if ((rc = run(c, oa_fd, INS_MULT, n, &x)))
		return rc;
	if (oa128_count(c) + hash_read_all(bpf_map__fd(c->pt->maps.stash128), 0, 0) != n)
		return -EIO;
	sh = calloc(slots, sizeof(*sh));
	order = malloc((size_t)slots * sizeof(*order));
	heap = aligned_alloc(4096, len);
	if (!sh || !order || !heap)
		return -ENOMEM;
	memcpy(heap, c->oa128_mem, len);
	for (i = 0; i < slots; i++)
		order[i] = i;
	srand(1);
	for (i = slots - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (i + 1)), tmp;

		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}

	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_touch(heap, slots);
	emit_read("heap_touch", n, t, READ_PASSES, 0);
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_touch(c->oa128_mem, slots);
	emit_read("mmap_touch", n, t, READ_PASSES, 0);

	memset(sh, 0, (size_t)slots * sizeof(*sh));
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_agent(heap, slots, sh, NULL, &ch);
	emit_read("heap_agent", n, t, READ_PASSES, 0);
	memset(sh, 0, (size_t)slots * sizeof(*sh));
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_agent(c->oa128_mem, slots, sh, NULL, &ch);
	emit_read("mmap_agent", n, t, READ_PASSES, 0);

	/* Suspect 1: a new mapping per drain (mmap + pass + munmap). */
	memset(sh, 0, (size_t)slots * sizeof(*sh));
	for (k = 0; k < READ_PASSES; k++) {
		uint64_t t0 = bench_ns();

		m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return -errno;
		pass_agent(m, slots, sh, NULL, &ch);
		munmap(m, len);
		t[k] = (double)(bench_ns() - t0);
	}
	emit_read("mmap_per_pass_agent", n, t, READ_PASSES, 0);

	/* Suspect 2: random order. */
	memset(sh, 0, (size_t)slots * sizeof(*sh));
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_agent(heap, slots, sh, order, &ch);
	emit_read("heap_agent_random", n, t, READ_PASSES, 0);
	memset(sh, 0, (size_t)slots * sizeof(*sh));
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_agent(c->oa128_mem, slots, sh, order, &ch);
	emit_read("mmap_agent_random", n, t, READ_PASSES, 0);

	/* Suspect 3: the XDP writer on the other CPU, hitting every flow. */
	w.c = c;
	w.fd = oa_fd;
	w.cpu = other_cpu;
	if (pthread_create(&th, NULL, writer_main, &w))
		return -errno;
	usleep(100000);
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_agent(c->oa128_mem, slots, sh, NULL, &ch);
	w.stop = true;
	pthread_join(th, NULL);
	emit_read("mmap_agent_with_writer", n, t, READ_PASSES, ch);

	/* Suspect 4: read-and-reset with atomic exchanges, with the writer
	 * and without. */
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_xchg(c->oa128_mem, slots, &ch);
	emit_read("mmap_xchg_reset", n, t, READ_PASSES, 0);
	w.stop = false;
	if (pthread_create(&th, NULL, writer_main, &w))
		return -errno;
	usleep(100000);
	for (k = 0; k < READ_PASSES; k++)
		t[k] = (double)pass_xchg(c->oa128_mem, slots, &ch);
	w.stop = true;
	pthread_join(th, NULL);
	emit_read("mmap_xchg_reset_with_writer", n, t, READ_PASSES, 0);
	free(sh);
	free(order);
	free(heap);
	clear_table(c, TB_OA128);
	printf("{\"bench\":\"proto_mem\",\"flows\":%u,\"oa128_slots\":%u,"
	       "\"oa128_memlock\":%llu,\"stash128_memlock\":%llu,\"shadow_bytes_per_slot\":%zu}\n",
	       n, slots, (unsigned long long)fdinfo_memlock(fd),
	       (unsigned long long)fdinfo_memlock(bpf_map__fd(c->pt->maps.stash128)),
	       sizeof(struct shadow));
	for (k = 0; k < 3; k++)
		t[k] = chase_ns(len, false);
	printf("{\"bench\":\"proto_latency\",\"bytes\":%zu,\"pages\":\"4k\",\"ns\":%.1f,"
	       "\"ns_min\":%.1f}\n", len, bench_median(t, 3), t[0] < t[1] ? t[0] : t[1]);
	for (k = 0; k < 3; k++)
		t[k] = chase_ns(len, true);
	printf("{\"bench\":\"proto_latency\",\"bytes\":%zu,\"pages\":\"thp\",\"ns\":%.1f,"
	       "\"ns_min\":%.1f}\n", len, bench_median(t, 3), t[0] < t[1] ? t[0] : t[1]);
	return 0;

hash:
	/* The hash map design's read: a batch lookup of every entry. */
	{
		int hfd = bpf_map__fd(c->pt->maps.h60);
		int hv = 0;
		int64_t got = 0;

		for (i = 0; i < NV; i++)
			if (!strcmp(variants[i].name, "hash_coarse"))
				hv = variants[i].fd;
		hash_clear(hfd);
		if ((rc = run(c, hv, INS_MULT, n, &x)))
			return rc;
		for (k = 0; k < READ_PASSES; k++) {
			uint64_t t0 = bench_ns();

			got = hash_read_all(hfd, sizeof(struct jf_key), sizeof(struct jf_counters));
			t[k] = (double)(bench_ns() - t0);
		}
		emit_read("hash_lookup_batch", n, t, READ_PASSES, (uint64_t)got);
		if (got != n)
			return -EIO;
		printf("{\"bench\":\"proto_mem\",\"flows\":%u,\"h60_max_entries\":%u,"
		       "\"h60_memlock\":%llu}\n", n, bpf_map__max_entries(c->pt->maps.h60),
		       (unsigned long long)fdinfo_memlock(hfd));
		hash_clear(hfd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "flows", 1, 0, 'f' }, { "reps", 1, 0, 'r' }, { "cpu", 1, 0, 'c' },
		{ "no-read", 0, 0, 'n' }, { "only-read", 0, 0, 'o' },
		{ "variants", 1, 0, 'v' }, { "read-hash", 0, 0, 'h' }, { 0 }
	};
	uint32_t flows[MAX_SIZES] = { 1024, 65536, 1048576 };
	int nflows = 3, reps = 3, cpu = -1, c, i, rc = 0;
	bool do_read = true, do_packets = true;
	char *tok, *save, list[512];

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			nflows = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nflows < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				flows[nflows++] = (uint32_t)strtoul(tok, NULL, 0);
			break;
		case 'r': reps = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'n': do_read = false; break;
		case 'o': do_packets = false; break;
		case 'h': read_hash = true; break;
		case 'v':
			/* The baselines (no table) always run. */
			for (i = 0; i < (int)NV; i++) {
				char pat[64];

				snprintf(pat, sizeof(pat), ",%s,", variants[i].name);
				snprintf(list, sizeof(list), ",%s,", optarg);
				variants[i].off = variants[i].t != TB_NONE && !strstr(list, pat);
			}
			break;
		default:
			fprintf(stderr, "usage: bench_proto_table [--flows N,..] [--reps N] "
				"[--cpu N] [--no-read] [--only-read] [--variants a,b,..] [--read-hash]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS)
		return 2;
	for (i = 0; i < nflows; i++)
		if (!flows[i] || (flows[i] & (flows[i] - 1))) {
			fprintf(stderr, "proto_table: flow counts must be powers of two\n");
			return 2;
		}
	bench_pin(cpu);
	rc = jf_bpf_clock_init(&clk);
	if (rc)
		fprintf(stderr, "proto_table: no jiffies clock (%s): the real program reads "
			"bpf_ktime_get_ns\n", strerror(-rc));
	rc = 0;
	for (i = 0; i < nflows && !rc; i++) {
		struct ctx ctx;

		read_tables = do_read && i == nflows - 1;
		rc = open_ctx(&ctx, flows[i]);
		if (rc) {
			fprintf(stderr, "proto_table: load at %u flows: %s\n", flows[i],
				strerror(-rc));
		} else {
			if (do_packets)
				rc = bench_packets(&ctx, reps);
			if (!rc && do_read && i == nflows - 1)
				rc = bench_read(&ctx, cpu == 0 ? 1 : 0);
			if (rc)
				fprintf(stderr, "proto_table: %u flows: %s\n", flows[i],
					strerror(-rc));
		}
		close_ctx(&ctx);
	}
	return rc ? 1 : 0;
}
