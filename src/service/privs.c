// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Least privilege after start-up. Loading BPF, attaching it and opening
 * capture sockets need CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_NET_RAW;
 * reading the maps, exporting, reconnecting and writing the metrics file
 * need none, because the file descriptors already are the permission. What
 * is kept is chosen by the caller (main.c says why per mode). Raw capset(2)
 * keeps libcap out of the dependencies. */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "service/privs.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = 40;	/* CAP_CHECKPOINT_RESTORE, where the file is hidden */

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 40;
		fclose(f);
	}
	return n < 63 ? n : 63;
}

static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int switch_user(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user %s: %s", user, errno ? strerror(errno) : "no such user");
		return -1;
	}
	/* Keep the permitted set across the uid change; capset trims it next. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    initgroups(pw->pw_name, pw->pw_gid) ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid)) {
		snprintf(err, errlen, "switch to user %s: %s", user, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* A uid change makes the process non-dumpable, which hands
	 * /proc/self (fdinfo: the maps' memory) to root. Dumpable again only
	 * lets processes of this user that hold all of our capabilities ptrace
	 * us (the kernel checks the capability subset), which is no widening. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

int jf_privs_drop(const struct jf_privs_params *p, char *err, size_t errlen)
{
	int cap, last = last_cap();

	/* Bounding set first: dropping from it needs CAP_SETPCAP, which goes
	 * with the rest below. A service manager may have withheld CAP_SETPCAP
	 * (systemd's CapabilityBoundingSet=): then the bounding set stays as
	 * it gave it, which only limits what an exec could gain; the permitted
	 * and effective sets below are what bind this process. */
	for (cap = 0; cap <= last; cap++) {
		if ((p->keep & JF_CAP(cap)) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno != EPERM && errno != EINVAL) {
			snprintf(err, errlen, "drop capability %d from the bounding set: %s", cap,
				 strerror(errno));
			return -1;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (p->user && *p->user && switch_user(p->user, err, errlen))
		return -1;
	if (set_caps(p->keep)) {
		snprintf(err, errlen, "set capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int jf_privs_run_as(const char *user, int (*fn)(void *arg), void *arg)
{
	char err[256];
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int rc = switch_user(user, err, sizeof(err)) || set_caps(0) ? -EPERM : fn(arg);

		/* The result as the exit status: 0, or the errno (< 256). */
		_exit(rc < 0 && -rc < 256 ? -rc : rc ? EIO : 0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

int jf_privs_current(uint64_t *eff, uint64_t *prm, uint64_t *bnd)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "CapEff: %" SCNx64, eff) == 1;
		found += sscanf(line, "CapPrm: %" SCNx64, prm) == 1;
		found += sscanf(line, "CapBnd: %" SCNx64, bnd) == 1;
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}
