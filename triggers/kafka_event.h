/* SPDX-License-Identifier: MIT */
/* kafka_event.h - a batch of Kafka records as the event a Lambda handler expects, and the
 * record an on-failure destination gets when a batch is given up.
 *
 * format kafka is Lambda's self-managed Kafka event (records grouped under "TOPIC-PARTITION",
 * key and value base64, headers as byte arrays); format kinesis is Kinesis records (the key
 * is the partitionKey, the offset the sequenceNumber, the partition the shard). Either
 * way a partial batch answer names records by their offset as a decimal string. Filters
 * see {topic, partition, offset, timestamp, key, value} (kafka) or {partitionKey,
 * sequenceNumber, data} (kinesis), with key/value/data parsed when they are JSON. Pure.
 * Tests: tests/unit/test_poll.c. */
#ifndef FG_KAFKA_EVENT_H
#define FG_KAFKA_EVENT_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"

enum fg_stream_format {
    FG_FORMAT_KAFKA = 0,         /* self-managed Kafka event */
    FG_FORMAT_KINESIS,           /* Kinesis records */
};

struct fg_kafka_src {
    const char *topic, *brokers;
    const char *region, *account_id;
    int format;                      /* enum fg_stream_format */
};

struct fg_kafka_rec {
    int64_t offset;
    int64_t timestamp_ms;            /* -1 when the broker gave none */
    const void *key, *value;         /* NULL for a null key / tombstone */
    size_t key_len, value_len;
    rd_kafka_headers_t *headers;     /* borrowed; NULL when none */
};

/* Appends the event for recs[0..n) of one partition. 0 or a fg_buf error. */
int fg_kafka_event(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition,
                   const struct fg_kafka_rec *recs, size_t n) FG_MUST_CHECK;

/* What a filter pattern sees of one record. New reference, or NULL (no memory). */
json_t *fg_kafka_filter_view(const struct fg_kafka_src *src, int32_t partition, const struct fg_kafka_rec *r);

struct fg_kafka_failure {
    const char *request_id;          /* the last attempt's */
    const char *function_arn;
    const char *condition;           /* "RetryAttemptsExhausted" or "RecordAgeExceeded" */
    int invoke_count;
    const char *function_error;      /* "Unhandled", or NULL when the function answered */
    long long now_ms;
};

/* Appends the on-failure record: requestContext, responseContext, version, timestamp and
 * KafkaBatchInfo (format kafka) or KinesisBatchInfo (format kinesis) for recs[0..n).
 * 0 or a fg_buf error. */
int fg_kafka_failure_record(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition,
                            const struct fg_kafka_rec *recs, size_t n, const struct fg_kafka_failure *f) FG_MUST_CHECK;

#endif
