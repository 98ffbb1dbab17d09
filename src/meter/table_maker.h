/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The table maker: a helper process that keeps CAP_BPF only to make the
 * flow table's larger tables (their segment maps) after the agent gave
 * its capabilities up. */
#ifndef JFLOWD_TABLE_MAKER_H
#define JFLOWD_TABLE_MAKER_H

#include <stdbool.h>
#include <stdint.h>

struct jf_table_maker;

/* Fork the helper (before the capability drop, before any table is
 * mapped, so it holds no table's memory). NULL: no helper (the table
 * cannot grow). */
struct jf_table_maker *jf_table_maker_start(void);

/* The nseg segments of a new table (table_segs.h, 2^shift lines each)
 * from the helper: 0 with *fds a malloc'ed array of nseg descriptors (the
 * caller's), or -errno. */
int jf_table_maker_make(struct jf_table_maker *tm, uint32_t shift, uint32_t nseg, int **fds);
/* The same in two steps, so the agent goes on reading the program's spill
 * ring while the kernel makes (and zeroes) large maps: ask (0 or -errno),
 * then take the answer as jf_table_maker_make gives it, or -EAGAIN without
 * wait while it is not all there yet (call again). One question at a
 * time; a failed take ends it. */
int jf_table_maker_ask(struct jf_table_maker *tm, uint32_t shift, uint32_t nseg);
int jf_table_maker_take(struct jf_table_maker *tm, bool wait, int **fds);

/* Where the helper may write its name (main's argument strings); not
 * called: the helper keeps the agent's command line. */
void jf_table_maker_title_area(char **argv, int argc);

/* Close the socket and reap the helper. */
void jf_table_maker_stop(struct jf_table_maker *tm);

#endif
