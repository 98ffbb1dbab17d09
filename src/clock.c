// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The main loop's one reading of the wall clock per tick. */
#include "clock.h"

int64_t jf_wall_offset_ns;

uint64_t jf_wall_sample(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	/* Never 0 once taken: 0 means "not sampled". */
	jf_wall_offset_ns = (((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll +
			     (r.tv_nsec - m.tv_nsec)) | 1;
	return (uint64_t)r.tv_sec * 1000 + (uint64_t)r.tv_nsec / 1000000;
}
