// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NetFlow v5 messages (Cisco's fixed format; IPv4 only). */
#include <errno.h>
#include <string.h>
#include "export/netflow_v5.h"

void jf_v5_init(struct jf_v5_msg *m, uint8_t *buf, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap;
	m->len = JF_V5_HDR_LEN;
}

int jf_v5_add(struct jf_v5_msg *m, const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	const struct jf_key *k = &r->key;
	uint8_t *p;

	if (k->family != JF_FAMILY_IPV4 || r->packets > UINT32_MAX || r->octets > UINT32_MAX)
		return -EINVAL;
	if (m->count >= JF_V5_MAX_RECORDS || m->len + JF_V5_REC_LEN > m->cap)
		return -ENOSPC;
	p = m->buf + m->len;
	memset(p, 0, JF_V5_REC_LEN);
	memcpy(p, &k->src[0], 4);
	memcpy(p + 4, &k->dst[0], 4);
	memcpy(p + 8, &r->next_hop[0], 4);
	jf_put_be(p + 12, k->ifindex, 2);
	jf_put_be(p + 14, r->egress_ifindex, 2);
	jf_put_be(p + 16, r->packets, 4);
	jf_put_be(p + 20, r->octets, 4);
	jf_put_be(p + 24, jf_uptime_ms(r->first_ms, ctx), 4);
	jf_put_be(p + 28, jf_uptime_ms(r->last_ms, ctx), 4);
	jf_put_be(p + 32, k->sport, 2);
	jf_put_be(p + 34, k->dport, 2);	/* ICMP: type * 256 + code */
	p[37] = r->tcp_flags;
	p[38] = k->proto;
	p[39] = k->tos;
	/* src_as, dst_as (40-43): unknown, 0 */
	p[44] = r->src_mask;
	p[45] = r->dst_mask;
	m->len += JF_V5_REC_LEN;
	m->count++;
	return 0;
}

size_t jf_v5_finish(struct jf_v5_msg *m, const struct jf_v5_hdr *h)
{
	uint8_t *p = m->buf;
	uint32_t rate = h->sample_rate > 1 ? h->sample_rate : 0;

	if (rate > 0x3fff)
		rate = 0x3fff;
	jf_put_be(p, 5, 2);
	jf_put_be(p + 2, m->count, 2);
	jf_put_be(p + 4, h->uptime_ms, 4);
	jf_put_be(p + 8, h->export_secs, 4);
	jf_put_be(p + 12, h->export_nsecs, 4);
	jf_put_be(p + 16, h->flow_sequence, 4);
	p[20] = h->engine_type;
	p[21] = h->engine_id;
	/* mode 01 (packet interval) in the top two bits, interval below */
	jf_put_be(p + 22, rate ? (1u << 14) | rate : 0, 2);
	return m->len;
}

int jf_v5_split(const struct jf_record *r, struct jf_record *parts, unsigned max,
		unsigned *n)
{
	uint64_t big = r->packets > r->octets ? r->packets : r->octets;
	uint64_t k = big / UINT32_MAX + 2, i;	/* +2: room for the remainder */

	if (big <= UINT32_MAX)
		k = 1;
	if (k > max)
		return -EINVAL;
	for (i = 0; i < k; i++) {
		parts[i] = *r;
		parts[i].packets = r->packets / k + (i == 0 ? r->packets % k : 0);
		parts[i].octets = r->octets / k + (i == 0 ? r->octets % k : 0);
	}
	*n = (unsigned)k;
	return 0;
}
