// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Start-up checks of what the options ask of the host, so that a mistake
 * is one clear error at start, not a failure later or forever. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <jflowd/flow.h>
#include "flow/flow_cache.h"
#include "meter/flow_table.h"
#include "service/preflight.h"
#include "service/privs.h"

/* A hash map element's header in the kernel (struct htab_elem), and a
 * bucket: what each entry costs besides its key and value. */
#define HTAB_ELEM_HDR 48
#define HTAB_BUCKET 16

static uint64_t round8(uint64_t n)
{
	return (n + 7) & ~7ull;
}

static uint64_t pow2_ceil(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

uint64_t jf_preflight_map_bytes(uint32_t map_flows)
{
	uint64_t elem = HTAB_ELEM_HDR + round8(sizeof(struct jf_key)) +
			round8(sizeof(struct jf_counters));

	/* Preallocated: every element exists from the start. */
	return 2 * ((uint64_t)map_flows * elem + pow2_ceil(map_flows) * HTAB_BUCKET);
}

uint64_t jf_preflight_mem_available(void)
{
	uint64_t total, avail;

	return jf_config_meminfo(&total, &avail) ? UINT64_MAX : avail;
}

static int check_ifaces(const struct jf_config *cfg, char *err, size_t errlen)
{
	uint32_t idx[JF_MAX_IFACES];
	int i, j;

	for (i = 0; i < cfg->n_ifaces; i++) {
		idx[i] = if_nametoindex(cfg->ifaces[i]);
		if (!idx[i]) {
			snprintf(err, errlen, "interface %s: %s", cfg->ifaces[i], strerror(errno));
			return -1;
		}
		/* Two names (an altname) for one interface: metered twice. */
		for (j = 0; j < i; j++) {
			if (idx[j] == idx[i]) {
				snprintf(err, errlen, "interfaces %s and %s are the same interface "
					 "(ifindex %u)", cfg->ifaces[j], cfg->ifaces[i], idx[i]);
				return -1;
			}
		}
	}
	return 0;
}

/* Creates and removes a file beside the metrics file: 0 or -errno. */
static int try_metrics_tmp(void *arg)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", (const char *)arg);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(tmp);
	return 0;
}

/* The directory must take new files: the file is replaced by rename of a
 * temporary file next to it every drain interval, by the user jflowd runs
 * as then (--user), so that user is the one who tries. */
static int check_metrics_dir(const char *path, const char *user, char *err, size_t errlen)
{
	char dir[4200];
	int rc;

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (user[0] && geteuid() == 0)
		rc = jf_privs_run_as(user, try_metrics_tmp, (void *)path);
	else
		rc = try_metrics_tmp((void *)path);
	if (!rc)
		return 0;
	if (rc == -ENOENT && user[0])
		snprintf(err, errlen, "metrics file %s: the directory %s does not exist: create "
			 "it (mkdir -p %s && chown %s %s); the package and meson install make "
			 "/var/lib/jflowd for jflowd (tmpfiles.d/jflowd.conf)", path, dir, dir, user,
			 dir);
	else if (rc == -ENOENT)
		snprintf(err, errlen, "metrics file %s: the directory %s does not exist: create "
			 "it (mkdir -p %s); the package and meson install make /var/lib/jflowd "
			 "for jflowd (tmpfiles.d/jflowd.conf)", path, dir, dir);
	else if (user[0])
		snprintf(err, errlen, "metrics file %s: user %s cannot create files in %s: %s "
			 "(chown %s %s, or choose a directory %s may write)", path, user, dir,
			 strerror(-rc), user, dir, user);
	else
		snprintf(err, errlen, "metrics file %s: cannot create files in %s: %s", path, dir,
			 strerror(-rc));
	return -1;
}

/* The table's sizing rule (jf_config_check_memory), once more just before
 * anything is allocated: what is available now, under the memory cgroup
 * limits (src/service/memlimit.c). */
static int check_memory(const struct jf_config *cfg, char *err, size_t errlen)
{
	uint64_t avail = jf_preflight_mem_available();

	if (avail == UINT64_MAX)
		return 0;
	return jf_config_check_memory(cfg, avail, err, errlen);
}

/* Before 5.11 BPF maps are charged to RLIMIT_MEMLOCK, not to the memory
 * cgroup; libbpf raises the limit if it may, else the maps fail to load. */
static int check_memlock(const struct jf_config *cfg, char *err, size_t errlen)
{
	struct rlimit rl;
	struct utsname u;
	unsigned int major = 0, minor = 0;
	uint64_t maps;

	if (cfg->pcap_file[0] || cfg->mode == JF_MODE_PCAP)
		return 0;
	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	if (major > 5 || (major == 5 && minor >= 11))
		return 0;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	maps = jf_preflight_map_bytes(jf_config_map_flows(cfg)) +
	       jf_table_slots_for(jf_config_table_flows(cfg)) * (uint64_t)JF_SLOT_BYTES;
	if (maps <= rl.rlim_cur || (rl.rlim_max == RLIM_INFINITY && geteuid() == 0))
		return 0;
	snprintf(err, errlen, "the kernel flow maps need %.1f MiB of locked memory, the "
		 "memlock limit is %.1f MiB: raise it (ulimit -l, LimitMEMLOCK=) or lower "
		 "--max-flows or --map-flows", maps / 1048576.0, rl.rlim_cur / 1048576.0);
	return -1;
}

int jf_preflight(const struct jf_config *cfg, char *err, size_t errlen)
{
	if (check_ifaces(cfg, err, errlen))
		return -1;
	if (cfg->metrics_file[0] && check_metrics_dir(cfg->metrics_file, cfg->user, err, errlen))
		return -1;
	if (check_memlock(cfg, err, errlen))
		return -1;
	return check_memory(cfg, err, errlen);
}
