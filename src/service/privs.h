/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Least privilege after start-up: once the meter is loaded and attached,
 * keep only the capabilities later work needs, optionally as another user. */
#ifndef JFLOWD_PRIVS_H
#define JFLOWD_PRIVS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/capability.h>	/* CAP_* */

/* Bit n stands for capability n (linux/capability.h). */
#define JF_CAP(n) (1ULL << (n))

struct jf_privs_params {
	uint64_t keep;		/* capabilities kept: effective, permitted, bounding */
	const char *user;	/* NULL or "": stay this user */
};

/* Drop every capability not in p->keep from the effective, permitted,
 * inheritable, ambient and bounding sets, after switching to p->user if
 * given. 0, or -1 with a one-line reason in err. */
int jf_privs_drop(const struct jf_privs_params *p, char *err, size_t errlen);

/* Run fn(arg) in a child process that is user (with its groups and no
 * capabilities), so that a start-up check sees what jflowd will see after
 * jf_privs_drop: fn's result (0 or -errno), or -errno if the child could
 * not be made that user. */
int jf_privs_run_as(const char *user, int (*fn)(void *arg), void *arg);

/* The capability sets of this process, as /proc/self/status shows them. */
int jf_privs_current(uint64_t *eff, uint64_t *prm, uint64_t *bnd);

#endif
