// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowd-bench-trivial: attach the trivial XDP program (bpf/trivial.bpf.c)
 * to an interface with a fixed verdict, until SIGINT/SIGTERM or a timeout;
 * the XDP_DROP limit of the end-to-end benchmark. "touch" attaches
 * bench/xdp_touch.bpf.c instead (reads the headers, then drops); "floor"
 * attaches bench/xdp_floor.bpf.c with LINES 64-byte lines (adds each packet
 * to one line, then drops). Prints "attached" once the program is in
 * place. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "trivial.skel.h"
#include "xdp_touch.skel.h"
#include "xdp_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct trivial_bpf *skel = NULL;
	struct xdp_touch_bpf *touch = NULL;
	struct xdp_floor_bpf *floor_ = NULL;
	unsigned timeout;
	uint32_t flags;
	int ifindex, fd, rc;

	if (argc < 3 || (strcmp(argv[2], "drop") && strcmp(argv[2], "pass") &&
			 strcmp(argv[2], "touch") && strcmp(argv[2], "floor"))) {
		fprintf(stderr, "usage: jflowd-bench-trivial IFACE drop|pass|touch|floor "
			"[TIMEOUT_S=900] [LINES=131072 (floor)]\n");
		return 2;
	}
	timeout = argc > 3 ? (unsigned)atoi(argv[3]) : 900;
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "trivial: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[2], "floor")) {
		uint32_t lines = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 131072;

		floor_ = xdp_floor_bpf__open();
		if (!floor_ || !lines) {
			fprintf(stderr, "trivial: open floor: %s\n", strerror(errno));
			return 1;
		}
		floor_->data->lines = lines;
		bpf_map__set_max_entries(floor_->maps.floor_lines, lines);
		rc = xdp_floor_bpf__load(floor_);
		if (rc) {
			fprintf(stderr, "trivial: load floor: %s\n", strerror(-rc));
			return 1;
		}
		fd = bpf_program__fd(floor_->progs.xdp_floor);
	} else if (!strcmp(argv[2], "touch")) {
		touch = xdp_touch_bpf__open_and_load();
		if (!touch) {
			fprintf(stderr, "trivial: load touch: %s\n", strerror(errno));
			return 1;
		}
		fd = bpf_program__fd(touch->progs.xdp_touch);
	} else {
		skel = trivial_bpf__open();
		if (!skel) {
			fprintf(stderr, "trivial: open: %s\n", strerror(errno));
			return 1;
		}
		skel->rodata->verdict = strcmp(argv[2], "drop") ? XDP_PASS : XDP_DROP;
		rc = trivial_bpf__load(skel);
		if (rc) {
			fprintf(stderr, "trivial: load: %s\n", strerror(-rc));
			return 1;
		}
		fd = bpf_program__fd(skel->progs.trivial_xdp);
	}
	flags = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE;
	rc = bpf_xdp_attach(ifindex, fd, flags, NULL);
	if (rc) {
		fprintf(stderr, "trivial: attach %s (native): %s\n", argv[1], strerror(-rc));
		trivial_bpf__destroy(skel);
		xdp_touch_bpf__destroy(touch);
		xdp_floor_bpf__destroy(floor_);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("attached\n");
	fflush(stdout);
	while (!stop && timeout--)
		sleep(1);
	bpf_xdp_detach(ifindex, flags & ~XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	trivial_bpf__destroy(skel);
	xdp_touch_bpf__destroy(touch);
	xdp_floor_bpf__destroy(floor_);
	return 0;
}
