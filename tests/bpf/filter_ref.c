// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libpcap's own verdict on a frame, for test_filter_prog.c (in a unit of
 * its own: libpcap's struct bpf_insn is not the kernel's). */
#include <stdlib.h>
#include <pcap/pcap.h>
#include "filter_ref.h"

struct filter_ref {
	struct bpf_program prog;
};

struct filter_ref *filter_ref_new(const char *expr)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct filter_ref *r = calloc(1, sizeof(*r));

	if (!dead || !r || pcap_compile(dead, &r->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		free(r);
		r = NULL;
	}
	if (dead)
		pcap_close(dead);
	return r;
}

int filter_ref_match(const struct filter_ref *r, const unsigned char *pkt, unsigned len)
{
	struct pcap_pkthdr h = { .caplen = len, .len = len };

	return pcap_offline_filter(&r->prog, &h, pkt) != 0;
}

void filter_ref_free(struct filter_ref *r)
{
	if (!r)
		return;
	pcap_freecode(&r->prog);
	free(r);
}
