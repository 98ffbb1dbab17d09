/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Collector URLs: ipfix://, ipfix+tcp://, v9://, v5:// with host, port and
 * parameters (?sequence=rfc|nfdump). */
#ifndef JFLOWD_URL_H
#define JFLOWD_URL_H

enum jf_export_proto {
	JF_EXPORT_IPFIX = 0,	/* IPFIX over UDP */
	JF_EXPORT_IPFIX_TCP,	/* IPFIX over TCP */
	JF_EXPORT_V9,		/* J-Flow v9 / NetFlow v9 over UDP */
	JF_EXPORT_V5,		/* NetFlow v5 over UDP */
};

#define JF_URL_HOST_MAX 256
#define JF_URL_PORT_MAX 8

struct jf_collector_url {
	enum jf_export_proto proto;
	char host[JF_URL_HOST_MAX];	/* without brackets */
	char port[JF_URL_PORT_MAX];
	int sequence;			/* ?sequence=: -1 not given, else enum jf_ipfix_seq */
};

/* 0, or -EINVAL with a one-line reason in err (size errlen). */
int jf_url_parse(const char *url, struct jf_collector_url *out,
		 char *err, unsigned long errlen);

const char *jf_export_proto_name(enum jf_export_proto p);

#endif
