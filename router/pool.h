/* SPDX-License-Identifier: MIT */
/* pool.h - a function's warm workers: which worker takes an invocation, and where a worker
 * goes when it is ready or released (pool.c).
 *
 * The choice, in order: the idle worker used last (a LIFO stack, so the warmest is reused
 * and the others age out), else a worker still starting that has no work yet, else a new
 * one. Loop thread only. Workers are started through r->spawn (fg_worker_spawn), which
 * tests replace to drive these decisions without processes. Tests:
 * tests/unit/test_router.c (choice, release), tests/integration/test_workers.py. */
#ifndef FG_POOL_H
#define FG_POOL_H

#include <stdbool.h>

#include "../core/err.h"

struct fg_function;
struct fg_invocation;
struct fg_worker;

/* Starts a worker for fn: an owned worker in SPAWNING state, already on fn->workers and
 * counted in fn->n_live (freed once reaped), or NULL with err filled. provisioned: started
 * by min_warm ahead of traffic. */
typedef struct fg_worker *fg_pool_spawn_fn(struct fg_function *fn, bool provisioned, struct fg_err *err);

/* Gives inv a worker (see above); concurrency has been checked. An idle worker becomes
 * BUSY and gets inv now if its /next is parked, else when it arrives; a starting worker
 * gets it after its first /next. 0, or a negative code with err filled: nothing was
 * assigned. Borrows inv until the router finishes it. */
int fg_pool_assign(struct fg_function *fn, struct fg_invocation *inv, struct fg_err *err) FG_MUST_CHECK;

/* The worker's /next is parked: delivers its assigned work, or after its first /next
 * (init done) makes it idle. */
void fg_pool_worker_ready(struct fg_worker *w);

/* The worker's invocation ended and the worker lives: back on the idle stack if it was
 * BUSY (killed instead while the router stops). A worker still starting stays as it is. */
void fg_pool_worker_released(struct fg_worker *w);

/* Starts min_warm workers and the once-a-second reaping timer. 0 or a negative code. */
int fg_pool_start(struct fg_function *fn, struct fg_err *err) FG_MUST_CHECK;

/* Shutdown: fails what the workers hold and kills every worker. */
void fg_pool_stop(struct fg_function *fn);

#endif
