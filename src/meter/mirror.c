// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Mirror ports: promiscuous mode by packet socket membership, and the
 * MAC/VLAN to router interface map. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "export/exporter.h"
#include "log.h"
#include "meter/meter.h"
#include "meter/mirror.h"

struct jf_mirror {
	int n;
	int fd[JF_MAX_IFACES];
	char name[JF_MAX_IFACES][JF_IFNAME_MAX];
};

static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	unsigned v[6];
	char buf[24];
	int n = 0, i;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &n) != 6 || (size_t)n != len)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int jf_mirror_parse_map(const char *spec, enum jf_map_kind kind, struct jf_if_map *m,
			char *err, size_t errlen)
{
	const char *eq = strchr(spec, '='), *c1, *c2;
	unsigned long idx, vid;
	char *end;

	memset(m, 0, sizeof(*m));
	m->kind = (uint8_t)kind;
	if (!eq)
		goto bad;
	if (kind == JF_MAP_MAC) {
		if (parse_mac(spec, (size_t)(eq - spec), m->mac))
			goto bad;
	} else {
		vid = strtoul(spec, &end, 10);
		if (end != eq || end == spec || vid < 1 || vid > 4094)
			goto bad;
		m->vlan = (uint16_t)vid;
	}
	idx = strtoul(eq + 1, &end, 10);
	if (end == eq + 1 || *end != ',' || idx < 1 || idx > UINT32_MAX)
		goto bad;
	m->index = (uint32_t)idx;
	c1 = end + 1;
	c2 = strchr(c1, ',');	/* the description may hold commas itself */
	if (!*c1 || c1 == c2)
		goto bad;
	snprintf(m->name, sizeof(m->name), "%.*s", (int)(c2 ? (size_t)(c2 - c1) : strlen(c1)), c1);
	snprintf(m->descr, sizeof(m->descr), "%s", c2 ? c2 + 1 : m->name);
	return 0;
bad:
	snprintf(err, errlen, "%s '%s': expected %s=INDEX,NAME[,DESCRIPTION] with INDEX > 0",
		 kind == JF_MAP_MAC ? "map-mac" : "map-vlan", spec,
		 kind == JF_MAP_MAC ? "MAC" : "VLAN(1-4094)");
	return -EINVAL;
}

static int fill_maps(const struct jf_meter_params *p, struct bpf_object *obj, char *err,
		     size_t errlen)
{
	struct bpf_map *mac = bpf_object__find_map_by_name(obj, "mirror_mac");
	struct bpf_map *vlan = bpf_object__find_map_by_name(obj, "mirror_vlan");
	int i, rc;

	if (!mac || !vlan) {
		snprintf(err, errlen, "mirror mapping: the BPF object has no mapping tables");
		return -ENOENT;
	}
	for (i = 0; i < p->n_if_maps; i++) {
		const struct jf_if_map *m = &p->if_maps[i];

		if (m->kind == JF_MAP_MAC) {
			uint64_t k = 0;

			memcpy(&k, m->mac, 6);	/* as the program builds it */
			rc = bpf_map_update_elem(bpf_map__fd(mac), &k, &m->index, BPF_ANY);
		} else {
			uint32_t k = m->vlan;

			rc = bpf_map_update_elem(bpf_map__fd(vlan), &k, &m->index, BPF_ANY);
		}
		if (rc) {
			snprintf(err, errlen, "mirror mapping: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int jf_mirror_open(const struct jf_meter_params *p, struct bpf_object *obj, struct jf_mirror **out,
		   char *err, size_t errlen)
{
	struct jf_mirror *m;
	int i, rc;

	*out = NULL;
	if (!p->mirror)
		return 0;
	if (obj && p->n_if_maps) {
		rc = fill_maps(p, obj, err, errlen);
		if (rc)
			return rc;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < p->n_ifaces; i++) {
		struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };

		/* Protocol 0: the socket receives nothing, it only holds the
		 * membership. */
		m->fd[m->n] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		mr.mr_ifindex = (int)if_nametoindex(p->ifaces[i]);
		if (m->fd[m->n] < 0 || !mr.mr_ifindex ||
		    setsockopt(m->fd[m->n], SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
			rc = -errno;
			snprintf(err, errlen, "promiscuous mode on %s: %s", p->ifaces[i],
				 strerror(errno));
			if (m->fd[m->n] >= 0)
				close(m->fd[m->n]);
			jf_mirror_close(m);
			return rc;
		}
		snprintf(m->name[m->n], sizeof(m->name[m->n]), "%s", p->ifaces[i]);
		m->n++;
		log_info("%s: promiscuous while jflowd runs (mirror port)", p->ifaces[i]);
	}
	*out = m;
	return 0;
}

int jf_mirror_iface_back(struct jf_mirror *m, const char *name, uint32_t ifindex,
			 char *err, size_t errlen)
{
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC, .mr_ifindex = (int)ifindex };
	int i;

	for (i = 0; m && i < m->n; i++)
		if (!strcmp(m->name[i], name))
			break;
	if (!m || i == m->n)
		return 0;
	/* The kernel dropped the old device's membership with it; the socket
	 * is ours already, so no capability is needed to join again. */
	if (setsockopt(m->fd[i], SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		int rc = -errno;

		snprintf(err, errlen, "promiscuous mode on %s: %s", name, strerror(-rc));
		return rc;
	}
	log_info("%s: promiscuous again (mirror port)", name);
	return 0;
}

void jf_mirror_close(struct jf_mirror *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		close(m->fd[i]);	/* the kernel drops our promiscuity count */
	free(m);
}

void jf_mirror_add_ifnames(const struct jf_if_map *maps, int n, struct jf_exporter *exp)
{
	int i;

	for (i = 0; i < n; i++)
		jf_exporter_add_ifname(exp, maps[i].index, maps[i].name, maps[i].descr);
}
