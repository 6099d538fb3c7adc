/* SPDX-License-Identifier: MIT */
/* mhd_listener.c - what the libmicrohttpd listeners share (see mhd_listener.h). */
#include "mhd_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/url.h"

/* MHD_OPTION_EXTERNAL_LOGGER: cls is the component. */
static void mhd_listener_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    fg_log(FG_LOG_DEBUG, cls, "libmicrohttpd: %s", msg);
}

int fg_mhd_listener_start(struct fg_mhd_listener *l, const char *what, const char *component, const char *host,
                          int port, unsigned flags, MHD_AccessHandlerCallback dh, void *cls,
                          const struct MHD_OptionItem *options, struct fg_err *err)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const char *ip = strcmp(host, "localhost") ? host : "127.0.0.1";
    const union MHD_DaemonInfo *info;
    char where[300];

    l->mhd = NULL;
    l->quiesced_fd = MHD_INVALID_SOCKET;
    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        return fg_err_set(err, -EINVAL, "%s: '%s' is not an IP address", what, host);
    }
    l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, dh, cls,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_listener_log, (void *)component, /* first: MHD logs early */
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_ARRAY, options,
                              MHD_OPTION_END);
    if (!l->mhd) {
        fg_url_authority(where, sizeof(where), host, port);
        return fg_err_set(err, -EADDRINUSE, "%s: cannot listen on %s (in use, or not a local address)", what, where);
    }
    info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : port;
    return 0;
}

void fg_mhd_listener_quiesce(struct fg_mhd_listener *l)
{
    if (l->mhd && l->quiesced_fd == MHD_INVALID_SOCKET)
        l->quiesced_fd = MHD_quiesce_daemon(l->mhd);
}

void fg_mhd_listener_stop(struct fg_mhd_listener *l)
{
    if (l->mhd)
        MHD_stop_daemon(l->mhd);
    l->mhd = NULL;
    if (l->quiesced_fd != MHD_INVALID_SOCKET)
        close(l->quiesced_fd);
    l->quiesced_fd = MHD_INVALID_SOCKET;
}

/* ------------------------------------------------------------------ request contexts */

struct mhd_slot {
    void *req;                  /* the request made in the URI callback, until completed */
};

static struct mhd_slot *mhd_slot(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void fg_mhd_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    const struct fg_mhd_reqs *reqs = cls;
    struct mhd_slot *slot = *socket_context;
    (void)conn;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct mhd_slot));    /* NULL: nothing tracked */
        return;
    }
    if (slot && slot->req)
        reqs->free(slot->req);
    free(slot);
    *socket_context = NULL;
}

void fg_mhd_track(struct MHD_Connection *conn, void *req)
{
    struct mhd_slot *slot = mhd_slot(conn);
    if (slot)
        slot->req = req;
}

void fg_mhd_untrack(struct MHD_Connection *conn)
{
    struct mhd_slot *slot = mhd_slot(conn);
    if (slot)
        slot->req = NULL;
}

/* MHD 0.9.75 keeps each query parameter as a header record of about this many bytes in the
 * connection's pool, beside the request line itself. */
#define MHD_PARAM_BYTES 64

bool fg_mhd_query_too_big(const char *uri, size_t pool_bytes)
{
    const char *q = strchr(uri, '?');
    size_t n = q ? 1 : 0, len = strlen(uri);
    for (; q && *q; q++)
        n += *q == '&';
    /* Half the pool stays for the headers and the read buffer. */
    return len + n * MHD_PARAM_BYTES > pool_bytes / 2;
}

void fg_mhd_refuse(struct MHD_Connection *conn, int code, const char *reason, const char *message)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char buf[512];
    int n;
    if (!ci)
        return;
    n = snprintf(buf, sizeof(buf),
                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
                 "{\"message\":\"%s\"}", code, reason, strlen(message) + 14, message);
    /* A best effort on a socket with nothing else written yet: the answer fits a send. */
    if (n > 0 && send(ci->connect_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        fg_log(FG_LOG_DEBUG, "http", "refusal not sent: %s", strerror(errno));
    shutdown(ci->connect_fd, SHUT_RDWR);    /* MHD reads the end and closes the connection */
}

unsigned fg_mhd_connection_limit(void)
{
    struct rlimit rl;
    rlim_t n;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1020;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1u << 20) ? (1u << 20) : rl.rlim_max;
        if (want > rl.rlim_cur) {
            rl.rlim_cur = want;
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    n = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : rl.rlim_cur;
    n = n / 4 * 3;
    return n < 64 ? 64 : n > 1000000 ? 1000000 : (unsigned)n;
}
