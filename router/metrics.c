/* SPDX-License-Identifier: MIT */
/* metrics.c - counters per function and their Prometheus samples (see metrics.h). */
#include "metrics.h"

#include "async.h"
#include "logstore.h"
#include "router_int.h"
#include "store.h"
#include "worker.h"

static const double metrics_bounds_ms[FG_METRICS_BUCKETS] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 60000,
};

static const double metrics_age_bounds_ms[FG_METRICS_AGE_BUCKETS] = {
    10, 100, 500, 1000, 5000, 10000, 30000, 60000, 300000, 900000, 3600000, 21600000,
};

/* The bucket of v among n bounds (n: above the last). */
static int metrics_bucket(const double *bounds, int n, double v)
{
    int i = 0;
    while (i < n && v > bounds[i])
        i++;
    return i;
}

void fg_metrics_observe(struct fg_fn_metrics *m, double duration_ms)
{
    m->duration_bucket[metrics_bucket(metrics_bounds_ms, FG_METRICS_BUCKETS, duration_ms)]++;
    m->duration_sum_ms += duration_ms;
}

void fg_metrics_observe_age(struct fg_fn_metrics *m, double age_ms)
{
    m->age_bucket[metrics_bucket(metrics_age_bounds_ms, FG_METRICS_AGE_BUCKETS, age_ms)]++;
    m->age_sum_ms += age_ms;
}

static int metrics_idle(const struct fg_function *fn)
{
    int n = 0;
    for (const struct fg_worker *w = fn->idle; w; w = w->idle_next)
        n++;
    return n;
}

/* The families, in the order a scrape shows them. */
enum metrics_family {
    M_INVOCATIONS = 0, M_ERRORS, M_THROTTLES, M_DURATION, M_INIT, M_CONCURRENT, M_WORKERS, M_IDLE, M_STARTING,
    M_WAITING, M_MEMORY, M_MEMORY_SIZE, M_RECEIVED, M_AGE, M_READY, M_RUNNING, M_RETRYING, M_DROPPED, M_DEAD,
    M_DESTINATION, M_COUNT
};

static const struct {
    const char *name;
    enum fg_prom_type type;
    const char *help;
} metrics_families[M_COUNT] = {
    [M_INVOCATIONS] = { "fngate_invocations_total", FG_PROM_COUNTER,
                        "Invocations delivered to a worker (CloudWatch Invocations)" },
    [M_ERRORS] = { "fngate_errors_total", FG_PROM_COUNTER,
                   "Invocations that failed, by kind: function (its own error, runtime exit, out of memory), "
                   "timeout, service (fngate could not run it) (CloudWatch Errors)" },
    [M_THROTTLES] = { "fngate_throttles_total", FG_PROM_COUNTER,
                      "Invocations refused over a concurrency cap or rate (CloudWatch Throttles)" },
    [M_DURATION] = { "fngate_duration_seconds", FG_PROM_HISTOGRAM, "Invocation duration (CloudWatch Duration)" },
    [M_INIT] = { "fngate_init_duration_seconds", FG_PROM_SUMMARY,
                 "Init Duration of cold starts (CloudWatch InitDuration)" },
    [M_CONCURRENT] = { "fngate_concurrent_executions", FG_PROM_GAUGE,
                       "Invocations running or waiting for a worker (CloudWatch ConcurrentExecutions)" },
    [M_WORKERS] = { "fngate_workers", FG_PROM_GAUGE, "Worker processes alive" },
    [M_IDLE] = { "fngate_workers_idle", FG_PROM_GAUGE, "Warm workers waiting for work" },
    [M_STARTING] = { "fngate_workers_starting", FG_PROM_GAUGE, "Workers starting (cold)" },
    [M_WAITING] = { "fngate_waiting_invocations", FG_PROM_GAUGE, "Invocations waiting for a warm worker" },
    [M_MEMORY] = { "fngate_max_memory_used_bytes", FG_PROM_GAUGE, "Highest Max Memory Used reported" },
    [M_MEMORY_SIZE] = { "fngate_memory_size_bytes", FG_PROM_GAUGE, "Configured memory" },
    [M_RECEIVED] = { "fngate_async_events_received_total", FG_PROM_COUNTER,
                     "Async events queued for the function: accepted, destination records sent to it, redriven "
                     "dead letters (CloudWatch AsyncEventsReceived)" },
    [M_AGE] = { "fngate_async_event_age_seconds", FG_PROM_HISTOGRAM,
                "Time from an async event's acceptance to the start of each attempt (CloudWatch AsyncEventAge)" },
    [M_READY] = { "fngate_async_events_ready", FG_PROM_GAUGE, "Async events due, waiting for a slot" },
    [M_RUNNING] = { "fngate_async_events_running", FG_PROM_GAUGE, "Async events being attempted" },
    [M_RETRYING] = { "fngate_async_events_retrying", FG_PROM_GAUGE, "Async events waiting for a retry" },
    [M_DROPPED] = { "fngate_async_events_dropped_total", FG_PROM_COUNTER,
                    "Async events that failed for good, by reason (EventAgeExceeded, RetriesExhausted), then sent to "
                    "the on-failure destination or the dead letters (CloudWatch AsyncEventsDropped)" },
    [M_DEAD] = { "fngate_dead_letters", FG_PROM_GAUGE, "Dead letters in the state store" },
    [M_DESTINATION] = { "fngate_destination_delivery_failures_total", FG_PROM_COUNTER,
                        "Destination records that could not be built or POSTed, each failed attempt "
                        "(CloudWatch DestinationDeliveryFailures)" },
};

int fg_metrics_write(struct fg_router *r, struct fg_prom *p)
{
    double bounds_s[FG_METRICS_BUCKETS], age_bounds_s[FG_METRICS_AGE_BUCKETS];
    struct fg_store *store = r->async ? fg_async_store(r) : NULL;
    struct fg_prom_family *f[M_COUNT];

    for (int b = 0; b < FG_METRICS_BUCKETS; b++)
        bounds_s[b] = metrics_bounds_ms[b] / 1000.0;
    for (int b = 0; b < FG_METRICS_AGE_BUCKETS; b++)
        age_bounds_s[b] = metrics_age_bounds_ms[b] / 1000.0;
    for (int i = 0; i < M_COUNT; i++)
        f[i] = fg_prom_family(p, metrics_families[i].name, metrics_families[i].type, metrics_families[i].help);

    for (size_t i = 0; i < r->n_fns; i++) {
        const struct fg_function *fn = r->fns[i];
        const struct fg_fn_metrics *m = &fn->metrics;
        const char *name = fn->conf->name;
        if (fn->removed)
            continue;           /* draining after a reload; its name may be back, as a new function */
        fg_prom_sample(f[M_INVOCATIONS], (double)m->invocations, "function", name, NULL);
        fg_prom_sample(f[M_ERRORS], (double)m->errors_function, "function", name, "kind", "function", NULL);
        fg_prom_sample(f[M_ERRORS], (double)m->errors_timeout, "function", name, "kind", "timeout", NULL);
        fg_prom_sample(f[M_ERRORS], (double)m->errors_service, "function", name, "kind", "service", NULL);
        fg_prom_sample(f[M_THROTTLES], (double)m->throttles, "function", name, NULL);
        fg_prom_histogram(f[M_DURATION], bounds_s, FG_METRICS_BUCKETS, m->duration_bucket,
                          m->duration_sum_ms / 1000.0, "function", name, NULL);
        fg_prom_summary(f[M_INIT], m->init_count, m->init_sum_ms / 1000.0, "function", name, NULL);
        fg_prom_sample(f[M_CONCURRENT], fn->inflight, "function", name, NULL);
        fg_prom_sample(f[M_WORKERS], fn->n_live, "function", name, NULL);
        fg_prom_sample(f[M_IDLE], metrics_idle(fn), "function", name, NULL);
        fg_prom_sample(f[M_STARTING], fn->n_starting, "function", name, NULL);
        fg_prom_sample(f[M_WAITING], fn->n_waiting, "function", name, NULL);
        fg_prom_sample(f[M_MEMORY], (double)m->max_memory_mb * 1048576.0, "function", name, NULL);
        fg_prom_sample(f[M_MEMORY_SIZE], (double)fn->conf->memory_mb * 1048576.0, "function", name, NULL);
        fg_prom_sample(f[M_RECEIVED], (double)m->async_received, "function", name, NULL);
        fg_prom_histogram(f[M_AGE], age_bounds_s, FG_METRICS_AGE_BUCKETS, m->age_bucket, m->age_sum_ms / 1000.0,
                          "function", name, NULL);
        fg_prom_sample(f[M_READY], fn->queue.n_ready, "function", name, NULL);
        fg_prom_sample(f[M_RUNNING], fn->queue.n_running, "function", name, NULL);
        fg_prom_sample(f[M_RETRYING], fn->queue.n_retrying, "function", name, NULL);
        fg_prom_sample(f[M_DROPPED], (double)m->dropped_age, "function", name, "reason", "EventAgeExceeded", NULL);
        fg_prom_sample(f[M_DROPPED], (double)m->dropped_retries, "function", name, "reason", "RetriesExhausted", NULL);
        if (store)
            fg_prom_sample(f[M_DEAD], (double)fg_store_dlq_count(store, name), "function", name, NULL);
        fg_prom_sample(f[M_DESTINATION], (double)m->destination_failures, "function", name, NULL);
    }
    fg_prom_sample(fg_prom_family(p, "fngate_log_lines_dropped_total", FG_PROM_COUNTER,
                                  "Function log lines the log store could not keep (its writer behind, a write failed)"),
                   (double)fg_logstore_dropped(r->logstore), NULL);
    if (store)
        fg_prom_sample(fg_prom_family(p, "fngate_state_store_up", FG_PROM_GAUGE,
                                      "1 while the state store takes events (the Redis backend: its connection is up)"),
                       fg_store_up(store) ? 1.0 : 0.0, "backend", fg_store_backend(store), NULL);
    return p->err;
}
