/* SPDX-License-Identifier: MIT */
/* logread.h - questions to the log store: a function's lines by time, request id and text
 * (`fngate logs`, GET /_fngate/logs/FUNCTION), and the recorded usage (`fngate cost`, GET
 * /_fngate/usage).
 *
 * Why a file of its own: answering reads files, which must not happen on the loop thread,
 * and a search through 100 MB of a function's lines must not hold up the writer either, so
 * lines are read on the store's reader thread. Usage questions go to the writer (it holds
 * the figures of the last seconds, usage.h). DESIGN: an answer is a JSON document:
 *
 *     {"function":"F","records":[RECORD, ...],"next":"CURSOR","truncated":false}
 *
 * RECORD is the stored line as logseg.h shows it. Without `after`, records are the newest
 * `limit` (and at most FG_LOGREAD_MAX_BYTES) of those matching, oldest first, truncated
 * saying older ones matched too; next is a cursor at the end of what was stored when the
 * question was read. With `after` (a cursor), records are the first ones after it, truncated
 * saying more follow at once; an empty answer waits up to wait_ms for a line to be written
 * (`--follow`'s long poll, checked every FG_LOGREAD_POLL_MS and when the writer wrote).
 * A question is answered once the writer has written every batch handed to it before the
 * question came (at most FG_LOGREAD_CATCH_UP_MS later), so a line on stdout is a line found.
 * Tests: tests/integration/test_logs.py. */
#ifndef FG_LOGREAD_H
#define FG_LOGREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../core/buf.h"
#include "../core/id.h"
#include "../core/workq.h"

#define FG_LOGREAD_MAX_LIMIT 10000
#define FG_LOGREAD_MAX_BYTES (8u << 20)
#define FG_LOGREAD_MAX_WAIT_MS 60000
#define FG_LOGREAD_POLL_MS 100
#define FG_LOGREAD_CATCH_UP_MS 2000

enum fg_log_query_kind {
    FG_LOG_QUERY_LINES = 0,     /* a function's lines */
    FG_LOG_QUERY_USAGE,         /* usage.h's hourly figures */
};

struct fg_log_query;

/* The answer is in q (status, json). Runs on a store thread (reader or writer). */
typedef void fg_log_query_done_fn(struct fg_log_query *q, void *arg);

struct fg_log_query {
    /* asked (filled by the caller) */
    enum fg_log_query_kind kind;
    char function[72];          /* LINES: whose; USAGE: one function's, or "" for all */
    long long since_ms;         /* 0: from the oldest */
    long long until_ms;         /* 0: to the newest */
    char filter[256];           /* LINES: only lines containing this text (case-sensitive); "" all */
    char request_id[FG_ID_LEN + 1];  /* LINES: only this invocation's lines; "" all */
    char after[48];             /* LINES: a cursor from an earlier answer's next; "" none */
    int limit;                  /* LINES: 1..FG_LOGREAD_MAX_LIMIT records */
    int wait_ms;                /* LINES with after: how long an empty answer may wait */
    bool known;                 /* the function is configured (else only its stored lines say it existed) */
    fg_log_query_done_fn *done;
    void *done_arg;
    /* answered: status 200 with json the document, or 404 / 500 / 503 with json
     * {"message":...}; json is the caller's (fg_buf_free) once done ran */
    int status;
    struct fg_buf json;
    /* the store's, while it holds q */
    struct fg_workq_item item;
    unsigned long long seen_seq;     /* the writer's batches written when last looked */
    long long deadline_us;           /* monotonic: the end of its wait */
    struct fg_log_query *next_parked;
};

/* How far the log store's writer got: batches handed to it (by the loop) and written by it.
 * The reader waits on it so a question sees every line handed over before it came. */
struct fg_log_progress {
    _Atomic unsigned long long handed, written;
    pthread_mutex_t lock;       /* with cond: the writer's broadcast when written moves */
    pthread_cond_t cond;        /* CLOCK_MONOTONIC (fg_cond_init_monotonic) */
};

/* The reader thread: LINES questions over dir (state_dir/logs; "" when lines are not
 * kept: every question is answered 404). Caller-embedded, owned by the log store. */
struct fg_logread {
    char dir[4096];
    struct fg_log_progress *progress;   /* borrowed: the writer's */
    struct fg_workq q;
    struct fg_log_query *parked;        /* waiting for a line (follow), this thread's */
    pthread_t thread;
    bool made;                          /* q initialised */
    bool started;                       /* the thread runs (until stop) */
};

/* Starts the thread (r zeroed by the caller). Borrows progress. 0 or -errno with err
 * filled; fg_logread_close cleans up either way. */
int fg_logread_start(struct fg_logread *r, const char *dir, struct fg_log_progress *progress,
                     struct fg_err *err) FG_MUST_CHECK;

/* Any thread. Borrows q (a LINES question) until q->done ran on the reader thread.
 * 0 or -FG_ESHUTDOWN (stopping or not started: done will not run). */
int fg_logread_post(struct fg_logread *r, struct fg_log_query *q) FG_MUST_CHECK;

/* Answers what is queued and what waits (without waiting further), then joins the thread.
 * Later posts get -FG_ESHUTDOWN. Idempotent; fine when never started. */
void fg_logread_stop(struct fg_logread *r);

/* Stops it if needed and frees its queue. No thread may post any more. */
void fg_logread_close(struct fg_logread *r);

/* {"message": text} as q's answer with status (q->json initialised if it was not). Also
 * for a caller answering a question the store did not take. */
void fg_logread_refuse(struct fg_log_query *q, int status, const char *fmt, ...) FG_PRINTF(3, 4);

#endif
