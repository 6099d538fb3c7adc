/* SPDX-License-Identifier: MIT */
/* fuzz_schedule.c - libFuzzer target for the schedule expression language
 * (core/schedule_expr.c): rate(...), cron(...), Unix cron lines, @macros and at(...), which
 * operators write by hand and `fngate schedule next` evaluates. Built and run by
 * `make fuzz`; seeds in corpus/fuzz_schedule/ (the dialects people bring).
 *
 * The whole input is the expression, parsed without and with rate(N seconds). Invariants:
 * - a refusal points inside the text (1-based column up to one past its end) with a message;
 * - allowing seconds only adds: what parses without parses the same with;
 * - a parse holds only values in range: cron sets within their fields and not empty, a
 *   rate of at least a second (a minute without seconds), an at() that reads back as the
 *   very text it came from (yyyy-mm-ddThh:mm:ss, nothing else);
 * - fire times move forward, and in UTC a cron fires on a minute its sets and day rules
 *   hold, with no such minute between the start and the first fire just before it; a rate
 *   fires on a multiple of its period within one period; at() fires once, at its time. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schedule_expr.h"
#include "tests/fuzz/fuzz.h"

static struct fg_tz *sched_utc, *sched_berlin;

/* Instants to start from: 2023-11-14, just before Berlin's 2024 spring change, and just
 * before its autumn change (the repeated hour). */
static const long long sched_starts[] = { 1700000000LL, 1711846740LL, 1729990740LL };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct fg_err err;
    (void)argc;
    (void)argv;
    if (fg_tz_load("UTC", &sched_utc, &err) < 0 || fg_tz_load("Europe/Berlin", &sched_berlin, &err) < 0)
        fuzz_fail("time zones: %s", err.msg);
    return 0;
}

static void sched_check_cron_sets(const struct fg_cron *c)
{
    const int years = FG_SCHED_YEAR_MAX - FG_SCHED_YEAR_MIN + 1;
    bool any_year = false;
    if (!c->minute || c->minute >> 60 || !c->hour || c->hour >> 24 || (c->dom & 1) || (c->dom_weekday & 1) ||
        !c->month || (c->month & 1) || c->month >> 13 || c->dow >> 7 || c->dow_last >> 7)
        fuzz_fail("a cron set is empty or out of range");
    for (int d = 0; d < 7; d++)
        if ((c->dow_nth[d] & 1) || c->dow_nth[d] >> 6)
            fuzz_fail("day-of-week %d#N holds N outside 1..5", d);
    for (int i = 0; i < 4; i++) {
        uint64_t w = c->year[i];
        if (i * 64 + 64 > years)
            w &= i * 64 >= years ? ~0ULL : ~0ULL << (years - i * 64);
        else
            w = 0;
        if (w)
            fuzz_fail("a year past %d is set", FG_SCHED_YEAR_MAX);
        any_year |= c->year[i] != 0;
    }
    if (!any_year)
        fuzz_fail("no year is set");
}

/* Whether the cron fires at UTC instant t (a whole minute). */
static bool sched_cron_at(const struct fg_cron *c, long long t)
{
    long long days = t / 86400, rem = t % 86400;
    int y, m, d, h = (int)(rem / 3600), mi = (int)(rem % 3600 / 60), yi;
    fg_civil_from_days(days, &y, &m, &d);
    yi = y - FG_SCHED_YEAR_MIN;
    return yi >= 0 && y <= FG_SCHED_YEAR_MAX && ((c->year[yi / 64] >> (yi % 64)) & 1) && ((c->month >> m) & 1) &&
           ((c->hour >> h) & 1) && ((c->minute >> mi) & 1) && fg_cron_day_matches(c, y, m, d);
}

static void sched_check_fires(const struct fg_sched_expr *e, const char *text)
{
    const struct fg_tz *zones[] = { sched_utc, sched_berlin };
    for (size_t zi = 0; zi < 2; zi++) {
        for (size_t si = 0; si < sizeof(sched_starts) / sizeof(sched_starts[0]); si++) {
            long long after = sched_starts[si], t1 = fg_sched_next(e, zones[zi], after), t2;
            if (t1 == -1)
                continue;
            if (t1 <= after)
                fuzz_fail("%s: next after %lld is %lld", text, after, t1);
            if ((t2 = fg_sched_next(e, zones[zi], t1)) != -1 && t2 <= t1)
                fuzz_fail("%s: next after %lld is %lld", text, t1, t2);
            if (zi != 0)
                continue;
            if (e->kind == FG_SCHED_CRON) {
                if (t1 % 60 || !sched_cron_at(&e->cron, t1))
                    fuzz_fail("%s: fires at %lld (UTC), which it does not match", text, t1);
                if (t1 - 60 > after && sched_cron_at(&e->cron, t1 - 60))
                    fuzz_fail("%s: after %lld fires at %lld, but matches a minute before", text, after, t1);
            } else if (e->kind == FG_SCHED_RATE) {
                if (t1 % e->rate_s || t1 - after > e->rate_s)
                    fuzz_fail("%s: after %lld fires at %lld, not the next multiple of %lld", text, after, t1, e->rate_s);
            } else if (t1 != e->at_local || t2 != -1) {
                fuzz_fail("%s: fires at %lld then %lld", text, t1, t2);
            }
        }
    }
}

static void sched_check(const struct fg_sched_expr *e, const char *text, bool allow_seconds)
{
    switch (e->kind) {
    case FG_SCHED_RATE:
        if (e->rate_s < 1 || (!allow_seconds && e->rate_s % 60))
            fuzz_fail("%s: a rate of %lld s", text, e->rate_s);
        break;
    case FG_SCHED_CRON:
        sched_check_cron_sets(&e->cron);
        break;
    case FG_SCHED_AT: {
        char back[64];
        long long days = e->at_local / 86400, rem = e->at_local % 86400;
        int y, m, d;
        if (e->at_local < 0)
            fuzz_fail("%s: before 1970", text);
        fg_civil_from_days(days, &y, &m, &d);
        snprintf(back, sizeof(back), "at(%04d-%02d-%02dT%02lld:%02lld:%02lld)", y, m, d, rem / 3600, rem % 3600 / 60,
                 rem % 60);
        if (strcmp(back, text))
            fuzz_fail("%s is accepted as %s", text, back);
        break;
    }
    default:
        fuzz_fail("%s: kind %d", text, (int)e->kind);
    }
    sched_check_fires(e, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t len;
    char *text = fuzz_rest(&in, &len), msg[256], msg2[256];
    struct fg_sched_expr e, e2;
    int col = -1, col2 = -1, rc, rc2;

    len = strlen(text);
    rc = fg_sched_parse(text, false, &e, &col, msg, sizeof(msg));
    rc2 = fg_sched_parse(text, true, &e2, &col2, msg2, sizeof(msg2));
    if (rc < 0 && (rc != -EINVAL || col < 1 || (size_t)col > len + 1 || !msg[0]))
        fuzz_fail("'%s' refused with %d at column %d: '%s'", text, rc, col, msg);
    if (rc2 < 0 && (rc2 != -EINVAL || col2 < 1 || (size_t)col2 > len + 1 || !msg2[0]))
        fuzz_fail("'%s' refused with %d at column %d: '%s'", text, rc2, col2, msg2);
    if (rc == 0 && (rc2 != 0 || memcmp(&e, &e2, sizeof(e))))
        fuzz_fail("'%s' parses without rate(N seconds) but not the same with it", text);
    if (rc == 0)
        sched_check(&e, text, false);
    else if (rc2 == 0)
        sched_check(&e2, text, true);
    free(text);
    return 0;
}
