/* SPDX-License-Identifier: MIT */
/* test_cost_report.c - gateway/cost_report.h: the window starts at its whole hour, the
 * bill of a usage document is core/pricing.h's (the month's earlier use takes its free tier
 * first), a named function gets its share (zeros when it used nothing), and the JSON is
 * what `fngate cost --json` prints. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cost_report.h"
#include "unit.h"

#define HOUR 3600000LL
/* 2025-12-02T00:00:00Z */
#define DAY 1764633600000LL

START_TEST(test_window)
{
    ck_assert_int_eq(fg_cost_window_start(DAY), DAY);
    ck_assert_int_eq(fg_cost_window_start(DAY + 1), DAY);
    ck_assert_int_eq(fg_cost_window_start(DAY + HOUR - 1), DAY);
    ck_assert_int_eq(fg_cost_window_start(DAY + HOUR), DAY + HOUR);
}
END_TEST

START_TEST(test_bill)
{
    /* 1 GB-s free a month; A used 2 GB-s before the window (taking the free one), then A 2
     * GB-s and B 1 GB-s in it: 3 billed GB-s at $1, shared 2:1. */
    const struct fg_pricing p = { 1e6, 1.0, 0, 1 };
    const char *doc = "{\"usage\":["
                      "{\"hour\":1764633600000,\"function\":\"A\",\"memory_mb\":1024,\"requests\":1,\"billed_ms\":2000},"
                      "{\"hour\":1764640800000,\"function\":\"A\",\"memory_mb\":1024,\"requests\":1,\"billed_ms\":2000},"
                      "{\"hour\":1764640800000,\"function\":\"B\",\"memory_mb\":2048,\"requests\":2,\"billed_ms\":500}]}";
    json_t *usage = json_loads(doc, 0, NULL), *j;
    struct fg_cost_report r;
    struct fg_err err;

    ck_assert_int_eq(fg_cost_report_build(&r, &p, usage, NULL, DAY + 2 * HOUR, &err), 0);
    ck_assert_int_eq(r.n_rows, 2);
    ck_assert_str_eq(r.rows[0].function, "A");
    ck_assert(r.rows[0].bill.gb_seconds == 2 && r.rows[1].bill.gb_seconds == 1);
    ck_assert(r.total.billed_gb_seconds == 3 && r.total.duration_cost == 3 && r.total.requests == 3);
    j = fg_cost_report_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "since_ms")), DAY + 2 * HOUR);
    ck_assert_str_eq(json_string_value(json_object_get(j, "since")), "2025-12-02T02:00:00.000Z");
    ck_assert_int_eq(json_array_size(json_object_get(j, "functions")), 2);
    ck_assert(json_real_value(json_object_get(json_object_get(j, "total"), "total")) == r.total.total);
    ck_assert(json_real_value(json_object_get(json_object_get(j, "pricing"), "gb_second")) == 1.0);
    json_decref(j);
    fg_cost_report_close(&r);

    /* One function: its share, and the total is its own. */
    ck_assert_int_eq(fg_cost_report_build(&r, &p, usage, "B", DAY + 2 * HOUR, &err), 0);
    ck_assert_int_eq(r.n_rows, 1);
    ck_assert(r.rows[0].bill.gb_seconds == 1 && r.total.gb_seconds == 1);
    fg_cost_report_close(&r);
    ck_assert_int_eq(fg_cost_report_build(&r, &p, usage, "Nobody", DAY, &err), 0);
    ck_assert(r.n_rows == 1 && !strcmp(r.rows[0].function, "Nobody") && r.total.total == 0);
    fg_cost_report_close(&r);
    json_decref(usage);

    /* Not a usage answer. */
    usage = json_loads("{\"message\":\"no\"}", 0, NULL);
    ck_assert_int_lt(fg_cost_report_build(&r, &p, usage, NULL, DAY, &err), 0);
    fg_cost_report_close(&r);
    json_decref(usage);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cost_report");
    TCase *tc = tcase_create("cost_report");
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_bill);
    return fg_unit_run(s, tc);
}
