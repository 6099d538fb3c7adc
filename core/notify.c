/* SPDX-License-Identifier: MIT */
/* notify.c - systemd's notify datagrams and watchdog pings (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static void notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct fg_notify *n = arg;
    (void)fd, (void)what;
    fg_notify_send(n, "WATCHDOG=1");
}

void fg_notify_init(struct fg_notify *n, struct event_base *base)
{
    const char *path = getenv("NOTIFY_SOCKET"), *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    struct sockaddr_un sa;
    size_t len;

    memset(n, 0, sizeof(*n));
    n->fd = -1;
    if (!path || !*path)
        return;
    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
        fg_log(FG_LOG_WARN, "notify", "NOTIFY_SOCKET '%s' is not a socket path or @name: not notifying", path);
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';      /* an abstract socket */
    if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
        fg_log(FG_LOG_WARN, "notify", "socket: %s: not notifying", strerror(errno));
        goto out;
    }
    n->addr = sa;
    n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (usec && (!pid || atol(pid) == (long)getpid()) && (n->watchdog_usec = atoll(usec)) > 0 && base) {
        struct timeval tv = { (time_t)(n->watchdog_usec / 2 / 1000000), (suseconds_t)(n->watchdog_usec / 2 % 1000000) };
        if (!(n->watchdog = event_new(base, -1, EV_PERSIST, notify_on_watchdog, n)) || event_add(n->watchdog, &tv) < 0)
            fg_log(FG_LOG_WARN, "notify", "cannot start the watchdog pings");
    }
out:
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

void fg_notify_send(struct fg_notify *n, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int len;

    if (n->fd < 0)
        return;
    va_start(ap, fmt);
    len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(msg))
        len = sizeof(msg) - 1;
    if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr, n->addr_len) < 0)
        fg_log(FG_LOG_DEBUG, "notify", "cannot notify the service manager: %s", strerror(errno));
}

void fg_notify_close(struct fg_notify *n)
{
    if (n->watchdog)
        event_free(n->watchdog);
    n->watchdog = NULL;
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
