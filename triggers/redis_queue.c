/* SPDX-License-Identifier: MIT */
/* redis_queue.c - Redis stream queues with SQS semantics (see redis_queue.h).
 *
 * Per source: `reading` is the one XREADGROUP outstanding on the read connection; a batch
 * fills from it until batch_size or the batching window, then runs as one synchronous
 * invocation, up to max_concurrency batches at once. A claim scan every quarter of the
 * visibility timeout takes back messages left pending that long (by a failed batch, a
 * crashed gateway, a lost connection). */
#include "redis_queue.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/filter.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "batch_response.h"
#include "../config/conf_state.h"
#include "redis.h"
#include "source_metrics.h"
#include "trigger_console.h"
#include "sqs_event.h"

/* An idle XREADGROUP returns after this long, so a lost server is noticed. */
#define RQ_IDLE_BLOCK_MS 5000
/* A batch refused by a concurrency cap runs again after this long. */
#define RQ_THROTTLE_RETRY_MS 200
/* How often the group's oldest pending entry is asked for (IteratorAge in GET /metrics). */
#define RQ_AGE_POLL_MS 1000

struct rq_source;

static const struct fg_conf_event_type rq_conf;

struct rq_batch {
    struct fg_invocation inv;
    struct rq_source *src;
    struct rq_batch *prev, *next;      /* src->batches */
    struct fg_buf payload;             /* {"Records":[...]} */
    char **ids;                        /* owned, the messages the function sees */
    size_t n, cap;
    long long first_ms;                /* the first message's arrival (batching window) */
    bool running;                      /* submitted to the router */
    struct event *retry_ev;            /* a throttled batch waits for its retry */
};

struct rq_source {
    struct rq_trigger *t;
    const struct fg_conf_function *fn;
    const struct fg_conf_queue *q;
    struct fg_sqs_source sqs;
    struct fg_filter *filter;          /* NULL: everything passes */
    struct fg_redis rd, wr;            /* XREADGROUP; everything else */
    char consumer[128];
    bool group_ready, creating, reading, claiming, asking_age;
    struct rq_batch *filling;          /* collecting within the batching window */
    struct rq_batch *batches;          /* running or waiting to retry */
    int inflight;
    struct event *claim_ev;
    struct event *again_ev;            /* after an error reply: set up and read again later */
    struct event *age_ev;              /* every RQ_AGE_POLL_MS: the oldest pending entry */
    long long oldest_pending_ms;       /* its id's time (epoch ms), 0 when none is pending */
    char last_error[256];              /* logged once until it changes */
    long long received, acked, failed, filtered, dead_lettered, redelivered;
};

struct rq_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct fg_loop *loop;
    struct rq_source *src;
    size_t n;
    bool stopped;
};

static void rq_read(struct rq_source *s);
static void rq_dispatch(struct rq_source *s, struct rq_batch *b);
static void rq_ensure_group(struct rq_source *s);

/* An error reply (LOADING after a restart, WRONGTYPE, ...): logged once while it lasts,
 * then the group and the read are tried again in a second. */
static void rq_error(struct rq_source *s, const char *what, const char *e)
{
    struct timeval tv = { 1, 0 };
    char text[sizeof(s->last_error)];
    snprintf(text, sizeof(text), "%s: %s", what, e);
    if (strcmp(text, s->last_error)) {
        memcpy(s->last_error, text, sizeof(text));
        fg_log(FG_LOG_WARN, "queue", "%s: %s; retrying", s->q->stream, text);
    }
    if (!s->t->stopped)
        event_add(s->again_ev, &tv);
}

static void rq_on_again(evutil_socket_t fd, short what, void *arg)
{
    struct rq_source *s = arg;
    (void)fd;
    (void)what;
    rq_ensure_group(s);
    rq_read(s);
}

/* ------------------------------------------------------------------ batches */

static struct rq_batch *rq_batch_new(struct rq_source *s)
{
    struct rq_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->src = s;
    fg_buf_init(&b->payload, FG_PAYLOAD_SYNC_MAX_BYTES);
    return b;
}

static void rq_batch_free(struct rq_batch *b)
{
    if (!b)
        return;
    if (b->retry_ev)
        event_free(b->retry_ev);
    for (size_t i = 0; i < b->n; i++)
        free(b->ids[i]);
    free(b->ids);
    fg_buf_free(&b->payload);
    fg_invocation_close(&b->inv);
    free(b);
}

static void rq_unlink(struct rq_source *s, struct rq_batch *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        s->batches = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->prev = b->next = NULL;
}

/* XACK ids (a NULL reply means the connection went: the messages come back later). */
static void rq_on_ack(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    redisReply *reply = r;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        s->acked += reply->integer;
}

static void rq_ack(struct rq_source *s, char *const *ids, const bool *skip, size_t n)
{
    const char **argv = malloc((n + 3) * sizeof(*argv));
    int argc = 3;
    if (!argv)
        return;     /* not acknowledged: redelivered after the visibility timeout */
    argv[0] = "XACK";
    argv[1] = s->q->stream;
    argv[2] = s->q->group;
    for (size_t i = 0; i < n; i++)
        if (!skip || !skip[i])
            argv[argc++] = ids[i];
    if (argc > 3 && fg_redis_command(&s->wr, rq_on_ack, s, argc, argv, NULL) < 0) {
        /* Down: the messages stay pending and come back after the visibility timeout. */
    }
    free(argv);
}

/* Adds one entry (a [id, [field, value, ...]] reply) to b, or acknowledges it at once when
 * the filter drops it. -ENOMEM or a fg_buf error (the batch is full or memory ran out). */
static int rq_add(struct rq_source *s, struct rq_batch *b, const redisReply *entry, int receive_count,
                  char **dropped, size_t *n_dropped)
{
    const redisReply *id = entry->element[0], *fields = entry->element[1];
    size_t nf = fields && fields->type == REDIS_REPLY_ARRAY ? fields->elements : 0;
    const char *fv[nf ? nf : 1];
    size_t lens[nf ? nf : 1];
    struct fg_sqs_msg m = { .id = id->str, .fields = fv, .lens = lens, .n_fields = nf,
                            .receive_count = receive_count, .now_ms = fg_now_ms() };
    size_t mark = b->payload.len;
    int rc;

    for (size_t i = 0; i < nf; i++) {
        fv[i] = fields->element[i]->str ? fields->element[i]->str : "";
        lens[i] = fields->element[i]->str ? fields->element[i]->len : 0;
    }
    size_t rec;

    if ((rc = fg_buf_append_str(&b->payload, b->n ? "," : "{\"Records\":[")) < 0)
        return rc;
    rec = b->payload.len;
    if ((rc = fg_sqs_record(&b->payload, &s->sqs, &m)) < 0) {
        fg_buf_truncate(&b->payload, mark);
        return rc;
    }
    if (s->filter) {
        json_t *view = fg_filter_view(b->payload.data + rec, b->payload.len - rec, "body");
        bool pass = view && fg_filter_match(s->filter, view);
        json_decref(view);
        if (!pass) {
            fg_buf_truncate(&b->payload, mark);
            s->filtered++;
            dropped[(*n_dropped)++] = id->str;
            return 0;
        }
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **ids = realloc(b->ids, cap * sizeof(*ids));
        if (!ids) {
            fg_buf_truncate(&b->payload, mark);
            return -ENOMEM;
        }
        b->ids = ids;
        b->cap = cap;
    }
    if (!(b->ids[b->n] = strdup(id->str))) {
        fg_buf_truncate(&b->payload, mark);
        return -ENOMEM;
    }
    if (!b->n)
        b->first_ms = fg_now_ms();
    b->n++;
    return 0;
}

/* Adds the entries of an XREADGROUP / XCLAIM answer to *bp; counts[i] is entry i's receive
 * count (NULL: first delivery; 0: leave the entry out). When the next entry would take the
 * batch past Lambda's 6 MB, the batch goes as it is and a new one (*bp) takes the entry, as
 * an SQS poller closes a batch at the payload limit. An entry too large for a batch of its
 * own stays pending: redelivered after the visibility timeout, then redriven. Returns how
 * many entries were added. */
static size_t rq_add_all(struct rq_source *s, struct rq_batch **bp, const redisReply *entries, const int *counts)
{
    char *dropped[entries->elements ? entries->elements : 1];
    size_t n_dropped = 0, added = 0;
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        size_t before;
        int rc;
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING ||
            (counts && !counts[i]))
            continue;       /* an entry deleted while pending: XCLAIM answers nil */
        s->received++;
        before = (*bp)->n;
        rc = rq_add(s, *bp, e, counts ? counts[i] : 1, dropped, &n_dropped);
        if (rc == -FG_ETOOBIG && (*bp)->n) {
            struct rq_batch *next = rq_batch_new(s);
            if (next) {
                rq_dispatch(s, *bp);
                *bp = next;
                before = 0;
                rc = rq_add(s, *bp, e, counts ? counts[i] : 1, dropped, &n_dropped);
            }
        }
        if (rc < 0)
            fg_log(FG_LOG_WARN, "queue", "%s: message %s does not fit in a batch (%s); it is redelivered later",
                   s->q->stream, e->element[0]->str, fg_strerror(rc));
        added += (*bp)->n - before;
    }
    if (n_dropped)
        rq_ack(s, dropped, NULL, n_dropped);
    return added;
}

static void rq_on_done(struct fg_invocation *inv, void *arg);

static void rq_on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct rq_batch *b = arg;
    (void)fd;
    (void)what;
    rq_dispatch(b->src, b);
}

/* The batch ends: acknowledges what succeeded and frees it. */
static void rq_finish(struct rq_source *s, struct rq_batch *b)
{
    rq_unlink(s, b);
    s->inflight--;
    rq_batch_free(b);
    rq_read(s);
}

static void rq_on_done(struct fg_invocation *inv, void *arg)
{
    struct rq_batch *b = arg;
    struct rq_source *s = b->src;
    bool *failed;

    b->running = false;
    switch (inv->status) {
    case FG_INV_OK:
        if (!s->q->report_failures) {
            rq_ack(s, b->ids, NULL, b->n);
            break;
        }
        if (!(failed = calloc(b->n ? b->n : 1, sizeof(*failed))))
            break;
        if (fg_batch_failures(inv->result.data, inv->result.len, (const char *const *)b->ids, b->n, failed) < 0) {
            fg_log(FG_LOG_WARN, "queue", "%s: %s answered a malformed batchItemFailures; the whole batch failed",
                   s->q->stream, s->fn->name);
            s->failed += (long long)b->n;
        } else {
            for (size_t i = 0; i < b->n; i++)
                s->failed += failed[i];
            rq_ack(s, b->ids, failed, b->n);
        }
        free(failed);
        break;
    case FG_INV_THROTTLED:
        /* Throttles do not count as receives: the same batch waits and runs again. */
        if (!s->t->stopped) {
            struct timeval tv = { 0, RQ_THROTTLE_RETRY_MS * 1000 };
            fg_invocation_close(&b->inv);
            if (b->retry_ev || (b->retry_ev = evtimer_new(s->t->loop->base, rq_on_retry, b))) {
                event_add(b->retry_ev, &tv);
                return;
            }
        }
        break;
    default:
        /* Function error, timeout, or fngate stopping: nothing is acknowledged, so every
         * message of the batch comes back after the visibility timeout. */
        s->failed += (long long)b->n;
        break;
    }
    rq_finish(s, b);
}

/* The time Redis added b's oldest entry (an id's first part), as rq_on_age reads the
 * oldest pending one for IteratorAge; 0 when no id carries one. */
static long long rq_oldest_ms(const struct rq_batch *b)
{
    long long oldest = 0;
    for (size_t i = 0; i < b->n; i++) {
        long long t = strtoll(b->ids[i], NULL, 10);
        if (t > 0 && (!oldest || t < oldest))
            oldest = t;
    }
    return oldest;
}

static void rq_dispatch(struct rq_source *s, struct rq_batch *b)
{
    if (!b->n) {
        rq_batch_free(b);
        return;
    }
    if (!b->retry_ev) {
        /* First run: close the Records array and count the slot. */
        if (fg_buf_append_str(&b->payload, "]}") < 0) {
            fg_log(FG_LOG_WARN, "queue", "%s (%s): a batch of %zu messages is too large to send; they come back after the visibility timeout",
                   s->q->stream, s->fn->name, b->n);
            rq_batch_free(b);
            return;
        }
        s->inflight++;
        b->next = s->batches;
        if (s->batches)
            s->batches->prev = b;
        s->batches = b;
    }
    fg_invocation_init(&b->inv);
    snprintf(b->inv.function, sizeof(b->inv.function), "%s", s->fn->name);
    b->inv.payload = b->payload.data;
    b->inv.payload_len = b->payload.len;
    b->inv.done = rq_on_done;
    b->inv.done_arg = b;
    b->inv.oldest_record_ms = rq_oldest_ms(b);
    b->running = true;
    if (fg_router_submit(s->t->router, &b->inv) < 0) {
        b->running = false;
        rq_finish(s, b);
    }
}

/* ------------------------------------------------------------------ reading */

static void rq_on_read(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    redisReply *reply = r;
    const char *e;
    (void)ac;

    s->reading = false;
    if (!reply || s->t->stopped)
        return;     /* connection lost: reading resumes when it is back */
    if ((e = fg_redis_error(reply))) {
        if (!strncmp(e, "NOGROUP", 7))
            s->group_ready = false;     /* the stream (and its group) was deleted: make them again */
        rq_error(s, "XREADGROUP", e);
        return;
    }
    s->last_error[0] = '\0';
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements && reply->element[0]->type == REDIS_REPLY_ARRAY &&
        reply->element[0]->elements == 2) {
        if (!s->filling && !(s->filling = rq_batch_new(s)))
            return;
        rq_add_all(s, &s->filling, reply->element[0]->element[1], NULL);
    }
    if (s->filling && s->filling->n &&
        ((int)s->filling->n >= s->q->batch_size || !s->q->window_ms ||
         fg_now_ms() >= s->filling->first_ms + s->q->window_ms)) {
        struct rq_batch *b = s->filling;
        s->filling = NULL;
        rq_dispatch(s, b);
    }
    rq_read(s);
}

static void rq_read(struct rq_source *s)
{
    char count[16], block[24];
    const char *argv[] = { "XREADGROUP", "GROUP", s->q->group, s->consumer, "COUNT", count, "BLOCK", block,
                           "STREAMS", s->q->stream, ">" };
    long long wait = RQ_IDLE_BLOCK_MS;
    int have = s->filling ? (int)s->filling->n : 0;

    if (s->reading || !s->group_ready || !s->rd.up || s->t->stopped || s->inflight >= s->q->max_concurrency)
        return;
    if (have) {
        wait = s->filling->first_ms + s->q->window_ms - fg_now_ms();
        if (wait < 1)
            wait = 1;
    }
    snprintf(count, sizeof(count), "%d", s->q->batch_size - have);
    snprintf(block, sizeof(block), "%lld", wait);
    if (fg_redis_command(&s->rd, rq_on_read, s, 11, argv, NULL) == 0)
        s->reading = true;
}

/* ------------------------------------------------------------------ redelivery and redrive */

struct rq_claim {
    struct rq_source *s;
    char **ids;
    int *counts;          /* receive count after this claim */
    size_t n;
};

static void rq_claim_free(struct rq_claim *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->ids[i]);
    free(c->ids);
    free(c->counts);
    free(c);
}

static void rq_on_redrive(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    redisReply *reply = r;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        s->dead_lettered++;
    else if (reply)
        fg_log(FG_LOG_WARN, "queue", "%s: moving a message to %s failed: %s", s->q->stream, s->q->dead_letter_stream,
               reply->type == REDIS_REPLY_ERROR ? reply->str : "transaction aborted");
}

/* Moves entry to the dead-letter stream and acknowledges it, atomically. */
static void rq_redrive(struct rq_source *s, const redisReply *entry, int count)
{
    const redisReply *fields = entry->element[1];
    size_t nf = fields->type == REDIS_REPLY_ARRAY ? fields->elements : 0;
    const char *argv[nf + 7];
    size_t lens[nf + 7];
    char cnt[16];
    int argc = 0;

    snprintf(cnt, sizeof(cnt), "%d", count);
    argv[argc] = "XADD"; lens[argc++] = 4;
    argv[argc] = s->q->dead_letter_stream; lens[argc++] = strlen(s->q->dead_letter_stream);
    argv[argc] = "*"; lens[argc++] = 1;
    for (size_t i = 0; i < nf; i++) {
        argv[argc] = fields->element[i]->str ? fields->element[i]->str : "";
        lens[argc++] = fields->element[i]->str ? fields->element[i]->len : 0;
    }
    argv[argc] = "fngate-original-id"; lens[argc] = strlen(argv[argc]); argc++;
    argv[argc] = entry->element[0]->str; lens[argc] = entry->element[0]->len; argc++;
    argv[argc] = "fngate-receive-count"; lens[argc] = strlen(argv[argc]); argc++;
    argv[argc] = cnt; lens[argc] = strlen(cnt); argc++;
    if (fg_redis_command(&s->wr, NULL, NULL, 1, (const char *[]){ "MULTI" }, NULL) < 0 ||
        fg_redis_command(&s->wr, NULL, NULL, argc, argv, lens) < 0 ||
        fg_redis_command(&s->wr, NULL, NULL, 4,
                         (const char *[]){ "XACK", s->q->stream, s->q->group, entry->element[0]->str }, NULL) < 0 ||
        fg_redis_command(&s->wr, rq_on_redrive, s, 1, (const char *[]){ "EXEC" }, NULL) < 0) {
        /* Down: the transaction is discarded with the connection; the next scan retries. */
    }
}

static void rq_on_claim(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_claim *c = priv;
    struct rq_source *s = c->s;
    redisReply *reply = r;
    (void)ac;

    s->claiming = false;
    if (reply && reply->type == REDIS_REPLY_ARRAY && !s->t->stopped) {
        int counts[reply->elements ? reply->elements : 1];
        size_t k = 0;
        struct rq_batch *b = NULL;
        /* XCLAIM answers in the order asked, leaving out entries deleted meanwhile. */
        for (size_t i = 0; i < reply->elements; i++) {
            const redisReply *e = reply->element[i];
            counts[i] = 1;
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
                continue;
            while (k < c->n && strcmp(c->ids[k], e->element[0]->str))
                k++;
            counts[i] = k < c->n ? c->counts[k] : 1;
            if (s->q->max_receive_count && counts[i] > s->q->max_receive_count) {
                rq_redrive(s, e, counts[i] - 1);
                counts[i] = 0;      /* left out of the batches below */
            }
        }
        for (size_t i = 0; i < reply->elements; i += (size_t)s->q->batch_size) {
            redisReply part = *reply;
            part.element = reply->element + i;
            part.elements = reply->elements - i < (size_t)s->q->batch_size ? reply->elements - i : (size_t)s->q->batch_size;
            if (!(b = rq_batch_new(s)))
                break;
            s->redelivered += (long long)rq_add_all(s, &b, &part, counts + i);
            rq_dispatch(s, b);
        }
    }
    rq_claim_free(c);
}

static void rq_on_pending(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    redisReply *reply = r;
    struct rq_claim *c;
    char idle[24];
    const char **argv;
    int argc = 0;
    (void)ac;

    s->claiming = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || !reply->elements || s->t->stopped)
        return;
    if (!(c = calloc(1, sizeof(*c))) || !(c->ids = calloc(reply->elements, sizeof(*c->ids))) ||
        !(c->counts = calloc(reply->elements, sizeof(*c->counts))) ||
        !(argv = malloc((reply->elements + 5) * sizeof(*argv)))) {
        if (c)
            rq_claim_free(c);
        return;
    }
    c->s = s;
    snprintf(idle, sizeof(idle), "%d", s->q->visibility_timeout_s * 1000);
    argv[argc++] = "XCLAIM";
    argv[argc++] = s->q->stream;
    argv[argc++] = s->q->group;
    argv[argc++] = s->consumer;
    argv[argc++] = idle;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *p = reply->element[i];   /* [id, consumer, idle ms, deliveries] */
        if (p->type != REDIS_REPLY_ARRAY || p->elements < 4 || !(c->ids[c->n] = strdup(p->element[0]->str)))
            continue;
        c->counts[c->n] = (int)p->element[3]->integer + 1;
        argv[argc++] = c->ids[c->n++];
    }
    if (c->n && fg_redis_command(&s->wr, rq_on_claim, c, argc, argv, NULL) == 0)
        s->claiming = true;
    else
        rq_claim_free(c);
    free(argv);
}

/* Every quarter visibility timeout: messages pending longer than it are taken back. */
static void rq_on_claim_timer(evutil_socket_t fd, short what, void *arg)
{
    struct rq_source *s = arg;
    char idle[24], count[16];
    int free_slots = s->q->max_concurrency - s->inflight;
    (void)fd;
    (void)what;
    if (s->claiming || !s->group_ready || !s->wr.up || free_slots <= 0)
        return;
    snprintf(idle, sizeof(idle), "%d", s->q->visibility_timeout_s * 1000);
    snprintf(count, sizeof(count), "%d", free_slots * s->q->batch_size);
    if (fg_redis_command(&s->wr, rq_on_pending, s, 8,
                         (const char *[]){ "XPENDING", s->q->stream, s->q->group, "IDLE", idle, "-", "+", count },
                         NULL) == 0)
        s->claiming = true;
}

/* ------------------------------------------------------------------ iterator age */

/* XPENDING's summary: [count, smallest id, greatest id, consumers], the ids nil when nothing
 * is pending. An id's first part is the time Redis added the entry (for ids it made). */
static void rq_on_age(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    redisReply *reply = r;
    (void)ac;
    s->asking_age = false;
    if (!reply)
        return;
    s->oldest_pending_ms = reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
                                   reply->element[1]->type == REDIS_REPLY_STRING
                               ? strtoll(reply->element[1]->str, NULL, 10) : 0;
}

static void rq_on_age_timer(evutil_socket_t fd, short what, void *arg)
{
    struct rq_source *s = arg;
    (void)fd;
    (void)what;
    if (s->asking_age || !s->group_ready || !s->wr.up)
        return;
    if (fg_redis_command(&s->wr, rq_on_age, s, 3, (const char *[]){ "XPENDING", s->q->stream, s->q->group },
                         NULL) == 0)
        s->asking_age = true;
}

/* ------------------------------------------------------------------ connections */

static void rq_on_group(redisAsyncContext *ac, void *r, void *priv)
{
    struct rq_source *s = priv;
    const char *e = fg_redis_error(r);
    (void)ac;
    s->creating = false;
    if (!r || s->t->stopped)
        return;
    if (e && strncmp(e, "BUSYGROUP", 9)) {
        rq_error(s, "XGROUP CREATE", e);
        return;
    }
    s->group_ready = true;
    rq_read(s);
}

/* The group (and the stream, when missing) is created from the stream's first entry, so
 * messages sent before fngate first started are delivered too. */
static void rq_ensure_group(struct rq_source *s)
{
    if (s->group_ready || s->creating || !s->wr.up)
        return;
    if (fg_redis_command(&s->wr, rq_on_group, s, 6,
                         (const char *[]){ "XGROUP", "CREATE", s->q->stream, s->q->group, "0", "MKSTREAM" }, NULL) == 0)
        s->creating = true;
}

static void rq_on_state(struct fg_redis *rd, bool up, void *arg)
{
    struct rq_source *s = arg;
    if (!up) {
        if (rd == &s->rd)
            s->reading = false;
        else
            s->claiming = s->creating = s->asking_age = false;
        s->group_ready = s->group_ready && s->wr.up;
        return;
    }
    rq_ensure_group(s);
    rq_read(s);
}

/* ------------------------------------------------------------------ trigger ops */

static int rq_start(struct fg_trigger *base, struct fg_err *err)
{
    struct rq_trigger *t = (struct rq_trigger *)base;
    (void)err;
    for (size_t i = 0; i < t->n; i++) {
        struct rq_source *s = &t->src[i];
        int ms = s->q->visibility_timeout_s * 250;
        struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
        struct timeval age = { RQ_AGE_POLL_MS / 1000, (RQ_AGE_POLL_MS % 1000) * 1000 };
        event_add(s->claim_ev, &tv);
        event_add(s->age_ev, &age);
        fg_redis_start(&s->wr);
        fg_redis_start(&s->rd);
    }
    return 0;
}

static void rq_stop(struct fg_trigger *base)
{
    struct rq_trigger *t = (struct rq_trigger *)base;
    if (t->stopped)
        return;
    t->stopped = true;
    for (size_t i = 0; i < t->n; i++) {
        struct rq_source *s = &t->src[i];
        if (s->claim_ev)
            event_del(s->claim_ev);
        if (s->again_ev)
            event_del(s->again_ev);
        if (s->age_ev)
            event_del(s->age_ev);
        /* Batches waiting for a throttle retry end here; running ones are answered by the
         * router's stop. Nothing unacknowledged is lost: it stays pending in Redis. */
        for (struct rq_batch *b = s->batches, *next; b; b = next) {
            next = b->next;
            if (!b->running) {
                rq_unlink(s, b);
                s->inflight--;
                rq_batch_free(b);
            }
        }
        rq_batch_free(s->filling);
        s->filling = NULL;
        fg_redis_close(&s->rd);
        fg_redis_close(&s->wr);
    }
}

static int rq_describe(struct fg_trigger *base, struct fg_buf *out)
{
    struct rq_trigger *t = (struct rq_trigger *)base;
    char line[1024];
    fg_buf_append_str(out, "[");
    for (size_t i = 0; i < t->n; i++) {
        struct rq_source *s = &t->src[i];
        fg_json_write_field(out, i ? ",{\"function\":" : "{\"function\":", s->fn->name);
        fg_json_write_field(out, ",\"stream\":", s->q->stream);
        fg_json_write_field(out, ",\"group\":", s->q->group);
        snprintf(line, sizeof(line),
                 ",\"connected\":%s,\"inFlightBatches\":%d,\"received\":%lld,\"acknowledged\":%lld,\"failed\":%lld,"
                 "\"filtered\":%lld,\"redelivered\":%lld,\"deadLettered\":%lld}",
                 s->rd.up && s->wr.up ? "true" : "false", s->inflight, s->received, s->acked, s->failed, s->filtered,
                 s->redelivered, s->dead_lettered);
        fg_buf_append_str(out, line);
    }
    return fg_buf_append_str(out, "]");
}

static int rq_metrics(struct fg_trigger *base, struct fg_prom *p)
{
    struct rq_trigger *t = (struct rq_trigger *)base;
    long long now = fg_now_ms();
    for (size_t i = 0; i < t->n; i++) {
        const struct rq_source *s = &t->src[i];
        struct fg_source_figures f;
        fg_source_figures_init(&f, base->ops->name, s->q->stream, s->fn->name);
        f.received = s->received;
        f.acknowledged = s->acked;
        f.failed = s->failed;
        f.filtered = s->filtered;
        f.redelivered = s->redelivered;
        f.given_up = s->dead_lettered;
        f.iterator_age_s = s->oldest_pending_ms && now > s->oldest_pending_ms ? (now - s->oldest_pending_ms) / 1000.0 : 0;
        f.up = s->rd.up && s->wr.up;
        fg_source_metrics(p, &f);
    }
    return p->err;
}

static void rq_free(struct fg_trigger *base)
{
    struct rq_trigger *t = (struct rq_trigger *)base;
    if (!t)
        return;
    rq_stop(base);
    for (size_t i = 0; i < t->n; i++) {
        struct rq_source *s = &t->src[i];
        while (s->batches) {
            struct rq_batch *b = s->batches;
            rq_unlink(s, b);
            rq_batch_free(b);
        }
        if (s->claim_ev)
            event_free(s->claim_ev);
        if (s->again_ev)
            event_free(s->again_ev);
        if (s->age_ev)
            event_free(s->age_ev);
        fg_filter_free(s->filter);
    }
    free(t->src);
    free(t);
}

static int rq_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                  struct fg_trigger **out, struct fg_err *err)
{
    struct rq_trigger *t;
    char host[64] = "localhost", label[256];
    size_t n = 0;
    int rc;

    *out = NULL;
    if (!(n = fg_conf_count_events(conf, &rq_conf)))
        return 0;
    if (!(t = calloc(1, sizeof(*t))) || !(t->src = calloc(n, sizeof(*t->src)))) {
        free(t);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    t->base.ops = &fg_queue_trigger;
    t->conf = conf;
    t->router = router;
    t->loop = loop;
    gethostname(host, sizeof(host) - 1);
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_event *ev = &fn->events[j];
            struct rq_source *s;
            if (ev->type != &rq_conf)
                continue;
            s = &t->src[t->n++];
            s->t = t;
            s->fn = fn;
            s->q = ev->conf;
            s->sqs = (struct fg_sqs_source){ s->q->stream, s->q->group, conf->region, conf->account_id };
            /* One consumer name per process: a restarted gateway takes its predecessor's
             * pending messages back through the visibility timeout, as SQS would. */
            snprintf(s->consumer, sizeof(s->consumer), "fngate-%s-%d", host, (int)getpid());
            snprintf(label, sizeof(label), "queue %s (%s) reader", s->q->stream, fn->name);
            if ((rc = fg_redis_init(&s->rd, loop->base, s->q->redis, label, rq_on_state, s, err)) < 0)
                goto fail;
            snprintf(label, sizeof(label), "queue %s (%s) writer", s->q->stream, fn->name);
            if ((rc = fg_redis_init(&s->wr, loop->base, s->q->redis, label, rq_on_state, s, err)) < 0)
                goto fail;
            if (ev->filter.n && (rc = fg_filter_compile(ev->filter.patterns, ev->filter.n, &s->filter, err)) < 0)
                goto fail;
            if (!(s->claim_ev = event_new(loop->base, -1, EV_PERSIST, rq_on_claim_timer, s)) ||
                !(s->again_ev = evtimer_new(loop->base, rq_on_again, s)) ||
                !(s->age_ev = event_new(loop->base, -1, EV_PERSIST, rq_on_age_timer, s))) {
                rc = fg_err_set(err, -ENOMEM, "out of memory");
                goto fail;
            }
        }
    }
    *out = &t->base;
    return 0;
fail:
    rq_free(&t->base);
    return rc;
}

/* ------------------------------------------------------------------ configuration */

static const struct fg_conf_key rq_keys[] = {
    { .name = "redis", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_queue, redis) },
    { .name = "stream", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_queue, stream) },
    { .name = "group", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_queue, group) },
    { .name = "batch_size", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_queue, batch_size), .min = 1, .max = 10000 },
    { .name = "maximum_batching_window", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_queue, window_ms),
      .min = 0, .max = 300000 },
    { .name = "visibility_timeout", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_queue, visibility_timeout_s),
      .min = 0, .max = 43200 },
    { .name = "max_receive_count", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_queue, max_receive_count),
      .min = 0, .max = 1000 },
    { .name = "dead_letter_stream", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_queue, dead_letter_stream) },
    { .name = "function_response_types", .type = FG_CONF_RESPONSE_TYPES,
      .offset = offsetof(struct fg_conf_queue, report_failures) },
    { .name = "maximum_concurrency", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_queue, max_concurrency),
      .min = 1, .max = 1000 },
    FG_CONF_KEY_END,
};

static void rq_conf_defaults(void *obj)
{
    struct fg_conf_queue *q = obj;
    q->batch_size = 10;
    q->visibility_timeout_s = 30;
    q->max_receive_count = -1;
}

static int rq_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_queue *q = ev->conf;
    int rc;

    (void)val;
    if ((rc = fg_conf_check_redis_url(p, ev->pos, q->redis)) < 0)
        return rc;
    if (!q->stream || !*q->stream)
        return fg_conf_fail(p, ev->pos, "queue: 'stream' (the Redis stream to consume) is required");
    if (!q->group)
        q->group = "fngate";
    if (q->max_receive_count > 0 && !q->dead_letter_stream)
        return fg_conf_fail(p, ev->pos, "queue: max_receive_count needs a dead_letter_stream to move messages to");
    if (q->max_receive_count < 0)
        q->max_receive_count = q->dead_letter_stream ? 5 : 0;
    if (q->dead_letter_stream && !strcmp(q->dead_letter_stream, q->stream))
        return fg_conf_fail(p, ev->pos, "queue: dead_letter_stream cannot be the stream itself");
    return 0;
}

/* The function's timeout and concurrency are known once the whole file is read. */
static int rq_conf_check_all(struct fg_conf_parser *p, struct fg_config *conf)
{
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            struct fg_conf_queue *q = fn->events[j].conf;
            if (fn->events[j].type != &rq_conf)
                continue;
            if (q->visibility_timeout_s < fn->timeout_s)
                return fg_conf_fail(p, fn->events[j].pos, "function %s: queue %s: visibility_timeout (%d s) is below the function's timeout (%d s); a message would be redelivered while it runs",
                                    fn->name, q->stream, q->visibility_timeout_s, fn->timeout_s);
            if (!q->max_concurrency)
                q->max_concurrency = fn->concurrency ? fn->concurrency : 5;
        }
    }
    return 0;
}

/* {"type":"queue","stream","group"} */
static int rq_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_queue *q = ev->conf;
    (void)t;
    return fg_trigger_console_object(out, "queue", (const char *const[]){ "stream", q->stream, "group", q->group, NULL });
}

static void rq_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_queue *q = ev->conf;
    char dlq[300] = "", url[512];
    if (q->dead_letter_stream && q->max_receive_count)
        snprintf(dlq, sizeof(dlq), ", dead letters to %s after %d receives", q->dead_letter_stream, q->max_receive_count);
    else if (q->dead_letter_stream)
        snprintf(dlq, sizeof(dlq), ", never redriven to %s (max_receive_count 0)", q->dead_letter_stream);
    snprintf(out, size, "queue: %s  (%s, group %s, batch %d, window %d ms, visibility %d s, %d batches at once%s%s%s)",
             q->stream, fg_redis_url_masked(q->redis, url, sizeof(url)), q->group, q->batch_size, q->window_ms,
             q->visibility_timeout_s, q->max_concurrency, dlq, q->report_failures ? ", partial batch answers" : "",
             ev->filter.n ? ", filtered" : "");
}

static const struct fg_conf_event_type rq_conf = {
    .kind = "queue",
    .where = "queue",
    .size = sizeof(struct fg_conf_queue),
    .keys = rq_keys,
    .filterable = true,
    .poll = true,
    .defaults = rq_conf_defaults,
    .check = rq_conf_check,
    .check_all = rq_conf_check_all,
};

const struct fg_trigger_ops fg_queue_trigger = {
    .name = "queue",
    .conf = &rq_conf,
    .view = "queues",
    .view_empty = "[]",
    .new = rq_new,
    .start = rq_start,
    .stop = rq_stop,
    .describe = rq_describe,
    .metrics = rq_metrics,
    .free = rq_free,
    .summary = rq_summary,
    .console = rq_console,
};
