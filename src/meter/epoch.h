/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The epoch switch between the two flow maps: flip the epoch the XDP
 * program reads, then wait until no CPU can still be writing the map of the
 * old epoch. Works on plain shared memory, so it is tested without BPF. */
#ifndef JFLOWD_EPOCH_H
#define JFLOWD_EPOCH_H

#include <stdbool.h>
#include <stdint.h>
#include "jflowd/flow.h"

/* Make `next` the current epoch; returns the previous one. Full fence:
 * the store is visible before any per-CPU counter is read afterwards. */
__u64 jf_epoch_flip(volatile __u64 *epoch);

/* Wait until every CPU that was inside the program (odd sequence) when
 * called has left it. A CPU that enters later reads the new epoch.
 * Returns the number of CPUs waited for. */
int jf_epoch_quiesce(volatile struct jf_cpu_seq *seq, int ncpus);

/* The other way, at no cost to the program: XDP runs inside an RCU
 * read-side section (NAPI's softirq, generic XDP's rcu_read_lock, test
 * runs' rcu_read_lock), so once a grace period has passed after the flip
 * (membarrier(MEMBARRIER_CMD_GLOBAL) is synchronize_rcu()), every run that
 * could have read the old epoch has returned. */
bool jf_epoch_rcu_available(void);
int jf_epoch_wait_rcu(void);

#endif
