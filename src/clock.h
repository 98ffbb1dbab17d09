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
