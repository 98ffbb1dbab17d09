// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Logging to stderr with levels; libbpf's messages come through here too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "log.h"

int jf_log_level = JF_LOG_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug", "trace" };

/* syslog(3) priorities, for journald's "<N>" line prefix. */
static const char *const journal_prio[] = { "<3>", "<4>", "<6>", "<7>", "<7>" };
static int to_journal;

void jf_log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
	 * to stderr; when they match, journald reads our priority prefixes. */
	to_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		     !fstat(2, &st) && st.st_dev == dev && st.st_ino == ino;
}

__attribute__((format(printf, 2, 0)))
static void jf_vlog(enum jf_log_level lvl, const char *fmt, va_list ap)
{
	if ((int)lvl > jf_log_level)
		return;
	if (to_journal)
		fprintf(stderr, "%s%s: ", journal_prio[lvl], level_names[lvl]);
	else
		fprintf(stderr, "jflowd: %s: ", level_names[lvl]);
	vfprintf(stderr, fmt, ap);
}

void jf_log(enum jf_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jf_vlog(lvl, fmt, ap);
	va_end(ap);
	if ((int)lvl <= jf_log_level)
		fputc('\n', stderr);
}

__attribute__((format(printf, 2, 0)))
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum jf_log_level lvl = level == LIBBPF_WARN ? JF_LOG_DEBUG : JF_LOG_TRACE;

	if ((int)lvl > jf_log_level)
		return 0;
	/* libbpf's lines start with "libbpf: " */
	fputs(to_journal ? journal_prio[lvl] : "jflowd: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void jf_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
