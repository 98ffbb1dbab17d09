/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's configuration: command line, configuration file, defaults. */
#ifndef JFLOWD_CONFIG_H
#define JFLOWD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "export/url.h"
#include "flow/records.h"
#include "jflowd/filter.h"

#define JF_MAX_IFACES 32
#define JF_MAX_COLLECTORS 16
#define JF_IFNAME_MAX 16
#define JF_MAX_IF_MAPS 64

/* What the IPFIX header's sequence number counts. */
enum jf_ipfix_seq {
	JF_IPFIX_SEQ_RFC = 0,	/* every data record, options data too (RFC 7011) */
	JF_IPFIX_SEQ_NFDUMP,	/* flow records only, as nfdump 1.7 checks it */
};

enum jf_capture_mode {
	JF_MODE_XDP = 0,	/* native XDP, falls back to generic with a warning */
	JF_MODE_XDP_GENERIC,
	JF_MODE_PCAP,
};

enum jf_quiesce {
	JF_QUIESCE_AUTO = 0,	/* RCU grace period where available, else seq */
	JF_QUIESCE_RCU,
	JF_QUIESCE_SEQ,		/* per-CPU sequence counters in the program */
};

/* Forwarding lookup per flow (router mode). */
enum jf_route_lookup {
	JF_ROUTE_AUTO = 0,	/* on when forwarding is on for a metered interface */
	JF_ROUTE_ON,
	JF_ROUTE_OFF,
};

/* Reading the VLAN tag a NIC stripped (rx-vlan offload) from the driver,
 * with a device-bound copy of the XDP program per interface. */
enum jf_vlan_offload {
	JF_VLAN_OFFLOAD_AUTO = 0,	/* wherever the driver gives the tag */
	JF_VLAN_OFFLOAD_OFF,		/* never: the plain program everywhere */
};

/* Which way an interface is metered: -i eth0, eth0:in, eth0:out, eth0:both. */
#define JF_DIR_IN 0x1
#define JF_DIR_OUT 0x2

/* Mirror port: a router MAC or a VLAN seen on the SPAN, and the router
 * interface it stands for (--map-mac, --map-vlan). */
enum jf_map_kind {
	JF_MAP_MAC = 0,
	JF_MAP_VLAN,
};

struct jf_if_map {
	uint8_t kind;		/* enum jf_map_kind */
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t index;		/* the router's ifIndex */
	char name[32];
	char descr[64];
};

/* Records, exporters and monitors (docs/records.md). */
#define JF_NAME_MAX 32			/* of a record, exporter or monitor */
#define JF_MAX_RECORDS 16		/* [record] sections */
#define JF_MAX_EXPORTERS 8		/* [exporter] sections, and the default */
#define JF_MAX_MONITORS 16		/* include/jflowd/flow.h: JF_KEY_MON_MAX */
#define JF_MON_EXPORTERS 4		/* exporters of one monitor */

/* An [exporter NAME] section, or the default exporter the global options
 * make (-n, --source, --mtu, ...): where records go and how. */
struct jf_exporter_conf {
	char name[JF_NAME_MAX];
	int line;			/* of [exporter NAME]; 0: the default */
	struct jf_collector_url collectors[JF_MAX_COLLECTORS];
	char collector_urls[JF_MAX_COLLECTORS][300];
	int n_collectors;
	uint32_t template_interval_s;
	uint32_t template_packets;
	uint32_t mtu;
	char source_addr[64];
	uint32_t export_rate;
	enum jf_ipfix_seq ipfix_sequence;
	uint32_t tcp_buffer;
	uint32_t set;			/* JF_EXP_SET_*: what the section gave */
};

#define JF_EXP_SET_TMPL_INTERVAL 0x01
#define JF_EXP_SET_TMPL_PACKETS 0x02
#define JF_EXP_SET_MTU 0x04
#define JF_EXP_SET_SOURCE 0x08
#define JF_EXP_SET_EXPORT_RATE 0x10
#define JF_EXP_SET_IPFIX_SEQ 0x20
#define JF_EXP_SET_TCP_BUFFER 0x40

/* How a monitor's records are made coarser than the packet's key. */
enum jf_aggregation {
	JF_AGG_PROGRAM = 0,	/* the meter masks the key (the kernel holds
				 * one flow per record), the agent where a
				 * lookup needs the whole flow */
	JF_AGG_AGENT,		/* always in the agent, at export */
};

/* A [monitor NAME] section, or the default monitor the command line makes
 * (-i, -n, -t, -s): a record, its exporters, timeouts and sampling,
 * bound to interfaces and directions. */
struct jf_monitor_conf {
	char name[JF_NAME_MAX];
	int line;			/* of [monitor NAME]; 0: the default */
	char record[JF_NAME_MAX];	/* "": default */
	int record_line;
	char exporters[JF_MON_EXPORTERS][JF_NAME_MAX];
	int exporter_lines[JF_MON_EXPORTERS];
	int n_exporters;
	char ifaces[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint8_t iface_dir[JF_MAX_IFACES];	/* JF_DIR_* */
	int n_ifaces;
	uint32_t idle_ms, active_ms, fin_ms;
	uint32_t sample_rate;
	uint32_t domain;		/* IPFIX ODID / v9 Source ID; 0: assigned */
	enum jf_aggregation aggregation;
	char filter[JF_FILTER_MAX];	/* pcap-filter(7); "": every packet */
	int filter_line;
	uint32_t set;			/* JF_MON_SET_*: what the section gave */
};

#define JF_MON_SET_TIMEOUTS 0x01
#define JF_MON_SET_SAMPLE 0x02
#define JF_MON_SET_DOMAIN 0x04
#define JF_MON_SET_FILTER 0x08

struct jf_config {
	char ifaces[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint8_t iface_dir[JF_MAX_IFACES];	/* JF_DIR_* */
	int n_ifaces;
	enum jf_route_lookup route_lookup;
	enum jf_vlan_offload vlan_offload;
	/* NAT router (conntrack): post-NAT fields per flow, NAT event logging. */
	bool nat_lookup;		/* --nat-lookup: IE 225-228, 281/282 per flow */
	char nat_zone_if[JF_MAX_IFACES][JF_IFNAME_MAX];	/* --nat-zone IFACE=ZONE */
	uint16_t nat_zone[JF_MAX_IFACES];
	int n_nat_zones;
	bool nat_events;		/* --nat-events: RFC 8158 session create/delete */
	uint32_t nat_events_buffer;	/* event socket receive buffer, bytes */
	char pcap_file[4096];		/* -r: offline replay */
	struct jf_collector_url collectors[JF_MAX_COLLECTORS];
	char collector_urls[JF_MAX_COLLECTORS][300];
	int n_collectors;

	uint32_t idle_ms;		/* inactive timeout */
	uint32_t active_ms;
	uint32_t fin_ms;		/* linger after FIN/RST */
	uint32_t sample_rate;		/* 1 in N */
	char filter[JF_FILTER_MAX];	/* --filter: pcap-filter(7); "": every packet */
	enum jf_capture_mode mode;
	struct jf_if_map if_maps[JF_MAX_IF_MAPS];	/* mirror: MAC/VLAN -> interface */
	int n_if_maps;
	bool mirror;			/* drop after metering (SPAN port) */
	uint32_t max_flows;		/* flows held: kernel table and agent cache;
					 * 0: from the machine's memory */
	uint32_t table_flows;		/* kernel flow table; see table_flows_set */
	bool table_flows_set;		/* else the table holds max_flows */
	uint32_t min_flows;		/* the table's room at start; 0: the least */
	uint32_t map_flows;		/* each kernel flow map; 0: jf_config_map_flows() */
	uint32_t tick_ms;		/* drain/expiry interval */
	enum jf_quiesce quiesce;	/* how a drain waits out the old epoch */

	uint32_t observation_domain;	/* IPFIX ODID / v9 Source ID */
	uint32_t template_interval_s;	/* template refresh by time */
	uint32_t template_packets;	/* ... and by message count */
	uint32_t mtu;			/* export message size limit */
	char source_addr[64];		/* --source: exporter address */
	uint32_t export_rate;		/* pacing: 0 = none; else local collectors on their
				 * socket (every mode), remote ones at this many
				 * messages/s (file replay) */
	enum jf_ipfix_seq ipfix_sequence;
	uint32_t tcp_buffer;		/* IPFIX over TCP: bytes queued while down */

	char bmp_listen[128];		/* BMP station: ADDR[:PORT]; "": none */
	char as_file[4096];		/* prefix-to-AS file; "": none */
	uint32_t bgp_memory_mb;		/* the BGP RIB's bound */

	char metrics_file[4096];
	char user[64];			/* --user: run as this user after start-up */
	char control_socket[108];	/* --control-socket: jflowctl's Unix socket */
	int verbosity;			/* log level */

	/* The configuration file's sections (src/service/sections.c). */
	char config_file[4096];		/* -c, for FILE:LINE in errors */
	char record[JF_NAME_MAX];	/* --record: the command line's monitor's; "": default */
	struct jf_record_def records[JF_MAX_RECORDS];	/* [record] sections */
	int n_records;
	struct jf_exporter_conf exporters[JF_MAX_EXPORTERS];
	int n_exporters;
	struct jf_monitor_conf monitors[JF_MAX_MONITORS];
	int n_monitors;
	bool check_only;		/* --check-config */
	bool start_condition;		/* --start-condition (the units' ExecCondition=) */
};

void jf_config_defaults(struct jf_config *cfg);

/* Each module's part of the configuration. */
struct jf_exporter_params;
struct jf_meter_params;
struct jf_router_params;
struct jf_nat_params;
struct jf_nat_zone;
void jf_config_exporter_params(const struct jf_config *cfg, bool replay,
			       struct jf_exporter_params *p);
void jf_config_meter_params(const struct jf_config *cfg, struct jf_meter_params *p);
void jf_config_router_params(const struct jf_config *cfg, struct jf_router_params *p);
/* The NAT lookup's zones by interface index (zones: JF_MAX_IFACES). */
void jf_config_nat_params(const struct jf_config *cfg, struct jf_nat_zone *zones,
			  struct jf_nat_params *p);
struct jf_bgp_params;
void jf_config_bgp_params(const struct jf_config *cfg, struct jf_bgp_params *p);

/* Entries of each kernel flow map: --map-flows, or by default, with the
 * persistent table, its stash: a 64th of the table (at least 1024); without
 * it (--table-flows 0) a quarter of the cache (at least 65536, at most the
 * cache): the maps then hold the flows active within one drain interval. */
uint32_t jf_config_map_flows(const struct jf_config *cfg);

/* Flows of the agent's keyed cache: max_flows without the table (pcap, -r,
 * --table-flows 0); with it only what misses the table: four times the
 * stash (--map-flows), at least 65536 and at least max_flows minus a
 * smaller --table-flows, at most max_flows. A full cache exports early
 * (lack of resources), it loses nothing. */
uint32_t jf_config_cache_flows(const struct jf_config *cfg);

/* Flows of the kernel's persistent table: --table-flows, else max_flows
 * (0: the table is off). */
uint32_t jf_config_table_flows(const struct jf_config *cfg);

/* With no --max-flows: flows from the machine's memory (MemTotal bytes),
 * docs/scale.md: MemTotal / 64 at 260 bytes a flow, clamped to
 * [131072, 16777216]. */
uint32_t jf_config_default_max_flows(uint64_t mem_total);

/* Memory the flow state will take (kernel maps and table, agent cache and
 * table shadow), for cfg as given; with pcap only the cache. */
uint64_t jf_config_flow_memory(const struct jf_config *cfg);

/* Fills max_flows when 0 and refuses sizes the machine cannot hold:
 * 0, or -1 with a one-line reason naming the options in err. mem_total and
 * mem_avail: /proc/meminfo's MemTotal and MemAvailable in bytes. */
int jf_config_size(struct jf_config *cfg, uint64_t mem_total, uint64_t mem_avail,
		   char *err, unsigned long errlen);

/* The one memory rule: the flow state of cfg (jf_config_flow_memory) must
 * fit in mem_avail bytes; else -1 and a one-line reason naming the sizes
 * and the option to lower. Start-up checks (src/preflight.c) apply it again
 * with the memory cgroup's room. */
int jf_config_check_memory(const struct jf_config *cfg, uint64_t mem_avail, char *err,
			   unsigned long errlen);

/* MemTotal and MemAvailable from /proc/meminfo; 0 or -errno. */
int jf_config_meminfo(uint64_t *total, uint64_t *avail);

/* Read the configuration file at path into cfg; errors as one line
 * "jflowd: config PATH:LINE: what is wrong" to errout. 0 or -1. */
int jf_config_read_file(struct jf_config *cfg, const char *path, FILE *errout);

/* The settings in effect as jflowd.conf lines (reading them back gives
 * the same settings; sizes as they are after sizing, unset paths as
 * comments) or as a JSON object of the same names (lists as arrays, values
 * as strings, unset as null). */
void jf_config_print_settings(const struct jf_config *cfg, FILE *f, bool json);

/* jf_config_load's answer to --start-condition when the configuration,
 * valid, names nothing to meter (no interface, no capture file). */
#define JF_CONFIG_NOTHING_TO_METER 2

/* Parse a configuration file and then the command line (which overrides
 * it; a list given there, -i or -n, replaces the file's, and the log says
 * so). Returns 0 to run, 1 when --help/--version was printed (or
 * --check-config or --start-condition found the configuration good),
 * JF_CONFIG_NOTHING_TO_METER (--start-condition), or -1 after
 * logging a one-line error (jf_log_init first: under systemd it carries
 * its priority). */
int jf_config_load(struct jf_config *cfg, int argc, char **argv);

/* Reload: the same parse from defaults (the file again, then the same
 * command line), with the one-line error in err instead of on stderr.
 * 0 or -1. */
int jf_config_reload(struct jf_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* "idle=15,active=60,fin=2" into cfg; 0 or -1 with err filled. */
int jf_config_parse_timeouts(struct jf_config *cfg, const char *spec,
			     char *err, unsigned long errlen);

void jf_config_usage(FILE *out);

#endif
