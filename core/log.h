/* SPDX-License-Identifier: MIT */
/* log.h - fngate's own diagnostics (stderr), one printf-checked call.
 *
 * Function output (START/END/REPORT and what handlers print) is not this: it goes to the
 * function log stream (router/fnlog.h) on stdout. The level test happens before any
 * formatting, so a disabled debug line costs one branch. */
#ifndef FG_LOG_H
#define FG_LOG_H

#include <stdbool.h>

#include "err.h"

enum fg_log_level {
    FG_LOG_ERROR = 0,
    FG_LOG_WARN,
    FG_LOG_INFO,
    FG_LOG_DEBUG,
};

/* Set once by main before threads start; read by every thread after. */
void fg_log_set_level(enum fg_log_level level);
int fg_log_enabled(enum fg_log_level level);

void fg_log_write(enum fg_log_level level, const char *component, const char *fmt, ...)
    FG_PRINTF(3, 4);

#define fg_log(level, component, ...)                                         \
    do {                                                                      \
        if (fg_log_enabled(level))                                            \
            fg_log_write(level, component, __VA_ARGS__);                      \
    } while (0)

/* A line a flood could repeat (refused connections, throttles): at most one per period,
 * the rest counted. Caller-embedded, zeroed; one thread. */
struct fg_log_limit {
    long long last_us;          /* the last line let through (monotonic µs), 0 never */
    unsigned suppressed;        /* lines held back since */
};

/* true: log now, and *suppressed says how many were held back since the last one; false:
 * counted, not logged. */
bool fg_log_limit_pass(struct fg_log_limit *l, long long now_us, long long every_us, unsigned *suppressed);

/* Formats "2026-11-27T22:10:00.123Z" (24 bytes + NUL) for epoch milliseconds. */
void fg_log_iso_time(char out[32], long long epoch_ms);

#endif
