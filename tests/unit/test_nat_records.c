// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NAT without the kernel: the NAT event record's bytes (templates
 * 264/265), what the lookup part writes into a flow record with and
 * without conntrack's answer, and a record's choice of own values or 0
 * for the post-NAT elements of an untranslated flow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "export/ie.h"
#include "export/template.h"
#include "flow/nat.h"
#include "flow/records.h"

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_nat_event_record(void **state)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_nat_event ev = {
		.time_ms = 1700000000123ull, .event = JF_NAT44_SESSION_CREATE, .family = 4,
		.proto = 6, .sport = 40010, .dport = 9000, .xsport = 61000, .xdport = 9000,
		.in_if = 2, .out_if = 3,
	};
	static const uint16_t ies[] = {
		IE_OBSERVATION_TIME_MS, IE_NAT_EVENT, IE_PROTOCOL, IE_SRC_IPV4, IE_SRC_PORT,
		IE_POST_NAT_SRC_IPV4, IE_POST_NAPT_SRC_PORT, IE_DST_IPV4, IE_DST_PORT,
		IE_POST_NAT_DST_IPV4, IE_POST_NAPT_DST_PORT, IE_INGRESS_IF, IE_EGRESS_IF,
	};
	struct jf_template t;
	uint8_t out[JF_TMPL_MAX_REC];
	unsigned i;

	(void)state;
	ev.src[0] = ip4("10.1.0.2");
	ev.dst[0] = ip4("10.2.0.2");
	ev.xsrc[0] = ip4("10.2.0.1");
	ev.xdst[0] = ip4("10.2.0.2");
	jf_template_nat_event(&t, JF_TID_NAT_EVENT_IPV4, &p);
	assert_int_equal(t.id, 264);
	assert_int_equal(t.nfields, sizeof(ies) / sizeof(ies[0]));
	for (i = 0; i < t.nfields; i++)
		assert_int_equal(t.f[i].ie, ies[i]);
	assert_int_equal(t.rec_len, 8 + 1 + 1 + 4 + 2 + 4 + 2 + 4 + 2 + 4 + 2 + 4 + 4);
	jf_write_nat_event(out, &t, &ev);
	assert_int_equal(be32(out) * 4294967296ull + be32(out + 4), ev.time_ms);
	assert_int_equal(out[8], 4);
	assert_int_equal(out[9], 6);
	assert_memory_equal(out + 10, &ev.src[0], 4);
	assert_int_equal(out[14] << 8 | out[15], 40010);
	assert_memory_equal(out + 16, &ev.xsrc[0], 4);
	assert_int_equal(out[20] << 8 | out[21], 61000);
	assert_memory_equal(out + 22, &ev.dst[0], 4);
	assert_memory_equal(out + 28, &ev.xdst[0], 4);
	assert_int_equal(be32(out + 34), 2);
	assert_int_equal(be32(out + 38), 3);

	jf_template_nat_event(&t, JF_TID_NAT_EVENT_IPV6, &p);
	assert_int_equal(t.id, 265);
	assert_int_equal(t.f[3].ie, IE_SRC_IPV6);
	assert_int_equal(t.f[5].ie, IE_POST_NAT_SRC_IPV6);
	assert_int_equal(t.rec_len, 8 + 1 + 1 + 4 * 16 + 4 * 2 + 4 + 4);
}

/* What the part writes: conntrack's answer, or the flow's own values
 * when conntrack never had an entry. */
static void test_part_apply(void **state)
{
	struct jf_enrich_part part;
	struct jf_nat_info info;
	struct jf_record rec;

	(void)state;
	jf_nat_part(NULL, &part);
	assert_string_equal(part.name, "nat");
	assert_int_equal(part.info_bytes, sizeof(struct jf_nat_info));

	memset(&rec, 0, sizeof(rec));
	rec.key.family = 4;
	rec.key.src[0] = ip4("10.1.0.2");
	rec.key.dst[0] = ip4("10.2.0.2");
	rec.key.sport = 40001;
	rec.key.dport = 5001;
	memset(&info, 0, sizeof(info));	/* never answered */
	part.apply(part.arg, &info, &rec);
	assert_int_equal(rec.nat.src[0], ip4("10.1.0.2"));
	assert_int_equal(rec.nat.dst[0], ip4("10.2.0.2"));
	assert_int_equal(rec.nat.sport, 40001);
	assert_int_equal(rec.nat.dport, 5001);
	assert_int_equal(rec.nat.translated, 0);
}

/* A record with the post-NAT elements: own values or 0 for a flow
 * without a translation, the translation for one with it. */
static void write_nat(bool zero, uint8_t translated, uint8_t *out, struct jf_template *t)
{
	static struct jf_record_def d;
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX, .record = &d };
	struct jf_enc_ctx ctx = { 0 };
	struct jf_record rec;
	char err[256];

	jf_record_init(&d, "nat", 1);
	assert_int_equal(jf_record_add_list(&d, "sourceIPv4Address, destinationIPv4Address, "
					    "protocolIdentifier, sourceTransportPort, "
					    "destinationTransportPort", true, 2, err, sizeof(err)), 0);
	assert_int_equal(jf_record_add_list(&d, "postNATSourceIPv4Address, "
					    "postNAPTSourceTransportPort, octetDeltaCount",
					    false, 3, err, sizeof(err)), 0);
	assert_int_equal(jf_record_finish(&d, err, sizeof(err)), 0);
	d.nat_zero = zero;
	assert_int_equal(jf_template_record(t, 256, JF_LAYOUT_IPV4, &p), 0);
	memset(&rec, 0, sizeof(rec));
	rec.key.family = 4;
	rec.key.src[0] = ip4("10.1.0.2");
	rec.key.dst[0] = ip4("10.2.0.2");
	rec.octets = 100;
	rec.nat.src[0] = translated ? ip4("10.2.0.1") : ip4("10.1.0.2");
	rec.nat.sport = 40001;
	rec.nat.translated = translated;
	jf_write_flow(out, t, &rec, &ctx);
}

static void test_record_untranslated_choice(void **state)
{
	struct jf_template t;
	uint8_t out[JF_TMPL_MAX_REC], zeros[6] = { 0 };
	uint32_t inside = ip4("10.1.0.2"), public = ip4("10.2.0.1");

	(void)state;
	/* own (Cisco's way): the flow's own values */
	write_nat(false, 0, out, &t);
	assert_int_equal(t.f[5].ie, IE_POST_NAT_SRC_IPV4);
	assert_memory_equal(out + 13, &inside, 4);
	assert_int_equal(out[17] << 8 | out[18], 40001);
	/* zero: 0 for an untranslated flow ... */
	write_nat(true, 0, out, &t);
	assert_memory_equal(out + 13, zeros, 6);
	assert_int_equal(out[26], 100);	/* the rest as before */
	/* ... and the translation for a translated one, compiled or not */
	write_nat(true, 1, out, &t);
	assert_memory_equal(out + 13, &public, 4);
	assert_int_equal(out[17] << 8 | out[18], 40001);
	t.compiled = false;
	{
		struct jf_record rec;
		struct jf_enc_ctx ctx = { 0 };

		memset(&rec, 0, sizeof(rec));
		rec.nat.src[0] = inside;
		rec.nat.sport = 7;
		jf_write_flow(out, &t, &rec, &ctx);
		assert_memory_equal(out + 13, zeros, 6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_event_record),
		cmocka_unit_test(test_part_apply),
		cmocka_unit_test(test_record_untranslated_choice),
	};
	return cmocka_run_group_tests_name("nat_records", tests, NULL, NULL);
}
