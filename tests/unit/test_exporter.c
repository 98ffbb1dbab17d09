// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the exporter over real loopback sockets: sequence numbers
 * and Count across messages, templates before data, message size, per
 * collector state, v5 limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "service/config.h"
#include "export/exporter.h"
#include "export/loss_report.h"
#include "export/template.h"
#include "export/transport.h"

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

/* An exporter for one collector; cfg is already filled (defaults+changes). */
static struct jf_exporter *exporter_cfg(struct jf_config *cfg, const char *url)
{
	struct jf_exporter_params p;
	char err[256];
	struct jf_exporter *e;

	cfg->n_collectors = 1;
	assert_int_equal(jf_url_parse(url, &cfg->collectors[0], err, sizeof(err)), 0);
	snprintf(cfg->collector_urls[0], sizeof(cfg->collector_urls[0]), "%s", url);
	jf_config_exporter_params(cfg, false, &p);
	e = jf_exporter_new(&p, err, sizeof(err));
	assert_non_null(e);
	return e;
}

static struct jf_exporter *exporter(struct jf_config *cfg, const char *url)
{
	jf_config_defaults(cfg);
	return exporter_cfg(cfg, url);
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
	jf_exporter_flush(e, T0 + 1234);	/* not on a whole second */
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned count = rd16(buf + 2), records = 0;
		size_t off = 20;

		assert_int_equal(rd16(buf), 9);
		/* boot = UNIX Secs * 1000 - sysUpTime is exactly sysUpTime 0 */
		assert_int_equal((uint64_t)rd32(buf + 8) * 1000 - rd32(buf + 4), T0 - 5000);
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

/* v5: a flow whose counters exceed 32 bits leaves as several records that
 * add up to it, and still counts as one flow. */
static void test_v5_split(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	struct jf_record x = rec(1, 0);
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	uint64_t packets = 0;
	unsigned i, records = 0;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "v5://127.0.0.1:%d", r.port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0 - 1000);
	x.packets = 5000000000ull;
	x.octets = 2 * x.packets;	/* four parts */
	jf_exporter_add(e, &x, T0 + 100);
	jf_exporter_flush(e, T0 + 200);
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned count = rd16(buf + 2);

		for (i = 0; i < count; i++)
			packets += rd32(buf + 24 + 48 * i + 16);
		records += count;
	}
	assert_true(records > 1);
	assert_true(packets == x.packets);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.records, 1);
	assert_true(st.packets == x.packets);
	assert_int_equal(st.unexportable_records, 0);
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

/* Data records per set of one IPFIX message, by set id: flows (256-259)
 * and options data (512, 513); sets must fill the message exactly. */
static void ipfix_count(const uint8_t *m, size_t len, unsigned *flows, unsigned *opts,
			unsigned *tmpl_sets)
{
	struct jf_tmpl_params p = { .wire = JF_WIRE_IPFIX };
	struct jf_template oe, oi;
	size_t off = 16;

	jf_template_opt_exporter(&oe, &p);
	jf_template_opt_ifname(&oi, &p);
	*flows = *opts = *tmpl_sets = 0;
	while (off < len) {
		unsigned id = rd16(m + off), sl = rd16(m + off + 2), rl = 0;

		assert_true(sl > 4 && off + sl <= len);
		if (id == 2 || id == 3)
			(*tmpl_sets)++;
		else if (id >= 256 && id <= 259)
			rl = data_rec_len(JF_WIRE_IPFIX, id);
		else if (id == 512)
			rl = oe.rec_len;
		else if (id == 513)
			rl = oi.rec_len;
		else
			fail_msg("unexpected set id %u", id);
		if (rl) {
			assert_int_equal((sl - 4) % rl, 0);	/* IPFIX: no padding */
			if (id >= 512)
				*opts += (sl - 4) / rl;
			else
				*flows += (sl - 4) / rl;
		}
		off += sl;
	}
	assert_int_equal(off, len);
}

/* IPFIX sequence with options data after data messages: --ipfix-sequence
 * rfc counts options data records, nfdump counts flow records only. */
static void run_sequence_query(enum jf_ipfix_seq global, const char *query,
			       enum jf_ipfix_seq mode)
{
	struct rx r = rx_open();
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	uint32_t expect = 0;
	unsigned i, round, flows_total = 0, opt_after_data = 0;
	bool data_seen = false;
	ssize_t n;

	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d%s", r.port, query);
	jf_config_defaults(&cfg);
	cfg.ipfix_sequence = global;
	e = exporter_cfg(&cfg, url);
	jf_exporter_add_ifname(e, 3, "eth0", "uplink");
	jf_exporter_start(e, T0, T0);
	/* Each flush a second apart also repeats templates and options. */
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < 40; i++) {
			struct jf_record x = rec(round * 100 + i, i % 4 == 0);

			jf_exporter_add(e, &x, T0 + round * 1000 - 10);
		}
		jf_exporter_flush(e, T0 + round * 1000);
	}
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned flows, opts, tsets;

		ipfix_count(buf, (size_t)n, &flows, &opts, &tsets);
		assert_int_equal(rd32(buf + 8), expect);
		expect += mode == JF_IPFIX_SEQ_RFC ? flows + opts : flows;
		if (opts && data_seen)
			opt_after_data++;
		data_seen |= flows > 0;
		flows_total += flows;
	}
	assert_int_equal(flows_total, 120);
	assert_true(opt_after_data >= 2);	/* the modes really differ here */
	close(r.fd);
	jf_exporter_free(e);
}

static void run_sequence_mode(enum jf_ipfix_seq mode)
{
	run_sequence_query(mode, "", mode);
}

/* Per collector, ?sequence= in its URL overrides --ipfix-sequence. */
static void test_ipfix_sequence_per_collector(void **state)
{
	(void)state;
	run_sequence_query(JF_IPFIX_SEQ_RFC, "?sequence=nfdump", JF_IPFIX_SEQ_NFDUMP);
	run_sequence_query(JF_IPFIX_SEQ_NFDUMP, "?sequence=rfc", JF_IPFIX_SEQ_RFC);
}

/* Over UDP, templates go out three times at start-up, a second apart,
 * then every --template-interval. */
static void test_startup_templates(void **state)
{
	struct rx r = rx_open();
	struct jf_config cfg;
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	unsigned k, with_templates = 0;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	jf_config_defaults(&cfg);
	e = exporter_cfg(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (k = 1; k <= 10; k++)
		jf_exporter_flush(e, T0 + k * 1000);
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned flows, opts, tsets;

		ipfix_count(buf, (size_t)n, &flows, &opts, &tsets);
		with_templates += tsets > 0;
	}
	assert_int_equal(with_templates, 3);
	close(r.fd);
	jf_exporter_free(e);
}

/* --ipfix-sequence rfc (default): options data records are counted. */
static void test_ipfix_sequence_rfc(void **state)
{
	(void)state;
	run_sequence_mode(JF_IPFIX_SEQ_RFC);
}

/* --ipfix-sequence nfdump: only flow records are counted. */
static void test_ipfix_sequence_nfdump(void **state)
{
	(void)state;
	run_sequence_mode(JF_IPFIX_SEQ_NFDUMP);
}

/* An unpaced UDP collector (remote, or --export-rate 0) that comes back
 * on the same port gets the records sent after it is up; the ICMP errors
 * before were counted and retried. */
static void test_collector_comes_back(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 0, 200000 };
	char url[64];
	struct jf_exporter *e;
	uint8_t buf[65536];
	unsigned i, flows = 0;
	ssize_t n;

	(void)state;
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	close(r.fd);
	jf_config_defaults(&cfg);
	cfg.export_rate = 0;	/* not paced: sent at once, as to a remote one */
	e = exporter_cfg(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 100; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, T0 + 100);
		jf_exporter_flush(e, T0 + 100 + i);	/* one message each */
	}
	jf_exporter_stats(e, 0, &st);
	assert_true(st.refused > 0);
	assert_int_equal(st.records + st.dropped_records, 100);

	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons((uint16_t)r.port);
	assert_int_equal(bind(r.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 30; i++) {
		struct jf_record x = rec(1000 + i, 0);

		jf_exporter_add(e, &x, T0 + 500);
	}
	jf_exporter_flush(e, T0 + 600);
	while ((n = recv(r.fd, buf, sizeof(buf), 0)) > 0) {
		unsigned f, o, t;

		ipfix_count(buf, (size_t)n, &f, &o, &t);
		flows += f;
	}
	assert_int_equal(flows, 30);
	close(r.fd);
	jf_exporter_free(e);
}

/* Every flow record a UDP socket holds, read until it is empty. */
static unsigned rx_flows(struct rx *r)
{
	uint8_t buf[65536];
	unsigned flows = 0;
	ssize_t n;

	while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		unsigned f, o, t;

		ipfix_count(buf, (size_t)n, &f, &o, &t);
		flows += f;
	}
	return flows;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll the exporter as the main loop does, for up to ms milliseconds or
 * until nothing waits. */
static void poll_exporter(struct jf_exporter *e, int ms)
{
	double end = mono_s() + ms / 1000.0;
	int w;

	while ((w = jf_exporter_wait_ms(e)) >= 0 && mono_s() < end) {
		poll(NULL, 0, w);
		jf_exporter_poll(e, T0 + 1000);
	}
}

/* A collector on this host that is not there yet: what is exported waits
 * in jflowd (never sent into the void, never refused), and reaches it
 * once it listens, all of it, in order. */
static void test_local_collector_late(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int big = 8 << 20;
	char url[64];
	struct jf_exporter *e;
	unsigned i;

	(void)state;
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	close(r.fd);
	e = exporter(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 150; i++) {
		struct jf_record x = rec(i, 0);

		/* Past the next look for it: not found again, still waited for. */
		if (i == 100)
			poll(NULL, 0, 300);
		jf_exporter_add(e, &x, T0 + 100);
		jf_exporter_flush(e, T0 + 100 + i);	/* one message each */
	}
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.queued_records, 150);
	assert_int_equal(st.records + st.dropped_records, 150);

	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons((uint16_t)r.port);
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	assert_int_equal(bind(r.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	poll_exporter(e, 2000);	/* looked for again within 250 ms */
	jf_exporter_flush(e, T0 + 1000);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.dropped_records, 0);
	assert_int_equal(rx_flows(&r), 150);
	close(r.fd);
	jf_exporter_free(e);
}

/* A collector on this host that reads slowly, then not at all: exporting
 * never waits on it; what it has no room for waits in a bounded queue,
 * beyond which messages are dropped and counted; once it reads again the
 * queue goes to it. sent + dropped = exported throughout. */
static void test_local_collector_slow(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	int small = 65536;
	char url[64];
	struct jf_exporter *e;
	double t0, took;
	unsigned i, got;
	uint64_t total = 0;

	(void)state;
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	jf_config_defaults(&cfg);
	cfg.tcp_buffer = JF_TCP_BUF_MIN;	/* 128 KiB of queue */
	e = exporter_cfg(&cfg, url);
	jf_exporter_start(e, T0, T0);
	t0 = mono_s();
	for (i = 0; i < 20000; i++) {
		struct jf_record x = rec(i % 5000, 0);

		total += x.packets;
		jf_exporter_add(e, &x, T0 + 100);
		if (i % 100 == 99)
			jf_exporter_flush(e, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 100);
	took = mono_s() - t0;
	jf_exporter_stats(e, 0, &st);
	print_message("20000 records in %.3f s: sent %llu, queued %llu, dropped %llu\n", took,
		      (unsigned long long)st.records, (unsigned long long)st.queued_records,
		      (unsigned long long)st.dropped_records);
	assert_true(took < 0.5);		/* the old pacing waited 1 s, then sent blind */
	assert_true(st.queued_records > 0);
	assert_true(st.dropped_records > 0);	/* the queue's bound */
	assert_string_equal(jf_loss_why(&st), "");	/* UDP: no connection to miss */
	assert_int_equal(st.packets + st.dropped_packets, total);
	assert_int_equal(st.socket_drops, 0);	/* its socket never overflowed */
	/* It reads again: everything counted sent reaches it. */
	got = 0;
	for (i = 0; i < 200 && (st.queued_records || i < 2); i++) {
		got += rx_flows(&r);
		poll_exporter(e, 20);
		jf_exporter_stats(e, 0, &st);
	}
	got += rx_flows(&r);
	jf_exporter_flush(e, T0 + 2000);
	got += rx_flows(&r);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(got, st.records);
	assert_int_equal(st.packets + st.dropped_packets, total);
	close(r.fd);
	jf_exporter_free(e);
}

/* Unpaced (--export-rate 0), a collector on this host that does not read:
 * its socket drops what does not fit, and sock_diag's drop counter puts
 * exactly those records in dropped (the latest sent), never in sent. */
static void test_local_socket_drops(void **state)
{
	struct rx r = rx_open();
	struct jf_collector_stats st;
	struct jf_config cfg;
	int small = 65536;
	char url[64];
	struct jf_exporter *e;
	unsigned i, got;
	uint64_t total = 0;

	(void)state;
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	snprintf(url, sizeof(url), "ipfix://127.0.0.1:%d", r.port);
	jf_config_defaults(&cfg);
	cfg.export_rate = 0;
	e = exporter_cfg(&cfg, url);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 3000; i++) {
		struct jf_record x = rec(i % 5000, 0);

		total += x.packets;
		jf_exporter_add(e, &x, T0 + 100);
	}
	jf_exporter_flush(e, T0 + 100);
	poll(NULL, 0, 1100);		/* the next look, for its drop count */
	jf_exporter_flush(e, T0 + 1200);
	jf_exporter_stats(e, 0, &st);
	got = rx_flows(&r);
	print_message("sent %llu, dropped %llu records; its socket dropped %llu datagrams; it "
		      "holds %u records\n", (unsigned long long)st.records,
		      (unsigned long long)st.dropped_records, (unsigned long long)st.socket_drops,
		      got);
	assert_true(st.socket_drops > 0);
	assert_int_equal(st.dropped_messages, st.socket_drops);
	assert_int_equal(got, st.records);
	assert_int_equal(st.packets + st.dropped_packets, total);
	close(r.fd);
	jf_exporter_free(e);
}

/* --- IPFIX over TCP --- */

static int tcp_listen(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int sock_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

/* Everything one connection carried, as the collector read it. */
struct stream {
	uint8_t *b;
	size_t len;
};

static void stream_read(int fd, struct stream *s)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 0) <= 0)
			return;
		s->b = realloc(s->b, s->len + 65536);
		assert_non_null(s->b);
		n = recv(fd, s->b + s->len, 65536, MSG_DONTWAIT);
		if (n <= 0)
			return;
		s->len += (size_t)n;
	}
}

/* Walk one connection's stream: whole messages, sequence per session
 * from 0 by data records, templates before any data. Returns flows; marks
 * each flow's index (rec(i): src low byte and port) in seen[]. */
static unsigned stream_check(const struct stream *s, unsigned *seen, unsigned nseen)
{
	size_t off = 0;
	uint32_t expect = 0;
	unsigned total = 0;
	bool tmpl = false;

	while (off < s->len) {
		const uint8_t *m = s->b + off;
		unsigned len, flows, opts, tsets;
		size_t so = 16;

		assert_true(off + 16 <= s->len);
		len = rd16(m + 2);
		assert_int_equal(rd16(m), 10);
		assert_true(off + len <= s->len);		/* no cut message */
		assert_int_equal(rd32(m + 8), expect);
		ipfix_count(m, len, &flows, &opts, &tsets);
		if (tsets)
			tmpl = true;
		if (flows)
			assert_true(tmpl);
		while (so < len) {
			unsigned id = rd16(m + so), sl = rd16(m + so + 2);

			if (id == 256) {
				unsigned rl = data_rec_len(JF_WIRE_IPFIX, 256), k;

				for (k = so + 4; k + rl <= so + sl; k += rl) {
					unsigned idx = rd16(m + k + 10) - 1000;	/* source port */

					assert_true(idx < nseen);
					seen[idx]++;
				}
			}
			so += sl;
		}
		expect += flows + opts;
		total += flows;
		off += len;
	}
	assert_true(s->len == 0 || tmpl);
	return total;
}

static int accept_wait(int lfd, struct jf_exporter *e, uint64_t *now)
{
	int i;

	for (i = 0; i < 200; i++) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		jf_exporter_flush(e, *now);
		if (poll(&p, 1, 10) > 0)
			return accept(lfd, NULL, NULL);
		*now += 100;
	}
	fail_msg("exporter did not connect");
	return -1;
}

/* Collector restarted in the middle: after the reconnect, templates come
 * first, the sequence restarts at 0, and every flow arrives exactly once
 * (what the old connection did not acknowledge is sent again). */
static void test_tcp_reconnect(void **state)
{
	struct jf_collector_stats st;
	struct jf_config cfg;
	struct stream s1 = { 0 }, s2 = { 0 };
	unsigned seen[300] = { 0 }, i, got1, got2;
	uint64_t now = T0;
	char url[64];
	struct jf_exporter *e;
	int lfd, port, c1, c2;

	(void)state;
	lfd = tcp_listen(0);
	port = sock_port(lfd);
	snprintf(url, sizeof(url), "ipfix+tcp://127.0.0.1:%d", port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, now, now);
	for (i = 0; i < 150; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
	}
	c1 = accept_wait(lfd, e, &now);
	for (i = 0; i < 50; i++, now += 10) {
		jf_exporter_flush(e, now);
		usleep(2000);
		stream_read(c1, &s1);
	}
	/* The collector goes away: connection and listener closed. Full
	 * messages are written at once, before jflowd notices: the closed
	 * socket answers the first with a reset and acknowledges nothing. */
	close(c1);
	close(lfd);
	for (i = 150; i < 200; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
	}
	usleep(20000);
	for (; i < 300; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
		if (i % 30 == 0)
			jf_exporter_flush(e, now += 100);
	}
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.up, 0);
	lfd = tcp_listen(port);
	c2 = accept_wait(lfd, e, &now);
	for (i = 0; i < 50; i++, now += 10) {
		jf_exporter_flush(e, now);
		usleep(2000);
		stream_read(c2, &s2);
	}
	got1 = stream_check(&s1, seen, 300);
	got2 = stream_check(&s2, seen, 300);
	assert_int_equal(got1, 150);
	assert_int_equal(got1 + got2, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(seen[i], 1);
	jf_exporter_stats(e, 0, &st);
	assert_true(st.resent_messages >= 1);	/* written after the close, unacknowledged */
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.records, 300);
	assert_int_equal(st.dropped_records, 0);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.up, 1);
	close(c2);
	close(lfd);
	free(s1.b);
	free(s2.b);
	jf_exporter_free(e);
}

/* A queue filled to its bound while the collector is away still lets the
 * new connection's templates in first; what was dropped plus what
 * arrives is every flow. */
static void test_tcp_full_queue_then_up(void **state)
{
	struct jf_collector_stats st;
	struct jf_config cfg;
	struct stream s = { 0 };
	static unsigned seen[3000];
	uint64_t now = T0;
	char url[64];
	struct jf_exporter *e;
	unsigned i, got;
	int lfd, port, c;

	(void)state;
	memset(seen, 0, sizeof(seen));
	lfd = tcp_listen(0);
	port = sock_port(lfd);
	close(lfd);
	snprintf(url, sizeof(url), "ipfix+tcp://127.0.0.1:%d", port);
	jf_config_defaults(&cfg);
	cfg.tcp_buffer = JF_TCP_BUF_MIN;
	e = exporter_cfg(&cfg, url);
	jf_exporter_add_ifname(e, 2, "eth0", "uplink");
	jf_exporter_start(e, now, now);
	for (i = 0; i < 3000; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
	}
	jf_exporter_flush(e, now += 100);
	jf_exporter_stats(e, 0, &st);
	assert_true(st.dropped_records > 0);		/* the bound was reached */
	lfd = tcp_listen(port);
	c = accept_wait(lfd, e, &now);
	for (i = 0; i < 100; i++, now += 10) {
		jf_exporter_flush(e, now);
		usleep(2000);
		stream_read(c, &s);
	}
	got = stream_check(&s, seen, 3000);	/* templates before data, sequence */
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(got, st.records);
	assert_int_equal(got + st.dropped_records, 3000);
	assert_int_equal(st.queued_records, 0);
	close(c);
	close(lfd);
	free(s.b);
	jf_exporter_free(e);
}

/* No collector at all: the bounded queue drops what does not fit and at
 * exit gives up the rest; every flow is either sent or counted dropped. */
static void test_tcp_queue_bound(void **state)
{
	struct jf_collector_stats st;
	struct jf_config cfg;
	uint64_t packets = 0, now = T0;
	char url[64];
	struct jf_exporter *e;
	unsigned i;
	int lfd, port;

	(void)state;
	lfd = tcp_listen(0);
	port = sock_port(lfd);
	close(lfd);		/* nobody listens there */
	snprintf(url, sizeof(url), "ipfix+tcp://127.0.0.1:%d", port);
	jf_config_defaults(&cfg);
	cfg.tcp_buffer = JF_TCP_BUF_MIN;
	e = exporter_cfg(&cfg, url);
	jf_exporter_start(e, now, now);
	for (i = 0; i < 5000; i++) {
		struct jf_record x = rec(i, i % 5 == 0);

		packets += x.packets;
		jf_exporter_add(e, &x, now);
		if (i % 100 == 0)
			jf_exporter_flush(e, now += 50);
	}
	jf_exporter_flush(e, now += 50);
	jf_exporter_stats(e, 0, &st);
	assert_true(st.dropped_records > 0);		/* the bound was reached */
	assert_true(st.queued_records > 0);
	assert_int_equal(st.records + st.dropped_records, 5000);
	jf_exporter_finish(e, now, 100);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.dropped_records, 5000);
	assert_int_equal(st.dropped_packets, packets);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.connects, 0);
	assert_string_equal(jf_loss_why(&st), " (never connected)");
	jf_exporter_free(e);
}

/* Reload: a removed collector leaves after a last flush and gets nothing
 * more; an added one counts what was exported before it as absent; sampling
 * turned on moves the data templates to the other set of IDs. */
/* A TCP collector removed by a reload while its queue drains, then added
 * back within the drain time: the same collector goes on (one name in the
 * exporter, so one series per metric), its queue kept and delivered when
 * the collector is up; what was exported while it was out is absent. */
static void test_reload_removed_added_back(void **state)
{
	struct jf_collector_stats st;
	struct jf_exporter_params p;
	struct jf_config cfg;
	struct stream s = { 0 };
	static unsigned seen[300];
	uint64_t now = T0, out = 0;
	char url[64], err[256];
	struct jf_exporter *e;
	unsigned i, got;
	int lfd, port, c;

	(void)state;
	memset(seen, 0, sizeof(seen));
	lfd = tcp_listen(0);
	port = sock_port(lfd);
	close(lfd);		/* away: what it is sent waits in its queue */
	snprintf(url, sizeof(url), "ipfix+tcp://127.0.0.1:%d", port);
	e = exporter(&cfg, url);
	jf_exporter_start(e, now, now);
	for (i = 0; i < 100; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
	}
	jf_exporter_flush(e, now += 100);
	/* Removed: it drains (5 s at most). */
	cfg.n_collectors = 0;
	jf_config_exporter_params(&cfg, false, &p);
	assert_int_equal(jf_exporter_stage(e, &p, err, sizeof(err)), 0);
	jf_exporter_apply(e, &p, now, 5000);
	for (i = 100; i < 150; i++) {	/* exported while it is out */
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
		out += x.packets;
	}
	jf_exporter_flush(e, now += 100);
	/* Added back within the drain time: the same collector. */
	cfg.n_collectors = 1;
	jf_config_exporter_params(&cfg, false, &p);
	assert_int_equal(jf_exporter_stage(e, &p, err, sizeof(err)), 0);
	jf_exporter_apply(e, &p, now, 5000);
	assert_int_equal(jf_exporter_count(e), 1);
	assert_string_equal(jf_exporter_name(e, 0), url);
	jf_exporter_stats(e, 0, &st);
	assert_false(st.retiring);
	assert_int_equal(st.queued_records, 100);
	assert_int_equal(st.absent_packets, out);
	for (i = 150; i < 200; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, now);
	}
	lfd = tcp_listen(port);
	c = accept_wait(lfd, e, &now);
	for (i = 0; i < 100; i++, now += 10) {
		jf_exporter_flush(e, now);
		usleep(2000);
		stream_read(c, &s);
	}
	got = stream_check(&s, seen, 300);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(jf_exporter_count(e), 1);
	assert_int_equal(got, 150);		/* the 100 queued and the 50 after */
	assert_int_equal(st.records, 150);
	assert_int_equal(st.dropped_records, 0);
	assert_int_equal(st.packets + st.dropped_packets + st.absent_packets,
			 200 * 201 / 2);	/* rec(i): i + 1 packets */
	close(c);
	close(lfd);
	free(s.b);
	jf_exporter_free(e);
}

static void test_reload_collectors(void **state)
{
	struct rx r1 = rx_open(), r2 = rx_open();
	struct jf_collector_stats st;
	struct jf_exporter_params p;
	struct jf_config cfg;
	struct jf_exporter *e;
	char url1[64], url2[64], err[256];
	uint8_t buf[65536];
	uint64_t before = 0, after = 0;
	bool tmpl_260 = false, data_260 = false, data_256 = false;
	unsigned i, got1 = 0;
	ssize_t n;

	(void)state;
	snprintf(url1, sizeof(url1), "ipfix://127.0.0.1:%d", r1.port);
	snprintf(url2, sizeof(url2), "ipfix://127.0.0.1:%d", r2.port);
	e = exporter(&cfg, url1);
	jf_exporter_start(e, T0, T0);
	for (i = 0; i < 10; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, T0 + 100);
		before += x.packets;
	}
	/* Still pending at the reload: the removed collector gets them. */
	cfg.n_collectors = 1;
	assert_int_equal(jf_url_parse(url2, &cfg.collectors[0], err, sizeof(err)), 0);
	snprintf(cfg.collector_urls[0], sizeof(cfg.collector_urls[0]), "%s", url2);
	cfg.sample_rate = 10;
	jf_config_exporter_params(&cfg, false, &p);
	assert_int_equal(jf_exporter_stage(e, &p, err, sizeof(err)), 0);
	assert_int_equal(jf_exporter_count(e), 1);	/* staged: not yet exporting */
	jf_exporter_apply(e, &p, T0 + 200, 0);
	for (i = 0; i < 5; i++) {
		struct jf_record x = rec(i, 0);

		jf_exporter_add(e, &x, T0 + 300);
		after += x.packets;
	}
	jf_exporter_flush(e, T0 + 400);
	assert_int_equal(jf_exporter_count(e), 1);
	assert_string_equal(jf_exporter_name(e, 0), url2);
	jf_exporter_stats(e, 0, &st);
	assert_int_equal(st.absent_packets, before);
	assert_int_equal(st.packets, after);

	while ((n = recv(r1.fd, buf, sizeof(buf), 0)) > 0) {
		size_t off = 16;

		while (off < (size_t)n) {
			unsigned id = rd16(buf + off), sl = rd16(buf + off + 2);

			if (id == 256)
				got1 += (sl - 4) / data_rec_len(JF_WIRE_IPFIX, 256);
			off += sl;
		}
	}
	assert_int_equal(got1, 10);
	while ((n = recv(r2.fd, buf, sizeof(buf), 0)) > 0) {
		size_t off = 16;

		while (off < (size_t)n) {
			unsigned id = rd16(buf + off), sl = rd16(buf + off + 2);

			if (id == 2 && rd16(buf + off + 4) == 260)
				tmpl_260 = true;
			data_260 |= id == 260;
			data_256 |= id == 256;
			off += sl;
		}
	}
	assert_true(tmpl_260);
	assert_true(data_260);
	assert_false(data_256);
	close(r1.fd);
	close(r2.fd);
	jf_exporter_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_sequence),
		cmocka_unit_test(test_v9_sequence_and_count),
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_v5_split),
		cmocka_unit_test(test_collector_down),
		cmocka_unit_test(test_ipfix_sequence_rfc),
		cmocka_unit_test(test_ipfix_sequence_nfdump),
		cmocka_unit_test(test_ipfix_sequence_per_collector),
		cmocka_unit_test(test_startup_templates),
		cmocka_unit_test(test_collector_comes_back),
		cmocka_unit_test(test_local_collector_late),
		cmocka_unit_test(test_local_collector_slow),
		cmocka_unit_test(test_local_socket_drops),
		cmocka_unit_test(test_tcp_reconnect),
		cmocka_unit_test(test_tcp_queue_bound),
		cmocka_unit_test(test_tcp_full_queue_then_up),
		cmocka_unit_test(test_reload_collectors),
		cmocka_unit_test(test_reload_removed_added_back),
	};
	return cmocka_run_group_tests_name("exporter", tests, NULL, NULL);
}
