/* SPDX-License-Identifier: MIT */
/* router.c - admission (function lookup, concurrency caps, rate), deadlines, completion,
 * router.h's trigger-state calls (served by mark.c) and the router's lifecycle (see
 * router.h, router_int.h).
 *
 * DESIGN: one admission rule, fg_router_admission(), for both paths. A sync invocation is
 * admitted or refused at once: a caller over a cap gets a throttle, never a queue slot
 * (Lambda answers 429 the same way); the async queue asks the same question and waits
 * instead (async.c). Admitted invocations hold one slot of the function's reserved
 * concurrency and one of the gateway's cap until they finish, however they finish:
 * response, error, timeout, worker crash, shutdown; all of them end in fg_router_finish(),
 * the one place that releases slots and calls done(). */
#include "router.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/assert.h"
#include "../core/fs.h"
#include "../core/log.h"
#include "async.h"
#include "mark.h"
#include "pool.h"
#include "codewatch.h"
#include "logstore.h"
#include "metrics.h"
#include "interp.h"
#include "router_int.h"
#include "runtimes.h"
#include "snapshot.h"
#include "store.h"
#include "worker.h"


/* ------------------------------------------------------------------ helpers */

struct fg_function *fg_router_function(struct fg_router *r, const char *name)
{
    for (size_t i = 0; i < r->n_fns; i++)
        if (!r->fns[i]->removed && !strcmp(r->fns[i]->conf->name, name))
            return r->fns[i];
    return NULL;
}

int fg_router_function_start(struct fg_function *fn, const struct fg_config *conf, struct fg_err *err)
{
    const struct fg_conf_function *c = fn->conf;
    struct fg_interp in;
    int rc;

    /* A language that is not installed stops the start here rather than failing every
     * invocation; a version that is not installed is one warning per runtime name. */
    if ((rc = fg_interp_find(c, &in, err)) < 0)
        return rc;
    if (in.warning[0])
        fg_log(FG_LOG_WARN, "router", "%s", in.warning);
    if ((rc = fg_sandbox_hide_list(&fn->router->sandbox, conf, c, &fn->hide)) < 0)
        return fg_err_set(err, rc, "out of memory");
    if ((rc = fg_mkdirs(fn->tmpdir)) < 0)
        return fg_err_set(err, rc, "function %s: cannot create %s: %s", c->name, fn->tmpdir, strerror(-rc));
    return fg_pool_start(fn, err);
}

struct fg_function *fg_router_function_new(struct fg_router *r, const struct fg_config *conf,
                                           const struct fg_conf_function *c, struct fg_err *err)
{
    struct fg_function *fn = calloc(1, sizeof(*fn));

    if (!fn) {
        fg_err_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    fn->router = r;
    fn->conf = c;
    fg_conf_function_arn(conf, c->name, fn->arn, sizeof(fn->arn));
    snprintf(fn->tmpdir, sizeof(fn->tmpdir), "%s/tmp/%s", conf->state_dir, c->name);
    fg_token_bucket_init(&fn->rate, c->rate.per_second, c->rate.burst, fg_mono_us());
    if (!(fn->series = fg_series_new())) {
        free(fn);
        fg_err_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    return fn;
}

void fg_router_function_free(struct fg_function *fn)
{
    if (!fn)
        return;
    fg_snapshot_free(fn);
    if (fn->tick_ev)
        event_free(fn->tick_ev);
    fg_sandbox_hide_free(fn->hide);
    fg_series_free(fn->series);
    free(fn);
}

/* A removed function is freed once nothing names it: no worker (nor template), nothing
 * running, nothing waiting, nothing in its async queue. */
static bool router_drained(const struct fg_function *fn)
{
    return fn->removed && !fn->workers && !fn->inflight && !fn->wait_head && !fn->queue.ready_head &&
           !fn->queue.n_running && fg_snapshot_idle(fn);
}

static void router_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct fg_router *r = arg;
    size_t k = 0;
    (void)fd;
    (void)what;
    for (size_t i = 0; i < r->n_fns; i++) {
        struct fg_function *fn = r->fns[i];
        if (router_drained(fn)) {
            fg_log(FG_LOG_INFO, "router", "function %s: removed by a reload, drained", fn->conf->name);
            fg_router_function_free(fn);
        } else {
            r->fns[k++] = fn;
        }
    }
    r->n_fns = k;
}

void fg_router_sweep_later(struct fg_router *r)
{
    struct timeval now = { 0, 0 };
    if (!r->stopping)
        event_base_once(r->loop->base, -1, EV_TIMEOUT, router_on_sweep, r, &now);
}

/* ------------------------------------------------------------------ completion */

void fg_router_finish(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st)
{
    struct fg_worker *w = inv->worker;
    struct fg_function *fn = inv->fn;
    long long now_ms = fg_now_ms();

    FG_ASSERT(fg_loop_is_current(r->loop));
    FG_ASSERT(inv->status == FG_INV_PENDING);
    if (inv->timer_armed)
        event_del(&inv->timer);
    inv->timer_armed = false;
    fg_pool_forget(inv);
    if (w) {
        FG_ASSERT(w->inv == inv);
        w->inv = NULL;
        memcpy(w->last_request_id, inv->request_id, sizeof(w->last_request_id));
        inv->worker = NULL;
        if (inv->delivered) {
            inv->duration_ms = (double)(fg_mono_us() - inv->start_us) / 1000.0;
            inv->max_memory_mb = fg_memlimit_peak_mb(&w->mem);
            fg_pool_observe(fn, inv->duration_ms);
            fg_metrics_observe(&fn->metrics, inv->duration_ms);
            fg_series_duration(fn->series, now_ms, inv->duration_ms);
            if (inv->max_memory_mb > fn->metrics.max_memory_mb)
                fn->metrics.max_memory_mb = inv->max_memory_mb;
        }
        fg_pool_worker_released(w);
    }
    if (fn) {
        fn->metrics.invocations++;
        fg_series_count(fn->series, now_ms, FG_SERIES_INVOCATIONS);
        if (st == FG_INV_TIMEOUT)
            fn->metrics.errors_timeout++;
        else if (st == FG_INV_SERVICE_ERROR || (st != FG_INV_OK && inv->sandbox_fault))
            fn->metrics.errors_service++;
        else if (st != FG_INV_OK)
            fn->metrics.errors_function++;
        if (st != FG_INV_OK)
            fg_series_count(fn->series, now_ms, FG_SERIES_ERRORS);
        if (inv->delivered)
            fg_fnlog_end(&r->log, fn->conf->name, inv, fn->conf->memory_mb,
                         st == FG_INV_TIMEOUT ? "timeout" : st == FG_INV_OK ? NULL : "error");
        fn->inflight--;
        r->inflight--;
        inv->fn = NULL;
    }
    inv->status = st;
    inv->done(inv, inv->done_arg);
    fg_async_kick(r);
}

void fg_router_fail(struct fg_router *r, struct fg_invocation *inv, enum fg_inv_status st,
                    const char *error_type, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fg_invocation_error_body(&inv->result, error_type, msg) < 0) {
        /* Out of memory: the status still tells the caller what happened. */
    }
    fg_router_finish(r, inv, st);
}

static void router_on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct fg_invocation *inv = arg;
    struct fg_router *r = inv->router;
    struct fg_worker *w = inv->worker;
    char line[256];
    int n;

    (void)fd;
    (void)what;
    inv->timer_armed = false;
    if (inv->delivered) {
        char ts[32];
        fg_log_iso_time(ts, fg_now_ms());
        fg_worker_drain_output(w);
        n = snprintf(line, sizeof(line), "%s %s Task timed out after %d.00 seconds", ts,
                     inv->request_id, inv->fn->conf->timeout_s);
        fg_fnlog_line(&r->log, inv->fn->conf->name, inv, line, (size_t)n);
        /* Killed first: the failure releases the worker, which must not take another call. */
        fg_worker_kill(w, "invocation timed out");
        fg_router_fail(r, inv, FG_INV_TIMEOUT, "Sandbox.Timedout",
                       "RequestId: %s Error: Task timed out after %d.00 seconds", inv->request_id,
                       inv->fn->conf->timeout_s);
    } else if (!w) {
        /* Waited in the line that long: no worker came free and none could start. */
        fg_router_fail(r, inv, FG_INV_TIMEOUT, "Sandbox.Timedout",
                       "RequestId: %s Error: no execution environment became free within %d.00 seconds",
                       inv->request_id, FG_ROUTER_INIT_TIMEOUT_S);
    } else {
        fg_log(FG_LOG_WARN, "router", "function %s worker %d did not ask for an event within %d s; killing it",
               inv->fn->conf->name, (int)w->pid, FG_ROUTER_INIT_TIMEOUT_S);
        inv->sandbox_fault = true;
        fg_worker_kill(w, "init timeout");
        fg_router_fail(r, inv, FG_INV_TIMEOUT, "Sandbox.Timedout",
                       "RequestId: %s Error: Runtime did not start within %d.00 seconds (it never called /runtime/invocation/next)",
                       inv->request_id, FG_ROUTER_INIT_TIMEOUT_S);
    }
}

/* ------------------------------------------------------------------ admission */

static void router_throttle(struct fg_function *fn, struct fg_invocation *inv, const char *reason, int retry_after_s)
{
    unsigned held;

    fn->metrics.throttles++;
    fg_series_count(fn->series, fg_now_ms(), FG_SERIES_THROTTLES);
    /* A flood of 429s must not fill the disk: one line a second per function at most. */
    if (fg_log_limit_pass(&fn->throttle_log, fg_mono_us(), 1000000, &held))
        fg_log(FG_LOG_WARN, "router", "function %s: throttled (%s, 429; %u more since the last line)",
               fn->conf->name, reason, held);
    inv->throttle_reason = reason;
    inv->retry_after_s = retry_after_s;
    inv->status = FG_INV_THROTTLED;
    inv->done(inv, inv->done_arg);
}

/* A refused async event, on the loop: one line a second per function at most. */
struct router_refusal {
    struct fg_loop_msg msg;
    struct fg_router *router;
    int status;
    char function[72];
    char why[160];
};

static void router_on_refusal(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct router_refusal *m = (struct router_refusal *)((char *)msg - offsetof(struct router_refusal, msg));
    struct fg_function *fn = fg_router_function(m->router, m->function);
    struct fg_log_limit *limit = fn ? &fn->refusal_log : &m->router->refusal_log;
    unsigned held;

    (void)loop;
    if (fg_log_limit_pass(limit, fg_mono_us(), 1000000, &held))
        fg_log(FG_LOG_WARN, "router", "function %s: async event refused (%d, %s; %u more %ssince the last line)",
               m->function, m->status, m->why, held, fn ? "" : "for unknown functions ");
    free(m);
}

void fg_router_log_refusal(struct fg_router *r, const char *function, int status, const char *why)
{
    struct router_refusal *m = calloc(1, sizeof(*m));
    if (!m)
        return;
    m->router = r;
    m->status = status;
    snprintf(m->function, sizeof(m->function), "%s", function);
    snprintf(m->why, sizeof(m->why), "%s", why);
    if (fg_loop_post(r->loop, &m->msg, router_on_refusal) < 0)
        free(m);                         /* stopping: no one is left to read it */
}

void fg_router_arm_init(struct fg_invocation *inv)
{
    struct timeval init = { FG_ROUTER_INIT_TIMEOUT_S, 0 };
    event_add(&inv->timer, &init);
    inv->timer_armed = true;
}

void fg_router_admit(struct fg_router *r, struct fg_function *fn, struct fg_invocation *inv)
{
    long long now_ms = fg_now_ms();
    struct fg_err err;

    inv->router = r;
    inv->status = FG_INV_PENDING;
    if (!inv->request_id[0])
        fg_idgen_uuid4(&r->ids, inv->request_id);
    fn->inflight++;
    r->inflight++;
    inv->fn = fn;
    fg_series_max(fn->series, now_ms, FG_SERIES_CONCURRENT, fn->inflight);
    if (inv->oldest_record_ms > 0)
        fg_series_max(fn->series, now_ms, FG_SERIES_ITERATOR_AGE, now_ms - inv->oldest_record_ms);
    event_assign(&inv->timer, r->loop->base, -1, 0, router_on_timeout, inv);
    fg_router_arm_init(inv);
    if (fg_pool_assign(fn, inv, &err) < 0) {
        fg_log(FG_LOG_ERROR, "router", "%s", err.msg);
        inv->sandbox_fault = true;
        fg_router_fail(r, inv, FG_INV_SERVICE_ERROR, "ServiceException", "%s", err.msg);
    }
}

enum fg_router_verdict fg_router_admission(const struct fg_router *r, struct fg_function *fn,
                                           long long now_us, long long *wait_us)
{
    if (fn->conf->concurrency && fn->inflight >= fn->conf->concurrency)
        return FG_ROUTER_FUNCTION_FULL;
    if (r->inflight >= r->conf->max_concurrency)
        return FG_ROUTER_GATEWAY_FULL;
    if ((*wait_us = fg_token_bucket_take(&fn->rate, now_us)) > 0)
        return FG_ROUTER_RATE_LIMITED;
    return FG_ROUTER_ADMITTED;
}

static void router_on_submit(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_invocation *inv = (struct fg_invocation *)((char *)msg - offsetof(struct fg_invocation, msg));
    struct fg_router *r = inv->router;
    struct fg_function *fn;
    long long wait_us = 0;

    (void)loop;
    if (!inv->request_id[0])
        fg_idgen_uuid4(&r->ids, inv->request_id);
    if (r->stopping) {
        inv->status = FG_INV_SERVICE_ERROR;
        inv->done(inv, inv->done_arg);
        return;
    }
    if (!(fn = fg_router_function(r, inv->function))) {
        inv->status = FG_INV_NOT_FOUND;
        inv->done(inv, inv->done_arg);
        return;
    }
    switch (fg_router_admission(r, fn, fg_mono_us(), &wait_us)) {
    case FG_ROUTER_ADMITTED:
        fg_router_admit(r, fn, inv);
        break;
    case FG_ROUTER_FUNCTION_FULL:
        router_throttle(fn, inv, "ReservedFunctionConcurrentInvocationLimitExceeded", 1);
        break;
    case FG_ROUTER_GATEWAY_FULL:
        router_throttle(fn, inv, "ConcurrentInvocationLimitExceeded", 1);
        break;
    case FG_ROUTER_RATE_LIMITED:
        router_throttle(fn, inv, "FunctionInvocationRateLimitExceeded", (int)((wait_us + 999999) / 1000000));
        break;
    }
}

int fg_router_submit(struct fg_router *r, struct fg_invocation *inv)
{
    inv->router = r;
    inv->status = FG_INV_PENDING;
    return fg_loop_post(r->loop, &inv->msg, router_on_submit);
}

int fg_router_submit_async(struct fg_router *r, struct fg_async_event *ev, char request_id[FG_ID_LEN + 1],
                           fg_store_accept_fn *cb, void *arg)
{
    /* Any thread: r->conf is read once (a reload swaps it; none is ever freed before the
     * router). */
    if (!fg_conf_function(atomic_load(&r->conf), ev->function)) {
        fg_async_event_free(ev);
        return -ENOENT;
    }
    if (!ev->request_id[0])
        fg_idgen_uuid4(&r->ids, ev->request_id);
    if (request_id)
        memcpy(request_id, ev->request_id, FG_ID_LEN + 1);
    if (!ev->accepted_ms)
        ev->accepted_ms = fg_now_ms();
    return fg_async_accept(r, ev, cb, arg);
}

int fg_router_logs(struct fg_router *r, struct fg_log_query *q)
{
    if (!r->logstore)
        return -ENOTSUP;
    /* Any thread: r->conf is read once (a reload swaps it). */
    q->known = q->kind == FG_LOG_QUERY_LINES && fg_conf_function(atomic_load(&r->conf), q->function);
    return fg_logstore_query(r->logstore, q);
}

int fg_router_dlq(struct fg_router *r, struct fg_store_query *q)
{
    return fg_async_query(r, q);
}

int fg_router_test_events(struct fg_router *r, struct fg_store_query *q)
{
    return fg_async_query(r, q);
}

/* Loop thread: c->render into c->json (at most 64 MB), then c->done. */
static void router_on_render(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_router_stats *c = (struct fg_router_stats *)((char *)msg - offsetof(struct fg_router_stats, msg));
    (void)loop;
    fg_buf_init(&c->json, 64u << 20);
    c->rc = c->render(c->router, &c->json);
    c->done(c, c->done_arg);
}

int fg_router_post(struct fg_router *r, struct fg_loop_msg *msg, fg_loop_fn *fn)
{
    return fg_loop_post(r->loop, msg, fn);
}

int fg_router_stats(struct fg_router *r, struct fg_router_stats *c)
{
    c->router = r;
    c->render = fg_async_stats;
    return fg_loop_post(r->loop, &c->msg, router_on_render);
}

int fg_router_metrics(struct fg_router *r, struct fg_prom *p)
{
    FG_ASSERT(fg_loop_is_current(r->loop));
    return fg_metrics_write(r, p);
}

/* ------------------------------------------------------------------ trigger state (mark.c) */

bool fg_router_last_fire(struct fg_router *r, const char *name, long long *last_fire)
{
    return fg_mark_last_fire(&r->marks, name, last_fire);
}

void fg_router_each_file(struct fg_router *r, const char *prefix, fg_router_file_fn *cb, void *arg)
{
    fg_mark_each_file(&r->marks, prefix, cb, arg);
}

void fg_router_mark(struct fg_router *r, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    fg_mark_write(&r->marks, kind, key, a, b);
}

bool fg_router_shared(struct fg_router *r)
{
    return r->async && fg_store_shared(fg_async_store(r));
}

int fg_router_lease(struct fg_router *r, const char *name, const char *prefix, fg_store_lease_fn *cb, void *arg)
{
    return fg_store_lease(fg_async_store(r), name, prefix, cb, arg);
}

/* ------------------------------------------------------------------ children */

static void router_on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    struct fg_router *r = arg;
    int status;
    pid_t pid;

    (void)sig;
    (void)what;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (!fg_worker_on_exit(r, pid, status))
            fg_snapshot_on_exit(r, pid, status);
}

/* ------------------------------------------------------------------ lifecycle */

int fg_router_new(const struct fg_config *conf, struct fg_loop *loop, int fnlog_fd,
                  struct fg_router **out, struct fg_err *err)
{
    struct fg_router *r = calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return fg_err_set(err, -ENOMEM, "out of memory");
    r->conf = conf;
    r->loop = loop;
    r->spawn = fg_worker_spawn;
    fg_idgen_init(&r->ids);
    if ((rc = fg_runtimes_locate(conf, r->runtime_dir, err)) < 0)
        goto fail;
    if ((rc = fg_fnlog_init(&r->log, loop->base, fnlog_fd, conf->log_format, err)) < 0)
        goto fail;
    if ((rc = fg_iam_creds_init(&r->creds)) < 0) {
        fg_err_set(err, rc, "cannot initialise role credentials: %s", strerror(-rc));
        goto fail;
    }
    if (!(r->fns = calloc(conf->n_functions ? conf->n_functions : 1, sizeof(*r->fns)))) {
        rc = fg_err_set(err, -ENOMEM, "out of memory");
        goto fail;
    }
    for (; r->n_fns < conf->n_functions; r->n_fns++)
        if (!(r->fns[r->n_fns] = fg_router_function_new(r, conf, &conf->functions[r->n_fns], err))) {
            rc = err->code;
            goto fail;
        }
    *out = r;
    return 0;
fail:
    fg_router_free(r);
    return rc;
}

int fg_router_start(struct fg_router *r, struct fg_err *err)
{
    int rc;

    fg_memlimit_init(&r->mem);
    fg_sandbox_init(&r->sandbox, r->conf, r->loop->base, fg_memlimit_hierarchy());
    if (r->sandbox.on)
        fg_log(FG_LOG_INFO, "router", "isolation: workers run as uids %d..%d in their own namespaces",
               r->conf->isolation.uid_min, r->conf->isolation.uid_max);
    else if (r->conf->isolation.enabled && geteuid() != 0)
        fg_log(FG_LOG_INFO, "router", "running unprivileged: workers run as fngate's own user, without "
               "isolation (README \"Isolation\")");
    fg_cpuload_init(&r->cpu);
    if (!r->mem.cgroup)
        fg_log(FG_LOG_INFO, "router", "cgroup v1 memory controller not writable: limiting memory with RLIMIT_AS");
    /* Workers forked by a snapshot template are orphaned on purpose (snapshot.c): as a
     * subreaper fngate gets them, and router_on_sigchld reaps them as its own. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return fg_err_set(err, -errno, "cannot become a child subreaper: %s", strerror(errno));
    r->sigchld_ev = evsignal_new(r->loop->base, SIGCHLD, router_on_sigchld, r);
    if (!r->sigchld_ev || event_add(r->sigchld_ev, NULL) < 0)
        return fg_err_set(err, -ENOMEM, "cannot watch SIGCHLD");
    /* The state store first: an unusable state_dir is reported as such. Trigger marks are
     * read before its thread starts. */
    if ((rc = fg_async_open(r, err)) < 0 || (rc = fg_mark_load(&r->marks, fg_async_store(r), err)) < 0 ||
        (rc = fg_async_start(r, err)) < 0)
        return rc;
    /* After the state store: its lock says state_dir is this gateway's alone. */
    if ((rc = fg_logstore_open(r->conf, &r->logstore, err)) < 0)
        return rc;
    r->log.store = r->logstore;
    for (size_t i = 0; i < r->n_fns; i++)
        if ((rc = fg_router_function_start(r->fns[i], r->conf, err)) < 0)
            return rc;
    r->started = true;
    return 0;
}

static void router_stopped_later(evutil_socket_t fd, short what, void *arg)
{
    struct fg_router *r = arg;
    (void)fd;
    (void)what;
    fg_router_check_stopped(r);
}

int fg_router_watch_code(struct fg_router *r, struct fg_err *err)
{
    if (!(r->codewatch = fg_codewatch_new(r, err)))
        return err->code ? err->code : -ENOMEM;
    return 0;
}

const struct fg_config *fg_router_conf(struct fg_router *r)
{
    return atomic_load(&r->conf);
}

bool fg_router_function_live(struct fg_router *r, const char *name, int *concurrent, int *workers)
{
    struct fg_function *fn;
    FG_ASSERT(fg_loop_is_current(r->loop));
    if (!(fn = fg_router_function(r, name)))
        return false;
    *concurrent = fn->inflight;
    *workers = fn->n_live - fn->n_starting;
    return true;
}

bool fg_router_ready(const struct fg_router *r, const char **why)
{
    if (r->stopping)
        *why = "stopping";
    else if (!r->started)
        *why = "starting";
    else if (!fg_async_store((struct fg_router *)r))
        *why = "the state store is not open";
    else if (!fg_store_up(fg_async_store((struct fg_router *)r)))
        *why = "the state store is unreachable";
    else
        return true;
    return false;
}

void fg_router_check_stopped(struct fg_router *r)
{
    fg_router_stopped_fn *cb = r->stopped_cb;
    if (!r->stopping || !cb)
        return;
    for (size_t i = 0; i < r->n_fns; i++)
        if (r->fns[i]->workers)
            return;
    r->stopped_cb = NULL;
    cb(r->stopped_arg);
}

void fg_router_stop(struct fg_router *r, fg_router_stopped_fn *cb, void *arg)
{
    struct timeval now = { 0, 0 };
    r->stopping = true;
    r->stopped_cb = cb;
    r->stopped_arg = arg;
    fg_async_stop(r);
    for (size_t i = 0; i < r->n_fns; i++)
        fg_pool_stop(r->fns[i]);
    fg_fnlog_flush(&r->log);
    /* Even with no workers the callback must not run inside this call. */
    event_base_once(r->loop->base, -1, EV_TIMEOUT, router_stopped_later, r, &now);
}

void fg_router_close_store(struct fg_router *r)
{
    if (!r)
        return;
    fg_async_close_store(r);
    fg_fnlog_flush(&r->log);
    r->log.store = NULL;
    fg_logstore_stop(r->logstore);
}

void fg_router_free(struct fg_router *r)
{
    if (!r)
        return;
    fg_codewatch_free(r->codewatch);
    fg_async_free(r);
    for (size_t i = 0; r->fns && i < r->n_fns; i++)
        fg_router_function_free(r->fns[i]);
    fg_mark_close(&r->marks);
    if (r->sigchld_ev)
        event_free(r->sigchld_ev);
    fg_fnlog_close(&r->log);
    fg_logstore_free(r->logstore);
    fg_sandbox_close(&r->sandbox);
    fg_memlimit_close(&r->mem);
    fg_iam_creds_close(&r->creds);
    free(r->fns);
    free(r);
}

struct fg_iam_creds *fg_router_creds(struct fg_router *r)
{
    return &r->creds;
}
