/* SPDX-License-Identifier: MIT */
/* kafka_stream.h - `- stream:` sources: Kafka topics consumed like Kinesis streams or
 * Lambda's self-managed Kafka event source.
 *
 * DESIGN: records of a partition run in order, one batch at a time per partition (per key
 * lane with parallelization_factor > 1), and an offset is stored for commit only once
 * every record before it succeeded, was filtered out, or was handed to the on-failure
 * destination (durably: the commit waits for the store). A failed batch is retried (split
 * in halves first with bisect_batch_on_function_error) until maximum_retry_attempts or
 * maximum_record_age give it up. When partitions are revoked, their running batches are
 * finished (or abandoned after the function's timeout, uncommitted) and the finished
 * prefix is committed before the revoke completes, so a rebalance neither skips nor
 * replays a committed record.
 *
 * Threads: one consumer thread per source owns the librdkafka consumer, the partitions and
 * the batches; it submits invocations to the router (any-thread API) and learns of their
 * end through a completion list it is woken for. /_fngate/streams shows its counts and the
 * offsets the broker took (the commit callback, on the consumer thread, under the source's
 * lock); GET /metrics its counts and IteratorAge (the timestamp of the oldest record held
 * and not finished, noted by the consumer thread on every pass). Tests:
 * tests/integration/test_stream.py, test_metrics.py. */
#ifndef FG_KAFKA_STREAM_H
#define FG_KAFKA_STREAM_H

#include "kafka_event.h"
#include "trigger.h"

enum fg_start_pos {
    FG_START_TRIM_HORIZON = 0,
    FG_START_LATEST,
    FG_START_AT_TIMESTAMP,
};

/* `- stream: ...`: a Kafka topic consumed like a Kinesis stream or self-managed Kafka
 * (ev->conf). */
struct fg_conf_stream {
    const char *brokers;         /* kafka.brokers: host:port[,host:port] */
    struct fg_conf_pairs properties;  /* kafka.properties: librdkafka settings */
    const char *topic;
    const char *group;           /* default "fngate" */
    int batch_size;              /* 1..10000 (default 100) */
    int window_ms;               /* maximum_batching_window, 0..300 s (default 500 ms) */
    int starting_position;       /* enum fg_start_pos (default TRIM_HORIZON) */
    long long starting_timestamp_ms;  /* with AT_TIMESTAMP */
    int format;                  /* enum fg_stream_format */
    int max_retry_attempts;      /* -1 (forever) or 0..10000 */
    int max_record_age_s;        /* -1 (forever) or 60..604800 */
    bool bisect;                 /* bisect_batch_on_function_error */
    bool report_failures;        /* function_response_types: [ReportBatchItemFailures] */
    struct fg_conf_destination on_failure;  /* default: the dead letters */
    int parallelization_factor;  /* 1..10: batches in flight per partition, by key */
};

/* The adapter: one instance (a consumer thread per stream) serves every stream of the
 * configuration (none: no instance). */
extern const struct fg_trigger_ops fg_stream_trigger;

#endif
