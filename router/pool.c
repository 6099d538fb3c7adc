/* SPDX-License-Identifier: MIT */
/* pool.c - warm workers per function: reuse, the line of waiting invocations, starting a
 * worker when the policy says so, retiring and reaping (see pool.h, pool_policy.h).
 *
 * DESIGN: idle workers sit on a LIFO stack so the most recently used (warmest, least likely
 * to be reaped) is reused first and the others age out. The caller has already checked
 * concurrency, so every invocation here holds its slots, waiting or running: reserved
 * concurrency stays a hard cap that a waiting invocation counts against. The line is
 * FIFO; a worker that frees takes its head, so an invocation waits at most for the
 * quickest of the running ones or of the starting ones. Each function has a tick
 * (POOL_TICK_MS) that re-asks the policy while work waits (a waiter ages, a running
 * invocation shows it is slow), ends the climb's throughput windows, and reaps idle
 * workers once a second, keeping min_warm alive. Workers start through r->spawn
 * (fg_worker_spawn), so tests/unit/test_router.c runs these decisions on workers with no
 * process. */
#include <event2/event.h>

#include "../core/log.h"
#include "pool.h"
#include "router_int.h"
#include "runtime_api.h"
#include "snapshot.h"
#include "worker.h"

#define POOL_TICK_MS     250
#define POOL_REAP_TICKS  4      /* idle reaping once a second */

/* ------------------------------------------------------------------ the line */

static void pool_line_push(struct fg_function *fn, struct fg_invocation *inv)
{
    inv->queued = true;
    inv->wait_since_us = fg_mono_us();
    inv->wait_next = NULL;
    inv->wait_prev = fn->wait_tail;
    if (fn->wait_tail)
        fn->wait_tail->wait_next = inv;
    else
        fn->wait_head = inv;
    fn->wait_tail = inv;
    fn->n_waiting++;
}

static void pool_line_remove(struct fg_function *fn, struct fg_invocation *inv)
{
    if (!inv->queued)
        return;
    if (inv->wait_prev)
        inv->wait_prev->wait_next = inv->wait_next;
    else
        fn->wait_head = inv->wait_next;
    if (inv->wait_next)
        inv->wait_next->wait_prev = inv->wait_prev;
    else
        fn->wait_tail = inv->wait_prev;
    inv->wait_prev = inv->wait_next = NULL;
    inv->queued = false;
    fn->n_waiting--;
}

void fg_pool_forget(struct fg_invocation *inv)
{
    if (inv->fn)
        pool_line_remove(inv->fn, inv);
}

/* ------------------------------------------------------------------ the policy's inputs */

static int pool_cap(const struct fg_function *fn)
{
    int a = fn->conf->max_workers, b = fn->conf->concurrency;
    return a && b ? (a < b ? a : b) : a ? a : b;
}

/* Age of the oldest running invocation, in ms: before any invocation ended, the only
 * evidence that the function is slow. */
static double pool_oldest_busy_ms(const struct fg_function *fn, long long now)
{
    long long oldest = now;
    for (const struct fg_worker *w = fn->workers; w; w = w->next)
        if (w->inv && w->inv->delivered && w->inv->start_us < oldest)
            oldest = w->inv->start_us;
    return (double)(now - oldest) / 1000.0;
}

static struct fg_pool_demand pool_demand(struct fg_function *fn, long long now)
{
    struct fg_router *r = fn->router;
    bool per_request = fn->conf->scaling == FG_SCALING_PER_REQUEST;
    double busy = per_request ? 0 : fg_cpuload_busy(&r->cpu, now, POOL_TICK_MS * 1000LL);

    return (struct fg_pool_demand){
        .live = fn->n_live,
        .starting = fn->n_starting,
        .waiting = fn->n_waiting,
        .cap = pool_cap(fn),
        .target = fn->climb.target,
        .min_warm = fn->conf->min_warm,
        .run_ms = fn->run_ms,
        .busy_ms = fn->run_ms == 0 && fn->n_waiting ? pool_oldest_busy_ms(fn, now) : 0,
        .start_ms = fn->start_ms,
        .head_wait_ms = fn->wait_head ? (double)(now - fn->wait_head->wait_since_us) / 1000.0 : 0,
        .headroom = busy < FG_POOL_HEADROOM,
        .per_request = per_request,
    };
}

/* ------------------------------------------------------------------ assignment */

/* w takes inv: out of the line, off the worker that claimed it; delivered now if w's /next
 * is parked, else when it arrives. */
static void pool_give(struct fg_worker *w, struct fg_invocation *inv)
{
    if (inv->queued && !inv->worker && inv->timer_armed)
        fg_router_arm_init(inv);          /* its wait is over; the worker's 10 s start now */
    pool_line_remove(w->fn, inv);
    if (inv->worker && inv->worker != w)
        inv->worker->inv = NULL;
    w->inv = inv;
    inv->worker = w;
    if (w->state == FG_WORKER_IDLE)
        w->state = FG_WORKER_BUSY;
    if (fg_runtime_api_parked(&w->api))
        fg_worker_deliver(w);
}

/* Starts workers while the policy says so; each claims the newest unclaimed waiter. 0, or
 * a negative code when none is alive and none could be started. */
static int pool_grow(struct fg_function *fn, struct fg_err *err)
{
    while (fn->n_waiting && !fn->router->stopping) {
        struct fg_pool_demand d = pool_demand(fn, fg_mono_us());
        struct fg_invocation *inv;
        struct fg_worker *w;

        if (!fg_pool_should_start(&d))
            break;
        if (!(w = fn->router->spawn(fn, false, err))) {
            if (!fn->n_live)
                return err->code;
            fg_log(FG_LOG_WARN, "pool", "%s", err->msg);
            break;
        }
        for (inv = fn->wait_tail; inv && inv->worker; inv = inv->wait_prev)
            ;
        if (inv) {
            w->inv = inv;
            inv->worker = w;
            if (inv->timer_armed)
                fg_router_arm_init(inv);  /* the new worker gets its full 10 s to start */
        }
    }
    return 0;
}

/* snapstart on Node (V8 cannot be forked safely): while every worker is in use, one more
 * starts ahead of demand, so the next new execution environment is already initialized.
 * Only with headroom on the cores, and never past the cap. */
static void pool_keep_spare(struct fg_function *fn)
{
    struct fg_router *r = fn->router;
    struct fg_err err;
    int cap = pool_cap(fn);

    if (!fn->conf->snapstart || fn->conf->runtime != FG_RUNTIME_NODEJS || fn->idle || fn->n_starting ||
        r->stopping || (cap && fn->n_live >= cap) ||
        fg_cpuload_busy(&r->cpu, fg_mono_us(), POOL_TICK_MS * 1000LL) >= FG_POOL_HEADROOM)
        return;
    if (!r->spawn(fn, false, &err))
        fg_log(FG_LOG_WARN, "pool", "%s", err.msg);
}

int fg_pool_assign(struct fg_function *fn, struct fg_invocation *inv, struct fg_err *err)
{
    struct fg_worker *w = fn->idle;
    int rc;

    if (w) {
        fn->idle = w->idle_next;
        w->idle_next = NULL;
        pool_give(w, inv);
        pool_keep_spare(fn);
        return 0;
    }
    pool_line_push(fn, inv);
    if ((rc = pool_grow(fn, err)) < 0)
        pool_line_remove(fn, inv);
    return rc;
}

/* Grows for the line; when nothing can run at all, fails what waits, as a failed start
 * fails the invocation that asked for it. */
static void pool_grow_or_fail(struct fg_function *fn)
{
    struct fg_err err;
    if (!fn->n_waiting || pool_grow(fn, &err) == 0)
        return;
    fg_log(FG_LOG_ERROR, "pool", "%s", err.msg);
    while (fn->wait_head) {
        fn->wait_head->sandbox_fault = true;
        fg_router_fail(fn->router, fn->wait_head, FG_INV_SERVICE_ERROR, "ServiceException", "%s", err.msg);
    }
}

void fg_pool_refill(struct fg_function *fn)
{
    pool_grow_or_fail(fn);
}

void fg_pool_code_changed(struct fg_function *fn)
{
    fn->code_gen++;
    fg_snapshot_stop(fn);    /* the template holds the old code: the next restore starts another */
    while (fn->idle)
        fg_worker_kill(fn->idle, "its code changed");
    for (struct fg_worker *w = fn->workers; w; w = w->next)
        if (w->state == FG_WORKER_SPAWNING && !w->inv)
            fg_worker_kill(w, "its code changed");
}

static void pool_push_idle(struct fg_worker *w)
{
    struct fg_function *fn = w->fn;
    if (fn->router->stopping) {
        fg_worker_kill(w, "shutdown");
        return;
    }
    w->state = FG_WORKER_IDLE;
    w->idle_since_us = fg_mono_us();
    w->idle_next = fn->idle;
    fn->idle = w;
}

void fg_pool_worker_released(struct fg_worker *w)
{
    struct fg_function *fn = w->fn;

    if (w->state != FG_WORKER_BUSY)
        return;
    if (w->code_gen != fn->code_gen) {
        fg_worker_kill(w, "its code changed");    /* its reap starts what waits */
        return;
    }
    if (fn->wait_head && !fn->router->stopping) {
        struct fg_pool_demand d = pool_demand(fn, fg_mono_us());
        if (fg_pool_should_retire(&d)) {
            fg_worker_kill(w, "the pool is above its target and the cores have no headroom");
            return;
        }
        pool_give(w, fn->wait_head);
        return;
    }
    pool_push_idle(w);
}

static double pool_smooth(double avg, double sample, double weight)
{
    return avg > 0 ? avg + (sample - avg) * weight : sample;
}

void fg_pool_worker_ready(struct fg_worker *w)
{
    struct fg_function *fn = w->fn;

    if (w->state == FG_WORKER_SPAWNING) {
        double init_ms = (double)(fg_mono_us() - w->spawn_us) / 1000.0;
        fn->n_starting--;
        w->state = FG_WORKER_IDLE;                /* started; on the idle stack only if pushed */
        fn->start_ms = pool_smooth(fn->start_ms, init_ms, 0.25);
        fn->metrics.init_count++;
        fn->metrics.init_sum_ms += init_ms;
        if (!w->inv && fn->wait_head && !fn->router->stopping)
            pool_give(w, fn->wait_head);          /* delivered inside: w is parked */
        else if (w->inv && !w->inv->delivered)
            pool_give(w, w->inv);
        /* A cold start: REPORT carries it. */
        if (w->inv && w->restored)
            w->inv->restore_ms = init_ms;
        else if (w->inv)
            w->inv->init_ms = init_ms;
        else if (w->restored)
            fg_fnlog_restore_report(&fn->router->log, fn->conf->name, init_ms);
        else
            fg_fnlog_init_report(&fn->router->log, fn->conf->name, init_ms, "provisioned-concurrency");
        if (!w->inv)
            pool_push_idle(w);
        else
            pool_keep_spare(fn);
        return;
    }
    if (w->inv && !w->inv->delivered)
        fg_worker_deliver(w);
}

void fg_pool_observe(struct fg_function *fn, double duration_ms)
{
    fn->run_ms = pool_smooth(fn->run_ms, duration_ms, 1.0 / 16);
    fn->window_done++;
}

/* ------------------------------------------------------------------ the tick */

static void pool_fill_warm(struct fg_function *fn)
{
    struct fg_err err;
    while (fn->n_live < fn->conf->min_warm && !fn->router->stopping && !fn->removed) {
        if (!fn->router->spawn(fn, true, &err)) {
            fg_log(FG_LOG_WARN, "pool", "%s", err.msg);
            return;
        }
    }
}

static void pool_reap(struct fg_function *fn)
{
    long long cutoff = fg_mono_us() - (long long)fn->conf->idle_timeout_s * 1000000;
    struct fg_worker *w, *next;

    /* The stack is newest first, so the ones past the cutoff are at the bottom. */
    for (w = fn->idle; w; w = next) {
        next = w->idle_next;
        if (w->idle_since_us < cutoff && fn->n_live > fn->conf->min_warm)
            fg_worker_kill(w, "idle timeout");
    }
    pool_fill_warm(fn);
}

/* A starting worker without a claimed invocation (min_warm, a spare, or one whose claim a
 * warm worker took) has no invocation timer to end it: one that has not asked for work
 * within the init limit is killed here, so it stops counting as a start on its way. */
static void pool_kill_stuck(struct fg_function *fn)
{
    long long cutoff = fg_mono_us() - (long long)FG_ROUTER_INIT_TIMEOUT_S * 1000000;
    for (struct fg_worker *w = fn->workers; w; w = w->next)
        if (w->state == FG_WORKER_SPAWNING && !w->inv && w->spawn_us < cutoff) {
            fg_log(FG_LOG_WARN, "pool", "function %s worker %d did not ask for work within %d s; killing it",
                   fn->conf->name, (int)w->pid, FG_ROUTER_INIT_TIMEOUT_S);
            fg_worker_kill(w, "init timeout");
        }
}

/* Lambda freezes an environment between invocations, so a process a handler detached
 * (setsid, or a group of its own) does not run on after the invocation; fngate cannot
 * freeze cheaply, so it ends such processes of idle workers. Processes that stay in the
 * worker's process group (a pool made at init) live as long as their environment. */
static void pool_kill_strays(struct fg_function *fn)
{
    for (struct fg_worker *w = fn->idle; w; w = w->idle_next)
        if (w->pid > 0)
            fg_sandbox_kill_strays(&w->sb, w->pid);
}

static void pool_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fg_function *fn = arg;

    (void)fd;
    (void)what;
    pool_kill_strays(fn);
    if (fn->removed && !fn->wait_head) {
        /* Removed by a reload: what it held is done once its workers are. */
        while (fn->idle)
            fg_worker_kill(fn->idle, "its function was removed");
        fg_router_sweep_later(fn->router);
    }
    fn->window_ticks++;
    if (fn->n_waiting) {
        fn->window_saturated++;
        pool_grow_or_fail(fn);
    }
    if (fn->window_ticks * POOL_TICK_MS >= FG_POOL_WINDOW_MS) {
        double secs = fn->window_ticks * POOL_TICK_MS / 1000.0;
        fg_pool_climb_window(&fn->climb, fn->window_done / secs, fn->window_saturated * 2 > fn->window_ticks,
                             fn->n_live, pool_cap(fn));
        fn->window_ticks = fn->window_saturated = fn->window_done = 0;
    }
    if (++fn->ticks % POOL_REAP_TICKS == 0) {
        /* Admission records the highest concurrency; this keeps a minute in which long
         * invocations ran without a new one from reading as none. */
        if (fn->inflight)
            fg_series_max(fn->series, fg_now_ms(), FG_SERIES_CONCURRENT, fn->inflight);
        pool_kill_stuck(fn);
        pool_reap(fn);
    }
}

int fg_pool_start(struct fg_function *fn, struct fg_err *err)
{
    struct timeval tick = { 0, POOL_TICK_MS * 1000 };
    fg_pool_climb_init(&fn->climb, fn->router->cpu.cores, pool_cap(fn));
    fn->tick_ev = event_new(fn->router->loop->base, -1, EV_PERSIST, pool_on_tick, fn);
    if (!fn->tick_ev || event_add(fn->tick_ev, &tick) < 0)
        return fg_err_set(err, -12, "function %s: cannot create the pool's timer", fn->conf->name);
    /* As Lambda initializes a SnapStart function when its version is published. */
    if (fn->conf->snapstart && fn->conf->runtime == FG_RUNTIME_PYTHON3)
        fg_snapshot_start(fn);
    pool_fill_warm(fn);
    return 0;
}

void fg_pool_stop(struct fg_function *fn)
{
    if (fn->tick_ev)
        event_free(fn->tick_ev);
    fn->tick_ev = NULL;
    for (struct fg_worker *w = fn->workers; w; w = w->next) {
        if (w->inv)
            fg_router_fail(fn->router, w->inv, FG_INV_SERVICE_ERROR, "ServiceException",
                           "fngate is shutting down");
        fg_worker_kill(w, "shutdown");
    }
    while (fn->wait_head)
        fg_router_fail(fn->router, fn->wait_head, FG_INV_SERVICE_ERROR, "ServiceException",
                       "fngate is shutting down");
    fg_snapshot_stop(fn);
}
