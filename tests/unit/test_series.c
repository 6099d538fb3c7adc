/* SPDX-License-Identifier: MIT */
/* test_series.c - router/series.h: a function's ring of one-minute buckets advancing with
 * the wall clock, idle minutes reading as zeros, points merged over a period's steps (sums,
 * maxima, "none"), the duration histogram's bins and its p99 against known distributions
 * (within the stated 12.3%), a bin that overflows 16 bits, and the 24 h wrap. No clock: the
 * tests pass the time. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "router/series.h"
#include "unit.h"

/* 2026-03-10T10:00:00Z, a multiple of 10 minutes. */
#define T0 1773136800000LL
#define MIN FG_SERIES_MINUTE_MS
#define M0 (T0 / MIN)

static struct fg_series_point merged(const struct fg_series *s, long long first_minute, int n)
{
    struct fg_series_point pt;
    fg_series_merge(s, first_minute, n, &pt);
    return pt;
}

/* n runs of ms each in t's minute. */
static void runs(struct fg_series *s, long long t, double ms, int n)
{
    for (int i = 0; i < n; i++)
        fg_series_duration(s, t, ms);
}

static void check_near(double got, double want, double rel)
{
    ck_assert_msg(fabs(got - want) <= rel * want, "got %.3f, want %.3f within %.1f%%", got, want, rel * 100);
}

START_TEST(test_series_advances_by_minute)
{
    struct fg_series *s = fg_series_new();
    struct fg_series_point pt;

    ck_assert_ptr_nonnull(s);
    fg_series_count(s, T0 + 1000, FG_SERIES_INVOCATIONS);
    fg_series_count(s, T0 + 59999, FG_SERIES_INVOCATIONS);
    fg_series_count(s, T0 + 59999, FG_SERIES_ERRORS);
    fg_series_count(s, T0 + MIN, FG_SERIES_INVOCATIONS);       /* the next minute */
    fg_series_count(s, T0 + MIN, FG_SERIES_THROTTLES);
    fg_series_count(s, T0 + MIN + 5, FG_SERIES_DEAD_LETTERS);
    pt = merged(s, M0, 1);
    ck_assert_int_eq(pt.t_ms, T0);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 2);
    ck_assert_uint_eq(pt.count[FG_SERIES_ERRORS], 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_THROTTLES], 0);
    pt = merged(s, M0 + 1, 1);
    ck_assert_int_eq(pt.t_ms, T0 + MIN);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_THROTTLES], 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_DEAD_LETTERS], 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_ERRORS], 0);
    /* Nothing before the first record. */
    pt = merged(s, M0 - 1, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 0);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_gaps_read_as_zeros)
{
    struct fg_series *s = fg_series_new();
    struct fg_series_point pt;

    fg_series_count(s, T0, FG_SERIES_INVOCATIONS);
    fg_series_duration(s, T0, 20);
    fg_series_max(s, T0, FG_SERIES_CONCURRENT, 3);
    fg_series_count(s, T0 + 7 * MIN, FG_SERIES_INVOCATIONS);
    for (int m = 1; m < 7; m++) {
        pt = merged(s, M0 + m, 1);
        ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 0);
        ck_assert_uint_eq(pt.duration_count, 0);
        ck_assert_int_eq(pt.max[FG_SERIES_CONCURRENT], -1);
        ck_assert(fg_series_quantile(&pt, 0.99) < 0);
    }
    pt = merged(s, M0, 8);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 2);
    ck_assert_uint_eq(pt.duration_count, 1);
    ck_assert_int_eq(pt.max[FG_SERIES_CONCURRENT], 3);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_periods_and_aggregation)
{
    struct fg_series *s = fg_series_new();
    const struct fg_series_period *p;
    struct fg_series_point pt;
    long long now = T0 + 13 * MIN + 30000;     /* 10:13:30 */

    ck_assert_ptr_null(fg_series_period("2h"));
    ck_assert_ptr_null(fg_series_period(""));
    ck_assert_ptr_null(fg_series_period("1H"));
    /* 1h: 60 one-minute points, the last is now's minute. */
    ck_assert_ptr_nonnull(p = fg_series_period("1h"));
    ck_assert_int_eq(p->minutes / p->step_minutes, 60);
    ck_assert_int_eq(fg_series_first_minute(p, now), M0 + 13 - 59);
    ck_assert_ptr_nonnull(p = fg_series_period("3h"));
    ck_assert_int_eq(p->minutes / p->step_minutes, 180);
    ck_assert_int_eq(fg_series_first_minute(p, now), M0 + 13 - 179);
    /* 12h: 5-minute steps from a multiple of 5; the last (10:10) holds now. */
    ck_assert_ptr_nonnull(p = fg_series_period("12h"));
    ck_assert_int_eq(p->step_minutes, 5);
    ck_assert_int_eq(fg_series_first_minute(p, now), M0 + 10 - 143 * 5);
    /* 24h: 10-minute steps; reaching back no more than the ring holds. */
    ck_assert_ptr_nonnull(p = fg_series_period("24h"));
    ck_assert_int_eq(p->step_minutes, 10);
    ck_assert_int_eq(fg_series_first_minute(p, now), M0 + 10 - 143 * 10);
    ck_assert_int_ge(fg_series_first_minute(p, now), now / MIN - (FG_SERIES_MINUTES - 1));
    ck_assert_int_ge(fg_series_first_minute(p, T0 + 9 * MIN + 59999), (T0 + 9 * MIN) / MIN - (FG_SERIES_MINUTES - 1));

    /* Minutes 10:10..10:14 merge into the 12h period's last point: sums and maxima. */
    for (int m = 10; m < 15; m++) {
        long long t = T0 + m * MIN;
        for (int i = 0; i < m; i++)
            fg_series_count(s, t, FG_SERIES_INVOCATIONS);
        fg_series_duration(s, t, (double)m);
        fg_series_max(s, t, FG_SERIES_CONCURRENT, m % 3);
        fg_series_max(s, t, FG_SERIES_ASYNC_AGE, 1000 * m);
    }
    fg_series_max(s, T0 + 12 * MIN, FG_SERIES_ASYNC_AGE, 5);       /* lower: kept out */
    p = fg_series_period("12h");
    pt = merged(s, fg_series_first_minute(p, now) + 143 * 5, p->step_minutes);
    ck_assert_int_eq(pt.t_ms, T0 + 10 * MIN);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 10 + 11 + 12 + 13 + 14);
    ck_assert_uint_eq(pt.duration_count, 5);
    ck_assert(fabs(pt.duration_sum_ms - 60) < 1e-9);
    ck_assert_int_eq(pt.max[FG_SERIES_CONCURRENT], 2);
    ck_assert_int_eq(pt.max[FG_SERIES_ASYNC_AGE], 14000);
    ck_assert_int_eq(pt.max[FG_SERIES_ITERATOR_AGE], -1);
    /* The 1h period's points see each minute on its own. */
    p = fg_series_period("1h");
    pt = merged(s, fg_series_first_minute(p, now) + 59, 1);
    ck_assert_int_eq(pt.t_ms, T0 + 13 * MIN);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 13);
    /* A zero recorded is a value, not "none"; negatives are taken as 0. */
    fg_series_max(s, T0 + 20 * MIN, FG_SERIES_ITERATOR_AGE, -5);
    pt = merged(s, M0 + 20, 1);
    ck_assert_int_eq(pt.max[FG_SERIES_ITERATOR_AGE], 0);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_bins)
{
    ck_assert_int_eq(fg_series_bin(0), 0);
    ck_assert_int_eq(fg_series_bin(0.49), 0);
    ck_assert_int_eq(fg_series_bin(-3), 0);
    ck_assert_int_eq(fg_series_bin(NAN), 0);
    ck_assert_int_eq(fg_series_bin(0.5), 1);
    ck_assert_int_eq(fg_series_bin(1.0), 4);
    ck_assert_int_eq(fg_series_bin(2.0), 7);
    ck_assert_int_eq(fg_series_bin(900000), FG_SERIES_HIST - 1);
    ck_assert_int_eq(fg_series_bin(1e12), FG_SERIES_HIST - 1);
    for (int b = 1; b < FG_SERIES_HIST; b++) {
        double lo = 0.5 * exp2((b - 1) / 3.0), hi = 0.5 * exp2(b / 3.0), mid = fg_series_bin_middle(b);
        ck_assert_int_eq(fg_series_bin(lo * 1.0000001), b);
        ck_assert_int_eq(fg_series_bin(hi * 0.9999999), b);
        ck_assert_int_eq(fg_series_bin(mid), b);
        /* The stated bound: every value of the bin is within 2^(1/6) - 1 of its middle. */
        ck_assert(mid / lo <= exp2(1 / 6.0) + 1e-9 && hi / mid <= exp2(1 / 6.0) + 1e-9);
    }
}
END_TEST

START_TEST(test_series_p99_of_known_distributions)
{
    struct fg_series *s = fg_series_new();
    struct fg_series_point pt;

    /* 1..1000 ms once each, over ten minutes: p99 is 990 ms, p50 500 ms. */
    for (int i = 1; i <= 1000; i++)
        fg_series_duration(s, T0 + (i % 10) * MIN, (double)i);
    pt = merged(s, M0, 10);
    ck_assert_uint_eq(pt.duration_count, 1000);
    check_near(fg_series_quantile(&pt, 0.99), 990, 0.123);
    check_near(fg_series_quantile(&pt, 0.5), 500, 0.123);
    check_near(pt.duration_sum_ms / (double)pt.duration_count, 500.5, 1e-9);
    /* One minute alone holds a tenth of them, the same shape. */
    pt = merged(s, M0 + 3, 1);
    ck_assert_uint_eq(pt.duration_count, 100);
    check_near(fg_series_quantile(&pt, 0.99), 983, 0.123);
    fg_series_free(s);

    /* 985 fast calls (3 ms) and 15 slow (2000 ms): the slow ones are the top 1.5%. */
    s = fg_series_new();
    runs(s, T0, 3, 985);
    runs(s, T0 + MIN, 2000, 15);
    pt = merged(s, M0, 2);
    check_near(fg_series_quantile(&pt, 0.99), 2000, 0.123);
    check_near(fg_series_quantile(&pt, 0.98), 3, 0.123);
    fg_series_free(s);

    /* One run: its p99 is its own duration, never a bin's middle below the average. */
    s = fg_series_new();
    fg_series_duration(s, T0, 0.78);
    pt = merged(s, M0, 1);
    ck_assert(fg_series_quantile(&pt, 0.99) == 0.78);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_bin_overflow_halves_the_minute)
{
    struct fg_series *s = fg_series_new();
    struct fg_series_point pt;
    unsigned long long total = 0;

    /* 99,000 runs of 1 ms and 1,000 of 100 ms in one minute: 1 ms's bin overflows 16 bits. */
    runs(s, T0, 1, 99000);
    runs(s, T0, 100, 1000);
    /* Another minute with 1,000 of 10 ms weighs as much as it counted beside it. */
    runs(s, T0 + MIN, 10, 1000);
    pt = merged(s, M0, 2);
    ck_assert_uint_eq(pt.duration_count, 101000);
    for (int b = 0; b < FG_SERIES_HIST; b++)
        total += pt.hist[b];
    check_near((double)total, 101000, 0.02);
    ck_assert_uint_eq(pt.hist[fg_series_bin(10)], 1000);
    check_near((double)pt.hist[fg_series_bin(1)], 99000, 0.02);
    check_near((double)pt.hist[fg_series_bin(100)], 1000, 0.1);
    /* The top 1% (1,010 runs) is the 100 ms and part of the 10 ms calls. */
    check_near(fg_series_quantile(&pt, 0.995), 100, 0.123);
    check_near(fg_series_quantile(&pt, 0.985), 10, 0.123);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_wraps_after_24h)
{
    const struct fg_series_period *p = fg_series_period("24h");
    long long day = (long long)FG_SERIES_MINUTES * MIN, now;
    struct fg_series *s = fg_series_new();
    struct fg_series_point pt;

    fg_series_count(s, T0, FG_SERIES_INVOCATIONS);
    fg_series_count(s, T0, FG_SERIES_INVOCATIONS);
    fg_series_duration(s, T0, 50);
    fg_series_count(s, T0 + MIN, FG_SERIES_ERRORS);
    /* 24 h later: the first minute's slot is taken by the new minute, the old one is gone. */
    fg_series_count(s, T0 + day, FG_SERIES_INVOCATIONS);
    pt = merged(s, M0 + FG_SERIES_MINUTES, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 1);
    ck_assert_uint_eq(pt.duration_count, 0);
    pt = merged(s, M0, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 0);
    /* The second minute's slot still holds its own day until it is written: reading it as
     * the next day's minute gives zeros, as its own minute its counts. */
    pt = merged(s, M0 + 1 + FG_SERIES_MINUTES, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_ERRORS], 0);
    pt = merged(s, M0 + 1, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_ERRORS], 1);
    /* The 24h window at T0 + day + 30 s starts at T0 + 10 min (its first 10-minute step):
     * all it sees is the new minute. */
    now = T0 + day + 30000;
    ck_assert_int_eq(fg_series_first_minute(p, now), M0 + 10);
    pt = merged(s, fg_series_first_minute(p, now), p->minutes);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_ERRORS], 0);
    /* A clock stepped back by more than a day starts the slot afresh. */
    fg_series_count(s, T0 + day - day * 2, FG_SERIES_INVOCATIONS);
    pt = merged(s, M0 - FG_SERIES_MINUTES, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 1);
    pt = merged(s, M0 + FG_SERIES_MINUTES, 1);
    ck_assert_uint_eq(pt.count[FG_SERIES_INVOCATIONS], 0);
    fg_series_free(s);
}
END_TEST

START_TEST(test_series_null_ring_records_nothing)
{
    fg_series_count(NULL, T0, FG_SERIES_INVOCATIONS);
    fg_series_duration(NULL, T0, 1);
    fg_series_max(NULL, T0, FG_SERIES_CONCURRENT, 1);
    fg_series_free(NULL);
    ck_assert_uint_eq(sizeof(struct fg_series_minute), 184);   /* series.h states it */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("series");
    tcase_add_test(tc, test_series_advances_by_minute);
    tcase_add_test(tc, test_series_gaps_read_as_zeros);
    tcase_add_test(tc, test_series_periods_and_aggregation);
    tcase_add_test(tc, test_series_bins);
    tcase_add_test(tc, test_series_p99_of_known_distributions);
    tcase_add_test(tc, test_series_bin_overflow_halves_the_minute);
    tcase_add_test(tc, test_series_wraps_after_24h);
    tcase_add_test(tc, test_series_null_ring_records_nothing);
    return fg_unit_run(s, tc);
}
