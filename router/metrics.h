/* SPDX-License-Identifier: MIT */
/* metrics.h - per-function counters in the shape of CloudWatch's Lambda metrics, and their
 * Prometheus text rendering (GET /metrics on the admin listener).
 *
 * Lambda's Monitor tab shows Invocations, Errors, Throttles, Duration, ConcurrentExecutions;
 * operators scrape the same from fngate. The counters live in each function and are only
 * touched on the loop thread, where invocations end, so the hot path pays a few additions
 * and no lock; rendering runs there too, posted by the admin listener. Tests:
 * tests/integration/test_metrics.py. */
#ifndef FG_METRICS_H
#define FG_METRICS_H

#include <stdbool.h>

#include "../core/buf.h"

/* Duration histogram bounds in milliseconds (Prometheus "le"), then +Inf. */
#define FG_METRICS_BUCKETS 14

struct fg_fn_metrics {
    unsigned long long invocations;      /* delivered to a worker, whatever the outcome */
    unsigned long long errors_function;  /* the function failed (Unhandled, runtime exit, OOM) */
    unsigned long long errors_timeout;   /* it ran past its timeout */
    unsigned long long errors_service;   /* fngate could not run it */
    unsigned long long throttles;        /* refused over reserved or gateway concurrency, or rate */
    unsigned long long duration_bucket[FG_METRICS_BUCKETS + 1];
    double duration_sum_ms;
    unsigned long long init_count;       /* cold starts that asked for work */
    double init_sum_ms;
    int max_memory_mb;                   /* the highest Max Memory Used seen */
};

struct fg_router;

/* Loop thread: the Prometheus text exposition (version 0.0.4) of every function's
 * counters and gauges into out. 0 or a fg_buf error. */
int fg_metrics_render(struct fg_router *r, struct fg_buf *out);

/* Loop thread: records one ended invocation's duration (ms) into m. */
void fg_metrics_observe(struct fg_fn_metrics *m, double duration_ms);

#endif
