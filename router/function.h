/* SPDX-License-Identifier: MIT */
/* function.h - router-internal state of one function, its warm workers, and the router.
 *
 * Shared by the files of router/ only (router.c, pool.c, worker.c, runtime_api.c); nothing
 * outside router/ includes it. Everything here is owned by the loop thread.
 *
 * A worker is one process speaking the Lambda Runtime API on its own loopback port, so the
 * port a request arrives on says which process holds which invocation: a timeout kills
 * exactly that process, and its memory is measured alone. States:
 *
 *   SPAWNING --first /next--> IDLE --assigned--> BUSY --response/error--> IDLE
 *       \__________________ any: timeout, exit, crash, reaping _____________> DEAD (reaped, freed)
 *
 * An invocation is delivered when the worker holds it and has a /next parked. A cold worker
 * (SPAWNING) may be assigned work before its first /next; an answered worker goes straight
 * back to IDLE, so work given to it before its next /next arrives waits for that /next
 * instead of starting another process. */
#ifndef FG_FUNCTION_H
#define FG_FUNCTION_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../config/config.h"
#include "../core/buf.h"
#include "../core/id.h"
#include "../core/loop.h"
#include "../core/token_bucket.h"
#include "fnlog.h"
#include "invocation.h"
#include "mark.h"
#include "memlimit.h"

struct event;
struct fg_router;
struct fg_rapi_conn;
struct fg_async;
struct fg_async_event;
struct fg_store_query;

enum fg_worker_state {
    FG_WORKER_SPAWNING = 0,   /* started, has not called /next yet */
    FG_WORKER_IDLE,           /* parked in /next, no invocation */
    FG_WORKER_BUSY,           /* holds an invocation */
    FG_WORKER_DEAD,           /* killed or exited; waiting to be reaped */
};

struct fg_worker {
    struct fg_function *fn;
    struct fg_worker *prev, *next;       /* fn->workers */
    struct fg_worker *idle_next;         /* fn->idle stack (LIFO: warmest first) */
    enum fg_worker_state state;
    unsigned id;                         /* per function, for names */
    pid_t pid;
    bool reaped;                         /* waitpid() collected it */
    bool provisioned;                    /* started by min_warm */
    int listen_fd;                       /* its Runtime API listener, 127.0.0.1:port */
    struct event *accept_ev;
    int port;
    struct fg_rapi_conn *conns;          /* open Runtime API connections */
    struct fg_rapi_conn *next_conn;      /* the connection parked in GET /next, or NULL */
    struct fg_invocation *inv;           /* assigned or delivered, or NULL */
    char last_request_id[FG_ID_LEN + 1]; /* answered last: a second answer gets 400 */
    int out_fd;                          /* its stdout+stderr pipe */
    struct event *out_ev;
    struct fg_buf line;                  /* partial output line */
    long long spawn_us, idle_since_us;
    struct fg_memlimit_worker mem;
    char log_stream[96];
};

struct fg_function {
    struct fg_router *router;
    const struct fg_conf_function *conf;
    char arn[200];
    char tmpdir[PATH_MAX];
    struct fg_worker *workers;           /* every worker not yet freed */
    struct fg_worker *idle;              /* IDLE workers, most recently used first */
    int n_live;                          /* workers not DEAD */
    int inflight;                        /* invocations holding a worker */
    unsigned next_worker_id;
    struct event *reap_ev;               /* periodic idle reaping */
    struct fg_token_bucket rate;         /* `rate:`, for sync calls and async starts */
    /* ---- async queue (async.c) */
    struct fg_async_event *ready_head, *ready_tail;  /* due, waiting for a slot or a token */
    int n_ready, n_running, n_retrying, n_fetching;
};

struct fg_router {
    const struct fg_config *conf;
    struct fg_loop *loop;
    struct fg_idgen ids;                 /* request ids */
    struct fg_function *fns;
    size_t n_fns;
    int inflight;                        /* across all functions, against max_concurrency */
    struct fg_fnlog log;
    struct fg_memlimit mem;
    struct event *sigchld_ev;
    struct fg_async *async;              /* the async queue and its store (async.c) */
    struct fg_marks marks;               /* trigger state as the store held it at start */
    bool stopping;
    void (*stopped_cb)(void *arg);
    void *stopped_arg;
    char runtime_dir[PATH_MAX];
    char python_path[PATH_MAX];
    char node_path[PATH_MAX];
};

/* ---- router.c */
/* Ends inv with its result already in inv->result: logs END/REPORT, releases the worker
 * slot and calls done(). The worker, if any, stays as it is (the caller decides). */
void fg_router_finish(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st);
/* Fills inv->result with a Lambda error body and finishes it. */
void fg_router_fail(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st,
                    const char *error_type, const char *fmt, ...) FG_PRINTF(5, 6);
/* Called by pool.c when a function has no workers left during shutdown. */
void fg_router_check_stopped(struct fg_router *r);
/* The function called name, or NULL. */
struct fg_function *fg_router_function(struct fg_router *r, const char *name);
/* Starts inv on fn: takes the concurrency slots (the caller checked them), arms the
 * deadline and finds a worker. inv->request_id may be preset (async retries keep theirs). */
void fg_router_admit(struct fg_router *r, struct fg_function *fn, struct fg_invocation *inv);

/* ---- async.c */
/* Opens the state store, reads what is queued, starts the webhook thread. */
int fg_async_open(struct fg_router *r, struct fg_err *err);
/* The state store, borrowed (after fg_async_open). */
struct fg_store *fg_async_store(struct fg_router *r);
/* Starts the store's thread and queues what fg_async_open read. */
int fg_async_start(struct fg_router *r, struct fg_err *err);
/* A slot may have freed up: dispatch soon (never inside this call). */
void fg_async_kick(struct fg_router *r);
/* Shutdown: no more dispatch; aborts HTTP destinations. */
void fg_async_stop(struct fg_router *r);
/* After the loop stopped: commits what is queued for the store and stops its thread. */
void fg_async_close_store(struct fg_router *r);
void fg_async_free(struct fg_router *r);
/* Any thread: see fg_router_submit_async and fg_router_dlq. */
int fg_async_accept(struct fg_router *r, struct fg_async_event *ev, void (*cb)(void *, int), void *arg);
int fg_async_query(struct fg_router *r, struct fg_store_query *q);
/* Loop thread: per-function queue figures as JSON. */
int fg_async_stats(struct fg_router *r, struct fg_buf *out);

/* ---- pool.c */
/* Gives inv a worker: an idle one, a spawning one without work, or a new one. Concurrency
 * has been checked. 0 or -errno (err filled; nothing was assigned). */
int fg_pool_assign(struct fg_function *fn, struct fg_invocation *inv, struct fg_err *err);
/* A worker parked in /next: deliver its assigned work, or (first /next) make it idle. */
void fg_pool_worker_ready(struct fg_worker *w);
/* The worker's invocation ended with the worker alive: back to the idle stack. */
void fg_pool_worker_released(struct fg_worker *w);
/* Starts min_warm workers and the reaping timer. */
int fg_pool_start(struct fg_function *fn, struct fg_err *err);
/* Kills every worker (shutdown). */
void fg_pool_stop(struct fg_function *fn);

/* ---- worker.c */
/* Starts a process for fn. Returns an owned worker in SPAWNING state (freed after it is
 * reaped) or NULL with err filled. */
struct fg_worker *fg_worker_spawn(struct fg_function *fn, bool provisioned, struct fg_err *err);
/* Kills the worker's process group; it becomes DEAD and is freed once reaped. reason goes
 * to the debug log. Idempotent. */
void fg_worker_kill(struct fg_worker *w, const char *reason);
/* SIGCHLD: collected status for pid. Fails its invocation, frees the worker. */
void fg_worker_on_exit(struct fg_router *r, pid_t pid, int status);
/* Reads whatever output is waiting (before an answer is processed, so lines printed before
 * the answer belong to the invocation). */
void fg_worker_drain_output(struct fg_worker *w);
/* Delivers inv (already assigned) to the parked /next request. */
void fg_worker_deliver(struct fg_worker *w);

/* ---- runtime_api.c */
/* Opens the worker's Runtime API server on 127.0.0.1:0. 0 or -errno. */
int fg_runtime_api_open(struct fg_worker *w, struct fg_err *err);
/* Answers the parked /next with inv's event. */
void fg_runtime_api_send_event(struct fg_worker *w, struct fg_invocation *inv);
/* Closes the server and any parked request. */
void fg_runtime_api_close(struct fg_worker *w);

#endif
