/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Egress metering: attaches the XDP object's TC program (clsact egress,
 * cls_bpf) to the interfaces given as IFACE:out or IFACE:both, and tells
 * it which interfaces the XDP program meters on ingress, so that a
 * forwarded packet is counted once, at its ingress. */
#ifndef JFLOWD_TC_METER_H
#define JFLOWD_TC_METER_H

#include <stddef.h>
#include <stdint.h>
#include "service/config.h"

struct bpf_object;
struct jf_meter_params;
struct jf_tc_meter;

/* Attach to every :out/:both interface of p. *out stays NULL when there
 * is none. Returns 0 or -errno with a one-line reason in err. */
int jf_tc_meter_open(const struct jf_meter_params *p, struct bpf_object *obj,
		     struct jf_tc_meter **out, char *err, size_t errlen);

/* Detach (before the final drain: nothing may write the maps after it). */
void jf_tc_meter_close(struct jf_tc_meter *t);

/* Interface name (of the parameters at open) was deleted: the kernel
 * removed the program with it. t may be NULL. */
void jf_tc_meter_iface_gone(struct jf_tc_meter *t, const char *name);

/* Interface name is there again as ifindex: the egress program again
 * (IFACE:out, :both) and its ingress known to it (IFACE:in, :both). 0 or
 * -errno with a reason in err; t may be NULL. Needs CAP_NET_ADMIN only. */
int jf_tc_meter_iface_back(struct jf_tc_meter *t, const char *name, uint32_t ifindex,
			   char *err, size_t errlen);

#endif
