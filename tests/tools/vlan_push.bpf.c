// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test only: on a sender's clsact egress (cls_bpf), tags every IPv4 and
 * IPv6 frame with VLAN 100 the way a NIC's rx-vlan offload hands it over:
 * bpf_skb_vlan_push() keeps the tag beside the frame, not in it. Across a
 * veth pair whose sender offloads VLAN insertion (tx-vlan-offload on) the
 * receiver's XDP sees the frame untagged and the tag as metadata; with
 * tx-vlan-offload off, the kernel writes the tag into the frame. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* VLAN 100 with priority 5 and the DEI bit set: the TCI is not the VLAN
 * id, the receiver must mask. */
#define JF_TEST_TCI (5 << 13 | 1 << 12 | 100)

/* IPv4, IPv6 and frames tagged already (the stripped tag is then the outer
 * one, QinQ); by the frame's ethertype, since a packet socket's skb says
 * ETH_P_ALL. ARP and the rest go untagged: the peer has no 8021q. */
SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	__u16 type;

	if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)))
		return TC_ACT_OK;
	if (type != bpf_htons(ETH_P_IP) && type != bpf_htons(ETH_P_IPV6) &&
	    type != bpf_htons(ETH_P_8021Q))
		return TC_ACT_OK;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), JF_TEST_TCI))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
