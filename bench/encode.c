// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_encode: flow records per second through the real encoders (IPFIX
 * and v9 via jf_msg_add_flow/jf_msg_finish, v5 via jf_v5_add/jf_v5_finish)
 * into messages of --mtu bytes, on one core, against a plain memcpy of the
 * same bytes in the same pieces: each record's encoded length copied from
 * pre-encoded records, each message's header and set overhead copied once.
 * One JSON object per line on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "export/flowset.h"
#include "export/netflow_v5.h"
#include "export/template.h"
#include "bench_util.h"

#define NREC 4096		/* distinct records, cycled (power of two) */
#define MAX_REPS 64
#define MAX_MTU 9000

enum fmt { F_IPFIX, F_V9, F_V5 };

struct job {
	const char *name;
	enum fmt fmt;
	int family;
};

static uint8_t msgbuf[MAX_MTU];
static volatile uint64_t sink_acc;

/* Stand-in for the socket: the compiler must assume it reads the message. */
static __attribute__((noinline)) void sink(const uint8_t *b, size_t n)
{
	sink_acc += b[0] ^ b[n / 2] ^ b[n - 1] ^ n;
}

static void make_records(struct jf_record *r, int family, uint64_t now_ms)
{
	int i;

	memset(r, 0, NREC * sizeof(*r));
	for (i = 0; i < NREC; i++) {
		struct jf_key *k = &r[i].key;

		k->family = (uint8_t)family;
		if (family == 4) {
			k->src[0] = htonl(0x0a000000u + (uint32_t)i);
			k->dst[0] = htonl(0xc6336400u + (uint32_t)(i & 255));
		} else {
			k->src[0] = htonl(0x20010db8);
			k->src[3] = htonl((uint32_t)i + 1);
			k->dst[0] = htonl(0x20010db8);
			k->dst[3] = htonl(0x100u + (uint32_t)(i & 255));
		}
		k->proto = (i % 3) == 0 ? 6 : (i % 3) == 1 ? 17 : 1;
		k->sport = (uint16_t)(1024 + i);
		k->dport = (uint16_t)(k->proto == 1 ? 8 << 8 : 443);
		k->ifindex = 2;
		k->tos = (uint8_t)(i & 0xfc);
		r[i].packets = 1 + (uint64_t)(i % 1000);
		r[i].octets = r[i].packets * (64 + (uint64_t)(i % 1400));
		r[i].first_ms = now_ms - 50000 + (uint64_t)(i % 1000);
		r[i].last_ms = now_ms - 1000 + (uint64_t)(i % 1000);
		r[i].tcp_flags = k->proto == 6 ? 0x1b : 0;
		r[i].ttl_min = 60;
		r[i].ttl_max = 64;
		r[i].end_reason = JF_END_IDLE;
		r[i].flow_label = family == 6 ? (uint32_t)i & 0xfffff : 0;
	}
}

struct result {
	uint64_t records, messages, bytes;
	uint64_t ns;
};

static void encode_flowset(const struct job *j, const struct jf_template *t,
			   const struct jf_record *recs, const struct jf_enc_ctx *ctx,
			   size_t mtu, uint64_t n, struct result *res)
{
	struct jf_msg_hdr h = { .export_secs = (uint32_t)(ctx->now_ms / 1000),
				.uptime_ms = (uint32_t)(ctx->now_ms - ctx->uptime_base_ms),
				.domain = 1 };
	enum jf_wire w = j->fmt == F_IPFIX ? JF_WIRE_IPFIX : JF_WIRE_V9;
	uint64_t i, t0 = bench_ns();
	struct jf_msg m;
	size_t len;

	memset(res, 0, sizeof(*res));
	jf_msg_init(&m, w, msgbuf, mtu);
	for (i = 0; i < n; i++) {
		const struct jf_record *r = &recs[i & (NREC - 1)];

		if (jf_msg_add_flow(&m, t, r, ctx) == -ENOSPC) {
			len = jf_msg_finish(&m, &h);
			sink(msgbuf, len);
			res->bytes += len;
			res->messages++;
			h.sequence += w == JF_WIRE_V9 ? 1 : m.data_records;
			jf_msg_init(&m, w, msgbuf, mtu);
			jf_msg_add_flow(&m, t, r, ctx);
		}
	}
	len = jf_msg_finish(&m, &h);
	sink(msgbuf, len);
	res->bytes += len;
	res->messages++;
	res->records = n;
	res->ns = bench_ns() - t0;
}

static void encode_v5(const struct jf_record *recs, const struct jf_enc_ctx *ctx,
		      size_t mtu, uint64_t n, struct result *res)
{
	struct jf_v5_hdr h = { .uptime_ms = (uint32_t)(ctx->now_ms - ctx->uptime_base_ms),
			       .export_secs = (uint32_t)(ctx->now_ms / 1000), .sample_rate = 1 };
	uint64_t i, t0 = bench_ns();
	struct jf_v5_msg m;
	size_t len;

	memset(res, 0, sizeof(*res));
	jf_v5_init(&m, msgbuf, mtu);
	for (i = 0; i < n; i++) {
		const struct jf_record *r = &recs[i & (NREC - 1)];

		if (jf_v5_add(&m, r, ctx) == -ENOSPC) {
			h.flow_sequence += m.count;
			len = jf_v5_finish(&m, &h);
			sink(msgbuf, len);
			res->bytes += len;
			res->messages++;
			jf_v5_init(&m, msgbuf, mtu);
			jf_v5_add(&m, r, ctx);
		}
	}
	len = jf_v5_finish(&m, &h);
	sink(msgbuf, len);
	res->bytes += len;
	res->messages++;
	res->records = n;
	res->ns = bench_ns() - t0;
}

/* The same bytes in the same pieces, without encoding: rec_len bytes per
 * record from pre-encoded records, then the header/set overhead per message. */
static void copy_only(const uint8_t *encoded, size_t rec_len, uint64_t per_msg,
		      size_t overhead, uint64_t n, struct result *res)
{
	static uint8_t hdr[128];
	uint64_t i, in_msg = 0, t0 = bench_ns();
	size_t off = overhead;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++) {
		if (in_msg == per_msg) {
			memcpy(msgbuf, hdr, overhead);
			sink(msgbuf, off);
			res->bytes += off;
			res->messages++;
			off = overhead;
			in_msg = 0;
		}
		memcpy(msgbuf + off, encoded + (i & (NREC - 1)) * rec_len, rec_len);
		off += rec_len;
		in_msg++;
	}
	memcpy(msgbuf, hdr, overhead);
	sink(msgbuf, off);
	res->bytes += off;
	res->messages++;
	res->records = n;
	res->ns = bench_ns() - t0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "records", 1, 0, 'n' }, { "reps", 1, 0, 'r' }, { "cpu", 1, 0, 'c' },
		{ "mtu", 1, 0, 'm' }, { 0 }
	};
	static const struct job jobs[] = {
		{ "ipfix", F_IPFIX, 4 }, { "ipfix", F_IPFIX, 6 },
		{ "v9", F_V9, 4 }, { "v9", F_V9, 6 }, { "v5", F_V5, 4 },
	};
	static struct jf_record recs4[NREC], recs6[NREC];
	uint64_t n = 4000000, now_ms = 1700000000000ull;
	struct jf_enc_ctx ctx = { .uptime_base_ms = now_ms - 3600000, .now_ms = now_ms,
				  .sampling_interval = 1 };
	int reps = 5, cpu = -1, c, rep;
	size_t mtu = 1400, ji;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'r': reps = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'm': mtu = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: bench_encode [--records N] [--reps N] [--cpu N] "
				"[--mtu BYTES]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !n || mtu < 128 || mtu > MAX_MTU)
		return 2;
	bench_pin(cpu);
	make_records(recs4, 4, now_ms);
	make_records(recs6, 6, now_ms);

	for (ji = 0; ji < sizeof(jobs) / sizeof(jobs[0]); ji++) {
		const struct job *j = &jobs[ji];
		const struct jf_record *recs = j->family == 4 ? recs4 : recs6;
		double enc[MAX_REPS], cpy[MAX_REPS];
		struct jf_tmpl_params tp = { .wire = j->fmt == F_V9 ? JF_WIRE_V9 : JF_WIRE_IPFIX };
		struct jf_template t;
		struct result er, cr;
		uint8_t *encoded;
		size_t rec_len, overhead;
		uint64_t per_msg;
		int i;

		memset(&t, 0, sizeof(t));
		if (j->fmt == F_V5) {
			rec_len = JF_V5_REC_LEN;
		} else {
			jf_template_data(&t, j->family == 4 ? JF_TID_IPV4 : JF_TID_IPV6, &tp);
			rec_len = t.rec_len;
		}
		/* Pre-encoded records for the copy baseline. */
		encoded = calloc(NREC, rec_len);
		if (!encoded)
			return 1;
		for (i = 0; i < NREC; i++) {
			if (j->fmt == F_V5) {
				struct jf_v5_msg m;

				jf_v5_init(&m, msgbuf, mtu);
				jf_v5_add(&m, &recs[i], &ctx);
				memcpy(encoded + (size_t)i * rec_len, msgbuf + JF_V5_HDR_LEN, rec_len);
			} else {
				jf_write_flow(encoded + (size_t)i * rec_len, &t, &recs[i], &ctx);
			}
		}
		for (rep = 0; rep < reps; rep++) {
			if (j->fmt == F_V5)
				encode_v5(recs, &ctx, mtu, n, &er);
			else
				encode_flowset(j, &t, recs, &ctx, mtu, n, &er);
			/* Same message boundaries as the encoder produced. */
			per_msg = (er.records + er.messages - 1) / er.messages;
			overhead = (size_t)((er.bytes - er.records * rec_len) / er.messages);
			copy_only(encoded, rec_len, per_msg, overhead, n, &cr);
			enc[rep] = (double)er.ns / (double)er.records;
			cpy[rep] = (double)cr.ns / (double)cr.records;
		}
		printf("{\"bench\":\"encode\",\"format\":\"%s\",\"family\":%d,\"records\":%llu,"
		       "\"reps\":%d,\"mtu\":%zu,\"rec_len\":%zu,\"records_per_msg\":%llu,"
		       "\"bytes\":%llu,\"copy_bytes\":%llu,\"encode_ns\":%.3f,\"memcpy_ns\":%.3f}\n",
		       j->name, j->family, (unsigned long long)n, reps, mtu, rec_len,
		       (unsigned long long)per_msg, (unsigned long long)er.bytes,
		       (unsigned long long)cr.bytes, bench_median(enc, reps),
		       bench_median(cpy, reps));
		fflush(stdout);
		free(encoded);
	}
	return 0;
}
