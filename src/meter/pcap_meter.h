/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The libpcap capture backend: live interfaces without XDP and offline
 * replay of capture files, through the same parser as the XDP program. */
#ifndef JFLOWD_PCAP_METER_H
#define JFLOWD_PCAP_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flow/flow_cache.h"
#include "meter/meter.h"
#include "meter/meter_stats.h"

struct jf_pcap_meter;

/* Its struct jf_meter_ops: live capture on interfaces. */
extern const struct jf_meter_ops jf_pcap_meter_ops;

/* Called before a packet whose time reaches the next tick, with the
 * capture time of that tick (file replay). */
typedef void (*jf_tick_fn)(uint64_t now_ms, void *arg);

struct jf_pcap_meter *jf_pcap_meter_open_file(const char *path, uint32_t sample_rate,
					      char *err, size_t errlen);
/* The same from an open stream (taken over, closed with the meter). */
struct jf_pcap_meter *jf_pcap_meter_open_fp(FILE *f, const char *name, uint32_t sample_rate,
					    char *err, size_t errlen);
/* Live: metered into cache, counted into st. */
struct jf_pcap_meter *jf_pcap_meter_open_live(const struct jf_meter_params *p,
					      struct jf_flow_cache *cache,
					      struct jf_meter_stats *st, char *err, size_t errlen);
void jf_pcap_meter_close(struct jf_pcap_meter *m);

/* Meter every packet of the file into the cache, calling tick every
 * tick_ms of capture time. 0 at the end of the file, -1 on a read error
 * (message in err). */
int jf_pcap_meter_run_file(struct jf_pcap_meter *m, struct jf_flow_cache *cache,
			   struct jf_meter_stats *st, uint32_t tick_ms, jf_tick_fn tick,
			   void *arg, char *err, size_t errlen);

/* Capture time of the first packet (0 before it), and of the latest. */
uint64_t jf_pcap_meter_first_ms(const struct jf_pcap_meter *m);
uint64_t jf_pcap_meter_clock_ms(const struct jf_pcap_meter *m);

/* Live: wait up to timeout_ms for packets on every interface and meter
 * them. Returns packets metered or -1. */
int jf_pcap_meter_poll(struct jf_pcap_meter *m, int timeout_ms);

/* Live: the kernel's drop counters into st->capture_drops. */
void jf_pcap_meter_update_drops(struct jf_pcap_meter *m);

uint32_t jf_pcap_meter_ifindex(const struct jf_pcap_meter *m, int i);

/* The monitors of p (p->mons): sampling, masks and, live, the
 * interfaces each covers; a capture file is metered by every monitor. */
void jf_pcap_meter_set_monitors(struct jf_pcap_meter *m, const struct jf_meter_params *p);

#endif
