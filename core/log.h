/* SPDX-License-Identifier: MIT */
/* log.h - fngate's own diagnostics (stderr), one printf-checked call.
 *
 * Function output (START/END/REPORT and what handlers print) is not this: it goes to the
 * function log stream (router/fnlog.h) on stdout. The level test happens before any
 * formatting, so a disabled debug line costs one branch. */
#ifndef FG_LOG_H
#define FG_LOG_H

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

/* Formats "2026-11-27T22:10:00.123Z" (24 bytes + NUL) for epoch milliseconds. */
void fg_log_iso_time(char out[32], long long epoch_ms);

#endif
