/* SPDX-License-Identifier: MIT */
/* notify.h - telling a service manager how fngate is doing (systemd's notify protocol).
 *
 * Under systemd with Type=notify, NOTIFY_SOCKET names a datagram socket (a path, or an
 * abstract name after '@'): fngate sends READY=1 once every listener accepts, STATUS= lines,
 * STOPPING=1, and WATCHDOG=1 every half of WATCHDOG_USEC from the loop thread, so a wedged
 * loop stops the pings and systemd restarts fngate. This is the documented datagram
 * protocol (sd_notify(3)), spoken directly: no libsystemd. Without NOTIFY_SOCKET nothing
 * changes. The variables are removed from the environment once read, as sd_notify's
 * unset_environment does, so nothing fngate starts inherits them. Loop thread only.
 * Tests: tests/integration/test_service.py. */
#ifndef FG_NOTIFY_H
#define FG_NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

#include "err.h"

struct event;
struct event_base;

struct fg_notify {
    int fd;                     /* -1: not under a service manager */
    struct sockaddr_un addr;
    socklen_t addr_len;
    struct event *watchdog;     /* NULL without WATCHDOG_USEC for this process */
    long long watchdog_usec;
};

/* Reads NOTIFY_SOCKET (and WATCHDOG_USEC / WATCHDOG_PID) and starts the watchdog pings on
 * base. Never fails: a socket that cannot be used is logged and ignored. */
void fg_notify_init(struct fg_notify *n, struct event_base *base);

/* Sends one message ("READY=1\nSTATUS=..."); a no-op without a service manager. */
void fg_notify_send(struct fg_notify *n, const char *fmt, ...) FG_PRINTF(2, 3);

void fg_notify_close(struct fg_notify *n);

#endif
