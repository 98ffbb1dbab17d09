// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket: accepts jflowctl's requests and answers them from
 * the main loop. Every socket is non-blocking and every client has a
 * deadline, so a flood of connections costs a few syscalls per loop turn
 * and never delays a drain. */
#include <errno.h>
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

struct client {
	int fd;			/* -1: free */
	char req[JF_CONTROL_LINE_MAX];
	size_t rlen;
	char *out;		/* the response, once the request is in */
	size_t olen, opos;
	uint64_t deadline_ms;	/* monotonic */
};

struct jf_control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct jf_control_env env;
	struct client cl[JF_CONTROL_MAX_CLIENTS];
	uint64_t rejected;
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
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
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
	free(c);
	return NULL;
}

static void client_close(struct client *cl)
{
	close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* --- the socket --- */

static void answer(struct jf_control *c, struct client *cl)
{
	FILE *f;

	cl->req[cl->rlen] = '\0';
	cl->req[strcspn(cl->req, "\r\n")] = '\0';
	f = open_memstream(&cl->out, &cl->olen);
	if (!f) {
		client_close(cl);
		return;
	}
	log_debug("control: %s", cl->req);
	jf_control_run(&c->env, cl->req, f);
	fclose(f);
	cl->opos = 0;
	cl->deadline_ms = jf_mono_ms() + JF_CONTROL_RESPONSE_MS;
}

static void serve(struct jf_control *c, struct client *cl, uint64_t now)
{
	ssize_t n;

	if (now >= cl->deadline_ms) {
		c->rejected++;
		client_close(cl);
		return;
	}
	if (!cl->out) {
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
		if (!cl->out)
			return;
	}
	while (cl->opos < cl->olen) {
		n = send(cl->fd, cl->out + cl->opos, cl->olen - cl->opos,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		cl->opos += (size_t)n;
	}
	client_close(cl);
}

void jf_control_poll(struct jf_control *c)
{
	uint64_t now = jf_mono_ms();
	int i, k;

	if (!c)
		return;
	for (k = 0; k < ACCEPTS_PER_POLL; k++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		static const char busy[] = "error: busy, try again\n";

		if (fd < 0)
			break;
		for (i = 0; i < JF_CONTROL_MAX_CLIENTS && c->cl[i].fd >= 0; i++)
			;
		if (i == JF_CONTROL_MAX_CLIENTS) {
			/* Every slot taken: say so and close, never queue. */
			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				log_debug("control: busy: %s", strerror(errno));
			close(fd);
			c->rejected++;
			continue;
		}
		c->cl[i].fd = fd;
		c->cl[i].deadline_ms = now + JF_CONTROL_REQUEST_MS;
	}
	for (i = 0; i < JF_CONTROL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			serve(c, &c->cl[i], now);
}

uint64_t jf_control_rejected(const struct jf_control *c)
{
	return c ? c->rejected : 0;
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
	/* After --user the directory may not be ours: the next start replaces
	 * a stale socket anyway. */
	if (unlink(c->path) && errno != ENOENT)
		log_debug("control socket %s: %s", c->path, strerror(errno));
	free(c);
}
