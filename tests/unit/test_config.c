// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the command-line contract: collector URLs, timeouts,
 * options, configuration file and its override by the command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "service/config.h"
#include "service/options.h"
#include "../lib/config_load.h"
#include "log.h"
#include "export/export_proto.h"
#include "meter/meter.h"
#include "meter/flow_table.h"
#include "flow/record.h"

static void test_url_ok(void **state)
{
	struct jf_collector_url u;
	char err[256];

	(void)state;
	assert_int_equal(jf_url_parse("ipfix://127.0.0.1:4739", &u, err, sizeof(err)), 0);
	assert_ptr_equal(u.proto, &jf_proto_ipfix);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "4739");
	assert_int_equal(jf_url_parse("v9://collector.example", &u, err, sizeof(err)), 0);
	assert_ptr_equal(u.proto, &jf_proto_v9);
	assert_string_equal(u.port, "2055");
	assert_int_equal(jf_url_parse("ipfix+tcp://[2001:db8::1]:9000", &u, err, sizeof(err)), 0);
	assert_ptr_equal(u.proto, &jf_proto_ipfix_tcp);
	assert_string_equal(u.host, "2001:db8::1");
	assert_string_equal(u.port, "9000");
	assert_int_equal(jf_url_parse("v5://[::1]", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "2055");
	assert_int_equal(jf_url_parse("ipfix://host/", &u, err, sizeof(err)), 0);
	assert_string_equal(u.port, "4739");
	assert_int_equal(u.sequence, -1);
	assert_int_equal(jf_url_parse("ipfix://h:9?sequence=nfdump", &u, err, sizeof(err)), 0);
	assert_int_equal(u.sequence, JF_IPFIX_SEQ_NFDUMP);
	assert_string_equal(u.port, "9");
	assert_int_equal(jf_url_parse("ipfix+tcp://[::1]/?sequence=rfc", &u, err, sizeof(err)), 0);
	assert_int_equal(u.sequence, JF_IPFIX_SEQ_RFC);
	assert_string_equal(u.host, "::1");
}

static void test_url_bad(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1:4739", "sflow://x:6343", "ipfix://", "ipfix://:4739",
		"ipfix://h:0", "ipfix://h:65536", "ipfix://h:12x", "v9://2001:db8::1:2055",
		"v9://[::1", "v9://[::1]x", "ipfix://h:4739/extra", "v9://host/garbage",
		"v9://h?sequence=nfdump", "ipfix://h?seq=1", "ipfix://h?sequence=x",
	};
	struct jf_collector_url u;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(jf_url_parse(bad[i], &u, err, sizeof(err)), 0);
		assert_true(strlen(err) > 10);	/* says why */
		assert_null(strchr(err, '\n'));
	}
}

static void test_timeouts(void **state)
{
	struct jf_config c;
	char err[256];

	(void)state;
	jf_config_defaults(&c);
	assert_int_equal(c.idle_ms, 15000);
	assert_int_equal(c.active_ms, 60000);
	assert_int_equal(c.fin_ms, 2000);
	assert_int_equal(jf_config_parse_timeouts(&c, "idle=5,active=30.5,fin=0", err,
						  sizeof(err)), 0);
	assert_int_equal(c.idle_ms, 5000);
	assert_int_equal(c.active_ms, 30500);
	assert_int_equal(c.fin_ms, 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle=0", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle=-1", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle=abc", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle=70000", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "sleepy=3", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle", err, sizeof(err)), 0);
	assert_int_not_equal(jf_config_parse_timeouts(&c, "idle=", err, sizeof(err)), 0);
}


static void test_cli(void **state)
{
	struct jf_config c;

	(void)state;
	assert_int_equal(LOAD(&c, "-i", "eth0", "-i", "eth1", "-n", "ipfix://10.0.0.1",
			      "-n", "v9://10.0.0.2:9995", "-t", "idle=10,active=30", "-s", "100",
			      "-m", "pcap", "--max-flows", "1000", "--metrics-file", "/tmp/x"), 0);
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[1], "eth1");
	assert_int_equal(c.n_collectors, 2);
	assert_ptr_equal(c.collectors[1].proto, &jf_proto_v9);
	assert_int_equal(c.idle_ms, 10000);
	assert_int_equal(c.sample_rate, 100);
	assert_int_equal(c.mode, JF_MODE_PCAP);
	assert_int_equal(c.max_flows, 1000);
	assert_string_equal(c.metrics_file, "/tmp/x");

	assert_int_equal(LOAD(&c, "-r", "x.pcap", "-n", "ipfix://h"), 0);
	assert_string_equal(c.pcap_file, "x.pcap");
}

static void test_cli_errors(void **state)
{
	struct jf_config c;

	(void)state;
	assert_int_equal(LOAD(&c, "-n", "ipfix://h"), -1);			/* nothing to meter */
	assert_int_equal(LOAD(&c, "-i", "eth0"), -1);				/* no collector */
	assert_int_equal(LOAD(&c, "-i", "eth0", "-r", "f", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "bogus"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "--frobnicate"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "-s", "0"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "-m", "dpdk"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "--mtu", "100"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "--observation-domain", "0"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "extra"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n"), -1);
}

/* The file sets, the command line overrides; lists are replaced whole. */
static void test_config_file(void **state)
{
	char path[] = "/tmp/jflowd-test-config.XXXXXX";
	struct jf_config c;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "# jflowd.conf\n"
		   "interface = eth0\n"
		   "collector = ipfix://10.0.0.1:4739\n"
		   "collector = v9://10.0.0.2\n"
		   "timeouts = idle=20,active=120\n"
		   "sample = 10   # 1 in 10\n"
		   "\n"
		   "mirror = on\n");
	fclose(f);
	assert_int_equal(LOAD(&c, "-c", path), 0);
	assert_string_equal(c.ifaces[0], "eth0");
	assert_int_equal(c.n_collectors, 2);
	assert_int_equal(c.idle_ms, 20000);
	assert_int_equal(c.sample_rate, 10);
	assert_true(c.mirror);

	assert_int_equal(LOAD(&c, "-c", path, "-n", "v5://10.9.9.9", "-s", "1"), 0);
	assert_int_equal(c.n_collectors, 1);
	assert_ptr_equal(c.collectors[0].proto, &jf_proto_v5);
	assert_int_equal(c.sample_rate, 1);
	assert_int_equal(c.active_ms, 120000);

	f = fopen(path, "w");
	fprintf(f, "interface eth0\ncollector ipfix://h\nbogus = 1\n");
	fclose(f);
	assert_int_equal(LOAD(&c, "-c", path), -1);
	unlink(path);
	assert_int_equal(LOAD(&c, "-c", path), -1);	/* missing file */
}

/* A switch in the configuration file goes the way its value says; a value
 * that says neither way is an error. */
static int load_text(struct jf_config *c, const char *text)
{
	char path[] = "/tmp/jflowd-test-config.XXXXXX";
	int fd = mkstemp(path), rc;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	rc = LOAD(c, "-c", path);
	unlink(path);
	return rc;
}

static void test_config_switches(void **state)
{
	static const char *const off[] = { "false", "no", "off", "0", "FALSE", "Off" };
	static const char *const on[] = { "true", "yes", "on", "1", "True" };
	char text[256];
	struct jf_config c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		snprintf(text, sizeof(text), "interface = eth0\ncollector = ipfix://h\n"
			 "mirror = %s\nverbose = %s\nquiet = %s\n", off[i], off[i], off[i]);
		assert_int_equal(load_text(&c, text), 0);
		assert_false(c.mirror);
		assert_int_equal(c.verbosity, JF_LOG_INFO);
	}
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		snprintf(text, sizeof(text), "interface = eth0\ncollector = ipfix://h\n"
			 "mirror = %s\nverbose = %s\n", on[i], on[i]);
		assert_int_equal(load_text(&c, text), 0);
		assert_true(c.mirror);
		assert_int_equal(c.verbosity, JF_LOG_DEBUG);
	}
	/* A bare switch says neither way: an error, not "on". */
	assert_int_equal(load_text(&c, "interface = eth0\ncollector = ipfix://h\nmirror\n"), -1);
	assert_int_equal(load_text(&c, "interface = eth0\ncollector = ipfix://h\n"
				   "mirror = maybe\n"), -1);
	assert_int_equal(load_text(&c, "interface = eth0\ncollector = ipfix://h\n"
				   "verbose = 2\n"), -1);
}

/* The first error line of a load of argv (after "jflowd"), as a reload
 * returns it. */
static const char *load_error(const char *const *args, int n)
{
	static char err[1024];
	struct jf_config c;
	char *argv[16];
	int i;

	argv[0] = (char *)"jflowd";
	for (i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	err[0] = '\0';
	assert_int_equal(jf_config_reload(&c, n + 1, argv, err, sizeof(err)), -1);
	return err;
}
#define LOAD_ERROR(...) ({ const char *const a_[] = { __VA_ARGS__ }; \
			   load_error(a_, (int)(sizeof(a_) / sizeof(a_[0]))); })

/* Syntax of the file ("name = value", nothing else), lists one item per
 * option, and the peers' habits: each error says how to write it, the
 * nearest option name or the jflowd equivalent of the peer's option. */
static void test_config_syntax(void **state)
{
	static const struct {
		const char *text, *want;
	} file[] = {
		{ "mirror\n", "'mirror' alone: write 'mirror = true' (or false)" },
		{ "verbose\n", "'verbose' alone: write 'verbose = true' (or false)" },
		{ "interface eth0\n", "'interface eth0': write 'interface = eth0'" },
		{ "interface: eth0\n", "write 'interface = eth0'" },
		{ "sample =\n", "option 'sample' needs a value (sample = N)" },
		{ "collector = \"ipfix://h\"\n", "the value is in quotes; write it without them "
		  "(collector = ipfix://h)" },
		{ "collector = 'ipfix://h'\n", "(collector = ipfix://h)" },
		{ "interface = eth0,eth1\n", "interface 'eth0,eth1': one interface per option" },
		{ "interface = eth0 eth1\n", "one interface per option" },
		{ "collector = ipfix://a,ipfix://b\n", "one collector per option" },
		{ "max_flows = 10\n", "unknown option 'max_flows' (did you mean 'max-flows'?)" },
		{ "colector = ipfix://h\n", "(did you mean 'collector'?)" },
		{ "frobnicate = 1\n", "unknown option 'frobnicate'" },
		{ "maxflows = 10\n", "ipt-netflow's maxflows is max-flows here" },
		{ "destination = 10.0.0.1:2055\n", "collector = v9://HOST:PORT" },
		{ "active_timeout = 60\n", "timeouts = active=SECONDS" },
		{ "nfprobe_receiver: 10.0.0.1:2055\n", "pmacct's nfprobe_receiver is collector" },
		{ "nfprobe_timeouts: maxlife=60\n", "its maxlife is active=" },
		{ "timeouts = maxlife=60\n", "softflowd's maxlife is active= here" },
		{ "timeouts = tcp.rst=5\n", "softflowd's tcp.rst is fin= here" },
	};
	char path[] = "/tmp/jflowd-test-config.XXXXXX";
	const char *err;
	size_t i;
	FILE *f;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(file) / sizeof(file[0]); i++) {
		fd = mkstemp(path);
		assert_true(fd >= 0);
		f = fdopen(fd, "w");
		fputs(file[i].text, f);
		fclose(f);
		err = LOAD_ERROR("-c", path, "-r", "f", "-n", "ipfix://h");
		unlink(path);
		strcpy(path + strlen(path) - 6, "XXXXXX");
		if (!strstr(err, file[i].want))
			print_message("'%s': '%s' lacks '%s'\n", file[i].text, err, file[i].want);
		assert_non_null(strstr(err, file[i].want));
		assert_non_null(strstr(err, ":1: "));	/* FILE:LINE */
	}
	/* softflowd's command line. */
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-d"),
			       "softflowd's -d: jflowd stays in the foreground"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-p", "/run/x.pid"),
			       "softflowd's -p: jflowd writes no pid file"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-v", "10", "-n", "ipfix://h"),
			       "softflowd's -v VERSION is the collector URL's scheme"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-m", "65536"),
			       "softflowd's -m MAX_FLOWS is --max-flows here"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-t", "maxlife=300"),
			       "softflowd's maxlife is active= here"));
	assert_non_null(strstr(LOAD_ERROR("-c", "/nonexistent/ctl", "-i", "eth0"),
			       "softflowd's -c control socket is --control-socket here"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "10.0.0.1:2055"),
			       "softflowd's HOST:PORT is v9://HOST:PORT here"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "--max_flows", "9"),
			       "unknown option '--max_flows' (did you mean --max-flows?)"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0,eth1", "-n", "ipfix://h"),
			       "-i eth0 -i eth1"));
	/* A plain mistake keeps the plain hint. */
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "--zzz"),
			       "unknown option '--zzz' (see jflowd --help)"));
	assert_non_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-m", "dpdk"),
			       "expected xdp, xdp-generic or pcap"));
	assert_null(strstr(LOAD_ERROR("-i", "eth0", "-n", "ipfix://h", "-m", "dpdk"),
			   "softflowd"));
}

/* The units' ExecCondition=: nothing to meter is its own answer (the unit
 * stays down), a good configuration 1 (start), an error -1 (fail). */
static void test_start_condition(void **state)
{
	struct jf_config c;

	(void)state;
	assert_int_equal(load_text(&c, "collector = ipfix://h\n"), -1);
	assert_int_equal(LOAD(&c, "-n", "ipfix://h", "--start-condition"),
			 JF_CONFIG_NOTHING_TO_METER);
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h", "--start-condition"), 1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--start-condition"), -1);	/* no collector */
	assert_int_equal(LOAD(&c, "-n", "ipfix://h", "--frob", "--start-condition"), -1);
}

/* jflowctl config: every option of the table has its line (a comment
 * where unset), and the lines read back to the same settings. */
static void test_print_settings(void **state)
{
	char *text = NULL, path[] = "/tmp/jflowd-test-config.XXXXXX", line[128];
	struct jf_config a, b;
	size_t len = 0, i;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(LOAD(&a, "-i", "eth0:both", "-i", "eth1", "-n", "ipfix://h?sequence=nfdump",
			      "-n", "v9://[::1]:9", "-t", "idle=5.5,active=30,fin=0", "-s", "100",
			      "--mirror", "--map-mac", "02:00:00:00:0a:01=10,ge-0/0/1,uplink A",
			      "--map-vlan", "300=30,ge-0/0/3.300", "--max-flows", "4096",
			      "--mtu", "1200", "--source", "192.0.2.1", "--metrics-file", "/tmp/x.prom"), 0);
	f = open_memstream(&text, &len);
	jf_config_print_settings(&a, f, false);
	fclose(f);
	for (i = 0; i < jf_n_opts; i++) {
		const char *n = jf_opts[i].name;

		/* What is not a setting: actions, and the file itself. */
		if (!jf_opts[i].set || !strcmp(n, "check-config") || !strcmp(n, "start-condition") ||
		    !strcmp(n, "read"))
			continue;
		snprintf(line, sizeof(line), "\n%s = ", n);
		if (!strstr(text, line)) {
			snprintf(line, sizeof(line), "\n#%s =", n);
			if (!strstr(text, line))
				print_message("jflowctl config lacks %s\n", n);
			assert_non_null(strstr(text, line));
		}
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	assert_int_equal(LOAD(&b, "-c", path), 0);
	unlink(path);
	assert_int_equal(b.n_ifaces, 2);
	assert_int_equal(b.iface_dir[0], a.iface_dir[0]);
	assert_int_equal(b.n_collectors, 2);
	assert_string_equal(b.collector_urls[0], a.collector_urls[0]);
	assert_int_equal(b.collectors[0].sequence, JF_IPFIX_SEQ_NFDUMP);
	assert_int_equal(b.idle_ms, 5500);
	assert_int_equal(b.fin_ms, 0);
	assert_int_equal(b.sample_rate, 100);
	assert_true(b.mirror);
	assert_int_equal(b.n_if_maps, 2);
	assert_memory_equal(&b.if_maps[0], &a.if_maps[0], sizeof(a.if_maps[0]));
	assert_memory_equal(&b.if_maps[1], &a.if_maps[1], sizeof(a.if_maps[1]));
	assert_int_equal(b.max_flows, a.max_flows);
	assert_int_equal(jf_config_table_flows(&b), jf_config_table_flows(&a));
	assert_int_equal(jf_config_map_flows(&b), jf_config_map_flows(&a));
	assert_int_equal(b.mtu, 1200);
	assert_string_equal(b.source_addr, "192.0.2.1");
	assert_string_equal(b.metrics_file, "/tmp/x.prom");
	free(text);

	/* JSON: one member a name, repeated options as arrays. */
	text = NULL;
	f = open_memstream(&text, &len);
	jf_config_print_settings(&a, f, true);
	fclose(f);
	assert_non_null(strstr(text, "\"map-mac\":[\"02:00:00:00:0a:01=10,ge-0/0/1,uplink A\"]"));
	assert_non_null(strstr(text, "\"collector\":[\"ipfix://h?sequence=nfdump\","));
	assert_non_null(strstr(text, "\"source\":\"192.0.2.1\""));
	assert_non_null(strstr(text, "\"nat-zone\":null"));
	free(text);
}

/* Only whole lines of a regular file: a directory, a device and a line
 * too long to read whole are errors, not an empty or a cut configuration. */
static void test_config_bad_files(void **state)
{
	char text[6000];
	struct jf_config c;

	(void)state;
	assert_int_equal(LOAD(&c, "-c", "/tmp", "-i", "eth0", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-c", "/dev/zero", "-i", "eth0", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-c", "/dev/null", "-i", "eth0", "-n", "ipfix://h"), -1);
	/* A collector hidden in the tail of a long comment. */
	memset(text, 'x', sizeof(text));
	memcpy(text, "interface = eth0\ncollector = ipfix://h\n# ", 41);
	memcpy(text + 41 - 2 + 4607, "collector = v5://evil\n", 23);
	assert_int_equal(load_text(&c, text), -1);
	assert_int_equal(load_text(&c, "interface = eth0\ncollector = ipfix://h\n"), 0);
}

/* Export options: --ipfix-sequence rfc (default) or nfdump, --tcp-buffer
 * at least one largest message; anything else is a usage error. */
static void test_export_options(void **state)
{
	struct jf_config c;

	(void)state;
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h"), 0);
	assert_int_equal(c.ipfix_sequence, JF_IPFIX_SEQ_RFC);
	assert_int_equal(c.tcp_buffer, 8u << 20);
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h", "--ipfix-sequence", "nfdump",
			      "--tcp-buffer", "131072"), 0);
	assert_int_equal(c.ipfix_sequence, JF_IPFIX_SEQ_NFDUMP);
	assert_int_equal(c.tcp_buffer, 131072);
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h", "--ipfix-sequence", "rfc"), 0);
	assert_int_equal(c.ipfix_sequence, JF_IPFIX_SEQ_RFC);
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h", "--ipfix-sequence", "v9"), -1);
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h", "--tcp-buffer", "65535"), -1);
	assert_int_equal(LOAD(&c, "-r", "f", "-n", "ipfix://h", "--tcp-buffer", "1x"), -1);
}

/* Sizing with no option, and sizes refused before anything is allocated
 * (nothing here allocates: jf_config_size only computes). */
static void test_sizing(void **state)
{
	const uint64_t gib = 1ull << 30;
	struct jf_config c;
	struct jf_meter_params mp;
	char err[512];
	uint64_t mem;

	(void)state;
	/* No option, 24 GiB: MemTotal / 64 / 260 bytes a flow. */
	jf_config_defaults(&c);
	c.n_ifaces = 1;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), 0);
	assert_int_equal(c.max_flows, 24 * gib / 64 / 260);
	assert_int_equal(jf_config_table_flows(&c), c.max_flows);
	assert_int_equal(jf_config_map_flows(&c), c.max_flows / 64);
	assert_true(jf_config_flow_memory(&c) < 24 * gib / 32);
	/* Small machines still hold 131072 flows; huge ones stop at 16 M. */
	assert_int_equal(jf_config_default_max_flows(1 * gib), 131072);
	assert_int_equal(jf_config_default_max_flows(4096 * gib), 16777216);

	/* --max-flows alone sizes everything: table, stash, cache. */
	jf_config_defaults(&c);
	c.n_ifaces = 1;
	c.max_flows = 1048576;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), 0);
	jf_config_meter_params(&c, &mp);
	assert_int_equal(mp.table_flows, 1048576);
	assert_int_equal(mp.map_flows, 16384);
	/* Under 300 bytes a flow (docs/scale.md): table 192, the table's
	 * agent state 60 (40 a slot), the keyed cache of 65536 flows for
	 * what misses the table 11, stash and ring 10. */
	assert_int_equal(jf_config_cache_flows(&c), 65536);
	/* A table smaller than --max-flows: the cache takes the rest. */
	c.table_flows = 65536;
	c.table_flows_set = true;
	assert_int_equal(jf_config_cache_flows(&c), 1048576 - 65536);
	c.table_flows_set = false;
	assert_true(jf_config_flow_memory(&c) < 1048576ull * 300);
	/* Router mode asked for: its answers count too, 12 bytes a table
	 * slot (the next hop interned) and a whole answer a cache flow, and
	 * it still fits 300 bytes a flow. */
	mem = jf_config_flow_memory(&c);
	c.route_lookup = JF_ROUTE_ON;
	assert_int_equal(jf_config_flow_memory(&c) - mem,
			 (uint64_t)jf_table_slots_for(1048576) * jf_table_route_bytes_per_slot() +
			 65536ull * sizeof(struct jf_route));
	assert_int_equal(jf_table_route_bytes_per_slot(), 12);
	assert_true(jf_config_flow_memory(&c) < 1048576ull * 300);
	c.route_lookup = JF_ROUTE_AUTO;
	/* --min-flows: the table's room at start goes to the meter, at most
	 * what the table holds at its largest; its memory is in the above. */
	c.min_flows = 1048576;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), 0);
	jf_config_meter_params(&c, &mp);
	assert_int_equal(mp.min_flows, 1048576);
	c.min_flows = 1048577;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--min-flows 1048577 is more than the flow table holds"));
	assert_non_null(strstr(err, "lower --min-flows"));
	c.min_flows = 0;

	/* --map-flows 67108864: two preallocated maps of ~11 GiB each, refused. */
	jf_config_defaults(&c);
	c.n_ifaces = 1;
	c.map_flows = 67108864;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--map-flows 67108864"));
	assert_non_null(strstr(err, "available: lower --map-flows"));
	/* --max-flows 67108864 (about 16 GiB) does not fit in 12. */
	jf_config_defaults(&c);
	c.n_ifaces = 1;
	c.max_flows = 67108864;
	assert_int_equal(jf_config_size(&c, 24 * gib, 12 * gib, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--max-flows 67108864"));
	/* Without the table, with pcap: only the cache counts (all of
	 * --max-flows). */
	c.mode = JF_MODE_PCAP;
	assert_int_equal(jf_config_cache_flows(&c), 67108864);
	assert_int_equal(jf_config_size(&c, 24 * gib, 12 * gib, err, sizeof(err)), 0);
	/* and with no option the cache keeps its fixed default. */
	jf_config_defaults(&c);
	c.n_ifaces = 1;
	c.mode = JF_MODE_PCAP;
	assert_int_equal(jf_config_size(&c, 24 * gib, 20 * gib, err, sizeof(err)), 0);
	assert_int_equal(c.max_flows, 131072);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_ok),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_switches),
		cmocka_unit_test(test_config_syntax),
		cmocka_unit_test(test_start_condition),
		cmocka_unit_test(test_print_settings),
		cmocka_unit_test(test_config_bad_files),
		cmocka_unit_test(test_export_options),
		cmocka_unit_test(test_sizing),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
