// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target over the capture-file path: libpcap's file reader, the
 * link-type dispatch, the parser and the flow cache, as `jflowd -r` runs
 * them. The input is the whole file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/flow_cache.h"
#include "log.h"
#include "meter/pcap_meter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t emitted;

static void count(const struct jf_record *r, void *arg)
{
	(void)arg;
	emitted += r->packets;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jf_cache_params cp = { .max_flows = 64, .idle_ms = 15000, .active_ms = 60000,
				      .fin_ms = 2000 };
	struct jf_meter_stats st;
	struct jf_pcap_meter *m;
	struct jf_flow_cache *c;
	struct jf_cache_stats cs;
	char err[512];
	uint64_t total = 0;
	FILE *f;
	int r;

	jf_log_level = -1;	/* quiet */
	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	m = jf_pcap_meter_open_fp(f, "fuzz", 1, err, sizeof(err));
	if (!m)
		return 0;
	c = jf_cache_new(&cp, count, NULL);
	memset(&st, 0, sizeof(st));
	emitted = 0;
	jf_pcap_meter_run_file(m, c, &st, 1000, NULL, NULL, err, sizeof(err));
	jf_cache_flush(c, JF_END_FORCED);
	jf_cache_get_stats(c, &cs);
	/* Every packet read has one fate; every flowed packet was emitted. */
	for (r = 0; r < JF_PKT_REASON_MAX; r++)
		total += st.packets[r];
	if (total != st.files_read_packets)
		abort();
	if (emitted != st.packets[JF_PKT_OK] || cs.flows != 0)
		abort();
	jf_cache_free(c);
	jf_pcap_meter_close(m);
	return 0;
}
