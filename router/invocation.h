/* SPDX-License-Identifier: MIT */
/* invocation.h - one synchronous call of a function: what the caller asks, what it gets back.
 *
 * The caller (the HTTP front door, the Invoke API, `fngate invoke --local`, poll sources,
 * the async queue) owns the struct, usually embedded in its own per-request context. It
 * fills the request part, hands it to fg_router_submit() (any thread; router/ itself uses
 * fg_router_admit on the loop thread), and must not touch it until done() runs. done()
 * runs exactly once, on the loop thread, never inside fg_router_submit(). After done() the
 * result belongs to the caller; fg_invocation_close() frees it. Fields marked "router" are private to router/. Tests: tests/unit/test_router.c
 * and tests/integration. */
#ifndef FG_INVOCATION_H
#define FG_INVOCATION_H

#include <stdbool.h>
#include <event2/event_struct.h>

#include "../core/buf.h"
#include "../core/id.h"
#include "../core/loop.h"

#define FG_LOG_TAIL_BYTES 4096

enum fg_inv_status {
    FG_INV_PENDING = 0,
    FG_INV_OK,              /* result = the function's response bytes */
    FG_INV_FUNCTION_ERROR,  /* result = error JSON {"errorMessage","errorType",...} (Unhandled) */
    FG_INV_TIMEOUT,         /* result = Sandbox.Timedout error JSON */
    FG_INV_NOT_FOUND,       /* no such function; result = message text */
    FG_INV_THROTTLED,       /* over a concurrency cap; throttle_reason says which */
    FG_INV_SERVICE_ERROR,   /* fngate could not run it (spawn failed, shutting down) */
};

struct fg_invocation;
struct fg_worker;
struct fg_function;
struct fg_router;

/* Loop thread. The invocation's result is final; the caller owns inv again. */
typedef void fg_invocation_done_fn(struct fg_invocation *inv, void *arg);

/* A stream sink takes more than this unsent before the worker is paused. */
#define FG_INVOCATION_STREAM_WINDOW_BYTES (1024u * 1024)

/* Where a streamed response goes as it arrives (InvokeWithResponseStream, a function URL
 * in RESPONSE_STREAM mode): the caller sets inv->stream and inv->stream_arg before submit.
 * A runtime that answers with a buffered response never calls these: its response is in
 * inv->result at done() as always. A streamed one calls start once, then data for each
 * piece; done() is its end (status OK, or the function's error JSON in inv->result, or a
 * timeout), and inv->streamed tells the caller it streamed. Without a sink a streamed
 * response is collected into inv->result like a buffered one (Lambda's 6 MB then apply),
 * so every caller keeps working. Both slots run on the loop thread, inside the Runtime
 * API's callbacks: they must not call back into the router (bar
 * fg_invocation_stream_resume later). */
struct fg_invocation_stream_ops {
    /* The runtime began streaming. content_type: its Content-Type header (borrowed for the
     * call), or NULL. */
    void (*start)(void *arg, const char *content_type);
    /* The response's next bytes (len > 0, borrowed for the call). Returns the bytes the
     * sink holds unsent: above FG_INVOCATION_STREAM_WINDOW_BYTES the worker's stream is
     * not read until the sink calls fg_invocation_stream_resume. */
    size_t (*data)(void *arg, const char *bytes, size_t len);
};

struct fg_invocation {
    /* ---- request: set by the caller before submit. request_id may be preset (async
     * retries keep theirs); it is generated when empty. */
    char function[72];               /* name, optionally ":qualifier" stripped by the caller */
    const char *payload;             /* borrowed until done(); need not be NUL-terminated */
    size_t payload_len;
    const char *client_context;      /* decoded X-Amz-Client-Context JSON, one line; NULL if none;
                                      * borrowed until done() */
    bool want_log_tail;              /* collect the last 4 KB of log for X-Amz-Log-Result */
    long long oldest_record_ms;      /* a poll source's batch: its oldest record's time (epoch
                                      * ms), so its iterator age is known when it is invoked
                                      * (router/series.h); 0 otherwise */
    fg_invocation_done_fn *done;
    void *done_arg;
    const struct fg_invocation_stream_ops *stream;  /* NULL: streamed bytes go to result */
    void *stream_arg;

    /* ---- result: valid in done() and after it */
    enum fg_inv_status status;
    char request_id[FG_ID_LEN + 1];
    struct fg_buf result;            /* response or error JSON (owned; fg_invocation_close) */
    struct fg_buf log_tail;          /* when want_log_tail */
    const char *throttle_reason;     /* static string, with FG_INV_THROTTLED */
    int retry_after_s;               /* with FG_INV_THROTTLED: when to come back (>= 1) */
    bool sandbox_fault;              /* failed before the function had the event, and not
                                      * through the runtime's own init error (a worker that
                                      * died or hung while starting): a system error */
    double duration_ms;
    int max_memory_mb;
    bool streamed;                   /* the runtime streamed its response */
    bool stream_too_large;           /* router: streamed without a sink past 6 MB */

    /* ---- router private */
    struct fg_loop_msg msg;
    struct fg_router *router;
    struct fg_function *fn;
    struct fg_worker *worker;
    struct event timer;
    bool timer_armed;
    bool delivered;                  /* the worker got it from /next */
    long long start_us;              /* delivery time (monotonic) */
    long long deadline_ms;           /* epoch ms, sent as Lambda-Runtime-Deadline-Ms */
    double init_ms;                  /* > 0 on a cold start */
    bool queued;                     /* in its function's line for a worker (pool.c) */
    struct fg_invocation *wait_prev, *wait_next;
    long long wait_since_us;         /* when it joined the line (monotonic) */
    double restore_ms;               /* > 0 on a cold start restored from a snapshot (then
                                      * init_ms is 0: init ran in the template) */
};

/* Zeroes inv and prepares its buffers. Call before filling the request. */
void fg_invocation_init(struct fg_invocation *inv);

/* Frees the result buffers; inv may be reused after fg_invocation_init(). */
void fg_invocation_close(struct fg_invocation *inv);

/* Appends Lambda's error body {"errorMessage":msg,"errorType":type} to out (reset first).
 * 0, or the fg_buf error (out is then empty). */
int fg_invocation_error_body(struct fg_buf *out, const char *error_type, const char *msg);

/* Loop thread, before done(): the sink drained what it held; the worker's stream is read
 * again (nothing when it was not paused). */
void fg_invocation_stream_resume(struct fg_invocation *inv);

/* "Unhandled" for function errors and timeouts, NULL otherwise. Static string. */
const char *fg_invocation_function_error(const struct fg_invocation *inv);

#endif
