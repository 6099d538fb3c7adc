/* SPDX-License-Identifier: MIT */
/* fnlog.h - the function log stream: what CloudWatch Logs would hold, on fngate's stdout.
 *
 * Per invocation: START / END / REPORT lines exactly as Lambda prints them (Init Duration on
 * a cold start,
 * Restore Duration when the worker was restored from a snapshot), and every line the worker printed, attributed to the request id that was
 * running when it was printed. Text lines start with the time as CloudWatch shows it (UTC,
 * milliseconds: "2026-12-02T16:35:31.123Z ") and "[FUNCTION] "; with log_format: json each
 * line is a JSON object with Lambda's platform.* types. The same lines (without either
 * prefix, as Lambda shows them) go to the invocation's 4 KB log tail when the caller asked
 * for one, and to the log store when there is one (logstore.h; whatever the format), with
 * the REPORT figures for the bill. Writes are batched: lines collect in a buffer flushed
 * once per loop iteration, when the store's batch is handed over too. Loop thread only.
 * Tests: tests/integration (logs; test_logs.py for the store). */
#ifndef FG_FNLOG_H
#define FG_FNLOG_H

#include <stddef.h>

#include "../config/config.h"
#include "../core/buf.h"

struct event_base;
struct event;
struct fg_invocation;
struct fg_logstore;

struct fg_fnlog {
    enum fg_log_format format;
    int fd;                    /* borrowed; normally STDOUT_FILENO */
    struct fg_buf out;         /* pending bytes */
    struct event *flush_ev;
    int flush_pending;
    struct fg_logstore *store; /* borrowed, or NULL: the router sets it once the store is open */
    long long ts_sec;          /* the second ts_text was formatted for */
    char ts_text[32];          /* "2026-12-02T16:35:31." for ts_sec */
};

int fg_fnlog_init(struct fg_fnlog *l, struct event_base *base, int fd, enum fg_log_format format,
                  struct fg_err *err) FG_MUST_CHECK;

/* inv may be NULL (output outside any invocation: init, or after a kill). */
void fg_fnlog_line(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv,
                   const char *line, size_t len);
void fg_fnlog_start(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv);
/* END and REPORT; status text "timeout" / "error" adds Lambda's "Status:" field. */
void fg_fnlog_end(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv,
                  int memory_size_mb, const char *status);

/* Init finished with no invocation waiting: Lambda's INIT_REPORT. init_type:
 * "provisioned-concurrency" (a min_warm worker), "snap-start" (a snapshot template). */
void fg_fnlog_init_report(struct fg_fnlog *l, const char *fn, double init_ms, const char *init_type);

/* A worker restored from a snapshot with no invocation waiting: RESTORE_REPORT. */
void fg_fnlog_restore_report(struct fg_fnlog *l, const char *fn, double restore_ms);

/* A duration as Lambda bills it and REPORT prints it: whole milliseconds, rounded up, at
 * least 1. */
long long fg_fnlog_billed_ms(double ms);

/* Writes what is pending (also called at shutdown). */
void fg_fnlog_flush(struct fg_fnlog *l);
void fg_fnlog_close(struct fg_fnlog *l);

#endif
