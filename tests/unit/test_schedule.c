/* SPDX-License-Identifier: MIT */
/* test_schedule.c - schedule expressions and time zones: fixed vectors for every edge (month
 * ends, Feb 29, L, LW, nW at weekends and month edges, n#5 in months without one, years,
 * stepped ranges, both DST transitions in Europe/Berlin and America/New_York), parse
 * errors with their columns, and a property test against a minute-by-minute evaluator
 * written independently of the module over thousands of random expressions. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tz.h"
#include "core/schedule_expr.h"
#include "unit.h"

static struct fg_tz *tz(const char *name)
{
    struct fg_tz *z;
    struct fg_err err;
    ck_assert_msg(fg_tz_load(name, &z, &err) == 0, "%s", err.msg);
    return z;
}

/* "2026-03-29T01:00:00" (local or UTC) → seconds. */
static long long ts(const char *iso)
{
    int y, m, d, h, mi, s;
    ck_assert_int_eq(sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &m, &d, &h, &mi, &s), 6);
    return fg_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void iso(long long t, char out[32])
{
    long long days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), sec = t - days * 86400;
    int y, m, d;
    fg_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02lld:%02lld:%02lld", y, m, d, sec / 3600, sec % 3600 / 60, sec % 60);
}

struct vec {
    const char *expr, *zone, *after;     /* after: UTC */
    const char *want[4];                 /* UTC; NULL-terminated; "never" for -1 */
};

static const struct vec vecs[] = {
    /* month ends and Feb 29 */
    { "cron(0 0 31 * ? *)", "UTC", "2027-01-31T00:00:00", { "2027-03-31T00:00:00", "2027-05-31T00:00:00", NULL } },
    { "cron(0 0 29 2 ? *)", "UTC", "2024-03-01T00:00:00", { "2028-02-29T00:00:00", "2032-02-29T00:00:00", NULL } },
    { "0 0 29 2 *", "UTC", "2099-01-01T00:00:00", { "2104-02-29T00:00:00", NULL } },     /* 2100 is no leap year */
    { "cron(0 0 30 2 ? *)", "UTC", "2026-01-01T00:00:00", { "never", NULL } },
    /* L and LW */
    { "cron(15 10 L * ? *)", "UTC", "2028-01-31T12:00:00", { "2028-02-29T10:15:00", "2028-03-31T10:15:00", NULL } },
    { "cron(0 8 LW * ? *)", "UTC", "2026-01-01T00:00:00", { "2026-01-30T08:00:00", "2026-02-27T08:00:00", "2026-03-31T08:00:00", NULL } },
    /* nW: Saturday → Friday, Sunday → Monday, never across the month edge */
    { "cron(0 9 15W * ? *)", "UTC", "2026-11-01T00:00:00", { "2026-11-16T09:00:00", "2026-12-15T09:00:00", NULL } },
    { "cron(0 9 1W * ? *)", "UTC", "2026-07-15T00:00:00", { "2026-08-03T09:00:00", NULL } },     /* Aug 1 2026 is a Saturday */
    { "cron(0 9 31W * ? *)", "UTC", "2026-05-01T00:00:00", { "2026-05-29T09:00:00", NULL } },    /* May 31 2026 is a Sunday */
    { "cron(0 9 30W * ? *)", "UTC", "2026-02-01T00:00:00", { "2026-03-30T09:00:00", NULL } },    /* no Feb 30 */
    /* 5L (last Thursday), n#k, #5 in months without a fifth */
    { "cron(0 18 ? * 5L *)", "UTC", "2026-01-01T00:00:00", { "2026-01-29T18:00:00", "2026-02-26T18:00:00", NULL } },
    { "cron(0 10 ? * 3#2 *)", "UTC", "2026-01-01T00:00:00", { "2026-01-13T10:00:00", "2026-02-10T10:00:00", NULL } },
    { "cron(0 10 ? * 2#5 *)", "UTC", "2026-01-01T00:00:00", { "2026-03-30T10:00:00", "2026-06-29T10:00:00", NULL } },
    { "cron(0 10 ? * L *)", "UTC", "2026-11-27T00:00:00", { "2026-11-28T10:00:00", NULL } },     /* L alone: Saturday */
    /* names, ranges with steps, the year field */
    { "cron(0/20 9-17/4 ? JAN-MAR MON-FRI 2027)", "UTC", "2026-12-31T00:00:00",
      { "2027-01-01T09:00:00", "2027-01-01T09:20:00", "2027-01-01T09:40:00", "2027-01-01T13:00:00" } },
    { "cron(0 0 1 1 ? 2030-2032/2)", "UTC", "2026-01-01T00:00:00", { "2030-01-01T00:00:00", "2032-01-01T00:00:00", "never", NULL } },
    /* Unix: 0 and 7 are Sunday; restricted DoM and DoW fire on either (Vixie) */
    { "0 12 * * 7", "UTC", "2026-11-27T00:00:00", { "2026-11-29T12:00:00", "2026-12-06T12:00:00", NULL } },
    { "0 12 13 * 5", "UTC", "2026-11-01T00:00:00", { "2026-11-06T12:00:00", "2026-11-13T12:00:00", "2026-11-20T12:00:00", NULL } },
    { "*/15 * * * *", "UTC", "2026-11-27T10:07:30", { "2026-11-27T10:15:00", "2026-11-27T10:30:00", NULL } },
    { "@weekly", "UTC", "2026-11-27T00:00:00", { "2026-11-29T00:00:00", NULL } },
    { "@monthly", "UTC", "2026-11-27T00:00:00", { "2026-12-01T00:00:00", NULL } },
    /* rate: multiples of the period since the epoch; seconds as the extension */
    { "rate(5 minutes)", "UTC", "2026-11-27T10:07:30", { "2026-11-27T10:10:00", "2026-11-27T10:15:00", NULL } },
    { "rate(1 day)", "Europe/Berlin", "2026-11-27T10:07:30", { "2026-11-28T00:00:00", NULL } },
    { "rate(2 seconds)", "UTC", "2026-11-27T10:00:01", { "2026-11-27T10:00:02", "2026-11-27T10:00:04", NULL } },
    /* at(): once, local to the zone */
    { "at(2027-01-31T09:30:00)", "Europe/Berlin", "2026-01-01T00:00:00", { "2027-01-31T08:30:00", "never", NULL } },
    /* DST, Europe/Berlin: 2026-03-29 02:00 → 03:00; 2026-10-25 03:00 → 02:00 */
    { "cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-28T12:00:00", { "2026-03-29T01:00:00", "2026-03-30T00:30:00", NULL } },
    { "cron(0,30 2 * * ? *)", "Europe/Berlin", "2026-03-28T12:00:00", { "2026-03-29T01:00:00", "2026-03-30T00:00:00", NULL } },
    { "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-24T12:00:00", { "2026-10-25T00:30:00", "2026-10-26T01:30:00", NULL } },
    { "*/30 2 * * *", "Europe/Berlin", "2026-10-25T00:10:00", { "2026-10-25T00:30:00", "2026-10-26T01:00:00", NULL } },
    /* hourly across the repeated hour: 02:00 happened (CEST), so its second pass is skipped */
    { "0 * * * *", "Europe/Berlin", "2026-10-25T00:30:00", { "2026-10-25T02:00:00", "2026-10-25T03:00:00", NULL } },
    /* DST, America/New_York: 2026-03-08 02:00 → 03:00; 2026-11-01 02:00 → 01:00 */
    { "cron(30 2 * * ? *)", "America/New_York", "2026-03-07T12:00:00", { "2026-03-08T07:00:00", "2026-03-09T06:30:00", NULL } },
    { "cron(30 1 * * ? *)", "America/New_York", "2026-10-31T12:00:00", { "2026-11-01T05:30:00", "2026-11-02T06:30:00", NULL } },
    /* far future: past the zone's table, the POSIX rule applies */
    { "cron(30 2 * * ? *)", "Europe/Berlin", "2150-03-30T12:00:00", { "2150-03-31T00:30:00", NULL } },
    { "cron(0 12 * * ? *)", "Europe/Berlin", "2150-07-01T00:00:00", { "2150-07-01T10:00:00", NULL } },
};

START_TEST(test_vectors)
{
    const struct vec *v = &vecs[_i];
    struct fg_sched_expr e;
    struct fg_tz *z = tz(v->zone);
    char msg[256], got[32];
    int col;
    long long t = ts(v->after);

    ck_assert_msg(fg_sched_parse(v->expr, true, &e, &col, msg, sizeof(msg)) == 0, "%s: col %d: %s", v->expr, col, msg);
    for (int k = 0; k < 4 && v->want[k]; k++) {
        long long n = fg_sched_next(&e, z, t);
        if (!strcmp(v->want[k], "never")) {
            ck_assert_msg(n == -1, "%s [%s] fire %d: want never, got %lld", v->expr, v->zone, k, n);
            break;
        }
        iso(n, got);
        ck_assert_msg(n == ts(v->want[k]), "%s [%s] fire %d after %s: want %s, got %s", v->expr, v->zone, k, v->after,
                      v->want[k], n < 0 ? "never" : got);
        t = n;
    }
    fg_tz_free(z);
}
END_TEST

START_TEST(test_tz_offsets)
{
    struct fg_tz *b = tz("Europe/Berlin"), *ny = tz("America/New_York"), *u = tz("UTC");
    ck_assert_int_eq(fg_tz_offset(b, ts("2026-01-15T12:00:00")), 3600);
    ck_assert_int_eq(fg_tz_offset(b, ts("2026-07-15T12:00:00")), 7200);
    ck_assert_int_eq(fg_tz_offset(b, ts("2026-03-29T00:59:59")), 3600);
    ck_assert_int_eq(fg_tz_offset(b, ts("2026-03-29T01:00:00")), 7200);
    ck_assert_int_eq(fg_tz_offset(ny, ts("2026-11-01T05:59:59")), -4 * 3600);
    ck_assert_int_eq(fg_tz_offset(ny, ts("2026-11-01T06:00:00")), -5 * 3600);
    ck_assert_int_eq(fg_tz_offset(ny, ts("2199-07-04T12:00:00")), -4 * 3600);   /* from the POSIX rule */
    ck_assert_int_eq(fg_tz_offset(u, ts("2026-07-15T12:00:00")), 0);
    /* Resolve: the gap goes to the change, the repeated hour to its first instant. */
    ck_assert_int_eq(fg_tz_resolve(b, ts("2026-03-29T02:30:00")), ts("2026-03-29T01:00:00"));
    ck_assert_int_eq(fg_tz_resolve(b, ts("2026-10-25T02:30:00")), ts("2026-10-25T00:30:00"));
    ck_assert_int_eq(fg_tz_resolve(ny, ts("2026-11-01T01:30:00")), ts("2026-11-01T05:30:00"));
    char buf[32];
    fg_tz_format(buf, ts("2026-03-29T01:00:00"), 7200);
    ck_assert_str_eq(buf, "2026-03-29T03:00:00+02:00");
    fg_tz_format(buf, ts("2026-11-01T06:00:00"), -5 * 3600);
    ck_assert_str_eq(buf, "2026-11-01T01:00:00-05:00");
    fg_tz_format(buf, ts("1969-12-31T23:59:59"), 0);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
    fg_tz_format(buf, ts("2026-01-01T00:00:00"), 5 * 3600 + 45 * 60);     /* Asia/Kathmandu */
    ck_assert_str_eq(buf, "2026-01-01T05:45:00+05:45");
    fg_tz_free(b);
    fg_tz_free(ny);
    fg_tz_free(u);

    struct fg_tz *z;
    struct fg_err err;
    ck_assert_int_eq(fg_tz_load("Mars/Olympus", &z, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown time zone 'Mars/Olympus'"));
    ck_assert_int_eq(fg_tz_load("../../etc/passwd", &z, &err), -EINVAL);
    ck_assert_int_eq(fg_tz_load("zone.tab", &z, &err), -EINVAL);       /* exists, not TZif */
}
END_TEST

struct bad {
    const char *expr;
    int col;
    const char *msg;
};

static const struct bad bads[] = {
    { "cron(0 12 1 * MON *)", 15, "day-of-month and day-of-week cannot both be set in AWS cron; use ? in one of them" },
    { "cron(0 12 * * MON *)", 15, "use ? in one of them" },
    { "cron(0 12 ? * ? *)", 15, "cannot both be ?" },
    { "cron(0 12 * * ?)", 16, "needs 6 fields, got 5" },
    { "cron(0 12 * * ? * 1)", 19, "has 6 fields, not more" },
    { "cron(60 12 * * ? *)", 6, "minutes: 60 is out of range (0-59)" },
    { "cron(0 24 * * ? *)", 8, "hours: 24 is out of range (0-23)" },
    { "cron(0 12 32 * ? *)", 11, "day-of-month: 32 is out of range (1-31)" },
    { "cron(0 12 ? * 8 *)", 15, "day-of-week: 8 is out of range (1-7)" },
    { "cron(0 12 ? * 2#6 *)", 17, "N is the week of the month, 1-5" },
    { "cron(0 12 ? FOO * *)", 13, "month: expected a number or a name" },
    { "cron(0 12 * * ? 1969)", 17, "year: 1969 is out of range (1970-2199)" },
    { "cron(0 12 10-5 * ? *)", 14, "range 10-5 goes backwards" },
    { "cron(0/0 12 * * ? *)", 8, "a step is a positive number" },
    { "cron(0 12 * * ? *", 18, "missing ')'" },
    { "0 12 L * *", 6, "'L' is AWS cron syntax" },
    { "0 12 * *", 9, "needs 5 fields, got 4" },
    { "0 12 ? * *", 6, "'?' is only for day-of-month or day-of-week in AWS cron" },
    { "rate(5 minute)", 8, "'minute' is for 1; write rate(5 minutes)" },
    { "rate(1 hours)", 8, "'hours' is for more than 1; write rate(1 hour)" },
    { "rate(0 minutes)", 6, "at least 1" },
    { "rate(5 fortnights)", 8, "unknown unit 'fortnights'" },
    { "rate(minutes)", 6, "takes a number and a unit" },
    { "at(2027-02-30T10:00:00)", 4, "not a valid date and time" },
    { "at(tomorrow)", 4, "takes yyyy-mm-ddThh:mm:ss" },
    { "at(2027-01-31T-1:30:00)", 4, "takes yyyy-mm-ddThh:mm:ss" },   /* was Jan 30 23:30 */
    { "at(2027-+1-31T09:30:00)", 4, "takes yyyy-mm-ddThh:mm:ss" },
    { "at(2027-01-31T 9:30:00)", 4, "takes yyyy-mm-ddThh:mm:ss" },
    { "at(2027-01-31T09:30:00Z)", 4, "takes yyyy-mm-ddThh:mm:ss" },
    { "@reboot", 1, "@reboot has no meaning" },
    { "hourly", 1, "unknown schedule 'hourly'" },
    { "", 1, "empty schedule" },
};

START_TEST(test_parse_errors)
{
    const struct bad *b = &bads[_i];
    struct fg_sched_expr e;
    char msg[256];
    int col;
    ck_assert_msg(fg_sched_parse(b->expr, true, &e, &col, msg, sizeof(msg)) == -EINVAL, "'%s' should fail", b->expr);
    ck_assert_msg(col == b->col && strstr(msg, b->msg), "'%s': want col %d '%s', got col %d '%s'", b->expr, b->col,
                  b->msg, col, msg);
}
END_TEST

START_TEST(test_seconds_only_when_allowed)
{
    struct fg_sched_expr e;
    char msg[256];
    int col;
    ck_assert_int_eq(fg_sched_parse("rate(1 second)", false, &e, &col, msg, sizeof(msg)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "fngate extension"));
    ck_assert_int_eq(fg_sched_parse("rate(1 second)", true, &e, &col, msg, sizeof(msg)), 0);
    ck_assert_int_eq(e.rate_s, 1);
}
END_TEST

/* ------------------------------------------------------------------ property test */

/* An independent model: sets as plain arrays, day rules written out directly. */
struct model {
    bool minute[60], hour[24], dom[32], month[13], dow[7], year[FG_SCHED_YEAR_MAX + 1];
    bool dom_any, dow_any, unix_;
    bool last, lw;
    int w_day;                  /* nW, 0 = none */
    int last_dow;               /* dL, -1 = none */
    int nth_dow, nth;           /* d#n, nth 0 = none */
};

static unsigned rnd_state;
static int rnd(int n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (int)((rnd_state >> 8) % (unsigned)n);
}

/* Appends a random field (list of values / ranges / steps) over [lo, hi] to out and marks
 * the chosen values in set (indexed by value + shift). */
static void gen_field(char *out, int lo, int hi, bool *set, int shift, bool allow_star)
{
    int items = 1 + rnd(3);
    if (allow_star && rnd(4) == 0) {
        int st = 1 + rnd(3) * rnd(8);
        if (st > 1)
            sprintf(out + strlen(out), "*/%d", st);
        else
            strcat(out, "*");
        for (int v = lo; v <= hi; v += st)
            set[v + shift] = true;
        return;
    }
    for (int i = 0; i < items; i++) {
        int a = lo + rnd(hi - lo + 1), b = a + rnd(hi - a + 1), st = 1 + rnd(4);
        if (i)
            strcat(out, ",");
        switch (rnd(3)) {
        case 0:
            sprintf(out + strlen(out), "%d", a);
            set[a + shift] = true;
            break;
        case 1:
            sprintf(out + strlen(out), "%d-%d", a, b);
            for (int v = a; v <= b; v++)
                set[v + shift] = true;
            break;
        default:
            sprintf(out + strlen(out), "%d-%d/%d", a, b, st);
            for (int v = a; v <= b; v += st)
                set[v + shift] = true;
        }
    }
}

static bool model_dom(const struct model *m, int y, int mo, int d)
{
    int last = fg_days_in_month(y, mo);
    if (m->dom[d])
        return true;
    if (m->last && d == last)
        return true;
    if (m->lw) {
        int t = last;
        while (fg_weekday(fg_days_from_civil(y, mo, t)) % 6 == 0)
            t--;
        if (d == t)
            return true;
    }
    if (m->w_day && m->w_day <= last) {
        /* Try the day itself, then the day before and after, staying in the month. */
        int n = m->w_day, wd = fg_weekday(fg_days_from_civil(y, mo, n)), t = n;
        if (wd == 6)
            t = n > 1 ? n - 1 : n + 2;
        else if (wd == 0)
            t = n < last ? n + 1 : n - 2;
        if (d == t)
            return true;
    }
    return false;
}

static bool model_dow(const struct model *m, int y, int mo, int d)
{
    int wd = fg_weekday(fg_days_from_civil(y, mo, d));
    if (m->dow[wd])
        return true;
    if (m->last_dow == wd && d + 7 > fg_days_in_month(y, mo))
        return true;
    return m->nth && m->nth_dow == wd && (d - 1) / 7 + 1 == m->nth;
}

static bool model_day(const struct model *m, int y, int mo, int d)
{
    if (!m->year[y] || !m->month[mo])
        return false;
    if (m->unix_ && !m->dom_any && !m->dow_any)
        return model_dom(m, y, mo, d) || model_dow(m, y, mo, d);
    return (m->dom_any || model_dom(m, y, mo, d)) && (m->dow_any || model_dow(m, y, mo, d));
}

/* Minute by minute (days that do not match are skipped whole), up to limit_days. */
static long long model_next(const struct model *m, long long after, int limit_days)
{
    long long t = (after / 60 + 1) * 60;
    long long end = t + (long long)limit_days * 86400;
    while (t < end) {
        long long days = t / 86400;
        int y, mo, d;
        fg_civil_from_days(days, &y, &mo, &d);
        if (y > FG_SCHED_YEAR_MAX)
            return -1;
        if (!model_day(m, y, mo, d)) {
            t = (days + 1) * 86400;
            continue;
        }
        int h = (int)(t % 86400 / 3600), mi = (int)(t % 3600 / 60);
        if (m->hour[h] && m->minute[mi])
            return t;
        t += 60;
    }
    return -2;      /* not within the limit */
}

static void gen_expr(char *out, struct model *m)
{
    char f[6][160];
    memset(m, 0, sizeof(*m));
    memset(f, 0, sizeof(f));
    m->last_dow = -1;
    m->unix_ = rnd(2) == 0;
    gen_field(f[0], 0, 59, m->minute, 0, true);
    gen_field(f[1], 0, 23, m->hour, 0, true);
    gen_field(f[3], 1, 12, m->month, 0, true);
    for (int y = FG_SCHED_YEAR_MIN; y <= FG_SCHED_YEAR_MAX; y++)
        m->year[y] = true;
    int daymode = rnd(4);       /* 0: dom only, 1: dow only, 2: both (unix), 3: every day */
    if (m->unix_) {
        if (daymode == 0 || daymode == 2)
            gen_field(f[2], 1, 31, m->dom, 0, false);
        else
            strcpy(f[2], "*"), m->dom_any = true;
        if (daymode == 1 || daymode == 2) {
            bool raw[8] = { false };
            gen_field(f[4], 0, 7, raw, 0, false);
            for (int i = 0; i < 8; i++)
                if (raw[i])
                    m->dow[i % 7] = true;
        } else {
            strcpy(f[4], "*"), m->dow_any = true;
        }
        if (daymode == 0)
            m->dow_any = true;
        sprintf(out, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
        return;
    }
    if (daymode == 1) {
        strcpy(f[2], "?"), m->dom_any = true;
        switch (rnd(3)) {
        case 0: {
            bool raw[9] = { false };
            gen_field(f[4], 1, 7, raw, 0, false);
            for (int i = 1; i <= 7; i++)
                if (raw[i])
                    m->dow[i - 1] = true;
            break;
        }
        case 1:
            m->last_dow = rnd(7);
            sprintf(f[4], "%dL", m->last_dow + 1);
            break;
        default:
            m->nth_dow = rnd(7);
            m->nth = 1 + rnd(5);
            sprintf(f[4], "%d#%d", m->nth_dow + 1, m->nth);
        }
    } else {
        strcpy(f[4], "?"), m->dow_any = true;
        switch (daymode == 3 ? 4 : rnd(4)) {
        case 0: gen_field(f[2], 1, 31, m->dom, 0, false); break;
        case 1: strcpy(f[2], "L"), m->last = true; break;
        case 2: strcpy(f[2], "LW"), m->lw = true; break;
        case 3: m->w_day = 1 + rnd(31), sprintf(f[2], "%dW", m->w_day); break;
        default: strcpy(f[2], "*"), m->dom_any = true;
        }
    }
    if (rnd(3) == 0) {
        memset(m->year, 0, sizeof(m->year));
        gen_field(f[5], 2026, 2030, m->year, 0, false);
    } else {
        strcpy(f[5], "*");
    }
    sprintf(out, "cron(%s %s %s %s %s %s)", f[0], f[1], f[2], f[3], f[4], f[5]);
}

START_TEST(test_property_against_model)
{
    struct fg_tz *u = tz("UTC");
    int checked = 0;
    rnd_state = 20261127;
    for (int i = 0; i < 3000; i++) {
        char text[1024];
        struct model m;
        struct fg_sched_expr e;
        char msg[256];
        int col;
        gen_expr(text, &m);
        ck_assert_msg(fg_sched_parse(text, false, &e, &col, msg, sizeof(msg)) == 0, "%s: col %d: %s", text, col, msg);
        long long t = ts("2026-01-01T00:00:00") + (long long)rnd(3 * 365) * 86400 + rnd(86400);
        for (int k = 0; k < 3; k++) {
            long long want = model_next(&m, t, 800), got = fg_sched_next(&e, u, t);
            if (want == -2) {
                ck_assert_msg(got == -1 || got - t > 800LL * 86400 - 60, "%s after %lld: model found nothing in 800 days, module says %lld",
                              text, t, got);
                break;
            }
            ck_assert_msg(got == want, "%s after %lld: model %lld, module %lld", text, t, want, got);
            checked++;
            if (got < 0)
                break;
            t = got;
        }
    }
    ck_assert_int_gt(checked, 5000);
    fg_tz_free(u);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("schedule");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_vectors, 0, (int)(sizeof(vecs) / sizeof(vecs[0])));
    tcase_add_test(tc, test_tz_offsets);
    tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof(bads) / sizeof(bads[0])));
    tcase_add_test(tc, test_seconds_only_when_allowed);
    tcase_add_test(tc, test_property_against_model);
    return fg_unit_run(s, tc);
}
