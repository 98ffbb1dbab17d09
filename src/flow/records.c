// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow record definitions: the built-in records, the parser of element
 * lists, and what a definition implies for the meter and the templates. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/records.h"

/* --- the built-in records --- */

struct builtin_elem {
	const char *name;
	uint8_t key;
	uint8_t prefix;
};

#define K(n) { n, 1, 0 }
#define KP(n, p) { n, 1, p }
#define F(n) { n, 0, 0 }

/* Today's layouts (docs/protocol.md), an element of each family where
 * the other family has its counterpart: the IPv4 layout is the list's
 * IPv4 and common elements, the IPv6 layout its IPv6 and common ones. */
static const struct builtin_elem def_default[] = {
	K("sourceIPv4Address"), K("destinationIPv4Address"),
	K("sourceIPv6Address"), K("destinationIPv6Address"),
	K("ipClassOfService"), K("protocolIdentifier"),
	K("sourceTransportPort"), K("destinationTransportPort"),
	K("icmpTypeCodeIPv4"), K("icmpTypeCodeIPv6"),
	K("ingressInterface"), K("vlanId"),
	F("sourceIPv4PrefixLength"), F("destinationIPv4PrefixLength"),
	F("sourceIPv6PrefixLength"), F("destinationIPv6PrefixLength"),
	F("bgpSourceAsNumber"), F("bgpDestinationAsNumber"),
	F("ipNextHopIPv4Address"), F("ipNextHopIPv6Address"),
	F("tcpControlBits"), F("egressInterface"),
	F("bgpNextHopIPv4Address"), F("bgpNextHopIPv6Address"),
	F("minimumTTL"), F("maximumTTL"), F("flowEndReason"), F("ipVersion"),
	F("flowDirection"), F("forwardingStatus"), K("dot1qCustomerVlanId"),
	F("flowLabelIPv6"),
	K("mplsTopLabelStackSection"), K("mplsLabelStackSection2"), K("mplsLabelStackSection3"),
	F("samplingInterval"), F("samplingAlgorithm"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

/* Juniper MX inline J-Flow: its IPv4 template's order (docs/records.md),
 * IPv6 elements beside their IPv4 counterparts, the MPLS labels of its
 * mpls-ipv4 template, the ID of the last packet (54). */
static const struct builtin_elem def_juniper[] = {
	K("sourceIPv4Address"), K("destinationIPv4Address"),
	K("sourceIPv6Address"), K("destinationIPv6Address"),
	K("ipClassOfService"), K("protocolIdentifier"),
	K("sourceTransportPort"), K("destinationTransportPort"),
	K("icmpTypeCodeIPv4"), K("icmpTypeCodeIPv6"),
	K("ingressInterface"), K("vlanId"),
	F("sourceIPv4PrefixLength"), F("destinationIPv4PrefixLength"),
	F("sourceIPv6PrefixLength"), F("destinationIPv6PrefixLength"),
	F("bgpSourceAsNumber"), F("bgpDestinationAsNumber"),
	F("ipNextHopIPv4Address"), F("ipNextHopIPv6Address"),
	F("tcpControlBits"), F("egressInterface"),
	F("minimumTTL"), F("maximumTTL"), F("flowEndReason"), F("ipVersion"),
	F("bgpNextHopIPv4Address"), F("bgpNextHopIPv6Address"),
	F("flowDirection"), K("dot1qVlanId"), K("dot1qCustomerVlanId"),
	F("flowLabelIPv6"), F("fragmentIdentification"),
	K("mplsTopLabelStackSection"), K("mplsLabelStackSection2"), K("mplsLabelStackSection3"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

/* NetFlow v8's aggregation schemes: their keys and counters. Prefixes
 * are /24 (IPv4) and /48 (IPv6): v8 took the route's. */
static const struct builtin_elem def_as[] = {
	K("bgpSourceAsNumber"), K("bgpDestinationAsNumber"),
	K("ingressInterface"), K("egressInterface"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

static const struct builtin_elem def_protocol_port[] = {
	K("protocolIdentifier"), K("sourceTransportPort"), K("destinationTransportPort"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

static const struct builtin_elem def_source_prefix[] = {
	KP("sourceIPv4Address", 24), KP("sourceIPv6Address", 48),
	K("bgpSourceAsNumber"), K("ingressInterface"),
	F("sourceIPv4PrefixLength"), F("sourceIPv6PrefixLength"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

static const struct builtin_elem def_destination_prefix[] = {
	KP("destinationIPv4Address", 24), KP("destinationIPv6Address", 48),
	K("bgpDestinationAsNumber"), K("egressInterface"),
	F("destinationIPv4PrefixLength"), F("destinationIPv6PrefixLength"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

static const struct builtin_elem def_prefix[] = {
	KP("sourceIPv4Address", 24), KP("destinationIPv4Address", 24),
	KP("sourceIPv6Address", 48), KP("destinationIPv6Address", 48),
	K("bgpSourceAsNumber"), K("bgpDestinationAsNumber"),
	K("ingressInterface"), K("egressInterface"),
	F("sourceIPv4PrefixLength"), F("destinationIPv4PrefixLength"),
	F("sourceIPv6PrefixLength"), F("destinationIPv6PrefixLength"),
	F("octetDeltaCount"), F("packetDeltaCount"),
	F("flowStartMilliseconds"), F("flowEndMilliseconds"),
};

#define B(n, a) { n, a, sizeof(a) / sizeof(a[0]) }
static const struct {
	const char *name;
	const struct builtin_elem *e;
	size_t n;
} builtins[] = {
	B("default", def_default),
	B("juniper", def_juniper),
	B("as", def_as),
	B("protocol-port", def_protocol_port),
	B("source-prefix", def_source_prefix),
	B("destination-prefix", def_destination_prefix),
	B("prefix", def_prefix),
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static struct jf_record_def builtin_defs[N_BUILTINS];
static bool builtins_made;

static void make_builtins(void)
{
	size_t b, i;

	if (builtins_made)
		return;
	for (b = 0; b < N_BUILTINS; b++) {
		struct jf_record_def *d = &builtin_defs[b];

		jf_record_init(d, builtins[b].name, 0);
		d->builtin = true;
		for (i = 0; i < builtins[b].n; i++) {
			const struct jf_ie_def *ie = jf_ie_by_name(builtins[b].e[i].name);

			if (!ie || d->n >= JF_RECORD_MAX_ELEMS)
				abort();	/* a typo in the table above */
			d->e[d->n].ie = ie;
			d->e[d->n].len = ie->len;
			d->e[d->n].key = builtins[b].e[i].key;
			d->e[d->n].prefix = builtins[b].e[i].prefix;
			d->n++;
		}
	}
	builtins_made = true;
}

const struct jf_record_def *jf_record_builtin(const char *name)
{
	size_t b;

	make_builtins();
	for (b = 0; b < N_BUILTINS; b++)
		if (!strcmp(builtin_defs[b].name, name))
			return &builtin_defs[b];
	return NULL;
}

const struct jf_record_def *jf_record_builtin_at(int i)
{
	make_builtins();
	return i >= 0 && (size_t)i < N_BUILTINS ? &builtin_defs[i] : NULL;
}

/* --- defining a record --- */

void jf_record_init(struct jf_record_def *d, const char *name, int line)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->line = line;
}

static int find(const struct jf_record_def *d, const struct jf_ie_def *ie)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].ie == ie)
			return i;
	return -1;
}

/* A name between commas: blanks around it go, blanks inside it are an
 * error (NULL). */
static char *word(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strcspn(s, " \t");
	if (e[strspn(e, " \t")])
		return NULL;
	*e = '\0';
	return s;
}

static int add_one(struct jf_record_def *d, char *tok, bool key, int line, char *err,
		   size_t errlen)
{
	char *slash = strchr(tok, '/'), *end, *name;
	const struct jf_ie_def *ie, *near;
	unsigned long n = 0;
	unsigned max;

	if (slash)
		*slash++ = '\0';
	name = word(tok);
	if (!name) {
		snprintf(err, errlen, "'%s': element names have no blanks in them", tok);
		return -1;
	}
	if (!*name) {
		snprintf(err, errlen, "empty element name in the list");
		return -1;
	}
	tok = name;
	ie = jf_ie_by_name(tok);
	if (!ie) {
		near = jf_ie_suggest(tok);
		snprintf(err, errlen, "unknown element '%s'%s%s%s (jflowd.conf(5) lists the "
			 "elements jflowd fills)", tok, near ? " (did you mean '" : "",
			 near ? near->name : "", near ? "'?)" : "");
		return -1;
	}
	if (key && ie->role == JF_ROLE_FIELD) {
		snprintf(err, errlen, "%s cannot be a key: it is %s (move it to fields =)",
			 ie->name, ie->src == JF_SRC_EXPORT ? "a property of the export, not of the flow"
			 : "merged from every packet of a flow");
		return -1;
	}
	if (!key && ie->role == JF_ROLE_KEY) {
		snprintf(err, errlen, "%s can only be a key: every packet of a flow has its "
			 "own value (move it to key =)", ie->name);
		return -1;
	}
	if (slash) {
		max = ie->family == JF_IEF_IPV6 ? 128 : 32;
		if (!key || !(ie->flags & JF_IE_PREFIX)) {
			snprintf(err, errlen, "%s/%s: only a key address takes /N", ie->name, slash);
			return -1;
		}
		slash = word(slash);
		n = slash ? strtoul(slash, &end, 10) : 0;
		if (!slash)
			slash = (char *)"";
		if (!*slash || *end || !isdigit((unsigned char)*slash) || n < 1 || n > max) {
			snprintf(err, errlen, "%s/%s: the prefix length must be 1..%u", ie->name,
				 slash, max);
			return -1;
		}
		if (n == max)
			n = 0;	/* the whole address */
	}
	if (find(d, ie) >= 0) {
		snprintf(err, errlen, "%s given twice", ie->name);
		return -1;
	}
	if (d->n >= JF_RECORD_MAX_ELEMS) {
		snprintf(err, errlen, "more than %d elements", JF_RECORD_MAX_ELEMS);
		return -1;
	}
	d->e[d->n].ie = ie;
	d->e[d->n].len = ie->len;
	d->e[d->n].key = key;
	d->e[d->n].prefix = (uint8_t)n;
	d->e[d->n].line = line;
	d->n++;
	return 0;
}

int jf_record_add_list(struct jf_record_def *d, const char *list, bool key, int line,
		       char *err, size_t errlen)
{
	char buf[4096], *tok, *rest;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "list too long");
		return -1;
	}
	strcpy(buf, list);
	if (!buf[strspn(buf, " \t")]) {
		snprintf(err, errlen, "%s = needs a comma-separated list of element names",
			 key ? "key" : "fields");
		return -1;
	}
	/* strsep, not strtok: "a,,b" has an empty name in it. */
	for (rest = buf; (tok = strsep(&rest, ",")) != NULL;)
		if (add_one(d, tok, key, line, err, errlen))
			return -1;
	return 0;
}

static bool keys_whole(const struct jf_record_def *d, const char *name)
{
	int i = find(d, jf_ie_by_name(name));

	return i >= 0 && d->e[i].key && !d->e[i].prefix;
}

int jf_record_finish(struct jf_record_def *d, char *err, size_t errlen)
{
	struct jf_record_elem tmp[JF_RECORD_MAX_ELEMS];
	int i, n = 0, keys = 0;

	for (i = 0; i < d->n; i++)
		if (d->e[i].key)
			tmp[n++] = d->e[i];
	keys = n;
	for (i = 0; i < d->n; i++)
		if (!d->e[i].key)
			tmp[n++] = d->e[i];
	memcpy(d->e, tmp, (size_t)n * sizeof(tmp[0]));
	if (!keys) {
		snprintf(err, errlen, "record %s has no key (key = ELEMENT, ...)", d->name);
		return -1;
	}
	if (keys == d->n) {
		snprintf(err, errlen, "record %s collects nothing (fields = octetDeltaCount, "
			 "packetDeltaCount, ...)", d->name);
		return -1;
	}
	/* A translation belongs to one connection: a record coarser than
	 * the 5-tuple would carry the first connection's. */
	for (i = 0; i < d->n; i++) {
		bool v6 = d->e[i].ie->family == JF_IEF_IPV6;

		if (d->e[i].ie->src != JF_SRC_NAT)
			continue;
		if (!keys_whole(d, v6 ? "sourceIPv6Address" : "sourceIPv4Address") ||
		    !keys_whole(d, v6 ? "destinationIPv6Address" : "destinationIPv4Address") ||
		    !keys_whole(d, "sourceTransportPort") ||
		    !keys_whole(d, "destinationTransportPort") ||
		    !keys_whole(d, "protocolIdentifier")) {
			snprintf(err, errlen, "%s needs a record keyed by whole connections: both "
				 "addresses of its family (no /N), both ports and the protocol",
				 d->e[i].ie->name);
			return -1;
		}
	}
	return 0;
}

bool jf_record_collects(const struct jf_record_def *d, const struct jf_ie_def *e)
{
	return d && find(d, e) >= 0;
}

int jf_record_key_prefix(const struct jf_record_def *d, const struct jf_ie_def *e)
{
	const char *addr;
	int i;

	switch (e->id) {
	case 9:
		addr = "sourceIPv4Address";
		break;
	case 13:
		addr = "destinationIPv4Address";
		break;
	case 29:
		addr = "sourceIPv6Address";
		break;
	case 30:
		addr = "destinationIPv6Address";
		break;
	default:
		return -1;
	}
	i = find(d, jf_ie_by_name(addr));
	if (i < 0 || !d->e[i].key || !d->e[i].prefix)
		return -1;
	return d->e[i].prefix;
}

/* The prefix-length elements: a /N key of their address fills them. */
static bool is_prefix_len(const struct jf_ie_def *e)
{
	return e->id == 9 || e->id == 13 || e->id == 29 || e->id == 30;
}

/* What an element of d needs, given the record: a prefix length from a
 * /N key needs nothing. */
static uint32_t elem_needs(const struct jf_record_def *d, const struct jf_record_elem *e)
{
	if (jf_record_key_prefix(d, e->ie) >= 0)
		return 0;
	return e->ie->needs;
}

int jf_record_check_needs(const struct jf_record_def *d, uint32_t unmet, char *err,
			  size_t errlen, int *line)
{
	int i;

	if (d->builtin)
		return 0;
	for (i = 0; i < d->n; i++) {
		uint32_t miss = elem_needs(d, &d->e[i]) & unmet;

		if (!miss)
			continue;
		snprintf(err, errlen, "record %s: %s needs %s%s", d->name, d->e[i].ie->name,
			 jf_need_text(miss),
			 is_prefix_len(d->e[i].ie) ? ", or its address keyed with /N" : "");
		if (line)
			*line = d->e[i].line ? d->e[i].line : d->line;
		return -1;
	}
	return 0;
}

/* v5's fixed record: addresses, next hop, interfaces, counters, times,
 * ports (ICMP type/code in the destination port), TCP flags, protocol,
 * ToS, AS numbers and prefix lengths. IPv6 elements of the same fields
 * are accepted: v5 carries no IPv6 flow (they count as unexportable). */
static bool v5_carries(uint16_t id)
{
	static const uint16_t ids[] = { 8, 12, 15, 10, 14, 2, 1, 152, 153, 7, 11, 32, 6, 4, 5,
					16, 17, 9, 13, 27, 28, 62, 29, 30, 139 };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == id)
			return true;
	return false;
}

int jf_record_v5_check(const struct jf_record_def *d, char *err, size_t errlen)
{
	int i;

	if (!strcmp(d->name, "default") && d->builtin)
		return 0;
	for (i = 0; i < d->n; i++) {
		if (v5_carries(d->e[i].ie->id))
			continue;
		snprintf(err, errlen, "v5 cannot carry record %s: it has no field for %s "
			 "(use v9:// or ipfix://)", d->name, d->e[i].ie->name);
		return -1;
	}
	return 0;
}

bool jf_record_has_mpls(const struct jf_record_def *d)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].ie->flags & JF_IE_MPLS)
			return true;
	return false;
}

bool jf_record_layout_used(const struct jf_record_def *d, int layout)
{
	return layout < JF_LAYOUT_MPLS_IPV4 || jf_record_has_mpls(d);
}

bool jf_record_elem_in(const struct jf_record_elem *e, int layout, bool sampling)
{
	bool v6 = layout == JF_LAYOUT_IPV6 || layout == JF_LAYOUT_MPLS_IPV6;
	bool mpls = layout >= JF_LAYOUT_MPLS_IPV4;

	if (e->ie->family == JF_IEF_IPV4 && v6)
		return false;
	if (e->ie->family == JF_IEF_IPV6 && !v6)
		return false;
	if ((e->ie->flags & JF_IE_MPLS) && !mpls)
		return false;
	if ((e->ie->flags & JF_IE_SAMPLED) && !sampling)
		return false;
	return true;
}

/* Bits of an address kept by /N (0: all), in network order. */
static void prefix_mask(uint32_t *w, int words, unsigned prefix)
{
	int i;

	for (i = 0; i < words; i++) {
		uint8_t *b = (uint8_t *)&w[i];
		int k;

		for (k = 0; k < 4; k++) {
			unsigned bit = (unsigned)(i * 32 + k * 8);

			if (!prefix || bit + 8 <= prefix)
				b[k] = 0xff;
			else if (bit >= prefix)
				b[k] = 0;
			else
				b[k] = (uint8_t)(0xff << (8 - (prefix - bit)));
		}
	}
}

static bool keys_part(const struct jf_record_def *d, enum jf_key_part part, int family,
		      unsigned *prefix)
{
	int i;

	for (i = 0; i < d->n; i++) {
		const struct jf_ie_def *ie = d->e[i].ie;

		if (!d->e[i].key || ie->part != part)
			continue;
		if (ie->family && ie->family != family)
			continue;
		if (prefix)
			*prefix = d->e[i].prefix;
		return true;
	}
	return false;
}

void jf_record_key_mask(const struct jf_record_def *d, int family, bool egress,
			struct jf_key *m)
{
	int words = family == JF_FAMILY_IPV6 ? 4 : 1;
	unsigned prefix = 0;

	memset(m, 0, sizeof(*m));
	m->family = 0xff;
	/* Direction and monitor always; MPLS only where labels are keyed: a
	 * key with the flag must have its labels (jf_key_has_cold). */
	m->flags = (uint8_t)~JF_KEY_MPLS;
	if (keys_part(d, JF_KP_SRC, family, &prefix))
		prefix_mask(m->src, words, prefix);
	if (keys_part(d, JF_KP_DST, family, &prefix))
		prefix_mask(m->dst, words, prefix);
	if (keys_part(d, JF_KP_SPORT, family, NULL))
		m->sport = 0xffff;
	if (keys_part(d, JF_KP_DPORT, family, NULL))
		m->dport = 0xffff;
	if (keys_part(d, JF_KP_PROTO, family, NULL))
		m->proto = 0xff;
	if (keys_part(d, JF_KP_TOS, family, NULL))
		m->tos = 0xff;
	/* The key's interface is the input one; for what is metered on
	 * egress it is the output one, which a record keeps when it has
	 * egressInterface at all (a field of it is the flow's own). */
	if (egress ? find(d, jf_ie_by_name("egressInterface")) >= 0
		   : keys_part(d, JF_KP_IFINDEX, family, NULL))
		m->ifindex = 0xffffffff;
	if (keys_part(d, JF_KP_VLAN, family, NULL))
		m->vlan = 0xffff;
	if (keys_part(d, JF_KP_INNER_VLAN, family, NULL))
		m->inner_vlan = 0xffff;
	if (keys_part(d, JF_KP_MPLS1, family, NULL))
		m->mpls[0] = 0xffffffff;
	if (keys_part(d, JF_KP_MPLS2, family, NULL))
		m->mpls[1] = 0xffffffff;
	if (keys_part(d, JF_KP_MPLS3, family, NULL))
		m->mpls[2] = 0xffffffff;
	if (m->mpls[0] | m->mpls[1] | m->mpls[2])
		m->flags = 0xff;
}

bool jf_record_masks_key(const struct jf_record_def *d)
{
	static const int fams[] = { JF_FAMILY_IPV4, JF_FAMILY_IPV6 };
	struct jf_key m;
	size_t f;
	int dir;

	for (f = 0; f < 2; f++) {
		for (dir = 0; dir < 2; dir++) {
			const uint8_t *b = (const uint8_t *)&m;
			size_t i;

			jf_record_key_mask(d, fams[f], dir, &m);
			/* IPv4 keys leave address words 1-3 zero anyway. */
			if (fams[f] == JF_FAMILY_IPV4)
				memset(&m.src[1], 0xff, 12), memset(&m.dst[1], 0xff, 12);
			for (i = 0; i < sizeof(m); i++)
				if (b[i] != 0xff)
					return true;
		}
	}
	return false;
}

/* Whether element e's value comes from a lookup the monitor makes. */
static bool is_lookup(const struct jf_record_def *d, const struct jf_record_elem *e,
		      uint32_t unmet)
{
	uint8_t src = e->ie->src;

	if (src != JF_SRC_ROUTE && src != JF_SRC_BGP && src != JF_SRC_NAT)
		return false;
	if (!elem_needs(d, e) || (elem_needs(d, e) & unmet))
		return false;
	/* The output interface without router mode is the egress key's or
	 * the mirror mapping's: no lookup. */
	if (e->ie->needs == JF_NEED_OUTPUT && (unmet & JF_NEED_ROUTER))
		return false;
	return true;
}

bool jf_record_uses_lookups(const struct jf_record_def *d, uint32_t unmet)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (is_lookup(d, &d->e[i], unmet))
			return true;
	return false;
}

bool jf_record_keys_lookups(const struct jf_record_def *d, uint32_t unmet)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].key && is_lookup(d, &d->e[i], unmet))
			return true;
	return false;
}

void jf_record_describe(const struct jf_record_def *d, bool key, char *out, size_t n)
{
	size_t off = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < d->n && off < n; i++) {
		if (!d->e[i].key != !key)
			continue;
		if (d->e[i].prefix)
			off += (size_t)snprintf(out + off, n - off, "%s%s/%u", off ? ", " : "",
						d->e[i].ie->name, d->e[i].prefix);
		else
			off += (size_t)snprintf(out + off, n - off, "%s%s", off ? ", " : "",
						d->e[i].ie->name);
	}
}
