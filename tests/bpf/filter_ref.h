/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef JFLOWD_TEST_FILTER_REF_H
#define JFLOWD_TEST_FILTER_REF_H

struct filter_ref;
struct filter_ref *filter_ref_new(const char *expr);	/* NULL: does not compile */
int filter_ref_match(const struct filter_ref *r, const unsigned char *pkt, unsigned len);
void filter_ref_free(struct filter_ref *r);

#endif
