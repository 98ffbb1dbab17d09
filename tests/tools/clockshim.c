// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test-only LD_PRELOAD shim: steps one process's wall clock. The offset in
 * seconds is read from the file named by JF_CLOCKSHIM_FILE (re-read at
 * most every 50 ms of monotonic time) and added to CLOCK_REALTIME,
 * gettimeofday() and time(); the monotonic clocks are left alone, as a
 * step of the system clock leaves them. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime;
static int64_t offset_ns;
static int64_t next_read_ns;

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static void refresh(void)
{
	const char *path = getenv("JF_CLOCKSHIM_FILE");
	struct timespec m;
	char buf[64];
	ssize_t n;
	int fd;

	if (!real_clock_gettime)
		real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	if (!path || real_clock_gettime(CLOCK_MONOTONIC, &m))
		return;
	if (ts_ns(&m) < next_read_ns)
		return;
	next_read_ns = ts_ns(&m) + 50000000ll;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	offset_ns = (int64_t)(strtod(buf, NULL) * 1e9);
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	int64_t t;
	int rc;

	refresh();
	rc = real_clock_gettime(clk, ts);
	if (rc || (clk != CLOCK_REALTIME && clk != CLOCK_REALTIME_COARSE))
		return rc;
	t = ts_ns(ts) + offset_ns;
	ts->tv_sec = t / 1000000000ll;
	ts->tv_nsec = t % 1000000000ll;
	return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts))
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (out)
		*out = ts.tv_sec;
	return ts.tv_sec;
}
