// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file: "name = value" lines with the options' long
 * names, read into a struct jf_config through the option table, and the
 * named sections, handed to src/service/sections.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "service/config.h"
#include "service/options.h"
#include "service/sections.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

#define CONFIG_LINE_MAX 4096

int jf_config_read_file(struct jf_config *cfg, const char *path, FILE *errout)
{
	char *line = NULL, err[1024];
	struct jf_sections sec;
	size_t cap = 0;
	struct stat sb;
	int lineno = 0, rc = -1, at;
	ssize_t len;
	FILE *f;

	jf_sections_begin(&sec, cfg, path);
	f = fopen(path, "r");
	if (!f) {
		fprintf(errout, "jflowd: config %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* A directory reads as empty, a device (/dev/zero) never ends: only a
	 * regular file is a configuration. */
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		fprintf(errout, "jflowd: config %s: not a regular file\n", path);
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *s, *name, *val, *sep;
		const struct jf_opt *o;

		lineno++;
		/* Whole lines or nothing: the tail of a cut line, or what follows
		 * a NUL, would be read as an option of its own. */
		if (len > CONFIG_LINE_MAX) {
			fprintf(errout, "jflowd: config %s:%d: line longer than %d bytes\n",
				path, lineno, CONFIG_LINE_MAX);
			goto out;
		}
		if (memchr(line, '\0', (size_t)len)) {
			fprintf(errout, "jflowd: config %s:%d: NUL byte (not a text file?)\n",
				path, lineno);
			goto out;
		}
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		s = trim(line);
		if (!*s)
			continue;
		/* [record NAME], [exporter NAME], [monitor NAME]: the lines
		 * up to the next one are that section's (sections.c). */
		if (*s == '[') {
			at = lineno;
			if (jf_sections_header(&sec, s, &at, err, sizeof(err))) {
				fprintf(errout, "jflowd: config %s:%d: %s\n", path, at, err);
				goto out;
			}
			continue;
		}
		sep = s + strcspn(s, "= \t");
		val = *sep ? sep + 1 : sep;
		*sep = '\0';
		name = trim(s);
		val = trim(val);
		if (*val == '=')
			val = trim(val + 1);
		if (jf_sections_active(&sec)) {
			if (jf_sections_line(&sec, name, val, lineno, err, sizeof(err))) {
				fprintf(errout, "jflowd: config %s:%d: %s\n", path, lineno, err);
				goto out;
			}
			continue;
		}
		o = jf_opt_find(name);
		if (!o || !o->set) {
			fprintf(errout, "jflowd: config %s:%d: unknown option '%s'\n", path, lineno, name);
			goto out;
		}
		if (o->has_arg && !*val) {
			fprintf(errout, "jflowd: config %s:%d: option '%s' needs a value\n",
				path, lineno, name);
			goto out;
		}
		if (o->set(cfg, val, err)) {
			fprintf(errout, "jflowd: config %s:%d: %s\n", path, lineno, err);
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(errout, "jflowd: config %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (jf_sections_end(&sec, &at, err, sizeof(err))) {
		fprintf(errout, "jflowd: config %s:%d: %s\n", path, at, err);
		goto out;
	}
	rc = 0;
out:
	jf_sections_free(&sec);
	free(line);
	fclose(f);
	return rc;
}

