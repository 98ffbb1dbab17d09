/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Checks at start-up of what the options ask of the host: the interfaces
 * are distinct, the metrics directory takes files, the flow maps and the
 * cache fit in memory. A problem is reported before anything runs. */
#ifndef JFLOWD_PREFLIGHT_H
#define JFLOWD_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include "service/config.h"

/* Bytes the two kernel flow maps of map_flows entries each take. */
uint64_t jf_preflight_map_bytes(uint32_t map_flows);

/* Bytes of memory the kernel and the memory cgroups still let this
 * process use (MemAvailable, under every cgroup limit above it);
 * UINT64_MAX if unknown. */
uint64_t jf_preflight_mem_available(void);

/* 0, or -1 with a one-line reason in err. */
int jf_preflight(const struct jf_config *cfg, char *err, size_t errlen);

#endif
