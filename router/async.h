/* SPDX-License-Identifier: MIT */
/* async.h - the async queue as the rest of the router sees it (async.c): its lifecycle, the
 * hand-offs into the store, and each function's share of the queue.
 *
 * Lifecycle, driven by router.c: open (the store, what it holds) → start (the store's
 * thread; queued events placed) → stop (no more dispatch) → close_store (after the loop) →
 * free. Loop thread, except where a call says any thread. Tests:
 * tests/integration/test_async.py, tests/unit/test_async.c (the store, retries). */
#ifndef FG_ASYNC_H
#define FG_ASYNC_H

#include "../core/buf.h"
#include "../core/err.h"
#include "store.h"

struct fg_function;
struct fg_router;

/* A function's events on the loop, embedded in struct fg_function; async.c's alone. */
struct fg_async_queue {
    struct fg_async_event *ready_head, *ready_tail;  /* due, waiting for a slot or a token */
    int n_ready;                         /* in the ready FIFO */
    int n_running;                       /* an attempt holds a worker */
    int n_retrying;                      /* in the retry heap */
    int n_fetching;                      /* cold, their payloads being read back */
};

/* Opens the state store (r->conf's state_dir), reads what it has queued and starts the
 * webhook thread. 0 or a negative code, err filled; either way fg_async_free cleans up. */
int fg_async_open(struct fg_router *r, struct fg_err *err) FG_MUST_CHECK;

/* The state store, borrowed until fg_async_free; after fg_async_open succeeded. */
struct fg_store *fg_async_store(struct fg_router *r);

/* Starts the store's thread and queues what fg_async_open read. 0 or a negative code. */
int fg_async_start(struct fg_router *r, struct fg_err *err) FG_MUST_CHECK;

/* A slot may have freed up: dispatch soon (never inside this call). */
void fg_async_kick(struct fg_router *r);

/* Loop thread: fn was removed from the configuration (reconfig.c): its events waiting to
 * start go to the dead letters as FunctionNotFound, as they would after a restart; retries
 * follow when they come due. */
void fg_async_forget_function(struct fg_router *r, struct fg_function *fn);

/* Shutdown: no more dispatch; aborts HTTP destinations. */
void fg_async_stop(struct fg_router *r);

/* After the loop stopped: commits what is queued for the store and stops its thread. */
void fg_async_close_store(struct fg_router *r);

/* Frees the queue and the store (nothing when never opened). */
void fg_async_free(struct fg_router *r);

/* Any thread: fg_store_accept on the router's store (see fg_router_submit_async). */
int fg_async_accept(struct fg_router *r, struct fg_async_event *ev, fg_store_accept_fn *cb,
                    void *arg) FG_MUST_CHECK;

/* Any thread: fg_store_query on the router's store (see fg_router_dlq). */
int fg_async_query(struct fg_router *r, struct fg_store_query *q) FG_MUST_CHECK;

/* Per-function queue figures as JSON, appended to out. 0 or the fg_buf error. */
int fg_async_stats(struct fg_router *r, struct fg_buf *out);

#endif
