// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The vocabulary of flow records (one row per element) and the needs of
 * its elements, one predicate each over the configuration. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "jflowd/flow.h"
#include "flow/fields.h"
#include "flow/route.h"
#include "service/config.h"

#define L(n) (1u << (n))

/* Key elements of the packet: one value per flow. */
#define PKT(nm, i, ln, ty, fam, pt, fl, txt)                                        \
	{ .name = nm, .id = i, .len = ln, .lens = L(ln), .type = ty, .family = fam,  \
	  .role = JF_ROLE_KEY, .part = pt, .src = JF_SRC_PACKET, .flags = fl, .fills = txt }
/* Non-key elements: counters, times, the export's context. */
#define FLD(nm, i, ln, lset, ty, fam, sr, fl, txt)                                  \
	{ .name = nm, .id = i, .len = ln, .lens = lset, .type = ty, .family = fam,   \
	  .role = JF_ROLE_FIELD, .src = sr, .flags = fl, .fills = txt }
/* Answers of a per-flow lookup: a key or a field. */
#define LKP(nm, i, ln, lset, ty, fam, sr, nd, txt)                                  \
	{ .name = nm, .id = i, .len = ln, .lens = lset, .type = ty, .family = fam,   \
	  .role = JF_ROLE_EITHER, .src = sr, .needs = nd, .fills = txt }

const struct jf_ie_def jf_ies[] = {
	/* The flow key, from the parser. */
	PKT("sourceIPv4Address", 8, 4, JF_IET_IPV4, JF_IEF_IPV4, JF_KP_SRC, JF_IE_PREFIX,
	    "the packet's source address (/N: its network)"),
	PKT("destinationIPv4Address", 12, 4, JF_IET_IPV4, JF_IEF_IPV4, JF_KP_DST, JF_IE_PREFIX,
	    "the packet's destination address (/N: its network)"),
	PKT("sourceIPv6Address", 27, 16, JF_IET_IPV6, JF_IEF_IPV6, JF_KP_SRC, JF_IE_PREFIX,
	    "the packet's source address (/N: its network)"),
	PKT("destinationIPv6Address", 28, 16, JF_IET_IPV6, JF_IEF_IPV6, JF_KP_DST, JF_IE_PREFIX,
	    "the packet's destination address (/N: its network)"),
	PKT("ipClassOfService", 5, 1, JF_IET_UNSIGNED8, JF_IEF_ANY, JF_KP_TOS, 0,
	    "IPv4 ToS byte, IPv6 traffic class"),
	PKT("protocolIdentifier", 4, 1, JF_IET_UNSIGNED8, JF_IEF_ANY, JF_KP_PROTO, 0,
	    "IP protocol (after IPv6 extension headers)"),
	PKT("sourceTransportPort", 7, 2, JF_IET_UNSIGNED16, JF_IEF_ANY, JF_KP_SPORT, 0,
	    "TCP, UDP, UDP-Lite, SCTP, DCCP source port; 0 otherwise"),
	PKT("destinationTransportPort", 11, 2, JF_IET_UNSIGNED16, JF_IEF_ANY, JF_KP_DPORT, 0,
	    "destination port; ICMP type * 256 + code"),
	PKT("icmpTypeCodeIPv4", 32, 2, JF_IET_UNSIGNED16, JF_IEF_IPV4, JF_KP_DPORT, 0,
	    "ICMP type * 256 + code; 0 for other protocols"),
	{ .name = "icmpTypeCodeIPv6", .id = 139, .v9_id = 32, .len = 2, .lens = L(2),
	  .type = JF_IET_UNSIGNED16, .family = JF_IEF_IPV6, .role = JF_ROLE_KEY,
	  .part = JF_KP_DPORT, .src = JF_SRC_PACKET,
	  .fills = "ICMPv6 type * 256 + code; 0 for other protocols (v9: field 32)" },
	PKT("ingressInterface", 10, 4, JF_IET_UNSIGNED32, JF_IEF_ANY, JF_KP_IFINDEX, 0,
	    "ifindex the packet came in on (0: metered on egress); a mirror mapping's index"),
	PKT("vlanId", 58, 2, JF_IET_UNSIGNED16, JF_IEF_ANY, JF_KP_VLAN, 0,
	    "outer 802.1Q/802.1ad VLAN id (also a tag the NIC stripped), 0 untagged"),
	PKT("dot1qVlanId", 243, 2, JF_IET_UNSIGNED16, JF_IEF_ANY, JF_KP_VLAN, 0,
	    "outer VLAN id, as Juniper sends it (the value of vlanId)"),
	PKT("dot1qCustomerVlanId", 245, 2, JF_IET_UNSIGNED16, JF_IEF_ANY, JF_KP_INNER_VLAN, 0,
	    "inner VLAN id (QinQ), 0 without"),
	PKT("mplsTopLabelStackSection", 70, 3, JF_IET_OCTETS, JF_IEF_ANY, JF_KP_MPLS1, JF_IE_MPLS,
	    "top MPLS label stack entry: label, exp, bottom of stack"),
	PKT("mplsLabelStackSection2", 71, 3, JF_IET_OCTETS, JF_IEF_ANY, JF_KP_MPLS2, JF_IE_MPLS,
	    "second MPLS label stack entry"),
	PKT("mplsLabelStackSection3", 72, 3, JF_IET_OCTETS, JF_IEF_ANY, JF_KP_MPLS3, JF_IE_MPLS,
	    "third MPLS label stack entry"),

	/* Router mode's forwarding lookup, once per flow. */
	LKP("egressInterface", 14, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY, JF_SRC_ROUTE,
	    JF_NEED_OUTPUT, "output ifindex: router mode's lookup, the metering interface "
	    "of egress traffic, a mirror mapping"),
	LKP("ipNextHopIPv4Address", 15, 4, L(4), JF_IET_IPV4, JF_IEF_IPV4, JF_SRC_ROUTE,
	    JF_NEED_ROUTER, "next hop of the route (0: directly connected)"),
	LKP("ipNextHopIPv6Address", 62, 16, L(16), JF_IET_IPV6, JF_IEF_IPV6, JF_SRC_ROUTE,
	    JF_NEED_ROUTER, "next hop of the route (:: directly connected)"),
	LKP("sourceIPv4PrefixLength", 9, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_IPV4, JF_SRC_ROUTE,
	    JF_NEED_ROUTER, "prefix length of the route to the source; N of a /N key"),
	LKP("destinationIPv4PrefixLength", 13, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_IPV4,
	    JF_SRC_ROUTE, JF_NEED_ROUTER,
	    "prefix length of the route to the destination; N of a /N key"),
	LKP("sourceIPv6PrefixLength", 29, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_IPV6, JF_SRC_ROUTE,
	    JF_NEED_ROUTER, "prefix length of the route to the source; N of a /N key"),
	LKP("destinationIPv6PrefixLength", 30, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_IPV6,
	    JF_SRC_ROUTE, JF_NEED_ROUTER,
	    "prefix length of the route to the destination; N of a /N key"),
	LKP("forwardingStatus", 89, 1, L(1) | L(4), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_ROUTE,
	    JF_NEED_ROUTER, "RFC 7270: 64 forwarded, 131 no route, 195 for the router itself"),

	/* The BGP lookup (issue 20 fills these through src/flow/enrich.h). */
	LKP("bgpSourceAsNumber", 16, 4, L(2) | L(4), JF_IET_UNSIGNED32, JF_IEF_ANY, JF_SRC_BGP,
	    JF_NEED_BGP, "origin AS of the route to the source"),
	LKP("bgpDestinationAsNumber", 17, 4, L(2) | L(4), JF_IET_UNSIGNED32, JF_IEF_ANY,
	    JF_SRC_BGP, JF_NEED_BGP, "origin AS of the route to the destination"),
	LKP("bgpNextHopIPv4Address", 18, 4, L(4), JF_IET_IPV4, JF_IEF_IPV4, JF_SRC_BGP,
	    JF_NEED_BGP, "BGP next hop of the route to the destination"),
	LKP("bgpNextHopIPv6Address", 63, 16, L(16), JF_IET_IPV6, JF_IEF_IPV6, JF_SRC_BGP,
	    JF_NEED_BGP, "BGP next hop of the route to the destination"),
	LKP("bgpNextAdjacentAsNumber", 128, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY, JF_SRC_BGP,
	    JF_NEED_BGP, "first AS of the path to the destination"),
	LKP("bgpPrevAdjacentAsNumber", 129, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY, JF_SRC_BGP,
	    JF_NEED_BGP, "first AS of the path to the source"),

	/* The conntrack lookup (issue 21 fills these through src/flow/enrich.h). */
	LKP("postNATSourceIPv4Address", 225, 4, L(4), JF_IET_IPV4, JF_IEF_IPV4, JF_SRC_NAT,
	    JF_NEED_CONNTRACK, "source address after NAT"),
	LKP("postNATDestinationIPv4Address", 226, 4, L(4), JF_IET_IPV4, JF_IEF_IPV4, JF_SRC_NAT,
	    JF_NEED_CONNTRACK, "destination address after NAT"),
	LKP("postNAPTSourceTransportPort", 227, 2, L(2), JF_IET_UNSIGNED16, JF_IEF_ANY,
	    JF_SRC_NAT, JF_NEED_CONNTRACK, "source port after NAPT"),
	LKP("postNAPTDestinationTransportPort", 228, 2, L(2), JF_IET_UNSIGNED16, JF_IEF_ANY,
	    JF_SRC_NAT, JF_NEED_CONNTRACK, "destination port after NAPT"),
	LKP("postNATSourceIPv6Address", 281, 16, L(16), JF_IET_IPV6, JF_IEF_IPV6, JF_SRC_NAT,
	    JF_NEED_CONNTRACK, "source address after NAT"),
	LKP("postNATDestinationIPv6Address", 282, 16, L(16), JF_IET_IPV6, JF_IEF_IPV6,
	    JF_SRC_NAT, JF_NEED_CONNTRACK, "destination address after NAT"),

	/* The meter's counters, merged packet by packet. */
	FLD("octetDeltaCount", 1, 8, L(4) | L(8), JF_IET_UNSIGNED64, JF_IEF_ANY,
	    JF_SRC_COUNTERS, 0, "IP octets (header and payload) since the last record"),
	FLD("packetDeltaCount", 2, 8, L(4) | L(8), JF_IET_UNSIGNED64, JF_IEF_ANY,
	    JF_SRC_COUNTERS, 0, "packets since the last record"),
	FLD("tcpControlBits", 6, 1, L(1) | L(2), JF_IET_UNSIGNED16, JF_IEF_ANY, JF_SRC_COUNTERS,
	    0, "OR of the TCP flags of the flow's packets"),
	FLD("minimumTTL", 52, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_COUNTERS, 0,
	    "lowest IPv4 TTL / IPv6 hop limit"),
	FLD("maximumTTL", 53, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_COUNTERS, 0,
	    "highest IPv4 TTL / IPv6 hop limit"),
	FLD("flowLabelIPv6", 31, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_IPV6, JF_SRC_COUNTERS, 0,
	    "IPv6 flow label of the last packet that had one"),
	FLD("fragmentIdentification", 54, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY,
	    JF_SRC_COUNTERS, 0, "identification of the last packet: the IPv4 header's, "
	    "an IPv6 fragment header's (0 without)"),

	/* Times of the flow's first and last packet in the record. */
	{ .name = "flowStartMilliseconds", .id = 152, .v9_id = 22, .v9_len = 4, .len = 8,
	  .lens = L(8), .type = JF_IET_MILLISECONDS, .role = JF_ROLE_FIELD,
	  .src = JF_SRC_TIMES,
	  .fills = "first packet, Unix ms (v9: flowStartSysUpTime, field 22)" },
	{ .name = "flowEndMilliseconds", .id = 153, .v9_id = 21, .v9_len = 4, .len = 8,
	  .lens = L(8), .type = JF_IET_MILLISECONDS, .role = JF_ROLE_FIELD,
	  .src = JF_SRC_TIMES,
	  .fills = "last packet, Unix ms (v9: flowEndSysUpTime, field 21)" },
	FLD("flowStartSeconds", 150, 4, L(4), JF_IET_SECONDS, JF_IEF_ANY, JF_SRC_TIMES, 0,
	    "first packet, Unix seconds"),
	FLD("flowEndSeconds", 151, 4, L(4), JF_IET_SECONDS, JF_IEF_ANY, JF_SRC_TIMES, 0,
	    "last packet, Unix seconds"),
	FLD("flowDurationMilliseconds", 161, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY,
	    JF_SRC_TIMES, 0, "last packet minus first, ms"),

	/* What the export knows. */
	FLD("flowEndReason", 136, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_EXPORT, 0,
	    "1 idle, 2 active timeout, 3 TCP FIN/RST, 4 forced, 5 cache full"),
	FLD("ipVersion", 60, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_EXPORT, 0,
	    "4 or 6 (a key of every record)"),
	FLD("flowDirection", 61, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_EXPORT, 0,
	    "0 ingress, 1 egress (IFACE:out) (a key of every record)"),
	FLD("samplingInterval", 34, 4, L(4), JF_IET_UNSIGNED32, JF_IEF_ANY, JF_SRC_EXPORT,
	    JF_IE_SAMPLED, "the monitor's N of 1-in-N sampling (only when it samples)"),
	FLD("samplingAlgorithm", 35, 1, L(1), JF_IET_UNSIGNED8, JF_IEF_ANY, JF_SRC_EXPORT,
	    JF_IE_SAMPLED, "2, random (only when the monitor samples)"),
};

const size_t jf_n_ies = sizeof(jf_ies) / sizeof(jf_ies[0]);

const struct jf_ie_def *jf_ie_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < jf_n_ies; i++)
		if (!strcmp(jf_ies[i].name, name))
			return &jf_ies[i];
	return NULL;
}

const struct jf_ie_def *jf_ie_by_id(uint16_t id)
{
	size_t i;

	for (i = 0; i < jf_n_ies; i++)
		if (jf_ies[i].id == id)
			return &jf_ies[i];
	return NULL;
}

/* Edit distance, case-insensitive, capped (names are short). */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[64], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned prev = row[0], cur;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned sub = prev + (strncasecmp(a + i - 1, b + j - 1, 1) != 0);

			cur = row[j];
			row[j] = sub;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb];
}

const struct jf_ie_def *jf_ie_suggest(const char *name)
{
	const struct jf_ie_def *best = NULL;
	unsigned d, best_d = 4;
	size_t i;

	for (i = 0; i < jf_n_ies; i++) {
		d = distance(name, jf_ies[i].name);
		if (d < best_d) {
			best_d = d;
			best = &jf_ies[i];
		}
	}
	return best;
}

uint16_t jf_ie_wire_id(const struct jf_ie_def *e, bool v9)
{
	return v9 && e->v9_id ? e->v9_id : e->id;
}

uint8_t jf_ie_wire_len(const struct jf_ie_def *e, uint8_t len, bool v9)
{
	return v9 && e->v9_len ? e->v9_len : len;
}

bool jf_ie_len_ok(const struct jf_ie_def *e, unsigned len)
{
	return len < 32 && (e->lens & L(len));
}

const char *jf_ie_type_name(uint8_t type)
{
	static const char *const names[] = {
		[JF_IET_UNSIGNED8] = "unsigned8", [JF_IET_UNSIGNED16] = "unsigned16",
		[JF_IET_UNSIGNED32] = "unsigned32", [JF_IET_UNSIGNED64] = "unsigned64",
		[JF_IET_IPV4] = "ipv4Address", [JF_IET_IPV6] = "ipv6Address",
		[JF_IET_OCTETS] = "octetArray", [JF_IET_MILLISECONDS] = "dateTimeMilliseconds",
		[JF_IET_SECONDS] = "dateTimeSeconds",
	};
	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "?";
}

const char *jf_ie_src_name(uint8_t src)
{
	static const char *const names[] = {
		[JF_SRC_PACKET] = "packet", [JF_SRC_COUNTERS] = "counters",
		[JF_SRC_TIMES] = "times", [JF_SRC_ROUTE] = "route lookup",
		[JF_SRC_BGP] = "BGP lookup", [JF_SRC_NAT] = "conntrack lookup",
		[JF_SRC_EXPORT] = "export",
	};
	return src < sizeof(names) / sizeof(names[0]) && names[src] ? names[src] : "?";
}

void jf_ie_format_key(const struct jf_ie_def *e, const struct jf_key *k, unsigned prefix,
		      char *out, size_t n)
{
	const uint32_t *addr = e->part == JF_KP_SRC ? k->src : k->dst;
	char a[INET6_ADDRSTRLEN];
	unsigned long v = 0;

	out[0] = '\0';
	if (e->family && e->family != k->family)
		return;
	switch (e->part) {
	case JF_KP_SRC:
	case JF_KP_DST:
		inet_ntop(k->family == JF_FAMILY_IPV6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
		if (prefix)
			snprintf(out, n, "%s/%u", a, prefix);
		else
			snprintf(out, n, "%s", a);
		return;
	case JF_KP_SPORT:
		v = k->sport;
		break;
	case JF_KP_DPORT:
		v = k->dport;
		if (e->id == 32 || e->id == 139)	/* ICMP type/code: 0 otherwise */
			v = k->proto == 1 || k->proto == 58 ? k->dport : 0;
		break;
	case JF_KP_PROTO:
		v = k->proto;
		break;
	case JF_KP_TOS:
		v = k->tos;
		break;
	case JF_KP_IFINDEX:
		v = k->ifindex;
		break;
	case JF_KP_VLAN:
		v = k->vlan;
		break;
	case JF_KP_INNER_VLAN:
		v = k->inner_vlan;
		break;
	case JF_KP_MPLS1:
	case JF_KP_MPLS2:
	case JF_KP_MPLS3:
		v = k->mpls[e->part - JF_KP_MPLS1] >> 4;	/* the label */
		break;
	default:
		return;
	}
	snprintf(out, n, "%lu", v);
}

/* --- needs --- */

bool jf_have_bgp_source(const struct jf_config *cfg)
{
	return cfg->bmp_listen[0] || cfg->as_file[0];
}

bool jf_have_conntrack(const struct jf_config *cfg)
{
	return cfg->nat_lookup;
}

/* Router mode, as jf_router_setup() decides it: asked for, or (auto)
 * forwarding on for a metered interface. A replay has none. */
static bool need_router(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	int i;

	(void)m;
	if (cfg->pcap_file[0] || cfg->route_lookup == JF_ROUTE_OFF)
		return false;
	if (cfg->route_lookup == JF_ROUTE_ON)
		return true;
	for (i = 0; i < cfg->n_ifaces; i++)
		if (jf_router_forwarding(cfg->ifaces[i]))
			return true;
	return false;
}

/* The output interface: router mode, the monitor's own egress metering
 * (its records of egress traffic), or a mirror mapping of router MACs. */
static bool need_output(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	int i;

	if (need_router(cfg, m))
		return true;
	if (cfg->mirror && cfg->n_if_maps)
		return true;
	for (i = 0; m && i < m->n_ifaces; i++)
		if (m->iface_dir[i] & JF_DIR_OUT)
			return true;
	return false;
}

static bool need_bgp(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	(void)m;
	return jf_have_bgp_source(cfg);
}

/* A mirror port sees packets on the wire, before or after a NAT it does
 * not do: conntrack has nothing about them. */
static bool need_conntrack(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	(void)m;
	return jf_have_conntrack(cfg) && !cfg->mirror;
}

static const struct {
	uint32_t need;
	bool (*met)(const struct jf_config *cfg, const struct jf_monitor_conf *m);
	const char *text;
} needs[JF_NEED_COUNT] = {
	{ JF_NEED_ROUTER, need_router, "router mode (--route-lookup on, or forwarding on "
	  "for a metered interface)" },
	{ JF_NEED_OUTPUT, need_output, "router mode (--route-lookup on), egress metering "
	  "(interface IFACE:out) or a mirror mapping (--map-mac)" },
	{ JF_NEED_BGP, need_bgp, "a BGP source" },
	{ JF_NEED_CONNTRACK, need_conntrack, "conntrack: --nat-lookup on the NAT router "
	  "itself (a mirror port sees no translation of its own)" },
};

uint32_t jf_needs_unmet(const struct jf_config *cfg, const struct jf_monitor_conf *m)
{
	uint32_t unmet = 0;
	int i;

	for (i = 0; i < JF_NEED_COUNT; i++)
		if (!needs[i].met(cfg, m))
			unmet |= needs[i].need;
	return unmet;
}

const char *jf_need_text(uint32_t need)
{
	int i;

	for (i = 0; i < JF_NEED_COUNT; i++)
		if (need & needs[i].need)
			return needs[i].text;
	return "nothing";
}
