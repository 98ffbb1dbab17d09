// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target over the userspace build of the packet parser. The
 * first byte picks the entry point (Ethernet, raw IP, after an ethertype
 * as for Linux cooked captures); the rest is the frame, in a buffer of
 * exactly its size so ASan sees any read past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jflowd/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jf_pkt p;
	uint8_t *buf, sel;
	int r;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	switch (sel % 3) {
	case 0:
		r = jf_parse_eth(buf, buf + size, &p);
		break;
	case 1:
		r = jf_parse_ip(buf, buf + size, &p);
		break;
	default:
		r = size >= 2 ? jf_parse_ethertype(buf + 2, buf + size, jf_rd16(buf), &p)
			      : JF_PKT_TRUNC_L2;
		break;
	}
	/* What every caller relies on. */
	if (r < 0 || r >= JF_PKT_REASON_MAX || r == JF_PKT_SPILLED || r == JF_PKT_NOT_SAMPLED ||
	    r == JF_PKT_MAP_FULL || r == JF_PKT_NO_CPU_SLOT)
		abort();
	if (r == JF_PKT_OK) {
		if (p.key.family != JF_FAMILY_IPV4 && p.key.family != JF_FAMILY_IPV6)
			abort();
		if (p.octets < (p.key.family == JF_FAMILY_IPV4 ? 20u : 40u))
			abort();
		if (p.key.vlan > 4095 || p.key.inner_vlan > 4095 || p.flow_label > 0xfffff)
			abort();
	}
	free(buf);
	return 0;
}
