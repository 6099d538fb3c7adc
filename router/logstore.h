/* SPDX-License-Identifier: MIT */
/* logstore.h - the function log store: every line of the function log stream also kept per
 * function under state_dir/logs/FUNCTION/ (CloudWatch Logs' log group), with age and size
 * retention, searchable after a restart; and the REPORT figures kept for the bill (usage.h).
 *
 * Why: stdout is gone once read, and an operator asks "what did request X print yesterday?"
 * DESIGN: the loop thread only copies a line into a batch (fg_logstore_line and friends);
 * once per loop iteration the function log stream hands the batch to the writer thread
 * (fg_logstore_flush), which turns records into JSON lines (logseg.h) and appends them with
 * one write per function for all the batches that gathered since its last round (it lets
 * them gather 10 ms under load). The loop never waits: past FG_LOGSTORE_QUEUE_BYTES waiting for
 * the writer, a batch's lines are dropped, and so are the lines a failed write (a full
 * disk) could not keep; both are counted (fg_logstore_dropped, the metric
 * fngate_log_lines_dropped_total). The usage figures of a dropped batch are still handed
 * over: they are small and they are the bill. A segment ends at the top of each UTC hour or
 * at an eighth of logs.max_size; the oldest segments go when a function's lines pass
 * max_size (checked when a segment ends) or when they are older than logs.retention
 * (checked at start and every FG_LOGSTORE_TRIM_MS). Nothing is fsynced: logs are not
 * events. A second thread answers questions (logread.h). Lifecycle: open (loop thread,
 * before the loop runs) → line/output/usage/flush (loop thread) → query, dropped (any
 * thread) → stop (after the loop stopped: writes what was handed over, answers what
 * waits) → free (once no other thread can ask any more). Tests:
 * tests/integration/test_logs.py. */
#ifndef FG_LOGSTORE_H
#define FG_LOGSTORE_H

#include <stddef.h>

#include "../config/config.h"
#include "../core/err.h"
#include "logread.h"

/* Bytes of batches the writer may be behind by before lines are dropped. */
#define FG_LOGSTORE_QUEUE_BYTES (16u << 20)
/* A line longer than this is kept cut to it (CloudWatch's event limit is 256 KB). */
#define FG_LOGSTORE_LINE_MAX (256u << 10)
#define FG_LOGSTORE_TRIM_MS 60000

struct fg_logstore;

/* Opens what conf->logs asks for under conf->state_dir (logs/ when logs.store, usage/
 * when logs.usage; NULL in *out when neither) and starts the writer and reader threads;
 * the first retention pass runs on the writer. Copies what it needs of conf. 0, or a
 * negative code with err filled. */
int fg_logstore_open(const struct fg_config *conf, struct fg_logstore **out, struct fg_err *err) FG_MUST_CHECK;

/* Loop thread. A platform line of function fn (START, END, REPORT, INIT_REPORT, ...),
 * printed at ts_ms, of invocation request_id (NULL or "" outside one). Copied. s may be
 * NULL: nothing happens (so may every call below). */
void fg_logstore_line(struct fg_logstore *s, const char *fn, const char *request_id, long long ts_ms,
                      const char *line, size_t len);

/* Loop thread. A line the function printed: kept as the log stream shows it, "REQUEST_ID\t"
 * before it when it was printed during an invocation. */
void fg_logstore_output(struct fg_logstore *s, const char *fn, const char *request_id, long long ts_ms,
                        const char *line, size_t len);

/* Loop thread. One invocation's REPORT figures, for the bill. */
void fg_logstore_usage(struct fg_logstore *s, const char *fn, long long ts_ms, long long billed_ms, int memory_mb);

/* Loop thread. Hands what was added since the last flush to the writer. */
void fg_logstore_flush(struct fg_logstore *s);

/* Any thread. Borrows q until q->done ran (on a store thread, never inside this call).
 * 0, or -FG_ESHUTDOWN (s NULL or closing; done will not run): the caller answers. */
int fg_logstore_query(struct fg_logstore *s, struct fg_log_query *q) FG_MUST_CHECK;

/* Any thread. Lines not kept since open (queue full, write failed). 0 for NULL. */
unsigned long long fg_logstore_dropped(const struct fg_logstore *s);

/* After the loop stopped (the caller's thread counts as the loop's): hands over what is
 * left, the writer writes everything it was handed and the usage figures in memory,
 * questions still waiting are answered with what there is, both threads stop. Later
 * questions get -FG_ESHUTDOWN. Idempotent; NULL allowed. */
void fg_logstore_stop(struct fg_logstore *s);

/* Stops it if needed and frees it (NULL allowed). No thread may ask any more. */
void fg_logstore_free(struct fg_logstore *s);

#endif
