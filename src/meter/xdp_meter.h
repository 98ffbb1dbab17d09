/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The XDP capture backend: the only module that touches the BPF skeleton.
 * Loads and attaches the program, switches epochs, drains the old flow
 * map and the spill ring into the flow cache, harvests the counters. */
#ifndef JFLOWD_XDP_METER_H
#define JFLOWD_XDP_METER_H

#include <stddef.h>
#include <stdint.h>
#include "flow/flow_cache.h"
#include "meter/meter.h"
#include "meter/meter_stats.h"

struct jf_xdp_meter;

/* Its struct jf_meter_ops (poll: the spill ring; tick: drain). */
extern const struct jf_meter_ops jf_xdp_meter_ops;

/* Open, size, load and attach to every interface of p (none: load only,
 * for tests and benchmarks that drive the program with BPF_PROG_TEST_RUN),
 * merging into cache and counting into st. NULL with a one-line reason in
 * err. */
struct jf_xdp_meter *jf_xdp_meter_open(const struct jf_meter_params *p,
				       struct jf_flow_cache *cache, struct jf_meter_stats *st,
				       char *err, size_t errlen);

/* Merge into another cache and counters from now on (benchmarks). */
void jf_xdp_meter_bind(struct jf_xdp_meter *m, struct jf_flow_cache *cache,
		       struct jf_meter_stats *st);

/* Poll the spill ring for up to timeout_ms, merging what arrives. */
int jf_xdp_meter_poll(struct jf_xdp_meter *m, int timeout_ms, uint64_t now_ms);

/* Switch epochs and merge everything of the old epoch into the cache. */
int jf_xdp_meter_drain(struct jf_xdp_meter *m, uint64_t now_ms);

/* Detach from every interface, then drain both epochs. */
int jf_xdp_meter_stop(struct jf_xdp_meter *m, uint64_t now_ms);

/* The table's flows (the keyed cache holds the rest): export every one
 * now with reason why (the slots stay), and new timeouts for them. */
size_t jf_xdp_meter_flush(struct jf_xdp_meter *m, uint16_t mons, uint64_t now_ms,
			  enum jf_end_reason why);
void jf_xdp_meter_set_timeouts(struct jf_xdp_meter *m, uint32_t mon, uint32_t idle_ms,
			       uint32_t active_ms, uint32_t fin_ms);
/* Reload: the table's slots of the monitors in mons go. */
int jf_xdp_meter_remove_monitors(struct jf_xdp_meter *m, uint16_t mons, uint64_t now_ms);

/* Reload: the monitors of p (struct jf_meter_ops.set_monitors). */
int jf_xdp_meter_set_monitors(struct jf_xdp_meter *m, const struct jf_meter_params *p,
			      uint64_t now_ms);
int jf_xdp_meter_set_ifaces(struct jf_xdp_meter *m, const struct jf_meter_params *p,
			    char *err, size_t errlen);
void jf_xdp_meter_close(struct jf_xdp_meter *m);

/* The loaded program, for BPF_PROG_TEST_RUN. */
int jf_xdp_meter_prog_fd(const struct jf_xdp_meter *m);

/* The flow map the program writes now (benchmarks fill it directly). */
int jf_xdp_meter_current_map_fd(const struct jf_xdp_meter *m);

/* Kernel memory charged to the flow maps and the spill ring (bytes). */
uint64_t jf_xdp_meter_kernel_bytes(const struct jf_xdp_meter *m);

/* Interface i was deleted: let go of its link. */
void jf_xdp_meter_iface_gone(struct jf_xdp_meter *m, int i);

/* Interface i is there again as ifindex: attach to it (XDP and/or TC, as
 * it was metered). 0 or -errno with a reason in err. */
int jf_xdp_meter_iface_back(struct jf_xdp_meter *m, int i, uint32_t ifindex,
			    char *err, size_t errlen);

/* Mode each interface was attached in ("native", "generic"). */
const char *jf_xdp_meter_mode(const struct jf_xdp_meter *m, int i);
uint32_t jf_xdp_meter_ifindex(const struct jf_xdp_meter *m, int i);

#endif
