// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table maker: a helper process that keeps CAP_BPF for one job, making
 * the flow table's next, larger array map and handing its descriptor to
 * the agent, which gives CAP_BPF up after start-up (least privilege) while
 * its table grows later (docs/scale.md, "Growing"). */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "jflowd/table.h"
#include "meter/table_maker.h"
#include "service/privs.h"

struct jf_table_maker {
	pid_t pid;
	int sock;
};

/* The process's argument strings (contiguous): the helper writes its own
 * name over them, so ps and pgrep tell it from the agent. */
static char *title_area;
static size_t title_len;

void jf_table_maker_title_area(char **argv, int argc)
{
	if (argc < 1 || !argv[0])
		return;
	title_area = argv[0];
	title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
}

/* The map every table of flow_tables is (bpf/maps.h, struct jf_table_map). */
int jf_table_map_create(uint32_t lines)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flow_table", sizeof(uint32_t),
				sizeof(struct jf_slot), lines, &o);

	return fd < 0 ? -errno : fd;
}

struct reply {
	int32_t rc;		/* 0: a descriptor comes with it; else -errno */
};

static int send_reply(int sock, int rc, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct reply r = { .rc = rc };
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(r) ? 0 : -1;
}

/* The helper: CAP_BPF alone, every other descriptor closed, gone with the
 * agent (PR_SET_PDEATHSIG) or when its socket closes. */
static void __attribute__((noreturn)) serve(int sock, pid_t parent, uint32_t max_lines)
{
	struct jf_privs_params pp = { .keep = JF_CAP(CAP_BPF) };
	char err[256];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "jflowd-tables");
	if (title_area && title_len) {
		memset(title_area, 0, title_len);
		snprintf(title_area, title_len, "jflowd: table maker");
	}
	signal(SIGINT, SIG_IGN);	/* the agent stops, exports, then we go */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (fd = 3; fd < 1024; fd++)
		if (fd != sock)
			close(fd);
	/* Without CAP_BPF to keep the agent's load fails and says why; a
	 * request then finds the socket closed (the table cannot grow). */
	if (jf_privs_drop(&pp, err, sizeof(err)))
		_exit(1);
	for (;;) {
		uint32_t lines;
		ssize_t n = recv(sock, &lines, sizeof(lines), 0);

		if (n != (ssize_t)sizeof(lines))
			_exit(0);
		if (lines < 2 || lines > max_lines) {
			send_reply(sock, -EINVAL, -1);
			continue;
		}
		fd = jf_table_map_create(lines);
		if (send_reply(sock, fd < 0 ? fd : 0, fd))
			_exit(0);
		if (fd >= 0)
			close(fd);
	}
}

struct jf_table_maker *jf_table_maker_start(uint32_t max_lines)
{
	struct jf_table_maker *tm;
	pid_t parent = getpid();
	uint64_t eff, prm, bnd;
	int sv[2];

	/* Nothing to keep: the agent cannot load its program either. */
	if (jf_privs_current(&eff, &prm, &bnd) ||
	    !(eff & (JF_CAP(CAP_BPF) | JF_CAP(CAP_SYS_ADMIN)))) {
		errno = EPERM;
		return NULL;
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		free(tm);
		return NULL;
	}
	fflush(NULL);
	tm->pid = fork();
	if (tm->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		free(tm);
		return NULL;
	}
	if (tm->pid == 0) {
		close(sv[0]);
		serve(sv[1], parent, max_lines);
	}
	close(sv[1]);
	tm->sock = sv[0];
	return tm;
}

int jf_table_maker_ask(struct jf_table_maker *tm, uint32_t lines)
{
	if (send(tm->sock, &lines, sizeof(lines), MSG_NOSIGNAL) != (ssize_t)sizeof(lines))
		return -EPIPE;
	return 0;
}

int jf_table_maker_take(struct jf_table_maker *tm, bool wait)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct reply r;
	struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t got;
	int fd = -1;

	got = recvmsg(tm->sock, &msg, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	if (got < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (got != (ssize_t)sizeof(r))
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (r.rc) {
		if (fd >= 0)
			close(fd);
		return r.rc;
	}
	return fd >= 0 ? fd : -EPROTO;
}

int jf_table_maker_make(struct jf_table_maker *tm, uint32_t lines)
{
	int rc = jf_table_maker_ask(tm, lines);

	return rc ? rc : jf_table_maker_take(tm, true);
}

void jf_table_maker_stop(struct jf_table_maker *tm)
{
	if (!tm)
		return;
	close(tm->sock);	/* the helper's recv ends: it exits */
	waitpid(tm->pid, NULL, 0);
	free(tm);
}
