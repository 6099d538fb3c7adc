/* SPDX-License-Identifier: MIT */
/* test_poll.c - the pure parts of poll sources and topics: batchItemFailures answers,
 * SQS and SNS records, Kafka and Kinesis events and failure records, filter views, and
 * text that is not UTF-8. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "config/config.h"
#include "core/json_write.h"
#include "triggers/batch_response.h"
#include "triggers/kafka_event.h"
#include "triggers/sqs_event.h"
#include "unit.h"

static const char *const ids3[] = { "1-0", "2-0", "3-0" };

struct bcase {
    const char *resp;
    int rc;
    bool failed[3];
};

static const struct bcase bcases[] = {
    { "", 0, { false, false, false } },
    { "null", 0, { false, false, false } },
    { "{}", 0, { false, false, false } },
    { "{\"batchItemFailures\":[]}", 0, { false, false, false } },
    { "{\"batchItemFailures\":null}", 0, { false, false, false } },
    { "{\"batchItemFailures\":[{\"itemIdentifier\":\"2-0\"}]}", 0, { false, true, false } },
    { "{\"batchItemFailures\":[{\"itemIdentifier\":\"3-0\"},{\"itemIdentifier\":\"1-0\"}]}", 0, { true, false, true } },
    { "{\"batchItemFailures\":[{\"itemIdentifier\":\"9-9\"}]}", -1, { false } },     /* not in the batch */
    { "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", -1, { false } },
    { "{\"batchItemFailures\":[{\"itemIdentifier\":42}]}", -1, { false } },
    { "{\"batchItemFailures\":[{}]}", -1, { false } },
    { "{\"batchItemFailures\":{\"itemIdentifier\":\"1-0\"}}", -1, { false } },
    { "[1,2]", -1, { false } },
    { "\"ok\"", -1, { false } },
    { "{not json", -1, { false } },
};

START_TEST(test_batch_failures)
{
    const struct bcase *c = &bcases[_i];
    bool failed[3];
    int rc = fg_batch_failures(c->resp, strlen(c->resp), ids3, 3, failed);
    ck_assert_msg(rc == c->rc, "%s: rc %d", c->resp, rc);
    if (rc == 0)
        for (int i = 0; i < 3; i++)
            ck_assert_msg(failed[i] == c->failed[i], "%s: item %d", c->resp, i);
}
END_TEST

static json_t *load(const struct fg_buf *b)
{
    json_error_t e;
    json_t *j = json_loadb(b->data, b->len, 0, &e);
    ck_assert_msg(j != NULL, "invalid JSON (%s): %.*s", e.text, (int)b->len, b->data);
    return j;
}

START_TEST(test_sqs_record)
{
    static const char *const fields[] = { "body", "{\"a\":1}", "tenant", "acme" };
    static const size_t lens[] = { 4, 7, 6, 4 };
    struct fg_sqs_source src = { "orders", "fngate", "us-east-1", "123456789012" };
    struct fg_sqs_msg m = { "1700000000123-0", fields, lens, 4, 3, 1700000000999 };
    struct fg_buf b;
    json_t *j, *view;

    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_sqs_record(&b, &src, &m), 0);
    j = load(&b);
    ck_assert_str_eq(json_string_value(json_object_get(j, "messageId")), "1700000000123-0");
    ck_assert_str_eq(json_string_value(json_object_get(j, "body")), "{\"a\":1}");
    ck_assert_str_eq(json_string_value(json_object_get(j, "md5OfBody")), "bb6cb5c68df4652941caf652a366f2d8");
    ck_assert_str_eq(json_string_value(json_object_get(j, "eventSourceARN")), "arn:aws:sqs:us-east-1:123456789012:orders");
    ck_assert_str_eq(json_string_value(json_object_get(j, "eventSource")), "aws:sqs");
    json_t *attrs = json_object_get(j, "attributes");
    ck_assert_str_eq(json_string_value(json_object_get(attrs, "ApproximateReceiveCount")), "3");
    ck_assert_str_eq(json_string_value(json_object_get(attrs, "SentTimestamp")), "1700000000123");
    json_t *ma = json_object_get(json_object_get(j, "messageAttributes"), "tenant");
    ck_assert_str_eq(json_string_value(json_object_get(ma, "stringValue")), "acme");
    ck_assert_str_eq(json_string_value(json_object_get(ma, "dataType")), "String");
    ck_assert_int_eq((int)json_object_size(json_object_get(j, "messageAttributes")), 1);
    view = fg_filter_view(b.data, b.len, "body");
    ck_assert_int_eq((int)json_integer_value(json_object_get(json_object_get(view, "body"), "a")), 1);
    json_decref(view);
    json_decref(j);
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_sqs_record_without_body_field)
{
    static const char *const fields[] = { "sku", "A\"1", "qty", "2" };
    static const size_t lens[] = { 3, 3, 3, 1 };
    struct fg_sqs_source src = { "s", "g", "r", "1" };
    struct fg_sqs_msg m = { "5-1", fields, lens, 4, 1, 0 };
    struct fg_buf b;
    json_t *j, *body;

    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_sqs_record(&b, &src, &m), 0);
    j = load(&b);
    body = json_loads(json_string_value(json_object_get(j, "body")), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(body, "sku")), "A\"1");
    ck_assert_str_eq(json_string_value(json_object_get(body, "qty")), "2");
    ck_assert_int_eq((int)json_object_size(json_object_get(j, "messageAttributes")), 0);
    json_decref(body);
    json_decref(j);
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_text_not_utf8)
{
    struct fg_buf b;
    json_t *j;
    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_json_write_text(&b, "ok \xff\xc3\xa9 \xe2\x82", 9), 0);
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(j), "ok \xef\xbf\xbd\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(j);
    fg_buf_reset(&b);
    ck_assert_int_eq(fg_json_write_text(&b, "plain \"q\"", 9), 0);
    ck_assert_int_eq((int)b.len, 13);
    fg_buf_free(&b);
}
END_TEST

START_TEST(test_sns_event)
{
    struct fg_buf b;
    json_t *j, *sns;
    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_sns_event(&b, "eu-west-1", "123456789012", "alerts", "Fn", "id-1", "hi\n", 3, 0), 0);
    j = load(&b);
    sns = json_object_get(json_array_get(json_object_get(j, "Records"), 0), "Sns");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "Message")), "hi\n");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "TopicArn")), "arn:aws:sns:eu-west-1:123456789012:alerts");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "Type")), "Notification");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "Timestamp")), "1970-01-01T00:00:00.000Z");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "SigningCertUrl")),
                     "https://sns.eu-west-1.fngate.invalid/SimpleNotificationService-fngate.pem");
    ck_assert_str_eq(json_string_value(json_object_get(sns, "UnsubscribeUrl")),
                     "https://sns.eu-west-1.fngate.invalid/?Action=Unsubscribe&SubscriptionArn="
                     "arn:aws:sns:eu-west-1:123456789012:alerts:Fn");
    json_decref(j);
    fg_buf_free(&b);
}
END_TEST

static void kafka_recs(struct fg_kafka_rec r[2], rd_kafka_headers_t **h)
{
    *h = rd_kafka_headers_new(1);
    rd_kafka_header_add(*h, "trace", -1, "\x01\xff", 2);
    r[0] = (struct fg_kafka_rec){ .offset = 41, .timestamp_ms = 1700000000000, .key = "user-1", .key_len = 6,
                                  .value = "{\"kind\":\"a\"}", .value_len = 12, .headers = *h };
    r[1] = (struct fg_kafka_rec){ .offset = 42, .timestamp_ms = 1700000000500, .value = "raw", .value_len = 3 };
}

START_TEST(test_kafka_event)
{
    struct fg_kafka_src src = { "clicks", "127.0.0.1:9092", "us-east-1", "123456789012", FG_FORMAT_KAFKA };
    struct fg_kafka_rec r[2];
    rd_kafka_headers_t *h;
    struct fg_buf b;
    json_t *j, *list, *view;

    kafka_recs(r, &h);
    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_kafka_event(&b, &src, 3, r, 2), 0);
    j = load(&b);
    ck_assert_str_eq(json_string_value(json_object_get(j, "eventSource")), "SelfManagedKafka");
    list = json_object_get(json_object_get(j, "records"), "clicks-3");
    ck_assert_int_eq((int)json_array_size(list), 2);
    ck_assert_int_eq((int)json_integer_value(json_object_get(json_array_get(list, 0), "offset")), 41);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "key")), "dXNlci0x");
    ck_assert(json_is_null(json_object_get(json_array_get(list, 1), "key")));
    json_t *hv = json_object_get(json_array_get(json_object_get(json_array_get(list, 0), "headers"), 0), "trace");
    ck_assert_int_eq((int)json_integer_value(json_array_get(hv, 0)), 1);
    ck_assert_int_eq((int)json_integer_value(json_array_get(hv, 1)), -1);
    view = fg_kafka_filter_view(&src, 3, &r[0]);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(view, "value"), "kind")), "a");
    json_decref(view);
    view = fg_kafka_filter_view(&src, 3, &r[1]);
    ck_assert_str_eq(json_string_value(json_object_get(view, "value")), "raw");
    json_decref(view);
    json_decref(j);

    fg_buf_reset(&b);
    struct fg_kafka_failure f = { "req-1", "arn:aws:lambda:us-east-1:123456789012:function:F", "RetryAttemptsExhausted",
                                  3, "Unhandled", 1700000001000 };
    ck_assert_int_eq(fg_kafka_failure_record(&b, &src, 3, r, 2, &f), 0);
    j = load(&b);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "requestContext"), "condition")),
                     "RetryAttemptsExhausted");
    json_t *info = json_object_get(json_object_get(json_object_get(j, "KafkaBatchInfo"), "recordsInfo"), "clicks-3");
    ck_assert_str_eq(json_string_value(json_object_get(info, "firstRecordOffset")), "41");
    ck_assert_str_eq(json_string_value(json_object_get(info, "lastRecordOffset")), "42");
    ck_assert_str_eq(json_string_value(json_object_get(info, "firstRecordTimestamp")), "2023-11-14T22:13:20.000Z");
    ck_assert_int_eq((int)json_integer_value(json_object_get(json_object_get(j, "KafkaBatchInfo"), "batchSize")), 2);
    json_decref(j);
    fg_buf_free(&b);
    rd_kafka_headers_destroy(h);
}
END_TEST

START_TEST(test_kinesis_event)
{
    struct fg_kafka_src src = { "clicks", "b:1", "us-east-1", "123456789012", FG_FORMAT_KINESIS };
    struct fg_kafka_rec r[2];
    rd_kafka_headers_t *h;
    struct fg_buf b;
    json_t *j, *rec, *view;

    kafka_recs(r, &h);
    fg_buf_init(&b, 1u << 20);
    ck_assert_int_eq(fg_kafka_event(&b, &src, 2, r, 2), 0);
    j = load(&b);
    rec = json_array_get(json_object_get(j, "Records"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "eventID")), "shardId-000000000002:41");
    ck_assert_str_eq(json_string_value(json_object_get(rec, "eventSourceARN")), "arn:aws:kinesis:us-east-1:123456789012:stream/clicks");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rec, "kinesis"), "partitionKey")), "user-1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rec, "kinesis"), "sequenceNumber")), "41");
    ck_assert(json_real_value(json_object_get(json_object_get(rec, "kinesis"), "approximateArrivalTimestamp")) == 1700000000.0);
    view = fg_kafka_filter_view(&src, 2, &r[0]);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(view, "data"), "kind")), "a");
    json_decref(view);
    json_decref(j);
    fg_buf_reset(&b);
    struct fg_kafka_failure f = { "req-1", "arn", "RecordAgeExceeded", 1, NULL, 1700000001000 };
    ck_assert_int_eq(fg_kafka_failure_record(&b, &src, 2, r, 2, &f), 0);
    j = load(&b);
    json_t *info = json_object_get(j, "KinesisBatchInfo");
    ck_assert_str_eq(json_string_value(json_object_get(info, "shardId")), "shardId-000000000002");
    ck_assert_str_eq(json_string_value(json_object_get(info, "startSequenceNumber")), "41");
    ck_assert_str_eq(json_string_value(json_object_get(info, "endSequenceNumber")), "42");
    ck_assert_ptr_null(json_object_get(json_object_get(j, "responseContext"), "functionError"));
    json_decref(j);
    fg_buf_free(&b);
    rd_kafka_headers_destroy(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poll");
    TCase *tc = tcase_create("poll");
    tcase_add_loop_test(tc, test_batch_failures, 0, (int)(sizeof(bcases) / sizeof(bcases[0])));
    tcase_add_test(tc, test_sqs_record);
    tcase_add_test(tc, test_sqs_record_without_body_field);
    tcase_add_test(tc, test_text_not_utf8);
    tcase_add_test(tc, test_sns_event);
    tcase_add_test(tc, test_kafka_event);
    tcase_add_test(tc, test_kinesis_event);
    return fg_unit_run(s, tc);
}
