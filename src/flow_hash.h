/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Hash of a flow key for the agent's cache: multiply-xorshift over 64-bit
 * words, finished with the murmur3 avalanche. */
#ifndef JFLOWD_FLOW_HASH_H
#define JFLOWD_FLOW_HASH_H

#include <stdint.h>
#include <string.h>
#include "jflowd/flow.h"

static inline uint32_t jf_flow_hash(const struct jf_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	uint32_t tail;
	size_t i;

	for (i = 0; i + 8 <= sizeof(*k); i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	memcpy(&tail, p + i, 4);
	h ^= tail;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

_Static_assert(sizeof(struct jf_key) % 8 == 4, "jf_flow_hash expects a 4-byte tail");

#endif
