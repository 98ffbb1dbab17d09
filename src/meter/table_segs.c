// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flow table's memory in segments (table_segs.h, bpf/maps.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meter/table_segs.h"

#define SEG_SHIFT_MIN 6		/* 64 lines: one page */
#define SEG_SHIFT_MAX 17	/* 8 MiB */

uint32_t jf_table_seg_shift(uint32_t min_slots)
{
	uint64_t lines = 2 * (uint64_t)min_slots;
	uint32_t s = 0;

	while ((lines >> (s + 1)) != 0)
		s++;		/* 2^s <= lines < 2^(s+1) */
	if (lines != 1ull << s)
		s = s >= 2 ? s - 2 : 0;
	if (s < SEG_SHIFT_MIN)
		s = SEG_SHIFT_MIN;
	return s > SEG_SHIFT_MAX ? SEG_SHIFT_MAX : s;
}

uint32_t jf_table_segs_for(uint32_t nslots, uint32_t shift)
{
	uint64_t lines = 2 * (uint64_t)nslots;

	return (uint32_t)((lines + (1ull << shift) - 1) >> shift);
}

int jf_table_segs_prepare(struct bpf_map *flow_segs, uint32_t shift, uint32_t max_slots)
{
	/* The inner map's model: a segment (libbpf 1.1 cannot resize the
	 * model it makes from the definition). */
	int fd = jf_table_seg_create(shift), rc;

	if (fd < 0)
		return fd;
	rc = bpf_map__set_inner_map_fd(flow_segs, fd);
	if (!rc)
		rc = bpf_map__set_max_entries(flow_segs, 2 * jf_table_segs_for(max_slots, shift));
	if (rc) {
		close(fd);
		return rc < 0 ? rc : -EINVAL;
	}
	return fd;
}

int jf_table_seg_create(uint32_t shift)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	int fd;

	if (shift < SEG_SHIFT_MIN || shift > SEG_SHIFT_MAX)
		return -EINVAL;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flow_seg", sizeof(uint32_t),
			    sizeof(struct jf_slot), 1u << shift, &o);
	return fd < 0 ? -errno : fd;
}

void jf_table_segs_close(int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int jf_table_segs_create(uint32_t shift, uint32_t n, int **fds)
{
	int *f = calloc(n, sizeof(*f)), rc = 0;
	uint32_t i;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		f[i] = jf_table_seg_create(shift);
		if (f[i] < 0)
			rc = f[i];
	}
	if (rc) {
		jf_table_segs_close(f, i);
		free(f);
		return rc;
	}
	*fds = f;
	return 0;
}

/* Entries 0 .. count of column tab: fds[i] for i < nfds, fds[0] beyond.
 * One batch; one by one where the kernel has no batches for maps of
 * maps (before Linux 6.0). */
static int column_set(const struct jf_table_segs *sg, uint32_t tab, uint32_t count,
		      const int *fds, uint32_t nfds)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t *keys = calloc(count, sizeof(*keys)), n = count, i;
	int *vals = calloc(count, sizeof(*vals)), rc = 0;

	if (!keys || !vals) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		keys[i] = i << 1 | tab;
		vals[i] = fds[i < nfds ? i : 0];
	}
	if (!bpf_map_update_batch(sg->fd, keys, vals, &n, &o))
		goto out;
	for (i = 0; i < count && !rc; i++)
		if (bpf_map_update_elem(sg->fd, &keys[i], &vals[i], BPF_ANY))
			rc = -errno;
out:
	free(keys);
	free(vals);
	return rc;
}

int jf_table_mem_map(struct jf_table_segs *sg, uint32_t tab, uint32_t nslots, int *fds,
		     struct jf_table_mem *tm)
{
	uint32_t n = jf_table_segs_for(nslots, sg->shift), i;
	size_t seg_len = ((size_t)1 << sg->shift) * sizeof(struct jf_slot);
	char *base;
	int rc = 0;

	memset(tm, 0, sizeof(*tm));
	tm->fd0 = -1;
	/* One range for all, then each segment over its part of it. */
	base = mmap(NULL, n * seg_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		jf_table_segs_close(fds, n);
		return rc;
	}
	for (i = 0; i < n && !rc; i++)
		if (mmap(base + i * seg_len, seg_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fds[i], 0) == MAP_FAILED)
			rc = -errno;
	/* Every entry of the column this table's, also those a larger
	 * table used before (they would keep its maps). */
	if (!rc)
		rc = column_set(sg, tab, n > sg->used[tab] ? n : sg->used[tab], fds, n);
	if (rc) {
		jf_table_segs_close(fds, n);
		munmap(base, n * seg_len);
		return rc;
	}
	if (n > sg->used[tab])
		sg->used[tab] = n;
	jf_table_segs_close(fds + 1, n - 1);
	tm->fd0 = fds[0];
	tm->mem = (struct jf_slot *)base;
	tm->len = n * seg_len;
	tm->nseg = n;
	tm->tab = tab;
	return 0;
}

int jf_table_mem_make(struct jf_table_segs *sg, uint32_t tab, uint32_t nslots,
		      struct jf_table_mem *tm)
{
	int *fds, rc = jf_table_segs_create(sg->shift, jf_table_segs_for(nslots, sg->shift), &fds);

	if (rc)
		return rc;
	rc = jf_table_mem_map(sg, tab, nslots, fds, tm);
	free(fds);
	return rc;
}

void jf_table_mem_unmap(struct jf_table_segs *sg, struct jf_table_mem *tm,
			const struct jf_table_mem *live)
{
	if (!tm->mem)
		return;
	/* On failure the maps stay until the next table takes the column. */
	if (live && live->mem && sg->used[tm->tab])
		column_set(sg, tm->tab, sg->used[tm->tab], &live->fd0, 1);
	munmap(tm->mem, tm->len);
	close(tm->fd0);
	memset(tm, 0, sizeof(*tm));
	tm->fd0 = -1;
}
