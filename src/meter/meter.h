/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The capture backends' interface: one ops struct per backend (the XDP
 * meter, the libpcap meter), bound to the flow cache and the counters at
 * open, so the agent runs one loop whichever backend meters. */
#ifndef JFLOWD_METER_H
#define JFLOWD_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include "jflowd/filter.h"
#include "jflowd/monitor.h"
#include "service/config.h"
#include "flow/flow_cache.h"

struct jf_flow_cache;
struct jf_meter_stats;

/* A monitor as the meter sees it (include/jflowd/monitor.h): its index
 * (in struct jf_meter_params.mons), sampling, key masks, and the
 * directions in which it covers each interface of the parameters. */
struct jf_meter_monitor {
	bool used;
	uint32_t sample_rate;		/* 1 in N */
	bool masked;			/* its record is coarser than the packet */
	struct jf_mon_mask mask;
	char filter[JF_FILTER_MAX];	/* pcap-filter(7); "": every packet */
	uint8_t dirs[JF_MAX_IFACES];	/* per interface of the parameters: JF_DIR_* */
};

/* What a meter is told: where to capture and how. Fields a backend does
 * not use are ignored by it. */
struct jf_meter_params {
	const char *ifaces[JF_MAX_IFACES];	/* none: load only (tests, benchmarks) */
	int n_ifaces;
	uint32_t sample_rate;		/* 1 in N */
	bool generic;			/* XDP: generic mode only (else native, falling
					 * back to generic with a warning) */
	bool mirror;			/* XDP: drop after metering (SPAN port) */
	enum jf_vlan_offload vlan_offload;	/* XDP: stripped tags from the driver */
	enum jf_quiesce quiesce;	/* XDP: how a drain waits out the old epoch */
	uint32_t map_flows;		/* XDP: entries of each kernel flow map */
	uint32_t table_flows;		/* XDP: flows of the persistent table; 0: none */
	uint32_t min_flows;		/* XDP: the table's room at start; 0: the least */
	uint32_t idle_ms;		/* XDP: the table's flows' timeouts (as the cache's) */
	uint32_t active_ms;
	uint32_t fin_ms;
	/* XDP: which way each interface is metered, JF_DIR_* (0 counts as
	 * JF_DIR_IN): ingress by XDP, egress by the TC program beside it. */
	uint8_t dirs[JF_MAX_IFACES];
	/* XDP mirror port: router MACs and VLANs mapped onto the router's
	 * interfaces (--map-mac, --map-vlan). */
	const struct jf_if_map *if_maps;
	int n_if_maps;
	/* XDP: a record collects fragmentIdentification (IE 54): the table
	 * keeps every packet's (a second cache line per packet). */
	bool keep_frag_id;
	/* The monitors, by index. None used: one monitor (0) over every
	 * interface at sample_rate, keyed by the whole packet (tests and
	 * benchmarks that set only the fields above). */
	struct jf_meter_monitor mons[JF_MONITORS];
};

/* Monitor k of p covers its i-th interface in directions JF_DIR_*; with
 * no monitor used, monitor 0 covers every interface as it is metered. */
static inline uint8_t jf_meter_mon_dirs(const struct jf_meter_params *p, int k, int i)
{
	int j;

	for (j = 0; j < JF_MONITORS; j++)
		if (p->mons[j].used)
			return p->mons[k].used ? p->mons[k].dirs[i] : 0;
	return k == 0 ? (p->dirs[i] ? p->dirs[i] : JF_DIR_IN) : 0;
}

/* The sampling rate of monitor k (with none used: sample_rate for 0). */
static inline uint32_t jf_meter_mon_rate(const struct jf_meter_params *p, int k)
{
	return p->mons[k].used ? p->mons[k].sample_rate : p->sample_rate;
}

/* The direction of the i-th interface of p, JF_DIR_*. */
static inline uint8_t jf_meter_dir(const struct jf_meter_params *p, int i)
{
	return p->dirs[i] ? p->dirs[i] : JF_DIR_IN;
}

/* Every backend's state starts with this. */
struct jf_meter {
	const struct jf_meter_ops *ops;
};

/* The backend's own state from its struct jf_meter member `base`. */
#define jf_meter_priv(m, type) ((type *)(void *)((char *)(m) - offsetof(type, base)))

struct jf_meter_ops {
	const char *name;	/* the metrics' mode label: "xdp", "pcap" */
	/* Capabilities (bit n: capability n) the backend still needs once it
	 * is open: to attach or capture again on an interface that returns. */
	uint64_t keep_caps;
	/* Open and start metering into cache, counting packet fates into st.
	 * NULL with a one-line reason in err. */
	struct jf_meter *(*open)(const struct jf_meter_params *p, struct jf_flow_cache *cache,
				 struct jf_meter_stats *st, char *err, size_t errlen);
	/* Wait up to timeout_ms for packets and merge what arrives (now_ms:
	 * the cache's clock). Negative on error. */
	int (*poll)(struct jf_meter *m, int timeout_ms, uint64_t now_ms);
	/* Every tick, before the cache expires flows: bring everything
	 * metered so far into the cache and the counters. 0 or -errno
	 * (fatal: the agent stops). */
	int (*tick)(struct jf_meter *m, uint64_t now_ms);
	/* Stop capturing, then bring in everything metered. */
	int (*stop)(struct jf_meter *m, uint64_t now_ms);
	/* Reload. Meter by the monitors of p (p->mons; the interfaces as
	 * set_ifaces left them) from now on: sampling rates, key masks, the
	 * interfaces' monitors. When it returns, every packet metered by the
	 * old settings is in the cache or the meter's own flows, and every
	 * later one by the new. 0 or -errno (fatal, as tick). */
	int (*set_monitors)(struct jf_meter *m, const struct jf_meter_params *p, uint64_t now_ms);
	/* Reload. Meter on the interfaces of p (ifaces, n_ifaces; the rest as
	 * at open): attach the new ones, then detach those gone. Either all
	 * of it or nothing: -errno with a one-line reason in err. */
	int (*set_ifaces)(struct jf_meter *m, const struct jf_meter_params *p, char *err,
			  size_t errlen);
	/* ifindex of the i-th interface of the parameters. */
	uint32_t (*ifindex)(const struct jf_meter *m, int i);
	/* Kernel memory the backend holds (bytes; 0 if none). */
	uint64_t (*kernel_bytes)(const struct jf_meter *m);
	/* The i-th interface was deleted: let go of it. NULL: the backend
	 * cannot follow an interface that goes and comes back. */
	void (*iface_gone)(struct jf_meter *m, int i);
	/* The i-th interface is there again as ifindex: meter it again, in
	 * the directions it was metered in. 0 or -errno with a one-line
	 * reason in err. Runs after the capability drop: only keep_caps. */
	int (*iface_back)(struct jf_meter *m, int i, uint32_t ifindex, char *err, size_t errlen);
	void (*close)(struct jf_meter *m);
	/* Backends that expire flows themselves, beside the cache (the XDP
	 * table); NULL when all their flows go through the cache. Each is
	 * the cache's function of the same name for those flows. */
	/* Export every flow of the monitors in mons (bits) now with reason
	 * why; the number of records. */
	size_t (*flush)(struct jf_meter *m, uint16_t mons, uint64_t now_ms,
			enum jf_end_reason why);
	/* New timeouts for monitor mon's flows. */
	void (*set_timeouts)(struct jf_meter *m, uint32_t mon, uint32_t idle_ms,
			     uint32_t active_ms, uint32_t fin_ms);
	/* Add the backend's flows of monitor mon (-1: every monitor) to a
	 * cache's figures. */
	void (*add_flow_stats)(const struct jf_meter *m, int mon, struct jf_cache_stats *st);
	/* Visit its flows in steps: from *cursor (0 at first), at most max
	 * slots; true once all were visited (jf_cache_foreach_from). */
	bool (*foreach_flow)(const struct jf_meter *m, uint64_t *cursor, size_t max,
			     jf_visit_fn visit, void *arg);
	/* Reload removed the monitors in mons: their flows leave now and
	 * their state goes (after set_monitors drained what they metered).
	 * 0 or -errno (fatal, as tick). */
	int (*remove_monitors)(struct jf_meter *m, uint16_t mons, uint64_t now_ms);
	/* The descriptors poll waits on, for the agent's own wait (up to
	 * max into pfd; how many), and the longest the agent may wait before
	 * it calls poll again anyway (lowered in *wait_ms). NULL or 0: call
	 * poll with the timeout. */
	int (*pollfds)(const struct jf_meter *m, struct pollfd *pfd, int max, int *wait_ms);
};

static inline int jf_meter_poll(struct jf_meter *m, int timeout_ms, uint64_t now_ms)
{
	return m->ops->poll(m, timeout_ms, now_ms);
}

static inline int jf_meter_tick(struct jf_meter *m, uint64_t now_ms)
{
	return m->ops->tick(m, now_ms);
}

static inline int jf_meter_stop(struct jf_meter *m, uint64_t now_ms)
{
	return m->ops->stop(m, now_ms);
}

static inline int jf_meter_set_monitors(struct jf_meter *m, const struct jf_meter_params *p,
					uint64_t now_ms)
{
	return m->ops->set_monitors(m, p, now_ms);
}

static inline int jf_meter_set_ifaces(struct jf_meter *m, const struct jf_meter_params *p,
				      char *err, size_t errlen)
{
	return m->ops->set_ifaces(m, p, err, errlen);
}

static inline uint32_t jf_meter_ifindex(const struct jf_meter *m, int i)
{
	return m->ops->ifindex(m, i);
}

static inline uint64_t jf_meter_kernel_bytes(const struct jf_meter *m)
{
	return m->ops->kernel_bytes(m);
}

static inline size_t jf_meter_flush(struct jf_meter *m, uint16_t mons, uint64_t now_ms,
				    enum jf_end_reason why)
{
	return m && m->ops->flush ? m->ops->flush(m, mons, now_ms, why) : 0;
}

static inline void jf_meter_set_timeouts(struct jf_meter *m, uint32_t mon, uint32_t idle_ms,
					 uint32_t active_ms, uint32_t fin_ms)
{
	if (m && m->ops->set_timeouts)
		m->ops->set_timeouts(m, mon, idle_ms, active_ms, fin_ms);
}

static inline void jf_meter_add_flow_stats(const struct jf_meter *m, int mon,
					   struct jf_cache_stats *st)
{
	if (m && m->ops->add_flow_stats)
		m->ops->add_flow_stats(m, mon, st);
}

static inline int jf_meter_remove_monitors(struct jf_meter *m, uint16_t mons, uint64_t now_ms)
{
	return m && m->ops->remove_monitors ? m->ops->remove_monitors(m, mons, now_ms) : 0;
}

static inline bool jf_meter_foreach_flow(const struct jf_meter *m, uint64_t *cursor, size_t max,
					 jf_visit_fn visit, void *arg)
{
	if (m && m->ops->foreach_flow)
		return m->ops->foreach_flow(m, cursor, max, visit, arg);
	return true;
}

static inline int jf_meter_pollfds(const struct jf_meter *m, struct pollfd *pfd, int max,
				   int *wait_ms)
{
	return m && m->ops->pollfds ? m->ops->pollfds(m, pfd, max, wait_ms) : 0;
}

static inline void jf_meter_close(struct jf_meter *m)
{
	if (m)
		m->ops->close(m);
}

#endif
