// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Readiness and status for a service manager. The protocol is one
 * AF_UNIX datagram of "KEY=VALUE" lines to the socket named in
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
 * systemd documents it as a stable interface (sd_notify(3), "Notes"), so
 * these few lines replace a dependency on libsystemd. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "service/sd_notify.h"

int jf_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen, len = strlen(state);
	socklen_t salen;
	ssize_t n;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EMSGSIZE;
	close(fd);
	return err;
}
