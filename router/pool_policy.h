/* SPDX-License-Identifier: MIT */
/* pool_policy.h - when a function whose workers are all busy starts another one, and how
 * many workers its pool aims for under sustained load (pool_policy.c).
 *
 * Lambda gives every concurrent invocation its own execution environment. On one machine
 * that turns a burst of 32 requests into 32 interpreters fighting over a few cores, and a
 * Node API then serves a third of what four warm workers would. So an invocation that
 * finds no idle worker waits in its function's line for one, and a new worker starts only
 * when that is worth its price:
 *   - the pool is below its target, a worker count found by hill climbing on measured
 *     throughput (start at twice the cores; under sustained load try one more, let it
 *     start for a window, judge it on the next two; keep it when throughput rose by
 *     FG_POOL_CLIMB_GAIN, else go back and hold a while), or
 *   - the cores have headroom and the expected wait (waiters x duration / workers) is
 *     longer than a cold start (the function's measured init time): slow, I/O-bound
 *     handlers get a worker per request as on Lambda, or
 *   - the first waiter has waited longer than FG_POOL_MAX_WAIT_MS or 4 cold starts (the
 *     estimates were wrong: bounded latency wins).
 * scaling: per_request keeps Lambda's rule exactly. Pure functions of numbers the pool
 * measures (pool.c), so tests/unit/test_router.c checks them without processes or clocks. */
#ifndef FG_POOL_POLICY_H
#define FG_POOL_POLICY_H

#include <stdbool.h>

#define FG_POOL_DEFAULT_START_MS 200.0  /* a cold start's price before one was measured */
#define FG_POOL_MAX_WAIT_MS      1000.0 /* no waiter waits longer while a start is allowed */
#define FG_POOL_CLIMB_GAIN       1.08   /* a probe must raise throughput this much to stay */
#define FG_POOL_CLIMB_HOLD       40     /* windows (of FG_POOL_WINDOW_MS) between probes */
#define FG_POOL_WINDOW_MS        500    /* throughput is measured over this */
#define FG_POOL_HEADROOM         0.90   /* the cores have headroom below this busy fraction */

struct fg_pool_demand {
    int live;             /* workers not dead, starting ones included */
    int starting;         /* workers that have not asked for work yet: each takes a waiter */
    int waiting;          /* invocations in the function's line */
    int cap;              /* workers at most (max_workers, reserved concurrency); 0: none */
    int target;           /* the climb's worker count for sustained load */
    int min_warm;         /* workers kept whatever the load */
    double run_ms;        /* smoothed invocation duration; 0 before the first one ended */
    double busy_ms;       /* age of the oldest running invocation: a lower bound of run_ms */
    double start_ms;      /* smoothed cold start; 0 before the first one */
    double head_wait_ms;  /* how long the first waiter has waited */
    bool headroom;        /* the cores were under FG_POOL_HEADROOM busy in the last sample */
    bool per_request;     /* scaling: per_request */
};

/* Should the pool start one more worker now? Called again after each start. */
bool fg_pool_should_start(const struct fg_pool_demand *d);

/* A worker just finished an invocation: should it stop instead of taking more work
 * (the pool is above its target and the cores have no headroom)? */
bool fg_pool_should_retire(const struct fg_pool_demand *d);

/* The hill climb's state, one per function. */
struct fg_pool_climb {
    int target;           /* >= 1 */
    int phase;            /* pool_policy.c: holding, settling after a probe, measuring it */
    int hold;             /* windows left before the next probe */
    double base;          /* throughput (per second) at the target before the probe */
    double probe;         /* the first measured window's throughput after a probe */
};

/* Starts at twice the number of cores (at most cap when cap > 0). */
void fg_pool_climb_init(struct fg_pool_climb *c, int cores, int cap);

/* One window ended: tput invocations per second; saturated when work waited for a worker
 * for most of the window; live workers now. Moves c->target by at most one. */
void fg_pool_climb_window(struct fg_pool_climb *c, double tput, bool saturated, int live, int cap);

#endif
