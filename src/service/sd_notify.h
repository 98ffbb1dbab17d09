/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Readiness and status for a service manager: systemd's notification
 * datagram (Type=notify), without linking libsystemd. */
#ifndef JFLOWD_SD_NOTIFY_H
#define JFLOWD_SD_NOTIFY_H

/* Send STATE ("READY=1", "STOPPING=1", "STATUS=...", newline-separated)
 * to $NOTIFY_SOCKET. 0 when sent or when no manager asked for it (the
 * variable is unset), else -errno. */
int jf_sd_notify(const char *state);

#endif
