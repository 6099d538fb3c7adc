/* SPDX-License-Identifier: MIT */
/* runtime_api.c - the AWS Lambda Runtime API, served to one worker on its own port (see
 * runtime_api.h).
 *
 * DESIGN: every worker gets a listening socket on 127.0.0.1:0, owned by the loop thread;
 * the port identifies the worker, so no request needs to say who it comes from and the
 * owner's callbacks run directly (no hand-off). GET /next is a long poll: the connection is
 * parked until the owner sends an event. The server keeps no invocation state of its own:
 * which request ids are valid and when init is over are the owner's answers.
 *
 * This is a small HTTP/1.1 server written for exactly this protocol rather than libevent's
 * evhttp: the Runtime API is on the hot path of every invocation, and evhttp spent most of
 * the loop thread's time on per-request allocation, header lists, FIONREAD ioctls and
 * epoll_ctl churn. Here a connection keeps one persistent read event and one input buffer
 * for its life; replies go out with one write (an EV_WRITE event only under backpressure).
 * Parsing lives in http1.c (keep-alive, Content-Length or chunked bodies as Node's client
 * sends, Expect: 100-continue as curl sends, HTTP/1.0 with close). Routes, statuses
 * and bodies follow reference/aws-lambda.md "Runtime API".
 *
 * Pipelining: the bundled runtimes send POST /response and the next GET /next in one write
 * (one round trip less per invocation), so the input buffer may hold several requests, or a
 * request in many pieces (the parser remembers how far its search for the head's end got).
 * HTTP/1.1 wants the answers in request order, and a /next is answered only when an event
 * comes: while a connection's /next is parked, or its earlier replies still wait for the
 * socket (backpressure), the requests behind it stay unread in its buffer. Sending the event
 * (or draining the output) resumes them from the loop, never inside the owner's callback
 * that sent it. Clients that wait for each answer see no difference. Tests: tests/integration
 * (shell, Python, Node and aws-lambda-ric runtimes; a runtime that breaks the contract;
 * raw-socket pipelining and byte-by-byte requests in test_runtimes.py). */
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "runtime_api.h"

#include "../core/assert.h"
#include "../core/base64.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/sockdiag.h"
#include "http1.h"
#include "invocation.h"

#define RAPI_PREFIX "/2018-06-01/runtime/"
#define RAPI_HEADER_MAX_BYTES FG_RUNTIME_API_HEADER_MAX_BYTES
#define RAPI_BODY_MAX_BYTES FG_RUNTIME_API_BODY_MAX_BYTES
/* A Content-Length body over the limit is answered 413 at once; up to this size its bytes
 * are then skipped as they come (read and dropped, never buffered) so the connection goes
 * on, as a runtime that sent a 7 MB response expects; a larger one, or a chunked one,
 * closes the connection. */
#define RAPI_SKIP_MAX_BYTES (16ull << 20)
#define RAPI_READ_CHUNK 65536
/* Reads per wake-up of a connection, each followed by parsing: the loop thread moves on to
 * other work after this many, however fast a runtime sends. */
#define RAPI_READS_PER_WAKE 1
/* One connection holds at most a head, a body and the read after them (pipelined bytes). */
#define RAPI_CONN_MAX_BYTES (RAPI_HEADER_MAX_BYTES + RAPI_BODY_MAX_BYTES + RAPI_READ_CHUNK)
/* Buffers are given back once a request past this size is done. */
#define RAPI_KEEP_BYTES (256u * 1024)
/* Refusals at accept are logged at most this often per server. */
#define RAPI_WARN_EVERY_US (10ll * 1000000)

/* ------------------------------------------------------------------ types */

struct fg_runtime_api_conn {
    struct fg_runtime_api *api;
    struct fg_runtime_api_conn *next; /* api->conns */
    int fd;
    struct event *ev;               /* EV_READ | EV_PERSIST; EV_WRITE added under backpressure */
    struct fg_buf in;               /* bytes received, not yet consumed */
    struct fg_buf body;             /* the current request's body, de-chunked */
    struct fg_buf out;              /* reply bytes the socket did not take yet */
    struct fg_http1_parser parser;  /* its place in the request being read */
    unsigned long long skip;        /* bytes of a refused body still to drop as they come */
    bool close_after;               /* HTTP/1.0 or Connection: close */
    bool continue_sent;
    bool closing;                   /* reply queued, then close */
    bool in_dispatch;               /* rapi_process runs: freeing is deferred to its return */
    bool dead;                      /* closed and detached; freed when dispatch returns */
    bool paused;                    /* streaming, its owner full: not read until resumed */
};

/* ------------------------------------------------------------------ connections */

/* Closes c and detaches it from its server. A handler may end up here for its own
 * connection (an init error kills the worker, which closes the server): then the memory
 * lives on until the handler returns to rapi_process. */
static void rapi_conn_free(struct fg_runtime_api_conn *c)
{
    if (!c->dead) {
        struct fg_runtime_api *api = c->api;
        struct fg_runtime_api_conn **pp;
        /* A stream cut before its end (fg_runtime_api_close forgets the stream first): the
         * owner is told once c is detached, since what it does may close the server. */
        bool cut = api->stream == c;
        if (cut)
            api->stream = NULL;
        for (pp = &api->conns; *pp; pp = &(*pp)->next) {
            if (*pp == c) {
                *pp = c->next;
                break;
            }
        }
        if (api->parked == c)
            api->parked = NULL;
        api->n_conns--;
        if (c->ev)
            event_free(c->ev);
        c->ev = NULL;
        close(c->fd);
        c->fd = -1;
        c->dead = true;
        if (cut) {
            bool in_dispatch = c->in_dispatch;
            c->in_dispatch = true;       /* c outlives the call */
            api->ops->on_stream_end(api->arg, FG_RUNTIME_API_STREAM_CUT, NULL, 0);
            c->in_dispatch = in_dispatch;
        }
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
static int rapi_flush(struct fg_runtime_api_conn *c)
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
    event_assign(c->ev, event_get_base(c->ev), c->fd,
                 (c->paused ? 0 : EV_READ) | EV_PERSIST | (c->out.len ? EV_WRITE : 0), rapi_on_io, c);
    if (!c->paused || c->out.len)
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
static void rapi_send(struct fg_runtime_api_conn *c, const char *head, size_t head_len, const char *body, size_t body_len)
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

static void rapi_reply(struct fg_runtime_api_conn *c, int code, const char *reason, const char *json)
{
    char head[256];
    size_t len = strlen(json);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                     code, reason, len, c->close_after ? "Connection: close\r\n" : "");
    rapi_send(c, head, (size_t)n, json, len);
}

static void rapi_error(struct fg_runtime_api_conn *c, int code, const char *reason, const char *type,
                       const char *msg)
{
    struct fg_buf body;
    fg_buf_init(&body, 8192);
    rapi_reply(c, code, reason, fg_invocation_error_body(&body, type, msg) == 0 ? body.data : "{}");
    fg_buf_free(&body);
}

/* ------------------------------------------------------------------ the protocol */

static void rapi_stream_end(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq);

static const char rapi_accepted[] = "{\"status\":\"OK\"}";

static void rapi_next(struct fg_runtime_api_conn *c)
{
    struct fg_runtime_api *api = c->api;

    if (api->parked) {
        rapi_error(c, 400, "Bad Request", "InvalidStateTransition", "another /next is already waiting");
        return;
    }
    api->parked = c;
    api->ops->on_next(api->arg);
}

/* The 202 of every answered invocation: written ahead, byte for byte what rapi_reply makes
 * of it (its snprintf was a seventh of the loop thread's instructions per invocation). */
static void rapi_reply_accepted(struct fg_runtime_api_conn *c)
{
    static const char head[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                               "Content-Length: 15\r\n\r\n";
    _Static_assert(sizeof(rapi_accepted) - 1 == 15, "the Content-Length above");

    if (c->close_after)
        rapi_reply(c, 202, "Accepted", rapi_accepted);
    else
        rapi_send(c, head, sizeof(head) - 1, rapi_accepted, sizeof(rapi_accepted) - 1);
}

/* The answer to an invocation's response or error post, from the owner's verdict. */
static void rapi_answered(struct fg_runtime_api_conn *c, int rc)
{
    if (rc == 0)
        rapi_reply_accepted(c);
    else if (rc == -ENOENT)
        rapi_error(c, 400, "Bad Request", "InvalidRequestID", "Invalid request ID");
    else if (rc == -EALREADY)
        rapi_error(c, 400, "Bad Request", "InvalidRequestID", "Invalid request ID: already answered");
    else if (rc == -FG_ETOOBIG)
        rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge", FG_RUNTIME_API_TOO_LARGE);
    else
        rapi_error(c, 500, "Internal Server Error", "ServiceException", "out of memory");
}

/* The Lambda-Runtime-Function-Error-Type header as a string, or NULL. */
static const char *rapi_error_type(const struct fg_http1_request *rq, char type[128])
{
    if (!rq->error_type)
        return NULL;
    snprintf(type, 128, "%.*s", (int)rq->error_type_len, rq->error_type);
    return type;
}

static void rapi_response(struct fg_runtime_api_conn *c, const char *id, const struct fg_http1_request *rq)
{
    struct fg_runtime_api *api = c->api;
    if (rq->stream) {
        rapi_stream_end(c, rq);
        return;
    }
    rapi_answered(c, api->ops->on_response(api->arg, id, rq->body, rq->body_len));
}

static void rapi_error_post(struct fg_runtime_api_conn *c, const char *id, const struct fg_http1_request *rq)
{
    struct fg_runtime_api *api = c->api;
    char type[128];
    rapi_answered(c, api->ops->on_error(api->arg, id, rapi_error_type(rq, type), rq->body, rq->body_len));
}

static void rapi_init_error(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq)
{
    struct fg_runtime_api *api = c->api;
    char type[128];

    if (api->ops->on_init_error(api->arg, rapi_error_type(rq, type), rq->body, rq->body_len) < 0)
        rapi_error(c, 403, "Forbidden", "InvalidStateTransition", "init already finished");
    else
        rapi_reply(c, 202, "Accepted", rapi_accepted);
}

static bool rapi_is(const struct fg_http1_request *rq, const char *method)
{
    return rq->method_len == strlen(method) && !memcmp(rq->method, method, rq->method_len);
}

static void rapi_dispatch(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq)
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

/* ------------------------------------------------------------------ streamed responses */

/* The stream's request id, from its path (rapi_dispatch checks a complete request's shape;
 * a stream's head is seen before that). "" when the path has none. */
static void rapi_stream_id(const struct fg_http1_request *rq, char id[128])
{
    size_t pre = sizeof(RAPI_PREFIX) - 1 + 11, n;
    id[0] = '\0';
    if (rq->path_len <= pre + 9 || memcmp(rq->path, RAPI_PREFIX "invocation/", pre))
        return;
    n = rq->path_len - pre - 9;
    if (n < 128 && !memchr(rq->path + pre, '/', n)) {
        memcpy(id, rq->path + pre, n);
        id[n] = '\0';
    }
}

/* Starts c's stream if it has not started: 0, or -1 when the owner refused it (answered,
 * the connection closing). */
static int rapi_stream_start(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq)
{
    struct fg_runtime_api *api = c->api;
    char id[128], type[128];
    int rc;

    if (api->stream == c)
        return 0;
    rapi_stream_id(rq, id);
    snprintf(type, sizeof(type), "%.*s", (int)rq->content_type_len, rq->content_type ? rq->content_type : "");
    c->close_after = true;          /* refused: its body is not read */
    if (api->stream || !id[0]) {
        rapi_error(c, 400, "Bad Request", "InvalidRequestID", "Invalid request ID");
        return -1;
    }
    if ((rc = api->ops->on_stream_start(api->arg, id, rq->content_type ? type : NULL)) < 0) {
        rapi_answered(c, rc);
        return -1;
    }
    c->close_after = rq->close;
    api->stream = c;
    return 0;
}

/* Hands the stream's bytes to the owner; pauses c when the owner is full. */
static void rapi_stream_data(struct fg_runtime_api_conn *c, const char *bytes, size_t len)
{
    struct fg_runtime_api *api = c->api;
    if (len && api->ops->on_stream_data(api->arg, bytes, len) && api->stream == c && !c->dead) {
        c->paused = true;
        if (!c->out.len)
            event_del(c->ev);
    }
}

/* An incomplete streamed /response (rq's head is in): starts it, hands on what this parse
 * de-chunked. 1: parse again now (the parser stopped with scratch full); 0: read more (or
 * refused: answered, closing). */
static int rapi_stream_step(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq)
{
    bool full = c->body.len >= FG_HTTP1_STREAM_YIELD_BYTES;

    if (rapi_stream_start(c, rq) < 0)
        return 0;
    rapi_stream_data(c, c->body.data, c->body.len);
    fg_buf_reset(&c->body);
    return full && !c->paused && !c->dead ? 1 : 0;
}

/* The end of a streamed /response: complete (rq->body is its last bytes, its trailers
 * read), or over FG_RUNTIME_API_STREAM_MAX_BYTES (rapi_too_large: body NULL). */
static void rapi_stream_end(struct fg_runtime_api_conn *c, const struct fg_http1_request *rq)
{
    struct fg_runtime_api *api = c->api;
    struct fg_buf body;
    char type[128];
    bool too_large = !rq->body && rq->body_len;

    if (rapi_stream_start(c, rq) < 0)
        return;
    /* Too large: the bytes up to the limit are in c->body (http1.h). */
    if (too_large)
        rapi_stream_data(c, c->body.data, c->body.len);
    else
        rapi_stream_data(c, rq->body, rq->body_len);
    if (api->stream != c)
        return;                     /* the owner closed the server meanwhile */
    api->stream = NULL;
    c->paused = false;
    if (too_large) {
        api->ops->on_stream_end(api->arg, FG_RUNTIME_API_STREAM_TOO_LARGE, NULL, 0);
        rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge", FG_RUNTIME_API_STREAM_TOO_LARGE_MSG);
        return;
    }
    fg_buf_init(&body, RAPI_HEADER_MAX_BYTES);
    if (rq->error_body && fg_base64_decode(&body, rq->error_body, rq->error_body_len) < 0)
        fg_buf_reset(&body);
    api->ops->on_stream_end(api->arg, rapi_error_type(rq, type), body.len ? body.data : NULL, body.len);
    fg_buf_free(&body);
    rapi_reply_accepted(c);
}

/* ------------------------------------------------------------------ requests */

/* May c's next buffered request be answered now? Not while its parked /next or earlier
 * replies are still to go out: answers must leave in request order. */
static bool rapi_may_answer(const struct fg_runtime_api_conn *c)
{
    /* dead: a handler closed the server (the worker was killed): nothing more is read */
    return !c->dead && !c->closing && !c->out.len && c->api->parked != c && !c->paused;
}

static bool rapi_is_response(const struct fg_http1_request *rq)
{
    return rapi_is(rq, "POST") && rq->path_len > 9 && !memcmp(rq->path + rq->path_len - 9, "/response", 9);
}

/* A request whose body is over the limit (its head is in rq): a /response fails its
 * invocation (the owner sees body NULL, len over the limit); 413. A Content-Length body up
 * to RAPI_SKIP_MAX_BYTES is then skipped as it comes; otherwise the connection closes
 * without reading more. Returns the bytes of c->in from off the request used (its head and
 * the body bytes already in, when skipped), or 0 when the connection is closing. */
static size_t rapi_too_large(struct fg_runtime_api_conn *c, size_t off, const struct fg_http1_request *rq)
{
    bool skip = !rq->chunked && !rq->close && rq->content_length <= RAPI_SKIP_MAX_BYTES;
    size_t have, drop;

    c->close_after = !skip;
    if (rapi_is_response(rq)) {
        struct fg_http1_request big = *rq;
        big.body = NULL;
        big.body_len = RAPI_BODY_MAX_BYTES + 1;
        rapi_dispatch(c, &big);
    } else {
        rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge", "body too large");
    }
    if (!skip || c->dead)
        return 0;
    have = c->in.len - off - rq->head_len;
    drop = have < rq->content_length ? have : (size_t)rq->content_length;
    c->skip = rq->content_length - drop;
    return rq->head_len + drop;
}

/* Drops the first used bytes of c->in (the requests answered), then the raw bytes of a
 * chunked body already de-chunked, and gives big buffers back once they are done with. */
static void rapi_consume(struct fg_runtime_api_conn *c, size_t used)
{
    if (used) {
        memmove(c->in.data, c->in.data + used, c->in.len - used);
        c->in.len -= used;
        c->in.data[c->in.len] = '\0';
    }
    fg_http1_compact(&c->parser, &c->in);
    if (c->in.cap > RAPI_KEEP_BYTES && c->in.len <= RAPI_KEEP_BYTES / 2) {
        struct fg_buf in;
        fg_buf_init(&in, c->in.max_bytes);
        if (fg_buf_append(&in, c->in.data, c->in.len) == 0) {
            fg_buf_free(&c->in);
            c->in = in;
        }
    }
    if (c->body.cap > RAPI_KEEP_BYTES && !c->parser.head_len)
        fg_buf_free(&c->body);
}

/* Parses and dispatches the complete requests in c->in, in order, while each may be answered
 * (rapi_may_answer). Each byte is parsed once (http1.h) and the answered requests are
 * dropped from the buffer in one move at the end. -1 when the connection was freed. */
static int rapi_process(struct fg_runtime_api_conn *c)
{
    size_t off = 0;

    if (c->in_dispatch)
        return 0;           /* the call on the stack below goes on by itself */
    c->in_dispatch = true;
    while (off < c->in.len && rapi_may_answer(c)) {
        struct fg_http1_request rq;
        long used = fg_http1_parse(&c->parser, c->in.data + off, c->in.len - off, &c->body, &rq);
        if (used == 0) {
            if (rq.expect_continue && !c->continue_sent) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                c->continue_sent = true;
                rapi_send(c, cont, sizeof(cont) - 1, NULL, 0);
            }
            if (rq.stream && rapi_is_response(&rq) && rapi_stream_step(c, &rq) > 0)
                continue;
            break;
        }
        c->continue_sent = false;
        if (used == -FG_ETOOBIG) {
            size_t n = rapi_too_large(c, off, &rq);
            if (!n)
                break;
            off += n;
            if (c->skip)
                break;      /* the rest of the body is dropped as it comes (rapi_read) */
            continue;
        }
        if (used < 0) {
            c->close_after = true;
            if (used == -EMSGSIZE)
                rapi_error(c, 431, "Request Header Fields Too Large", "InvalidRequest", "headers too large");
            else
                rapi_error(c, 400, "Bad Request", "InvalidRequest", "malformed HTTP request");
            break;
        }
        c->close_after = rq.close;
        rapi_dispatch(c, &rq);
        off += (size_t)used;
    }
    c->in_dispatch = false;
    if (c->dead) {
        rapi_conn_free(c);
        return -1;
    }
    /* Still closing means a reply is draining; rapi_flush frees c when it is out, and
     * nothing more is buffered meanwhile (rapi_read drops it). */
    if (!c->closing)
        rapi_consume(c, off);
    return 0;
}

/* Bytes held by c's buffers: what a runtime made the server keep. */
static size_t rapi_held(const struct fg_runtime_api_conn *c)
{
    return c->in.len + c->body.len;
}

/* How much more c may buffer: its own limit, and what its server's connections hold
 * together. */
static size_t rapi_room(const struct fg_runtime_api_conn *c)
{
    size_t all = 0, own = rapi_held(c), room;

    for (const struct fg_runtime_api_conn *o = c->api->conns; o; o = o->next)
        all += rapi_held(o);
    room = own < RAPI_CONN_MAX_BYTES ? RAPI_CONN_MAX_BYTES - own : 0;
    if (all >= FG_RUNTIME_API_WORKER_MAX_BYTES)
        return 0;
    return room < FG_RUNTIME_API_WORKER_MAX_BYTES - all ? room : FG_RUNTIME_API_WORKER_MAX_BYTES - all;
}

/* One read into c->in (or dropped: the rest of a skipped body, anything once closing).
 * 1 when bytes came, 0 when none were waiting, -1 when the connection was freed: closed
 * by the client, or over its limits (answered 413 when it may be). */
static int rapi_read(struct fg_runtime_api_conn *c)
{
    char chunk[RAPI_READ_CHUNK];
    size_t want = sizeof(chunk), room = 0;
    ssize_t n;

    if (!c->skip && !c->closing) {
        if (!(room = rapi_room(c))) {
            /* Only a runtime abusing the API gets here (pipelining behind a parked /next,
             * or big requests on several connections at once). */
            if (rapi_may_answer(c)) {
                c->close_after = true;
                c->in_dispatch = true;      /* the reply may close c: freed below */
                rapi_error(c, 413, "Payload Too Large", "RequestEntityTooLarge", "too many bytes buffered");
                c->in_dispatch = false;
                if (!c->dead)
                    return 1;
            }
            rapi_conn_free(c);
            return -1;
        }
        if (want > room)
            want = room;
    }
    do {
        n = recv(c->fd, chunk, want, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0) {
        rapi_conn_free(c);              /* EOF or error; a parked /next goes with it */
        return -1;
    }
    if (c->closing)
        return 1;
    if (c->skip) {
        size_t drop = (size_t)n < c->skip ? (size_t)n : (size_t)c->skip;
        c->skip -= drop;
        if (drop == (size_t)n)
            return 1;
        memmove(chunk, chunk + drop, (size_t)n - drop);
        n -= (ssize_t)drop;
        if ((size_t)n > rapi_room(c)) {
            rapi_conn_free(c);
            return -1;
        }
    }
    if (fg_buf_append(&c->in, chunk, (size_t)n) < 0) {
        rapi_conn_free(c);              /* out of memory */
        return -1;
    }
    return 1;
}

/* Readable, writable, or made active by fg_runtime_api_send_event to resume pipelined
 * requests: each case ends by answering what may be answered. */
static void rapi_on_io(evutil_socket_t fd, short what, void *arg)
{
    struct fg_runtime_api_conn *c = arg;

    (void)fd;
    if ((what & EV_WRITE) && rapi_flush(c) < 0)
        return;
    if ((what & EV_READ) && c->paused)
        return;                         /* fg_runtime_api_resume reads on */
    if (what & EV_READ) {
        for (int i = 0; i < RAPI_READS_PER_WAKE; i++) {
            int rc = rapi_read(c);
            if (rc < 0 || rapi_process(c) < 0 || rc == 0)
                return;
        }
        return;
    }
    rapi_process(c);
}

/* A refused connection, logged at most once per RAPI_WARN_EVERY_US per server. */
static void rapi_refuse(struct fg_runtime_api *api, int cfd, const char *why, long uid)
{
    unsigned held;

    close(cfd);
    if (!fg_log_limit_pass(&api->refusals, fg_mono_us(), RAPI_WARN_EVERY_US, &held))
        return;
    if (uid >= 0)
        fg_log(FG_LOG_WARN, "runtime-api", "port %d: refused a connection from uid %ld (%s; %u more since the last warning)",
               api->port, uid, why, held);
    else
        fg_log(FG_LOG_WARN, "runtime-api", "port %d: refused a connection (%s; %u more since the last warning)",
               api->port, why, held);
}

/* Is cfd's client the worker (api->expect_uid)? The kernel says who owns the client's
 * socket; refused (and closed) if not, or if it cannot tell. */
static bool rapi_peer_ok(struct fg_runtime_api *api, int cfd)
{
    static struct fg_sockdiag diag = { .fd = -1 };
    struct fg_err err;
    uid_t uid;
    int rc;

    if (api->expect_uid == (uid_t)-1)
        return true;
    if (diag.fd < 0 && fg_sockdiag_open(&diag, &err) < 0) {
        rapi_refuse(api, cfd, err.msg, -1);
        return false;
    }
    if ((rc = fg_sockdiag_peer_uid(&diag, cfd, &uid)) < 0) {
        rapi_refuse(api, cfd, rc == -ENOENT ? "its socket is gone or in another network namespace" : strerror(-rc), -1);
        return false;
    }
    if (uid != api->expect_uid) {
        rapi_refuse(api, cfd, "not the worker's uid", (long)uid);
        return false;
    }
    return true;
}

static void rapi_on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct fg_runtime_api *api = arg;
    struct fg_runtime_api_conn *c;
    int cfd, one = 1;

    (void)what;
    while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        if (api->n_conns >= FG_RUNTIME_API_CONNS_MAX) {
            rapi_refuse(api, cfd, "too many connections", -1);
            continue;
        }
        if (!rapi_peer_ok(api, cfd))
            continue;
        if (!(c = calloc(1, sizeof(*c)))) {
            close(cfd);
            continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->api = api;
        c->fd = cfd;
        fg_http1_parser_init(&c->parser, RAPI_HEADER_MAX_BYTES, RAPI_BODY_MAX_BYTES);
        fg_http1_parser_stream_limit(&c->parser, FG_RUNTIME_API_STREAM_MAX_BYTES);
        fg_buf_init(&c->in, RAPI_CONN_MAX_BYTES);
        fg_buf_init(&c->body, RAPI_BODY_MAX_BYTES);
        fg_buf_init(&c->out, RAPI_BODY_MAX_BYTES + 8192);
        c->ev = event_new(api->base, cfd, EV_READ | EV_PERSIST, rapi_on_io, c);
        if (!c->ev || event_add(c->ev, NULL) < 0) {
            if (c->ev)
                event_free(c->ev);
            close(cfd);
            free(c);
            continue;
        }
        c->next = api->conns;
        api->conns = c;
        api->n_conns++;
    }
}

/* ------------------------------------------------------------------ API */

void fg_runtime_api_init(struct fg_runtime_api *api, struct event_base *base,
                         const struct fg_runtime_api_ops *ops, void *arg)
{
    memset(api, 0, sizeof(*api));
    api->ops = ops;
    api->arg = arg;
    api->base = base;
    api->listen_fd = -1;
    api->expect_uid = (uid_t)-1;
}

void fg_runtime_api_expect_uid(struct fg_runtime_api *api, uid_t uid)
{
    api->expect_uid = uid;
}

int fg_runtime_api_open(struct fg_runtime_api *api, const char *name, struct fg_err *err)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int fd;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fg_err_set(err, -errno, "function %s: socket: %s", name, strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
        int e = errno;
        close(fd);
        return fg_err_set(err, -e, "function %s: cannot open a Runtime API port on 127.0.0.1: %s", name,
                          strerror(e));
    }
    return fg_runtime_api_adopt(api, fd, ntohs(sa.sin_port), name, err);
}

int fg_runtime_api_adopt(struct fg_runtime_api *api, int fd, int port, const char *name, struct fg_err *err)
{
    api->listen_fd = fd;
    api->port = port;
    api->accept_ev = event_new(api->base, fd, EV_READ | EV_PERSIST, rapi_on_accept, api);
    if (!api->accept_ev || event_add(api->accept_ev, NULL) < 0)
        return fg_err_set(err, -ENOMEM, "function %s: cannot watch the Runtime API port", name);
    return 0;
}

bool fg_runtime_api_parked(const struct fg_runtime_api *api)
{
    return api->parked != NULL;
}

void fg_runtime_api_send_event(struct fg_runtime_api *api, const struct fg_runtime_api_event *ev)
{
    struct fg_runtime_api_conn *c = api->parked;
    const char *id = ev->request_id;
    char head[8192];
    int n;

    FG_ASSERT(c);
    api->parked = NULL;
    /* X-Ray format; the request id supplies the random digits. */
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %lld\r\n"
                 "Lambda-Runtime-Invoked-Function-Arn: %s\r\n"
                 "Lambda-Runtime-Trace-Id: Root=1-%08llx-%.8s%.4s%.4s%.4s%.4s;Parent=%.12s%.4s;Sampled=0\r\n"
                 "%s%s%s"
                 "Content-Length: %zu\r\n%s\r\n",
                 id, ev->deadline_ms, ev->function_arn, ev->deadline_ms / 1000, id, id + 9, id + 14, id + 19,
                 id + 24, id + 24, id, ev->client_context ? "Lambda-Runtime-Client-Context: " : "",
                 ev->client_context ? ev->client_context : "", ev->client_context ? "\r\n" : "",
                 ev->payload_len, c->close_after ? "Connection: close\r\n" : "");
    /* The gateway caps a client context at 3583 bytes, far below the header buffer. */
    FG_ASSERT(n > 0 && n < (int)sizeof(head));
    /* Requests pipelined behind the /next run from the loop, not inside the owner's callback
     * that may be sending this (rapi_process on c, when it is c's own, carries on by itself).
     * Before the send, which may free c; a flush under backpressure cancels this, and then
     * EV_WRITE resumes them once the output drains. */
    if (c->in.len && !c->in_dispatch)
        event_active(c->ev, EV_READ, 0);
    rapi_send(c, head, (size_t)n, ev->payload, ev->payload_len);
}

void fg_runtime_api_resume(struct fg_runtime_api *api)
{
    struct fg_runtime_api_conn *c = api->stream;

    if (!c || !c->paused)
        return;
    c->paused = false;
    event_del(c->ev);
    event_assign(c->ev, api->base, c->fd, EV_READ | EV_PERSIST | (c->out.len ? EV_WRITE : 0), rapi_on_io, c);
    event_add(c->ev, NULL);
    /* What was read before the pause waits in c->in: parsed from the loop, not in here. */
    event_active(c->ev, EV_READ, 0);
}

void fg_runtime_api_close(struct fg_runtime_api *api)
{
    api->stream = NULL;             /* the owner knows: no on_stream_end */
    while (api->conns)
        rapi_conn_free(api->conns);
    api->parked = NULL;
    fg_loop_close_fd(&api->accept_ev, &api->listen_fd);
}
