// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowctl: send one command to a running jflowd over its control socket
 * and print the answer (docs/control.md describes the protocol). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "service/control_cmds.h"
#include "version.h"

#define DEFAULT_SOCKET "/run/jflowd/jflowd.sock"
#define TIMEOUT_MS 10000
#define LINE_MAX_LEN 255
#define LINE_BUF 4096		/* longer lines are written in parts */
#define EXIT_USAGE 2

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: jflowctl [-s PATH] COMMAND [ARGS]\n"
		"\n"
		"Talk to a running jflowd over its control socket.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH   jflowd's control socket (default " DEFAULT_SOCKET ")\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < JF_CTL_N_CMDS; i++) {
		const struct jf_ctl_cmd *c = &jf_ctl_cmds[i];
		char head[80];

		snprintf(head, sizeof(head), "%s%s%s", c->name, *c->usage ? " " : "", c->usage);
		if (strlen(head) > 22)
			fprintf(out, "  %s\n%24s", head, "");
		else
			fprintf(out, "  %-22s", head);
		fprintf(out, "%s%s%s%s\n", c->help, c->alias ? " (softflowctl: " : "",
			c->alias ? c->alias : "", c->alias ? ")" : "");
	}
}

/* The answer, line by line: "ok" or "error: REASON", the body, then a
 * line "." (a body line that starts with "." has one more in front). The
 * body goes to stdout, or to stderr after an error. Exits 1 on an error,
 * and on an answer cut before its end: never a silent truncation. */
struct reader {
	int status;		/* -1 before the status line, then 0 or 1 */
	bool done;		/* the end marker came */
	char line[LINE_BUF];
	size_t len;
	bool long_line;		/* the line did not fit: written in parts */
};

static void take_line(struct reader *r, bool whole)
{
	const char *p = r->line;
	size_t n = r->len;

	if (!r->long_line && n && p[0] == '.') {
		if (whole && n == 1) {
			r->done = true;
			return;
		}
		p++;
		n--;
	}
	if (r->status < 0) {
		/* The status line, only its first part if it is long. */
		r->status = n == 2 && !memcmp(p, "ok", 2) && whole ? 0 : 1;
		if (r->status)
			fprintf(stderr, "jflowctl: %.*s\n", (int)n, p);
	} else {
		fwrite(p, 1, n, r->status ? stderr : stdout);
		if (whole)
			fputc('\n', r->status ? stderr : stdout);
	}
	r->long_line = !whole;
	r->len = 0;
}

static int read_answer(int fd, int send_errno)
{
	struct reader r = { .status = -1 };
	char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n, i;
		int rc;

		rc = poll(&p, 1, TIMEOUT_MS);
		if (rc <= 0) {
			fprintf(stderr, "jflowctl: no answer from jflowd within %d s\n",
				TIMEOUT_MS / 1000);
			return 1;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			fprintf(stderr, "jflowctl: recv: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		for (i = 0; i < n && !r.done; i++) {
			if (buf[i] == '\n') {
				take_line(&r, true);
				continue;
			}
			if (r.len == sizeof(r.line))
				take_line(&r, false);
			r.line[r.len++] = buf[i];
		}
		if (r.done)
			break;
	}
	close(fd);
	if (fflush(stdout)) {
		fprintf(stderr, "jflowctl: write: %s\n", strerror(errno));
		return 1;
	}
	if (r.status < 0) {
		if (send_errno)
			fprintf(stderr, "jflowctl: send: %s\n", strerror(send_errno));
		else
			fprintf(stderr, "jflowctl: jflowd closed the connection without an answer\n");
		return 1;
	}
	if (!r.done) {
		fprintf(stderr, "jflowctl: the answer was cut short (jflowd closed the "
			"connection before its end); what came is above\n");
		return 1;
	}
	return r.status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = DEFAULT_SOCKET;
	char req[LINE_MAX_LEN + 2] = "", err[256];
	struct jf_ctl_req r;
	int i, c, fd, send_errno = 0;

	opterr = 0;
	/* '+': the options end at the command, whose own arguments follow. */
	while ((c = getopt_long(argc, argv, "+:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			JFLOWD_PRINT_VERSION("jflowctl");
			return 0;
		case ':':
			fprintf(stderr, "jflowctl: option '%s' needs a PATH\n", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "jflowctl: unknown option '%s' (see jflowctl --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Checked here, so that a usage error is one (exit 2) whether or not
	 * jflowd runs; jflowd reads the same table. */
	if (jf_ctl_parse(argc - optind, argv + optind, &r, err, sizeof(err))) {
		fprintf(stderr, "jflowctl: %s (see jflowctl --help)\n", err);
		return EXIT_USAGE;
	}
	/* softflowctl's names go to jflowd by their names here. */
	snprintf(req, sizeof(req), "%s", r.cmd->name);
	for (i = optind + 1; i < argc; i++) {
		if (strlen(req) + strlen(argv[i]) + 2 > LINE_MAX_LEN) {
			fprintf(stderr, "jflowctl: command too long\n");
			return EXIT_USAGE;
		}
		strcat(req, " ");
		strcat(req, argv[i]);
	}
	strcat(req, "\n");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "jflowctl: socket path too long\n");
		return EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		if (e == EACCES || e == EPERM)
			fprintf(stderr, "jflowctl: %s: %s (the socket is mode 0600: run jflowctl as "
				"root, e.g. sudo jflowctl, or as the user jflowd runs as)\n", path,
				strerror(e));
		else
			fprintf(stderr, "jflowctl: %s: %s (is jflowd running with --control-socket "
				"%s? jflowd.service uses " DEFAULT_SOCKET ", jflowd@NAME "
				"/run/jflowd/NAME.sock)\n", path, strerror(e), path);
		return 1;
	}
	/* jflowd may answer and close before it reads (busy, out of
	 * descriptors): what it said is read even if the request did not go. */
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		send_errno = errno;
	return read_answer(fd, send_errno);
}
