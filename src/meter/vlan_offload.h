/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What an interface does with VLAN tags on receive: whether its NIC strips
 * them (rx-vlan offload, ethtool) and whether its driver gives the stripped
 * tag to XDP (the netdev family's XDP RX metadata features). */
#ifndef JFLOWD_VLAN_OFFLOAD_H
#define JFLOWD_VLAN_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

struct jf_vlan_caps {
	bool strip_ctag;	/* rx-vlan-hw-parse (ethtool's rx-vlan-offload) */
	bool strip_stag;	/* rx-vlan-stag-hw-parse */
	bool xdp_tag;		/* the driver answers bpf_xdp_metadata_rx_vlan_tag */
};

/* Fills c for the interface; a feature that cannot be read counts as off.
 * 0, or -errno when neither could be read. */
int jf_vlan_caps_get(const char *ifname, uint32_t ifindex, struct jf_vlan_caps *c);

#endif
