// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Collector URLs: ipfix://, ipfix+tcp://, v9://, v5:// with host and port. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/export_proto.h"
#include "export/url.h"

static int valid_port(const char *s)
{
	char *end;
	long v;

	if (!*s || strlen(s) >= JF_URL_PORT_MAX)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return !errno && !*end && v > 0 && v <= 65535;
}

static int parse_base(const char *url, struct jf_collector_url *out,
		      char *err, unsigned long errlen)
{
	const char *sep, *hp, *port = NULL;
	size_t slen, hlen;

	sep = strstr(url, "://");
	if (!sep) {
		snprintf(err, errlen, "collector '%s': expected SCHEME://HOST[:PORT], "
			 "scheme one of ipfix, ipfix+tcp, v9, v5 (softflowd's HOST:PORT is "
			 "v9://HOST:PORT here)", url);
		return -EINVAL;
	}
	slen = (size_t)(sep - url);
	out->proto = jf_export_proto_find(url, slen);
	if (!out->proto) {
		snprintf(err, errlen, "collector '%s': unknown scheme '%.*s' "
			 "(use ipfix, ipfix+tcp, v9 or v5)", url, (int)slen, url);
		return -EINVAL;
	}

	hp = sep + 3;
	if (*hp == '[') {
		const char *close = strchr(hp, ']');

		if (!close) {
			snprintf(err, errlen, "collector '%s': missing ']' after IPv6 address", url);
			return -EINVAL;
		}
		hlen = (size_t)(close - hp - 1);
		hp++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] && strcmp(close + 1, "/")) {
			snprintf(err, errlen, "collector '%s': unexpected text after ']'", url);
			return -EINVAL;
		}
	} else {
		const char *colon = strchr(hp, ':');

		if (colon && strchr(colon + 1, ':')) {
			snprintf(err, errlen, "collector '%s': put an IPv6 address in brackets, "
				 "e.g. ipfix://[::1]:4739", url);
			return -EINVAL;
		}
		hlen = colon ? (size_t)(colon - hp) : strcspn(hp, "/");
		if (colon)
			port = colon + 1;
		/* A collector has no path: text after it is a mistake, not
		 * something to ignore. */
		else if (hp[hlen] && strcmp(hp + hlen, "/")) {
			snprintf(err, errlen, "collector '%s': unexpected path '%s' "
				 "(SCHEME://HOST[:PORT][?sequence=rfc|nfdump])", url, hp + hlen);
			return -EINVAL;
		}
	}
	if (hlen == 0 || hlen >= JF_URL_HOST_MAX) {
		snprintf(err, errlen, "collector '%s': missing or too long host", url);
		return -EINVAL;
	}
	memcpy(out->host, hp, hlen);
	out->host[hlen] = '\0';

	if (port) {
		size_t plen = strcspn(port, "/");
		char buf[JF_URL_PORT_MAX + 1];

		if (plen > JF_URL_PORT_MAX)
			plen = JF_URL_PORT_MAX;
		memcpy(buf, port, plen);
		buf[plen] = '\0';
		if (port[plen] && strcmp(port + plen, "/")) {
			snprintf(err, errlen, "collector '%s': unexpected path '%s' "
				 "(SCHEME://HOST[:PORT][?sequence=rfc|nfdump])", url, port + plen);
			return -EINVAL;
		}
		if (!valid_port(buf)) {
			snprintf(err, errlen, "collector '%s': bad port '%s' (1-65535)", url, buf);
			return -EINVAL;
		}
		strcpy(out->port, buf);
	} else {
		strcpy(out->port, out->proto->default_port);
	}
	return 0;
}

/* "?sequence=rfc|nfdump": what this collector's IPFIX sequence numbers
 * count, instead of --ipfix-sequence. */
static int parse_query(const char *url, const char *q, struct jf_collector_url *out,
		       char *err, unsigned long errlen)
{
	if (!strcmp(q, "sequence=rfc"))
		out->sequence = 0;
	else if (!strcmp(q, "sequence=nfdump"))
		out->sequence = 1;
	else {
		snprintf(err, errlen, "collector '%s': unknown parameter '%s' "
			 "(known: sequence=rfc, sequence=nfdump)", url, q);
		return -EINVAL;
	}
	if (out->proto->wire != JF_WIRE_IPFIX) {
		snprintf(err, errlen, "collector '%s': sequence= applies to IPFIX collectors only",
			 url);
		return -EINVAL;
	}
	return 0;
}

int jf_url_parse(const char *url, struct jf_collector_url *out,
		 char *err, unsigned long errlen)
{
	const char *q = strchr(url, '?');
	char base[JF_URL_HOST_MAX + 64];
	int rc;

	memset(out, 0, sizeof(*out));
	out->sequence = -1;
	if (!q)
		return parse_base(url, out, err, errlen);
	if ((size_t)(q - url) >= sizeof(base)) {
		snprintf(err, errlen, "collector '%.64s...': too long", url);
		return -EINVAL;
	}
	memcpy(base, url, (size_t)(q - url));
	base[q - url] = '\0';
	rc = parse_base(base, out, err, errlen);
	if (rc)
		return rc;
	return parse_query(url, q + 1, out, err, errlen);
}
