// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP program's clock: the kernel's tick and the offset from jiffies to
 * CLOCK_MONOTONIC, measured through a program run with BPF_PROG_TEST_RUN. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meter/bpf_clock.h"
#include "jflowd_clock.skel.h"

/* A jiffy edge is used only when the two samples around it were taken
 * within this: a pair split by preemption says little about the edge. */
#define EDGE_MAX_NS 50000ull
#define EDGE_TIMEOUT_NS 500000000ull	/* a tick is at most 42 ms (HZ 24) */
/* Between the two edges that measure the tick: long enough that the
 * edges' uncertainty is well under 1 % of it. */
#define SPAN_NS 40000000ull
/* What an offset may be off before a drain measures it again: ahead of
 * CLOCK_MONOTONIC by more than an edge's uncertainty, or behind by more
 * than two ticks (one tick is the resolution; a late tick interrupt may
 * add part of another). */
#define AHEAD_MAX_NS EDGE_MAX_NS

struct sample {
	uint64_t t0;	/* CLOCK_MONOTONIC before the jiffies read */
	uint64_t j;
	uint64_t t1;	/* and after */
};

/* The values of CONFIG_HZ that Linux's architectures offer. */
static const uint32_t hz_values[] = { 24, 48, 100, 128, 250, 256, 300, 1000, 1024, 1200 };

uint32_t jf_bpf_clock_hz(uint64_t measured_tick_ns)
{
	uint32_t best = 0;
	uint64_t best_d = UINT64_MAX, tick, d;
	size_t i;

	for (i = 0; i < sizeof(hz_values) / sizeof(hz_values[0]); i++) {
		tick = jf_bpf_clock_tick_ns(hz_values[i]);
		d = tick > measured_tick_ns ? tick - measured_tick_ns : measured_tick_ns - tick;
		if (d < best_d) {
			best_d = d;
			best = hz_values[i];
		}
	}
	if (!best || best_d * 50 > jf_bpf_clock_tick_ns(best))
		return 0;
	return best;
}

uint64_t jf_bpf_clock_tick_ns(uint32_t hz)
{
	return hz ? (1000000000ull + hz / 2) / hz : 0;
}

static int take(struct jf_bpf_clock *c, struct sample *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	if (bpf_prog_test_run_opts(c->prog_fd, &o))
		return -errno;
	s->t0 = c->skel->bss->t0_ns;
	s->j = c->skel->bss->jiffies64;
	s->t1 = c->skel->bss->t1_ns;
	return 0;
}

/* Waits for the next jiffy. *j: that jiffy; *t: a time at which it had not
 * begun yet, at most EDGE_MAX_NS before it began (the first sample of the
 * pair still read the previous jiffy after t). So jiffy j converted with
 * the offset t - j * tick is never ahead of the clock. */
static int edge(struct jf_bpf_clock *c, uint64_t *j, uint64_t *t)
{
	struct sample a = { 0 }, b = { 0 };
	uint64_t deadline;
	int rc;

	if ((rc = take(c, &a)))
		return rc;
	deadline = a.t1 + EDGE_TIMEOUT_NS;
	do {
		if ((rc = take(c, &b)))
			return rc;
		if (b.j == a.j + 1 && b.t1 - a.t0 <= EDGE_MAX_NS) {
			*j = b.j;
			*t = a.t0;
			return 0;
		}
		a = b;
	} while (b.t1 < deadline);
	return -ETIME;
}

int jf_bpf_clock_init(struct jf_bpf_clock *c)
{
	struct timespec span = { 0, SPAN_NS };
	uint64_t j1, t1, j2, t2, off1, off2;
	int rc;

	memset(c, 0, sizeof(*c));
	c->skel = jflowd_clock_bpf__open_and_load();
	if (!c->skel)
		return -errno;
	c->prog_fd = bpf_program__fd(c->skel->progs.jflowd_clock);
	if ((rc = edge(c, &j1, &t1)))
		goto fail;
	nanosleep(&span, NULL);
	if ((rc = edge(c, &j2, &t2)))
		goto fail;
	c->hz = jf_bpf_clock_hz((t2 - t1) / (j2 - j1));
	if (!c->hz) {
		rc = -ERANGE;
		goto fail;
	}
	c->tick_ns = jf_bpf_clock_tick_ns(c->hz);
	/* The earlier of the two phases: never ahead of the clock. */
	off1 = t1 - j1 * c->tick_ns;
	off2 = t2 - j2 * c->tick_ns;
	c->off_ns = (int64_t)(off1 - off2) < 0 ? off1 : off2;
	return 0;
fail:
	jf_bpf_clock_fini(c);
	return rc;
}

int jf_bpf_clock_check(struct jf_bpf_clock *c)
{
	struct sample s = { 0 };
	uint64_t conv, j, t, off;
	int rc;

	if ((rc = take(c, &s)))
		return rc;
	conv = jf_bpf_clock_ns(c, s.j);
	if ((int64_t)(conv - s.t1) <= (int64_t)AHEAD_MAX_NS &&
	    (int64_t)(s.t0 - conv) <= (int64_t)(2 * c->tick_ns))
		return 0;
	if ((rc = edge(c, &j, &t)))
		return rc;
	off = t - j * c->tick_ns;
	if (off == c->off_ns)
		return 0;
	c->off_ns = off;
	c->corrections++;
	return 1;
}

void jf_bpf_clock_fini(struct jf_bpf_clock *c)
{
	jflowd_clock_bpf__destroy(c->skel);
	c->skel = NULL;
	c->prog_fd = -1;
}
