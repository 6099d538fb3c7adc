/* SPDX-License-Identifier: MIT */
/* async.c - the async queue on the loop: dispatch, retries, event age, destinations and
 * dead letters for events the store committed.
 *
 * DESIGN: every committed event is in exactly one place on the loop: a function's ready
 * FIFO (due, waiting for capacity or a rate token), the retry heap (waiting for its due
 * time), or running (one attempt in a worker). It leaves the loop only through the store:
 * done (succeeded), handoff (its destination record replaces it in one transaction) or
 * bury (dead letter). Async events never take a throttle: they are started only when the
 * function has a free slot and a rate token, so a 429 can never burn an attempt. What
 * does fail them:
 *   - function errors and timeouts burn an attempt, then are retried with backoff until
 *     1 + maximum_retry_attempts attempts ran;
 *   - system errors (a spawn that failed, a worker that died before it took the event,
 *     shutdown) are retried with backoff without burning anything;
 *   - an event that could not start before maximum_event_age fails as EventAgeExceeded.
 * An attempt in flight when the process dies leaves its row untouched: after a restart
 * the event runs again and that attempt did not count (nothing is written per attempt;
 * it would double the writes per event). One timer serves every retry and rate wait.
 * Memory is bounded: payloads beyond gateway.queue_memory are dropped from memory ("cold",
 * still in the state file) and read back in batches when they reach the head of their
 * queue, so a backlog larger than RAM neither kills the gateway nor stops it restarting. */
#include <errno.h>
#include <stdatomic.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/assert.h"
#include "../core/heap.h"
#include "../core/log.h"
#include "async.h"
#include "destination.h"
#include "retry.h"
#include "router.h"
#include "router_int.h"
#include "store.h"
#include "webhook.h"

/* HTTP destinations delivered at once (they share one libcurl thread). */
#define ASYNC_WEBHOOKS_MAX 4

struct async_attempt {
    struct fg_invocation inv;          /* function attempts */
    struct fg_webhook_job job;         /* HTTP destination deliveries */
    struct fg_async_event *ev;
    struct fg_async *a;
    struct fg_function *fn;            /* started on (a reload may remove it meanwhile: it
                                        * stays until its n_running is back to 0) */
};

struct fg_async {
    struct fg_router *r;
    struct fg_store *store;
    struct fg_webhook *webhook;
    struct fg_heap retries;            /* events waiting for their due time, by due_ms */
    struct fg_async_event *url_head, *url_tail;  /* HTTP destinations ready to POST */
    int n_url_ready, n_url_running, n_url_retrying;
    struct event *timer;               /* earliest retry or rate wait */
    long long timer_at;                /* epoch ms it is armed for, 0 = not armed */
    struct event *kick;                /* deferred dispatch */
    size_t rr;                         /* round-robin start among functions */
    size_t warm_bytes, warm_limit;     /* payload bytes held by queued events, and the cap */
    struct fg_async_event *loaded;     /* read by fg_async_open, placed by fg_async_start */
    unsigned long long rng;            /* jitter */
};

/* ------------------------------------------------------------------ small helpers */

static double async_rand(struct fg_async *a)
{
    /* xorshift64*: jitter only needs to be spread out, not secret. */
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    return (double)((a->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void fifo_push(struct fg_async_event **head, struct fg_async_event **tail, struct fg_async_event *ev)
{
    ev->next = NULL;
    if (*tail)
        (*tail)->next = ev;
    else
        *head = ev;
    *tail = ev;
}

static struct fg_async_event *fifo_pop(struct fg_async_event **head, struct fg_async_event **tail)
{
    struct fg_async_event *ev = *head;
    if (ev && !(*head = ev->next))
        *tail = NULL;
    if (ev)
        ev->next = NULL;
    return ev;
}

static void fifo_push_front(struct fg_async_event **head, struct fg_async_event **tail, struct fg_async_event *ev)
{
    ev->next = *head;
    *head = ev;
    if (!*tail)
        *tail = ev;
}

/* ------------------------------------------------------------------ memory */

/* An event joins the loop: count its payload, or drop it to the file when over the cap.
 * HTTP destinations stay warm: they are few and their queue has no fetch path. */
static void async_hold(struct fg_async *a, struct fg_async_event *ev)
{
    if (!ev->payload || ev->url)
        return;
    if (a->warm_bytes + ev->payload_len > a->warm_limit) {
        free(ev->payload);
        ev->payload = NULL;
        return;
    }
    a->warm_bytes += ev->payload_len;
}

/* An event leaves the loop (to the store, or freed). */
static struct fg_async_event *async_release(struct fg_async *a, struct fg_async_event *ev)
{
    if (ev->payload && !ev->url) {
        FG_ASSERT(a->warm_bytes >= ev->payload_len);
        a->warm_bytes -= ev->payload_len;
    }
    return ev;
}

#define EV_OF(node) ((struct fg_async_event *)((char *)(node) - offsetof(struct fg_async_event, hnode)))

/* ------------------------------------------------------------------ placing events */

static void async_kick_now(struct fg_async *a)
{
    event_active(a->kick, EV_TIMEOUT, 0);
}

/* The FunctionNotFound rule: an event whose function is no longer configured. */
static void async_not_found(struct fg_async *a, struct fg_async_event *ev)
{
    fg_log(FG_LOG_WARN, "async", "event %s: function %s is no longer configured; moved to the dead letters",
           ev->request_id, ev->function);
    fg_store_bury(a->store, async_release(a, ev), "FunctionNotFound", "ResourceNotFoundException",
                  "the function is not in the configuration");
}

/* A due event joins its queue: its function's FIFO, or the HTTP destinations'. */
static void async_ready(struct fg_async *a, struct fg_async_event *ev)
{
    struct fg_function *fn;

    if (ev->url) {
        fifo_push(&a->url_head, &a->url_tail, ev);
        a->n_url_ready++;
        return;
    }
    fn = fg_router_function(a->r, ev->function);
    if (!fn) {
        /* The configuration changed since it was accepted: keep it where it can be seen. */
        async_not_found(a, ev);
        return;
    }
    fifo_push(&fn->queue.ready_head, &fn->queue.ready_tail, ev);
    fn->queue.n_ready++;
}

static struct fg_function *async_owner(struct fg_async *a, const struct fg_async_event *ev)
{
    return ev->url ? NULL : fg_router_function(a->r, ev->function);
}

static void async_place(struct fg_async *a, struct fg_async_event *ev, long long now)
{
    struct fg_function *fn;
    if (ev->due_ms <= now) {
        async_ready(a, ev);
        return;
    }
    ev->hnode.key = ev->due_ms;
    if (fg_heap_push(&a->retries, &ev->hnode) < 0) {
        fg_log(FG_LOG_ERROR, "async", "out of memory: event %s runs now instead of waiting", ev->request_id);
        async_ready(a, ev);
        return;
    }
    if ((fn = async_owner(a, ev)))
        fn->queue.n_retrying++;
    else if (ev->url)
        a->n_url_retrying++;
}

/* The store committed these: accepted, handed off or redriven. */
static void async_on_events(void *arg, struct fg_async_event *list)
{
    struct fg_async *a = arg;
    long long now = fg_now_ms();

    if (a->r->stopping) {
        fg_async_event_free_list(list);     /* committed: the next start loads them */
        return;
    }
    while (list) {
        struct fg_async_event *next = list->next;
        if (list->mark.kind) {
            /* What a reload's new adapter must know it fired for (mark.h). */
            fg_mark_seen(&a->r->marks, list->mark.kind, list->mark.key, list->mark.a, list->mark.b);
            free(list->mark.key);
            list->mark.key = NULL;
            list->mark.kind = FG_MARK_NONE;
        }
        struct fg_function *fn = async_owner(a, list);
        if (fn && !list->failures && !list->deferrals)
            fn->metrics.async_received++;   /* a fleet's retry comes back here: counted once */
        async_hold(a, list);
        async_place(a, list, now);
        list = next;
    }
    async_kick_now(a);
}

/* Payloads read back from the file: the events go back to the front of their queues, in
 * their order, warm (a running attempt needs its payload whatever the cap says). */
static void async_on_fetched(void *arg, struct fg_async_event *list)
{
    struct fg_async *a = arg;
    struct fg_async_event *rev = NULL;

    while (list) {
        struct fg_async_event *next = list->next;
        struct fg_function *fn = fg_router_function(a->r, list->function);
        if (fn)
            fn->queue.n_fetching--;
        list->next = rev;
        rev = list;
        list = next;
    }
    while (rev) {
        struct fg_async_event *next = rev->next;
        struct fg_function *fn = fg_router_function(a->r, rev->function);
        if (a->r->stopping || !fn) {
            fg_async_event_free(rev);
        } else if (!rev->payload) {
            fg_log(FG_LOG_ERROR, "async", "event %s: its row vanished from the state file; dropped", rev->request_id);
            fg_async_event_free(rev);
        } else {
            a->warm_bytes += rev->payload_len;
            fifo_push_front(&fn->queue.ready_head, &fn->queue.ready_tail, rev);
            fn->queue.n_ready++;
        }
        rev = next;
    }
    async_kick_now(a);
}

/* ------------------------------------------------------------------ outcomes */

static const struct fg_conf_retries *async_policy(struct fg_async *a, const struct fg_async_event *ev)
{
    const struct fg_conf_function *f = fg_conf_function(a->r->conf, ev->function);
    return f ? &f->retries : &a->r->conf->retries;
}

/* Builds the destination event for dest (a function or a URL) from ev's outcome. */
static struct fg_async_event *async_destination_event(struct fg_async *a, const struct fg_async_event *ev,
                                                      const struct fg_conf_destination *dest,
                                                      const char *condition, const struct fg_invocation *last)
{
    struct fg_function *fn = fg_router_function(a->r, ev->function);
    struct fg_destination_info d = {
        .condition = condition, .request_id = ev->request_id,
        .function_arn = fn ? fn->arn : ev->function,
        .invoke_count = ev->failures + (last && last->status == FG_INV_OK ? 1 : 0),
        .request_payload = ev->payload, .request_len = ev->payload_len, .last = last,
        .now_ms = fg_now_ms(),
    };
    struct fg_async_event *out = NULL;
    struct fg_buf rec, ce;
    char id[FG_ID_LEN + 1];

    fg_buf_init(&rec, 16u << 20);
    fg_buf_init(&ce, 16u << 20);
    fg_idgen_uuid4(&a->r->ids, id);
    if (fg_destination_record(&rec, &d) < 0)
        goto out;
    if (dest->kind == FG_DEST_URL) {
        if (fg_destination_cloudevent(&ce, id, &d, rec.data, rec.len) < 0)
            goto out;
        out = fg_async_event_new(ev->function, dest->target, ce.data, ce.len);
    } else {
        out = fg_async_event_new(dest->target, NULL, rec.data, rec.len);
    }
    if (out) {
        memcpy(out->request_id, id, sizeof(id));
        out->accepted_ms = out->due_ms = d.now_ms;
    }
out:
    fg_buf_free(&rec);
    fg_buf_free(&ce);
    return out;
}

/* A failed event of a configured function becomes a dead letter (fg_store_bury takes ev),
 * counted in its function's series. */
static void async_bury(struct fg_async *a, struct fg_async_event *ev, const char *condition, const char *error_type,
                       const char *error_message)
{
    struct fg_function *fn = fg_router_function(a->r, ev->function);
    if (fn)
        fg_series_count(fn->series, fg_now_ms(), FG_SERIES_DEAD_LETTERS);
    fg_store_bury(a->store, ev, condition, error_type, error_message);
}

/* ev is finished with a destination to follow (Success, or a failure condition). */
static void async_finish(struct fg_async *a, struct fg_async_event *ev, const char *condition,
                         const struct fg_invocation *last, const char *error_type, const char *error_message)
{
    const struct fg_conf_function *conf = fg_conf_function(a->r->conf, ev->function);
    bool success = !strcmp(condition, "Success");
    const struct fg_conf_destination *dest = NULL;
    struct fg_async_event *next;
    struct fg_function *fn;

    async_release(a, ev);
    if (!success && !ev->url && (fn = fg_router_function(a->r, ev->function))) {
        if (!strcmp(condition, "EventAgeExceeded"))
            fn->metrics.dropped_age++;
        else
            fn->metrics.dropped_retries++;
    }
    if (ev->url) {
        /* A destination that could not be delivered: the dead letters are the last stop. */
        if (success)
            fg_store_done(a->store, ev);
        else
            async_bury(a, ev, condition, error_type, error_message);
        return;
    }
    if (conf)
        dest = success ? &conf->on_success : &conf->on_failure;
    if (!dest || dest->kind == FG_DEST_NONE) {
        if (success)
            fg_store_done(a->store, ev);
        else
            async_bury(a, ev, condition, error_type, error_message);
        return;
    }
    if (dest->kind == FG_DEST_DLQ) {
        async_bury(a, ev, condition, error_type, error_message);
        return;
    }
    if (!(next = async_destination_event(a, ev, dest, condition, last))) {
        if ((fn = fg_router_function(a->r, ev->function)))
            fn->metrics.destination_failures++;
        fg_log(FG_LOG_ERROR, "async", "event %s: cannot build its destination record; moved to the dead letters",
               ev->request_id);
        async_bury(a, ev, condition, error_type, error_message);
        return;
    }
    fg_store_handoff(a->store, ev, next);
}

/* Schedules the next attempt, or fails the event when it would be too old by then. */
static void async_retry(struct fg_async *a, struct fg_async_event *ev, bool burned, const struct fg_invocation *last,
                        const char *error_type, const char *error_message)
{
    const struct fg_conf_retries *pol = async_policy(a, ev);
    long long now = fg_now_ms();
    int n = burned ? ev->failures : ++ev->deferrals;

    ev->due_ms = now + fg_retry_backoff_ms(pol, n, async_rand(a));
    if (fg_retry_expired(pol, ev->accepted_ms, ev->due_ms)) {
        async_finish(a, ev, "EventAgeExceeded", last, error_type, error_message);
        return;
    }
    if (fg_store_shared(a->store)) {
        /* The fleet's store keeps it until due; whichever node has room runs it then. */
        fg_store_requeue(a->store, async_release(a, ev));
        return;
    }
    fg_store_retry(a->store, ev);
    async_place(a, ev, now);
}

static void async_attempt_free(struct async_attempt *at)
{
    fg_invocation_close(&at->inv);
    free(at);
}

static void async_on_done(struct fg_invocation *inv, void *arg)
{
    struct async_attempt *at = arg;
    struct fg_async *a = at->a;
    struct fg_async_event *ev = at->ev;
    struct fg_function *fn = at->fn;
    const struct fg_conf_retries *pol = async_policy(a, ev);
    char type[128], msg[1024];

    if (fn)
        fn->queue.n_running--;
    fg_destination_error_fields(inv->result.data, inv->result.len, type, sizeof(type), msg, sizeof(msg));
    if (inv->status == FG_INV_OK) {
        /* Recorded even while stopping: the store commits until after the loop ends. */
        async_finish(a, ev, "Success", inv, NULL, NULL);
    } else if (a->r->stopping) {
        /* Shutdown killed it, not the function: the row stays and runs after a restart. */
        fg_async_event_free(ev);
    } else if ((inv->status == FG_INV_FUNCTION_ERROR || inv->status == FG_INV_TIMEOUT) && !inv->sandbox_fault) {
        ev->failures++;
        if (ev->failures > pol->max_attempts)
            async_finish(a, ev, "RetriesExhausted", inv, type, msg);
        else
            async_retry(a, ev, true, inv, type, msg);
    } else if (inv->status == FG_INV_NOT_FOUND) {
        fg_store_bury(a->store, async_release(a, ev), "FunctionNotFound", "ResourceNotFoundException",
                      "the function is not in the configuration");
    } else {
        fg_log(FG_LOG_INFO, "async", "event %s for %s: system error (%s), retrying without using an attempt",
               ev->request_id, ev->function, type[0] ? type : "no capacity");
        async_retry(a, ev, false, NULL, type[0] ? type : "ServiceException", msg);
    }
    async_attempt_free(at);
    async_kick_now(a);
}

static void async_on_webhook_done(struct fg_webhook_job *job)
{
    struct async_attempt *at = (struct async_attempt *)((char *)job - offsetof(struct async_attempt, job));
    struct fg_async *a = at->a;
    struct fg_async_event *ev = at->ev;

    a->n_url_running--;
    if (job->status >= 200 && job->status <= 299) {
        async_finish(a, ev, "Success", NULL, NULL, NULL);
    } else if (a->r->stopping) {
        fg_async_event_free(async_release(a, ev));
    } else {
        char msg[400];
        struct fg_function *fn = fg_router_function(a->r, ev->function);
        snprintf(msg, sizeof(msg), "POST %s: %s", ev->url, job->error);
        if (fn)
            fn->metrics.destination_failures++;
        fg_log(FG_LOG_INFO, "async", "destination %s for %s: %s", ev->url, ev->function, job->error);
        ev->failures++;
        if (ev->failures > async_policy(a, ev)->max_attempts)
            async_finish(a, ev, "RetriesExhausted", NULL, "DestinationDeliveryFailed", msg);
        else
            async_retry(a, ev, true, NULL, "DestinationDeliveryFailed", msg);
    }
    async_attempt_free(at);
    async_kick_now(a);
}

/* ------------------------------------------------------------------ dispatch */

static struct async_attempt *async_attempt_new(struct fg_async *a, struct fg_async_event *ev)
{
    struct async_attempt *at = calloc(1, sizeof(*at));
    if (!at)
        return NULL;
    at->a = a;
    at->ev = ev;
    fg_invocation_init(&at->inv);
    return at;
}

static void async_start(struct fg_async *a, struct fg_function *fn, struct fg_async_event *ev)
{
    struct async_attempt *at = async_attempt_new(a, ev);
    if (!at) {
        fg_log(FG_LOG_ERROR, "async", "out of memory: event %s retried later", ev->request_id);
        async_retry(a, ev, false, NULL, "ServiceException", "out of memory");
        return;
    }
    snprintf(at->inv.function, sizeof(at->inv.function), "%s", ev->function);
    memcpy(at->inv.request_id, ev->request_id, sizeof(at->inv.request_id));
    at->inv.payload = ev->payload;
    at->inv.payload_len = ev->payload_len;
    at->inv.done = async_on_done;
    at->inv.done_arg = at;
    at->fn = fn;
    fn->queue.n_running++;
    long long now_ms = fg_now_ms();
    fg_metrics_observe_age(&fn->metrics, (double)(now_ms - ev->accepted_ms));
    fg_series_max(fn->series, now_ms, FG_SERIES_ASYNC_AGE, now_ms - ev->accepted_ms);
    fg_router_admit(a->r, fn, &at->inv);
}

static void async_post(struct fg_async *a, struct fg_async_event *ev)
{
    struct async_attempt *at = async_attempt_new(a, ev);
    if (!at) {
        async_retry(a, ev, false, NULL, "ServiceException", "out of memory");
        return;
    }
    at->job.url = ev->url;
    at->job.body = ev->payload;
    at->job.body_len = ev->payload_len;
    at->job.content_type = "application/cloudevents+json; charset=utf-8";
    at->job.done = async_on_webhook_done;
    a->n_url_running++;
    fg_webhook_post(a->webhook, &at->job);
}

/* Reads back the cold events at the head of fn's queue: as many as could start now. */
static void async_fetch(struct fg_async *a, struct fg_function *fn)
{
    struct fg_async_event *head = NULL, *tail = NULL, *ev;
    int room = fn->conf->concurrency ? fn->conf->concurrency - fn->inflight : 64;

    room -= fn->queue.n_fetching;
    while (room-- > 0 && (ev = fn->queue.ready_head) && !ev->payload) {
        fifo_pop(&fn->queue.ready_head, &fn->queue.ready_tail);
        fn->queue.n_ready--;
        fn->queue.n_fetching++;
        fifo_push(&head, &tail, ev);
    }
    if (head)
        fg_store_fetch(a->store, head);
}

static void async_arm(struct fg_async *a, long long at_ms, long long now)
{
    struct timeval tv;
    long long d = at_ms > now ? at_ms - now : 0;
    if (a->timer_at && a->timer_at <= at_ms)
        return;
    tv.tv_sec = d / 1000;
    tv.tv_usec = (d % 1000) * 1000;
    evtimer_add(a->timer, &tv);
    a->timer_at = at_ms;
}

static void async_dispatch(struct fg_async *a)
{
    struct fg_router *r = a->r;
    long long now = fg_now_ms(), wake = 0;
    struct fg_async_event *ev;

    if (r->stopping)
        return;
    while (fg_heap_top(&a->retries) && fg_heap_top(&a->retries)->key <= now) {
        struct fg_function *fn;
        ev = EV_OF(fg_heap_pop(&a->retries));
        if ((fn = async_owner(a, ev)))
            fn->queue.n_retrying--;
        else if (ev->url)
            a->n_url_retrying--;
        async_ready(a, ev);
    }
    if (fg_heap_top(&a->retries))
        wake = fg_heap_top(&a->retries)->key;
    for (size_t k = 0; k < r->n_fns; k++) {
        struct fg_function *fn = r->fns[(a->rr + k) % r->n_fns];
        while ((ev = fn->queue.ready_head)) {
            enum fg_router_verdict verdict;
            long long wait_us = 0;
            if (!ev->payload) {
                async_fetch(a, fn);
                break;
            }
            if (fg_retry_expired(&fn->conf->retries, ev->accepted_ms, now)) {
                fifo_pop(&fn->queue.ready_head, &fn->queue.ready_tail);
                fn->queue.n_ready--;
                async_finish(a, ev, "EventAgeExceeded", NULL, "EventAgeExceeded",
                             "the event could not start before maximum_event_age");
                continue;
            }
            /* In a fleet: is it still this node's? (the store kicks the queue once it knows) */
            enum fg_store_claim claim = fg_store_claimed(a->store, ev);
            if (claim == FG_STORE_CLAIM_WAIT)
                break;
            if (claim == FG_STORE_CLAIM_LOST) {
                fifo_pop(&fn->queue.ready_head, &fn->queue.ready_tail);
                fn->queue.n_ready--;
                fg_async_event_free(async_release(a, ev));
                continue;
            }
            /* Full: a finishing invocation kicks the queue. Rate: the timer does. */
            verdict = fg_router_admission(r, fn, fg_mono_us(), &wait_us);
            if (verdict == FG_ROUTER_RATE_LIMITED) {
                long long at = now + wait_us / 1000 + 1;
                if (!wake || at < wake)
                    wake = at;
            }
            if (verdict != FG_ROUTER_ADMITTED)
                break;
            fifo_pop(&fn->queue.ready_head, &fn->queue.ready_tail);
            fn->queue.n_ready--;
            async_start(a, fn, ev);
        }
    }
    if (r->n_fns)
        a->rr = (a->rr + 1) % r->n_fns;
    while (a->n_url_running < ASYNC_WEBHOOKS_MAX && (ev = fifo_pop(&a->url_head, &a->url_tail))) {
        a->n_url_ready--;
        async_post(a, ev);
    }
    if (wake)
        async_arm(a, wake, now);
}

static void async_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fg_async *a = arg;
    (void)fd;
    (void)what;
    a->timer_at = 0;
    async_dispatch(a);
}

static void async_on_kick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    async_dispatch(arg);
}

void fg_async_forget_function(struct fg_router *r, struct fg_function *fn)
{
    struct fg_async_event *ev;
    if (!r->async)
        return;
    while ((ev = fifo_pop(&fn->queue.ready_head, &fn->queue.ready_tail))) {
        fn->queue.n_ready--;
        async_not_found(r->async, ev);
    }
}

void fg_async_kick(struct fg_router *r)
{
    struct fg_async *a = r->async;
    if (a && !r->stopping)
        async_kick_now(a);
}

/* ------------------------------------------------------------------ admin */

int fg_async_stats(struct fg_router *r, struct fg_buf *out)
{
    struct fg_async *a = r->async;
    long long now = fg_now_ms();
    int rc;

    if ((rc = fg_buf_append(out, "{\"functions\":[", 14)) < 0)
        return rc;
    for (size_t i = 0; i < r->n_fns; i++) {
        struct fg_function *fn = r->fns[i];
        long long oldest = 0, cold = 0;
        char line[512];
        int n;
        for (struct fg_async_event *ev = fn->queue.ready_head; ev; ev = ev->next) {
            if (!oldest || ev->accepted_ms < oldest)
                oldest = ev->accepted_ms;
            cold += !ev->payload;
        }
        for (size_t h = 1; h <= a->retries.len; h++) {
            struct fg_async_event *ev = EV_OF(a->retries.v[h]);
            if (ev->url || strcmp(ev->function, fn->conf->name))
                continue;
            if (!oldest || ev->accepted_ms < oldest)
                oldest = ev->accepted_ms;
            cold += !ev->payload;
        }
        /* cold: queued events whose payload waits only in the state file (over queue_memory). */
        n = snprintf(line, sizeof(line),
                     "%s{\"name\":\"%s\",\"queued\":%d,\"inFlight\":%d,\"retrying\":%d,\"cold\":%lld,"
                     "\"oldestEventAgeMs\":%lld,\"deadLetters\":%lld,"
                     "\"pool\":{\"workers\":%d,\"starting\":%d,\"concurrent\":%d,\"waiting\":%d,\"target\":%d}",
                     i ? "," : "", fn->conf->name, fn->queue.n_ready, fn->queue.n_running, fn->queue.n_retrying,
                     cold, oldest ? now - oldest : 0, fg_store_dlq_count(a->store, fn->conf->name),
                     fn->n_live, fn->n_starting, fn->inflight, fn->n_waiting, fn->climb.target);
        if ((rc = fg_buf_append(out, line, (size_t)n)) < 0)
            return rc;
        long long fleet[3];
        n = 0;
        if (fg_store_fleet_stats(a->store, fn->conf->name, fleet))
            /* The whole fleet's share (as of the last second): in the store, held by nodes, retrying. */
            n = snprintf(line, sizeof(line), ",\"fleet\":{\"queued\":%lld,\"held\":%lld,\"retrying\":%lld}",
                         fleet[0], fleet[1], fleet[2]);
        line[n++] = '}';
        if ((rc = fg_buf_append(out, line, (size_t)n)) < 0)
            return rc;
    }
    char tail[256];
    int n = snprintf(tail, sizeof(tail), "],\"destinations\":{\"queued\":%d,\"inFlight\":%d,\"retrying\":%d},"
                     "\"memory\":{\"payloadBytes\":%zu,\"limitBytes\":%zu}}",
                     a->n_url_ready, a->n_url_running, a->n_url_retrying, a->warm_bytes, a->warm_limit);
    return fg_buf_append(out, tail, (size_t)n);
}

int fg_async_accept(struct fg_router *r, struct fg_async_event *ev, fg_store_accept_fn *cb, void *arg)
{
    return fg_store_accept(r->async->store, ev, cb, arg);
}

int fg_router_submit_record(struct fg_router *r, const char *function, const struct fg_conf_destination *dest,
                            const char *condition, const char *record, size_t len, fg_store_accept_fn *cb, void *arg)
{
    /* Any thread: the configuration in force, never the loop's function table (a reload
     * replaces it). */
    const struct fg_config *conf = atomic_load(&r->conf);
    struct fg_async_event *ev = NULL;
    char id[FG_ID_LEN + 1], arn[200];

    if (!fg_conf_function(conf, function))
        return -ENOENT;
    fg_conf_function_arn(conf, function, arn, sizeof(arn));
    fg_idgen_uuid4(&r->ids, id);
    if (dest->kind == FG_DEST_URL) {
        struct fg_destination_info d = { .condition = condition, .request_id = id, .function_arn = arn,
                                         .now_ms = fg_now_ms() };
        struct fg_buf ce;
        fg_buf_init(&ce, 16u << 20);
        if (fg_destination_cloudevent(&ce, id, &d, record, len) == 0)
            ev = fg_async_event_new(function, dest->target, ce.data, ce.len);
        fg_buf_free(&ce);
    } else {
        ev = fg_async_event_new(dest->kind == FG_DEST_FUNCTION ? dest->target : function, NULL, record, len);
        if (ev && dest->kind != FG_DEST_FUNCTION)
            ev->bury_condition = condition;
    }
    if (!ev)
        return -ENOMEM;
    memcpy(ev->request_id, id, sizeof(id));
    ev->accepted_ms = fg_now_ms();
    return fg_async_accept(r, ev, cb, arg);
}

int fg_async_query(struct fg_router *r, struct fg_store_query *q)
{
    return fg_store_query(r->async->store, q);
}

/* ------------------------------------------------------------------ lifecycle */

int fg_async_open(struct fg_router *r, struct fg_err *err)
{
    struct fg_async *a = calloc(1, sizeof(*a));
    int rc;

    if (!a)
        return fg_err_set(err, -ENOMEM, "out of memory");
    r->async = a;
    a->r = r;
    a->rng = (unsigned long long)fg_mono_us() * 0x9E3779B97F4A7C15ULL | 1;
    if (!(a->timer = evtimer_new(r->loop->base, async_on_timer, a)) ||
        !(a->kick = event_new(r->loop->base, -1, 0, async_on_kick, a)))
        return fg_err_set(err, -ENOMEM, "out of memory");
    a->warm_limit = (size_t)r->conf->queue_memory_mb << 20;
    if ((rc = fg_store_open(r->conf, r->loop, async_on_events, async_on_fetched, a, &a->store, err)) < 0 ||
        (rc = fg_store_load(a->store, a->warm_limit, &a->loaded, err)) < 0 ||
        (rc = fg_webhook_new(r->loop, &a->webhook, err)) < 0)
        return rc;
    return 0;
}

struct fg_store *fg_async_store(struct fg_router *r)
{
    return r->async->store;
}

int fg_async_start(struct fg_router *r, struct fg_err *err)
{
    struct fg_async *a = r->async;
    long long now = fg_now_ms();
    size_t n = 0;
    int rc;

    if ((rc = fg_store_start(a->store, err)) < 0)
        return rc;
    /* Placed only once the store runs: placing buries the events of functions no longer
     * configured (FunctionNotFound), and the store takes no op before it started. */
    while (a->loaded) {
        struct fg_async_event *ev = a->loaded;
        a->loaded = ev->next;
        if (ev->payload && !ev->url)
            a->warm_bytes += ev->payload_len;
        async_place(a, ev, now);
        n++;
    }
    if (n)
        fg_log(FG_LOG_INFO, "async", "resuming %zu queued event(s) from %s/fngate.db", n, r->conf->state_dir);
    async_kick_now(a);
    return 0;
}

void fg_async_stop(struct fg_router *r)
{
    struct fg_async *a = r->async;
    if (!a)
        return;
    if (a->timer)
        evtimer_del(a->timer);
    fg_webhook_stop(a->webhook);
}

void fg_async_close_store(struct fg_router *r)
{
    if (r->async)
        fg_store_stop(r->async->store);
}

void fg_async_free(struct fg_router *r)
{
    struct fg_async *a = r->async;
    if (!a)
        return;
    fg_webhook_free(a->webhook);
    fg_store_stop(a->store);
    fg_store_free(a->store);
    for (size_t i = 1; i <= a->retries.len; i++)
        fg_async_event_free(EV_OF(a->retries.v[i]));
    fg_heap_free(&a->retries);
    fg_async_event_free_list(a->url_head);
    for (size_t i = 0; i < r->n_fns; i++)
        fg_async_event_free_list(r->fns[i]->queue.ready_head);
    if (a->timer)
        event_free(a->timer);
    if (a->kick)
        event_free(a->kick);
    fg_async_event_free_list(a->loaded);
    free(a);
    r->async = NULL;
}
