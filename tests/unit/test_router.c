/* SPDX-License-Identifier: MIT */
/* test_router.c - the router core's decisions, without processes: admission (reserved and
 * gateway concurrency, the rate, the throttle each refusal becomes), pool choice (the idle
 * worker used last, a starting worker without work, a new one), completion (slots freed,
 * the worker back to idle or killed while stopping, done() once), and the trigger marks'
 * lookups. A real router from a real configuration; only r->spawn is replaced, by a
 * stand-in that makes workers with no process behind them. */
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "triggers/registry.h"
#include "core/cpuload.h"
#include "core/loop.h"
#include "router/mark.h"
#include "router/pool.h"
#include "router/router.h"
#include "router/router_int.h"
#include "router/runtime_api.h"
#include "router/worker.h"
#include "unit.h"

/* F has 2 reserved slots, G none, R a rate of 1/s, P Lambda's worker per invocation; the
 * gateway allows 3 in all. */
static const char rig_yaml[] =
    "gateway: {max_concurrency: 3}\n"
    "state_dir: /tmp\n"
    "functions:\n"
    "  F: {runtime: python3, handler: app.handler, code: /tmp, concurrency: 2}\n"
    "  G: {runtime: python3, handler: app.handler, code: /tmp}\n"
    "  R: {runtime: python3, handler: app.handler, code: /tmp, rate: {per_second: 1, burst: 1}}\n"
    "  P: {runtime: python3, handler: app.handler, code: /tmp, scaling: per_request}\n";

struct rig {
    struct fg_config conf;
    struct fg_loop loop;
    struct fg_router *r;
    struct fg_function *f, *g, *rl, *p;
    int devnull;
};

static int spawns;          /* calls of the stand-in */
static bool spawn_fails;    /* the stand-in refuses, as a failed fork would */

/* Rig workers have no process, so no output: never called. */
static void rig_on_line(void *arg, const char *line, size_t len)
{
    (void)arg;
    (void)line;
    (void)len;
}

/* fg_pool_spawn_fn without a process: what fg_worker_spawn leaves behind after a good fork
 * (SPAWNING, on fn->workers, counted live), marked reaped so a kill sends no signal. */
static struct fg_worker *rig_spawn(struct fg_function *fn, bool provisioned, struct fg_err *err)
{
    struct fg_worker *w;

    spawns++;
    if (spawn_fails) {
        fg_err_set(err, -EAGAIN, "function %s: cannot start a worker", fn->conf->name);
        return NULL;
    }
    ck_assert_ptr_nonnull(w = calloc(1, sizeof(*w)));
    w->fn = fn;
    w->state = FG_WORKER_SPAWNING;
    w->id = fn->next_worker_id++;
    w->provisioned = provisioned;
    w->reaped = true;
    w->mem.peak_fd = -1;
    fg_runtime_api_init(&w->api, fn->router->loop->base, NULL, w);   /* never opened */
    fg_outlines_init(&w->out, 1024, 1024, rig_on_line, w);     /* never opened */
    w->spawn_us = fg_mono_us();
    w->next = fn->workers;
    if (fn->workers)
        fn->workers->prev = w;
    fn->workers = w;
    fn->n_live++;
    fn->n_starting++;
    return w;
}

static void rig_open(struct rig *t)
{
    struct fg_err err;

    spawns = 0;
    spawn_fails = false;
    ck_assert_msg(fg_registry_conf_load_string(&t->conf, "t.yaml", "/tmp", rig_yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_loop_init(&t->loop, &err), 0);
    ck_assert_int_ge(t->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), 0);
    ck_assert_msg(fg_router_new(&t->conf, &t->loop, t->devnull, &t->r, &err) == 0, "%s", err.msg);
    t->r->spawn = rig_spawn;
    ck_assert_ptr_nonnull(t->f = fg_router_function(t->r, "F"));
    ck_assert_ptr_nonnull(t->g = fg_router_function(t->r, "G"));
    ck_assert_ptr_nonnull(t->rl = fg_router_function(t->r, "R"));
    ck_assert_ptr_nonnull(t->p = fg_router_function(t->r, "P"));
    /* Stamped a minute ahead, R's bucket does not refill during the test: waits are exact. */
    fg_token_bucket_init(&t->rl->rate, 1, 1, fg_mono_us() + 60000000LL);
}

static void rig_close(struct rig *t)
{
    for (size_t i = 0; i < t->r->n_fns; i++) {
        struct fg_worker *w = t->r->fns[i]->workers, *next;
        for (; w; w = next) {
            next = w->next;
            fg_outlines_close(&w->out);
            free(w);
        }
    }
    fg_router_free(t->r);
    fg_loop_close(&t->loop);
    fg_conf_free(&t->conf);
    close(t->devnull);
}

/* A worker that finished init with nothing to do: on the idle stack. */
static struct fg_worker *rig_idle_worker(struct rig *t, struct fg_function *fn)
{
    struct fg_err err;
    struct fg_worker *w = t->r->spawn(fn, false, &err);
    ck_assert_ptr_nonnull(w);
    fg_pool_worker_ready(w);           /* its first /next */
    ck_assert_int_eq(w->state, FG_WORKER_IDLE);
    ck_assert_ptr_eq(fn->idle, w);
    return w;
}

struct done_count {
    int calls;
};

static void on_done(struct fg_invocation *inv, void *arg)
{
    struct done_count *d = arg;
    ck_assert_int_ne(inv->status, FG_INV_PENDING);
    d->calls++;
}

static void inv_prepare(struct fg_invocation *inv, const char *function, struct done_count *d)
{
    fg_invocation_init(inv);
    snprintf(inv->function, sizeof(inv->function), "%s", function);
    inv->payload = "{}";
    inv->payload_len = 2;
    inv->done = on_done;
    inv->done_arg = d;
}

/* Runs the loop until done() ran (fg_router_submit never calls it inside). */
static void rig_run_until(struct rig *t, const struct done_count *d, int calls)
{
    for (int i = 0; i < 100 && d->calls < calls; i++)
        event_base_loop(t->loop.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(d->calls, calls);
}

/* ------------------------------------------------------------------ admission */

struct admit_case {
    const char *fn;
    int fn_inflight, gw_inflight;
    enum fg_router_verdict want;
};

static const struct admit_case admit_cases[] = {
    { "F", 0, 0, FG_ROUTER_ADMITTED },
    { "F", 1, 2, FG_ROUTER_ADMITTED },
    { "F", 2, 2, FG_ROUTER_FUNCTION_FULL },     /* its 2 reserved slots are taken */
    { "F", 2, 3, FG_ROUTER_FUNCTION_FULL },     /* the function's cap is checked first */
    { "F", 1, 3, FG_ROUTER_GATEWAY_FULL },
    { "G", 0, 3, FG_ROUTER_GATEWAY_FULL },
    { "G", 2, 2, FG_ROUTER_ADMITTED },          /* no reserved concurrency: only the gateway's */
    { "G", 50, 2, FG_ROUTER_ADMITTED },
};

START_TEST(test_admission_slots)
{
    const struct admit_case *c = &admit_cases[_i];
    struct rig t;
    struct fg_function *fn;
    long long wait_us = -1;

    rig_open(&t);
    fn = fg_router_function(t.r, c->fn);
    fn->inflight = c->fn_inflight;
    t.r->inflight = c->gw_inflight;
    ck_assert_msg(fg_router_admission(t.r, fn, fg_mono_us(), &wait_us) == c->want, "case %d", _i);
    fn->inflight = 0;
    t.r->inflight = 0;
    rig_close(&t);
}
END_TEST

START_TEST(test_admission_rate)
{
    struct rig t;
    long long now = fg_mono_us(), wait_us = 0;

    rig_open(&t);
    /* Full slots refuse before the bucket is touched: the one token is still there after. */
    t.r->inflight = 3;
    ck_assert_int_eq(fg_router_admission(t.r, t.rl, now, &wait_us), FG_ROUTER_GATEWAY_FULL);
    t.r->inflight = 0;
    ck_assert_int_eq(fg_router_admission(t.r, t.rl, now, &wait_us), FG_ROUTER_ADMITTED);
    ck_assert_int_eq(fg_router_admission(t.r, t.rl, now, &wait_us), FG_ROUTER_RATE_LIMITED);
    ck_assert_int_eq(wait_us, 1000001);          /* one token a second, rounded up */
    /* G has no rate: never limited. */
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(fg_router_admission(t.r, t.g, now, &wait_us), FG_ROUTER_ADMITTED);
    rig_close(&t);
}
END_TEST

/* The sync path: each refusal becomes its throttle, done() runs once, nothing starts. */
START_TEST(test_admission_throttles)
{
    struct rig t;
    struct fg_invocation inv;
    struct done_count d = { 0 };

    rig_open(&t);
    t.f->inflight = 2;
    t.r->inflight = 2;
    inv_prepare(&inv, "F", &d);
    ck_assert_int_eq(fg_router_submit(t.r, &inv), 0);
    ck_assert_int_eq(d.calls, 0);                /* never inside the submitting call */
    rig_run_until(&t, &d, 1);
    ck_assert_int_eq(inv.status, FG_INV_THROTTLED);
    ck_assert_str_eq(inv.throttle_reason, "ReservedFunctionConcurrentInvocationLimitExceeded");
    ck_assert_int_eq(inv.retry_after_s, 1);
    ck_assert_int_eq(t.f->inflight, 2);          /* a throttle takes no slot */
    ck_assert_int_eq(t.r->inflight, 2);
    fg_invocation_close(&inv);

    d.calls = 0;
    t.r->inflight = 3;
    inv_prepare(&inv, "G", &d);
    ck_assert_int_eq(fg_router_submit(t.r, &inv), 0);
    rig_run_until(&t, &d, 1);
    ck_assert_int_eq(inv.status, FG_INV_THROTTLED);
    ck_assert_str_eq(inv.throttle_reason, "ConcurrentInvocationLimitExceeded");
    ck_assert_int_eq(inv.retry_after_s, 1);
    fg_invocation_close(&inv);
    t.f->inflight = 0;
    t.r->inflight = 0;

    /* R's one token goes to a call that starts; the next waits a full second, rounded up. */
    struct fg_invocation first;
    struct done_count d1 = { 0 };
    inv_prepare(&first, "R", &d1);
    ck_assert_int_eq(fg_router_submit(t.r, &first), 0);
    for (int i = 0; i < 10; i++)
        event_base_loop(t.loop.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(d1.calls, 0);
    ck_assert_int_eq(first.status, FG_INV_PENDING);
    ck_assert_ptr_nonnull(first.worker);
    ck_assert_int_eq(t.rl->inflight, 1);
    d.calls = 0;
    inv_prepare(&inv, "R", &d);
    ck_assert_int_eq(fg_router_submit(t.r, &inv), 0);
    rig_run_until(&t, &d, 1);
    ck_assert_int_eq(inv.status, FG_INV_THROTTLED);
    ck_assert_str_eq(inv.throttle_reason, "FunctionInvocationRateLimitExceeded");
    ck_assert_int_eq(inv.retry_after_s, 2);      /* ceil(1000001 us) */
    fg_invocation_close(&inv);
    fg_router_fail(t.r, &first, FG_INV_SERVICE_ERROR, "ServiceException", "test over");
    ck_assert_int_eq(d1.calls, 1);
    fg_invocation_close(&first);

    /* No such function; a stopping router. Neither is a throttle. */
    d.calls = 0;
    inv_prepare(&inv, "Nope", &d);
    ck_assert_int_eq(fg_router_submit(t.r, &inv), 0);
    rig_run_until(&t, &d, 1);
    ck_assert_int_eq(inv.status, FG_INV_NOT_FOUND);
    fg_invocation_close(&inv);
    d.calls = 0;
    t.r->stopping = true;
    inv_prepare(&inv, "G", &d);
    ck_assert_int_eq(fg_router_submit(t.r, &inv), 0);
    rig_run_until(&t, &d, 1);
    ck_assert_int_eq(inv.status, FG_INV_SERVICE_ERROR);
    fg_invocation_close(&inv);
    ck_assert_int_eq(spawns, 1);                 /* only R's first call needed a worker */
    rig_close(&t);
}
END_TEST

/* ------------------------------------------------------------------ pool choice */

START_TEST(test_pool_spawns_when_none)
{
    struct rig t;
    struct fg_invocation inv;
    struct fg_err err;

    rig_open(&t);
    fg_invocation_init(&inv);
    ck_assert_int_eq(fg_pool_assign(t.g, &inv, &err), 0);
    ck_assert_int_eq(spawns, 1);
    ck_assert_ptr_nonnull(inv.worker);
    ck_assert_ptr_eq(inv.worker->inv, &inv);                   /* claimed by the new worker */
    ck_assert_int_eq(inv.worker->state, FG_WORKER_SPAWNING);   /* gets it after its first /next */
    ck_assert(!inv.worker->provisioned);
    ck_assert(!inv.delivered);
    ck_assert(inv.queued);
    ck_assert_int_eq(t.g->n_starting, 1);
    rig_close(&t);

    /* With no worker at all, a failed start assigns nothing and says why. */
    rig_open(&t);
    fg_invocation_init(&inv);
    spawn_fails = true;
    ck_assert_int_eq(fg_pool_assign(t.g, &inv, &err), -EAGAIN);
    ck_assert_str_eq(err.msg, "function G: cannot start a worker");
    ck_assert_ptr_null(inv.worker);
    ck_assert(!inv.queued);
    ck_assert_int_eq(t.g->n_waiting, 0);
    ck_assert_int_eq(spawns, 1);
    rig_close(&t);
}
END_TEST

/* scaling: per_request is Lambda's rule: idle workers (warmest first), then a worker still
 * starting that has no work, then a new one for each invocation. */
START_TEST(test_pool_prefers_idle_lifo)
{
    struct rig t;
    struct fg_invocation inv[5];
    struct fg_worker *a, *b, *c, *starting;
    struct fg_err err;

    rig_open(&t);
    a = rig_idle_worker(&t, t.p);
    b = rig_idle_worker(&t, t.p);
    c = rig_idle_worker(&t, t.p);
    ck_assert_ptr_nonnull(starting = t.r->spawn(t.p, true, &err));   /* min_warm, still booting */
    ck_assert_int_eq(spawns, 4);
    for (int i = 0; i < 5; i++)
        fg_invocation_init(&inv[i]);
    /* The warmest first: the one that went idle last. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fg_pool_assign(t.p, &inv[i], &err), 0);
    ck_assert_ptr_eq(inv[0].worker, c);
    ck_assert_ptr_eq(inv[1].worker, b);
    ck_assert_ptr_eq(inv[2].worker, a);
    ck_assert_int_eq(a->state, FG_WORKER_BUSY);
    ck_assert_ptr_eq(c->inv, &inv[0]);
    ck_assert_ptr_null(t.p->idle);
    /* Then the worker still starting, before any new process: it takes the line's head
     * when it is ready. */
    ck_assert_int_eq(fg_pool_assign(t.p, &inv[3], &err), 0);
    ck_assert_int_eq(spawns, 4);
    ck_assert_int_eq(t.p->n_waiting, 1);
    /* Then a new one: the starting worker has work now. */
    ck_assert_int_eq(fg_pool_assign(t.p, &inv[4], &err), 0);
    ck_assert_ptr_nonnull(inv[4].worker);
    ck_assert_ptr_ne(inv[4].worker, starting);
    ck_assert_int_eq(spawns, 5);
    ck_assert_int_eq(t.p->n_live, 5);
    fg_pool_worker_ready(starting);
    ck_assert_ptr_eq(inv[3].worker, starting);
    ck_assert_ptr_eq(starting->inv, &inv[3]);
    ck_assert(!inv[3].queued);
    ck_assert_int_eq(t.p->n_waiting, 1);                       /* inv[4], claimed */
    rig_close(&t);
}
END_TEST

/* Adaptive: with the pool at its target, a short invocation waits for the busy worker
 * instead of starting another; the worker takes it when it is released. */
START_TEST(test_pool_waits_for_warm)
{
    struct rig t;
    struct fg_invocation first, second;
    struct done_count d1 = { 0 }, d2 = { 0 };
    struct fg_worker *w;

    rig_open(&t);
    w = rig_idle_worker(&t, t.g);
    t.g->climb.target = 1;
    t.g->run_ms = 1;                                             /* 1 ms per invocation */
    t.g->start_ms = 150;
    inv_prepare(&first, "G", &d1);
    inv_prepare(&second, "G", &d2);
    fg_router_admit(t.r, t.g, &first);
    ck_assert_ptr_eq(first.worker, w);
    fg_router_admit(t.r, t.g, &second);
    ck_assert_int_eq(spawns, 1);                                 /* no new process */
    ck_assert(second.queued);
    ck_assert_ptr_null(second.worker);
    ck_assert_int_eq(t.g->inflight, 2);                          /* it holds its slot */
    ck_assert_int_eq(t.r->inflight, 2);
    ck_assert_int_eq(fg_buf_append_str(&first.result, "1"), 0);
    fg_router_finish(t.r, &first, FG_INV_OK);
    ck_assert_int_eq(d1.calls, 1);
    ck_assert_ptr_eq(second.worker, w);                          /* handed over, not idle */
    ck_assert_ptr_eq(w->inv, &second);
    ck_assert_int_eq(w->state, FG_WORKER_BUSY);
    ck_assert(!second.queued);
    ck_assert_int_eq(t.g->n_waiting, 0);
    ck_assert_ptr_null(t.g->idle);
    fg_router_fail(t.r, &second, FG_INV_SERVICE_ERROR, "ServiceException", "test over");
    ck_assert_int_eq(t.g->inflight, 0);
    fg_invocation_close(&first);
    fg_invocation_close(&second);
    rig_close(&t);
}
END_TEST

/* A started worker claims a waiter, but a warm worker that frees first takes it; the
 * starting one then serves the line or goes idle. A waiter that ends in the line leaves it. */
START_TEST(test_pool_warm_takes_claimed)
{
    struct rig t;
    struct fg_invocation first, second;
    struct done_count d1 = { 0 }, d2 = { 0 };
    struct fg_worker *w, *cold;

    rig_open(&t);
    w = rig_idle_worker(&t, t.g);
    t.g->climb.target = 2;                                       /* room for one more */
    inv_prepare(&first, "G", &d1);
    inv_prepare(&second, "G", &d2);
    fg_router_admit(t.r, t.g, &first);
    fg_router_admit(t.r, t.g, &second);
    ck_assert_int_eq(spawns, 2);
    ck_assert_ptr_nonnull(cold = second.worker);
    ck_assert_ptr_eq(cold->inv, &second);
    ck_assert_int_eq(cold->state, FG_WORKER_SPAWNING);
    fg_router_finish(t.r, &first, FG_INV_OK);
    ck_assert_ptr_eq(second.worker, w);
    ck_assert_ptr_null(cold->inv);
    fg_pool_worker_ready(cold);
    ck_assert_int_eq(cold->state, FG_WORKER_IDLE);
    ck_assert_int_eq(t.g->n_starting, 0);
    ck_assert(t.g->start_ms > 0);
    fg_router_fail(t.r, &second, FG_INV_SERVICE_ERROR, "ServiceException", "test over");

    /* Ends while waiting (its timer): out of the line, slots back. */
    struct fg_invocation third, fourth;
    struct done_count d3 = { 0 }, d4 = { 0 };
    t.g->climb.target = 1;
    t.g->run_ms = 1;
    t.g->start_ms = 150;
    fg_worker_kill(cold, "test");
    inv_prepare(&third, "G", &d3);
    inv_prepare(&fourth, "G", &d4);
    fg_router_admit(t.r, t.g, &third);
    fg_router_admit(t.r, t.g, &fourth);
    ck_assert(fourth.queued);
    ck_assert_ptr_null(fourth.worker);
    fg_router_fail(t.r, &fourth, FG_INV_TIMEOUT, "Sandbox.Timedout", "waited");
    ck_assert(!fourth.queued);
    ck_assert_int_eq(t.g->n_waiting, 0);
    ck_assert_int_eq(t.g->inflight, 1);
    fg_router_fail(t.r, &third, FG_INV_SERVICE_ERROR, "ServiceException", "test over");
    fg_invocation_close(&first);
    fg_invocation_close(&second);
    fg_invocation_close(&third);
    fg_invocation_close(&fourth);
    rig_close(&t);
}
END_TEST

START_TEST(test_pool_idle_before_starting)
{
    struct rig t;
    struct fg_invocation inv;
    struct fg_worker *idle, *starting;
    struct fg_err err;

    rig_open(&t);
    idle = rig_idle_worker(&t, t.g);
    ck_assert_ptr_nonnull(starting = t.r->spawn(t.g, true, &err));
    fg_invocation_init(&inv);
    ck_assert_int_eq(fg_pool_assign(t.g, &inv, &err), 0);
    ck_assert_ptr_eq(inv.worker, idle);
    ck_assert_ptr_null(starting->inv);
    ck_assert_int_eq(spawns, 2);
    rig_close(&t);
}
END_TEST

/* ------------------------------------------------------------------ the start-or-wait policy */

struct start_case {
    const char *why;
    struct fg_pool_demand d;
    bool want;
};

static const struct start_case start_cases[] = {
    { "nothing waits", { .live = 2, .target = 2 }, false },
    { "each waiter has a start coming", { .live = 3, .starting = 2, .waiting = 2, .target = 8 }, false },
    { "no worker at all", { .waiting = 1, .target = 2 }, true },
    { "below the target", { .live = 1, .waiting = 1, .target = 2 }, true },
    { "at the cap", { .live = 2, .waiting = 5, .target = 4, .cap = 2, .per_request = true }, false },
    { "per_request starts for every waiter", { .live = 8, .waiting = 1, .target = 2, .per_request = true }, true },
    { "short work waits", { .live = 2, .waiting = 30, .target = 2, .run_ms = 1, .start_ms = 150, .headroom = true }, false },
    { "nothing known yet: wait", { .live = 2, .waiting = 30, .target = 2, .start_ms = 150, .headroom = true }, false },
    { "slow work starts", { .live = 2, .waiting = 3, .target = 2, .run_ms = 500, .start_ms = 150, .headroom = true }, true },
    { "a running one shows it is slow", { .live = 2, .waiting = 3, .target = 2, .busy_ms = 400, .start_ms = 150, .headroom = true }, true },
    { "slow work on saturated cores waits", { .live = 2, .waiting = 3, .target = 2, .run_ms = 500, .start_ms = 150 }, false },
    { "waited past the bound", { .live = 2, .waiting = 3, .target = 2, .run_ms = 1, .start_ms = 150, .head_wait_ms = 1001 }, true },
    { "the bound is 4 cold starts when longer", { .live = 2, .waiting = 3, .target = 2, .run_ms = 1, .start_ms = 400, .head_wait_ms = 1200 }, false },
    { "never past the cap", { .live = 2, .waiting = 3, .target = 2, .cap = 2, .head_wait_ms = 9000 }, false },
};

START_TEST(test_policy_start)
{
    const struct start_case *c = &start_cases[_i];
    ck_assert_msg(fg_pool_should_start(&c->d) == c->want, "%s", c->why);
}
END_TEST

START_TEST(test_policy_retire_and_climb)
{
    struct fg_pool_demand d = { .live = 3, .target = 2, .waiting = 4 };
    struct fg_pool_climb c;

    ck_assert(fg_pool_should_retire(&d));                    /* above target, cores saturated */
    d.headroom = true;
    ck_assert(!fg_pool_should_retire(&d));                   /* slow work: keep it */
    d.headroom = false;
    d.min_warm = 3;
    ck_assert(!fg_pool_should_retire(&d));
    d.min_warm = 0;
    d.per_request = true;
    ck_assert(!fg_pool_should_retire(&d));

    /* From twice the cores, one more while each step pays (judged on two windows after one
     * to settle); back one and hold when it does not. */
    fg_pool_climb_init(&c, 2, 0);
    ck_assert_int_eq(c.target, 4);
    fg_pool_climb_window(&c, 1000, true, 4, 0);            /* hold */
    ck_assert_int_eq(c.target, 4);
    fg_pool_climb_window(&c, 1000, true, 4, 0);            /* probe */
    ck_assert_int_eq(c.target, 5);
    fg_pool_climb_window(&c, 500, true, 5, 0);             /* settling: not judged */
    fg_pool_climb_window(&c, 1150, true, 5, 0);            /* first window */
    ck_assert_int_eq(c.target, 5);
    fg_pool_climb_window(&c, 1250, true, 5, 0);            /* +20% on average: keep, probe on */
    ck_assert_int_eq(c.target, 6);
    fg_pool_climb_window(&c, 1200, true, 6, 0);
    fg_pool_climb_window(&c, 1300, true, 6, 0);
    fg_pool_climb_window(&c, 1150, true, 6, 0);            /* +2% on average: back to 5, hold */
    ck_assert_int_eq(c.target, 5);
    for (int i = 0; i < FG_POOL_CLIMB_HOLD - 1; i++)
        fg_pool_climb_window(&c, 1200, true, 5, 0);
    ck_assert_int_eq(c.target, 5);
    fg_pool_climb_window(&c, 1200, true, 5, 0);            /* held long enough: probe again */
    ck_assert_int_eq(c.target, 6);
    fg_pool_climb_window(&c, 10, false, 5, 0);             /* load gone: nothing learnt */
    ck_assert_int_eq(c.target, 6);

    /* A cap bounds the start and every probe. */
    fg_pool_climb_init(&c, 8, 2);
    ck_assert_int_eq(c.target, 2);
    for (int i = 0; i < 40; i++)
        fg_pool_climb_window(&c, 1000.0 * (i + 1), true, 2, 2);
    ck_assert_int_eq(c.target, 2);
}
END_TEST

START_TEST(test_cpuload_parse)
{
    unsigned long long busy = 0, total = 0;
    ck_assert_int_eq(fg_cpuload_parse("cpu  100 5 50 800 40 3 2 0 0 0\n", &busy, &total), 0);
    ck_assert_uint_eq(total, 1000);
    ck_assert_uint_eq(busy, 160);                /* idle and iowait are not busy */
    ck_assert_int_eq(fg_cpuload_parse("cpu0 1 2 3 4\n", &busy, &total), -EINVAL);
    ck_assert_int_eq(fg_cpuload_parse("cpu  1 2\n", &busy, &total), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ completion */

START_TEST(test_completion_releases)
{
    struct rig t;
    struct fg_invocation inv;
    struct done_count d = { 0 };
    struct fg_worker *w;

    rig_open(&t);
    w = rig_idle_worker(&t, t.f);
    inv_prepare(&inv, "F", &d);
    fg_router_admit(t.r, t.f, &inv);
    ck_assert_int_eq(t.f->inflight, 1);
    ck_assert_int_eq(t.r->inflight, 1);
    ck_assert_ptr_eq(inv.worker, w);
    ck_assert_int_eq(w->state, FG_WORKER_BUSY);
    ck_assert(inv.timer_armed);
    ck_assert_uint_eq(strlen(inv.request_id), FG_ID_LEN);      /* generated */
    ck_assert_int_eq(d.calls, 0);

    ck_assert_int_eq(fg_buf_append_str(&inv.result, "\"ok\""), 0);
    fg_router_finish(t.r, &inv, FG_INV_OK);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(inv.status, FG_INV_OK);
    ck_assert_str_eq(inv.result.data, "\"ok\"");
    ck_assert_int_eq(t.f->inflight, 0);                        /* both slots back */
    ck_assert_int_eq(t.r->inflight, 0);
    ck_assert(!inv.timer_armed);
    ck_assert_ptr_null(inv.worker);
    ck_assert_ptr_null(w->inv);
    ck_assert_int_eq(w->state, FG_WORKER_IDLE);                /* reused by the next call */
    ck_assert_ptr_eq(t.f->idle, w);
    ck_assert_str_eq(w->last_request_id, inv.request_id);     /* a second answer gets 400 */
    ck_assert_int_eq(spawns, 1);
    fg_invocation_close(&inv);
    rig_close(&t);
}
END_TEST

START_TEST(test_completion_cold_and_failed)
{
    struct rig t;
    struct fg_invocation inv;
    struct done_count d = { 0 };
    struct fg_worker *w;

    rig_open(&t);
    /* A cold start that fails before the worker asked for it: the worker stays as it is
     * (still starting), not on the idle stack; the error body names the type. */
    inv_prepare(&inv, "G", &d);
    fg_router_admit(t.r, t.g, &inv);
    ck_assert_ptr_nonnull(w = inv.worker);
    ck_assert_int_eq(w->state, FG_WORKER_SPAWNING);
    fg_router_fail(t.r, &inv, FG_INV_TIMEOUT, "Sandbox.Timedout", "RequestId: %s Error: slow", inv.request_id);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(inv.status, FG_INV_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(inv.result.data, "\"errorType\":\"Sandbox.Timedout\""));
    ck_assert_int_eq(w->state, FG_WORKER_SPAWNING);
    ck_assert_ptr_null(t.g->idle);
    ck_assert_int_eq(t.g->inflight, 0);
    ck_assert_int_eq(t.r->inflight, 0);
    fg_invocation_close(&inv);

    /* No worker to be had: failed inside the admit, once, as a system error. */
    d.calls = 0;
    spawn_fails = true;
    fg_worker_kill(w, "test");          /* else the starting worker would take it */
    ck_assert_int_eq(w->state, FG_WORKER_DEAD);
    inv_prepare(&inv, "G", &d);
    fg_router_admit(t.r, t.g, &inv);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(inv.status, FG_INV_SERVICE_ERROR);
    ck_assert(inv.sandbox_fault);
    ck_assert_ptr_nonnull(strstr(inv.result.data, "cannot start a worker"));
    ck_assert_int_eq(t.g->inflight, 0);
    ck_assert_int_eq(t.r->inflight, 0);
    fg_invocation_close(&inv);
    rig_close(&t);
}
END_TEST

START_TEST(test_completion_while_stopping)
{
    struct rig t;
    struct fg_invocation inv;
    struct done_count d = { 0 };
    struct fg_worker *w;

    rig_open(&t);
    w = rig_idle_worker(&t, t.g);
    inv_prepare(&inv, "G", &d);
    fg_router_admit(t.r, t.g, &inv);
    t.r->stopping = true;
    fg_router_finish(t.r, &inv, FG_INV_OK);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_int_eq(w->state, FG_WORKER_DEAD);   /* killed, not reused */
    ck_assert_ptr_null(t.g->idle);
    ck_assert_int_eq(t.g->n_live, 0);
    ck_assert_int_eq(t.g->inflight, 0);
    fg_invocation_close(&inv);
    rig_close(&t);
}
END_TEST

/* ------------------------------------------------------------------ trigger marks */

struct seen_files {
    char paths[8][32];
    long long size[8], mtime[8];
    int n;
};

static void on_file(void *arg, const char *path, long long size, long long mtime_ns)
{
    struct seen_files *s = arg;
    ck_assert_int_lt(s->n, 8);
    snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
    s->size[s->n] = size;
    s->mtime[s->n++] = mtime_ns;
}

START_TEST(test_marks)
{
    struct fg_marks m = { 0 };
    struct seen_files s = { 0 };
    long long last = 0;

    ck_assert(!fg_mark_last_fire(&m, "nightly", &last));
    fg_mark_each_file(&m, "", on_file, &s);
    ck_assert_int_eq(s.n, 0);
    fg_mark_write(&m, FG_MARK_SCHEDULE, "nightly", 1, 0);       /* no store: recorded only */

    fg_mark_add(&m, FG_MARK_FILE, "in/b.txt", 2, 20);
    fg_mark_add(&m, FG_MARK_SCHEDULE, "nightly", 1700000000, 0);
    fg_mark_add(&m, FG_MARK_FILE, "inbox/x", 9, 90);
    fg_mark_add(&m, FG_MARK_FILE, "in/a/deep.txt", 1, 10);
    fg_mark_add(&m, FG_MARK_SCHEDULE, "hourly", 1700003600, 0);
    fg_mark_add(&m, FG_MARK_FILE, "out/c", 3, 30);
    fg_mark_sort(&m);

    ck_assert(fg_mark_last_fire(&m, "nightly", &last));
    ck_assert_int_eq(last, 1700000000);
    ck_assert(fg_mark_last_fire(&m, "hourly", &last));
    ck_assert_int_eq(last, 1700003600);
    ck_assert(!fg_mark_last_fire(&m, "weekly", &last));
    ck_assert(!fg_mark_last_fire(&m, "in/b.txt", &last));        /* a file, not a schedule */

    /* One folder's entries, in key order, with the prefix cut off. */
    fg_mark_each_file(&m, "in/", on_file, &s);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.paths[0], "a/deep.txt");
    ck_assert_int_eq(s.size[0], 1);
    ck_assert_int_eq(s.mtime[0], 10);
    ck_assert_str_eq(s.paths[1], "b.txt");
    s.n = 0;
    fg_mark_each_file(&m, "", on_file, &s);                      /* every file, no schedule */
    ck_assert_int_eq(s.n, 4);
    ck_assert_str_eq(s.paths[2], "inbox/x");
    ck_assert_str_eq(s.paths[3], "out/c");
    s.n = 0;
    fg_mark_each_file(&m, "zzz/", on_file, &s);
    ck_assert_int_eq(s.n, 0);

    /* Written after the load (a reload's new adapter must see them): a later fire wins, an
     * earlier one does not; a gone file hides its entry, a new one joins its folder. */
    fg_mark_seen(&m, FG_MARK_SCHEDULE, "hourly", 1700007200, 0);
    ck_assert(fg_mark_last_fire(&m, "hourly", &last));
    ck_assert_int_eq(last, 1700007200);
    fg_mark_seen(&m, FG_MARK_SCHEDULE, "hourly", 1700000000, 0);
    ck_assert(fg_mark_last_fire(&m, "hourly", &last));
    ck_assert_int_eq(last, 1700007200);
    fg_mark_seen(&m, FG_MARK_SCHEDULE, "weekly", 1700000001, 0);
    ck_assert(fg_mark_last_fire(&m, "weekly", &last));
    ck_assert_int_eq(last, 1700000001);
    fg_mark_seen(&m, FG_MARK_FILE_GONE, "in/b.txt", 0, 0);
    fg_mark_seen(&m, FG_MARK_FILE, "in/new.txt", 5, 50);
    fg_mark_seen(&m, FG_MARK_FILE, "in/a/deep.txt", 7, 70);
    s.n = 0;
    fg_mark_each_file(&m, "in/", on_file, &s);
    ck_assert_int_eq(s.n, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert(strcmp(s.paths[i], "b.txt"));
        if (!strcmp(s.paths[i], "a/deep.txt"))
            ck_assert_int_eq(s.size[i], 7);
        else
            ck_assert_str_eq(s.paths[i], "new.txt");
    }
    fg_mark_close(&m);
    ck_assert_uint_eq(m.n, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("router");

    tcase_add_loop_test(tc, test_admission_slots, 0, (int)(sizeof(admit_cases) / sizeof(admit_cases[0])));
    tcase_add_test(tc, test_admission_rate);
    tcase_add_test(tc, test_admission_throttles);
    tcase_add_test(tc, test_pool_spawns_when_none);
    tcase_add_test(tc, test_pool_prefers_idle_lifo);
    tcase_add_test(tc, test_pool_idle_before_starting);
    tcase_add_test(tc, test_pool_waits_for_warm);
    tcase_add_test(tc, test_pool_warm_takes_claimed);
    tcase_add_loop_test(tc, test_policy_start, 0, (int)(sizeof(start_cases) / sizeof(start_cases[0])));
    tcase_add_test(tc, test_policy_retire_and_climb);
    tcase_add_test(tc, test_cpuload_parse);
    tcase_add_test(tc, test_completion_releases);
    tcase_add_test(tc, test_completion_cold_and_failed);
    tcase_add_test(tc, test_completion_while_stopping);
    tcase_add_test(tc, test_marks);
    return fg_unit_run(s, tc);
}
