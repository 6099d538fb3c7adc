/* SPDX-License-Identifier: MIT */
/* test_test_event.c - gateway/test_event.h: the console's test event names, the Test
 * button's paths and bodies, and the execution result's JSON. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "gateway/test_event.h"
#include "unit.h"

struct name_case {
    const char *name;
    bool ok;
};

static const struct name_case name_cases[] = {
    { "Test", true },
    { "a", true },
    { "my-event_2", true },
    { "_-_", true },
    { "ABCDEFGHIJKLMNOPQRSTUVWXY", true },      /* 25 */
    { "ABCDEFGHIJKLMNOPQRSTUVWXYZ", false },    /* 26 */
    { "", false },
    { "with space", false },
    { "dot.ted", false },
    { "slash/y", false },
    { "colon:", false },
    { "quote\"", false },
    { "caf\xc3\xa9", false },                   /* letters are ASCII only */
    { "tab\t", false },
};

START_TEST(test_names)
{
    const struct name_case *c = &name_cases[_i];
    ck_assert_msg(fg_test_event_name_ok(c->name, strlen(c->name)) == c->ok, "%s", c->name);
}
END_TEST

START_TEST(test_name_with_nul)
{
    ck_assert(!fg_test_event_name_ok("ab\0cd", 5));
    ck_assert(fg_test_event_name_ok("ab\0cd", 2));
}
END_TEST

/* Parses one request; returns the status (0 for accepted). */
static int parse(const char *method, const char *path, const char *body, struct fg_test_req *t, struct fg_err *err)
{
    return fg_test_event_parse(method, path, strlen(path), body, body ? strlen(body) : 0, t, err);
}

START_TEST(test_paths)
{
    ck_assert(fg_test_event_path("/functions/F/test-events", 24));
    ck_assert(fg_test_event_path("/functions/F/test-events/delete", 31));
    ck_assert(fg_test_event_path("/functions/F/invoke", 19));
    ck_assert(!fg_test_event_path("/functions/F", 12));
    ck_assert(!fg_test_event_path("/functions//invoke", 18));
    ck_assert(!fg_test_event_path("/functions/F/invokes", 20));
    ck_assert(!fg_test_event_path("/functions/F/G/invoke", 21));
    ck_assert(!fg_test_event_path("/functions/F/test-events/", 25));
    /* plen bounds the path: a query string after it is not part of it */
    ck_assert(fg_test_event_path("/functions/F/invoke?x=1", 19));
}
END_TEST

START_TEST(test_requests)
{
    struct fg_test_req t;
    struct fg_err err;

    ck_assert_int_eq(parse("GET", "/functions/Hello%20Lambda/test-events", NULL, &t, &err), 0);
    ck_assert_int_eq(t.op, FG_TEST_LIST);
    ck_assert_str_eq(t.function, "Hello Lambda");
    fg_test_req_close(&t);

    ck_assert_int_eq(parse("POST", "/functions/F/test-events", "{\"name\":\"Test\",\"event\":{\"name\": \"Himanshu\"}}",
                           &t, &err), 0);
    ck_assert_int_eq(t.op, FG_TEST_SAVE);
    ck_assert_str_eq(t.name, "Test");
    ck_assert_str_eq(t.json, "{\"name\":\"Himanshu\"}");
    ck_assert_uint_eq(t.json_len, strlen(t.json));
    fg_test_req_close(&t);

    ck_assert_int_eq(parse("POST", "/functions/F/test-events", "{\"name\":\"n\",\"event\":[1, null]}", &t, &err), 0);
    ck_assert_str_eq(t.json, "[1,null]");
    fg_test_req_close(&t);

    ck_assert_int_eq(parse("POST", "/functions/F/test-events/delete", "{\"name\":\"Test\"}", &t, &err), 0);
    ck_assert_int_eq(t.op, FG_TEST_DELETE);
    ck_assert_str_eq(t.name, "Test");
    fg_test_req_close(&t);

    ck_assert_int_eq(parse("POST", "/functions/F/invoke", "{\"payload\":\"text\"}", &t, &err), 0);
    ck_assert_int_eq(t.op, FG_TEST_INVOKE);
    ck_assert_str_eq(t.json, "\"text\"");
    fg_test_req_close(&t);
    ck_assert_int_eq(parse("POST", "/functions/F/invoke", "{}", &t, &err), 0);
    ck_assert_str_eq(t.json, "{}");
    fg_test_req_close(&t);
    ck_assert_int_eq(parse("POST", "/functions/F/invoke", NULL, &t, &err), 0);
    ck_assert_str_eq(t.json, "{}");
    fg_test_req_close(&t);
}
END_TEST

struct refusal_case {
    const char *method, *path, *body;
    int status;
    const char *message;          /* a part of err.msg */
};

static const struct refusal_case refusal_cases[] = {
    { "POST", "/functions/F/test-events", "{\"name\":\"bad name\",\"event\":{}}", 400, "1 to 25 characters" },
    { "POST", "/functions/F/test-events", "{\"name\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\",\"event\":1}", 400, "name:" },
    { "POST", "/functions/F/test-events", "{\"name\":\"\",\"event\":1}", 400, "name:" },
    { "POST", "/functions/F/test-events", "{\"name\":7,\"event\":1}", 400, "name: required" },
    { "POST", "/functions/F/test-events", "{\"event\":1}", 400, "name: required" },
    { "POST", "/functions/F/test-events", "{\"name\":\"Test\"}", 400, "event: required" },
    { "POST", "/functions/F/test-events", "[1]", 400, "expected a JSON object" },
    { "POST", "/functions/F/test-events", "{nope", 400, "not JSON" },
    { "POST", "/functions/F/test-events", NULL, 400, "not JSON" },
    { "POST", "/functions/F/test-events/delete", "{\"name\":\"a.b\"}", 400, "name:" },
    { "POST", "/functions/F/invoke", "not json", 400, "not JSON" },
    { "DELETE", "/functions/F/test-events", NULL, 405, "use GET (list) or POST (save)" },
    { "GET", "/functions/F/test-events/delete", NULL, 405, "use POST" },
    { "GET", "/functions/F/invoke", NULL, 405, "use POST" },
    { "GET", "/functions/a%2Fb/test-events", NULL, 404, "no function named a%2Fb" },
    { "GET", "/functions/a%00b/test-events", NULL, 404, "no function named" },
    { "GET", "/functions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/test-events", NULL,
      404, "no function named" },
};

START_TEST(test_refusals)
{
    const struct refusal_case *c = &refusal_cases[_i];
    struct fg_test_req t;
    struct fg_err err = { 0, "" };
    int status = parse(c->method, c->path, c->body, &t, &err);
    ck_assert_msg(status == c->status, "%s %s %s: %d %s", c->method, c->path, c->body, status, err.msg);
    ck_assert_msg(strstr(err.msg, c->message), "%s: %s", c->path, err.msg);
    fg_test_req_close(&t);
}
END_TEST

START_TEST(test_result)
{
    struct fg_invocation inv;
    struct fg_buf out;
    json_t *j;

    fg_invocation_init(&inv);
    fg_buf_init(&out, 1 << 20);
    snprintf(inv.request_id, sizeof(inv.request_id), "0123");
    inv.status = FG_INV_OK;
    inv.duration_ms = 1.2345;
    inv.max_memory_mb = 40;
    inv.init_ms = 150.5;
    ck_assert_int_eq(fg_buf_append_str(&inv.result, "{\"message\": \"hi\"}"), 0);
    ck_assert_int_eq(fg_buf_append_str(&inv.log_tail, "START RequestId: 0123\nREPORT\n"), 0);
    ck_assert_int_eq(fg_test_event_result(&inv, 128, &out), 0);
    ck_assert_ptr_nonnull(j = json_loads(out.data, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "requestId")), "0123");
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "succeeded");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "response"), "message")), "hi");
    ck_assert(json_is_null(json_object_get(j, "functionError")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "logs")), "START RequestId: 0123\nREPORT\n");
    ck_assert(json_real_value(json_object_get(j, "durationMs")) > 1.22);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "billedDurationMs")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "memorySizeMb")), 128);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "maxMemoryUsedMb")), 40);
    ck_assert(json_real_value(json_object_get(j, "initDurationMs")) > 150.4);
    json_decref(j);

    /* a failure, a response that is not JSON, a warm start, a log tail over 4 KB */
    fg_buf_reset(&out);
    fg_buf_reset(&inv.result);
    fg_buf_reset(&inv.log_tail);
    inv.status = FG_INV_FUNCTION_ERROR;
    inv.init_ms = 0;
    ck_assert_int_eq(fg_buf_append_str(&inv.result, "not json\x01"), 0);
    for (int i = 0; i < 5000; i++)
        ck_assert_int_eq(fg_buf_append(&inv.log_tail, i < 4 ? "\xc3\xa9" : "x", i < 4 ? 2 : 1), 0);
    ck_assert_int_eq(fg_test_event_result(&inv, 256, &out), 0);
    ck_assert_ptr_nonnull(j = json_loads(out.data, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(j, "functionError")), "Unhandled");
    ck_assert_str_eq(json_string_value(json_object_get(j, "response")), "not json\x01");
    ck_assert_uint_eq(json_string_length(json_object_get(j, "logs")), FG_LOG_TAIL_BYTES);
    ck_assert(json_is_null(json_object_get(j, "initDurationMs")));
    json_decref(j);
    fg_buf_free(&out);
    fg_invocation_close(&inv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("test_event");
    TCase *tc = tcase_create("test_event");

    tcase_add_loop_test(tc, test_names, 0, (int)(sizeof(name_cases) / sizeof(name_cases[0])));
    tcase_add_test(tc, test_name_with_nul);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_requests);
    tcase_add_loop_test(tc, test_refusals, 0, (int)(sizeof(refusal_cases) / sizeof(refusal_cases[0])));
    tcase_add_test(tc, test_result);
    return fg_unit_run(s, tc);
}
