/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small text helpers shared by the readers of line-based files (the
 * configuration, the prefix-to-AS file). */
#ifndef JFLOWD_TEXT_H
#define JFLOWD_TEXT_H

#include <ctype.h>
#include <string.h>

/* s without its leading and trailing blanks (the trailing ones cut off in
 * place). */
static inline char *jf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

#endif
