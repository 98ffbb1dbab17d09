/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Mirror (SPAN) ports: promiscuous mode for as long as jflowd runs, and the
 * operator's map of router MACs and VLANs onto the router's interfaces
 * (index, name, description), which the XDP program applies per frame and
 * the exporter announces in the interface options. */
#ifndef JFLOWD_MIRROR_H
#define JFLOWD_MIRROR_H

#include <stddef.h>
#include <stdint.h>
#include "service/config.h"

struct bpf_object;
struct jf_exporter;
struct jf_meter_params;
struct jf_mirror;

/* "MAC=INDEX,NAME[,DESCRIPTION]" (--map-mac) or "VID=INDEX,NAME[,...]"
 * (--map-vlan) into m. 0 or -EINVAL with a reason in err. */
int jf_mirror_parse_map(const char *spec, enum jf_map_kind kind, struct jf_if_map *m,
			char *err, size_t errlen);

/* Promiscuous mode on every interface of p (when p->mirror) through a packet socket
 * membership: the kernel counts it and takes it back when the socket
 * closes, at exit or at a crash, so the previous state always returns.
 * Fills the XDP object's mapping tables (obj may be NULL: no mapping).
 * Returns 0 or -errno with a reason in err. */
int jf_mirror_open(const struct jf_meter_params *p, struct bpf_object *obj,
		   struct jf_mirror **out, char *err, size_t errlen);
void jf_mirror_close(struct jf_mirror *m);

/* Interface name is there again as ifindex: promiscuous again. 0 or
 * -errno with a reason in err; m may be NULL. */
int jf_mirror_iface_back(struct jf_mirror *m, const char *name, uint32_t ifindex,
			 char *err, size_t errlen);

/* Announce each of the n mapped interfaces in the interface options. */
void jf_mirror_add_ifnames(const struct jf_if_map *maps, int n, struct jf_exporter *exp);

#endif
