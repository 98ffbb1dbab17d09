/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Hash of a flow key for the agent's cache: four multiply-xorshift lanes
 * over 64-bit words, finished with the murmur3 avalanche. */
#ifndef JFLOWD_FLOW_HASH_H
#define JFLOWD_FLOW_HASH_H

#include <stdint.h>
#include <string.h>
#include "jflowd/table.h"

static inline uint64_t jf_hash_lane(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t h = (seed ^ a) * 0xff51afd7ed558ccdull;

	h ^= h >> 32;
	h = (h ^ b) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static inline uint64_t jf_rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* Words i and i + 4 share a lane (the 4-byte tail is the eighth): the four
 * lanes' multiplies are independent, so a key costs two multiply latencies
 * plus the finish, not eight (it is hashed once per packet replayed). The
 * key's words come from the table's loaders (jflowd/table.h). */
static inline uint32_t jf_flow_hash(const struct jf_key *k)
{
	uint64_t h;

	h = jf_hash_lane(0x9e3779b97f4a7c15ull, jf_key_word(k, 0), jf_key_word(k, 4)) ^
	    jf_rotl64(jf_hash_lane(0x243f6a8885a308d3ull, jf_key_word(k, 1),
				   jf_key_word(k, 5)), 16) ^
	    jf_rotl64(jf_hash_lane(0x13198a2e03707344ull, jf_key_word(k, 2),
				   jf_key_word(k, 6)), 32) ^
	    jf_rotl64(jf_hash_lane(0xa4093822299f31d0ull, jf_key_word(k, 3), jf_key_tail(k)), 48);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

_Static_assert(sizeof(struct jf_key) == 60, "jf_flow_hash reads seven words and a tail");

#endif
