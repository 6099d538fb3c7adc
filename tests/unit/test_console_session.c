/* SPDX-License-Identifier: MIT */
/* test_console_session.c - the console's session table (gateway/console_session.c): ids,
 * lifetime, the bound with the oldest evicted, logout. */
#include <string.h>

#include "unit.h"
#include "gateway/console_session.h"

#define HOUR (3600LL * 1000)

START_TEST(test_open_valid_close)
{
    struct fg_console_sessions *s = fg_console_sessions_new(4, 12 * HOUR);
    char a[FG_CONSOLE_SESSION_ID_LEN + 1], b[FG_CONSOLE_SESSION_ID_LEN + 1];

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(fg_console_session_open(s, 1000, a), 0);
    ck_assert_int_eq(fg_console_session_open(s, 1000, b), 0);
    ck_assert_uint_eq(strlen(a), FG_CONSOLE_SESSION_ID_LEN);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), FG_CONSOLE_SESSION_ID_LEN);
    ck_assert_str_ne(a, b);
    ck_assert(fg_console_session_valid(s, a, 2000));
    ck_assert(fg_console_session_valid(s, b, 2000));
    ck_assert(!fg_console_session_valid(s, "", 2000));
    ck_assert(!fg_console_session_valid(s, "00", 2000));
    a[5] = a[5] == '0' ? '1' : '0';                       /* one digit off */
    ck_assert(!fg_console_session_valid(s, a, 2000));
    ck_assert(fg_console_session_close(s, b));
    ck_assert(!fg_console_session_valid(s, b, 2000));
    ck_assert(!fg_console_session_close(s, b));
    fg_console_sessions_free(s);
}
END_TEST

START_TEST(test_lifetime)
{
    struct fg_console_sessions *s = fg_console_sessions_new(4, 12 * HOUR);
    char a[FG_CONSOLE_SESSION_ID_LEN + 1];

    ck_assert_int_eq(fg_console_session_open(s, 5 * HOUR, a), 0);
    ck_assert(fg_console_session_valid(s, a, 17 * HOUR - 1));
    ck_assert(!fg_console_session_valid(s, a, 17 * HOUR));
    ck_assert_uint_eq(fg_console_session_count(s), 0);    /* an expired one is forgotten */
    ck_assert(!fg_console_session_valid(s, a, 6 * HOUR));
    fg_console_sessions_free(s);
}
END_TEST

START_TEST(test_bounded_oldest_evicted)
{
    struct fg_console_sessions *s = fg_console_sessions_new(3, 12 * HOUR);
    char id[5][FG_CONSOLE_SESSION_ID_LEN + 1];

    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fg_console_session_open(s, 100 + i, id[i]), 0);
    ck_assert_uint_eq(fg_console_session_count(s), 3);
    ck_assert_int_eq(fg_console_session_open(s, 200, id[3]), 0);
    ck_assert_uint_eq(fg_console_session_count(s), 3);
    ck_assert(!fg_console_session_valid(s, id[0], 300));  /* the oldest went */
    ck_assert(fg_console_session_valid(s, id[1], 300));
    ck_assert(fg_console_session_valid(s, id[2], 300));
    ck_assert(fg_console_session_valid(s, id[3], 300));
    /* an expired session's slot is taken before any live one */
    ck_assert_int_eq(fg_console_session_open(s, 101 + 12 * HOUR, id[4]), 0);
    ck_assert(!fg_console_session_valid(s, id[1], 101 + 12 * HOUR));
    ck_assert(fg_console_session_valid(s, id[2], 101 + 12 * HOUR));
    ck_assert(fg_console_session_valid(s, id[3], 101 + 12 * HOUR));
    ck_assert(fg_console_session_valid(s, id[4], 101 + 12 * HOUR));
    fg_console_sessions_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("console_session");
    TCase *tc = tcase_create("sessions");
    tcase_add_test(tc, test_open_valid_close);
    tcase_add_test(tc, test_lifetime);
    tcase_add_test(tc, test_bounded_oldest_evicted);
    return fg_unit_run(s, tc);
}
