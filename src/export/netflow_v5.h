/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* NetFlow v5 messages: fixed 24-byte header, 48-byte IPv4 records. Buffer
 * in, buffer out. */
#ifndef JFLOWD_NETFLOW_V5_H
#define JFLOWD_NETFLOW_V5_H

#include <stddef.h>
#include <stdint.h>
#include "flow/record.h"
#include "export/template.h"

#define JF_V5_HDR_LEN 24
#define JF_V5_REC_LEN 48
#define JF_V5_MAX_RECORDS 30

struct jf_v5_msg {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
};

struct jf_v5_hdr {
	uint32_t uptime_ms;
	uint32_t export_secs;
	uint32_t export_nsecs;
	uint32_t flow_sequence;	/* flows sent before this message */
	uint8_t engine_type;
	uint8_t engine_id;
	uint32_t sample_rate;	/* 1 in N, 1 = unsampled */
};

void jf_v5_init(struct jf_v5_msg *m, uint8_t *buf, size_t cap);

/* Adds an IPv4 record whose counters fit 32 bits; -ENOSPC when full,
 * -EINVAL for a record v5 cannot carry (IPv6, counters over 32 bits). */
int jf_v5_add(struct jf_v5_msg *m, const struct jf_record *r, const struct jf_enc_ctx *ctx);

size_t jf_v5_finish(struct jf_v5_msg *m, const struct jf_v5_hdr *h);

/* Split a record whose counters exceed 32 bits into `*n` parts (at most
 * max) that each fit; returns 0 or -EINVAL if max parts are not enough. */
int jf_v5_split(const struct jf_record *r, struct jf_record *parts, unsigned max,
		unsigned *n);

#endif
