/* SPDX-License-Identifier: MIT */
/* router_int.h - the router's own state (the router, its functions) and what the other
 * files of router/ call in router.c.
 *
 * Private to router/ and to tests/unit/test_router.c, which drives admission, pool choice
 * and completion without starting processes; nothing else includes it. All of it is owned
 * by the loop thread and every call here is loop thread only. Each neighbour has its own
 * header: worker.h (a process), pool.h (a function's workers), async.h (the async queue),
 * mark.h (trigger marks); runtime_api.h (a worker's Runtime API server) knows none of them. */
#ifndef FG_ROUTER_INT_H
#define FG_ROUTER_INT_H

#include <limits.h>
#include <stdbool.h>

#include "../config/config.h"
#include "../core/iam_creds.h"
#include "../core/id.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/cpuload.h"
#include "../core/token_bucket.h"
#include "async.h"
#include "fnlog.h"
#include "invocation.h"
#include "mark.h"
#include "memlimit.h"
#include "metrics.h"
#include "pool.h"
#include "pool_policy.h"
#include "sandbox.h"
#include "series.h"

/* How long a cold worker may take to ask for its first event (Lambda's init limit). */
#define FG_ROUTER_INIT_TIMEOUT_S 10

struct event;
struct fg_codewatch;
struct fg_logstore;
struct fg_snapshot;
struct fg_worker;

struct fg_function {
    struct fg_router *router;
    const struct fg_conf_function *conf; /* swapped by a reload (reconfig.c) */
    bool removed;                        /* a reload took it out: it finishes what it holds,
                                          * then the sweep frees it; lookups skip it */
    char **hide;                         /* what its workers must not see (sandbox.h) */
    char arn[200];
    char tmpdir[PATH_MAX];
    struct fg_worker *workers;           /* every worker not yet freed (worker.h) */
    struct fg_worker *idle;              /* IDLE workers, most recently used first */
    int n_live;                          /* workers not DEAD */
    int n_starting;                      /* of which SPAWNING */
    int inflight;                        /* invocations holding one of its slots */
    unsigned next_worker_id;
    unsigned code_gen;                   /* bumped when --watch sees its code change */
    /* The line of invocations waiting for a worker, oldest first (pool.c). A starting
     * worker may claim one (w->inv), but a warm worker that frees first takes the head. */
    struct fg_invocation *wait_head, *wait_tail;
    int n_waiting;
    double run_ms, start_ms;             /* smoothed duration and cold start; 0 unknown */
    struct fg_pool_climb climb;          /* the worker count sustained load gets */
    unsigned window_done;                /* invocations ended in the current window */
    unsigned window_ticks, window_saturated; /* ticks in it; ticks that saw a waiter */
    unsigned ticks;
    struct event *tick_ev;               /* pool.c's periodic tick: line, climb, reaping */
    struct fg_snapshot *snap;            /* snapstart: its template (snapshot.c), or NULL */
    struct fg_token_bucket rate;         /* `rate:`, for sync calls and async starts */
    struct fg_async_queue queue;         /* its async events on the loop (async.c) */
    struct fg_fn_metrics metrics;        /* counters for GET /metrics (metrics.h) */
    struct fg_series *series;            /* its last 24 h by minute (series.h); owned */
    struct fg_log_limit throttle_log;    /* its 429s' log lines, one a second */
    struct fg_log_limit refusal_log;     /* its refused async events' log lines, one a second */
};

struct fg_router {
    /* The configuration in force: a reload swaps it on the loop thread; the any-thread
     * calls read it atomically. Every one the router was given lives as long as it does. */
    const struct fg_config *_Atomic conf;
    struct fg_loop *loop;
    struct fg_idgen ids;                 /* request ids */
    struct fg_function **fns;            /* owned, each owned; removed ones until swept */
    size_t n_fns;
    int inflight;                        /* across all functions, against max_concurrency */
    struct fg_fnlog log;
    struct fg_logstore *logstore;        /* the function log store and usage (logstore.h), or NULL */
    struct fg_log_limit refusal_log;     /* refused async events of no configured function */
    struct fg_memlimit mem;
    struct fg_sandbox sandbox;           /* uids, cgroups, namespaces for workers */
    struct fg_cpuload cpu;               /* the cores' busy fraction (pool.c) */
    struct event *sigchld_ev;
    struct fg_async *async;              /* the async queue and its store (async.c) */
    struct fg_marks marks;               /* trigger state as the store held it at start */
    struct fg_iam_creds creds;           /* workers' role credentials (issued here, checked by
                                          * the gateway's listeners: its own lock) */
    fg_pool_spawn_fn *spawn;             /* how pools start a worker: fg_worker_spawn (tests
                                          * put one that starts no process) */
    bool started;                        /* fg_router_start succeeded */
    struct fg_codewatch *codewatch;      /* serve --watch, or NULL */
    bool stopping;
    void (*stopped_cb)(void *arg);
    void *stopped_arg;
    char runtime_dir[PATH_MAX];
};

/* May fn start one more invocation now? The checks run in Lambda's order: the function's
 * reserved concurrency, then the gateway's cap, then the rate; a rate token is taken (from
 * fn->rate, at now_us) only when both slots are free, so a call refused for a slot never
 * spends one. The sync path answers a refusal with a throttle (429, router.c); the async
 * queue keeps the event until a slot frees or the token is due (async.c). */
enum fg_router_verdict {
    FG_ROUTER_ADMITTED = 0,
    FG_ROUTER_FUNCTION_FULL,             /* fn->inflight reached its reserved concurrency */
    FG_ROUTER_GATEWAY_FULL,              /* r->inflight reached gateway.max_concurrency */
    FG_ROUTER_RATE_LIMITED,              /* no token: *wait_us until there is one */
};
enum fg_router_verdict fg_router_admission(const struct fg_router *r, struct fg_function *fn,
                                           long long now_us, long long *wait_us);

/* Starts inv on fn: takes the concurrency slots (after fg_router_admission said
 * FG_ROUTER_ADMITTED), arms the init deadline and finds a worker (fg_pool_assign); when the
 * pool cannot, inv fails at once. Borrows inv until its done(), which then runs inside this
 * call. inv->request_id may be preset (async retries keep theirs). */
void fg_router_admit(struct fg_router *r, struct fg_function *fn, struct fg_invocation *inv);

/* (Re)starts inv's 10 s limit for a worker to take it from /next: at admission, and again
 * when it leaves its function's line for a worker (time spent waiting is not the worker's). */
void fg_router_arm_init(struct fg_invocation *inv);

/* Ends inv with its result already in inv->result: logs END/REPORT, frees its slots,
 * releases its worker (back to the pool's idle stack if it was BUSY) and calls done()
 * once; inv is the caller's again. A worker that must not be reused is killed by the
 * caller, after this. */
void fg_router_finish(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st);

/* Fills inv->result with Lambda's error body {errorMessage, errorType}, then finishes it. */
void fg_router_fail(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st,
                    const char *error_type, const char *fmt, ...) FG_PRINTF(5, 6);

/* The function called name that is configured now (borrowed: it lives until a reload
 * removes it and it has drained), or NULL. */
struct fg_function *fg_router_function(struct fg_router *r, const char *name);

/* A new function for c (of conf, borrowed for its life), not started: its ARN, /tmp path
 * and rate. Owned by the caller (fg_router_function_free), or NULL with err. */
struct fg_function *fg_router_function_new(struct fg_router *r, const struct fg_config *conf,
                                           const struct fg_conf_function *c, struct fg_err *err);
/* What its workers must not see (from conf), its /tmp directory, its pool (min_warm
 * workers). 0, or a negative code with err filled. */
int fg_router_function_start(struct fg_function *fn, const struct fg_config *conf, struct fg_err *err) FG_MUST_CHECK;
void fg_router_function_free(struct fg_function *fn);

/* A removed function may have drained: frees the ones that have (posted, never inside the
 * caller's own frames). */
void fg_router_sweep_later(struct fg_router *r);

/* A worker was freed: during shutdown, the stopped callback may now be due. */
void fg_router_check_stopped(struct fg_router *r);

#endif
