/* SPDX-License-Identifier: MIT */
/* metrics.h - per-function counters in the shape of CloudWatch's Lambda metrics, and their
 * Prometheus samples (GET /metrics on the admin listener).
 *
 * Lambda's Monitor tab shows Invocations, Errors, Throttles, Duration, ConcurrentExecutions
 * and, for asynchronous invocations, AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped
 * and DestinationDeliveryFailures; operators scrape the same from fngate. The counters live
 * in each function and are only touched on the loop thread, where invocations end and the
 * async queue runs, so the hot path pays a few additions and no lock; the samples are
 * written there too, when the admin listener posts a scrape. Tests:
 * tests/integration/test_metrics.py. */
#ifndef FG_METRICS_H
#define FG_METRICS_H

#include <stdbool.h>

#include "../core/prom.h"

/* Histogram bounds (Prometheus "le"), then +Inf: durations 1 ms..60 s, async event ages
 * 10 ms..6 h (the default maximum event age). */
#define FG_METRICS_BUCKETS 14
#define FG_METRICS_AGE_BUCKETS 12

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
    unsigned long long async_received;   /* events queued for it (AsyncEventsReceived) */
    unsigned long long age_bucket[FG_METRICS_AGE_BUCKETS + 1];  /* at each attempt (AsyncEventAge) */
    double age_sum_ms;
    unsigned long long dropped_age;      /* failed as EventAgeExceeded (AsyncEventsDropped) */
    unsigned long long dropped_retries;  /* failed as RetriesExhausted (AsyncEventsDropped) */
    unsigned long long destination_failures;  /* destination records not delivered */
};

struct fg_router;

/* Loop thread: every function's counters and gauges as samples of p. 0 or p's error. */
int fg_metrics_write(struct fg_router *r, struct fg_prom *p);

/* Loop thread: records one ended invocation's duration (ms) into m. */
void fg_metrics_observe(struct fg_fn_metrics *m, double duration_ms);

/* Loop thread: records the age (ms since it was queued) of an async event whose attempt
 * starts. */
void fg_metrics_observe_age(struct fg_fn_metrics *m, double age_ms);

#endif
