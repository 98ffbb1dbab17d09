// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of router mode's agent side: the per-interface direction
 * syntax (command line and file), the route-lookup option, and the flow
 * cache's per-flow forwarding result and direction in the records; the
 * vlan-offload option. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "service/config.h"
#include "../lib/config_load.h"
#include "flow/flow_cache.h"
#include "meter/meter.h"
#include "meter/mirror.h"


static void test_iface_direction(void **state)
{
	struct jf_config c;

	(void)state;
	assert_int_equal(LOAD(&c, "-i", "eth0", "-i", "eth1:out", "-i", "eth2:both",
			      "-i", "eth3:in", "-n", "ipfix://h"), 0);
	assert_int_equal(c.n_ifaces, 4);
	assert_string_equal(c.ifaces[1], "eth1");
	assert_string_equal(c.ifaces[2], "eth2");
	assert_int_equal(c.iface_dir[0], JF_DIR_IN);
	assert_int_equal(c.iface_dir[1], JF_DIR_OUT);
	assert_int_equal(c.iface_dir[2], JF_DIR_IN | JF_DIR_OUT);
	assert_int_equal(c.iface_dir[3], JF_DIR_IN);
	assert_int_equal(c.route_lookup, JF_ROUTE_AUTO);
	assert_int_equal(LOAD(&c, "-i", "eth0:sideways", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-i", ":out", "-n", "ipfix://h"), -1);
	/* libpcap sees no egress of its own: refused, not ignored. */
	assert_int_equal(LOAD(&c, "-i", "eth0:out", "-m", "pcap", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--route-lookup", "off", "-n", "ipfix://h"), 0);
	assert_int_equal(c.route_lookup, JF_ROUTE_OFF);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--route-lookup", "on", "-n", "ipfix://h"), 0);
	assert_int_equal(c.route_lookup, JF_ROUTE_ON);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--route-lookup", "maybe", "-n", "ipfix://h"), -1);
}

static void test_iface_direction_file(void **state)
{
	char path[] = "/tmp/jflowd-test-router.XXXXXX";
	struct jf_config c;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "interface = ge0:both\ninterface = ge1\nroute-lookup = on\n"
		   "collector = ipfix://10.0.0.1\nmirror = true\n"
		   "map-mac = 02:00:00:00:0a:01=10,ge-0/0/1,uplink A\n");
	fclose(f);
	assert_int_equal(LOAD(&c, "-c", path), 0);
	unlink(path);
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[0], "ge0");
	assert_int_equal(c.iface_dir[0], JF_DIR_IN | JF_DIR_OUT);
	assert_int_equal(c.iface_dir[1], JF_DIR_IN);
	assert_int_equal(c.route_lookup, JF_ROUTE_ON);
	assert_int_equal(c.n_if_maps, 1);
	assert_int_equal(c.if_maps[0].index, 10);
	assert_string_equal(c.if_maps[0].descr, "uplink A");
}

/* --vlan-offload: auto by default, off, nothing else; in the file too. */
static void test_vlan_offload_option(void **state)
{
	char path[] = "/tmp/jflowd-test-vlan.XXXXXX";
	struct jf_meter_params mp;
	struct jf_config c;
	int fd;
	FILE *f;

	(void)state;
	assert_int_equal(LOAD(&c, "-i", "eth0", "-n", "ipfix://h"), 0);
	assert_int_equal(c.vlan_offload, JF_VLAN_OFFLOAD_AUTO);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--vlan-offload", "off", "-n", "ipfix://h"), 0);
	assert_int_equal(c.vlan_offload, JF_VLAN_OFFLOAD_OFF);
	jf_config_meter_params(&c, &mp);
	assert_int_equal(mp.vlan_offload, JF_VLAN_OFFLOAD_OFF);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--vlan-offload", "auto", "-n", "ipfix://h"), 0);
	assert_int_equal(c.vlan_offload, JF_VLAN_OFFLOAD_AUTO);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--vlan-offload", "on", "-n", "ipfix://h"), -1);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "interface = eth0\nvlan-offload = off\ncollector = ipfix://10.0.0.1\n");
	fclose(f);
	assert_int_equal(LOAD(&c, "-c", path), 0);
	unlink(path);
	assert_int_equal(c.vlan_offload, JF_VLAN_OFFLOAD_OFF);
}

struct seen {
	int n;
	struct jf_record rec[4];
	int lookups;
};

static void emit(const struct jf_record *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->rec[s->n++] = *r;
}

/* A fake of the kernel's answer: the hook's contract is "called once per
 * flow as it enters the cache, result kept until it leaves". */
static void route_fn(const struct jf_key *k, struct jf_route *out, void *arg)
{
	struct seen *s = arg;

	s->lookups++;
	memset(out, 0, sizeof(*out));
	out->oif = 7 + (k->flags & JF_KEY_EGRESS ? 1 : 0);
	inet_pton(AF_INET, "192.0.2.254", out->next_hop);
	out->src_len = 24;
	out->dst_len = 16;
	out->fwd_status = JF_FWD_FORWARDED;
}

static void test_cache_route_and_direction(void **state)
{
	struct jf_cache_params p = { .max_flows = 64, .idle_ms = 1000, .active_ms = 60000,
				     .fin_ms = 1000 };
	struct jf_flow u = { .packets = 1, .octets = 100, .first_ms = 1, .last_ms = 1,
			       .ttl_min = 64, .ttl_max = 64 };
	struct seen s = { 0 };
	struct jf_flow_cache *c;
	struct jf_key k;
	uint32_t nh;

	(void)state;
	c = jf_cache_new(&p, emit, &s);
	assert_non_null(c);
	assert_int_equal(jf_cache_set_route_fn(c, route_fn, &s), 0);
	memset(&k, 0, sizeof(k));
	k.family = JF_FAMILY_IPV4;
	k.proto = 17;
	k.ifindex = 3;
	jf_cache_update(c, &k, &u, 10);
	jf_cache_update(c, &k, &u, 20);		/* same flow: no second lookup */
	k.flags = JF_KEY_EGRESS;		/* sent by the router on ifindex 3 */
	jf_cache_update(c, &k, &u, 30);
	assert_int_equal(s.lookups, 2);
	assert_int_equal(jf_cache_flush(c, JF_END_FORCED), 2);
	assert_int_equal(s.n, 2);
	/* ingress: in 3, out from the lookup */
	assert_int_equal(s.rec[0].key.ifindex, 3);
	assert_int_equal(s.rec[0].egress_ifindex, 7);
	assert_int_equal(s.rec[0].direction, 0);
	assert_int_equal(s.rec[0].packets, 2);
	assert_int_equal(s.rec[0].src_mask, 24);
	assert_int_equal(s.rec[0].dst_mask, 16);
	assert_int_equal(s.rec[0].fwd_status, JF_FWD_FORWARDED);
	inet_pton(AF_INET, "192.0.2.254", &nh);
	assert_int_equal(s.rec[0].next_hop[0], nh);
	/* egress: from the router itself (in 0), out the metering interface */
	assert_int_equal(s.rec[1].direction, 1);
	assert_int_equal(s.rec[1].key.ifindex, 0);
	assert_int_equal(s.rec[1].egress_ifindex, 3);
	jf_cache_free(c);
}

/* Without router mode a record says nothing it does not know. */
static void test_cache_without_route(void **state)
{
	struct jf_cache_params p = { .max_flows = 8, .idle_ms = 1000, .active_ms = 60000,
				     .fin_ms = 1000 };
	struct jf_flow u = { .packets = 1, .octets = 100 };
	struct seen s = { 0 };
	struct jf_flow_cache *c = jf_cache_new(&p, emit, &s);
	struct jf_key k;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.family = JF_FAMILY_IPV4;
	k.ifindex = 5;
	jf_cache_update(c, &k, &u, 10);
	jf_cache_flush(c, JF_END_FORCED);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].egress_ifindex, 0);
	assert_int_equal(s.rec[0].fwd_status, 0);
	assert_int_equal(s.rec[0].next_hop[0], 0);
	assert_int_equal(s.rec[0].direction, 0);
	jf_cache_free(c);
}

static void test_mirror_map_syntax(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x0a, 0x01 };
	struct jf_config c;
	struct jf_if_map m;
	char err[256];

	(void)state;
	assert_int_equal(jf_mirror_parse_map("02:00:00:00:0a:01=10,ge-0/0/1,uplink, to core",
					     JF_MAP_MAC, &m, err, sizeof(err)), 0);
	assert_memory_equal(m.mac, mac, 6);
	assert_int_equal(m.index, 10);
	assert_string_equal(m.name, "ge-0/0/1");
	assert_string_equal(m.descr, "uplink, to core");
	assert_int_equal(jf_mirror_parse_map("300=30,ge-0/0/3.300", JF_MAP_VLAN, &m, err,
					     sizeof(err)), 0);
	assert_int_equal(m.vlan, 300);
	assert_string_equal(m.descr, "ge-0/0/3.300");	/* no description: the name */
	assert_int_equal(jf_mirror_parse_map("02:00:00:00:0a=10,x", JF_MAP_MAC, &m, err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(jf_mirror_parse_map("02:00:00:00:0a:01=0,x", JF_MAP_MAC, &m, err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(jf_mirror_parse_map("02:00:00:00:0a:01=5", JF_MAP_MAC, &m, err,
					     sizeof(err)), -EINVAL);
	assert_int_equal(jf_mirror_parse_map("4095=5,x", JF_MAP_VLAN, &m, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--mirror", "--map-vlan", "7=70,v7",
			      "-n", "ipfix://h"), 0);
	assert_int_equal(c.n_if_maps, 1);
	assert_int_equal(c.if_maps[0].index, 70);
	/* a map without --mirror, and --mirror with libpcap: refused */
	assert_int_equal(LOAD(&c, "-i", "eth0", "--map-vlan", "7=70,v7", "-n", "ipfix://h"), -1);
	assert_int_equal(LOAD(&c, "-i", "eth0", "--mirror", "-m", "pcap", "-n", "ipfix://h"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iface_direction),
		cmocka_unit_test(test_iface_direction_file),
		cmocka_unit_test(test_vlan_offload_option),
		cmocka_unit_test(test_cache_route_and_direction),
		cmocka_unit_test(test_cache_without_route),
		cmocka_unit_test(test_mirror_map_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
