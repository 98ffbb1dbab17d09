// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowctl: send one command to a running jflowd over its control socket
 * and print the answer (docs/control.md describes the protocol). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/jflowd/jflowd.sock"
#define TIMEOUT_MS 10000
#define LINE_MAX_LEN 255

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
		"  collectors            state, sent and dropped per collector\n"
		"  bgp                   BMP sessions, BGP peers, their state, routes and\n"
		"                        last update; lookup hits and misses\n");
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = DEFAULT_SOCKET;
	char req[LINE_MAX_LEN + 2] = "", buf[65536], first[300];
	size_t flen = 0;
	int i = 1, fd, rc = 0, status = -1;

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
