// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowctl: send one command to a running jflowd over its control socket
 * and print the answer (docs/control.md describes the protocol). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
	char req[LINE_MAX_LEN + 2] = "", buf[65536], first[300], err[256];
	struct jf_ctl_req r;
	size_t flen = 0;
	int i, c, fd, rc = 0, status = -1;

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
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "jflowctl: send: %s\n", strerror(errno));
		return 1;
	}
	/* The answer: "ok" or "error: ..." on the first line, then the body,
	 * until jflowd closes. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *nl;

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
		if (status >= 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			continue;
		}
		/* Still in the status line. */
		nl = memchr(buf, '\n', (size_t)n);
		{
			size_t take = nl ? (size_t)(nl - buf) : (size_t)n;

			if (flen + take >= sizeof(first))
				take = sizeof(first) - 1 - flen;
			memcpy(first + flen, buf, take);
			flen += take;
			first[flen] = '\0';
		}
		if (!nl)
			continue;
		status = strcmp(first, "ok") ? 1 : 0;
		if (status)
			fprintf(stderr, "jflowctl: %s\n", first);
		fwrite(nl + 1, 1, (size_t)(buf + n - nl - 1), status ? stderr : stdout);
	}
	close(fd);
	if (status < 0) {
		fprintf(stderr, "jflowctl: jflowd closed the connection without an answer\n");
		return 1;
	}
	return status;
}
