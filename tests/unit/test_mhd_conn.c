/* SPDX-License-Identifier: MIT */
/* test_mhd_conn.c - gateway/mhd_conn.h's pure parts: which Content-Length values
 * libmicrohttpd 0.9.75 refuses (so the listener answers them itself, once), and the query
 * size it cannot hold. The connection bookkeeping runs in tests/integration/test_http.py. */
#include <check.h>
#include <string.h>

#include "gateway/mhd_conn.h"
#include "unit.h"

START_TEST(test_content_length_status)
{
    static const struct {
        const char *value;
        int status;
    } rows[] = {
        { "0", 0 }, { "5", 0 }, { "007", 0 }, { "18446744073709551615", 0 },
        { "", 400 }, { "-1", 400 }, { "+5", 400 }, { "1e3", 400 }, { "0x10", 400 }, { "5 5", 400 },
        { "5 ", 400 }, { " 5", 400 }, { "5,5", 400 }, { "abc", 400 },
        { "18446744073709551616", 413 }, { "99999999999999999999", 413 }, { "184467440737095516150", 413 },
        { "99999999999999999999x", 413 },   /* MHD gives up at the overflow, before the x */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        ck_assert_msg(fg_mhd_content_length_status(rows[i].value) == rows[i].status, "'%s': got %d, want %d",
                      rows[i].value, fg_mhd_content_length_status(rows[i].value), rows[i].status);
    ck_assert_int_eq(fg_mhd_content_length_status(NULL), 400);
}
END_TEST

START_TEST(test_query_too_big)
{
    ck_assert(!fg_mhd_query_too_big("/a?x=1&y=2", 16384));
    ck_assert(!fg_mhd_query_too_big("/no-query", 16384));
    ck_assert(fg_mhd_query_too_big("/a?x=1&y=2&z=3", 300));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mhd_conn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_content_length_status);
    tcase_add_test(tc, test_query_too_big);
    return fg_unit_run(s, tc);
}
