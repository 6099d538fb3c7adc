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

#include "../config/config.h"
#include "../core/loop.h"
#include "../router/router.h"
#include "trigger.h"

/* Builds the trigger for every enabled schedule of conf (time zones are loaded here).
 * Borrows conf, router and loop for its life. 0 and an owned trigger in *out (free with
 * out->ops->free), or a negative code with err filled. */
int fg_schedule_trigger_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                            struct fg_trigger **out, struct fg_err *err) FG_MUST_CHECK;

/* The Scheduled Event EventBridge sends, for rule `name` firing at `due` (epoch s). Appends
 * to out. 0 or a fg_buf error. */
int fg_schedule_event(struct fg_buf *out, const char *id, const char *name, long long due, const char *region,
                      const char *account) FG_MUST_CHECK;

#endif
