/* SPDX-License-Identifier: MIT */
/* mhd_conn.h - what a libmicrohttpd listener keeps per connection: the request context made
 * in the URI callback, and the deadline for a request head.
 *
 * MHD calls the completed callback only for a request that reached the access handler, so
 * a context made in the URI callback leaked when the client went away mid-head or the head
 * could not be parsed: the listener remembers each connection's context and frees it when
 * the connection closes. And MHD's timeout restarts on every byte, so a client sending one
 * header byte a second held its connection forever: a head not complete within
 * head_timeout_ms of the connection (or of its request line, on a kept-alive connection) is
 * shut down by a sweeping thread. On a TLS listener the first deadline covers the handshake
 * too (MHD notifies the connection before it), so a client that never completes one is
 * closed the same way; shutting the socket down makes GnuTLS fail and MHD close it. A listener passes fg_mhd_on_connection as its
 * MHD_OPTION_NOTIFY_CONNECTION with its struct fg_mhd_conns as cls; the URI callback calls
 * fg_mhd_track, the access handler's first call fg_mhd_head_done, the completed callback
 * fg_mhd_untrack. And libmicrohttpd 0.9.75 sends its own answer to a Content-Length it cannot
 * parse with the header block twice, so the listener's log hook hands such connections to
 * fg_mhd_conns_refuse_bad_length, which answers them once.
 *
 * Under pressure, idle connections go first: a connection is idle from the end of a request
 * (fg_mhd_untrack) until its next request line (fg_mhd_track), kept in a list longest idle
 * first. From FG_MHD_PRESSURE_PCT of max_conns open, the longest idle are shut down until
 * fewer are open: when a connection arrives (so the newcomer is served at once, before MHD's
 * own cap would leave it in the listen backlog) and on every sweep (connections that filled
 * the listener while busy and went idle afterwards). A client on a kept-alive connection
 * sees it closed between requests, which HTTP clients retry. MHD threads, and the sweeper.
 * Tests: tests/unit/test_mhd_conn.c, tests/integration/test_http.py. */
#ifndef FG_MHD_CONN_H
#define FG_MHD_CONN_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/err.h"

struct mhd_slot;

/* From this share of max_conns open, the longest idle connections are closed. */
#define FG_MHD_PRESSURE_PCT 90

/* Caller-embedded; zeroed before fg_mhd_conns_start. */
struct fg_mhd_conns {
    const char *component;              /* of log lines ("http", "s3"); borrowed */
    void (*free_req)(void *req);        /* frees a context its connection outlived */
    int head_timeout_ms;
    unsigned pressure_conns;            /* FG_MHD_PRESSURE_PCT of max_conns, at least 1 */
    pthread_mutex_t lock;               /* guards the lists, the count and every slot's state */
    pthread_cond_t cond;
    struct mhd_slot *slots;             /* every open connection */
    struct mhd_slot *idle_first, *idle_last;  /* idle ones, longest idle first */
    unsigned n_open;                    /* slots not being closed */
    unsigned long long n_idle_closed;   /* closed under pressure, since start */
    pthread_t sweeper;
    bool started, stopping;
};

/* Starts the sweeper. max_conns is the listener's MHD_OPTION_CONNECTION_LIMIT; component
 * names the listener in log lines (borrowed: a static string). 0 or -errno with err filled. */
int fg_mhd_conns_start(struct fg_mhd_conns *c, const char *component, void (*free_req)(void *req),
                       int head_timeout_ms, unsigned max_conns, struct fg_err *err) FG_MUST_CHECK;

/* Connections open now (not being closed). Any thread. */
unsigned fg_mhd_conns_open(struct fg_mhd_conns *c);

/* Stops the sweeper; after MHD_stop_daemon (every connection closed). Idempotent. */
void fg_mhd_conns_stop(struct fg_mhd_conns *c);

void fg_mhd_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/* The URI callback made req: freed with the connection unless completed; the head's
 * deadline runs. */
void fg_mhd_track(struct MHD_Connection *conn, void *req);
/* The head is complete (the access handler's first call): no deadline. */
void fg_mhd_head_done(struct MHD_Connection *conn);
/* The request completed (its context is freed by the caller): the connection is idle. */
void fg_mhd_untrack(struct MHD_Connection *conn);

/* Whether the query of uri has more parameters than MHD can parse into a connection pool
 * of pool_bytes (MHD then stops reading and the request would wait for the timeout). */
bool fg_mhd_query_too_big(const char *uri, size_t pool_bytes);

/* The URI callback's check: a query too big for pool_bytes is answered 414 at once
 * (fg_mhd_refuse). true then: the caller must make its access handler refuse to run the
 * request (MHD may still hand it over when the rest of the head was already read). */
bool fg_mhd_refuse_long_query(struct MHD_Connection *conn, const char *uri, size_t pool_bytes);

/* Answers code with a short JSON body straight on the connection (its TLS session on a TLS
 * listener) and shuts its socket down, for a request MHD cannot take to the access
 * handler. The MHD thread that owns conn, before anything else was written on it (the URI
 * callback, or the log hook below). */
void fg_mhd_refuse(struct MHD_Connection *conn, int code, const char *reason, const char *message);

/* How libmicrohttpd 0.9.75 reads a Content-Length value: 0 when it takes it, 400 when it is
 * not digits alone (empty, a sign, spaces, hex, an exponent), 413 when its digits overflow
 * 64 bits. */
int fg_mhd_content_length_status(const char *value);

/* libmicrohttpd 0.9.75 answers a Content-Length it cannot parse itself, and sends that
 * answer's header block twice. Called from the listener's log hook on the MHD thread that
 * logged it, before MHD queues that answer: each connection of this thread whose request
 * head (not yet handed to the access handler) carries such a Content-Length is answered once
 * with {"message"} 400 Bad Request (413 Request Entity Too Large for a number past 64 bits)
 * and shut down, so MHD's own answer finds the socket closed and the connection ends. Only
 * connections MHD refuses anyway are touched. */
void fg_mhd_conns_refuse_bad_length(struct fg_mhd_conns *c);

#endif
