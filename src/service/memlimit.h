/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What memory this process may use: the machine's, under every memory
 * cgroup limit above it (v2 memory.max of each ancestor, v1
 * memory.limit_in_bytes of each ancestor). */
#ifndef JFLOWD_MEMLIMIT_H
#define JFLOWD_MEMLIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* The smallest memory cgroup limit over this process, and the smallest
 * room left under one (limit less usage); UINT64_MAX for none. root: NULL
 * for the real files; tests give a directory that holds proc/self/cgroup,
 * proc/self/mountinfo and the cgroup files under the mount points it
 * names. */
void jf_memlimit_cgroup(const char *root, uint64_t *limit, uint64_t *room);

/* MemTotal and MemAvailable of root's proc/meminfo, each lowered to the
 * cgroup limit and room: 0 or -errno. */
int jf_memlimit(const char *root, uint64_t *total, uint64_t *avail);

#endif
