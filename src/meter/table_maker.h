/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The table maker: a helper process that keeps CAP_BPF only to make the
 * flow table's larger maps after the agent gave its capabilities up. */
#ifndef JFLOWD_TABLE_MAKER_H
#define JFLOWD_TABLE_MAKER_H

#include <stdbool.h>
#include <stdint.h>

struct jf_table_maker;

/* A flow table map of `lines` 64-byte lines (bpf/maps.h, struct
 * jf_table_map): a descriptor, or -errno. Needs CAP_BPF. */
int jf_table_map_create(uint32_t lines);

/* Fork the helper (before the capability drop, before any table is
 * mapped, so it holds no table's memory). It makes maps of at most
 * max_lines lines. NULL: no helper (the table cannot grow). */
struct jf_table_maker *jf_table_maker_start(uint32_t max_lines);

/* A new table map from the helper: a descriptor, or -errno. */
int jf_table_maker_make(struct jf_table_maker *tm, uint32_t lines);
/* The same in two steps, so the agent goes on reading the program's spill
 * ring while the kernel makes (and zeroes) a large map: ask (0 or -errno),
 * then take the answer, as jf_table_maker_make returns it, or -EAGAIN
 * without wait while it is not there yet. One question at a time. */
int jf_table_maker_ask(struct jf_table_maker *tm, uint32_t lines);
int jf_table_maker_take(struct jf_table_maker *tm, bool wait);

/* Where the helper may write its name (main's argument strings); not
 * called: the helper keeps the agent's command line. */
void jf_table_maker_title_area(char **argv, int argc);

/* Close the socket and reap the helper. */
void jf_table_maker_stop(struct jf_table_maker *tm);

#endif
