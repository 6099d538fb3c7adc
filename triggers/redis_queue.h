/* SPDX-License-Identifier: MIT */
/* redis_queue.h - `- queue:` sources: Redis streams consumed like SQS queues.
 *
 * DESIGN: a message is acknowledged (XACK) only after the function succeeded with it, so a
 * crash, a timeout or a lost connection leaves it in the group's pending list, and it comes
 * back once it has been idle for visibility_timeout (XPENDING IDLE + XCLAIM, which also
 * counts the receive). A message received more than max_receive_count times moves to the
 * dead-letter stream and is acknowledged in one MULTI/EXEC. Each source reads on one
 * connection (XREADGROUP blocks it) and writes on another, both kept up by redis.c. Every
 * second the writer asks XPENDING's summary for the oldest pending entry, whose id's time
 * is the source's IteratorAge in GET /metrics. Loop thread only. Tests:
 * tests/integration/test_queue.py, test_metrics.py. */
#ifndef FG_REDIS_QUEUE_H
#define FG_REDIS_QUEUE_H

#include "trigger.h"

/* `- queue: ...`: a Redis stream consumed through a consumer group, like SQS (ev->conf). */
struct fg_conf_queue {
    const char *redis;           /* redis://[[user]:password@]host[:port][/db] */
    const char *stream;
    const char *group;           /* default "fngate" */
    int batch_size;              /* 1..10000 (default 10) */
    int window_ms;               /* maximum_batching_window, 0..300 s (default 0) */
    int visibility_timeout_s;    /* 0..43200 (default 30); at least the function's timeout */
    int max_receive_count;       /* 0: never redrive; 1..1000 (default 5 with a dead-letter stream) */
    const char *dead_letter_stream;  /* NULL: failed messages stay in the stream */
    bool report_failures;        /* function_response_types: [ReportBatchItemFailures] */
    int max_concurrency;         /* batches in flight (default: the function's concurrency, else 5) */
};

/* The adapter: one instance consumes every queue of the configuration (filters compiled,
 * URLs parsed by new; none: no instance). */
extern const struct fg_trigger_ops fg_queue_trigger;

#endif
