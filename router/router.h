/* SPDX-License-Identifier: MIT */
/* router.h - functions, their worker pools and concurrency caps; where invocations go.
 *
 * The router knows functions and nothing about where an invocation came from (HTTP route,
 * Invoke API, CLI, a trigger). Threads: the calls marked "Any thread" (submit, submit_async,
 * submit_record, dlq, stats, post) hand their work to the loop or the store and may come
 * from MHD, Kafka or helper threads; every other call is loop thread only (new and start
 * run on the thread that then runs the loop, before it does). Lifecycle: new → start →
 * submit... → stop (kills workers, answers what is in flight) → close_store (after the
 * loop) → free once the stopped callback ran. Tests: tests/unit/test_router.c (admission,
 * pool choice, completion), tests/integration. */
#ifndef FG_ROUTER_H
#define FG_ROUTER_H

#include "../config/config.h"
#include "../core/loop.h"
#include "invocation.h"
#include "logread.h"
#include "store.h"

struct fg_router;
struct fg_iam_creds;
struct fg_prom;

typedef void fg_router_stopped_fn(void *arg);

/* Borrows conf and loop for the router's life. fnlog_fd receives the function log stream
 * (normally STDOUT_FILENO). Starts nothing. Returns 0 and an owned router in *out (free
 * with fg_router_free), or -errno with err filled. */
int fg_router_new(const struct fg_config *conf, struct fg_loop *loop, int fnlog_fd,
                  struct fg_router **out, struct fg_err *err) FG_MUST_CHECK;

/* Opens the state store (its queued events resume, its trigger marks are read), creates
 * per-function directories, starts child reaping and min_warm workers. 0, or a negative
 * code with err filled (then stop, or free). */
int fg_router_start(struct fg_router *r, struct fg_err *err) FG_MUST_CHECK;

/* Any thread. Borrows inv until inv->done runs (on the loop thread, never inside this
 * call). 0, or -FG_ESHUTDOWN: done will not run and the caller answers itself. */
int fg_router_submit(struct fg_router *r, struct fg_invocation *inv) FG_MUST_CHECK;

/* Any thread: the async entry point every asynchronous source uses (the Invoke API's Event
 * type, schedules, folders, the S3 endpoint, Redis topics). Takes ev (function and payload set; an
 * empty request_id and zero accepted_ms are filled in; request_id, if not NULL, receives the
 * id). 0: cb(arg, rc) runs on the store thread once the event is durably committed (rc 0)
 * or could not be (rc < 0: answer 503, never 202). -ENOENT: no such function (404). Else
 * -FG_ESHUTDOWN. In the error cases ev is freed and cb will not run. */
int fg_router_submit_async(struct fg_router *r, struct fg_async_event *ev, char request_id[FG_ID_LEN + 1],
                           fg_store_accept_fn *cb, void *arg) FG_MUST_CHECK;

/* Any thread: a poll source's failure record (batch metadata) for function's on_failure
 * destination dest, made durable like an async event: a function destination gets it as
 * an async event, a URL as a CloudEvent POST (retried, then dead-lettered), the dead-letter
 * store keeps it under function with condition (a static string). record is copied.
 * 0: cb(arg, rc) runs on the store thread after the commit (rc < 0: not stored). -ENOENT
 * (no such function), -ENOMEM or -FG_ESHUTDOWN: cb will not run. */
int fg_router_submit_record(struct fg_router *r, const char *function, const struct fg_conf_destination *dest,
                            const char *condition, const char *record, size_t len, fg_store_accept_fn *cb,
                            void *arg) FG_MUST_CHECK;

/* Trigger state, as stored when the router started. Loop thread, after fg_router_start.
 * fg_router_last_fire: the last fire of schedule `name`; false for one never seen.
 * fg_router_each_file: every file index entry whose key starts with prefix (cb gets the
 * rest of the key, size and mtime in ns). fg_router_mark: writes a mark without an event;
 * a fire's own mark goes with its event (ev->mark). */
bool fg_router_last_fire(struct fg_router *r, const char *name, long long *last_fire);
typedef void fg_router_file_fn(void *arg, const char *path, long long size, long long mtime_ns);
void fg_router_each_file(struct fg_router *r, const char *prefix, fg_router_file_fn *cb, void *arg);
void fg_router_mark(struct fg_router *r, enum fg_mark_kind kind, const char *key, long long a, long long b);

/* Fleet mode (`state.backend: redis`). fg_router_shared: whether the state store is shared
 * by several nodes. fg_router_lease: a fleet-wide lease for what must run on one node at a
 * time (a watched folder), loop thread, shared store only: see store.h, fg_store_lease. */
bool fg_router_shared(struct fg_router *r);
int fg_router_lease(struct fg_router *r, const char *name, const char *prefix, fg_store_lease_fn *cb, void *arg)
    FG_MUST_CHECK;

/* Any thread: a dead-letter query (see store.h). 0 or -FG_ESHUTDOWN. */
int fg_router_dlq(struct fg_router *r, struct fg_store_query *q) FG_MUST_CHECK;

/* Any thread: a query on the console's saved test events (store.h, FG_STORE_TEST_*). 0 or
 * -FG_ESHUTDOWN (done will not run). */
int fg_router_test_events(struct fg_router *r, struct fg_store_query *q) FG_MUST_CHECK;

/* Any thread: a question to the function log store (logread.h): a function's lines or the
 * recorded usage. Borrows q until q->done ran (on a store thread, never inside this call).
 * 0; -ENOTSUP when nothing is kept (logs.store and logs.usage false); -FG_ESHUTDOWN or
 * -ENOMEM: done will not run and the caller answers. */
int fg_router_logs(struct fg_router *r, struct fg_log_query *q) FG_MUST_CHECK;

/* Any thread: an asynchronous invocation of function was refused before it was stored
 * (status 404: no such function, 413: too large, 503: not stored; why is copied). Logged on
 * the loop thread, at most one line a second per function with the count held back since
 * (as throttles are), so a flood of refusals cannot fill a disk. */
void fg_router_log_refusal(struct fg_router *r, const char *function, int status, const char *why);

/* Per-function queue figures (`fngate queue`), computed on the loop. */
struct fg_router_stats {
    void (*done)(struct fg_router_stats *c, void *arg);   /* loop thread */
    void *done_arg;
    int rc;                       /* 0, or a fg_buf error */
    struct fg_buf json;           /* owned by the caller after done: fg_buf_free */
    struct fg_router *router;
    int (*render)(struct fg_router *r, struct fg_buf *out);  /* set by the call */
    struct fg_loop_msg msg;
};

/* Any thread. Borrows c until done. 0 or -FG_ESHUTDOWN (done will not run). */
int fg_router_stats(struct fg_router *r, struct fg_router_stats *c) FG_MUST_CHECK;

/* serve --watch (codewatch.h): from now on, a change under a function's code stops its
 * warm workers so the next invocation loads the new code. 0, or a negative code with err
 * filled (inotify unavailable). */
int fg_router_watch_code(struct fg_router *r, struct fg_err *err) FG_MUST_CHECK;

/* What a reload did to the functions. */
struct fg_router_reload_stats {
    unsigned added, removed, changed, kept;   /* changed: their workers are replaced */
};

/* Loop thread: next becomes the configuration in force (borrowed: it, and every one before
 * it, must live until fg_router_free). Functions are matched by name: added ones start,
 * removed ones drain (new calls to them are 404), changed ones get new workers while busy
 * ones finish what they hold; everything else applies in place (reconfig.c). 0 with *st
 * filled, or a negative code with err filled and nothing changed. */
int fg_router_reload(struct fg_router *r, const struct fg_config *next, struct fg_router_reload_stats *st,
                     struct fg_err *err) FG_MUST_CHECK;

/* Any thread: the configuration in force (a reload swaps it). Borrowed: it lives until
 * fg_router_free, as every configuration the router was given. */
const struct fg_config *fg_router_conf(struct fg_router *r);

/* Loop thread: function name's figures now: invocations holding one of its slots
 * (*concurrent) and worker processes past their start (*workers). false when no function
 * of that name runs (neither is written then). */
bool fg_router_function_live(struct fg_router *r, const char *name, int *concurrent, int *workers);

/* Loop thread: whether the router serves (started, its state store open, not stopping);
 * false with *why (static) when not. */
bool fg_router_ready(const struct fg_router *r, const char **why);

/* Loop thread (post there with fg_router_post): every function's metrics as samples of one
 * scrape (metrics.h, core/prom.h). 0 or p's error. */
int fg_router_metrics(struct fg_router *r, struct fg_prom *p) FG_MUST_CHECK;

/* Any thread: runs fn(msg) on the router's loop thread (for admin views of triggers).
 * 0 or -FG_ESHUTDOWN (fn will not run). */
int fg_router_post(struct fg_router *r, struct fg_loop_msg *msg, fg_loop_fn *fn) FG_MUST_CHECK;

/* Loop thread. Stops taking work, answers in-flight invocations with a service error, kills
 * workers; cb(arg) runs on the loop thread once every worker was reaped (never inside this
 * call). */
void fg_router_stop(struct fg_router *r, fg_router_stopped_fn *cb, void *arg);

/* After the loop stopped: commits what is still queued for the state store and stops its
 * thread; the log store writes what it was handed and answers what waits. Before the HTTP
 * servers are freed, so every accept and every question got its answer. */
void fg_router_close_store(struct fg_router *r);

/* Frees the router (NULL allowed). After the stopped callback, or if never started. */
void fg_router_free(struct fg_router *r);

/* The role credentials the router issues its workers (core/iam_creds.h): the gateway sets
 * their endpoints before fg_router_start and its listeners look keys up. Any thread;
 * valid until fg_router_free. */
struct fg_iam_creds *fg_router_creds(struct fg_router *r);

#endif
