/* SPDX-License-Identifier: MIT */
/* metrics.c - counters per function and their Prometheus text (see metrics.h). */
#include "metrics.h"

#include <stdio.h>

#include "logstore.h"
#include "router_int.h"
#include "worker.h"

static const double metrics_bounds_ms[FG_METRICS_BUCKETS] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 60000,
};

void fg_metrics_observe(struct fg_fn_metrics *m, double duration_ms)
{
    int i = 0;
    while (i < FG_METRICS_BUCKETS && duration_ms > metrics_bounds_ms[i])
        i++;
    m->duration_bucket[i]++;
    m->duration_sum_ms += duration_ms;
}

/* One family's HELP and TYPE lines. */
static void metrics_head(struct fg_buf *out, const char *name, const char *type, const char *help)
{
    char line[512];
    snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    fg_buf_append_str(out, line);
}

static void metrics_line(struct fg_buf *out, const char *name, const char *fn, const char *extra, double v)
{
    char line[512];
    snprintf(line, sizeof(line), "%s{function=\"%s\"%s} %.17g\n", name, fn, extra ? extra : "", v);
    fg_buf_append_str(out, line);
}

/* Each function's value of one family: get returns it. */
typedef double metrics_get_fn(const struct fg_function *fn);

static void metrics_family(struct fg_buf *out, struct fg_router *r, const char *name, const char *type,
                           const char *help, metrics_get_fn *get)
{
    metrics_head(out, name, type, help);
    for (size_t i = 0; i < r->n_fns; i++)
        metrics_line(out, name, r->fns[i]->conf->name, NULL, get(r->fns[i]));
}

static double m_invocations(const struct fg_function *fn) { return (double)fn->metrics.invocations; }
static double m_throttles(const struct fg_function *fn) { return (double)fn->metrics.throttles; }
static double m_init_count(const struct fg_function *fn) { return (double)fn->metrics.init_count; }
static double m_init_sum(const struct fg_function *fn) { return fn->metrics.init_sum_ms / 1000.0; }
static double m_concurrent(const struct fg_function *fn) { return fn->inflight; }
static double m_workers(const struct fg_function *fn) { return fn->n_live; }
static double m_starting(const struct fg_function *fn) { return fn->n_starting; }
static double m_waiting(const struct fg_function *fn) { return fn->n_waiting; }
static double m_memory(const struct fg_function *fn) { return (double)fn->metrics.max_memory_mb * 1048576.0; }
static double m_memory_size(const struct fg_function *fn) { return (double)fn->conf->memory_mb * 1048576.0; }
static double m_async_ready(const struct fg_function *fn) { return fn->queue.n_ready; }
static double m_async_running(const struct fg_function *fn) { return fn->queue.n_running; }
static double m_async_retrying(const struct fg_function *fn) { return fn->queue.n_retrying; }

static double m_idle(const struct fg_function *fn)
{
    int n = 0;
    for (const struct fg_worker *w = fn->idle; w; w = w->idle_next)
        n++;
    return n;
}

int fg_metrics_render(struct fg_router *r, struct fg_buf *out)
{
    char le[64];

    metrics_family(out, r, "fngate_invocations_total", "counter",
                   "Invocations delivered to a worker (CloudWatch Invocations)", m_invocations);
    metrics_head(out, "fngate_errors_total", "counter",
                 "Invocations that failed, by kind: function (its own error, runtime exit, out of memory), "
                 "timeout, service (fngate could not run it) (CloudWatch Errors)");
    for (size_t i = 0; i < r->n_fns; i++) {
        const struct fg_fn_metrics *m = &r->fns[i]->metrics;
        metrics_line(out, "fngate_errors_total", r->fns[i]->conf->name, ",kind=\"function\"", (double)m->errors_function);
        metrics_line(out, "fngate_errors_total", r->fns[i]->conf->name, ",kind=\"timeout\"", (double)m->errors_timeout);
        metrics_line(out, "fngate_errors_total", r->fns[i]->conf->name, ",kind=\"service\"", (double)m->errors_service);
    }
    metrics_family(out, r, "fngate_throttles_total", "counter",
                   "Invocations refused over a concurrency cap or rate (CloudWatch Throttles)", m_throttles);
    metrics_head(out, "fngate_duration_seconds", "histogram", "Invocation duration (CloudWatch Duration)");
    for (size_t i = 0; i < r->n_fns; i++) {
        const struct fg_fn_metrics *m = &r->fns[i]->metrics;
        unsigned long long cum = 0;
        for (int b = 0; b <= FG_METRICS_BUCKETS; b++) {
            cum += m->duration_bucket[b];
            if (b < FG_METRICS_BUCKETS)
                snprintf(le, sizeof(le), ",le=\"%g\"", metrics_bounds_ms[b] / 1000.0);
            else
                snprintf(le, sizeof(le), ",le=\"+Inf\"");
            metrics_line(out, "fngate_duration_seconds_bucket", r->fns[i]->conf->name, le, (double)cum);
        }
        metrics_line(out, "fngate_duration_seconds_sum", r->fns[i]->conf->name, NULL, m->duration_sum_ms / 1000.0);
        metrics_line(out, "fngate_duration_seconds_count", r->fns[i]->conf->name, NULL, (double)cum);
    }
    metrics_family(out, r, "fngate_init_duration_seconds_sum", "counter",
                   "Total Init Duration of cold starts (CloudWatch InitDuration)", m_init_sum);
    metrics_family(out, r, "fngate_init_duration_seconds_count", "counter", "Cold starts", m_init_count);
    metrics_family(out, r, "fngate_concurrent_executions", "gauge",
                   "Invocations running or waiting for a worker (CloudWatch ConcurrentExecutions)", m_concurrent);
    metrics_family(out, r, "fngate_workers", "gauge", "Worker processes alive", m_workers);
    metrics_family(out, r, "fngate_workers_idle", "gauge", "Warm workers waiting for work", m_idle);
    metrics_family(out, r, "fngate_workers_starting", "gauge", "Workers starting (cold)", m_starting);
    metrics_family(out, r, "fngate_waiting_invocations", "gauge", "Invocations waiting for a warm worker", m_waiting);
    metrics_family(out, r, "fngate_max_memory_used_bytes", "gauge", "Highest Max Memory Used reported", m_memory);
    metrics_family(out, r, "fngate_memory_size_bytes", "gauge", "Configured memory", m_memory_size);
    metrics_family(out, r, "fngate_async_events_ready", "gauge", "Async events due, waiting for a slot", m_async_ready);
    metrics_family(out, r, "fngate_async_events_running", "gauge", "Async events being attempted", m_async_running);
    metrics_family(out, r, "fngate_async_events_retrying", "gauge", "Async events waiting for a retry",
                   m_async_retrying);
    metrics_head(out, "fngate_log_lines_dropped_total", "counter",
                 "Function log lines the log store could not keep (its writer behind, a write failed)");
    snprintf(le, sizeof(le), "fngate_log_lines_dropped_total %llu\n", fg_logstore_dropped(r->logstore));
    fg_buf_append_str(out, le);
    return out->err;
}
