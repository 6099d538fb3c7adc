/* SPDX-License-Identifier: MIT */
/* test_invoke_api.c - gateway/invoke_api.h: names, ARNs, qualifiers (Invoke's and
 * InvokeWithResponseStream's paths), invocation types. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "gateway/invoke_api.h"
#include "unit.h"

struct name_case {
    const char *path;
    int rc;
    const char *name;
};

static const struct name_case name_cases[] = {
    { "/2015-03-31/functions/HelloLambda/invocations", 0, "HelloLambda" },
    { "/2015-03-31/functions/HelloLambda%3A%24LATEST/invocations", 0, "HelloLambda" },
    { "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3AHello/invocations", 0, "Hello" },
    { "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:Hello:$LATEST/invocations", 0, "Hello" },
    { "/2015-03-31/functions/000000000000:function:Hello/invocations", 0, "Hello" },
    { "/2015-03-31/functions/Hello:prod/invocations", -EINVAL, NULL },
    { "/2015-03-31/functions/Hello/configuration", -ENOENT, NULL },
    { "/2015-03-31/functions//invocations", -EINVAL, NULL },
    { "/other", -ENOENT, NULL },
    /* InvokeWithResponseStream's path, and each prefix only with its own suffix. */
    { "/2021-11-15/functions/Hello/response-streaming-invocations", 0, "Hello" },
    { "/2021-11-15/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3AHello/response-streaming-invocations",
      0, "Hello" },
    { "/2021-11-15/functions/Hello/invocations", -ENOENT, NULL },
    { "/2015-03-31/functions/Hello/response-streaming-invocations", -ENOENT, NULL },
};

START_TEST(test_function_names)
{
    const struct name_case *c = &name_cases[_i];
    char name[72];
    struct fg_err err;
    int rc = fg_invoke_api_function(c->path, name, sizeof(name), &err);
    ck_assert_msg(rc == c->rc, "case %d: rc %d want %d", _i, rc, c->rc);
    if (!rc)
        ck_assert_str_eq(name, c->name);
}
END_TEST

START_TEST(test_types)
{
    enum fg_invoke_type t;
    ck_assert_int_eq(fg_invoke_api_type(NULL, &t), 0);
    ck_assert_int_eq(t, FG_INVOKE_REQUEST_RESPONSE);
    ck_assert_int_eq(fg_invoke_api_type("Event", &t), 0);
    ck_assert_int_eq(t, FG_INVOKE_EVENT);
    ck_assert_int_eq(fg_invoke_api_type("DryRun", &t), 0);
    ck_assert_int_eq(t, FG_INVOKE_DRY_RUN);
    ck_assert_int_eq(fg_invoke_api_type("Later", &t), -EINVAL);
}
END_TEST

START_TEST(test_results)
{
    struct fg_invocation inv;
    struct fg_invoke_answer a;

    fg_invocation_init(&inv);
    inv.status = FG_INV_THROTTLED;
    inv.throttle_reason = "ReservedFunctionConcurrentInvocationLimitExceeded";
    fg_invoke_api_result(&a, &inv, "arn:x");
    ck_assert_int_eq(a.status, 429);
    ck_assert_str_eq(a.error_type, "TooManyRequestsException");
    ck_assert_str_eq(a.retry_after, "1");
    ck_assert_ptr_nonnull(strstr(a.body.data, "\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\""));
    fg_invoke_api_answer_close(&a);

    inv.status = FG_INV_TIMEOUT;
    ck_assert_int_eq(fg_buf_append(&inv.result, "{\"errorType\":\"Sandbox.Timedout\"}", 32), 0);
    inv.want_log_tail = true;
    ck_assert_int_eq(fg_buf_append(&inv.log_tail, "START\n", 6), 0);
    fg_invoke_api_result(&a, &inv, "arn:x");
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.function_error, "Unhandled");
    ck_assert_str_eq(a.log_result, "U1RBUlQK");
    ck_assert_str_eq(a.body.data, "{\"errorType\":\"Sandbox.Timedout\"}");
    fg_invoke_api_answer_close(&a);
    fg_invocation_close(&inv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("invoke_api");
    TCase *tc = tcase_create("invoke_api");

    tcase_add_loop_test(tc, test_function_names, 0, (int)(sizeof(name_cases) / sizeof(name_cases[0])));
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_results);
    return fg_unit_run(s, tc);
}
