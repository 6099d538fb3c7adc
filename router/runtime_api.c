/* SPDX-License-Identifier: MIT */
/* runtime_api.c - the AWS Lambda Runtime API, served to each worker on its own port.
 *
 * DESIGN: every worker gets a listening socket on 127.0.0.1:0, owned by the loop thread;
 * the port identifies the worker, so no request needs to say who it comes from and router
 * state is touched directly (no hand-off). GET /next is a long poll: the connection is
 * parked on the worker until an invocation is delivered.
 *
 * This is a small HTTP/1.1 server written for exactly this protocol rather than libevent's
 * evhttp: the Runtime API is on the hot path of every invocation, and evhttp spent most of
 * the loop thread's time on per-request allocation, header lists, FIONREAD ioctls and
 * epoll_ctl churn. Here a connection keeps one persistent read event and one input buffer
 * for its life; replies go out with one write (an EV_WRITE event only under backpressure).
 * Parsing lives in http1.c (keep-alive, Content-Length or chunked bodies as Node's client
 * sends, Expect: 100-continue as curl sends, HTTP/1.0 with close). Routes, statuses
 * and bodies follow reference/aws-lambda.md "Runtime API". Tests: tests/integration
 * (shell, Python, Node and aws-lambda-ric runtimes; a runtime that breaks the contract). */
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../core/assert.h"
#include "../core/log.h"
#include "http1.h"
#include "pool.h"
#include "router_int.h"
#include "runtime_api.h"
#include "worker.h"

#define RAPI_PREFIX "/2018-06-01/runtime/"
#define RAPI_HEADER_MAX_BYTES (64u * 1024)
/* Bodies between the 6 MB limit and this are read and answered with 413; a larger one
 * closes the connection (the invocation then ends by its timeout or the worker's exit). */
#define RAPI_BODY_MAX_BYTES (64u << 20)
#define RAPI_READ_CHUNK 65536

/* ------------------------------------------------------------------ types */

struct fg_rapi_conn {
    struct fg_worker *w;
    struct fg_rapi_conn *next;      /* w->conns */
    int fd;
    struct event *ev;               /* EV_READ | EV_PERSIST; EV_WRITE added under backpressure */
    struct fg_buf in;               /* bytes received, not yet consumed */
    struct fg_buf body;             /* the current request's body, de-chunked */
    struct fg_buf out;              /* reply bytes the socket did not take yet */
    bool close_after;               /* HTTP/1.0 or Connection: close */
    bool continue_sent;
    bool closing;                   /* reply queued, then close */
    bool in_dispatch;               /* a handler runs: freeing is deferred to its return */
    bool dead;                      /* closed and detached; freed when dispatch returns */
};

/* ------------------------------------------------------------------ connections */

/* Closes c and detaches it from its worker. A handler may end up here for its own
 * connection (an init error kills the worker, which closes every connection): then the
 * memory lives on until the handler returns to rapi_process. */
static void rapi_conn_free(struct fg_rapi_conn *c)
{
    if (!c->dead) {
        struct fg_worker *w = c->w;
        struct fg_rapi_conn **pp;
        for (pp = &w->conns; *pp; pp = &(*pp)->next) {
            if (*pp == c) {
                *pp = c->next;
                break;
            }
        }
        if (w->next_conn == c)
            w->next_conn = NULL;
        if (c->ev)
            event_free(c->ev);
        c->ev = NULL;
        close(c->fd);
        c->fd = -1;
        c->dead = true;
    }
    if (c->in_dispatch)
        return;
    fg_buf_free(&c->in);
    fg_buf_free(&c->body);
    fg_buf_free(&c->out);
    free(c);
}

static void rapi_on_io(evutil_socket_t fd, short what, void *arg);

/* Writes what is pending; arms EV_WRITE if the socket is full. -1 when the connection
 * is gone (and freed). */
static int rapi_flush(struct fg_rapi_conn *c)
{
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            rapi_conn_free(c);
            return -1;
        }
        off += (size_t)n;
    }
    if (off) {
        memmove(c->out.data, c->out.data + off, c->out.len - off);
        c->out.len -= off;
    }
    event_del(c->ev);
    event_assign(c->ev, event_get_base(c->ev), c->fd, EV_READ | EV_PERSIST | (c->out.len ? EV_WRITE : 0),
                 rapi_on_io, c);
    event_add(c->ev, NULL);
    if (!c->out.len && c->closing) {
        rapi_conn_free(c);
        return -1;
    }
    return 0;
}

/* Sends head + body with one syscall when the socket takes it all; queues the rest. With
 * Connection: close the connection is closed once the reply is out, so callers must not
 * touch c after this (inside a handler the memory stays until rapi_process sees c->dead). */
static void rapi_send(struct fg_rapi_conn *c, const char *head, size_t head_len, const char *body, size_t body_len)
{
    if (c->dead)
        return;
    if (c->close_after)
        c->closing = true;
    if (!c->out.len) {
        struct iovec iov[2] = { { (void *)head, head_len }, { (void *)body, body_len } };
        ssize_t n;
        do {
            n = writev(c->fd, iov, body_len ? 2 : 1);
        } while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN) {
            rapi_conn_free(c);
            return;
        }
        if (n < 0)
            n = 0;
        if ((size_t)n >= head_len + body_len) {
            if (c->closing)
                rapi_conn_free(c);
            return;
        }
        if ((size_t)n < head_len) {
            head += n;
            head_len -= (size_t)n;
        } else {
            body += (size_t)n - head_len;
            body_len -= (size_t)n - head_len;
            head_len = 0;
        }
    }
    if (fg_buf_append(&c->out, head, head_len) < 0 || fg_buf_append(&c->out, body, body_len) < 0) {
        rapi_conn_free(c);
        return;
    }
    rapi_flush(c);
}

static void rapi_reply(struct fg_rapi_conn *c, int code, const char *reason, const char *json)
{
    char head[256];
    size_t len = strlen(json);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                     code, reason, len, c->close_after ? "Connection: close\r\n" : "");
    rapi_send(c, head, (size_t)n, json, len);
}

static void rapi_error(struct fg_rapi_conn *c, int code, const char *reason, const char *type, const char *msg)
{
    struct fg_buf body;
    fg_buf_init(&body, 8192);
    rapi_reply(c, code, reason, fg_invocation_error_body(&body, type, msg) == 0 ? body.data : "{}");
    fg_buf_free(&body);
}

/* ------------------------------------------------------------------ the protocol */

static void rapi_next(struct fg_rapi_conn *c)
{
    struct fg_worker *w = c->w;

    if (w->state == FG_WORKER_DEAD) {
        rapi_error(c, 500, "Internal Server Error", "ServiceException", "worker is being stopped");
        return;
    }
    if (w->next_conn) {
        rapi_error(c, 400, "Bad Request", "InvalidStateTransition", "another /next is already waiting");
        return;
    }
    w->next_conn = c;
    /* With an invocation delivered and unanswered, the runtime broke the protocol: the
     * invocation's timer decides. */
    if (!(w->inv && w->inv->delivered))
        fg_pool_worker_ready(w);
}

static struct fg_invocation *rapi_lookup(struct fg_rapi_conn *c, const char *id)
{
    struct fg_worker *w = c->w;
    if (w->inv && w->inv->delivered && !strcmp(w->inv->request_id, id))
        return w->inv;
    rapi_error(c, 400, "Bad Request", "InvalidRequestID",
               !strcmp(w->last_request_id, id) ? "Invalid request ID: already answered" : "Invalid request ID");
    return NULL;
}

static void rapi_response(struct fg_rapi_conn *c, const char *id, const struct fg_http1_request *rq)
{
    struct fg_worker *w = c->w;
    struct fg_router *r = w->fn->router;
    struct fg_invocation *inv = rapi_lookup(c, id);

    if (!inv)
        return;
    fg_worker_drain_output(w);
    if (rq->body_len > FG_PAYLOAD_SYNC_MAX_BYTES) {
        rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge",
                   "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
        fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, "Function.ResponseSizeTooLarge",
                       "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
        return;
    }
    if (fg_buf_append(&inv->result, rq->body ? rq->body : "", rq->body_len) < 0) {
        rapi_error(c, 500, "Internal Server Error", "ServiceException", "out of memory");
        fg_router_fail(r, inv, FG_INV_SERVICE_ERROR, "ServiceException", "out of memory");
        return;
    }
    rapi_reply(c, 202, "Accepted", "{\"status\":\"OK\"}");
    fg_router_finish(r, inv, FG_INV_OK);
}

/* Keeps a JSON object body as the runtime sent it; wraps anything else. */
static void rapi_fail_with_body(struct fg_worker *w, struct fg_invocation *inv, const struct fg_http1_request *rq,
                                const char *default_type)
{
    struct fg_router *r = w->fn->router;
    char type[128];
    json_t *o = rq->body_len ? json_loadb(rq->body, rq->body_len, 0, NULL) : NULL;

    snprintf(type, sizeof(type), "%.*s", rq->error_type ? (int)rq->error_type_len : (int)strlen(default_type),
             rq->error_type ? rq->error_type : default_type);
    fg_worker_drain_output(w);
    if (o && json_is_object(o)) {
        char *s;
        int rc;
        if (!json_object_get(o, "errorType"))
            json_object_set_new(o, "errorType", json_string(type));
        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = s ? fg_buf_append(&inv->result, s, strlen(s)) : -ENOMEM;
        free(s);
        json_decref(o);
        if (rc == 0) {
            fg_router_finish(r, inv, FG_INV_FUNCTION_ERROR);
            return;
        }
        fg_buf_reset(&inv->result);
    } else {
        json_decref(o);
    }
    fg_router_fail(r, inv, FG_INV_FUNCTION_ERROR, type, "%.*s", (int)(rq->body_len > 4096 ? 4096 : rq->body_len),
                   rq->body ? rq->body : "");
}

static void rapi_error_post(struct fg_rapi_conn *c, const char *id, const struct fg_http1_request *rq)
{
    struct fg_invocation *inv = rapi_lookup(c, id);
    if (!inv)
        return;
    rapi_reply(c, 202, "Accepted", "{\"status\":\"OK\"}");
    rapi_fail_with_body(c->w, inv, rq, "Unhandled");
}

static void rapi_init_error(struct fg_rapi_conn *c, const struct fg_http1_request *rq)
{
    struct fg_worker *w = c->w;
    if (w->state != FG_WORKER_SPAWNING) {
        rapi_error(c, 403, "Forbidden", "InvalidStateTransition", "init already finished");
        return;
    }
    rapi_reply(c, 202, "Accepted", "{\"status\":\"OK\"}");
    if (w->inv)
        rapi_fail_with_body(w, w->inv, rq, "Runtime.InitError");
    /* A failed init is not retried in this process: the next invocation starts a new one. */
    fg_worker_kill(w, "init error");
}

static bool rapi_is(const struct fg_http1_request *rq, const char *method)
{
    return rq->method_len == strlen(method) && !memcmp(rq->method, method, rq->method_len);
}

static void rapi_dispatch(struct fg_rapi_conn *c, const struct fg_http1_request *rq)
{
    const char *rest, *slash;
    size_t rest_len;
    char id[128];

    if (rq->path_len < sizeof(RAPI_PREFIX) - 1 || memcmp(rq->path, RAPI_PREFIX, sizeof(RAPI_PREFIX) - 1))
        goto not_found;
    rest = rq->path + sizeof(RAPI_PREFIX) - 1;
    rest_len = rq->path_len - (sizeof(RAPI_PREFIX) - 1);
    if (rest_len == 15 && !memcmp(rest, "invocation/next", 15)) {
        if (!rapi_is(rq, "GET"))
            goto bad_method;
        rapi_next(c);
        return;
    }
    if (rest_len == 10 && !memcmp(rest, "init/error", 10)) {
        if (!rapi_is(rq, "POST"))
            goto bad_method;
        rapi_init_error(c, rq);
        return;
    }
    if (rest_len > 11 && !memcmp(rest, "invocation/", 11) &&
        (slash = memchr(rest + 11, '/', rest_len - 11)) && (size_t)(slash - rest - 11) < sizeof(id)) {
        size_t tail = rest_len - (size_t)(slash - rest);
        memcpy(id, rest + 11, (size_t)(slash - rest - 11));
        id[slash - rest - 11] = '\0';
        if (!rapi_is(rq, "POST"))
            goto bad_method;
        if (tail == 9 && !memcmp(slash, "/response", 9)) {
            rapi_response(c, id, rq);
            return;
        }
        if (tail == 6 && !memcmp(slash, "/error", 6)) {
            rapi_error_post(c, id, rq);
            return;
        }
    }
not_found:
    rapi_error(c, 404, "Not Found", "InvalidRequest", "unknown Runtime API path");
    return;
bad_method:
    rapi_error(c, 405, "Method Not Allowed", "InvalidRequest", "method not allowed");
}

/* ------------------------------------------------------------------ requests */

/* Parses and dispatches every complete request in c->in. -1 when the connection was freed. */
static int rapi_process(struct fg_rapi_conn *c)
{
    while (c->in.len && !c->closing) {
        struct fg_http1_request rq;
        long used = fg_http1_parse(c->in.data, c->in.len, RAPI_HEADER_MAX_BYTES, RAPI_BODY_MAX_BYTES,
                                   &c->body, &rq);
        if (used == 0) {
            if (rq.expect_continue && !c->continue_sent) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                c->continue_sent = true;
                rapi_send(c, cont, sizeof(cont) - 1, NULL, 0);
            }
            return 0;
        }
        if (used < 0) {
            c->close_after = true;
            if (used == -EMSGSIZE)
                rapi_error(c, 431, "Request Header Fields Too Large", "InvalidRequest", "headers too large");
            else if (used == -FG_ETOOBIG)
                rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge", "body too large");
            else
                rapi_error(c, 400, "Bad Request", "InvalidRequest", "malformed HTTP request");
            return 0;
        }
        c->close_after = rq.close;
        c->continue_sent = false;
        c->in_dispatch = true;
        rapi_dispatch(c, &rq);
        c->in_dispatch = false;
        if (c->dead) {
            rapi_conn_free(c);
            return -1;
        }
        memmove(c->in.data, c->in.data + used, c->in.len - (size_t)used);
        c->in.len -= (size_t)used;
    }
    /* Still closing means a reply is draining; rapi_flush frees c when it is out. */
    return 0;
}

static void rapi_on_io(evutil_socket_t fd, short what, void *arg)
{
    struct fg_rapi_conn *c = arg;
    char chunk[RAPI_READ_CHUNK];

    if ((what & EV_WRITE) && rapi_flush(c) < 0)
        return;
    if (!(what & EV_READ))
        return;
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        if (n > 0) {
            if (fg_buf_append(&c->in, chunk, (size_t)n) < 0) {
                rapi_conn_free(c);      /* past header + body limits: a broken client */
                return;
            }
            if ((size_t)n < sizeof(chunk))
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        rapi_conn_free(c);              /* EOF or error; a parked /next goes with it */
        return;
    }
    rapi_process(c);
}

static void rapi_on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct fg_worker *w = arg;
    struct fg_rapi_conn *c;
    int cfd, one = 1;

    (void)what;
    while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        if (!(c = calloc(1, sizeof(*c)))) {
            close(cfd);
            continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->w = w;
        c->fd = cfd;
        fg_buf_init(&c->in, RAPI_HEADER_MAX_BYTES + RAPI_BODY_MAX_BYTES + 4096);
        fg_buf_init(&c->body, RAPI_BODY_MAX_BYTES);
        fg_buf_init(&c->out, RAPI_BODY_MAX_BYTES + 4096);
        c->ev = event_new(w->fn->router->loop->base, cfd, EV_READ | EV_PERSIST, rapi_on_io, c);
        if (!c->ev || event_add(c->ev, NULL) < 0) {
            if (c->ev)
                event_free(c->ev);
            close(cfd);
            free(c);
            continue;
        }
        c->next = w->conns;
        w->conns = c;
    }
}

/* ------------------------------------------------------------------ API */

int fg_runtime_api_open(struct fg_worker *w, struct fg_err *err)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int fd;

    w->listen_fd = -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fg_err_set(err, -errno, "function %s: socket: %s", w->fn->conf->name, strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
        int e = errno;
        close(fd);
        return fg_err_set(err, -e, "function %s: cannot open a Runtime API port on 127.0.0.1: %s",
                          w->fn->conf->name, strerror(e));
    }
    w->listen_fd = fd;
    w->port = ntohs(sa.sin_port);
    w->accept_ev = event_new(w->fn->router->loop->base, fd, EV_READ | EV_PERSIST, rapi_on_accept, w);
    if (!w->accept_ev || event_add(w->accept_ev, NULL) < 0)
        return fg_err_set(err, -ENOMEM, "function %s: cannot watch the Runtime API port", w->fn->conf->name);
    return 0;
}

void fg_runtime_api_send_event(struct fg_worker *w, struct fg_invocation *inv)
{
    struct fg_rapi_conn *c = w->next_conn;
    char head[8192];
    int n;

    FG_ASSERT(c);
    w->next_conn = NULL;
    /* X-Ray format; the request id supplies the random digits. */
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
                 "Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
                 "Lambda-Runtime-Trace-Id: Root=1-%08llx-%.8s%.4s%.4s%.4s%.4s;Parent=%.12s%.4s;Sampled=0\r\n"
                 "%s%s%s"
                 "Content-Length: %zu\r\n%s\r\n",
                 inv->request_id, inv->deadline_ms, w->fn->arn, inv->deadline_ms / 1000, inv->request_id,
                 inv->request_id + 9, inv->request_id + 14, inv->request_id + 19, inv->request_id + 24,
                 inv->request_id + 24, inv->request_id,
                 inv->client_context ? "Lambda-Runtime-Client-Context: " : "",
                 inv->client_context ? inv->client_context : "", inv->client_context ? "\r\n" : "",
                 inv->payload_len, c->close_after ? "Connection: close\r\n" : "");
    /* The gateway caps a client context at 3583 bytes, far below the header buffer. */
    FG_ASSERT(n > 0 && n < (int)sizeof(head));
    rapi_send(c, head, (size_t)n, inv->payload, inv->payload_len);
}

void fg_runtime_api_close(struct fg_worker *w)
{
    while (w->conns)
        rapi_conn_free(w->conns);
    w->next_conn = NULL;
    fg_loop_close_fd(&w->accept_ev, &w->listen_fd);
}
