// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowctl: send one command to a running jflowd over its control socket
 * and print the answer (docs/control.md describes the protocol). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/jflowd/jflowd.sock"
#define TIMEOUT_MS 10000
#define LINE_MAX_LEN 255
#define LINE_BUF 4096		/* longer lines are written in parts */

static void usage(FILE *out)
{
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
		"Commands:\n"
		"  stats                 the counters of the metrics file\n"
		"  flows [--sort octets|packets] [--top N] [--json]\n"
		"                        the active flows (--top alone sorts by octets)\n"
		"  expire                export every active flow now\n"
		"  reload                read the configuration again and apply it\n"
		"  collectors            state, sent and dropped per collector\n");
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

static int read_answer(int fd)
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = DEFAULT_SOCKET;
	char req[LINE_MAX_LEN + 2] = "";
	int i = 1, fd;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("jflowctl %s\n", JFLOWD_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) {
			fprintf(stderr, "jflowctl: option '%s' needs a PATH\n", argv[i]);
			return 2;
		} else {
			fprintf(stderr, "jflowctl: unknown option '%s' (see jflowctl --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (; i < argc; i++) {
		if (strlen(req) + strlen(argv[i]) + 2 > LINE_MAX_LEN) {
			fprintf(stderr, "jflowctl: command too long\n");
			return 2;
		}
		if (*req)
			strcat(req, " ");
		strcat(req, argv[i]);
	}
	strcat(req, "\n");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "jflowctl: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "jflowctl: %s: %s (is jflowd running with --control-socket %s?)\n",
			path, strerror(errno), path);
		return 1;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "jflowctl: send: %s\n", strerror(errno));
		return 1;
	}
	return read_answer(fd);
}
