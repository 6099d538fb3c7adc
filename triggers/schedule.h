/* SPDX-License-Identifier: MIT */
/* schedule.h - the schedule trigger: every `- schedule:` of the configuration, fired once
 * per tick through the durable async path.
 *
 * DESIGN: one min-heap of next fire times and one libevent timer for all schedules (no
 * timer or thread per schedule), so 100,000 schedules cost a heap entry each. A fire and
 * the schedule's new "last fire" are committed in one transaction with the event, so a
 * tick is never fired twice, across restarts too. On start, and whenever more than one
 * tick is due at once (the machine was down or suspended, the clock jumped forward), the
 * schedule's catch_up policy decides: `last` fires the latest missed tick once, `all`
 * each one, `none` none; ticks older than max_catch_up are skipped. A clock set back
 * never re-fires a tick: the next fire is always after the last one. The timer never
 * sleeps more than a second, so a clock jump is noticed within one.
 * Tests: tests/integration/test_schedule.py. */
#ifndef FG_SCHEDULE_H
#define FG_SCHEDULE_H

#include "../core/schedule_expr.h"
#include "trigger.h"

enum fg_catch_up {
    FG_CATCH_UP_LAST = 0,    /* fires missed while down: run the latest once */
    FG_CATCH_UP_NONE,        /* skip them */
    FG_CATCH_UP_ALL,         /* run each of them, in order */
};

/* `- schedule: ...`: a cron, rate or at() trigger of a function (ev->conf). */
struct fg_conf_schedule {
    const char *expression;  /* as written */
    struct fg_sched_expr expr;
    const char *timezone;    /* IANA name, checked at load; default "UTC" */
    const char *name;        /* unique per service; default FUNCTION-schedule-N */
    const char *description;
    const char *input;       /* JSON text replacing the Scheduled Event, or NULL */
    bool enabled;
    int catch_up;            /* enum fg_catch_up */
    int max_catch_up_s;      /* missed fires older than this are skipped (default 3600) */
    struct fg_conf_pos pos;  /* of the expression */
};

/* The adapter: one instance serves every enabled schedule of the configuration (time
 * zones are loaded by new). */
extern const struct fg_trigger_ops fg_schedule_trigger;

/* The Scheduled Event EventBridge sends, for rule `name` firing at `due` (epoch s). Appends
 * to out. 0 or a fg_buf error. */
int fg_schedule_event(struct fg_buf *out, const char *id, const char *name, long long due, const char *region,
                      const char *account) FG_MUST_CHECK;

#endif
