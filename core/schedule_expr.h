/* SPDX-License-Identifier: MIT */
/* schedule_expr.h - schedule expressions and their exact next fire times.
 *
 * The dialects people bring: AWS `rate(5 minutes)`, AWS `cron(Min Hour DoM Month DoW Year)`
 * with ? L W # (1 = SUN), classic 5-field Unix cron with Vixie semantics (0 or 7 = SUN; when
 * day-of-month and day-of-week are both restricted, either one matching fires) and the
 * @hourly..@yearly macros, `at(yyyy-mm-ddThh:mm:ss)` for one fire, and, as an fngate
 * extension for development, `rate(N seconds)`. Parsing is strict and its errors say
 * where and what to write instead. Fire times are computed on the wall clock of the
 * schedule's zone and resolved to instants with fg_tz_resolve(): a time that does not
 * exist (clocks set forward) fires once at the change, a time that happens twice fires
 * once, the first time. Pure functions. Tests: tests/unit/test_schedule.c. */
#ifndef FG_SCHEDULE_EXPR_H
#define FG_SCHEDULE_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "tz.h"

#define FG_SCHED_YEAR_MIN 1970
#define FG_SCHED_YEAR_MAX 2199

enum fg_sched_kind {
    FG_SCHED_RATE = 0,
    FG_SCHED_CRON,
    FG_SCHED_AT,
};

/* A cron expression as sets of allowed values, plus the day rules that are not sets. */
struct fg_cron {
    uint64_t minute;            /* bit m: minute m, 0..59 */
    uint32_t hour;              /* bit h: 0..23 */
    uint32_t dom;               /* bit d: day of month d, 1..31 */
    uint16_t month;             /* bit m: 1..12 */
    uint8_t dow;                /* bit d: 0 = Sunday .. 6 = Saturday */
    uint64_t year[4];           /* bit y - 1970 */
    bool dom_any, dow_any;      /* '*' or '?': the field does not restrict */
    bool dom_last;              /* L: the last day of the month */
    bool dom_last_weekday;      /* LW: the last weekday (Mon-Fri) of the month */
    uint32_t dom_weekday;       /* bit d: dW, the weekday nearest day d, within the month */
    uint8_t dow_last;           /* bit d: dL, the last such weekday of the month */
    uint8_t dow_nth[7];         /* bit n for weekday d: d#n, the n-th (1..5) of the month */
    bool vixie;                 /* Unix cron: restricted DoM and DoW fire on either */
};

struct fg_sched_expr {
    enum fg_sched_kind kind;
    long long rate_s;           /* FG_SCHED_RATE: the period */
    struct fg_cron cron;        /* FG_SCHED_CRON */
    long long at_local;         /* FG_SCHED_AT: local seconds */
};

/* Parses text. allow_seconds accepts the rate(N seconds) extension. 0, or -EINVAL with
 * *col (1-based, within text) and msg saying what is wrong and what to write. */
int fg_sched_parse(const char *text, bool allow_seconds, struct fg_sched_expr *out, int *col,
                   char *msg, size_t msg_size);

/* Whether day y-m-d is a day the cron fires on. */
bool fg_cron_day_matches(const struct fg_cron *c, int y, int m, int d);

/* The first local minute strictly after local (local seconds) the cron matches, or -1
 * when there is none before FG_SCHED_YEAR_MAX ends. */
long long fg_cron_next_local(const struct fg_cron *c, long long local);

/* The first fire strictly after `after` (epoch seconds) in zone z, or -1 when there is
 * none. Rates fire on multiples of their period since the epoch (UTC), so restarts and
 * catch-up are deterministic; crons and at() follow z's wall clock. */
long long fg_sched_next(const struct fg_sched_expr *e, const struct fg_tz *z, long long after);

#endif
