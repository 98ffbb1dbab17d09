// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Traffic selection: pcap-filter(7) expressions compiled by libpcap, the
 * check that the programs' selection step can run one, and the reference
 * interpreter with the programs' semantics (bpf/filter.h). */
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>
#include "meter/filter.h"

int jf_filter_compile(const char *expr, int linktype, struct bpf_program *prog, char *err,
		      size_t errlen)
{
	pcap_t *p = pcap_open_dead(linktype, 65535);
	int rc = 0;

	if (!p) {
		snprintf(err, errlen, "filter '%s': out of memory", expr);
		return -1;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(p));
		rc = -1;
	}
	pcap_close(p);
	return rc;
}

/* The instructions libpcap emits for Ethernet that the step runs. */
static bool known(uint16_t code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_W | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_ALU | BPF_NEG:
	case BPF_JMP | BPF_JA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
		return true;
	default:
		break;
	}
	if (BPF_CLASS(code) == BPF_ALU && BPF_OP(code) <= BPF_XOR && BPF_OP(code) != BPF_NEG)
		return true;
	if (BPF_CLASS(code) == BPF_JMP && BPF_OP(code) >= BPF_JEQ && BPF_OP(code) <= BPF_JSET)
		return true;
	return false;
}

int jf_filter_check_bpf(const struct bpf_program *prog, char *err, size_t errlen)
{
	unsigned int i, n = prog->bf_len;

	if (n > JF_CBPF_MAX) {
		snprintf(err, errlen, "it compiles to %u instructions; the XDP program takes at "
			 "most %d (mode = pcap takes any)", n, JF_CBPF_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct bpf_insn *in = &prog->bf_insns[i];

		if ((in->code == (BPF_LD | BPF_MEM) || in->code == (BPF_LDX | BPF_W | BPF_MEM) ||
		     in->code == BPF_ST || in->code == BPF_STX) && in->k >= 16) {
			snprintf(err, errlen, "instruction %u uses scratch word %u", i, in->k);
			return -1;
		}
		if (!known(in->code)) {
			snprintf(err, errlen, "instruction %u (code 0x%x) is not one the XDP "
				 "program runs (mode = pcap runs it)", i, in->code);
			return -1;
		}
		if ((in->code == (BPF_JMP | BPF_JA) && in->k >= n - i - 1) ||
		    (BPF_CLASS(in->code) == BPF_JMP && in->code != (BPF_JMP | BPF_JA) &&
		     (in->jt >= n - i - 1 || in->jf >= n - i - 1))) {
			snprintf(err, errlen, "instruction %u jumps out of the program", i);
			return -1;
		}
	}
	if (!n || BPF_CLASS(prog->bf_insns[n - 1].code) != BPF_RET) {
		snprintf(err, errlen, "the program does not end in a return");
		return -1;
	}
	return 0;
}

int jf_filter_to_cbpf(const char *expr, struct jf_cbpf *f, char *err, size_t errlen)
{
	struct bpf_program prog;
	char why[256];
	unsigned int i;

	if (jf_filter_compile(expr, DLT_EN10MB, &prog, err, errlen))
		return -1;
	if (jf_filter_check_bpf(&prog, why, sizeof(why))) {
		snprintf(err, errlen, "filter '%s': %s", expr, why);
		pcap_freecode(&prog);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	f->len = prog.bf_len;
	for (i = 0; i < prog.bf_len; i++) {
		f->insn[i].code = prog.bf_insns[i].code;
		f->insn[i].jt = prog.bf_insns[i].jt;
		f->insn[i].jf = prog.bf_insns[i].jf;
		f->insn[i].k = prog.bf_insns[i].k;
	}
	pcap_freecode(&prog);
	return 0;
}

static int ld(const unsigned char *pkt, unsigned int len, uint32_t off, unsigned int size,
	      uint32_t *v)
{
	if (off > 0xffff || off + size > len)
		return -1;
	*v = size == 4 ? (uint32_t)pkt[off] << 24 | (uint32_t)pkt[off + 1] << 16 |
			 (uint32_t)pkt[off + 2] << 8 | pkt[off + 3]
	   : size == 2 ? (uint32_t)pkt[off] << 8 | pkt[off + 1] : pkt[off];
	return 0;
}

/* A op b (b not 0 for a division or a modulo). */
static uint32_t alu(unsigned int op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_DIV:
		return a / b;
	case BPF_MOD:
		return a % b;
	case BPF_AND:
		return a & b;
	case BPF_OR:
		return a | b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return b < 32 ? a << b : 0;
	case BPF_RSH:
		return b < 32 ? a >> b : 0;
	default:		/* BPF_NEG */
		return -a;
	}
}

unsigned int jf_cbpf_run(const struct jf_cbpf *f, const unsigned char *pkt, unsigned int len)
{
	uint32_t A = 0, X = 0, M[16] = { 0 }, pc = 0, v;
	unsigned int steps;

	if (!f->len)
		return 1;
	for (steps = 0; steps < JF_CBPF_MAX; steps++) {
		const struct jf_cbpf_insn *in;
		uint32_t k;

		if (pc >= JF_CBPF_MAX)
			return 0;
		in = &f->insn[pc];
		k = in->k;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS:
		case BPF_LD | BPF_W | BPF_IND:
		case BPF_LD | BPF_H | BPF_IND:
		case BPF_LD | BPF_B | BPF_IND:
			if (ld(pkt, len, BPF_MODE(in->code) == BPF_IND ? X + k : k,
			       BPF_SIZE(in->code) == BPF_W ? 4 : BPF_SIZE(in->code) == BPF_H ? 2 : 1,
			       &A))
				return 0;
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			if (ld(pkt, len, k, 1, &v))
				return 0;
			X = (v & 0xf) << 2;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			A = len;
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = len;
			break;
		case BPF_LD | BPF_IMM:
			A = k;
			break;
		case BPF_LDX | BPF_W | BPF_IMM:
			X = k;
			break;
		case BPF_LD | BPF_MEM:
			A = M[k & 15];
			break;
		case BPF_LDX | BPF_W | BPF_MEM:
			X = M[k & 15];
			break;
		case BPF_ST:
			M[k & 15] = A;
			break;
		case BPF_STX:
			M[k & 15] = X;
			break;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return A;
		case BPF_MISC | BPF_TAX:
			X = A;
			break;
		case BPF_MISC | BPF_TXA:
			A = X;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		default:
			if (BPF_CLASS(in->code) == BPF_ALU) {
				uint32_t b = BPF_SRC(in->code) == BPF_X ? X : k;

				if ((BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD) &&
				    !b)
					return 0;
				A = alu(BPF_OP(in->code), A, b);
			} else if (BPF_CLASS(in->code) == BPF_JMP) {
				uint32_t b = BPF_SRC(in->code) == BPF_X ? X : k;
				bool t;

				t = BPF_OP(in->code) == BPF_JEQ ? A == b
				  : BPF_OP(in->code) == BPF_JGT ? A > b
				  : BPF_OP(in->code) == BPF_JGE ? A >= b : (A & b) != 0;
				pc += t ? in->jt : in->jf;
			} else {
				return 0;
			}
			break;
		}
		pc++;
	}
	return 0;
}
