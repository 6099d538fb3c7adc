/* SPDX-License-Identifier: MIT */
/* kafka_event.c - Kafka and Kinesis event shapes (see kafka_event.h). */
#include "kafka_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../core/base64.h"
#include "../core/json_write.h"
#include "../core/log.h"

static int kafka_b64(struct fg_buf *b, const void *p, size_t n)
{
    if (!p)
        return fg_buf_append_str(b, "null");
    fg_buf_append(b, "\"", 1);
    fg_base64_encode(b, p, n);
    return fg_buf_append(b, "\"", 1);
}

static int kafka_headers(struct fg_buf *b, rd_kafka_headers_t *h)
{
    const char *name;
    const void *val;
    size_t size;
    char num[8];
    fg_buf_append(b, "[", 1);
    for (size_t i = 0; h && rd_kafka_header_get_all(h, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
        fg_buf_append_str(b, i ? ",{" : "{");
        fg_json_write_text(b, name, strlen(name));
        fg_buf_append(b, ":[", 2);
        for (size_t k = 0; k < size; k++) {
            /* Lambda writes header values as arrays of signed bytes (Java's byte). */
            int n = snprintf(num, sizeof(num), "%s%d", k ? "," : "", (int)(signed char)((const char *)val)[k]);
            fg_buf_append(b, num, (size_t)n);
        }
        fg_buf_append(b, "]}", 2);
    }
    return fg_buf_append(b, "]", 1);
}

static int kafka_record(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition, const struct fg_kafka_rec *r)
{
    char head[256];
    int n;
    fg_buf_append_str(b, "{\"topic\":");
    fg_json_write_text(b, src->topic, strlen(src->topic));
    n = snprintf(head, sizeof(head), ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 ",\"timestamp\":%" PRId64
                 ",\"timestampType\":\"CREATE_TIME\",\"key\":", partition, r->offset, r->timestamp_ms);
    fg_buf_append(b, head, (size_t)n);
    kafka_b64(b, r->key, r->key_len);
    fg_buf_append_str(b, ",\"value\":");
    kafka_b64(b, r->value, r->value_len);
    fg_buf_append_str(b, ",\"headers\":");
    kafka_headers(b, r->headers);
    return fg_buf_append(b, "}", 1);
}

static int kinesis_record(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition, const struct fg_kafka_rec *r)
{
    char head[512];
    int n;
    fg_buf_append_str(b, "{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":");
    fg_json_write_text(b, r->key ? r->key : "", r->key ? r->key_len : 0);
    n = snprintf(head, sizeof(head), ",\"sequenceNumber\":\"%" PRId64 "\",\"data\":", r->offset);
    fg_buf_append(b, head, (size_t)n);
    kafka_b64(b, r->value ? r->value : "", r->value ? r->value_len : 0);
    n = snprintf(head, sizeof(head),
                 ",\"approximateArrivalTimestamp\":%.3f},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\","
                 "\"eventID\":\"shardId-%012" PRId32 ":%" PRId64 "\",\"eventName\":\"aws:kinesis:record\","
                 "\"invokeIdentityArn\":\"arn:aws:iam::%s:role/fngate\",\"awsRegion\":\"%s\","
                 "\"eventSourceARN\":\"arn:aws:kinesis:%s:%s:stream/",
                 (double)(r->timestamp_ms >= 0 ? r->timestamp_ms : 0) / 1000.0, partition, r->offset,
                 src->account_id, src->region, src->region, src->account_id);
    fg_buf_append(b, head, (size_t)n);
    fg_json_write_escaped(b, src->topic, strlen(src->topic));
    return fg_buf_append(b, "\"}", 2);
}

int fg_kafka_event(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition,
                   const struct fg_kafka_rec *recs, size_t n)
{
    char part[24];
    if (src->format == FG_FORMAT_KINESIS) {
        fg_buf_append_str(b, "{\"Records\":[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                fg_buf_append(b, ",", 1);
            kinesis_record(b, src, partition, &recs[i]);
        }
        return fg_buf_append_str(b, "]}");
    }
    fg_buf_append_str(b, "{\"eventSource\":\"SelfManagedKafka\",\"bootstrapServers\":");
    fg_json_write_text(b, src->brokers, strlen(src->brokers));
    fg_buf_append_str(b, ",\"records\":{\"");
    fg_json_write_escaped(b, src->topic, strlen(src->topic));
    snprintf(part, sizeof(part), "-%" PRId32 "\":[", partition);
    fg_buf_append_str(b, part);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fg_buf_append(b, ",", 1);
        kafka_record(b, src, partition, &recs[i]);
    }
    return fg_buf_append_str(b, "]}}");
}

/* bytes → the parsed JSON they hold, else a string (U+FFFD for bad UTF-8), else null. */
static json_t *kafka_view_value(const void *p, size_t n)
{
    json_t *v;
    struct fg_buf s;
    if (!p)
        return json_null();
    if ((v = json_loadb(p, n, JSON_DECODE_ANY, NULL)))
        return v;
    fg_buf_init(&s, n * 6 + 2);     /* an escaped byte takes six */
    if (fg_json_write_text(&s, p, n) == 0)
        v = json_loadb(s.data, s.len, JSON_DECODE_ANY, NULL);
    fg_buf_free(&s);
    return v ? v : json_null();
}

json_t *fg_kafka_filter_view(const struct fg_kafka_src *src, int32_t partition, const struct fg_kafka_rec *r)
{
    if (src->format == FG_FORMAT_KINESIS)
        return json_pack("{s:o,s:I,s:o}", "partitionKey", kafka_view_value(r->key, r->key_len), "sequenceNumber",
                         (json_int_t)r->offset, "data", kafka_view_value(r->value, r->value_len));
    return json_pack("{s:s,s:i,s:I,s:I,s:o,s:o}", "topic", src->topic, "partition", (int)partition, "offset",
                     (json_int_t)r->offset, "timestamp", (json_int_t)r->timestamp_ms, "key",
                     kafka_view_value(r->key, r->key_len), "value", kafka_view_value(r->value, r->value_len));
}

int fg_kafka_failure_record(struct fg_buf *b, const struct fg_kafka_src *src, int32_t partition,
                            const struct fg_kafka_rec *recs, size_t n, const struct fg_kafka_failure *f)
{
    char now[32], first[32], last[32], line[1024];
    size_t payload = 0;
    int len;

    fg_log_iso_time(now, f->now_ms);
    fg_log_iso_time(first, n && recs[0].timestamp_ms >= 0 ? recs[0].timestamp_ms : f->now_ms);
    fg_log_iso_time(last, n && recs[n - 1].timestamp_ms >= 0 ? recs[n - 1].timestamp_ms : f->now_ms);
    for (size_t i = 0; i < n; i++)
        payload += recs[i].key_len + recs[i].value_len;
    len = snprintf(line, sizeof(line),
                   "{\"requestContext\":{\"requestId\":\"%s\",\"functionArn\":\"%s\",\"condition\":\"%s\","
                   "\"approximateInvokeCount\":%d},\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\"%s%s%s},"
                   "\"version\":\"1.0\",\"timestamp\":\"%s\",",
                   f->request_id, f->function_arn, f->condition, f->invoke_count,
                   f->function_error ? ",\"functionError\":\"" : "", f->function_error ? f->function_error : "",
                   f->function_error ? "\"" : "", now);
    fg_buf_append(b, line, (size_t)len);
    if (src->format == FG_FORMAT_KINESIS) {
        len = snprintf(line, sizeof(line),
                       "\"KinesisBatchInfo\":{\"shardId\":\"shardId-%012" PRId32 "\",\"startSequenceNumber\":\"%" PRId64
                       "\",\"endSequenceNumber\":\"%" PRId64 "\",\"approximateArrivalOfFirstRecord\":\"%s\","
                       "\"approximateArrivalOfLastRecord\":\"%s\",\"batchSize\":%zu,\"streamArn\":\"arn:aws:kinesis:%s:%s:stream/",
                       partition, n ? recs[0].offset : 0, n ? recs[n - 1].offset : 0, first, last, n, src->region,
                       src->account_id);
        fg_buf_append(b, line, (size_t)len);
        fg_json_write_escaped(b, src->topic, strlen(src->topic));
        return fg_buf_append_str(b, "\"}}");
    }
    fg_buf_append_str(b, "\"KafkaBatchInfo\":{\"batchSize\":");
    len = snprintf(line, sizeof(line), "%zu,\"bootstrapServers\":", n);
    fg_buf_append(b, line, (size_t)len);
    fg_json_write_text(b, src->brokers, strlen(src->brokers));
    len = snprintf(line, sizeof(line), ",\"payloadSize\":%zu,\"recordsInfo\":{\"", payload);
    fg_buf_append(b, line, (size_t)len);
    fg_json_write_escaped(b, src->topic, strlen(src->topic));
    len = snprintf(line, sizeof(line),
                   "-%" PRId32 "\":{\"firstRecordOffset\":\"%" PRId64 "\",\"lastRecordOffset\":\"%" PRId64 "\","
                   "\"firstRecordTimestamp\":\"%s\",\"lastRecordTimestamp\":\"%s\"}}}}",
                   partition, n ? recs[0].offset : 0, n ? recs[n - 1].offset : 0, first, last);
    return fg_buf_append(b, line, (size_t)len);
}
