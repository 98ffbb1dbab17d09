/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The two clocks the agent reads: wall time for records and headers,
 * monotonic time for intervals. */
#ifndef JFLOWD_CLOCK_H
#define JFLOWD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Unix time in milliseconds. */
static inline uint64_t jf_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns, at the main loop's last
 * reading of the wall clock (jf_wall_sample); 0 until the first. The XDP
 * meter dates the kernel's monotonic flow times with it, so a tick's
 * records and the headers the exporter puts around them come from one
 * reading: a wall-clock step between two separate reads could otherwise
 * date a record before sysUpTime 0. */
extern int64_t jf_wall_offset_ns;

/* The wall clock for this tick, in ms, read together with the monotonic
 * clock; sets jf_wall_offset_ns. */
uint64_t jf_wall_sample(void);

/* Monotonic milliseconds, for deadlines. */
static inline uint64_t jf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Monotonic seconds, for durations and rates. */
static inline double jf_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
