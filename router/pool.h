/* SPDX-License-Identifier: MIT */
/* pool.h - a function's warm workers and the line of invocations waiting for one: which
 * worker takes an invocation, when a new one starts, where a worker goes when it is ready
 * or released (pool.c; the start-or-wait rule is pool_policy.h's).
 *
 * An invocation takes the idle worker used last (a LIFO stack, so the warmest is reused
 * and the others age out). With none idle it joins the function's line, and the policy
 * decides whether a new worker starts for it; a new worker claims the newest unclaimed
 * waiter (that invocation gets its init error or its Init Duration), but a warm worker
 * that frees first takes the head of the line, claimed or not. Loop thread only. Workers
 * are started through r->spawn (fg_worker_spawn), which tests replace to drive these
 * decisions without processes. Tests: tests/unit/test_router.c (choice, line, release,
 * policy), tests/integration/test_workers.py (bursts). */
#ifndef FG_POOL_H
#define FG_POOL_H

#include <stdbool.h>

#include "../core/err.h"

struct fg_function;
struct fg_invocation;
struct fg_worker;

/* Starts a worker for fn: an owned worker in SPAWNING state, already on fn->workers and
 * counted in fn->n_live and fn->n_starting (freed once reaped), or NULL with err filled.
 * provisioned: started by min_warm ahead of traffic. */
typedef struct fg_worker *fg_pool_spawn_fn(struct fg_function *fn, bool provisioned, struct fg_err *err);

/* Gives inv a worker, now or when one is free (see above); concurrency has been checked
 * and inv holds its slots while it waits. An idle worker becomes BUSY and gets inv now if
 * its /next is parked, else when it arrives. 0, or a negative code with err filled when no
 * worker is alive and none could be started: inv is then out of the line, unassigned.
 * Borrows inv until the router finishes it. */
int fg_pool_assign(struct fg_function *fn, struct fg_invocation *inv, struct fg_err *err) FG_MUST_CHECK;

/* The worker's /next is parked: delivers its claimed or assigned work, else takes the head
 * of the line, else (after its first /next: init done) becomes idle. */
void fg_pool_worker_ready(struct fg_worker *w);

/* The worker's invocation ended and the worker lives. A BUSY worker takes the head of the
 * line, or retires when the pool is above its target on saturated cores, or goes back on
 * the idle stack (killed instead while the router stops). A starting worker stays as it
 * is. */
void fg_pool_worker_released(struct fg_worker *w);

/* inv ends while still in the line (its timer, shutdown): takes it out. */
void fg_pool_forget(struct fg_invocation *inv);

/* inv ran on a worker and ended after duration_ms: feeds the pool's estimates. */
void fg_pool_observe(struct fg_function *fn, double duration_ms);

/* A worker of fn is gone: invocations in the line may need a new one. */
void fg_pool_refill(struct fg_function *fn);

/* fn's code changed (codewatch.c): a new generation. Idle workers and starting ones that
 * hold no invocation stop now; busy ones stop when they answer; min_warm is refilled. */
void fg_pool_code_changed(struct fg_function *fn);

/* Starts min_warm workers and the pool's tick (the line, the climb, idle reaping). 0 or a
 * negative code. */
int fg_pool_start(struct fg_function *fn, struct fg_err *err) FG_MUST_CHECK;

/* Shutdown: fails what the workers hold and what waits in the line, kills every worker. */
void fg_pool_stop(struct fg_function *fn);

#endif
