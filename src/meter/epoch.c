// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The epoch switch between the two flow maps.
 *
 * The program does: seq[cpu] += 1 (atomic, a full barrier); e = epoch;
 * ... write map[e & 1] ...; seq[cpu] += 1. The agent does: epoch += 1;
 * full fence; read every seq[cpu]. A CPU whose increment came after our
 * read reads the new epoch (its load follows its store, which follows our
 * fence); a CPU whose increment came before shows an odd value, and we
 * wait for it to change. After that the old map has no writer. */
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include "meter/epoch.h"

__u64 jf_epoch_flip(volatile __u64 *epoch)
{
	__u64 old = __atomic_load_n(epoch, __ATOMIC_SEQ_CST);

	__atomic_store_n(epoch, old + 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return old;
}

int jf_epoch_quiesce(volatile struct jf_cpu_seq *seq, int ncpus)
{
	__u64 snap[JF_MAX_CPUS];
	int i, waited = 0;

	if (ncpus > JF_MAX_CPUS)
		ncpus = JF_MAX_CPUS;
	for (i = 0; i < ncpus; i++)
		snap[i] = __atomic_load_n(&seq[i].seq, __ATOMIC_SEQ_CST);
	for (i = 0; i < ncpus; i++) {
		unsigned spins = 0;

		if (!(snap[i] & 1))
			continue;
		waited++;
		/* An XDP run takes microseconds; yield if it takes longer
		 * (a test thread standing in for a CPU may be descheduled). */
		while (__atomic_load_n(&seq[i].seq, __ATOMIC_SEQ_CST) == snap[i]) {
			if (++spins > 1000) {
				struct timespec ts = { 0, 10000 };

				nanosleep(&ts, NULL);
			} else {
				sched_yield();
			}
		}
	}
	return waited;
}

bool jf_epoch_rcu_available(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	/* Not offered with nohz_full, where it would not wait for all CPUs. */
	return cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL);
}

int jf_epoch_wait_rcu(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return -errno;
	return 0;
}
