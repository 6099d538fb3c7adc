/* SPDX-License-Identifier: MIT */
/* runtime_api.h - the AWS Lambda Runtime API, served to one worker on its own loopback port.
 *
 * The server speaks the protocol (routes, long-polled GET /next, statuses, the event's
 * headers) and knows nothing of functions, pools or the router: whoever owns it (worker.c)
 * gets each request through a table of callbacks and decides what it means. The port
 * names the worker, so no request needs to say who sent it; and only the worker may use
 * it: a connection from a socket another uid owns is refused at accept
 * (fg_runtime_api_expect_uid). The runtime is untrusted code, so what it can make the
 * server hold is capped (connections, bytes per request and per server) and parsing costs
 * O(bytes) however they are split. A streamed response is handed to the owner as it
 * arrives (on_stream_start/data/end), read no faster than the owner takes it
 * (fg_runtime_api_resume), and capped at Lambda's 200 MB. Lifecycle: init → open → (requests,
 * fg_runtime_api_send_event) → close; close may run inside a callback. Loop thread only.
 * Tests: tests/integration/test_workers.py (the contract, a runtime that breaks it),
 * test_runtimes.py, test_runtime_api_abuse.py (a hostile runtime, another uid),
 * test_response_stream.py (streamed responses); the parser underneath:
 * tests/unit/test_http1.c. */
#ifndef FG_RUNTIME_API_H
#define FG_RUNTIME_API_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../config/config.h"
#include "../core/err.h"
#include "../core/log.h"

struct event;
struct event_base;
struct fg_runtime_api_conn;

/* What on_response answers when the body is over Lambda's 6 MB: also the message of the
 * invocation's Function.ResponseSizeTooLarge error. */
#define FG_RUNTIME_API_TOO_LARGE "Response payload size exceeded maximum allowed payload size (6291556 bytes)."

/* Limits on what a runtime can make the server hold (the runtime is untrusted code):
 * connections per server (more are closed at accept), a request's head (the official
 * clients send an X-Ray error cause header of up to 1 MiB with an error), a request's body
 * (Lambda's 6 MB response limit; larger is refused unread with 413), and the bytes buffered
 * across all of a server's connections (one largest request and some reads). */
#define FG_RUNTIME_API_CONNS_MAX        8
#define FG_RUNTIME_API_HEADER_MAX_BYTES (1024u * 1024 + 64u * 1024)
#define FG_RUNTIME_API_BODY_MAX_BYTES   FG_PAYLOAD_SYNC_MAX_BYTES
#define FG_RUNTIME_API_WORKER_MAX_BYTES (FG_RUNTIME_API_HEADER_MAX_BYTES + FG_RUNTIME_API_BODY_MAX_BYTES + 512u * 1024)

/* A streamed response (Lambda-Runtime-Function-Response-Mode: streaming): at most Lambda's
 * 200 MB in all; the server stops reading it while its owner says it is full
 * (on_stream_data), so what a stream costs is bounded however long it is. */
#define FG_RUNTIME_API_STREAM_MAX_BYTES    (200ull * 1024 * 1024)
/* on_stream_end's error_type when a stream passed FG_RUNTIME_API_STREAM_MAX_BYTES, and its
 * message; and when its connection closed before its end. */
#define FG_RUNTIME_API_STREAM_TOO_LARGE "Function.ResponseSizeTooLarge"
#define FG_RUNTIME_API_STREAM_TOO_LARGE_MSG \
    "Response payload size exceeded maximum allowed payload size (209715200 bytes)."
#define FG_RUNTIME_API_STREAM_CUT "Runtime.TruncatedResponse"

/* The owner's side of the protocol. Every slot is required and runs on the loop thread
 * while a request is being handled; the server answers the runtime after the callback
 * returns, with the status its return value names. A callback may close the server
 * (fg_runtime_api_close); the answer is then dropped with the connection. Borrowed
 * strings and bodies are valid during the call only; a body may be NULL when empty. */
struct fg_runtime_api_ops {
    /* GET /runtime/invocation/next is parked: the owner answers it now or later with
     * fg_runtime_api_send_event (or never, when the runtime asks while the event it was
     * sent is unanswered). A second /next while one is parked gets 400
     * (InvalidStateTransition) without a call. */
    void (*on_next)(void *arg);

    /* POST /runtime/invocation/<request_id>/response. 0: accepted (202); -ENOENT: no such
     * invocation (400); -EALREADY: answered already (400); -FG_ETOOBIG: over 6 MB (413,
     * FG_RUNTIME_API_TOO_LARGE); any other negative: 500, ServiceException. A body announced
     * or grown over FG_RUNTIME_API_BODY_MAX_BYTES is not read: the call then has body NULL
     * and len FG_RUNTIME_API_BODY_MAX_BYTES + 1, and must fail the invocation. */
    int (*on_response)(void *arg, const char *request_id, const char *body, size_t len);

    /* POST /runtime/invocation/<request_id>/error. type: the Lambda-Runtime-Function-Error-
     * Type header (at most 127 bytes), or NULL. 0 (202), -ENOENT or -EALREADY (400). */
    int (*on_error)(void *arg, const char *request_id, const char *type, const char *body, size_t len);

    /* POST /runtime/init/error, type as for on_error. 0 (202), or -EPERM when init is over
     * (403, InvalidStateTransition). */
    int (*on_init_error)(void *arg, const char *type, const char *body, size_t len);

    /* A streamed POST /runtime/invocation/<request_id>/response (chunked, with
     * Lambda-Runtime-Function-Response-Mode: streaming) began: its head is in, its body
     * follows through on_stream_data and ends with on_stream_end. content_type: its
     * Content-Type or NULL. 0: go on; -ENOENT or -EALREADY: refused (400 as for
     * on_response; the connection closes, its body unread). At most one stream per server. */
    int (*on_stream_start)(void *arg, const char *request_id, const char *content_type);

    /* The stream's next de-chunked bytes (len > 0, at most FG_HTTP1_STREAM_YIELD_BYTES).
     * true when the owner is full: the server stops reading the stream until
     * fg_runtime_api_resume. */
    bool (*on_stream_data)(void *arg, const char *bytes, size_t len);

    /* The stream ended, exactly once after a 0 from on_stream_start: error_type NULL when
     * it succeeded, else its Lambda-Runtime-Function-Error-Type trailer (at most 127 bytes)
     * with the decoded Lambda-Runtime-Function-Error-Body trailer (NULL when absent or not
     * base64); or the server ended it: FG_RUNTIME_API_STREAM_TOO_LARGE (413 to the
     * runtime, the connection closed) or FG_RUNTIME_API_STREAM_CUT (the connection closed
     * before the end), body NULL. Not called when the owner closes the server. The runtime
     * gets its 202 after this returns. */
    void (*on_stream_end)(void *arg, const char *error_type, const char *error_body, size_t len);
};

/* One invocation as the runtime receives it from GET /next. */
struct fg_runtime_api_event {
    const char *request_id;          /* Lambda-Runtime-Aws-Request-Id; a UUID */
    long long deadline_ms;           /* epoch ms, Lambda-Runtime-Deadline-Ms */
    const char *function_arn;        /* Lambda-Runtime-Invoked-Function-Arn */
    const char *client_context;      /* one line of JSON, or NULL; at most 3583 bytes */
    const char *payload;             /* the body */
    size_t payload_len;
};

/* Caller-embedded (in struct fg_worker). */
struct fg_runtime_api {
    const struct fg_runtime_api_ops *ops;
    void *arg;                           /* passed to every callback */
    struct event_base *base;             /* borrowed */
    int listen_fd;                       /* 127.0.0.1:port; -1 when closed */
    struct event *accept_ev;
    int port;                            /* set by fg_runtime_api_open */
    struct fg_runtime_api_conn *conns;   /* open connections (owned) */
    struct fg_runtime_api_conn *parked;  /* the connection waiting in GET /next, or NULL */
    struct fg_runtime_api_conn *stream;  /* the connection streaming a response, or NULL */
    int n_conns;                         /* open connections, at most FG_RUNTIME_API_CONNS_MAX */
    uid_t expect_uid;                    /* a client socket's owner must be it; (uid_t)-1: anyone */
    struct fg_log_limit refusals;        /* refused connections' warnings, rate-limited */
};

/* Prepares api with no socket, so fg_runtime_api_close is safe from here on. Borrows base
 * and ops (usually static) for api's life; arg is the owner's. */
void fg_runtime_api_init(struct fg_runtime_api *api, struct event_base *base,
                         const struct fg_runtime_api_ops *ops, void *arg);

/* Listens on 127.0.0.1:0 and sets api->port. name (borrowed for the call) names the owner
 * in errors. 0 or -errno with err filled. */
int fg_runtime_api_open(struct fg_runtime_api *api, const char *name, struct fg_err *err) FG_MUST_CHECK;

/* From now on, a connection whose client socket is not owned by uid (asked of the kernel,
 * core/sockdiag.h) is closed at accept, before any byte is read, with a warning naming the
 * port (at most one per 10 s per server, counting the others). (uid_t)-1, the default after
 * init, accepts anyone. The owner passes the uid its worker runs as. */
void fg_runtime_api_expect_uid(struct fg_runtime_api *api, uid_t uid);

/* As open, on a listening socket made elsewhere (a worker's own network namespace): takes
 * fd (non-blocking, close-on-exec), also on error; port is what the worker calls it. */
int fg_runtime_api_adopt(struct fg_runtime_api *api, int fd, int port, const char *name,
                         struct fg_err *err) FG_MUST_CHECK;

/* True while a GET /next waits for an event. */
bool fg_runtime_api_parked(const struct fg_runtime_api *api);

/* Answers the parked GET /next (there must be one) with ev; ev and what it points to are
 * borrowed for the call (what the socket does not take at once is copied). */
void fg_runtime_api_send_event(struct fg_runtime_api *api, const struct fg_runtime_api_event *ev);

/* The owner drained what it held of the stream: its reading goes on (nothing when no stream
 * is paused). Never runs a callback inside the call. */
void fg_runtime_api_resume(struct fg_runtime_api *api);

/* Closes the listener and every connection, a parked /next included (the runtime sees its
 * connection close). Idempotent. Inside a callback, the connection being handled is freed
 * once the callback returns. */
void fg_runtime_api_close(struct fg_runtime_api *api);

#endif
