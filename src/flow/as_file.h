/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The prefix-to-AS file (as-file): where no BGP feed is at hand (a mirror
 * port), each line maps a prefix to its origin AS, as pmacct's
 * networks_file does. Read at start and again on reload into a RIB of its
 * own, looked up by longest match. */
#ifndef JFLOWD_AS_FILE_H
#define JFLOWD_AS_FILE_H

#include <stddef.h>
#include "flow/bgp_rib.h"

/* Read path into a new RIB (*out). Lines: "PREFIX,ASN", "ASN,PREFIX" or
 * pmacct's "NEXTHOP,ASN,PREFIX" (the next hop is not used); a prefix
 * without a length is a host; "#" or "!" start a comment. 0, or -errno
 * with "PATH:LINE: what is wrong" in err. */
int jf_as_file_read(const char *path, struct jf_rib **out, size_t *entries, char *err,
		    size_t errlen);

/* The AS of addr (family 4 or 6) by longest match, 0 when none. */
uint32_t jf_as_file_lookup(const struct jf_rib *r, int family, const uint32_t addr[4]);

#endif
