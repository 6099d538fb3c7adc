/* SPDX-License-Identifier: MIT */
/* mhd_conn.c - per-connection bookkeeping for the libmicrohttpd listeners (see mhd_conn.h). */
#include "mhd_conn.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../core/log.h"
#include "../core/loop.h"
#include "../core/workq.h"

struct mhd_slot {
    struct fg_mhd_conns *conns;
    struct mhd_slot *prev, *next;       /* conns->slots */
    struct mhd_slot *idle_prev, *idle_next;  /* conns->idle_first.., while idle */
    struct MHD_Connection *conn;
    pthread_t thread;                   /* the MHD thread that owns conn */
    void *req;                          /* made in the URI callback, until completed */
    int fd;
    long long deadline_ms;              /* monotonic; 0: no head expected now */
    bool idle;                          /* between a request's end and the next request line */
    bool closing;                       /* shut down by us; no longer counted in n_open */
};

#define MHD_SWEEP_MS 250

static long long mhd_now_ms(void)
{
    return fg_mono_us() / 1000;
}

static struct mhd_slot *mhd_slot(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* ------------------------------------------------------------------ idle list (lock held) */

static void mhd_idle_unlink(struct fg_mhd_conns *c, struct mhd_slot *s)
{
    if (!s->idle)
        return;
    if (s->idle_prev)
        s->idle_prev->idle_next = s->idle_next;
    else
        c->idle_first = s->idle_next;
    if (s->idle_next)
        s->idle_next->idle_prev = s->idle_prev;
    else
        c->idle_last = s->idle_prev;
    s->idle_prev = s->idle_next = NULL;
    s->idle = false;
}

static void mhd_idle_append(struct fg_mhd_conns *c, struct mhd_slot *s)
{
    if (s->idle || s->closing)
        return;
    s->idle = true;
    s->idle_next = NULL;
    if ((s->idle_prev = c->idle_last))
        c->idle_last->idle_next = s;
    else
        c->idle_first = s;
    c->idle_last = s;
}

/* Shuts s down (MHD sees the end and closes it) and stops counting it. */
static void mhd_close_slot(struct fg_mhd_conns *c, struct mhd_slot *s)
{
    if (s->closing)
        return;
    mhd_idle_unlink(c, s);
    s->closing = true;
    s->deadline_ms = 0;
    c->n_open--;
    if (s->fd >= 0)
        shutdown(s->fd, SHUT_RDWR);
}

/* Under pressure, closes the longest idle connections until fewer than pressure_conns are
 * open or none is idle. Bounded by the idle list, which only shrinks here. */
static void mhd_relieve(struct fg_mhd_conns *c)
{
    unsigned n = 0;
    while (c->n_open >= c->pressure_conns && c->idle_first) {
        mhd_close_slot(c, c->idle_first);
        n++;
    }
    if (n) {
        c->n_idle_closed += n;
        fg_log(FG_LOG_DEBUG, c->component, "%u connections open of %u at most: closed the %u longest idle (%llu so far)",
               c->n_open, c->pressure_conns * 100 / FG_MHD_PRESSURE_PCT, n, c->n_idle_closed);
    }
}

/* ------------------------------------------------------------------ MHD callbacks */

void fg_mhd_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct fg_mhd_conns *c = cls;
    struct mhd_slot *slot = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!(slot = calloc(1, sizeof(*slot))))
            return;     /* nothing tracked: MHD's own timeout still applies */
        slot->conns = c;
        slot->conn = conn;
        slot->thread = pthread_self();
        slot->fd = ci ? ci->connect_fd : -1;
        pthread_mutex_lock(&c->lock);
        slot->deadline_ms = mhd_now_ms() + c->head_timeout_ms;   /* the first head */
        if ((slot->next = c->slots))
            slot->next->prev = slot;
        c->slots = slot;
        c->n_open++;
        mhd_relieve(c);
        pthread_mutex_unlock(&c->lock);
        *socket_context = slot;
        return;
    }
    if (!slot)
        return;
    pthread_mutex_lock(&c->lock);
    if (slot->prev)
        slot->prev->next = slot->next;
    else
        c->slots = slot->next;
    if (slot->next)
        slot->next->prev = slot->prev;
    mhd_idle_unlink(c, slot);
    if (!slot->closing)
        c->n_open--;
    pthread_mutex_unlock(&c->lock);
    if (slot->req)
        c->free_req(slot->req);
    free(slot);
    *socket_context = NULL;
}

void fg_mhd_track(struct MHD_Connection *conn, void *req)
{
    struct mhd_slot *slot = mhd_slot(conn);
    if (!slot)
        return;
    slot->req = req;
    pthread_mutex_lock(&slot->conns->lock);
    mhd_idle_unlink(slot->conns, slot);
    if (!slot->deadline_ms && !slot->closing)   /* a kept-alive connection: this head's own deadline */
        slot->deadline_ms = mhd_now_ms() + slot->conns->head_timeout_ms;
    pthread_mutex_unlock(&slot->conns->lock);
}

void fg_mhd_head_done(struct MHD_Connection *conn)
{
    struct mhd_slot *slot = mhd_slot(conn);
    if (!slot)
        return;
    pthread_mutex_lock(&slot->conns->lock);
    slot->deadline_ms = 0;
    pthread_mutex_unlock(&slot->conns->lock);
}

void fg_mhd_untrack(struct MHD_Connection *conn)
{
    struct mhd_slot *slot = mhd_slot(conn);
    if (!slot)
        return;
    slot->req = NULL;
    pthread_mutex_lock(&slot->conns->lock);
    slot->deadline_ms = 0;          /* idle: MHD's idle timeout applies, and pressure */
    mhd_idle_append(slot->conns, slot);
    pthread_mutex_unlock(&slot->conns->lock);
}

/* ------------------------------------------------------------------ the sweeper */

/* Shuts down connections whose head is late (MHD then closes them), and relieves pressure
 * that built up without a new connection to trigger it. */
static void *mhd_sweep(void *arg)
{
    struct fg_mhd_conns *c = arg;
    struct timespec ts;

    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        long long now = mhd_now_ms();
        for (struct mhd_slot *s = c->slots; s; s = s->next)
            if (s->deadline_ms && now >= s->deadline_ms)
                mhd_close_slot(c, s);
        mhd_relieve(c);
        fg_monotonic_deadline(&ts, MHD_SWEEP_MS);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int fg_mhd_conns_start(struct fg_mhd_conns *c, const char *component, void (*free_req)(void *req),
                       int head_timeout_ms, unsigned max_conns, struct fg_err *err)
{
    int rc;
    c->component = component;
    c->free_req = free_req;
    c->head_timeout_ms = head_timeout_ms;
    c->pressure_conns = (unsigned)((unsigned long long)max_conns * FG_MHD_PRESSURE_PCT / 100);
    if (c->pressure_conns < 1)
        c->pressure_conns = 1;
    pthread_mutex_init(&c->lock, NULL);
    fg_cond_init_monotonic(&c->cond);      /* a clock set back does not stall the sweep */
    if ((rc = pthread_create(&c->sweeper, NULL, mhd_sweep, c)) != 0)
        return fg_err_set(err, -rc, "cannot start the connection sweeper: %s", strerror(rc));
    c->started = true;
    return 0;
}

unsigned fg_mhd_conns_open(struct fg_mhd_conns *c)
{
    unsigned n;
    pthread_mutex_lock(&c->lock);
    n = c->n_open;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void fg_mhd_conns_stop(struct fg_mhd_conns *c)
{
    if (!c->started)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->sweeper, NULL);
    c->started = false;
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
    const union MHD_ConnectionInfo *tls = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    char buf[512];
    int n;
    if (!ci)
        return;
    n = snprintf(buf, sizeof(buf),
                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
                 "{\"message\":\"%s\"}", code, reason, strlen(message) + 14, message);
    /* A best effort on a socket with nothing else written yet: the answer fits a send. Over
     * TLS it is a record of the session (plain bytes would break the stream), then
     * close_notify; this is the thread that runs the connection, so nothing else uses the
     * session meanwhile. */
    if (n > 0 && tls) {
        ssize_t w = gnutls_record_send(tls->tls_session, buf, (size_t)n);
        if (w < 0)
            fg_log(FG_LOG_DEBUG, "http", "refusal not sent: %s", gnutls_strerror((int)w));
        else
            gnutls_bye(tls->tls_session, GNUTLS_SHUT_WR);
    } else if (n > 0 && send(ci->connect_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        fg_log(FG_LOG_DEBUG, "http", "refusal not sent: %s", strerror(errno));
    }
    shutdown(ci->connect_fd, SHUT_RDWR);
    /* MHD may never read the end: a request it stopped parsing keeps its read buffer full,
     * and it does not read into a full buffer, so the connection (a descriptor and its
     * pool) stayed until the 120 s idle timeout. A second of its own closes it. */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
}

bool fg_mhd_refuse_long_query(struct MHD_Connection *conn, const char *uri, size_t pool_bytes)
{
    if (!fg_mhd_query_too_big(uri, pool_bytes))
        return false;
    fg_mhd_refuse(conn, 414, "URI Too Long", "Request-URI Too Long");
    return true;
}

int fg_mhd_content_length_status(const char *value)
{
    uint64_t n = 0;
    size_t i = 0;
    if (!value || !isdigit((unsigned char)value[0]))
        return 400;
    for (; isdigit((unsigned char)value[i]); i++) {
        unsigned d = (unsigned)(value[i] - '0');
        if (n > UINT64_MAX / 10 || (n == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            return 413;             /* MHD gives up on the overflow before looking further */
        n = n * 10 + d;
    }
    return value[i] ? 400 : 0;
}

void fg_mhd_conns_refuse_bad_length(struct fg_mhd_conns *c)
{
    pthread_t self = pthread_self();

    pthread_mutex_lock(&c->lock);
    for (struct mhd_slot *s = c->slots; s; s = s->next) {
        const char *len;
        int code;
        /* Only this thread's connections: their MHD state is this thread's to read. A head
         * not yet handed to the access handler has its deadline set. */
        if (!pthread_equal(s->thread, self) || !s->req || !s->deadline_ms)
            continue;
        len = MHD_lookup_connection_value(s->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!len || !(code = fg_mhd_content_length_status(len)))
            continue;
        if (code == 413)
            fg_mhd_refuse(s->conn, 413, "Content Too Large", "Request Entity Too Large");
        else
            fg_mhd_refuse(s->conn, 400, "Bad Request", "Bad Request");
        mhd_close_slot(c, s);   /* MHD closes it once its own answer fails to send */
    }
    pthread_mutex_unlock(&c->lock);
}
