// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket: accepts jflowctl's requests and answers them from
 * the main loop, in bounded steps. Every socket is non-blocking, every
 * client has a deadline, an answer is produced only as fast as its client
 * takes it (a listing walks the flows in steps, with a cursor), and each
 * loop turn gives a client a bounded share: neither a flood of
 * connections nor a large table delays a drain (docs/control.md). The
 * commands themselves are control_cmds.c's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "clock.h"
#include "service/control.h"
#include "export/exporter.h"
#include "flow/flow_cache.h"
#include "log.h"

#define ACCEPTS_PER_POLL 64	/* a flood is worked off over several turns */
#define OUT_HIGH (64 * 1024)	/* an answer is produced while less waits to go */
#define TURN_STEPS 16		/* steps per client per loop turn */
#define TURN_BYTES (256 * 1024)	/* bytes sent per client per loop turn */
#define FD_PAUSE_MS 100		/* out of descriptors: accept again after */
/* Answers take at most this share of the time: between its bursts jflowd
 * sleeps, so the scheduler runs the next drain at once, not at the share a
 * process that never sleeps gets (measured: docs/control.md). */
#define DUTY 0.5
#define DUTY_BURST_S 0.02
#define FD_WARN_S 60.0		/* out of descriptors: warned once a minute */

struct client {
	int fd;			/* -1: free */
	char req[JF_CONTROL_LINE_MAX];
	size_t rlen;
	bool answering;		/* the request is in */
	bool done;		/* the whole answer, end marker too, is in out */
	FILE *f;		/* writes into out, dot-stuffed */
	char *out;		/* what waits to be sent: out[opos..olen) */
	size_t olen, opos, ocap;
	bool bol;		/* the next byte written starts a line */
	struct jf_control_listing *list;	/* a flow listing still being produced */
	uint64_t deadline_ms;	/* monotonic: the request, or the next progress */
};

struct jf_control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct jf_control_env env;
	struct client cl[JF_CONTROL_MAX_CLIENTS];
	uint64_t rejected[JF_CONTROL_REJECT_MAX];
	int spare_fd;		/* given up to answer when descriptors run out */
	uint64_t accept_paused_until;	/* monotonic ms */
	double next_fd_warn_s;
	int next;		/* the client served first next turn */
	double budget_s;	/* time answers may still take now (DUTY) */
	double budget_at_s;	/* monotonic, when it was last topped up */
};

struct jf_control *jf_control_open(const char *path, uid_t uid, gid_t gid,
				   const struct jf_control_env *env, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct jf_control *c;
	mode_t old_mask;
	int i, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->env = *env;
	c->budget_at_s = jf_mono_s();
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	/* Kept for the day descriptors run out: closed, it lets one more
	 * connection in to be told so, instead of leaving it hanging. */
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	/* A socket left by a jflowd that died is replaced; one that answers
	 * belongs to a running jflowd. */
	if (!access(path, F_OK)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			snprintf(err, errlen, "control socket %s: another jflowd listens on it", c->path);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	old_mask = umask(0177);	/* 0600 from the start: no window */
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc && errno == ENOENT) {
		snprintf(err, errlen, "control socket %s: its directory does not exist: create it "
			 "(mkdir -p %.*s); under systemd the units' RuntimeDirectory= makes "
			 "/run/jflowd", c->path, (int)(strrchr(c->path, '/') - c->path), c->path);
		goto fail;
	}
	if (rc) {
		snprintf(err, errlen, "control socket %s: %s", c->path, strerror(errno));
		goto fail;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid)) {
		snprintf(err, errlen, "control socket %s: chown: %s", c->path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(c->fd, 16)) {
		snprintf(err, errlen, "control socket %s: listen: %s", c->path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return c;
fail:
	close(c->fd);
	if (c->spare_fd >= 0)
		close(c->spare_fd);
	free(c);
	return NULL;
}

static void client_close(struct client *cl)
{
	close(cl->fd);
	if (cl->f)
		fclose(cl->f);
	free(cl->out);
	jf_control_listing_free(cl->list);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* --- the answer's stream ---
 * Lines as the commands print them; a line that starts with "." gets one
 * more in front, and a line of one "." ends the answer (as SMTP's DATA),
 * so a client tells a whole answer from a cut one. */

static int out_reserve(struct client *cl, size_t n)
{
	if (cl->opos && cl->opos == cl->olen)
		cl->opos = cl->olen = 0;
	if (cl->olen + n <= cl->ocap)
		return 0;
	if (cl->opos) {
		memmove(cl->out, cl->out + cl->opos, cl->olen - cl->opos);
		cl->olen -= cl->opos;
		cl->opos = 0;
		if (cl->olen + n <= cl->ocap)
			return 0;
	}
	{
		size_t cap = cl->ocap ? cl->ocap : 4096;
		char *p;

		while (cap < cl->olen + n)
			cap *= 2;
		p = realloc(cl->out, cap);
		if (!p)
			return -ENOMEM;
		cl->out = p;
		cl->ocap = cap;
	}
	return 0;
}

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
	struct client *cl = cookie;
	size_t i;

	if (out_reserve(cl, 2 * n))
		return -1;
	for (i = 0; i < n;) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) + 1 : n;

		if (cl->bol && buf[i] == '.')
			cl->out[cl->olen++] = '.';
		memcpy(cl->out + cl->olen, buf + i, end - i);
		cl->olen += end - i;
		cl->bol = nl != NULL;
		i = end;
	}
	return (ssize_t)n;
}

static size_t out_pending(const struct client *cl)
{
	return cl->olen - cl->opos;
}

/* The end marker, on a line of its own. */
static void answer_end(struct client *cl)
{
	static const char end[] = "\n.\n";
	size_t skip = cl->bol ? 1 : 0;

	fflush(cl->f);
	if (out_reserve(cl, sizeof(end)))
		return;		/* no end marker: the client sees a cut answer */
	memcpy(cl->out + cl->olen, end + skip, sizeof(end) - 1 - skip);
	cl->olen += sizeof(end) - 1 - skip;
	cl->bol = true;
	cl->done = true;
}

/* --- the socket --- */

static void answer(struct jf_control *c, struct client *cl)
{
	cookie_io_functions_t io = { .write = out_write };

	cl->req[cl->rlen] = '\0';
	cl->req[strcspn(cl->req, "\r\n")] = '\0';
	cl->bol = true;
	cl->f = fopencookie(cl, "w", io);
	if (!cl->f) {
		client_close(cl);
		return;
	}
	/* Unbuffered: one write a printf, so out_pending() is up to date. */
	setvbuf(cl->f, NULL, _IONBF, 0);
	cl->answering = true;
	log_debug("control: %s", cl->req);
	cl->list = jf_control_run(&c->env, cl->req, cl->f);
	if (!cl->list)
		answer_end(cl);
}

/* More of the answer while little of it waits: a step of the listing. */
static void produce(struct client *cl)
{
	if (cl->done || out_pending(cl) >= OUT_HIGH)
		return;
	/* Our own progress: the deadline is for waiting on the client. */
	cl->deadline_ms = jf_mono_ms() + JF_CONTROL_RESPONSE_MS;
	if (jf_control_listing_step(cl->list)) {
		jf_control_listing_free(cl->list);
		cl->list = NULL;
		answer_end(cl);
	}
}

/* Whether serve() has work it can do without waiting on the client. */
static bool can_produce(const struct client *cl)
{
	return cl->answering && !cl->done && out_pending(cl) < OUT_HIGH;
}

static void serve(struct jf_control *c, struct client *cl, uint64_t now)
{
	size_t sent = 0;
	int steps = 0;
	ssize_t n;

	if (now >= cl->deadline_ms) {
		c->rejected[JF_CONTROL_REJECT_TIMEOUT]++;
		client_close(cl);
		return;
	}
	if (!cl->answering) {
		n = recv(cl->fd, cl->req + cl->rlen, sizeof(cl->req) - 1 - cl->rlen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(cl);	/* gone before a whole line */
			return;
		}
		cl->rlen += (size_t)n;
		if (!memchr(cl->req, '\n', cl->rlen) && cl->rlen < sizeof(cl->req) - 1)
			return;
		answer(c, cl);
		if (cl->fd < 0)
			return;
		cl->deadline_ms = jf_mono_ms() + JF_CONTROL_RESPONSE_MS;
	}
	/* A bounded share of this turn: some steps, some bytes. */
	while (sent < TURN_BYTES && !(cl->done && !out_pending(cl))) {
		while (can_produce(cl) && steps < TURN_STEPS) {
			produce(cl);
			steps++;
		}
		if (!out_pending(cl)) {
			if (steps < TURN_STEPS)
				continue;
			return;
		}
		n = send(cl->fd, cl->out + cl->opos, out_pending(cl), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(cl);	/* gone: the answer is cut */
			return;
		}
		cl->opos += (size_t)n;
		sent += (size_t)n;
		/* A client that takes its answer has time for the rest. */
		cl->deadline_ms = jf_mono_ms() + JF_CONTROL_RESPONSE_MS;
	}
	/* All sent: the slot is free before the next turn accepts. */
	if (cl->done && !out_pending(cl))
		client_close(cl);
}

static void reject(int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: %s", strerror(errno));
	close(fd);
}

/* Out of descriptors: the connection waits in the backlog. Let it in on
 * the spare descriptor to be told so, log (once a minute) and count, and
 * leave the socket alone for a moment (it stays readable). */
static void out_of_fds(struct jf_control *c, int err, uint64_t now)
{
	double t = jf_mono_s();

	c->rejected[JF_CONTROL_REJECT_FDS]++;
	c->accept_paused_until = now + FD_PAUSE_MS;
	if (c->spare_fd >= 0) {
		int fd;

		close(c->spare_fd);
		fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			reject(fd, "error: jflowd is out of file descriptors, try again\n.\n");
		c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (t < c->next_fd_warn_s)
		return;
	c->next_fd_warn_s = t + FD_WARN_S;
	log_warn("control socket %s: accept: %s: jflowctl refused (%llu times so far; raise "
		 "LimitNOFILE / ulimit -n)", c->path, strerror(err),
		 (unsigned long long)c->rejected[JF_CONTROL_REJECT_FDS]);
}

static void accept_clients(struct jf_control *c, uint64_t now)
{
	int i, k;

	if (now < c->accept_paused_until)
		return;
	for (k = 0; k < ACCEPTS_PER_POLL; k++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				out_of_fds(c, errno, now);
			return;
		}
		for (i = 0; i < JF_CONTROL_MAX_CLIENTS && c->cl[i].fd >= 0; i++)
			;
		if (i == JF_CONTROL_MAX_CLIENTS) {
			/* Every slot taken: say so and close, never queue. */
			reject(fd, "error: busy, try again\n.\n");
			c->rejected[JF_CONTROL_REJECT_BUSY]++;
			continue;
		}
		c->cl[i].fd = fd;
		c->cl[i].deadline_ms = now + JF_CONTROL_REQUEST_MS;
	}
}

/* The time answers may take, topped up at DUTY of the time passed. */
static double budget(struct jf_control *c, double now_s)
{
	c->budget_s += (now_s - c->budget_at_s) * DUTY;
	if (c->budget_s > DUTY_BURST_S)
		c->budget_s = DUTY_BURST_S;
	c->budget_at_s = now_s;
	return c->budget_s;
}

void jf_control_poll(struct jf_control *c, uint64_t until_ms)
{
	uint64_t now = jf_mono_ms();
	double t0 = jf_mono_s();
	bool answers;
	int k;

	if (!c)
		return;
	answers = budget(c, t0) > 0;
	/* Round robin from where the last turn stopped: a turn cut short
	 * by the drain's deadline serves the others first next time. A
	 * client being answered waits while answers have had their share. */
	for (k = 0; k < JF_CONTROL_MAX_CLIENTS; k++) {
		int i = (c->next + k) % JF_CONTROL_MAX_CLIENTS;
		struct client *cl = &c->cl[i];

		if (cl->fd < 0 || (cl->answering && !answers && now < cl->deadline_ms))
			continue;
		if (jf_mono_ms() >= until_ms) {
			c->next = i;
			break;
		}
		serve(c, cl, now);
	}
	c->budget_s -= jf_mono_s() - t0;
	accept_clients(c, now);
}

int jf_control_pollfds(const struct jf_control *c, struct pollfd *pfd, int max)
{
	int i, n = 0;

	if (!c || max < 1)
		return 0;
	if (jf_mono_ms() >= c->accept_paused_until) {
		pfd[n].fd = c->fd;
		pfd[n++].events = POLLIN;
	}
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS && n < max; i++) {
		const struct client *cl = &c->cl[i];

		/* Answers out of their share: woken by jf_control_wait_ms. */
		if (cl->fd < 0 || (cl->answering && c->budget_s <= 0))
			continue;
		pfd[n].fd = cl->fd;
		pfd[n++].events = cl->answering ? POLLOUT : POLLIN;
	}
	return n;
}

int jf_control_wait_ms(const struct jf_control *c)
{
	uint64_t now, first = UINT64_MAX;
	int i;

	if (!c)
		return -1;
	now = jf_mono_ms();
	if (c->accept_paused_until > now)
		first = c->accept_paused_until;
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++) {
		const struct client *cl = &c->cl[i];

		if (cl->fd < 0)
			continue;
		if (cl->answering && c->budget_s <= 0) {
			/* Its share comes back: then it may go on. */
			uint64_t at = now + (uint64_t)(-c->budget_s / DUTY * 1000) + 1;

			if (at < first)
				first = at;
			continue;
		}
		if (can_produce(cl))
			return 0;
		if (cl->deadline_ms < first)
			first = cl->deadline_ms;
	}
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

uint64_t jf_control_rejected(const struct jf_control *c, enum jf_control_reject why)
{
	return c ? c->rejected[why] : 0;
}

void jf_control_close(struct jf_control *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			client_close(&c->cl[i]);
	close(c->fd);
	if (c->spare_fd >= 0)
		close(c->spare_fd);
	/* After --user the directory may not be ours: the next start replaces
	 * a stale socket anyway. */
	if (unlink(c->path) && errno != ENOENT)
		log_debug("control socket %s: %s", c->path, strerror(errno));
	free(c);
}
