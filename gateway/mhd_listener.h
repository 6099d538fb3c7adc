/* SPDX-License-Identifier: MIT */
/* mhd_listener.h - what the libmicrohttpd listeners share: the front door (gateway/http.c)
 * and the S3 endpoint (gateway/s3_api.c) bind a configured address, IPv4 or IPv6, with TLS
 * when their `tls:` says so, log MHD's own lines through fg_log, and stop in two steps.
 *
 * TLS: libmicrohttpd's own (GnuTLS), on every connection of the listener, TLS 1.2 and 1.3
 * only; the certificate and key are read from their PEM files and checked (core/tls.h) at
 * start, then handed to MHD, which advertises ALPN http/1.1 and http/1.0 (never h2). Everything above the
 * listener (request contexts, head deadlines, keep-alive) is the same with and without it:
 * a connection's head deadline (mhd_conn.h) starts when it is accepted, so a client that
 * never finishes its TLS handshake is closed by the same sweeper as a slow head.
 *
 * Stopping: quiesce (requests under way go on; a request that begins afterwards is
 * answered 503 and its connection closed), then stop. MHD_quiesce_daemon is not used: with
 * epoll and MHD's own threads it races them (both take the listen socket out of the epoll
 * set, unlocked, and the loser calls MHD_PANIC: "Failed to remove listen FD from epoll set",
 * libmicrohttpd 0.9.75, an open upstream defect), which aborted about one stop in a hundred.
 * So the socket keeps listening until MHD_stop_daemon, and the listener only remembers that
 * it is stopping. Lifecycle: start → quiesce → stop, each once, from the thread that owns
 * the listener (the loop's, in serve). */
#ifndef FG_MHD_LISTENER_H
#define FG_MHD_LISTENER_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "../config/conf_key.h"
#include "../core/err.h"

struct fg_mhd_conns;

/* Caller-embedded; zeroed. */
struct fg_mhd_listener {
    struct MHD_Daemon *mhd;          /* NULL until started */
    atomic_bool stopping;            /* set by quiesce; read by MHD's threads */
    int port;                        /* the port bound (0 on a unix socket) */
    char unix_path[108];             /* the socket file made, removed at stop; "" for TCP */
    char *tls_cert, *tls_key;        /* PEM text MHD was given; owned until stop; NULL: plain */
    const char *component;           /* of MHD's log lines; borrowed */
    struct fg_mhd_conns *conns;      /* the listener's connections; borrowed, may be NULL */
};

/* Binds host:port (host "localhost", an IPv4 or an IPv6 address without brackets; port 0
 * picks a free one) and starts MHD with flags (MHD_USE_IPv6 is added for an IPv6 host), the
 * access handler dh(cls) and options (MHD_OPTION_END-terminated; the logger and the address
 * are set here, MHD's lines going to fg_log as component). With tls on (fg_conf_tls_on; NULL
 * or a zeroed one: plain HTTP) every connection is TLS: MHD_USE_TLS and the certificate and
 * key read from tls's files now. what names the listener's configuration key in errors
 * ("listen", "s3.listen"). conns, the listener's connections (started, and passed to
 * MHD_OPTION_NOTIFY_CONNECTION by the caller), may be NULL; with it a request whose
 * Content-Length libmicrohttpd cannot parse is answered once, cleanly
 * (fg_mhd_conns_refuse_bad_length). Borrows tls, options, component, what and conns (until
 * stop). 0, or -EINVAL (host is
 * not an IP address; a certificate or key unusable, naming the file), -errno (a PEM file
 * cannot be read), -ENOTSUP (this libmicrohttpd has no TLS) or -EADDRINUSE, with err filled;
 * on error nothing is left to stop. */
int fg_mhd_listener_start(struct fg_mhd_listener *l, const char *what, const char *component, const char *host,
                          int port, const struct fg_conf_tls *tls, unsigned flags, MHD_AccessHandlerCallback dh,
                          void *cls, struct fg_mhd_conns *conns, const struct MHD_OptionItem *options,
                          struct fg_err *err) FG_MUST_CHECK;

/* Same on a unix socket at path (at most 107 bytes): a stale socket file is replaced, one a
 * live process listens on is not; the file is made with mode 0600 and removed at stop. 0,
 * or -EADDRINUSE / -errno with err filled. */
int fg_mhd_listener_start_unix(struct fg_mhd_listener *l, const char *what, const char *component, const char *path,
                               unsigned flags, MHD_AccessHandlerCallback dh, void *cls, struct fg_mhd_conns *conns,
                               const struct MHD_OptionItem *options, struct fg_err *err) FG_MUST_CHECK;

/* How many connections a listener takes at once: three quarters of the descriptors the
 * process may open (the rest stay for workers, the state file and the sources), at least
 * 64. libmicrohttpd's own default is select()'s 1,020 even with epoll, so ~1,000 idle or
 * slow clients used to lock every other client out. Raises the soft descriptor limit to
 * the hard one first (once per process; harmless to repeat). */
unsigned fg_mhd_connection_limit(void);

/* Marks the listener stopping: requests under way go on, the access handlers answer any
 * request that begins afterwards with 503 (fg_mhd_listener_stopping). Idempotent; a
 * listener never started is allowed. */
void fg_mhd_listener_quiesce(struct fg_mhd_listener *l);

/* Whether quiesce was called: the access handler's first call asks, from MHD's threads. */
static inline bool fg_mhd_listener_stopping(struct fg_mhd_listener *l)
{
    return atomic_load_explicit(&l->stopping, memory_order_relaxed);
}

/* Stops MHD's threads, closes the listen socket, removes a unix socket's file, and wipes
 * and frees the key. A listener never started is allowed. */
void fg_mhd_listener_stop(struct fg_mhd_listener *l);

#endif
