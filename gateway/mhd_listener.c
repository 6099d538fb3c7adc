/* SPDX-License-Identifier: MIT */
/* mhd_listener.c - what the libmicrohttpd listeners share (see mhd_listener.h). */
#include "mhd_listener.h"
#include "mhd_conn.h"

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

/* MHD_OPTION_EXTERNAL_LOGGER: cls is the listener. Runs on the MHD thread that found what it
 * logs, synchronously: libmicrohttpd 0.9.75 logs a Content-Length it cannot parse ("Failed to
 * parse `Content-Length' header", "Too large value of 'Content-Length' header") before it
 * queues its own answer, which it then sends with its header block twice (the state machine
 * builds the header again after the error path built it). This line is the only moment
 * fngate runs between the two, so the connections take over the answer here. */
static void mhd_listener_log(void *cls, const char *fmt, va_list ap)
{
    struct fg_mhd_listener *l = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    fg_log(FG_LOG_DEBUG, l->component, "libmicrohttpd: %s", msg);
    if (l->conns && strstr(msg, "Content-Length"))
        fg_mhd_conns_refuse_bad_length(l->conns);
}

int fg_mhd_listener_start(struct fg_mhd_listener *l, const char *what, const char *component, const char *host,
                          int port, unsigned flags, MHD_AccessHandlerCallback dh, void *cls,
                          struct fg_mhd_conns *conns, const struct MHD_OptionItem *options, struct fg_err *err)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const char *ip = strcmp(host, "localhost") ? host : "127.0.0.1";
    const union MHD_DaemonInfo *info;
    char where[300];

    l->mhd = NULL;
    l->component = component;
    l->conns = conns;
    atomic_init(&l->stopping, false);
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
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_listener_log, l, /* first: MHD logs early */
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
    atomic_store_explicit(&l->stopping, true, memory_order_relaxed);
}

void fg_mhd_listener_stop(struct fg_mhd_listener *l)
{
    if (l->mhd)
        MHD_stop_daemon(l->mhd);
    l->mhd = NULL;
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
