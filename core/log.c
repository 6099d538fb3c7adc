/* SPDX-License-Identifier: MIT */
/* log.c - diagnostics to stderr (see log.h).
 *
 * DESIGN: the level is the one process-wide setting outside gateway/main.c; it is an atomic
 * written once at start-up, so every thread can test it without a lock. A line is built in
 * one buffer and written with one write(2) so lines from threads do not interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = FG_LOG_INFO;

void fg_log_set_level(enum fg_log_level level)
{
    atomic_store(&log_level, (int)level);
}

int fg_log_enabled(enum fg_log_level level)
{
    return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

void fg_log_iso_time(char out[32], long long epoch_ms)
{
    time_t s = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(epoch_ms % 1000));
}

void fg_log_write(enum fg_log_level level, const char *component, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char line[4096], ts[32];
    struct timespec now;
    va_list ap;
    int n;

    clock_gettime(CLOCK_REALTIME, &now);
    fg_log_iso_time(ts, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    n = snprintf(line, sizeof(line), "%s %-5s %s: ", ts, names[level], component);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report a failing stderr. */
    }
}

bool fg_log_limit_pass(struct fg_log_limit *l, long long now_us, long long every_us, unsigned *suppressed)
{
    if (l->last_us && now_us - l->last_us < every_us) {
        l->suppressed++;
        return false;
    }
    *suppressed = l->suppressed;
    l->suppressed = 0;
    l->last_us = now_us;
    return true;
}
