/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests: load a configuration from a command line written inline,
 * LOAD(&cfg, "-i", "eth0", ...), defaults first, as main() does. */
#ifndef JFLOWD_TEST_CONFIG_LOAD_H
#define JFLOWD_TEST_CONFIG_LOAD_H

#include "service/config.h"

static inline int load(struct jf_config *c, const char *const *args, int n)
{
	char *argv[32];
	int i;

	argv[0] = (char *)"jflowd";
	for (i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	jf_config_defaults(c);
	return jf_config_load(c, n + 1, argv);
}

#define LOAD(c, ...) ({ const char *const a_[] = { __VA_ARGS__ }; \
			load((c), a_, (int)(sizeof(a_) / sizeof(a_[0]))); })

#endif
