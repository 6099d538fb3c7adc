/* SPDX-License-Identifier: MIT */
/* pool.c - warm workers per function: reuse, spawn on demand, reap idle ones (see pool.h).
 *
 * DESIGN: idle workers sit on a LIFO stack so the most recently used (warmest, least likely
 * to be reaped) is reused first and the others age out. The caller has already checked
 * concurrency, so "in flight < cap" guarantees that either a worker is free or one more
 * may be started. Reaping runs once a second per function and keeps min_warm alive.
 * Workers start through r->spawn (fg_worker_spawn), so tests/unit/test_router.c runs these
 * decisions on workers with no process. */
#include <event2/event.h>

#include "../core/log.h"
#include "pool.h"
#include "router_int.h"
#include "runtime_api.h"
#include "snapshot.h"
#include "worker.h"

int fg_pool_assign(struct fg_function *fn, struct fg_invocation *inv, struct fg_err *err)
{
    struct fg_worker *w = fn->idle;

    if (w) {
        fn->idle = w->idle_next;
        w->idle_next = NULL;
        w->state = FG_WORKER_BUSY;
        w->inv = inv;
        inv->worker = w;
        /* A worker that answered a moment ago may not be back in /next yet: then the
         * event goes out when it arrives. */
        if (fg_runtime_api_parked(&w->api))
            fg_worker_deliver(w);
        return 0;
    }
    /* A pre-started worker still booting takes the work when it is ready. */
    for (w = fn->workers; w; w = w->next)
        if (w->state == FG_WORKER_SPAWNING && !w->inv)
            break;
    if (!w && !(w = fn->router->spawn(fn, false, err)))
        return err->code;
    w->inv = inv;
    inv->worker = w;
    return 0;
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
    if (w->state == FG_WORKER_BUSY)
        pool_push_idle(w);
}

void fg_pool_worker_ready(struct fg_worker *w)
{
    struct fg_function *fn = w->fn;

    if (w->state == FG_WORKER_SPAWNING) {
        double ms = (double)(fg_mono_us() - w->spawn_us) / 1000.0;
        if (w->inv && w->restored)
            w->inv->restore_ms = ms;       /* a cold start: REPORT carries it */
        else if (w->inv)
            w->inv->init_ms = ms;
        else if (w->restored)
            fg_fnlog_restore_report(&fn->router->log, fn->conf->name, ms);
        else
            fg_fnlog_init_report(&fn->router->log, fn->conf->name, ms, "provisioned-concurrency");
    }
    if (w->inv && !w->inv->delivered) {
        fg_worker_deliver(w);
        return;
    }
    if (w->state == FG_WORKER_SPAWNING)
        pool_push_idle(w);
}

static void pool_fill_warm(struct fg_function *fn)
{
    struct fg_err err;
    while (fn->n_live < fn->conf->min_warm && !fn->router->stopping) {
        if (!fn->router->spawn(fn, true, &err)) {
            fg_log(FG_LOG_WARN, "pool", "%s", err.msg);
            return;
        }
    }
}

static void pool_on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct fg_function *fn = arg;
    long long cutoff = fg_mono_us() - (long long)fn->conf->idle_timeout_s * 1000000;
    struct fg_worker *w, *next;

    (void)fd;
    (void)what;
    /* The stack is newest first, so the ones past the cutoff are at the bottom. */
    for (w = fn->idle; w; w = next) {
        next = w->idle_next;
        if (w->idle_since_us < cutoff && fn->n_live > fn->conf->min_warm)
            fg_worker_kill(w, "idle timeout");
    }
    pool_fill_warm(fn);
}

int fg_pool_start(struct fg_function *fn, struct fg_err *err)
{
    struct timeval second = { 1, 0 };
    fn->reap_ev = event_new(fn->router->loop->base, -1, EV_PERSIST, pool_on_reap, fn);
    if (!fn->reap_ev || event_add(fn->reap_ev, &second) < 0)
        return fg_err_set(err, -12, "function %s: cannot create the reaping timer", fn->conf->name);
    /* As Lambda initializes a SnapStart function when its version is published. */
    if (fn->conf->snapstart && fn->conf->runtime == FG_RUNTIME_PYTHON3)
        fg_snapshot_start(fn);
    pool_fill_warm(fn);
    return 0;
}

void fg_pool_stop(struct fg_function *fn)
{
    if (fn->reap_ev)
        event_free(fn->reap_ev);
    fn->reap_ev = NULL;
    for (struct fg_worker *w = fn->workers; w; w = w->next) {
        if (w->inv)
            fg_router_fail(fn->router, w->inv, FG_INV_SERVICE_ERROR, "ServiceException",
                           "fngate is shutting down");
        fg_worker_kill(w, "shutdown");
    }
    fg_snapshot_stop(fn);
}
