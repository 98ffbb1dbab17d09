/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Traffic selection: a monitor's `filter = EXPRESSION` (pcap-filter(7)),
 * compiled by libpcap into classic BPF. The libpcap meter applies it with
 * pcap_setfilter (or pcap_offline_filter per monitor where monitors of one
 * interface differ); the XDP and TC programs run the same instructions in
 * their selection step (bpf/filter.h), before any table work. */
#ifndef JFLOWD_FILTER_H
#define JFLOWD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include "jflowd/filter.h"

/* libpcap's compiled program (pcap/pcap.h: its struct bpf_insn is not the
 * kernel's, so this header leaves it out for the BPF meter). */
struct bpf_program;

/* Compile expr for frames of link type linktype (DLT_*). 0, or -1 with
 * libpcap's reason in err. prog is freed with pcap_freecode. */
int jf_filter_compile(const char *expr, int linktype, struct bpf_program *prog, char *err,
		      size_t errlen);

/* Whether the programs' selection step can run prog (Ethernet frames):
 * at most JF_CBPF_MAX instructions of the kinds libpcap emits, jumps
 * forward and inside it, ending in a return. 0, or -1 with why in err. */
int jf_filter_check_bpf(const struct bpf_program *prog, char *err, size_t errlen);

/* expr for the programs: compiled for Ethernet, checked, into f. 0 or -1
 * with err. */
int jf_filter_to_cbpf(const char *expr, struct jf_cbpf *f, char *err, size_t errlen);

/* Run f on a frame as the programs do (tests, and the reference the BPF
 * suite compares the programs with): its return value, 0 = rejected. */
unsigned int jf_cbpf_run(const struct jf_cbpf *f, const unsigned char *pkt, unsigned int len);

#endif
