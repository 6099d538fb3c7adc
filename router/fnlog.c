/* SPDX-License-Identifier: MIT */
/* fnlog.c - START/END/REPORT and worker output lines (see fnlog.h). */
#include "fnlog.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/loop.h"
#include "invocation.h"
#include "logstore.h"

#define FNLOG_FLUSH_BYTES (256u * 1024)

static void fnlog_on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fg_fnlog_flush(arg);
}

int fg_fnlog_init(struct fg_fnlog *l, struct event_base *base, int fd, enum fg_log_format format,
                  struct fg_err *err)
{
    memset(l, 0, sizeof(*l));
    l->fd = fd;
    l->format = format;
    /* The ceiling only guards against a stalled stdout; lines past it are dropped. */
    fg_buf_init(&l->out, 64u << 20);
    if (!(l->flush_ev = event_new(base, -1, 0, fnlog_on_flush, l)))
        return fg_err_set(err, -ENOMEM, "cannot create the log flush event");
    return 0;
}

void fg_fnlog_flush(struct fg_fnlog *l)
{
    size_t off = 0;
    l->flush_pending = 0;
    /* The store's batch first: a line on stdout is a line the store was handed. */
    fg_logstore_flush(l->store);
    while (off < l->out.len) {
        ssize_t n = write(l->fd, l->out.data + off, l->out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;          /* stdout gone: drop, fngate keeps serving */
        off += (size_t)n;
    }
    fg_buf_reset(&l->out);
}

/* A flush once this loop iteration's callbacks ran. */
static void fnlog_schedule(struct fg_fnlog *l)
{
    if (!l->flush_pending) {
        l->flush_pending = 1;
        event_active(l->flush_ev, 0, 0);
    }
}

static void fnlog_emit(struct fg_fnlog *l, const char *s, size_t n)
{
    if (fg_buf_append(&l->out, s, n) < 0) {
        fg_fnlog_flush(l);
        if (fg_buf_append(&l->out, s, n) < 0)
            return;
    }
    if (l->out.len >= FNLOG_FLUSH_BYTES)
        fg_fnlog_flush(l);
    else
        fnlog_schedule(l);
}

/* A text line's start: "2026-12-02T16:35:31.123Z [FUNCTION] ". gmtime once a second. */
static void fnlog_prefix(struct fg_fnlog *l, const char *fn, long long now_ms)
{
    char ms[8];
    if (now_ms / 1000 != l->ts_sec || !l->ts_text[0]) {
        fg_log_iso_time(l->ts_text, now_ms);
        l->ts_text[20] = '\0';            /* keeps "yyyy-mm-ddThh:mm:ss." */
        l->ts_sec = now_ms / 1000;
    }
    snprintf(ms, sizeof(ms), "%03dZ [", (int)(now_ms % 1000));
    fnlog_emit(l, l->ts_text, 20);
    fnlog_emit(l, ms, 6);
    fnlog_emit(l, fn, strlen(fn));
    fnlog_emit(l, "] ", 2);
}

static void fnlog_tail(struct fg_invocation *inv, const char *s, size_t n)
{
    if (!inv || !inv->want_log_tail)
        return;
    if (inv->log_tail.len + n + 1 > inv->log_tail.max_bytes)
        fg_buf_keep_tail(&inv->log_tail, FG_LOG_TAIL_BYTES);
    if (n + 1 > FG_LOG_TAIL_BYTES) {
        s += n - FG_LOG_TAIL_BYTES + 1;
        n = FG_LOG_TAIL_BYTES - 1;
    }
    if (fg_buf_append(&inv->log_tail, s, n) == 0 && fg_buf_append(&inv->log_tail, "\n", 1) == 0)
        return;
}

/* One JSON record: {"time","type","function",...extra}. Takes extra (may be NULL). */
static void fnlog_json(struct fg_fnlog *l, const char *fn, const char *type, json_t *extra)
{
    char ts[32];
    json_t *o = extra ? extra : json_object();
    char *s;
    fg_log_iso_time(ts, fg_now_ms());
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "function", json_string(fn));
    if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        fnlog_emit(l, s, strlen(s));
        fnlog_emit(l, "\n", 1);
        free(s);
    }
    json_decref(o);
}

/* A platform line: to the tail as is, to the store, to the stream as text (the caller
 * writes the JSON record). */
static void fnlog_text(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv,
                       const char *line, size_t n)
{
    long long now = fg_now_ms();
    fnlog_tail(inv, line, n);
    if (l->store) {
        fg_logstore_line(l->store, fn, inv ? inv->request_id : NULL, now, line, n);
        fnlog_schedule(l);
    }
    if (l->format != FG_LOG_FORMAT_TEXT)
        return;
    fnlog_prefix(l, fn, now);
    fnlog_emit(l, line, n);
    fnlog_emit(l, "\n", 1);
}

void fg_fnlog_line(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv,
                   const char *line, size_t len)
{
    long long now = fg_now_ms();
    fnlog_tail(inv, line, len);
    if (l->store) {
        fg_logstore_output(l->store, fn, inv ? inv->request_id : NULL, now, line, len);
        fnlog_schedule(l);
    }
    if (l->format == FG_LOG_FORMAT_JSON) {
        json_t *o = json_object();
        if (inv)
            json_object_set_new(o, "requestId", json_string(inv->request_id));
        json_object_set_new(o, "record", json_stringn_nocheck(line, len));
        fnlog_json(l, fn, "function", o);
        return;
    }
    fnlog_prefix(l, fn, now);
    if (inv) {
        fnlog_emit(l, inv->request_id, strlen(inv->request_id));
        fnlog_emit(l, "\t", 1);
    }
    fnlog_emit(l, line, len);
    fnlog_emit(l, "\n", 1);
}

long long fg_fnlog_billed_ms(double ms)
{
    long long b = (long long)ceil(ms);
    return b < 1 ? 1 : b;
}

void fg_fnlog_start(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "START RequestId: %s Version: $LATEST", inv->request_id);
    fnlog_text(l, fn, inv, line, (size_t)n);
    if (l->format == FG_LOG_FORMAT_JSON)
        fnlog_json(l, fn, "platform.start",
                   json_pack("{s:{s:s,s:s}}", "record", "requestId", inv->request_id, "version", "$LATEST"));
}

void fg_fnlog_end(struct fg_fnlog *l, const char *fn, struct fg_invocation *inv,
                  int memory_size_mb, const char *status)
{
    char line[512];
    long long billed = fg_fnlog_billed_ms(inv->duration_ms);
    int n;

    n = snprintf(line, sizeof(line), "END RequestId: %s", inv->request_id);
    fnlog_text(l, fn, inv, line, (size_t)n);
    n = snprintf(line, sizeof(line),
                 "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %lld ms\t"
                 "Memory Size: %d MB\tMax Memory Used: %d MB",
                 inv->request_id, inv->duration_ms, billed, memory_size_mb, inv->max_memory_mb);
    if (inv->init_ms > 0)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "\tInit Duration: %.2f ms", inv->init_ms);
    if (inv->restore_ms > 0)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "\tRestore Duration: %.2f ms\tBilled Restore Duration: %lld ms",
                      inv->restore_ms, fg_fnlog_billed_ms(inv->restore_ms));
    if (status)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "\tStatus: %s", status);
    fnlog_text(l, fn, inv, line, (size_t)n);
    fg_logstore_usage(l->store, fn, fg_now_ms(), billed, memory_size_mb);
    if (l->format == FG_LOG_FORMAT_JSON) {
        json_t *metrics = json_pack("{s:f,s:I,s:i,s:i}", "durationMs", inv->duration_ms,
                                    "billedDurationMs", (json_int_t)billed, "memorySizeMB",
                                    memory_size_mb, "maxMemoryUsedMB", inv->max_memory_mb);
        if (inv->init_ms > 0)
            json_object_set_new(metrics, "initDurationMs", json_real(inv->init_ms));
        if (inv->restore_ms > 0) {
            json_object_set_new(metrics, "restoreDurationMs", json_real(inv->restore_ms));
            json_object_set_new(metrics, "billedRestoreDurationMs",
                                json_integer(fg_fnlog_billed_ms(inv->restore_ms)));
        }
        fnlog_json(l, fn, "platform.report",
                   json_pack("{s:{s:s,s:o,s:s}}", "record", "requestId", inv->request_id,
                             "metrics", metrics, "status", status ? status : "success"));
    }
}

void fg_fnlog_init_report(struct fg_fnlog *l, const char *fn, double init_ms, const char *init_type)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "INIT_REPORT Init Duration: %.2f ms", init_ms);
    fnlog_text(l, fn, NULL, line, (size_t)n);
    if (l->format == FG_LOG_FORMAT_JSON)
        fnlog_json(l, fn, "platform.initReport",
                   json_pack("{s:{s:s,s:{s:f}}}", "record", "initializationType", init_type, "metrics",
                             "durationMs", init_ms));
}

void fg_fnlog_restore_report(struct fg_fnlog *l, const char *fn, double restore_ms)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "RESTORE_REPORT Restore Duration: %.2f ms", restore_ms);
    fnlog_text(l, fn, NULL, line, (size_t)n);
    if (l->format == FG_LOG_FORMAT_JSON)
        fnlog_json(l, fn, "platform.restoreReport",
                   json_pack("{s:{s:{s:f}}}", "record", "metrics", "durationMs", restore_ms));
}

void fg_fnlog_close(struct fg_fnlog *l)
{
    fg_fnlog_flush(l);
    if (l->flush_ev)
        event_free(l->flush_ev);
    l->flush_ev = NULL;
    fg_buf_free(&l->out);
}
