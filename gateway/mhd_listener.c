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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/tls.h"
#include "../core/url.h"

/* GnuTLS's defaults without TLS 1.0 and 1.1 (RFC 8996 deprecates them; Debian 12's NORMAL,
 * which libmicrohttpd uses, still offers them). */
#define MHD_LISTENER_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

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

static void mhd_listener_drop_tls(struct fg_mhd_listener *l)
{
    fg_tls_pem_free(l->tls_cert);
    fg_tls_pem_free(l->tls_key);
    l->tls_cert = l->tls_key = NULL;
}

/* Reads and checks tls's files into l (the same checks as at load: a file may have changed
 * since). 0 or a negative code with err naming the file. */
static int mhd_listener_load_tls(struct fg_mhd_listener *l, const char *what, const struct fg_conf_tls *tls,
                                 struct fg_err *err)
{
    struct fg_err why;
    int rc;

    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return fg_err_set(err, -ENOTSUP, "%s: TLS: this libmicrohttpd was built without TLS support", what);
    if ((rc = fg_tls_pem_read(tls->cert, FG_TLS_PEM_CERT, &l->tls_cert, &why)) < 0 ||
        (rc = fg_tls_pem_read(tls->key, FG_TLS_PEM_KEY, &l->tls_key, &why)) < 0)
        return fg_err_set(err, rc, "%s: TLS: %s", what, why.msg);
    if ((rc = fg_tls_pem_match(l->tls_cert, l->tls_key, &why)) < 0)
        return fg_err_set(err, rc, "%s: TLS: key %s does not go with cert %s: %s", what, tls->key, tls->cert, why.msg);
    return 0;
}

int fg_mhd_listener_start(struct fg_mhd_listener *l, const char *what, const char *component, const char *host,
                          int port, const struct fg_conf_tls *tls, unsigned flags, MHD_AccessHandlerCallback dh,
                          void *cls, struct fg_mhd_conns *conns, const struct MHD_OptionItem *options,
                          struct fg_err *err)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    const char *ip = strcmp(host, "localhost") ? host : "127.0.0.1";
    const union MHD_DaemonInfo *info;
    struct MHD_OptionItem tls_options[4] = { { MHD_OPTION_END, 0, NULL } };
    char where[300];
    int rc;

    l->mhd = NULL;
    l->unix_path[0] = '\0';
    l->tls_cert = l->tls_key = NULL;
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
    if (fg_conf_tls_on(tls)) {
        if ((rc = mhd_listener_load_tls(l, what, tls, err)) < 0) {
            mhd_listener_drop_tls(l);
            return rc;
        }
        flags |= MHD_USE_TLS;
        tls_options[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, l->tls_cert };
        tls_options[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, l->tls_key };
        tls_options[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)MHD_LISTENER_TLS_PRIORITIES };
        tls_options[3] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    }
    l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, dh, cls,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_listener_log, l, /* first: MHD logs early */
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_ARRAY, options,
                              MHD_OPTION_ARRAY, tls_options,
                              MHD_OPTION_END);
    if (!l->mhd) {
        fg_url_authority(where, sizeof(where), host, port);
        if (!l->tls_cert)
            return fg_err_set(err, -EADDRINUSE, "%s: cannot listen on %s (in use, or not a local address)", what, where);
        /* The pair passed GnuTLS's own check just now: the address is the likelier cause. */
        mhd_listener_drop_tls(l);
        return fg_err_set(err, -EADDRINUSE, "%s: cannot listen on %s with TLS (cert %s, key %s): the address is in use "
                                            "or not local, or libmicrohttpd refused the pair (--debug shows its reason)",
                          what, where, tls->cert, tls->key);
    }
    info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : port;
    return 0;
}

/* Binds and listens on a unix socket at path (made 0600). The socket, or -1 with err. */
static int mhd_listener_unix_socket(const char *what, const char *path, struct fg_err *err)
{
    struct sockaddr_un sun;
    struct stat st;
    int fd, rc;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path))
        return fg_err_set(err, -ENAMETOOLONG, "%s: unix:%s: the path is too long", what, path);
    memcpy(sun.sun_path, path, strlen(path));
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fg_err_set(err, -EEXIST, "%s: unix:%s exists and is not a socket", what, path);
        /* A socket file left by a process that is gone refuses connections: replace it. */
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            return fg_err_set(err, -errno, "%s: socket: %s", what, strerror(errno));
        rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
        close(fd);
        if (rc == 0)
            return fg_err_set(err, -EADDRINUSE, "%s: unix:%s: another process listens there", what, path);
        unlink(path);
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
        return fg_err_set(err, -errno, "%s: socket: %s", what, strerror(errno));
    /* Made 0600 before listen(): until then nobody can connect, so there is no window where
     * others may (a process-wide umask would also reach workers forked meanwhile). */
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
        rc = -errno;
        close(fd);
        return fg_err_set(err, rc, "%s: cannot listen on unix:%s: %s", what, path, strerror(-rc));
    }
    return fd;
}

int fg_mhd_listener_start_unix(struct fg_mhd_listener *l, const char *what, const char *component, const char *path,
                               unsigned flags, MHD_AccessHandlerCallback dh, void *cls, struct fg_mhd_conns *conns,
                               const struct MHD_OptionItem *options, struct fg_err *err)
{
    int fd;

    l->mhd = NULL;
    l->port = 0;
    l->tls_cert = l->tls_key = NULL;
    l->component = component;
    l->conns = conns;
    atomic_init(&l->stopping, false);
    if ((fd = mhd_listener_unix_socket(what, path, err)) < 0)
        return fd;
    snprintf(l->unix_path, sizeof(l->unix_path), "%s", path);
    l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, dh, cls,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_listener_log, l,
                              MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_ARRAY, options,
                              MHD_OPTION_END);
    if (!l->mhd) {
        close(fd);
        unlink(l->unix_path);
        l->unix_path[0] = '\0';
        return fg_err_set(err, -EIO, "%s: cannot serve on unix:%s", what, path);
    }
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
    if (l->unix_path[0])
        unlink(l->unix_path);
    l->unix_path[0] = '\0';
    mhd_listener_drop_tls(l);
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
