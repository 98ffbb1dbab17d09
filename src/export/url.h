/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Collector URLs: ipfix://, ipfix+tcp://, v9://, v5:// with host, port and
 * parameters (?sequence=rfc|nfdump). The scheme selects a row of the export
 * protocol table. */
#ifndef JFLOWD_URL_H
#define JFLOWD_URL_H

struct jf_export_proto;

#define JF_URL_HOST_MAX 256
#define JF_URL_PORT_MAX 8

struct jf_collector_url {
	const struct jf_export_proto *proto;
	char host[JF_URL_HOST_MAX];	/* without brackets */
	char port[JF_URL_PORT_MAX];
	int sequence;			/* ?sequence=: -1 not given, else enum jf_ipfix_seq */
};

/* 0, or -EINVAL with a one-line reason in err (size errlen). */
int jf_url_parse(const char *url, struct jf_collector_url *out,
		 char *err, unsigned long errlen);

#endif
