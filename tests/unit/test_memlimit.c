// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pins the memory jflowd sizes its flow state against: MemTotal and
 * MemAvailable under every memory cgroup limit above the process, cgroup
 * v1 (memory.limit_in_bytes, a hybrid host) and v2 (memory.max of each
 * ancestor, not only its own), over fake /proc and cgroup trees; and the
 * start-up refusal that names the option to lower. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "service/config.h"
#include "service/memlimit.h"

#define MB (1024ull * 1024)

static char root[256];

/* Write text to root/rel, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char path[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/jf-memlimit.XXXXXX");
	assert_non_null(mkdtemp(root));
	put("proc/meminfo", "MemTotal:       24731400 kB\nMemFree: 1 kB\n"
			    "MemAvailable:   20000000 kB\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

/* A hybrid host as this one: the memory controller on cgroup v1, the
 * limit on an ancestor of the process's cgroup (use_hierarchy). */
static void test_v1_ancestor(void **state)
{
	uint64_t limit, room, total, avail;

	(void)state;
	put("proc/self/mountinfo",
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
	put("proc/self/cgroup", "9:name=systemd:/\n4:memory:/svc/jflowd\n1:cpu:/\n0::/\n");
	put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put("sys/fs/cgroup/memory/svc/memory.limit_in_bytes", "209715200\n");
	put("sys/fs/cgroup/memory/svc/memory.usage_in_bytes", "157286400\n");
	put("sys/fs/cgroup/memory/svc/jflowd/memory.limit_in_bytes", "9223372036854771712\n");
	put("sys/fs/cgroup/memory/svc/jflowd/memory.usage_in_bytes", "104857600\n");
	jf_memlimit_cgroup(root, &limit, &room);
	assert_int_equal(limit, 200 * MB);
	assert_int_equal(room, 50 * MB);
	assert_int_equal(jf_memlimit(root, &total, &avail), 0);
	assert_int_equal(total, 200 * MB);
	assert_int_equal(avail, 50 * MB);
}

/* cgroup v2: the process's own cgroup says "max", its parent 200 MB. */
static void test_v2_ancestor(void **state)
{
	uint64_t limit, room;

	(void)state;
	put("proc/self/mountinfo",
	    "25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,memory_recursiveprot\n");
	put("proc/self/cgroup", "0::/system.slice/jflowd.service\n");
	put("sys/fs/cgroup/system.slice/memory.max", "209715200\n");
	put("sys/fs/cgroup/system.slice/memory.current", "104857600\n");
	put("sys/fs/cgroup/system.slice/jflowd.service/memory.max", "max\n");
	put("sys/fs/cgroup/system.slice/jflowd.service/memory.current", "94371840\n");
	jf_memlimit_cgroup(root, &limit, &room);
	assert_int_equal(limit, 200 * MB);
	assert_int_equal(room, 100 * MB);
}

/* A container's cgroup namespace: the mount's root is the cgroup itself. */
static void test_v2_namespaced(void **state)
{
	uint64_t limit, room;

	(void)state;
	put("proc/self/mountinfo",
	    "25 20 0:22 /lxc/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("proc/self/cgroup", "0::/lxc/c1\n");
	put("sys/fs/cgroup/memory.max", "104857600\n");
	put("sys/fs/cgroup/memory.current", "0\n");
	jf_memlimit_cgroup(root, &limit, &room);
	assert_int_equal(limit, 100 * MB);
	assert_int_equal(room, 100 * MB);
}

/* No limit anywhere: the machine's figures. */
static void test_none(void **state)
{
	uint64_t limit, room, total, avail;

	(void)state;
	put("proc/self/mountinfo", "25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("proc/self/cgroup", "0::/\n");
	jf_memlimit_cgroup(root, &limit, &room);
	assert_true(limit == UINT64_MAX && room == UINT64_MAX);
	assert_int_equal(jf_memlimit(root, &total, &avail), 0);
	assert_int_equal(total, 24731400ull * 1024);
	assert_int_equal(avail, 20000000ull * 1024);
}

/* --max-flows 780000 under 50 MB of room: refused, naming the option. */
static void test_refused(void **state)
{
	struct jf_config cfg;
	char err[512];

	(void)state;
	jf_config_defaults(&cfg);
	cfg.max_flows = 780000;
	assert_int_equal(jf_config_check_memory(&cfg, 50 * MB, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lower --max-flows"));
	assert_non_null(strstr(err, "memory cgroup"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_ancestor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_ancestor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_namespaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
