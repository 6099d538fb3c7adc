/* SPDX-License-Identifier: MIT */
/* tz.h - IANA time zones, read from the system's TZif files, without touching TZ.
 *
 * Schedules run in their own zones (`timezone: Europe/Berlin`), many zones in one process.
 * libc can only convert through the process-wide TZ variable (setenv + tzset: global,
 * not thread-safe), so this reads /usr/share/zoneinfo/NAME itself: the 64-bit transition
 * table and the POSIX TZ footer that extends it past its last transition. Times are epoch
 * seconds; "local seconds" are the wall clock read as if it were UTC. A zone is immutable
 * once loaded and can be read from any thread. Tests: tests/unit/test_schedule.c. */
#ifndef FG_TZ_H
#define FG_TZ_H

#include "err.h"

struct fg_tz;

/* Loads NAME ("UTC", "Europe/Berlin"; FNGATE_ZONEINFO or /usr/share/zoneinfo). An unknown
 * or malformed zone is an error, never a silent UTC. 0 and an owned zone in *out
 * (fg_tz_free), or -ENOENT / -EINVAL / -ENOMEM with err filled. */
int fg_tz_load(const char *name, struct fg_tz **out, struct fg_err *err) FG_MUST_CHECK;

void fg_tz_free(struct fg_tz *z);

/* The zone's name as loaded. Borrowed from z. */
const char *fg_tz_name(const struct fg_tz *z);

/* Seconds east of UTC in effect at utc. */
int fg_tz_offset(const struct fg_tz *z, long long utc);

/* The instant a wall-clock time names: when it happens twice (clocks set back) the first
 * one; when it does not happen (clocks set forward) the first instant after the gap, i.e.
 * the moment of the change. */
long long fg_tz_resolve(const struct fg_tz *z, long long local);

/* Formats instant utc as ISO 8601 on the wall clock offset_s east of UTC:
 * "2026-03-29T03:00:00+02:00", or with offset 0 "2026-03-29T01:00:00Z". */
void fg_tz_format(char out[32], long long utc, int offset_s);

/* Civil calendar helpers (proleptic Gregorian, any year). */
long long fg_days_from_civil(int y, int m, int d);
void fg_civil_from_days(long long days, int *y, int *m, int *d);
int fg_days_in_month(int y, int m);
/* 0 = Sunday .. 6 = Saturday */
int fg_weekday(long long days);

#endif
