// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the exporter over real loopback sockets: sequence numbers
 * and Count across messages, templates before data, message size, per
 * collector state, v5 limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "config.h"
#include "exporter.h"
#include "template.h"

#define T0 1700000000000ull

struct rx {
	int fd;
	int port;
};

static struct rx rx_open(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	struct timeval tv = { 0, 200000 };
	struct rx r;
	int big = 8 << 20;

	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(r.fd >= 0);
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(r.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(r.fd, (struct sockaddr *)&a, &l);
	r.port = ntohs(a.sin_port);
	return r;
}

static unsigned rd16(const uint8_t *p) { return (unsigned)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

static struct jf_exporter *exporter(struct jf_config *cfg, const char *url)
{
	char err[256];
	struct jf_exporter *e;

	jf_config_defaults(cfg);
	cfg->n_collectors = 1;
	assert_int_equal(jf_url_parse(url, &cfg->collectors[0], err, sizeof(err)), 0);
	snprintf(cfg->collector_urls[0], sizeof(cfg->collector_urls[0]), "%s", url);
	e = jf_exporter_new(cfg, err, sizeof(err));
	assert_non_null(e);
	return e;
}

static struct jf_record rec(uint32_t i, int v6)
{
	struct jf_record r;

	memset(&r, 0, sizeof(r));
	r.key.family = v6 ? 6 : 4;
	r.key.src[0] = htonl(0xc0000200 + i);
	r.key.src[3] = v6 ? i : 0;
	r.key.dst[0] = htonl(0xc6336401);
	r.key.proto = 17;
	r.key.sport = (uint16_t)(1000 + i);
	r.key.dport = 53;
	r.packets = 1 + i;
	r.octets = 100 * (1 + i);
	r.first_ms = T0;
	r.last_ms = T0 + 10;
	r.end_reason = 1;
	return r;
}

/* Record length of a default data template, from the template module. */
static unsigned data_rec_len(enum jf_wire w, unsigned id)
{
	struct jf_tmpl_params p = { .wire = w };
	struct jf_template t;

	jf_template_data(&t, (uint16_t)id, &p);
	return t.rec_len;
}

/* Walk the sets of one message: count data records per set id and check
 * that every set fits inside the message. */
static void walk(const uint8_t *m, size_t len, size_t hdr, unsigned *data, unsigned *tmpl_sets,
		 unsigned *opt_data)
{
	size_t off = hdr;

	*data = *tmpl_sets = *opt_data = 0;
	while (off < len) {
		unsigned id = rd16(m + off), sl = rd16(m + off + 2);

		assert_true(sl > 4);			/* never an empty set */
		assert_true(off + sl <= len);
		if (id <= 3)
			(*tmpl_sets)++;
		else if (id >= 512)
			(*opt_data)++;
		else
			*data += 1;	/* one data set; records counted below */
		off += sl;
	}
	assert_int_equal(off, len);
}

/* IPFIX: the header sequence is the number of data records (options data
 * included, templates not) sent before the message; templates come first;
 * no message exceeds the MTU. */
static void test_ipfix_sequence(void **state)
{
	struct rx r = rx_open();
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	uint32_t expect = 0;
	unsigned i, msgs = 0, flows = 0, rec_len = 0;
	bool seen_template = false;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 200; i++) {
		struct jf_record x = rec(i, i % 3 == 0);

		jf_exporter_add(e, &x, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 1000);	/* partial messages, then template repeat */

	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned data, tsets, odata;
		uint32_t seq = rd32(buf + 8);
		size_t off = 16;

		assert_int_equal(rd16(buf), 10);
		assert_int_equal(rd16(buf + 2), n);
		assert_true(n <= 1400);
		assert_int_equal(rd32(buf + 12), 1);		/* ODID */
		assert_int_equal(seq, expect);
		walk(buf, (size_t)n, 16, &data, &tsets, &odata);
		if (tsets)
			seen_template = true;
		if (data)
			assert_true(seen_template);		/* templates before data */
		/* Count records in each set to advance the expectation. */
		while (off < (size_t)n) {
			unsigned id = rd16(buf + off), sl = rd16(buf + off + 2);

			if (id == 256 || id == 257) {
				rec_len = data_rec_len(JF_WIRE_IPFIX, id);
				assert_int_equal((sl - 4) % rec_len, 0);	/* no padding */
				expect += (sl - 4) / rec_len;
				flows += (sl - 4) / rec_len;
			}
			if (id == 512 || id == 513)
				expect += 1;	/* one options record per set here */
			off += sl;
		}
		msgs++;
	}
	assert_true(msgs >= 3);
	assert_int_equal(flows, 200);
	close(r.fd);
	jf_exporter_free(e);
}

/* v9: sequence +1 per message, Count = every record in the message. */
static void test_v9_sequence_and_count(void **state)
{
	struct rx r = rx_open();
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	uint32_t expect_seq = 0;
	unsigned i, flows = 0, last_uptime = 0;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "v9://127.0.0.1:%d", r.port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0 - 5000);
	for (i = 0; i < 150; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 200);
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned count = rd16(buf + 2), records = 0;
		size_t off = 20;

		assert_int_equal(rd16(buf), 9);
		assert_int_equal(rd32(buf + 12), expect_seq);
		assert_int_equal(rd32(buf + 16), 1);		/* Source ID */
		assert_true(rd32(buf + 4) >= last_uptime);	/* sysUpTime never goes back */
		last_uptime = rd32(buf + 4);
		while (off < (size_t)n) {
			unsigned id = rd16(buf + off), sl = rd16(buf + off + 2);

			assert_int_equal(sl % 4, 0);		/* padded to 32 bits */
			if (id == 0) {
				size_t p = off + 4;

				while (p + 4 <= off + sl) {	/* template records */
					unsigned nf = rd16(buf + p + 2);

					records++;
					p += 4 + 4 * nf;
				}
			} else if (id == 1) {
				records++;	/* one options template per FlowSet */
			} else if (id == 256) {
				unsigned k = (sl - 4) / data_rec_len(JF_WIRE_V9, 256);

				records += k;
				flows += k;
			} else {
				records++;	/* options data: one record per set here */
			}
			off += sl;
		}
		assert_int_equal(count, records);
		expect_seq++;
	}
	assert_int_equal(flows, 150);
	assert_true(expect_seq >= 3);
	close(r.fd);
	jf_exporter_free(e);
}

/* v5: IPv6 flows are counted as unexportable, never sent; sequence counts
 * flows; at most 30 records and the MTU per message. */
static void test_v5(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	uint32_t expect = 0;
	unsigned i, flows = 0;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "v5://127.0.0.1:%d", r.port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0 - 1000);
	for (i = 0; i < 100; i++) {
		struct jf_record x = rec(i, i % 10 == 0);

		jf_exporter_add(e, &x, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 200);
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned count = rd16(buf + 2);

		assert_int_equal(rd16(buf), 5);
		assert_true(count <= 30 && count > 0);
		assert_int_equal(n, 24 + 48 * count);
		assert_true(n <= 1400);
		assert_int_equal(rd32(buf + 16), expect);
		expect += count;
		flows += count;
	}
	assert_int_equal(flows, 90);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.unexportable_records, 10);
	assert_int_equal(st.records, 90);
	close(r.fd);
	jf_exporter_free(e);
}

/* A UDP collector that is not listening is counted, never fatal. */
static void test_collector_down(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	unsigned i;

	(void)state;
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	close(r.fd);	/* nobody listens: ICMP port unreachable */
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 500; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 200);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.packets + st.dropped_packets, 500 * 501 / 2);
	jf_exporter_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_sequence),
		cmocka_unit_test(test_v9_sequence_and_count),
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_collector_down),
	};
	return cmocka_run_group_tests_name("exporter", tests, NULL, NULL);
}
