// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the configuration file's sections ([record], [exporter],
 * [monitor]) and their resolution into monitors: the command line's
 * default monitor, inheritance of global options, observation domains,
 * merged interfaces, and one file per error class with its FILE:LINE
 * message. */
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
#include "service/sections.h"

static char path[64];

/* The file, then jf_config_reload (defaults, file, command line) with
 * "-c path" and args: its return code, the one-line error in err. */
static int load_file(struct jf_config *c, const char *text, char *err, size_t errlen,
		     const char *const *args, int n)
{
	char *argv[16];
	int fd, i, argc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/jf-sections-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	argv[argc++] = (char *)"jflowd";
	argv[argc++] = (char *)"-c";
	argv[argc++] = path;
	for (i = 0; i < n; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	err[0] = '\0';
	i = jf_config_reload(c, argc, argv, err, errlen);
	unlink(path);
	return i;
}

#define LOADF(c, text, err, ...) ({ const char *const a_[] = { "--route-lookup", "off", \
								__VA_ARGS__ }; \
	load_file((c), (text), (err), sizeof(err), a_, (int)(sizeof(a_) / sizeof(a_[0]))); })

static const char good[] =
	"# global lines: the default monitor\n"
	"interface = lo\n"
	"collector = v9://127.0.0.1:2055\n"
	"timeouts = idle=15,active=120\n"
	"mtu = 1200\n"
	"[exporter core]\n"
	"collector = ipfix://127.0.0.1:4739\n"
	"collector = ipfix+tcp://127.0.0.1:4740\n"
	"template-interval = 30\n"
	"[record hosts]\n"
	"key = sourceIPv4Address/24, destinationIPv4Address/24, protocolIdentifier\n"
	"key = sourceIPv6Address/48, destinationIPv6Address/48\n"
	"fields = octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds\n"
	"fields = tcpControlBits, sourceIPv4PrefixLength\n"
	"[monitor capacity]\n"
	"record = hosts\n"
	"exporter = core\n"
	"timeouts = idle=5\n"
	"sample = 10\n"
	"interface = lo:in\n"
	"interface = dummy0:out\n"
	"[monitor juniper]\n"
	"record = juniper\n"
	"exporter = core\n"
	"exporter = default\n"
	"observation-domain = 7\n"
	"interface = lo\n";

static void test_good_file(void **state)
{
	const struct jf_monitor_conf *m;
	const struct jf_exporter_conf *x;
	struct jf_config *c = malloc(sizeof(*c));
	char err[1024];

	(void)state;
	assert_int_equal(LOADF(c, good, err), 0);
	assert_int_equal(c->n_monitors, 3);
	assert_int_equal(c->n_exporters, 2);
	assert_int_equal(c->n_records, 1);
	/* The default monitor: global lines, default record, exporter, domain 1. */
	m = &c->monitors[0];
	assert_string_equal(m->name, "default");
	assert_string_equal(jf_config_record(c, m)->name, "default");
	assert_int_equal(m->n_ifaces, 1);
	assert_int_equal(m->domain, 1);
	assert_int_equal(m->idle_ms, 15000);
	assert_int_equal(m->active_ms, 120000);
	assert_int_equal(m->sample_rate, 1);
	x = jf_config_exporter(c, "default");
	assert_non_null(x);
	assert_int_equal(x->n_collectors, 1);
	assert_int_equal(x->mtu, 1200);
	/* An [exporter] takes the global values it does not set. */
	x = jf_config_exporter(c, "core");
	assert_int_equal(x->n_collectors, 2);
	assert_int_equal(x->template_interval_s, 30);
	assert_int_equal(x->mtu, 1200);
	assert_int_equal(x->template_packets, 20);
	/* A monitor: its own idle timeout, the global active one, its
	 * sampling, the next free domain. */
	m = jf_config_monitor(c, "capacity");
	assert_non_null(m);
	assert_string_equal(jf_config_record(c, m)->name, "hosts");
	assert_int_equal(m->idle_ms, 5000);
	assert_int_equal(m->active_ms, 120000);
	assert_int_equal(m->fin_ms, 2000);
	assert_int_equal(m->sample_rate, 10);
	assert_int_equal(m->domain, 2);
	assert_int_equal(m->iface_dir[1], JF_DIR_OUT);
	m = jf_config_monitor(c, "juniper");
	assert_int_equal(m->domain, 7);
	assert_int_equal(m->n_exporters, 2);
	/* What the meter attaches to: lo both ways? no: in; dummy0 out. */
	assert_int_equal(c->n_ifaces, 2);
	assert_string_equal(c->ifaces[0], "lo");
	assert_int_equal(c->iface_dir[0], JF_DIR_IN);
	assert_string_equal(c->ifaces[1], "dummy0");
	assert_int_equal(c->iface_dir[1], JF_DIR_OUT);
	free(c);
}

/* The command line overrides the file's globals, so the default monitor
 * follows -s and -t; sections keep what they set. */
static void test_command_line_default(void **state)
{
	struct jf_config *c = malloc(sizeof(*c));
	char err[1024];

	(void)state;
	assert_int_equal(LOADF(c, good, err, "-s", "100", "-t", "active=30"), 0);
	assert_int_equal(c->monitors[0].sample_rate, 100);
	assert_int_equal(c->monitors[0].active_ms, 30000);
	assert_int_equal(jf_config_monitor(c, "capacity")->sample_rate, 10);
	assert_int_equal(jf_config_monitor(c, "capacity")->active_ms, 30000);
	/* An assigned domain skips those given later in the file. */
	assert_int_equal(LOADF(c, "interface = lo\ncollector = v9://h\n[monitor a]\n"
			       "exporter = default\ninterface = lo\n[monitor b]\n"
			       "exporter = default\ninterface = lo\nobservation-domain = 2\n",
			       err), 0);
	assert_int_equal(jf_config_monitor(c, "a")->domain, 3);
	assert_int_equal(jf_config_monitor(c, "b")->domain, 2);
	/* Without -i/-n and global lines: only the sections' monitors. */
	assert_int_equal(LOADF(c, good + strlen("# global lines: the default monitor\n"
						"interface = lo\ncollector = v9://127.0.0.1:2055\n"),
			       err), -1);
	assert_non_null(strstr(err, "no exporter named default"));
	free(c);
}

static const struct {
	const char *what, *text;
	int line;
	const char *msg;
} bad[] = {
	{ "unknown section", "[flow x]\n", 1, "unknown section '[flow ...]'" },
	{ "bad section line", "interface = lo\n[monitor]\n", 2, "a section is [record NAME]" },
	{ "bad name", "[record a/b]\n", 1, "record name 'a/b'" },
	{ "record twice", "[record r]\nkey = protocolIdentifier\nfields = octetDeltaCount\n"
	  "[record r]\n", 4, "record r defined twice (first at line 1)" },
	{ "built-in name", "[record default]\n", 1, "record default is built in" },
	{ "option of another section", "[record r]\ncollector = v9://h\n", 2,
	  "'collector' is not an option of a [record] section (key, fields, nat-untranslated)" },
	{ "global option in a section", "[monitor m]\nmtu = 1400\n", 2,
	  "'mtu' is not an option of a [monitor] section" },
	{ "unknown element", "[record r]\nkey = sourceIPv4Adress\n", 2,
	  "unknown element 'sourceIPv4Adress' (did you mean 'sourceIPv4Address'?)" },
	{ "record without key", "[record r]\nfields = octetDeltaCount\n\n[record s]\n", 1,
	  "record r has no key" },
	{ "record without fields at the end", "\n[record r]\nkey = protocolIdentifier\n", 2,
	  "record r collects nothing" },
	{ "bad value", "[exporter e]\ncollector = v9://h\nmtu = 100\n", 3,
	  "mtu '100': expected bytes in 512..65000" },
	{ "bad collector", "[exporter e]\ncollector = sflow://h\n", 2, "sflow" },
	{ "collector twice", "[exporter e]\ncollector = v9://h\ncollector = v9://h\n", 3,
	  "collector v9://h given twice" },
	{ "interface twice", "[monitor m]\ninterface = lo\ninterface = lo:out\n", 3,
	  "interface lo given twice" },
	{ "bad aggregation", "[monitor m]\naggregation = kernel\n", 2,
	  "aggregation 'kernel': expected program or agent" },
	{ "unknown record", "[exporter e]\ncollector = v9://h\n[monitor m]\nexporter = e\n"
	  "interface = lo\nrecord = hots\n", 6, "monitor m: no record named hots" },
	{ "unknown exporter", "[monitor m]\ninterface = lo\nexporter = core\n", 3,
	  "monitor m: no exporter named core" },
	{ "monitor without exporter", "[monitor m]\ninterface = lo\n", 1,
	  "monitor m has no exporter" },
	{ "monitor without interface", "[exporter e]\ncollector = v9://h\n[monitor m]\n"
	  "exporter = e\n", 3, "monitor m has no interface" },
	{ "exporter without collector", "[exporter e]\nmtu = 1400\n[monitor m]\nexporter = e\n"
	  "interface = lo\n", 1, "exporter e has no collector" },
	{ "unmet need", "[exporter e]\ncollector = v9://h\n[record r]\n"
	  "key = sourceIPv4Address\nfields = octetDeltaCount, egressInterface\n[monitor m]\n"
	  "exporter = e\nrecord = r\ninterface = lo\n", 5,
	  "monitor m: record r: egressInterface needs router mode" },
	{ "v5 cannot carry", "[exporter e]\ncollector = v5://h\n[monitor m]\nexporter = e\n"
	  "record = juniper\ninterface = lo\n", 1,
	  "monitor m, collector v5://h: v5 cannot carry record juniper" },
	{ "shared domain", "[exporter e]\ncollector = v9://h\n[monitor a]\nexporter = e\n"
	  "interface = lo\nobservation-domain = 5\n[monitor b]\nexporter = e\n"
	  "interface = lo\nobservation-domain = 5\n", 7,
	  "monitors a and b share observation domain 5" },
	{ "default monitor named in a section", "interface = lo\ncollector = v9://h\n"
	  "[monitor default]\n", 3, "monitor default is the one -i and -n" },
};

/* One file per error class: jflowd says which line and what is wrong. */
static void test_error_classes(void **state)
{
	struct jf_config *c = malloc(sizeof(*c));
	char err[1024], where[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(LOADF(c, bad[i].text, err), -1);
		snprintf(where, sizeof(where), "%s:%d: ", path, bad[i].line);
		if (!strstr(err, where) || !strstr(err, bad[i].msg))
			print_message("%s: '%s' lacks '%s' or '%s'\n", bad[i].what, err, where,
				      bad[i].msg);
		assert_non_null(strstr(err, where));
		assert_non_null(strstr(err, bad[i].msg));
	}
	free(c);
}

/* A record in a section is a real record: its templates build. */
static void test_print(void **state)
{
	struct jf_config *c = malloc(sizeof(*c));
	char err[1024], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(LOADF(c, good, err), 0);
	f = open_memstream(&text, &len);
	jf_config_print(c, f);
	fclose(f);
	assert_non_null(strstr(text, "monitor capacity: record hosts, observation domain 2, "
			       "sampling 1 in 10"));
	assert_non_null(strstr(text, "interfaces: lo:in dummy0:out"));
	assert_non_null(strstr(text, "template 256, IPFIX IPv4, 43 bytes: sourceIPv4Address(8)/4, "
			       "destinationIPv4Address(12)/4, protocolIdentifier(4)/1, "
			       "octetDeltaCount(1)/8, packetDeltaCount(2)/8, "
			       "flowStartMilliseconds(152)/8, flowEndMilliseconds(153)/8, "
			       "tcpControlBits(6)/1, sourceIPv4PrefixLength(9)/1=24"));
	assert_non_null(strstr(text, "aggregation: in the program (masked key)"));
	free(text);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_command_line_default),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
