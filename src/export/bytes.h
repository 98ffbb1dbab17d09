/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Byte order helpers for building messages: no dependencies, so encoders
 * and transports alike can use them. */
#ifndef JFLOWD_BYTES_H
#define JFLOWD_BYTES_H

#include <stdint.h>
#include <string.h>

/* Big-endian store of the low `len` bytes of v; values that do not fit
 * saturate (a 4-byte counter never wraps to a small number). The common
 * widths are one byte swap and one store each. */
static inline void jf_put_be(uint8_t *p, uint64_t v, unsigned len)
{
	unsigned i;

	if (len < 8 && v >> (len * 8))
		v = (1ull << (len * 8)) - 1;
	switch (len) {
	case 1:
		*p = (uint8_t)v;
		return;
	case 2: {
		uint16_t x = __builtin_bswap16((uint16_t)v);

		memcpy(p, &x, 2);
		return;
	}
	case 4: {
		uint32_t x = __builtin_bswap32((uint32_t)v);

		memcpy(p, &x, 4);
		return;
	}
	case 8: {
		uint64_t x = __builtin_bswap64(v);

		memcpy(p, &x, 8);
		return;
	}
	}
	for (i = len; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

#endif
