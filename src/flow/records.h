/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flow record definitions: which elements of the vocabulary
 * (src/flow/fields.h) are a record's key and which it collects, the
 * built-in records, and what follows from a definition: the key mask the
 * meter applies, the template layouts, what v5 can carry. */
#ifndef JFLOWD_RECORDS_H
#define JFLOWD_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jflowd/flow.h"
#include "flow/fields.h"
#include "flow/record.h"

#define JF_RECORD_NAME_MAX 32
#define JF_RECORD_MAX_ELEMS 48

/* One element of a record, in template order. */
struct jf_record_elem {
	const struct jf_ie_def *ie;
	uint8_t len;		/* bytes on the wire (IPFIX; v9 may differ, fields.h) */
	uint8_t key;		/* part of the record's key */
	uint8_t prefix;		/* key address: /N, 0 for the whole address */
	int line;		/* configuration line, 0: built in */
};

struct jf_record_def {
	char name[JF_RECORD_NAME_MAX];
	struct jf_record_elem e[JF_RECORD_MAX_ELEMS];
	int n;
	/* Built in: an element the monitor cannot know goes out as 0, as a
	 * router sends AS 0 without BGP. A defined record is refused then. */
	bool builtin;
	int line;		/* its [record NAME] line, 0: built in */
	/* Post-NAT elements (IE 225-228, 281/282) of a flow without a
	 * translation: its own addresses and ports (false, Cisco's way) or 0
	 * ([record] nat-untranslated = zero). */
	bool nat_zero;
};

/* The built-in records: default (today's layouts), juniper, and NetFlow
 * v8's aggregations as, protocol-port, source-prefix, destination-prefix,
 * prefix. NULL when name is none of them. */
const struct jf_record_def *jf_record_builtin(const char *name);
/* The i-th built-in record, or NULL past the last. */
const struct jf_record_def *jf_record_builtin_at(int i);

/* A record being defined: name, no element. */
void jf_record_init(struct jf_record_def *d, const char *name, int line);

/* Add a comma-separated list of elements, "NAME" or, for a key address,
 * "NAME/N", as key elements (key) or collected ones. 0, or -1 with a
 * one-line reason naming the element in err. */
int jf_record_add_list(struct jf_record_def *d, const char *list, bool key, int line,
		       char *err, size_t errlen);

/* A defined record is whole (after its last line): keys first, then
 * fields, at least one key and one field, no element twice. 0 or -1. */
int jf_record_finish(struct jf_record_def *d, char *err, size_t errlen);

/* Whether monitor needs unmet (JF_NEED_*) leave the record something it
 * cannot fill: 0, or -1 with the element and the reason in err (a
 * built-in record is always accepted: such elements go out as 0). *line
 * (if not NULL) gets the line of the element at fault. */
int jf_record_check_needs(const struct jf_record_def *d, uint32_t unmet, char *err,
			  size_t errlen, int *line);

/* Whether v5's fixed format carries the record: default (what v5
 * always carried) and records made of v5's fields only. 0, or -1 with
 * the first element v5 cannot carry in err. */
int jf_record_v5_check(const struct jf_record_def *d, char *err, size_t errlen);

/* Layouts: one template per family and, for a record with MPLS
 * elements, per MPLS or not (the order of JF_TID_IPV4..JF_TID_MPLS_IPV6). */
#define JF_LAYOUT_IPV4 0
#define JF_LAYOUT_IPV6 1
#define JF_LAYOUT_MPLS_IPV4 2
#define JF_LAYOUT_MPLS_IPV6 3
#define JF_LAYOUTS 4
bool jf_record_has_mpls(const struct jf_record_def *d);
bool jf_record_layout_used(const struct jf_record_def *d, int layout);
static inline int jf_record_layout_of(const struct jf_record_def *d, const struct jf_key *k)
{
	int l = k->family == JF_FAMILY_IPV6 ? JF_LAYOUT_IPV6 : JF_LAYOUT_IPV4;

	return (k->flags & JF_KEY_MPLS) && jf_record_has_mpls(d) ? l + 2 : l;
}
/* Whether element e goes into layout l (family, MPLS, sampling). */
bool jf_record_elem_in(const struct jf_record_elem *e, int layout, bool sampling);

/* The record's key over struct jf_key, per family (4 or 6) and direction
 * (egress: metered on the way out, the key's interface is the output
 * one): every bit of the key the record keeps set, the others clear
 * (addresses to /N; the family, the direction and the monitor always
 * kept). All ones for a record keyed by every part of the packet's key
 * (default, juniper). */
void jf_record_key_mask(const struct jf_record_def *d, int family, bool egress,
			struct jf_key *mask);
/* Whether the mask of either family clears anything. */
bool jf_record_masks_key(const struct jf_record_def *d);

/* Whether the record's values depend on per-flow lookups the monitor
 * can make (unmet: JF_NEED_* it cannot): a record with such an element
 * needs its flows whole when they are looked up, then merged to its own
 * key in the agent (src/flow/aggregate.h). */
bool jf_record_uses_lookups(const struct jf_record_def *d, uint32_t unmet);
/* Whether a lookup's answer is part of its key (as, prefix...). */
bool jf_record_keys_lookups(const struct jf_record_def *d, uint32_t unmet);

/* Whether the record has element e, as a key or a field. */
bool jf_record_collects(const struct jf_record_def *d, const struct jf_ie_def *e);

/* The prefix length a key with /N gives the prefix-length element e
 * (IE 9/13/29/30), or -1 when the record has no such key. */
int jf_record_key_prefix(const struct jf_record_def *d, const struct jf_ie_def *e);

/* "a, b, c/24": the key, or the fields, as written (for --check-config). */
void jf_record_describe(const struct jf_record_def *d, bool key, char *out, size_t n);

#endif
