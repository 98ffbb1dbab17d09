/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The vocabulary of flow records: one row per IPFIX information element
 * jflowd can fill, with its IANA name, element ID, lengths, type, family,
 * whether it can be a key, what fills it and what it needs. The
 * configuration, the template builder, --check-config, the man page and
 * jflowctl all read this one table (docs/records.md). */
#ifndef JFLOWD_FIELDS_H
#define JFLOWD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA abstract data types of the elements jflowd fills. */
enum jf_ie_type {
	JF_IET_UNSIGNED8 = 0,
	JF_IET_UNSIGNED16,
	JF_IET_UNSIGNED32,
	JF_IET_UNSIGNED64,
	JF_IET_IPV4,
	JF_IET_IPV6,
	JF_IET_OCTETS,		/* octetArray: an MPLS label stack entry */
	JF_IET_MILLISECONDS,	/* dateTimeMilliseconds */
	JF_IET_SECONDS,		/* dateTimeSeconds */
};

/* The flows an element applies to. */
enum jf_ie_family {
	JF_IEF_ANY = 0,
	JF_IEF_IPV4 = 4,
	JF_IEF_IPV6 = 6,
};

/* Where an element may stand in a record. */
enum jf_ie_role {
	JF_ROLE_KEY = 0,	/* a packet header field: a flow has one value of it */
	JF_ROLE_FIELD,		/* counters, times, context: never a key */
	JF_ROLE_EITHER,		/* a per-flow lookup's answer: a key or a field */
};

/* The part of the flow key (struct jf_key) a key element keeps. */
enum jf_key_part {
	JF_KP_NONE = 0,
	JF_KP_SRC,
	JF_KP_DST,
	JF_KP_SPORT,
	JF_KP_DPORT,		/* also ICMP type * 256 + code */
	JF_KP_PROTO,
	JF_KP_TOS,
	JF_KP_IFINDEX,
	JF_KP_VLAN,
	JF_KP_INNER_VLAN,
	JF_KP_MPLS1,
	JF_KP_MPLS2,
	JF_KP_MPLS3,
};

/* What fills an element. */
enum jf_ie_src {
	JF_SRC_PACKET = 0,	/* the parser: the flow key */
	JF_SRC_COUNTERS,	/* the meter's counters, merged packet by packet */
	JF_SRC_TIMES,		/* the flow's first and last packet */
	JF_SRC_ROUTE,		/* router mode's forwarding lookup */
	JF_SRC_BGP,		/* the BGP lookup (src/flow/enrich.h) */
	JF_SRC_NAT,		/* the conntrack lookup (src/flow/enrich.h) */
	JF_SRC_EXPORT,		/* the export: expiry, the template, the monitor */
};

/* What an element needs, one bit each: a monitor that does not meet a
 * need cannot know the element's value. */
#define JF_NEED_ROUTER 0x01	/* router mode (--route-lookup) */
#define JF_NEED_OUTPUT 0x02	/* the output interface: router mode, egress
				 * metering (IFACE:out) or a mirror mapping */
#define JF_NEED_BGP 0x04	/* a BGP source */
#define JF_NEED_CONNTRACK 0x08	/* conntrack (--nat-lookup), not on a mirror port */
#define JF_NEED_COUNT 4

/* jf_ie.flags */
#define JF_IE_PREFIX 0x01	/* a key address: takes /N */
#define JF_IE_MPLS 0x02		/* only in the layouts of MPLS flows */
#define JF_IE_SAMPLED 0x04	/* only in the templates of a sampling monitor */

struct jf_ie_def {
	const char *name;	/* IANA name */
	uint16_t id;		/* IANA element ID (v9 field type below 128) */
	uint16_t v9_id;		/* what v9 templates carry instead (0: id) */
	uint8_t v9_len;		/* ... at this length (0: len) */
	uint8_t len;		/* default length */
	uint32_t lens;		/* lengths allowed: bit n for n bytes */
	uint8_t type;		/* enum jf_ie_type */
	uint8_t family;		/* enum jf_ie_family */
	uint8_t role;		/* enum jf_ie_role */
	uint8_t part;		/* enum jf_key_part (keys of the packet) */
	uint8_t src;		/* enum jf_ie_src */
	uint8_t needs;		/* JF_NEED_* */
	uint8_t flags;		/* JF_IE_* */
	const char *fills;	/* what fills it, for people */
};

extern const struct jf_ie_def jf_ies[];
extern const size_t jf_n_ies;

/* The element of that IANA name (case-sensitive, as IANA spells it), or
 * NULL. */
const struct jf_ie_def *jf_ie_by_name(const char *name);
/* The element of that ID, or NULL. */
const struct jf_ie_def *jf_ie_by_id(uint16_t id);
/* The nearest name for a misspelt one (did you mean), or NULL. */
const struct jf_ie_def *jf_ie_suggest(const char *name);

/* The ID and length an element goes out with in a wire format: v9 takes
 * some elements under their v9 field type (times as sysUpTime offsets). */
uint16_t jf_ie_wire_id(const struct jf_ie_def *e, bool v9);
uint8_t jf_ie_wire_len(const struct jf_ie_def *e, uint8_t len, bool v9);

bool jf_ie_len_ok(const struct jf_ie_def *e, unsigned len);

const char *jf_ie_type_name(uint8_t type);

/* A key element's value in a flow key, for people: addresses (with /N
 * when prefix), numbers, MPLS labels. Empty for an element of the other
 * family or one the packet's key does not hold. */
struct jf_key;
void jf_ie_format_key(const struct jf_ie_def *e, const struct jf_key *k, unsigned prefix,
		      char *out, size_t n);
const char *jf_ie_src_name(uint8_t src);

/* Needs: one predicate per need, each reading the configuration (the
 * whole of it, and the monitor's part). */
struct jf_config;
struct jf_monitor_conf;

/* The JF_NEED_* bits monitor m of cfg does not meet: what its records
 * cannot know. */
uint32_t jf_needs_unmet(const struct jf_config *cfg, const struct jf_monitor_conf *m);

/* For people: what a need asks for, "router mode (--route-lookup on)". */
const char *jf_need_text(uint32_t need);

/* The sources of the per-flow lookups that other parts add, in one place
 * so that adding the option is one line: a BGP source (--bmp-listen,
 * --as-file) and conntrack (--nat-lookup). */
bool jf_have_bgp_source(const struct jf_config *cfg);
bool jf_have_conntrack(const struct jf_config *cfg);

#endif
