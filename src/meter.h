/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The capture backends' common parameters. */
#ifndef JFLOWD_METER_H
#define JFLOWD_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"

/* What a meter is told: where to capture and how. Fields a backend does
 * not use are ignored by it. */
struct jf_meter_params {
	const char *ifaces[JF_MAX_IFACES];	/* none: load only (tests, benchmarks) */
	int n_ifaces;
	uint32_t sample_rate;		/* 1 in N */
	bool generic;			/* XDP: generic mode only (else native, falling
					 * back to generic with a warning) */
	bool mirror;			/* XDP: drop after metering (SPAN port) */
	enum jf_quiesce quiesce;	/* XDP: how a drain waits out the old epoch */
	uint32_t map_flows;		/* XDP: entries of each kernel flow map */
};

#endif
