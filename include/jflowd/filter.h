/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A monitor's traffic filter as the programs run it: the classic BPF
 * instructions libpcap compiles a pcap-filter(7) expression into, for
 * Ethernet frames (src/meter/filter.c), interpreted by the selection step
 * (bpf/filter.h). Shared by the programs and the agent. */
#ifndef JFLOWD_FILTER_H_SHARED
#define JFLOWD_FILTER_H_SHARED

#include <linux/types.h>
#include <linux/bpf_common.h>

/* Classic BPF's own (linux/filter.h), here for the programs too. */
#ifndef BPF_A
#define BPF_A 0x10
#endif
#ifndef BPF_MISC
#define BPF_MISC 0x07
#endif
#ifndef BPF_TAX
#define BPF_TAX 0x00
#endif
#ifndef BPF_TXA
#define BPF_TXA 0x80
#endif

/* A filter expression's bytes, with its NUL (the configuration's). */
#define JF_FILTER_MAX 512

/* Instructions of one filter the programs take (the interpreter runs at
 * most this many steps). "not port 22" is 24 instructions; libpcap's own
 * limit is 4096. */
#define JF_CBPF_MAX 256

struct jf_cbpf_insn {
	__u16 code;		/* BPF_LD | BPF_H | BPF_ABS, ... (linux/bpf_common.h) */
	__u8 jt;
	__u8 jf;
	__u32 k;
};

struct jf_cbpf {
	__u32 len;		/* instructions; 0: none, every packet selected */
	__u32 pad;
	struct jf_cbpf_insn insn[JF_CBPF_MAX];
};

#endif
