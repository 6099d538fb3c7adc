/* SPDX-License-Identifier: MIT */
/* test_s3_event.c - triggers/s3_event.h: the S3 notification record, S3's key encoding, and
 * the async event that carries a record (whole or not at all). */
#include <check.h>
#include <jansson.h>
#include <errno.h>
#include <string.h>

#include "core/filter.h"

#include "triggers/s3_event.h"
#include "unit.h"

START_TEST(test_key_encoding)
{
    static const struct { const char *key, *want; } v[] = {
        { "images/cat.jpg", "images/cat.jpg" },
        { "my file (1).jpg", "my+file+%281%29.jpg" },
        { "a+b=c&d", "a%2Bb%3Dc%26d" },
        { "star*dash-under_dot.", "star*dash-under_dot." },
        { "caf\xc3\xa9/\xe2\x98\x83", "caf%C3%A9/%E2%98%83" },
        { "quote\"back\\slash~", "quote%22back%5Cslash%7E" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct fg_buf b;
        fg_buf_init(&b, 4096);
        ck_assert_int_eq(fg_s3_key_encode(&b, v[i].key, strlen(v[i].key)), 0);
        ck_assert_str_eq(b.data ? b.data : "", v[i].want);
        fg_buf_free(&b);
    }
}
END_TEST

START_TEST(test_record_shape)
{
    char seq[17];
    struct fg_buf b;
    json_t *j, *r, *s3, *o;
    struct fg_s3_event_info e = {
        .event_name = "ObjectCreated:Put", .bucket = "uploads", .key = "images/my cat.jpg", .size = 1024,
        .etag = "0cc175b9c0f1b6a831c399e269772661", .time_ms = 1700000000123LL, .region = "us-east-1",
        .source_ip = "127.0.0.1", .config_id = "Thumbnail-fs-1", .request_id = "REQ1",
    };
    fg_s3_sequencer(0x1A2B, seq);
    ck_assert_str_eq(seq, "0000000000001A2B");
    e.sequencer = seq;
    fg_buf_init(&b, 1 << 16);
    ck_assert_int_eq(fg_s3_event(&b, &e), 0);
    ck_assert_ptr_nonnull(j = json_loads(b.data, 0, NULL));
    r = json_array_get(json_object_get(j, "Records"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(r, "eventVersion")), "2.1");
    ck_assert_str_eq(json_string_value(json_object_get(r, "eventSource")), "aws:s3");
    ck_assert_str_eq(json_string_value(json_object_get(r, "awsRegion")), "us-east-1");
    ck_assert_str_eq(json_string_value(json_object_get(r, "eventTime")), "2023-11-14T22:13:20.123Z");
    ck_assert_str_eq(json_string_value(json_object_get(r, "eventName")), "ObjectCreated:Put");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "requestParameters"), "sourceIPAddress")), "127.0.0.1");
    s3 = json_object_get(r, "s3");
    ck_assert_str_eq(json_string_value(json_object_get(s3, "s3SchemaVersion")), "1.0");
    ck_assert_str_eq(json_string_value(json_object_get(s3, "configurationId")), "Thumbnail-fs-1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s3, "bucket"), "name")), "uploads");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s3, "bucket"), "arn")), "arn:aws:s3:::uploads");
    o = json_object_get(s3, "object");
    ck_assert_str_eq(json_string_value(json_object_get(o, "key")), "images/my+cat.jpg");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "size")), 1024);
    ck_assert_str_eq(json_string_value(json_object_get(o, "eTag")), e.etag);
    ck_assert_str_eq(json_string_value(json_object_get(o, "sequencer")), seq);
    json_decref(j);

    /* A removal carries no size and no eTag, as in S3. */
    fg_buf_reset(&b);
    e.event_name = "ObjectRemoved:Delete";
    ck_assert_int_eq(fg_s3_event(&b, &e), 0);
    ck_assert_ptr_nonnull(j = json_loads(b.data, 0, NULL));
    o = json_object_get(json_object_get(json_array_get(json_object_get(j, "Records"), 0), "s3"), "object");
    ck_assert_ptr_null(json_object_get(o, "size"));
    ck_assert_ptr_null(json_object_get(o, "eTag"));
    ck_assert_str_eq(json_string_value(json_object_get(o, "key")), "images/my+cat.jpg");
    json_decref(j);
    fg_buf_free(&b);
}
END_TEST

static const struct fg_s3_event_info new_info = {
    .event_name = "ObjectCreated:Put", .bucket = "uploads", .key = "images/a b.jpg", .size = 3,
    .etag = "900150983cd24fb0d6963f7d28e17f72", .sequencer = "0000000000000001", .time_ms = 1700000000000LL,
    .region = "us-east-1", .config_id = "W-fs-1", .request_id = "REQ1",
};

/* The record whole, or no event: a ceiling one byte short of the record (and any smaller
 * one) gives -FG_ETOOBIG and nothing to submit, never a truncated record. The folder
 * trigger once committed what the buffer held when its build failed. */
START_TEST(test_event_new_whole_or_nothing)
{
    struct fg_async_event *ev = (struct fg_async_event *)&ev;
    struct fg_buf want;
    size_t len;

    fg_buf_init(&want, 1 << 16);
    ck_assert_int_eq(fg_s3_event(&want, &new_info), 0);
    len = want.len;
    const size_t short_by[] = { 1, 2, len / 2, len - 1, len };
    for (size_t i = 0; i < sizeof(short_by) / sizeof(short_by[0]); i++) {
        ev = (struct fg_async_event *)&ev;
        ck_assert_int_eq(fg_s3_event_new(&new_info, NULL, "W", len - short_by[i], &ev), -FG_ETOOBIG);
        ck_assert_ptr_null(ev);
    }
    ck_assert_int_eq(fg_s3_event_new(&new_info, NULL, "W", len, &ev), 0);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->function, "W");
    ck_assert_uint_eq(ev->payload_len, len);
    ck_assert_mem_eq(ev->payload, want.data, len);
    fg_async_event_free(ev);
    fg_buf_free(&want);
}
END_TEST

START_TEST(test_event_new_filtered)
{
    static const char *const pass[] = { "{\"s3\":{\"object\":{\"key\":[{\"prefix\":\"images/\"}]}}}" };
    static const char *const drop[] = { "{\"s3\":{\"object\":{\"key\":[{\"prefix\":\"docs/\"}]}}}" };
    struct fg_filter *fp, *fd;
    struct fg_async_event *ev = NULL;
    struct fg_err err;

    ck_assert_int_eq(fg_filter_compile(pass, 1, &fp, &err), 0);
    ck_assert_int_eq(fg_filter_compile(drop, 1, &fd, &err), 0);
    ck_assert_int_eq(fg_s3_event_new(&new_info, fd, "W", 1 << 20, &ev), FG_S3_EVENT_FILTERED);
    ck_assert_ptr_null(ev);
    ck_assert_int_eq(fg_s3_event_new(&new_info, fp, "W", 1 << 20, &ev), 0);
    ck_assert_ptr_nonnull(ev);
    fg_async_event_free(ev);
    fg_filter_free(fp);
    fg_filter_free(fd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("s3_event");
    TCase *tc = tcase_create("s3_event");
    tcase_add_test(tc, test_key_encoding);
    tcase_add_test(tc, test_record_shape);
    tcase_add_test(tc, test_event_new_whole_or_nothing);
    tcase_add_test(tc, test_event_new_filtered);
    return fg_unit_run(s, tc);
}
