// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* How much flow state a configuration takes, sized from the machine's
 * memory when not asked for, and refused at start when it cannot fit. */
#include <errno.h>
#include <stdio.h>
#include "service/config.h"
#include "flow/flow_cache.h"
#include "flow/route.h"
#include "meter/flow_table.h"
#include "service/memlimit.h"

/* Bytes of one element of a preallocated BPF hash map with jflowd's key and
 * value, as the kernel accounts it (fdinfo memlock / max_entries, 6.18). */
#define STASH_ENTRY_BYTES 176u
#define SPILL_RING_BYTES (4u << 20)

#define JF_PCAP_MAX_FLOWS 131072u	/* cache of the libpcap paths by default */

static uint32_t max_flows_of(const struct jf_config *cfg)
{
	uint64_t total, avail;

	if (cfg->max_flows)
		return cfg->max_flows;
	if (cfg->mode == JF_MODE_PCAP || cfg->pcap_file[0])
		return JF_PCAP_MAX_FLOWS;
	if (jf_config_meminfo(&total, &avail))
		return jf_config_default_max_flows(0);
	return jf_config_default_max_flows(total);
}

uint32_t jf_config_table_flows(const struct jf_config *cfg)
{
	return cfg->table_flows_set ? cfg->table_flows : max_flows_of(cfg);
}

uint32_t jf_config_default_max_flows(uint64_t mem_total)
{
	return jf_table_default_flows(mem_total);
}

uint32_t jf_config_map_flows(const struct jf_config *cfg)
{
	uint32_t max_flows = max_flows_of(cfg);
	uint32_t table = jf_config_table_flows(cfg);
	uint32_t n = max_flows / 4;

	if (cfg->map_flows)
		return cfg->map_flows;
	if (table)
		return table / 64 > 1024 ? table / 64 : 1024;
	if (n < 65536)
		n = 65536;
	return n < max_flows ? n : max_flows;
}

uint32_t jf_config_cache_flows(const struct jf_config *cfg)
{
	uint32_t max_flows = max_flows_of(cfg), table = jf_config_table_flows(cfg);
	uint64_t n;

	if (cfg->mode == JF_MODE_PCAP || cfg->pcap_file[0] || !table)
		return max_flows;
	/* With the table the cache holds only what missed it: the stash's
	 * and the TC egress program's flows (at most map_flows a drain
	 * interval) and spilled packets. Four intervals' worth, and what
	 * --max-flows asks for beyond a smaller --table-flows; a full cache
	 * exports its least recently updated flow early (end reason lack of
	 * resources), it never drops a packet. */
	n = 4ull * jf_config_map_flows(cfg);
	if (n < 65536)
		n = 65536;
	if (table < max_flows && n < (uint64_t)max_flows - table)
		n = (uint64_t)max_flows - table;
	return n < max_flows ? (uint32_t)n : max_flows;
}

/* Table slots' agent memory: the shadow, and router mode's answers when
 * asked for (auto mode adds them only on a forwarding host: the metric
 * jflowd_memory_bytes says what was taken). */
static uint64_t table_agent_bytes(const struct jf_config *cfg, uint64_t slots)
{
	uint64_t per = jf_table_shadow_bytes_per_slot();

	if (cfg->route_lookup == JF_ROUTE_ON)
		per += jf_table_route_bytes_per_slot();
	return slots * per + jf_table_batch_bytes((uint32_t)slots);
}

uint64_t jf_config_flow_memory(const struct jf_config *cfg)
{
	uint64_t per = jf_cache_bytes_per_flow() +
		       (cfg->route_lookup == JF_ROUTE_ON ? sizeof(struct jf_route) : 0);
	uint64_t b = (uint64_t)jf_config_cache_flows(cfg) * per;
	uint64_t slots = jf_table_slots_for(jf_config_table_flows(cfg));

	if (cfg->mode == JF_MODE_PCAP || cfg->pcap_file[0])
		return b;
	if (slots)
		b += slots * JF_SLOT_BYTES + table_agent_bytes(cfg, slots);
	b += 2ull * jf_config_map_flows(cfg) * STASH_ENTRY_BYTES + SPILL_RING_BYTES;
	return b;
}

int jf_config_meminfo(uint64_t *total, uint64_t *avail)
{
	return jf_memlimit(NULL, total, avail);
}

int jf_config_check_memory(const struct jf_config *cfg, uint64_t mem_avail, char *err,
			    unsigned long errlen)
{
	uint64_t need = jf_config_flow_memory(cfg);
	uint64_t stash = 2ull * jf_config_map_flows(cfg) * STASH_ENTRY_BYTES;
	uint64_t table;
	const char *lower = "--max-flows";

	if (need <= mem_avail)
		return 0;
	/* The remedy names the option behind most of it. */
	if (cfg->mode != JF_MODE_PCAP && !cfg->pcap_file[0]) {
		table = jf_table_slots_for(jf_config_table_flows(cfg));
		table = table * JF_SLOT_BYTES + table_agent_bytes(cfg, table);
		if (stash > need / 2)
			lower = "--map-flows";
		else if (cfg->table_flows_set && table > need / 2)
			lower = "--table-flows";
	}
	snprintf(err, errlen, "the flow tables would take %.1f GiB (--max-flows %u, "
		 "--table-flows %u, --map-flows %u), more than the %.1f GiB of memory "
		 "available: lower %s (available: MemAvailable, under every memory cgroup "
		 "limit above jflowd)", need / 1073741824.0, cfg->max_flows,
		 jf_config_table_flows(cfg), jf_config_map_flows(cfg),
		 mem_avail / 1073741824.0, lower);
	return -1;
}

int jf_config_size(struct jf_config *cfg, uint64_t mem_total, uint64_t mem_avail,
		   char *err, unsigned long errlen)
{
	/* The cache alone (libpcap, replay) loses nothing when full: it
	 * exports early. A big one only spreads a replay's flows over more
	 * memory. The kernel table must hold every flow: size it from memory. */
	if (!cfg->max_flows)
		cfg->max_flows = cfg->mode == JF_MODE_PCAP || cfg->pcap_file[0] ?
				 JF_PCAP_MAX_FLOWS : jf_config_default_max_flows(mem_total);
	if (cfg->mode != JF_MODE_PCAP && !cfg->pcap_file[0] &&
	    cfg->min_flows > jf_config_table_flows(cfg)) {
		snprintf(err, errlen, "--min-flows %u is more than the flow table holds at its "
			 "largest (%u flows: --table-flows, else --max-flows): lower --min-flows",
			 cfg->min_flows, jf_config_table_flows(cfg));
		return -1;
	}
	/* Nothing is allocated yet: a size the machine cannot hold is refused
	 * here rather than met by the OOM killer while the maps are made. */
	return jf_config_check_memory(cfg, mem_avail, err, errlen);
}

