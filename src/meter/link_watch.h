/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Follows the metered interfaces by name over rtnetlink (RTNLGRP_LINK):
 * tells when one is deleted and when one of that name appears again, so
 * the meter can say so and attach again. */
#ifndef JFLOWD_LINK_WATCH_H
#define JFLOWD_LINK_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "service/config.h"

struct jf_link_watch;

/* ifindex 0: interface i is gone; else it is there (again) as ifindex. */
typedef void (*jf_link_change_fn)(int i, uint32_t ifindex, void *arg);

/* Watch the n interfaces names[], now at ifindex[]. NULL with a reason
 * in err. */
struct jf_link_watch *jf_link_watch_new(const char *const *names, int n, const uint32_t *ifindex,
					 char *err, size_t errlen);

/* Read what the kernel reported (never blocks) and call fn once per
 * interface that went or came back, in the order it happened: a device
 * deleted and created again under the same ifindex is gone, then back. */
void jf_link_watch_poll(struct jf_link_watch *w, jf_link_change_fn fn, void *arg);

/* Interface i is there but not metered (not attached yet, or attaching
 * failed): the frames and bytes its device received since the last call
 * (since it appeared, the first time). 0 or -errno. Nothing while it is
 * metered or gone. */
int jf_link_watch_unmetered(struct jf_link_watch *w, int i, uint64_t *packets, uint64_t *bytes);

/* fn again for every interface that is there but not metered (its
 * attach failed): at each tick. */
void jf_link_watch_retry(struct jf_link_watch *w, jf_link_change_fn fn, void *arg);


/* Readable when the kernel reported something: poll then. */
int jf_link_watch_fd(const struct jf_link_watch *w);

/* jflowd_interface_attached{ifname=...} for the metrics file. */
void jf_link_watch_metrics(const struct jf_link_watch *w, FILE *f);

void jf_link_watch_set_attached(struct jf_link_watch *w, int i, bool attached);

void jf_link_watch_free(struct jf_link_watch *w);

#endif
