// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The prefix-to-AS file: parsed line by line into a RIB with one table,
 * the AS as the route's origin (the RIB's longest match does the rest). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "flow/as_file.h"
#include "text.h"

#define LINE_MAX_BYTES 1024

static int parse_prefix(char *s, struct jf_bgp_prefix *p)
{
	char *slash = strchr(s, '/');
	long len;
	char *end;
	uint8_t *a = (uint8_t *)p->addr;
	int max, bytes;

	memset(p, 0, sizeof(*p));
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, s, p->addr) == 1)
		p->family = 6;
	else
		return -1;
	max = p->family == 4 ? 32 : 128;
	len = max;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || len < 0 || len > max)
			return -1;
	}
	p->len = (uint8_t)len;
	/* host bits off, as BGP carries a prefix */
	bytes = max / 8;
	for (int i = 0; i < bytes; i++) {
		int bits = (int)len - 8 * i;

		if (bits >= 8)
			continue;
		a[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	return 0;
}

static int parse_asn(const char *s, uint32_t *as)
{
	unsigned long long v;
	char *end;

	if (!strncasecmp(s, "AS", 2))
		s += 2;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*as = (uint32_t)v;
	return 0;
}

int jf_as_file_read(const char *path, struct jf_rib **out, size_t *entries, char *err,
		    size_t errlen)
{
	static const struct jf_bmp_peer file_peer;
	char line[LINE_MAX_BYTES + 2];
	struct jf_rib *r;
	unsigned lineno = 0;
	size_t n = 0;
	int id, rc = 0;
	FILE *f;

	*out = NULL;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "as-file %s: %s", path, strerror(errno));
		return rc;
	}
	r = jf_rib_new(0);
	id = r ? jf_rib_table_open(r, 0, &file_peer, JF_RIB_LOC, 0) : -ENOMEM;
	if (id < 0) {
		snprintf(err, errlen, "as-file %s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *field[3], *save = NULL, *tok;
		struct jf_bgp_prefix p;
		struct jf_bgp_attrs a;
		int nf = 0, pi = -1, ai = -1, i;
		uint32_t as;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno,
				 LINE_MAX_BYTES);
			rc = -EINVAL;
			goto out;
		}
		s = line + strcspn(line, "#!");
		*s = '\0';
		s = jf_trim(line);
		if (!*s)
			continue;
		for (tok = strtok_r(s, ",", &save); tok && nf < 3; tok = strtok_r(NULL, ",", &save))
			field[nf++] = jf_trim(tok);
		if (tok || nf < 2) {
			snprintf(err, errlen, "%s:%u: expected PREFIX,ASN (or pmacct's "
				 "[NEXTHOP,]ASN,PREFIX)", path, lineno);
			rc = -EINVAL;
			goto out;
		}
		/* Which field is which: the prefix is the last or the first. */
		if (nf == 2 && !parse_asn(field[1], &as)) {
			pi = 0;
			ai = 1;
		} else {
			pi = nf - 1;
			ai = nf - 2;
		}
		if (parse_asn(field[ai], &as)) {
			snprintf(err, errlen, "%s:%u: '%s' is not an AS number", path, lineno,
				 field[ai]);
			rc = -EINVAL;
			goto out;
		}
		if (parse_prefix(field[pi], &p)) {
			snprintf(err, errlen, "%s:%u: '%s' is not an IPv4 or IPv6 prefix", path,
				 lineno, field[pi]);
			rc = -EINVAL;
			goto out;
		}
		if (nf == 3) {
			struct in6_addr nh;

			if (inet_pton(AF_INET, field[0], &nh) != 1 &&
			    inet_pton(AF_INET6, field[0], &nh) != 1) {
				snprintf(err, errlen, "%s:%u: '%s' is not a next hop address", path,
					 lineno, field[0]);
				rc = -EINVAL;
				goto out;
			}
		}
		memset(&a, 0, sizeof(a));
		a.origin_as = as;
		a.path_len = 1;
		i = jf_rib_announce(r, id, &p, &a, 0);
		if (i) {
			snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
			rc = i;
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "as-file %s: read error", path);
	}
out:
	fclose(f);
	if (rc) {
		jf_rib_free(r);
		return rc;
	}
	*out = r;
	if (entries)
		*entries = n;
	return 0;
}

uint32_t jf_as_file_lookup(const struct jf_rib *r, int family, const uint32_t addr[4])
{
	struct jf_rib_answer a;

	if (!r || !jf_rib_lookup(r, family, addr, -1, NULL, &a))
		return 0;
	return a.origin_as;
}
