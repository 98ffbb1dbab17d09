/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The selection step: a monitor's filter (include/jflowd/filter.h), the
 * classic BPF libpcap compiled from its expression, interpreted on the
 * frame before any table work. One global function per program type
 * (the verifier walks the interpreter once per program): XDP reads the
 * frame directly (bpf_xdp_load_bytes past the linear part), TC egress
 * with bpf_skb_load_bytes. The semantics are classic BPF's: a load past
 * the frame, or a division by zero, rejects the packet; a return value
 * of 0 rejects it, any other selects it. */
#ifndef JFLOWD_BPF_FILTER_H
#define JFLOWD_BPF_FILTER_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "jflowd/filter.h"
#include "jflowd/monitor.h"
#include "jflowd/parse.h"

/* Filters, two slots per monitor ([mon * 2 + slot]); filter_on[mon]: 0
 * none, else 1 + the slot in use. The agent writes a new filter into the
 * other slot, then switches: a packet never sees half of one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * JF_MONITORS);
	__type(key, __u32);
	__type(value, struct jf_cbpf);
} mon_filter SEC(".maps");
volatile __u8 filter_on[JF_MONITORS];

/* size bytes (1, 2 or 4, a constant) at off, big-endian, into *v; -1 past
 * the frame. */
static __always_inline int jf_cbpf_ld(void *ctx, const int tc, __u32 off, const __u32 size,
				      __u32 *v)
{
	__u8 b[4] = { 0, 0, 0, 0 };

	if (off > 0xffff)
		return -1;
	if (!tc) {
		struct xdp_md *x = ctx;
		__u8 *data = (__u8 *)(long)x->data, *end = (__u8 *)(long)x->data_end;

		/* Direct below 16 KiB (a bound the verifier can carry: the
		 * pointer's offset plus the size within 64 KiB), the helper
		 * past the linear part. */
		if (off < 0x4000) {
			__u8 *p = data + off;

			if (p + size <= end) {
				*v = size == 4 ? jf_rd32(p) : size == 2 ? jf_rd16(p) : p[0];
				return 0;
			}
		}
		if (bpf_xdp_load_bytes(x, off, b, size))
			return -1;
	} else if (bpf_skb_load_bytes(ctx, off, b, size)) {
		return -1;
	}
	*v = size == 4 ? jf_rd32(b) : size == 2 ? jf_rd16(b) : b[0];
	return 0;
}

/* The interpreter's state, on the filter function's stack; bpf_loop runs
 * one instruction per call of the step, which the verifier checks once,
 * not once per instruction of the longest filter. */
struct jf_cbpf_run {
	void *ctx;
	const struct jf_cbpf *f;
	__u32 A, X, pc, len, ret;
	__u32 M[16];
};

/* One instruction of r's filter; 1 when the filter returned (r->ret). */
static __always_inline long jf_cbpf_step(struct jf_cbpf_run *run, const int tc)
{
	const struct jf_cbpf_insn *in;
	struct jf_cbpf_run *r = run;
	void *ctx = run->ctx;
	__u32 A, X, pc, k, v;

	A = r->A;
	X = r->X;
	pc = r->pc;
	r->ret = 0;
	if (pc >= JF_CBPF_MAX)
		return 1;
	in = &run->f->insn[pc];
	k = in->k;
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		if (jf_cbpf_ld(ctx, tc, k, 4, &A))
			return 1;
		break;
	case BPF_LD | BPF_H | BPF_ABS:
		if (jf_cbpf_ld(ctx, tc, k, 2, &A))
			return 1;
		break;
	case BPF_LD | BPF_B | BPF_ABS:
		if (jf_cbpf_ld(ctx, tc, k, 1, &A))
			return 1;
		break;
	case BPF_LD | BPF_W | BPF_IND:
		if (jf_cbpf_ld(ctx, tc, X + k, 4, &A))
			return 1;
		break;
	case BPF_LD | BPF_H | BPF_IND:
		if (jf_cbpf_ld(ctx, tc, X + k, 2, &A))
			return 1;
		break;
	case BPF_LD | BPF_B | BPF_IND:
		if (jf_cbpf_ld(ctx, tc, X + k, 1, &A))
			return 1;
		break;
	case BPF_LDX | BPF_B | BPF_MSH:
		if (jf_cbpf_ld(ctx, tc, k, 1, &v))
			return 1;
		X = (v & 0xf) << 2;
		break;
	case BPF_LD | BPF_W | BPF_LEN:
		A = r->len;
		break;
	case BPF_LDX | BPF_W | BPF_LEN:
		X = r->len;
		break;
	case BPF_LD | BPF_IMM:
		A = k;
		break;
	case BPF_LDX | BPF_W | BPF_IMM:
		X = k;
		break;
	case BPF_LD | BPF_MEM:
		A = r->M[k & 15];
		break;
	case BPF_LDX | BPF_W | BPF_MEM:
		X = r->M[k & 15];
		break;
	case BPF_ST:
		r->M[k & 15] = A;
		break;
	case BPF_STX:
		r->M[k & 15] = X;
		break;
	case BPF_ALU | BPF_ADD | BPF_K:
		A += k;
		break;
	case BPF_ALU | BPF_SUB | BPF_K:
		A -= k;
		break;
	case BPF_ALU | BPF_MUL | BPF_K:
		A *= k;
		break;
	case BPF_ALU | BPF_DIV | BPF_K:
		if (!k)
			return 1;
		A /= k;
		break;
	case BPF_ALU | BPF_MOD | BPF_K:
		if (!k)
			return 1;
		A %= k;
		break;
	case BPF_ALU | BPF_AND | BPF_K:
		A &= k;
		break;
	case BPF_ALU | BPF_OR | BPF_K:
		A |= k;
		break;
	case BPF_ALU | BPF_XOR | BPF_K:
		A ^= k;
		break;
	case BPF_ALU | BPF_LSH | BPF_K:
		A = k < 32 ? A << k : 0;
		break;
	case BPF_ALU | BPF_RSH | BPF_K:
		A = k < 32 ? A >> k : 0;
		break;
	case BPF_ALU | BPF_ADD | BPF_X:
		A += X;
		break;
	case BPF_ALU | BPF_SUB | BPF_X:
		A -= X;
		break;
	case BPF_ALU | BPF_MUL | BPF_X:
		A *= X;
		break;
	case BPF_ALU | BPF_DIV | BPF_X:
		if (!X)
			return 1;
		A /= X;
		break;
	case BPF_ALU | BPF_MOD | BPF_X:
		if (!X)
			return 1;
		A %= X;
		break;
	case BPF_ALU | BPF_AND | BPF_X:
		A &= X;
		break;
	case BPF_ALU | BPF_OR | BPF_X:
		A |= X;
		break;
	case BPF_ALU | BPF_XOR | BPF_X:
		A ^= X;
		break;
	case BPF_ALU | BPF_LSH | BPF_X:
		A = X < 32 ? A << X : 0;
		break;
	case BPF_ALU | BPF_RSH | BPF_X:
		A = X < 32 ? A >> X : 0;
		break;
	case BPF_ALU | BPF_NEG:
		A = -A;
		break;
	case BPF_JMP | BPF_JA:
		pc += k;
		break;
	case BPF_JMP | BPF_JEQ | BPF_K:
		pc += A == k ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JGT | BPF_K:
		pc += A > k ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JGE | BPF_K:
		pc += A >= k ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JSET | BPF_K:
		pc += A & k ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JEQ | BPF_X:
		pc += A == X ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JGT | BPF_X:
		pc += A > X ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JGE | BPF_X:
		pc += A >= X ? in->jt : in->jf;
		break;
	case BPF_JMP | BPF_JSET | BPF_X:
		pc += A & X ? in->jt : in->jf;
		break;
	case BPF_RET | BPF_K:
		r->ret = k;
		return 1;
	case BPF_RET | BPF_A:
		r->ret = A;
		return 1;
	case BPF_MISC | BPF_TAX:
		X = A;
		break;
	case BPF_MISC | BPF_TXA:
		A = X;
		break;
	default:
		return 1;
	}
	r->A = A;
	r->X = X;
	r->pc = pc + 1;
	return 0;
}

static long jf_cbpf_step_xdp(__u32 i, void *arg)
{
	return jf_cbpf_step(arg, 0);
}

static long jf_cbpf_step_tc(__u32 i, void *arg)
{
	return jf_cbpf_step(arg, 1);
}

/* f's verdict on the frame of ctx (XDP or TC, a constant): nonzero
 * selects. Running off the end of the instructions rejects. */
static __always_inline int jf_cbpf_verdict(void *ctx, const struct jf_cbpf *f, const int tc)
{
	struct jf_cbpf_run run;

	__builtin_memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.f = f;
	run.len = tc ? ((struct __sk_buff *)ctx)->len : (__u32)bpf_xdp_get_buff_len(ctx);
	if (tc)
		bpf_loop(JF_CBPF_MAX, jf_cbpf_step_tc, &run, 0);
	else
		bpf_loop(JF_CBPF_MAX, jf_cbpf_step_xdp, &run, 0);
	return run.ret != 0;
}

/* Whether monitor mon's filter selects the frame (XDP). A global
 * function: verified once, however many places call it. */
__noinline int jf_filter_xdp(struct xdp_md *ctx, __u32 mon)
{
	__u32 key = (mon & (JF_MONITORS - 1)) * 2 + ((filter_on[mon & (JF_MONITORS - 1)] - 1) & 1);
	const struct jf_cbpf *f;

	if (!ctx)
		return 1;
	f = bpf_map_lookup_elem(&mon_filter, &key);
	if (!f || !f->len)
		return 1;
	return jf_cbpf_verdict(ctx, f, 0);
}

/* The same for TC egress. */
__noinline int jf_filter_tc(struct __sk_buff *skb, __u32 mon)
{
	__u32 key = (mon & (JF_MONITORS - 1)) * 2 + ((filter_on[mon & (JF_MONITORS - 1)] - 1) & 1);
	const struct jf_cbpf *f;

	if (!skb)
		return 1;
	f = bpf_map_lookup_elem(&mon_filter, &key);
	if (!f || !f->len)
		return 1;
	return jf_cbpf_verdict(skb, f, 1);
}

#endif
