// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Writes the seed corpus of the parser fuzzer: random frames of every
 * framing from tests/lib/pktrand.h, one file each, with the entry-point
 * byte first. Usage: seed_corpus DIR [COUNT [SEED]] */
#include <stdio.h>
#include <stdlib.h>
#include "../lib/pktrand.h"

int main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 300, i;
	struct prng r = { argc > 3 ? strtoull(argv[3], NULL, 0) : 1 };
	struct pb p;

	if (argc < 2) {
		fprintf(stderr, "usage: seed_corpus DIR [COUNT [SEED]]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		FILE *f;
		uint8_t sel = 0;

		rnd_frame(&r, &p);
		if (i % 4 == 3)
			rnd_damage(&r, &p);
		snprintf(path, sizeof(path), "%s/seed-%04lu", argv[1], i);
		f = fopen(path, "wb");
		if (!f) {
			perror(path);
			return 1;
		}
		fwrite(&sel, 1, 1, f);
		fwrite(p.b, 1, p.len, f);
		fclose(f);
	}
	return 0;
}
