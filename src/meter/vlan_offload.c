// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reads an interface's VLAN receive offload and its driver's XDP metadata. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include "meter/vlan_offload.h"

/* The netdev generic netlink family (Linux 6.3; VLAN tag metadata 6.8):
 * not in every distribution's headers, stable uapi numbers. */
#define JF_NETDEV_FAMILY "netdev"
#define JF_NETDEV_CMD_DEV_GET 1
#define JF_NETDEV_A_DEV_IFINDEX 1
#define JF_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES 5
#define JF_NETDEV_XDP_RX_METADATA_VLAN_TAG 4

/* ethtool's feature strings (ETH_SS_FEATURES) name the bits; their
 * positions are the kernel's own, so they are looked up, not assumed. */
static int ethtool_strip(const char *ifname, struct jf_vlan_caps *c)
{
	/* The header and its one answer (data[0]: the number of strings). */
	uint64_t sset_buf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8] = { 0 };
	struct ethtool_sset_info *sset = (struct ethtool_sset_info *)sset_buf;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *feat = NULL;
	struct ifreq ifr = { 0 };
	uint32_t n, i, blocks;
	int fd, rc = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ULL << ETH_SS_FEATURES;
	ifr.ifr_data = (void *)sset;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		rc = -errno;
		goto out;
	}
	if (!sset->sset_mask) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	n = sset->data[0];
	blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	feat = calloc(1, sizeof(*feat) + blocks * sizeof(feat->features[0]));
	if (!names || !feat) {
		rc = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		rc = -errno;
		goto out;
	}
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = blocks;
	ifr.ifr_data = (void *)feat;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *s = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;
		bool on = feat->features[i / 32].active & (1u << (i % 32));

		if (!strncmp(s, "rx-vlan-hw-parse", ETH_GSTRING_LEN))
			c->strip_ctag = on;
		else if (!strncmp(s, "rx-vlan-stag-hw-parse", ETH_GSTRING_LEN))
			c->strip_stag = on;
	}
out:
	free(names);
	free(feat);
	close(fd);
	return rc;
}

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void put_attr(struct genl_req *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* One request, one answer: calls fn on each attribute of the reply. */
static int genl_ask(int fd, struct genl_req *r, void (*fn)(const struct nlattr *, void *),
		    void *arg)
{
	char buf[8192];
	const struct nlmsghdr *h;
	ssize_t n;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const struct nlattr *a;
		int len;

		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : 0;
		}
		len = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (const struct nlattr *)((const char *)NLMSG_DATA(h) + GENL_HDRLEN);
		for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
		     len -= NLA_ALIGN(a->nla_len),
		     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))
			fn(a, arg);
		return 0;
	}
	return -EPROTO;
}

static void on_family(const struct nlattr *a, void *arg)
{
	if (a->nla_type == CTRL_ATTR_FAMILY_ID)
		memcpy(arg, (const char *)a + NLA_HDRLEN, sizeof(uint16_t));
}

static void on_dev(const struct nlattr *a, void *arg)
{
	if (a->nla_type == JF_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES &&
	    a->nla_len >= NLA_HDRLEN + sizeof(uint64_t))
		memcpy(arg, (const char *)a + NLA_HDRLEN, sizeof(uint64_t));
}

/* The driver's XDP RX metadata features, as the kernel reports them from
 * its xdp_metadata_ops: exact, with no program loaded to find out. */
static int driver_xdp_tag(uint32_t ifindex, struct jf_vlan_caps *c)
{
	struct genl_req r;
	uint16_t family = 0;
	uint64_t meta = 0;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nh.nlmsg_type = GENL_ID_CTRL;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.gh.cmd = CTRL_CMD_GETFAMILY;
	r.gh.version = 1;
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, JF_NETDEV_FAMILY, sizeof(JF_NETDEV_FAMILY));
	rc = genl_ask(fd, &r, on_family, &family);
	if (!rc && !family)
		rc = -ENOENT;
	if (rc)
		goto out;	/* before Linux 6.3: no such family, no metadata */
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nh.nlmsg_type = family;
	r.nh.nlmsg_flags = NLM_F_REQUEST;
	r.gh.cmd = JF_NETDEV_CMD_DEV_GET;
	r.gh.version = 1;
	put_attr(&r, JF_NETDEV_A_DEV_IFINDEX, &ifindex, sizeof(ifindex));
	rc = genl_ask(fd, &r, on_dev, &meta);
	if (!rc)
		c->xdp_tag = meta & JF_NETDEV_XDP_RX_METADATA_VLAN_TAG;
out:
	close(fd);
	return rc;
}

int jf_vlan_caps_get(const char *ifname, uint32_t ifindex, struct jf_vlan_caps *c)
{
	int e1, e2;

	memset(c, 0, sizeof(*c));
	e1 = ethtool_strip(ifname, c);
	e2 = driver_xdp_tag(ifindex, c);
	return e1 && e2 ? e1 : 0;
}
