// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The option table and its setters: what each option means and how its
 * value is read; the same for the command line, the file and --help. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "service/options.h"
#include "export/transport.h"
#include "flow/bmp.h"
#include "flow/route.h"
#include "log.h"
#include "meter/meter.h"
#include "meter/mirror.h"

#define ERRLEN JF_OPT_ERRLEN

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* An integer option: "WHAT 'VAL': expected EXPECT" when out of range. */
static int set_u32(const char *val, uint32_t min, uint32_t max, uint32_t *out, char *err,
		   const char *what, const char *expect)
{
	if (parse_u32(val, min, max, out)) {
		snprintf(err, ERRLEN, "%s '%s': expected %s", what, val, expect);
		return -1;
	}
	return 0;
}

/* Seconds, possibly fractional ("0.5"), into milliseconds. */
static int parse_seconds_ms(const char *s, double max_s, uint32_t *out_ms)
{
	char *end;
	double v;

	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > max_s)
		return -1;
	*out_ms = (uint32_t)llround(v * 1000.0);
	return 0;
}

static int set_iface(struct jf_config *cfg, const char *val, char *err)
{
	int i;
	const char *dir = strrchr(val, ':');
	size_t len = dir ? (size_t)(dir - val) : strlen(val);
	uint8_t d = JF_DIR_IN;

	if (cfg->n_ifaces >= JF_MAX_IFACES) {
		snprintf(err, ERRLEN, "too many interfaces (at most %d)", JF_MAX_IFACES);
		return -1;
	}
	if (val[strcspn(val, ", \t")]) {
		snprintf(err, ERRLEN, "interface '%s': one interface per option (in a file, "
			 "'interface = eth0' and 'interface = eth1' on lines of their own; on "
			 "the command line -i eth0 -i eth1)", val);
		return -1;
	}
	if (dir) {
		if (!strcmp(dir, ":in"))
			d = JF_DIR_IN;
		else if (!strcmp(dir, ":out"))
			d = JF_DIR_OUT;
		else if (!strcmp(dir, ":both"))
			d = JF_DIR_IN | JF_DIR_OUT;
		else {
			snprintf(err, ERRLEN, "interface '%s': direction must be :in, :out or :both",
				 val);
			return -1;
		}
	}
	if (!len || len >= JF_IFNAME_MAX) {
		snprintf(err, ERRLEN, "interface name '%.*s' is empty or longer than %d characters",
			 (int)len, val, JF_IFNAME_MAX - 1);
		return -1;
	}
	for (i = 0; i < cfg->n_ifaces; i++) {
		/* Metered twice, every packet would count twice: one -i with
		 * :both meters both directions. */
		if (strlen(cfg->ifaces[i]) == len && !memcmp(cfg->ifaces[i], val, len)) {
			snprintf(err, ERRLEN, "interface %.*s given twice", (int)len, val);
			return -1;
		}
	}
	memcpy(cfg->ifaces[cfg->n_ifaces], val, len);
	cfg->ifaces[cfg->n_ifaces][len] = '\0';
	cfg->iface_dir[cfg->n_ifaces++] = d;
	return 0;
}

const char *const jf_mode_names[] = { "xdp", "xdp-generic", "pcap", NULL };
const char *const jf_route_lookup_names[] = { "auto", "on", "off", NULL };
const char *const jf_quiesce_names[] = { "auto", "rcu", "seq", NULL };
const char *const jf_vlan_offload_names[] = { "auto", "off", NULL };

/* The index of val among names, else -1 with err saying what the option
 * takes. */
static int keyword(const char *opt, const char *val, const char *const *names, char *err)
{
	size_t n;
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(val, names[i]))
			return i;
	n = (size_t)snprintf(err, ERRLEN, "%s '%s': expected ", opt, val);
	for (i = 0; names[i] && n < ERRLEN; i++)
		n += (size_t)snprintf(err + n, ERRLEN - n, "%s%s", i ? names[i + 1] ? ", " : " or " : "",
				      names[i]);
	return -1;
}

static int set_vlan_offload(struct jf_config *cfg, const char *val, char *err)
{
	int k = keyword("vlan-offload", val, jf_vlan_offload_names, err);

	if (k < 0)
		return -1;
	cfg->vlan_offload = (enum jf_vlan_offload)k;
	return 0;
}

static int set_route_lookup(struct jf_config *cfg, const char *val, char *err)
{
	int k = keyword("route-lookup", val, jf_route_lookup_names, err);

	if (k < 0)
		return -1;
	cfg->route_lookup = (enum jf_route_lookup)k;
	return 0;
}

static int parse_switch(const char *name, const char *val, bool *on, char *err);

static int set_nat_lookup(struct jf_config *cfg, const char *val, char *err)
{
	return parse_switch("nat-lookup", val, &cfg->nat_lookup, err);
}

static int set_nat_zone(struct jf_config *cfg, const char *val, char *err)
{
	const char *eq = strchr(val, '=');
	size_t len = eq ? (size_t)(eq - val) : 0;
	uint32_t zone;
	int i;

	if (!eq || !len || len >= JF_IFNAME_MAX || parse_u32(eq + 1, 0, 65535, &zone)) {
		snprintf(err, ERRLEN, "nat-zone '%s': expected IFACE=ZONE, ZONE in 0..65535", val);
		return -1;
	}
	for (i = 0; i < cfg->n_nat_zones; i++)
		if (strlen(cfg->nat_zone_if[i]) == len && !memcmp(cfg->nat_zone_if[i], val, len))
			break;
	if (i == JF_MAX_IFACES) {
		snprintf(err, ERRLEN, "too many NAT zones (at most %d)", JF_MAX_IFACES);
		return -1;
	}
	memcpy(cfg->nat_zone_if[i], val, len);
	cfg->nat_zone_if[i][len] = '\0';
	cfg->nat_zone[i] = (uint16_t)zone;
	if (i == cfg->n_nat_zones)
		cfg->n_nat_zones++;
	return 0;
}

static int set_nat_events(struct jf_config *cfg, const char *val, char *err)
{
	return parse_switch("nat-events", val, &cfg->nat_events, err);
}

static int set_nat_events_buffer(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 65536, 1u << 30, &cfg->nat_events_buffer, err, "nat-events-buffer",
		       "bytes in 65536..1073741824");
}

/* A string option into dst (n bytes): "WHAT 'VAL' is empty or too long". */
static int set_string(char *dst, size_t n, const char *val, const char *what, char *err)
{
	if (!*val || strlen(val) >= n) {
		snprintf(err, ERRLEN, "%s '%s' is empty or too long", what, val);
		return -1;
	}
	strcpy(dst, val);
	return 0;
}

static int set_record(struct jf_config *cfg, const char *val, char *err)
{
	return set_string(cfg->record, sizeof(cfg->record), val, "record name", err);
}

static int set_read(struct jf_config *cfg, const char *val, char *err)
{
	if (!*val || strlen(val) >= sizeof(cfg->pcap_file)) {
		snprintf(err, ERRLEN, "capture file name is empty or too long");
		return -1;
	}
	strcpy(cfg->pcap_file, val);
	return 0;
}

static int set_collector(struct jf_config *cfg, const char *val, char *err)
{
	int i = cfg->n_collectors;

	if (i >= JF_MAX_COLLECTORS) {
		snprintf(err, ERRLEN, "too many collectors (at most %d)", JF_MAX_COLLECTORS);
		return -1;
	}
	if (strlen(val) >= sizeof(cfg->collector_urls[0])) {
		snprintf(err, ERRLEN, "collector URL too long");
		return -1;
	}
	if (val[strcspn(val, ", \t")]) {
		snprintf(err, ERRLEN, "collector '%s': one collector per option (in a file, "
			 "'collector = URL' on a line each; on the command line -n URL -n URL)",
			 val);
		return -1;
	}
	if (jf_url_parse(val, &cfg->collectors[i], err, ERRLEN))
		return -1;
	strcpy(cfg->collector_urls[i], val);
	cfg->n_collectors++;
	return 0;
}

/* softflowd's and pmacct's (nfprobe_timeouts) timeout names: what they are
 * here. */
static const char *peer_timeout(const char *name)
{
	static const struct {
		const char *name, *here;
	} peers[] = {
		{ "maxlife", "softflowd's maxlife is active= here" },
		{ "general", "softflowd's general is idle= here" },
		{ "tcp", "one idle= for every protocol here (softflowd's tcp=)" },
		{ "udp", "one idle= for every protocol here (softflowd's udp=)" },
		{ "icmp", "one idle= for every protocol here (softflowd's icmp=)" },
		{ "tcp.rst", "softflowd's tcp.rst is fin= here" },
		{ "tcp.fin", "softflowd's tcp.fin is fin= here" },
		{ "expint", "softflowd's expint is --drain-interval here" },
	};
	size_t i;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		if (!strcmp(name, peers[i].name))
			return peers[i].here;
	return NULL;
}

int jf_config_parse_timeouts(struct jf_config *cfg, const char *spec,
			     char *err, unsigned long errlen)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(spec) >= sizeof(buf) || !*spec) {
		snprintf(err, errlen, "timeouts '%s': expected idle=S,active=S,fin=S", spec);
		return -1;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint32_t *dst, min_ms = 1;
		uint32_t ms;

		if (!eq) {
			snprintf(err, errlen, "timeouts: '%s' is not NAME=SECONDS "
				 "(names: idle, active, fin)", tok);
			return -1;
		}
		*eq = '\0';
		if (!strcmp(tok, "idle") || !strcmp(tok, "inactive")) {
			dst = &cfg->idle_ms;
		} else if (!strcmp(tok, "active")) {
			dst = &cfg->active_ms;
		} else if (!strcmp(tok, "fin")) {
			dst = &cfg->fin_ms;
			min_ms = 0;
		} else {
			const char *peer = peer_timeout(tok);

			snprintf(err, errlen, "timeouts: unknown timeout '%s' (names: idle, active, "
				 "fin%s%s)", tok, peer ? "; " : "", peer ? peer : "");
			return -1;
		}
		/* IE 36/37 carry seconds in 16 bits. */
		if (parse_seconds_ms(eq + 1, 65535, &ms) || ms < min_ms) {
			snprintf(err, errlen, "timeouts: %s='%s' is not a number of seconds "
				 "in %s..65535", tok, eq + 1, min_ms ? "0.001" : "0");
			return -1;
		}
		*dst = ms;
	}
	return 0;
}

static int set_timeouts(struct jf_config *cfg, const char *val, char *err)
{
	return jf_config_parse_timeouts(cfg, val, err, ERRLEN);
}

static int set_sample(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 1, 1u << 30, &cfg->sample_rate, err, "sampling rate",
		       "an integer N >= 1 (1 in N packets)");
}

static int set_filter(struct jf_config *cfg, const char *val, char *err)
{
	if (strlen(val) >= sizeof(cfg->filter)) {
		snprintf(err, ERRLEN, "filter: longer than %zu bytes", sizeof(cfg->filter) - 1);
		return -1;
	}
	snprintf(cfg->filter, sizeof(cfg->filter), "%s", val);
	return 0;
}

static int set_mode(struct jf_config *cfg, const char *val, char *err)
{
	if (!strcmp(val, "xdp") || !strcmp(val, "native"))
		cfg->mode = JF_MODE_XDP;
	else if (!strcmp(val, "xdp-generic") || !strcmp(val, "generic") || !strcmp(val, "skb"))
		cfg->mode = JF_MODE_XDP_GENERIC;
	else if (!strcmp(val, "pcap"))
		cfg->mode = JF_MODE_PCAP;
	else {
		snprintf(err, ERRLEN, "mode '%s': expected xdp, xdp-generic or pcap%s", val,
			 isdigit((unsigned char)*val) ? " (softflowd's -m MAX_FLOWS is --max-flows "
			 "here)" : "");
		return -1;
	}
	return 0;
}

/* A switch: on the command line it has no value (""); in the configuration
 * file "name = VALUE" must say which way it goes, and a value that says
 * neither is an error, not "on". */
static int parse_switch(const char *name, const char *val, bool *on, char *err)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	if (!*val) {
		*on = true;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(val, yes[i])) {
			*on = true;
			return 0;
		}
		if (!strcasecmp(val, no[i])) {
			*on = false;
			return 0;
		}
	}
	snprintf(err, ERRLEN, "%s '%s': expected true or false (also yes/no, on/off, 1/0)",
		 name, val);
	return -1;
}

static int set_mirror(struct jf_config *cfg, const char *val, char *err)
{
	bool on;

	if (parse_switch("mirror", val, &on, err))
		return -1;
	cfg->mirror = on;
	return 0;
}

static int add_map(struct jf_config *cfg, const char *val, char *err, enum jf_map_kind kind)
{
	if (cfg->n_if_maps >= JF_MAX_IF_MAPS) {
		snprintf(err, ERRLEN, "too many mapped interfaces (at most %d)", JF_MAX_IF_MAPS);
		return -1;
	}
	if (jf_mirror_parse_map(val, kind, &cfg->if_maps[cfg->n_if_maps], err, ERRLEN))
		return -1;
	cfg->n_if_maps++;
	return 0;
}

static int set_map_mac(struct jf_config *cfg, const char *val, char *err)
{
	return add_map(cfg, val, err, JF_MAP_MAC);
}

static int set_map_vlan(struct jf_config *cfg, const char *val, char *err)
{
	return add_map(cfg, val, err, JF_MAP_VLAN);
}

static int set_max_flows(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 64, 1u << 26, &cfg->max_flows, err, "max-flows",
		       "an integer in 64..67108864");
}

static int set_table_flows(struct jf_config *cfg, const char *val, char *err)
{
	cfg->table_flows_set = true;
	if (!strcmp(val, "0")) {
		cfg->table_flows = 0;
		return 0;
	}
	return set_u32(val, 64, 1u << 26, &cfg->table_flows, err, "table-flows",
		       "0 or an integer in 64..67108864");
}

static int set_min_flows(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 64, 1u << 26, &cfg->min_flows, err, "min-flows",
		       "an integer in 64..67108864");
}

static int set_map_flows(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 64, 1u << 26, &cfg->map_flows, err, "map-flows",
		       "an integer in 64..67108864");
}

static int set_tick(struct jf_config *cfg, const char *val, char *err)
{
	uint32_t ms;

	if (parse_seconds_ms(val, 60, &ms) || ms < 10) {
		snprintf(err, ERRLEN, "drain interval '%s': expected seconds in 0.01..60", val);
		return -1;
	}
	cfg->tick_ms = ms;
	return 0;
}

static int set_quiesce(struct jf_config *cfg, const char *val, char *err)
{
	int k = keyword("quiesce", val, jf_quiesce_names, err);

	if (k < 0)
		return -1;
	cfg->quiesce = (enum jf_quiesce)k;
	return 0;
}

static int set_odid(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 1, UINT32_MAX, &cfg->observation_domain, err, "observation domain",
		       "an integer in 1..4294967295");
}

static int set_tmpl_interval(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 1, 86400, &cfg->template_interval_s, err, "template interval",
		       "seconds in 1..86400");
}

static int set_tmpl_packets(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 0, 1000000, &cfg->template_packets, err, "template packets",
		       "an integer in 0..1000000 (0: by time only)");
}

static int set_mtu(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 512, 65000, &cfg->mtu, err, "mtu", "bytes in 512..65000");
}

static int set_source(struct jf_config *cfg, const char *val, char *err)
{
	return set_string(cfg->source_addr, sizeof(cfg->source_addr), val, "source address",
			  err);
}

static int set_export_rate(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 0, 10000000, &cfg->export_rate, err, "export rate",
		       "messages per second in 0..10000000 (0: unpaced)");
}

static int set_ipfix_sequence(struct jf_config *cfg, const char *val, char *err)
{
	if (!strcmp(val, "rfc"))
		cfg->ipfix_sequence = JF_IPFIX_SEQ_RFC;
	else if (!strcmp(val, "nfdump"))
		cfg->ipfix_sequence = JF_IPFIX_SEQ_NFDUMP;
	else {
		snprintf(err, ERRLEN, "ipfix-sequence '%s': expected rfc or nfdump", val);
		return -1;
	}
	return 0;
}

_Static_assert(JF_TCP_BUF_MIN == 131072, "the tcp-buffer message names the minimum");

static int set_tcp_buffer(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, JF_TCP_BUF_MIN, 1u << 30, &cfg->tcp_buffer, err, "tcp-buffer",
		       "bytes in 131072..1073741824");
}

static int set_bmp_listen(struct jf_config *cfg, const char *val, char *err)
{
	struct sockaddr_storage sa;
	socklen_t salen;

	if (strlen(val) >= sizeof(cfg->bmp_listen)) {
		snprintf(err, ERRLEN, "bmp-listen '%s' is too long", val);
		return -1;
	}
	if (jf_bmp_parse_listen(val, &sa, &salen, err, ERRLEN))
		return -1;
	strcpy(cfg->bmp_listen, val);
	return 0;
}

static int set_as_file(struct jf_config *cfg, const char *val, char *err)
{
	if (!*val || strlen(val) >= sizeof(cfg->as_file)) {
		snprintf(err, ERRLEN, "as-file name is empty or too long");
		return -1;
	}
	strcpy(cfg->as_file, val);
	return 0;
}

static int set_bgp_memory(struct jf_config *cfg, const char *val, char *err)
{
	return set_u32(val, 16, 1u << 20, &cfg->bgp_memory_mb, err, "bgp-memory",
		       "MiB in 16..1048576");
}

static int set_metrics(struct jf_config *cfg, const char *val, char *err)
{
	if (!*val || strlen(val) >= sizeof(cfg->metrics_file)) {
		snprintf(err, ERRLEN, "metrics file name is empty or too long");
		return -1;
	}
	strcpy(cfg->metrics_file, val);
	return 0;
}

static int set_user(struct jf_config *cfg, const char *val, char *err)
{
	if (!*val || strlen(val) >= sizeof(cfg->user)) {
		snprintf(err, ERRLEN, "user name '%s' is empty or too long", val);
		return -1;
	}
	if (!getpwnam(val)) {
		snprintf(err, ERRLEN, "user '%s': no such user", val);
		return -1;
	}
	strcpy(cfg->user, val);
	return 0;
}

static int set_control_socket(struct jf_config *cfg, const char *val, char *err)
{
	if (*val != '/' || strlen(val) >= sizeof(cfg->control_socket)) {
		snprintf(err, ERRLEN, "control socket '%s': expected an absolute path of at most "
			 "%zu characters", val, sizeof(cfg->control_socket) - 1);
		return -1;
	}
	strcpy(cfg->control_socket, val);
	return 0;
}

static int set_start_condition(struct jf_config *cfg, const char *val, char *err)
{
	(void)val;
	(void)err;
	cfg->start_condition = true;
	return 0;
}

static int set_verbose(struct jf_config *cfg, const char *val, char *err)
{
	bool on;

	if (parse_switch("verbose", val, &on, err))
		return -1;
	if (on && cfg->verbosity < JF_LOG_TRACE)
		cfg->verbosity++;
	return 0;
}

static int set_quiet(struct jf_config *cfg, const char *val, char *err)
{
	bool on;

	if (parse_switch("quiet", val, &on, err))
		return -1;
	if (on)
		cfg->verbosity = JF_LOG_WARN;
	return 0;
}

const struct jf_opt jf_opts[] = {
	{ "interface", 'i', 1, set_iface, "IFACE[:DIR]",
	  "meter packets on IFACE (repeatable); DIR: in (default), out\n"
	  "(packets the router itself sends), both", JF_OPT_LIST_IFACES },
	{ "route-lookup", 0, 1, set_route_lookup, "auto|on|off",
	  "output interface, next hop, prefixes and forwarding status of\n"
	  "each flow from the kernel's routing (auto: on where forwarding is)" },
	{ "record", 0, 1, set_record, "NAME",
	  "the record that -i and -n export: a built-in one (default, juniper,\n"
	  "as, protocol-port, source-prefix, destination-prefix, prefix) or a\n"
	  "[record NAME] section of the configuration file (default: default)" },
	{ "nat-lookup", 0, 0, set_nat_lookup, NULL,
	  "NAT router: the other side of each flow's translation from\n"
	  "conntrack, looked up once per flow, for records that collect\n"
	  "IE 225-228 or 281/282 (--record); flows without one carry their\n"
	  "own addresses (in a configuration file: nat-lookup = on|off)" },
	{ "nat-zone", 0, 1, set_nat_zone, "IFACE=ZONE",
	  "look the flows of IFACE up in conntrack zone ZONE (default 0)" },
	{ "nat-events", 0, 0, set_nat_events, NULL,
	  "NAT event logging (RFC 8158): one record when each translated\n"
	  "session is created, one when it is deleted, from conntrack's\n"
	  "events (in a configuration file: nat-events = on|off)" },
	{ "nat-events-buffer", 0, 1, set_nat_events_buffer, "BYTES",
	  "receive buffer of the conntrack event socket (default 16777216);\n"
	  "an overflow is counted, logged and followed by a re-read of the table" },
	{ "vlan-offload", 0, 1, set_vlan_offload, "auto|off",
	  "XDP: read the VLAN tag the NIC strips (rx-vlan offload) from the\n"
	  "driver, one device-bound program per interface (auto: where the\n"
	  "driver gives it; off: never)" },
	{ "read", 'r', 1, set_read, "FILE",
	  "meter a capture file (pcap/pcapng), export everything, exit" },
	{ "collector", 'n', 1, set_collector, "URL",
	  "export to URL (repeatable): ipfix://HOST[:4739], ipfix+tcp://HOST[:4739],\n"
	  "v9://HOST[:2055], v5://HOST[:2055]; IPv6 hosts in brackets; IPFIX:\n"
	  "?sequence=rfc|nfdump sets --ipfix-sequence for this collector",
	  JF_OPT_LIST_COLLECTORS },
	{ "timeouts", 't', 1, set_timeouts, "idle=S,active=S,fin=S",
	  "flow timeouts in seconds (default idle=15,active=60,fin=2)" },
	{ "sample", 's', 1, set_sample, "N",
	  "meter 1 packet in N, chosen at random (default 1: every packet)" },
	{ "filter", 0, 1, set_filter, "EXPRESSION",
	  "meter only the packets EXPRESSION selects (pcap-filter(7), as tcpdump's;\n"
	  "words after the options are taken as one, as softflowd and tcpdump do)" },
	{ "mode", 'm', 1, set_mode, "MODE",
	  "capture backend: xdp (default; falls back to xdp-generic), xdp-generic, pcap" },
	{ "mirror", 0, 0, set_mirror, NULL,
	  "mirror (SPAN) port: promiscuous, drop packets after metering\n"
	  "instead of passing them (XDP modes only; in a configuration file:\n"
	  "mirror = true|false)" },
	{ "map-mac", 0, 1, set_map_mac, "MAC=INDEX,NAME[,DESCR]",
	  "mirror port: frames to router MAC came in on interface INDEX,\n"
	  "frames from it went out of it (repeatable)" },
	{ "map-vlan", 0, 1, set_map_vlan, "VID=INDEX,NAME[,DESCR]",
	  "mirror port: frames on VLAN VID came in on interface INDEX" },
	{ "max-flows", 0, 1, set_max_flows, "N",
	  "flows held at once, in the kernel's flow table and the agent's cache\n"
	  "(XDP default: from the machine's memory, MemTotal / 16640, at least\n"
	  "131072, about 270 bytes a flow in all; pcap and -r: 131072)" },
	{ "table-flows", 0, 1, set_table_flows, "N",
	  "flows the kernel's persistent flow table holds (default --max-flows;\n"
	  "0: no table, every packet goes to the per-interval maps as before)" },
	{ "min-flows", 0, 1, set_min_flows, "N",
	  "flows the kernel's table has room for from the start (default: it\n"
	  "starts at 65536 slots); it grows from there, up to --table-flows" },
	{ "map-flows", 0, 1, set_map_flows, "N",
	  "flows each of the two per-interval kernel maps holds: the table's stash\n"
	  "(default a 64th of the table, at least 1024), or without a table those\n"
	  "active within one drain interval (default a quarter of --max-flows, at\n"
	  "least 65536); beyond it packets take the spill ring" },
	{ "drain-interval", 0, 1, set_tick, "S",
	  "seconds between drains of the kernel maps and expiry runs (default 1)" },
	{ "quiesce", 0, 1, set_quiesce, "MODE",
	  "how a drain waits for the XDP program to leave the old map: rcu (a grace\n"
	  "period; no per-packet cost), seq (per-CPU counters), auto (default: rcu if\n"
	  "the kernel offers membarrier GLOBAL, else seq)" },
	{ "observation-domain", 0, 1, set_odid, "ID",
	  "IPFIX Observation Domain ID / v9 Source ID, non-zero (default 1)" },
	{ "template-interval", 0, 1, set_tmpl_interval, "S",
	  "resend templates every S seconds over UDP (default 60)" },
	{ "template-packets", 0, 1, set_tmpl_packets, "N",
	  "... and every N messages over UDP (default 20; 0: by time only)" },
	{ "mtu", 0, 1, set_mtu, "BYTES",
	  "maximum export message size (default 1400)" },
	{ "source", 0, 1, set_source, "ADDR",
	  "send exports from ADDR (the exporter address collectors see)" },
	{ "export-rate", 0, 1, set_export_rate, "N",
	  "pace exports so collectors keep up: one on this host as fast as its\n"
	  "socket drains, what it has no room for waiting in its own bounded\n"
	  "queue (every mode), a remote one with -r at N messages/s\n"
	  "(default 10000; 0: unpaced)" },
	{ "ipfix-sequence", 0, 1, set_ipfix_sequence, "rfc|nfdump",
	  "what the IPFIX sequence number counts (default for every IPFIX\n"
	  "collector without ?sequence=): rfc (default): data records,\n"
	  "options data included (RFC 7011; pmacct, Wireshark, libfixbuf);\n"
	  "nfdump: flow records only (else nfdump 1.7 counts a sequence\n"
	  "failure after each message carrying options data)" },
	{ "tcp-buffer", 0, 1, set_tcp_buffer, "BYTES",
	  "bytes of messages kept per collector while it cannot take them\n"
	  "(IPFIX over TCP while it is away; UDP on this host while its socket\n"
	  "is full; default 8388608); beyond it they are dropped and counted" },
	{ "bmp-listen", 0, 1, set_bmp_listen, "ADDR[:PORT]",
	  "BGP-aware flows: a BMP station on ADDR:PORT (default port 11019) that\n"
	  "the router's BGP speaker (FRR bgpd -M bmp) streams its routes to; fills\n"
	  "IE 16, 17, 18/63, 128, 129 for the route the kernel chose" },
	{ "as-file", 0, 1, set_as_file, "PATH",
	  "prefix-to-AS file (PREFIX,ASN lines, as pmacct's networks_file): source\n"
	  "and destination AS where BGP has none; read again on reload" },
	{ "bgp-memory", 0, 1, set_bgp_memory, "MIB",
	  "bound of the BGP RIB (default 1024 MiB, about 11 peers' full tables);\n"
	  "past it new routes are refused, logged and counted" },
	{ "metrics-file", 0, 1, set_metrics, "PATH",
	  "write Prometheus metrics to PATH every drain interval and at exit" },
	{ "user", 0, 1, set_user, "NAME",
	  "after start-up, run as user NAME; either way only the capabilities\n"
	  "that later work needs are kept (jflowd(8), PRIVILEGES)" },
	{ "control-socket", 0, 1, set_control_socket, "PATH",
	  "accept jflowctl(8) commands on the Unix socket PATH (mode 0600,\n"
	  "owned by --user); the units use /run/jflowd/jflowd.sock (default: none)" },
	{ "config", JF_OPT_CONFIG, 1, NULL, "FILE",
	  "read options from FILE ('name = value' lines, long option names);\n"
	  "the command line overrides it" },
	{ "check-config", JF_OPT_CHECK_CONFIG, 0, NULL, NULL,
	  "read the configuration (-c FILE and the command line), resolve\n"
	  "every name, build every template, print the monitors, their\n"
	  "interfaces and templates, and exit: 0 if it is good, 2 if not" },
	{ "start-condition", 0, 0, set_start_condition, NULL,
	  "for the units' ExecCondition=: exit 0 if the configuration is good\n"
	  "and names something to meter, 1 (saying so) if it names no\n"
	  "interface, 255 if it is not good (the unit then fails)" },
	{ "verbose", 'v', 0, set_verbose, NULL,
	  "more log output: -v adds debug and libbpf's warnings, -vv libbpf's details" },
	{ "quiet", 'q', 0, set_quiet, NULL, "only warnings and errors" },
	{ "help", JF_OPT_HELP, 0, NULL, NULL, "this text" },
	{ "version", JF_OPT_VERSION, 0, NULL, NULL, "print the version" },
};

const size_t jf_n_opts = sizeof(jf_opts) / sizeof(jf_opts[0]);

const struct jf_opt *jf_opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < jf_n_opts; i++)
		if (!strcmp(jf_opts[i].name, name))
			return &jf_opts[i];
	return NULL;
}

/* Options of the peers operators come from (softflowd's command line,
 * ipt-netflow's module parameters, pmacct's nfprobe keys) and what they
 * are here; the README's migration table says the same. */
static const struct {
	const char *peer, *here;
} peer_keys[] = {
	{ "destination", "ipt-netflow's destination=HOST:PORT is collector = v9://HOST:PORT "
	  "here, ipfix://HOST:PORT for its protocol=10" },
	{ "protocol", "ipt-netflow's protocol is the collector URL's scheme here: v5://, v9://, "
	  "ipfix://, ipfix+tcp://" },
	{ "active-timeout", "ipt-netflow's active_timeout is timeouts = active=SECONDS here" },
	{ "inactive-timeout", "ipt-netflow's inactive_timeout is timeouts = idle=SECONDS here" },
	{ "maxflows", "ipt-netflow's maxflows is max-flows here" },
	{ "hashsize", "ipt-netflow's hashsize: max-flows sizes every table here" },
	{ "sampler", "ipt-netflow's sampler is sample = N here (1 in N, random)" },
	{ "engine-id", "ipt-netflow's engine_id is observation-domain here" },
	{ "promisc", "ipt-netflow's promisc is mirror = true here (a SPAN port: promiscuous, "
	  "drop after metering)" },
	{ "nfprobe-receiver", "pmacct's nfprobe_receiver is collector = v9://HOST:PORT here" },
	{ "nfprobe-version", "pmacct's nfprobe_version is the collector URL's scheme here: "
	  "v5://, v9://, ipfix://" },
	{ "nfprobe-timeouts", "pmacct's nfprobe_timeouts is timeouts = idle=S,active=S,fin=S "
	  "here: its general, tcp, udp and icmp are one idle=, its maxlife is active=" },
	{ "nfprobe-maxflows", "pmacct's nfprobe_maxflows is max-flows here" },
	{ "nfprobe-engine", "pmacct's nfprobe_engine is observation-domain here" },
	{ "nfprobe-source-ip", "pmacct's nfprobe_source_ip is source here" },
	{ "sampling-rate", "pmacct's sampling_rate is sample = N here" },
	{ "pcap-interface", "pmacct's pcap_interface is interface here" },
	{ "pcap-filter", "pmacct's pcap_filter is filter here" },
	{ "daemonize", "pmacct's daemonize: jflowd stays in the foreground; jflowd.service "
	  "runs it as a service" },
	{ "pidfile", "jflowd writes no pid file: systemd tracks it (Type=notify), jflowctl "
	  "reaches it over the control socket" },
};

/* softflowd's short options that mean something else here, or nothing. */
static const struct {
	int opt;
	const char *here;
} peer_short[] = {
	{ 'd', "softflowd's -d: jflowd stays in the foreground and logs to stderr anyway; -v "
	  "adds debug output" },
	{ 'D', "softflowd's -D is -v here: debug output" },
	{ 'p', "softflowd's -p: jflowd writes no pid file; systemd tracks it, jflowctl "
	  "reaches it over --control-socket" },
	{ 'P', "softflowd's -P tcp is a collector URL here: -n ipfix+tcp://HOST:PORT" },
	{ 'T', "softflowd's -T: jflowd keys every flow on addresses, ports, protocol, ToS, "
	  "interface, VLANs and MPLS labels" },
	{ '6', "softflowd's -6: jflowd meters IPv6 always" },
};

/* Edit distance, '_' and '-' alike, capped: enough for "did you mean". */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[64], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			bool same = a[i - 1] == b[j - 1] ||
				    (strchr("-_", a[i - 1]) && strchr("-_", b[j - 1]));

			up = row[j];
			row[j] = diag + !same;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

void jf_opt_unknown_hint(const char *name, bool cli, char *out, size_t n)
{
	const char *best = NULL;
	unsigned d, best_d = 99;
	char key[64];
	size_t i;

	out[0] = '\0';
	if (cli && name[0] && !name[1]) {
		for (i = 0; i < sizeof(peer_short) / sizeof(peer_short[0]); i++)
			if (peer_short[i].opt == name[0])
				snprintf(out, n, " (%s)", peer_short[i].here);
		return;
	}
	snprintf(key, sizeof(key), "%s", name);
	for (i = 0; key[i]; i++)
		if (key[i] == '_')
			key[i] = '-';
	for (i = 0; i < sizeof(peer_keys) / sizeof(peer_keys[0]); i++) {
		if (!strcasecmp(key, peer_keys[i].peer)) {
			snprintf(out, n, " (%s)", peer_keys[i].here);
			return;
		}
	}
	for (i = 0; i < jf_n_opts; i++) {
		if (!cli && !jf_opts[i].set)	/* -c, -h, -V: not in a file */
			continue;
		d = distance(key, jf_opts[i].name);
		if (d < best_d) {
			best_d = d;
			best = jf_opts[i].name;
		}
	}
	/* Close enough to be a typo, not a different word. */
	if (best && best_d <= 2 && best_d * 3 <= strlen(key))
		snprintf(out, n, cli ? " (did you mean --%s?)" : " (did you mean '%s'?)", best);
}

void jf_config_usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: jflowd -i IFACE [-i IFACE ...] -n COLLECTOR [-n COLLECTOR ...] [options]\n"
		"       jflowd -r FILE.pcap -n COLLECTOR [...] [options]\n"
		"\n"
		"Meter IP traffic into flows (XDP, or libpcap) and export J-Flow v9 /\n"
		"NetFlow v9, IPFIX and NetFlow v5 records to flow collectors.\n"
		"\n"
		"Options:\n");
	for (i = 0; i < jf_n_opts; i++) {
		char head[80];
		const char *h = jf_opts[i].help, *nl;

		if (jf_opts[i].short_opt && jf_opts[i].short_opt < 128)
			snprintf(head, sizeof(head), "-%c, --%s%s%s", jf_opts[i].short_opt,
				 jf_opts[i].name, jf_opts[i].arg ? " " : "", jf_opts[i].arg ? jf_opts[i].arg : "");
		else
			snprintf(head, sizeof(head), "    --%s%s%s", jf_opts[i].name,
				 jf_opts[i].arg ? " " : "", jf_opts[i].arg ? jf_opts[i].arg : "");
		if (strlen(head) > 28)
			fprintf(out, "  %s\n%32s", head, "");
		else
			fprintf(out, "  %-30s", head);
		while ((nl = strchr(h, '\n'))) {
			fprintf(out, "%.*s\n%32s", (int)(nl - h), h, "");
			h = nl + 1;
		}
		fprintf(out, "%s\n", h);
	}
	fprintf(out,
		"\n"
		"Examples:\n"
		"  jflowd -i eth0 -n ipfix://192.0.2.10:4739\n"
		"  jflowd -i eth0 -i eth1 -n 'v9://[2001:db8::10]:2055' -t idle=15,active=60 -s 1000\n"
		"  jflowd -r trace.pcap -n ipfix://127.0.0.1:4739 --metrics-file /tmp/jflowd.prom\n");
}

