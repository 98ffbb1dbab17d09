// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table maker: a helper process that keeps CAP_BPF for one job, making
 * the segments of the flow table's next table (table_segs.h) and handing
 * their descriptors to the agent, which gives CAP_BPF up after start-up
 * (least privilege) while its table grows later (docs/scale.md,
 * "Growing"). */
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
#include "meter/table_segs.h"
#include "service/privs.h"

/* Questions in flight at most: each answer holds a descriptor in the
 * socket until taken, and the kernel limits those in flight. */
#define ASK_WINDOW 32

struct jf_table_maker {
	pid_t pid;
	int sock;
	/* The table asked for: want segments of 2^shift lines, asked of
	 * them so far, got of them in fds. want 0: none asked. */
	uint32_t shift, want, asked, got;
	int *fds;
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
static void __attribute__((noreturn)) serve(int sock, pid_t parent)
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
		uint32_t shift;
		ssize_t n = recv(sock, &shift, sizeof(shift), 0);

		if (n != (ssize_t)sizeof(shift))
			_exit(0);
		fd = jf_table_seg_create(shift);
		if (send_reply(sock, fd < 0 ? fd : 0, fd))
			_exit(0);
		if (fd >= 0)
			close(fd);
	}
}

struct jf_table_maker *jf_table_maker_start(void)
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
		serve(sv[1], parent);
	}
	close(sv[1]);
	tm->sock = sv[0];
	return tm;
}

/* Up to ASK_WINDOW questions in flight, one segment each. */
static int ask_more(struct jf_table_maker *tm)
{
	while (tm->asked < tm->want && tm->asked - tm->got < ASK_WINDOW) {
		if (send(tm->sock, &tm->shift, sizeof(tm->shift), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(tm->shift))
			return -EPIPE;
		tm->asked++;
	}
	return 0;
}

/* The question is over: the descriptors taken so far closed unless given
 * away. A failed take drains the answers still in flight first; a
 * stopped helper leaves none worth reading. */
static void ask_end(struct jf_table_maker *tm, bool close_fds)
{
	if (close_fds)
		jf_table_segs_close(tm->fds, tm->got);
	free(tm->fds);
	tm->fds = NULL;
	tm->want = 0;
}

int jf_table_maker_ask(struct jf_table_maker *tm, uint32_t shift, uint32_t nseg)
{
	int rc;

	if (tm->want || !nseg)
		return -EBUSY;
	tm->fds = calloc(nseg, sizeof(*tm->fds));
	if (!tm->fds)
		return -ENOMEM;
	tm->shift = shift;
	tm->want = nseg;
	tm->asked = tm->got = 0;
	rc = ask_more(tm);
	if (rc)
		ask_end(tm, true);
	return rc;
}

/* One answer: a descriptor, -errno from the helper, -EAGAIN (none yet,
 * without wait) or -EPIPE (the helper is gone). */
static int take_one(struct jf_table_maker *tm, bool wait)
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

int jf_table_maker_take(struct jf_table_maker *tm, bool wait, int **fds)
{
	int fd, rc = 0;

	if (!tm->want)
		return -EINVAL;
	while (tm->got < tm->want) {
		fd = take_one(tm, wait);
		if (fd == -EAGAIN)
			return -EAGAIN;
		if (fd < 0) {
			rc = fd;
			if (fd != -EPIPE)
				tm->asked--;	/* answered, without a descriptor */
			break;
		}
		tm->fds[tm->got++] = fd;
		rc = ask_more(tm);
		if (rc)
			break;
	}
	if (rc) {
		/* The answers still in flight are drained: a new question
		 * must not take them for its own. */
		while (tm->asked > tm->got && rc != -EPIPE) {
			fd = take_one(tm, true);
			if (fd == -EPIPE)
				break;
			if (fd >= 0)
				close(fd);
			tm->asked--;
		}
		ask_end(tm, true);
		return rc;
	}
	*fds = tm->fds;
	tm->fds = NULL;
	ask_end(tm, false);
	return 0;
}

int jf_table_maker_make(struct jf_table_maker *tm, uint32_t shift, uint32_t nseg, int **fds)
{
	int rc = jf_table_maker_ask(tm, shift, nseg);

	return rc ? rc : jf_table_maker_take(tm, true, fds);
}

void jf_table_maker_stop(struct jf_table_maker *tm)
{
	if (!tm)
		return;
	if (tm->want)
		ask_end(tm, true);
	close(tm->sock);	/* the helper's recv ends: it exits */
	waitpid(tm->pid, NULL, 0);
	free(tm);
}
