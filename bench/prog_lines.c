// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The source line of every piece of a loaded BPF program's machine code:
 * for each of its line-info records, the address the JIT put it at, the
 * file, line and text. With the instruction addresses of a CPU profile
 * (perf script), the time of the program by source line end to end
 * (bench/xdp_lines.py), where bpftool's "dump jited linum" needs a
 * disassembler this machine's bpftool is built without.
 *
 *   bench_prog_lines PROG_ID
 *
 * Prints "ksym N ADDR" for the program and each subprogram, then "ADDR
 * FILE:LINE: TEXT" per record, in the kernel's order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), nl, njl, nks, rec, btf_id, i;
	struct btf *btf;
	__u64 *jl, *ks;
	char *li;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PROG_ID\n", argv[0]);
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((__u32)strtoul(argv[1], NULL, 0));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	nl = info.nr_line_info;
	njl = info.nr_jited_line_info;
	nks = info.nr_jited_ksyms;
	rec = info.line_info_rec_size;
	btf_id = info.btf_id;
	if (!nl || !njl || !btf_id) {
		fprintf(stderr, "program %s: no line info (loaded without BTF?)\n", argv[1]);
		return 1;
	}
	li = calloc(nl, rec);
	jl = calloc(njl, sizeof(*jl));
	ks = calloc(nks ? nks : 1, sizeof(*ks));
	if (!li || !jl || !ks)
		return 1;
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nl;
	info.line_info_rec_size = rec;
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = njl;
	info.jited_line_info_rec_size = sizeof(*jl);
	info.jited_line_info = (__u64)(unsigned long)jl;
	info.nr_jited_ksyms = nks;
	info.jited_ksyms = (__u64)(unsigned long)ks;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	btf = btf__load_from_kernel_by_id(btf_id);
	if (!btf) {
		fprintf(stderr, "program %s: BTF %u: %s\n", argv[1], btf_id, strerror(errno));
		return 1;
	}
	for (i = 0; i < nks; i++)
		printf("ksym %u 0x%llx\n", i, (unsigned long long)ks[i]);
	for (i = 0; i < nl && i < njl; i++) {
		const struct bpf_line_info *l = (const void *)(li + (size_t)i * rec);
		const char *file = btf__name_by_offset(btf, l->file_name_off);
		const char *text = btf__name_by_offset(btf, l->line_off);
		const char *base = file ? strrchr(file, '/') : NULL;

		printf("0x%llx %s:%u: %s\n", (unsigned long long)jl[i],
		       base ? base + 1 : (file ? file : "?"), BPF_LINE_INFO_LINE_NUM(l->line_col),
		       text ? text : "");
	}
	btf__free(btf);
	close(fd);
	return 0;
}
