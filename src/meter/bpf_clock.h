/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The XDP program's clock: CLOCK_MONOTONIC ns from the kernel's jiffies,
 * `jiffies * tick_ns + off_ns`. The agent measures the tick (the kernel's
 * HZ is not visible to userspace) and the offset before the program is
 * loaded, and checks the offset at every drain. */
#ifndef JFLOWD_BPF_CLOCK_H
#define JFLOWD_BPF_CLOCK_H

#include <stdint.h>

struct jflowd_clock_bpf;

struct jf_bpf_clock {
	struct jflowd_clock_bpf *skel;
	int prog_fd;
	uint32_t hz;
	uint64_t tick_ns;	/* ns per jiffy: the kernel's TICK_NSEC */
	uint64_t off_ns;	/* mod 2^64: jiffies start far from 0 */
	uint64_t corrections;	/* offsets corrected by jf_bpf_clock_check */
};

/* Loads the sampling program and measures tick and offset: about 50 ms,
 * of which up to two ticks spinning. Returns 0 or -errno (the kernel has
 * no bpf_jiffies64, or the tick is not one HZ can give). */
int jf_bpf_clock_init(struct jf_bpf_clock *c);

/* One sample: if the converted time is ahead of CLOCK_MONOTONIC, or more
 * than two ticks behind it, measures the offset again. Returns 1 when
 * off_ns changed, 0 when not, or -errno. */
int jf_bpf_clock_check(struct jf_bpf_clock *c);

void jf_bpf_clock_fini(struct jf_bpf_clock *c);

static inline uint64_t jf_bpf_clock_ns(const struct jf_bpf_clock *c, uint64_t jiffies)
{
	return jiffies * c->tick_ns + c->off_ns;
}

/* The kernel's HZ for a measured tick: the nearest value Linux offers,
 * if within 2 %, else 0. */
uint32_t jf_bpf_clock_hz(uint64_t measured_tick_ns);

/* The kernel's TICK_NSEC for a HZ: jiffies advance by exactly this many
 * CLOCK_MONOTONIC nanoseconds. */
uint64_t jf_bpf_clock_tick_ns(uint32_t hz);

#endif
