/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Logging to stderr with levels; libbpf's messages come through here too. */
#ifndef JFLOWD_LOG_H
#define JFLOWD_LOG_H

enum jf_log_level {
	JF_LOG_ERR = 0,
	JF_LOG_WARN,
	JF_LOG_INFO,
	JF_LOG_DEBUG,
	JF_LOG_TRACE,		/* libbpf's own info and debug output */
};

extern int jf_log_level;

/* Under systemd, with stderr connected to the journal, prefix each line
 * with its syslog priority so that journald files it at that level. */
void jf_log_init(void);

void jf_log(enum jf_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) jf_log(JF_LOG_ERR, __VA_ARGS__)
#define log_warn(...) jf_log(JF_LOG_WARN, __VA_ARGS__)
#define log_info(...) jf_log(JF_LOG_INFO, __VA_ARGS__)
#define log_debug(...) jf_log(JF_LOG_DEBUG, __VA_ARGS__)

/* Route libbpf's own messages through jf_log, demoted: its warnings show
 * with -v, the rest with -vv; our own error line says what failed. */
void jf_log_setup_libbpf(void);

#endif
