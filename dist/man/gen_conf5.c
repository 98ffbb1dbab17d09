// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Writes jflowd.conf(5) from its source (configured: paths and version in
 * place), putting in the two lists that come from the code: every element
 * of the vocabulary (src/flow/fields.c) where the source has the line
 * `.\" {elements}`, and every built-in record (src/flow/records.c),
 * field by field, at `.\" {records}`. So the page names what jflowd can
 * fill, and nothing else, release after release.
 *
 *   jflowd-gen-conf5 IN OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/fields.h"
#include "flow/records.h"

/* Text for troff: backslash and hyphen escaped. Callers start lines with
 * a request or a word, never with text that could begin with '.'. */
static void put(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static const char *family(const struct jf_ie_def *e)
{
	return e->family == JF_IEF_IPV4 ? "IPv4 flows" : e->family == JF_IEF_IPV6 ? "IPv6 flows"
										   : "every flow";
}

static void lengths(FILE *f, const struct jf_ie_def *e)
{
	int n, first = 1;

	for (n = 1; n <= 16; n++) {
		if (!(e->lens & (1u << n)))
			continue;
		fprintf(f, "%s%d", first ? "" : " or ", n);
		first = 0;
	}
	fprintf(f, " byte%s", e->lens == (1u << 1) ? "" : "s");
}

static void elements(FILE *f)
{
	size_t i;

	for (i = 0; i < jf_n_ies; i++) {
		const struct jf_ie_def *e = &jf_ies[i];

		fprintf(f, ".TP\n.B %s\n", e->name);
		fprintf(f, "ID %u, %s, ", e->id, jf_ie_type_name(e->type));
		lengths(f, e);
		if (e->v9_id || e->v9_len)
			fprintf(f, " (v9: field %u, %u bytes)", jf_ie_wire_id(e, true),
				jf_ie_wire_len(e, e->len, true));
		fprintf(f, "; %s; ", family(e));
		if (e->role == JF_ROLE_KEY)
			fputs(e->flags & JF_IE_PREFIX ? "a key, takes /N" : "a key", f);
		else if (e->role == JF_ROLE_EITHER)
			fputs("a key or a field", f);
		else
			fputs("a field", f);
		fputs(".\n", f);
		fputs("Filled by the ", f);
		put(f, jf_ie_src_name(e->src));
		fputs(": ", f);
		put(f, e->fills);
		fputs(".\n", f);
		if (e->needs) {
			fputs("Needs ", f);
			put(f, jf_need_text(e->needs));
			fputs(".\n", f);
		}
	}
}

static void records(FILE *f)
{
	const struct jf_record_def *d;
	int i, k;

	fputs(".ad l\n", f);	/* long names: ragged right */
	for (i = 0; (d = jf_record_builtin_at(i)); i++) {
		fprintf(f, ".TP\n.B %s\n", d->name);
		for (k = 0; k < d->n; k++) {
			const struct jf_record_elem *e = &d->e[k];

			/* Keys in bold; \% keeps a name from being hyphenated. */
			fprintf(f, "%s\\%%%s%s", k ? ",\n" : "", e->key ? "\\fB" : "", e->ie->name);
			if (e->prefix)
				fprintf(f, "/%u", e->prefix);
			if (e->key)
				fputs("\\fR", f);
			if (e->len != e->ie->len)
				fprintf(f, " (%u bytes)", e->len);
			if (e->ie->flags & JF_IE_SAMPLED)
				fputs(" (when the monitor samples)", f);
		}
		fputs(".\n", f);
	}
	fputs(".ad\n", f);
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	char line[4096];
	int found = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
		return 2;
	}
	in = fopen(argv[1], "r");
	out = fopen(argv[2], "w");
	if (!in || !out) {
		perror(in ? argv[2] : argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		if (!strcmp(line, ".\\\" {elements}\n")) {
			elements(out);
			found |= 1;
		} else if (!strcmp(line, ".\\\" {records}\n")) {
			records(out);
			found |= 2;
		} else {
			fputs(line, out);
		}
	}
	if (found != 3) {
		fprintf(stderr, "%s: no {elements} or {records} line\n", argv[1]);
		return 1;
	}
	if (ferror(in) || fclose(out)) {
		perror(argv[2]);
		return 1;
	}
	fclose(in);
	return 0;
}
