/* SPDX-License-Identifier: MIT */
/* webhook.h - POSTs to HTTP destinations, off the loop thread.
 *
 * DNS, connects and slow servers must never stall the loop, so one helper thread runs
 * libcurl and posts each result back to the loop. Deliveries are sequential, with a 10 s
 * timeout each; the queue that feeds them (router/async.c) retries and dead-letters.
 * Lifecycle: new → post... → stop (aborts what is running; every job still gets its done
 * callback) → free. Tests: tests/integration/test_async.py. */
#ifndef FG_WEBHOOK_H
#define FG_WEBHOOK_H

#include "../core/loop.h"
#include "../core/workq.h"

struct fg_webhook;
struct fg_webhook_job;

/* Loop thread. status: the HTTP status, or 0 when no answer came (error says why). */
typedef void fg_webhook_done_fn(struct fg_webhook_job *job);

struct fg_webhook_job {
    const char *url;                /* borrowed until done */
    const char *body;               /* borrowed until done */
    size_t body_len;
    const char *content_type;       /* static */
    fg_webhook_done_fn *done;
    /* ---- result */
    int status;
    char error[256];
    /* ---- private */
    struct fg_work_job work;
};

int fg_webhook_new(struct fg_loop *loop, struct fg_webhook **out, struct fg_err *err) FG_MUST_CHECK;

/* Loop thread. Borrows job until done runs (on the loop thread, never inside this call). */
void fg_webhook_post(struct fg_webhook *w, struct fg_webhook_job *job);

/* Loop thread: aborts the running POST, fails the queued ones (their done still runs
 * later on the loop), joins the thread. Idempotent. */
void fg_webhook_stop(struct fg_webhook *w);

void fg_webhook_free(struct fg_webhook *w);

#endif
