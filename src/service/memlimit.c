// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What memory this process may use: /proc/meminfo's MemTotal and
 * MemAvailable, under every memory cgroup limit above it: cgroup v2's
 * memory.max of its cgroup and of each ancestor, cgroup v1's
 * memory.limit_in_bytes of its memory cgroup and of each ancestor (a
 * hybrid host has both). A limit the process does not see here is met by
 * the OOM killer, not by a message. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service/memlimit.h"

/* cgroup v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages). */
#define V1_UNLIMITED (1ull << 60)

static int read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, v) == 1;	/* "max" (v2): no number */
	fclose(f);
	return ok ? 0 : -ENODATA;
}

/* The mount point of the cgroup hierarchy: cgroup2, or the v1 one that
 * carries the memory controller; and the mount's own root (a container's
 * cgroup namespace may mount a subtree). */
static int find_mount(const char *root, bool v2, char *mnt, size_t mlen, char *mroot,
		      size_t rlen)
{
	char path[PATH_MAX], line[4096];
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char r[1024], m[1024], *sep, fstype[64], opts[1024];

		/* id parent major:minor root mount-point options ... - fstype source super */
		if (sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (v2 ? strcmp(fstype, "cgroup2") :
			 strcmp(fstype, "cgroup") || !strstr(opts, "memory"))
			continue;
		if (!v2) {	/* "memory" itself among the options, not "memory_recursiveprot" */
			char *o, *save = NULL;
			bool mem = false;

			for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
				mem |= !strcmp(o, "memory");
			if (!mem)
				continue;
		}
		snprintf(mnt, mlen, "%s%s", root, m);
		snprintf(mroot, rlen, "%s", r);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* This process's cgroup in the hierarchy: v2 the "0::" line, v1 the line
 * whose controllers include memory. */
static int find_cgroup(const char *root, bool v2, char *cg, size_t len)
{
	char path[PATH_MAX], line[4096];
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "%s/proc/self/cgroup", root);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*c1 = *c2 = '\0';	/* hierarchy id, controllers, path */
		if (v2) {
			if (strcmp(line, "0") || c1[1])
				continue;
		} else {
			char *o, *save = NULL;
			bool mem = false;

			for (o = strtok_r(c1 + 1, ",", &save); o; o = strtok_r(NULL, ",", &save))
				mem |= !strcmp(o, "memory");
			if (!mem)
				continue;
		}
		snprintf(cg, len, "%s", c2 + 1);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* Walk from this process's cgroup up to the hierarchy's root: the smallest
 * limit, and the smallest room (limit less usage) under one. */
static void walk(const char *root, bool v2, uint64_t *limit, uint64_t *room)
{
	const char *lim_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	const char *use_file = v2 ? "memory.current" : "memory.usage_in_bytes";
	char mnt[PATH_MAX], mroot[1024], cg[PATH_MAX], dir[PATH_MAX * 2];
	const char *rel;
	size_t base;

	if (find_mount(root, v2, mnt, sizeof(mnt), mroot, sizeof(mroot)) ||
	    find_cgroup(root, v2, cg, sizeof(cg)))
		return;
	/* The cgroup as seen under the mount: without the mount's own root. */
	rel = cg;
	if (strcmp(mroot, "/") && !strncmp(cg, mroot, strlen(mroot)))
		rel = cg + strlen(mroot);
	snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	base = strlen(mnt);
	for (;;) {
		char f[PATH_MAX * 2 + 32];
		uint64_t lim, use = 0;
		char *slash;

		snprintf(f, sizeof(f), "%s/%s", dir, lim_file);
		if (!read_u64(f, &lim) && (v2 || lim < V1_UNLIMITED)) {
			snprintf(f, sizeof(f), "%s/%s", dir, use_file);
			if (read_u64(f, &use))
				use = 0;
			if (lim < *limit)
				*limit = lim;
			if ((lim > use ? lim - use : 0) < *room)
				*room = lim > use ? lim - use : 0;
		}
		if (strlen(dir) <= base)
			break;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < base)
			break;
		*slash = '\0';
	}
}

void jf_memlimit_cgroup(const char *root, uint64_t *limit, uint64_t *room)
{
	*limit = *room = UINT64_MAX;
	walk(root ? root : "", true, limit, room);
	walk(root ? root : "", false, limit, room);
}

int jf_memlimit(const char *root, uint64_t *total, uint64_t *avail)
{
	char path[PATH_MAX], line[256];
	unsigned long long kb;
	uint64_t limit, room;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/meminfo", root ? root : "");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	*total = *avail = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			*total = kb * 1024;
		else if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			*avail = kb * 1024;
	}
	fclose(f);
	if (!*total || !*avail)
		return -ENOENT;
	jf_memlimit_cgroup(root, &limit, &room);
	if (limit < *total)
		*total = limit;
	if (room < *avail)
		*avail = room;
	return 0;
}
