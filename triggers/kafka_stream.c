/* SPDX-License-Identifier: MIT */
/* kafka_stream.c - Kafka consumer with Kinesis/Kafka event source semantics (see
 * kafka_stream.h).
 *
 * Per partition a ring holds the records fetched and not yet finished, in offset order,
 * each QUEUED, INFLIGHT or DONE; the commit position is the first record not DONE. A lane
 * (one per parallelization_factor slot, chosen by key hash) holds at most one batch. All
 * of it belongs to the consumer thread; the loop thread and the store thread only append
 * to the completion list and wake the thread with rd_kafka_queue_yield(). */
#include "kafka_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "../core/filter.h"
#include "../core/id.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "batch_response.h"
#include "kafka_event.h"

#define KS_MAX_LANES 10
#define KS_POLL_MS 200
/* Records held per partition before it is paused (pausing drops librdkafka's prefetch, so
 * it is a memory bound, not a pacing tool); it resumes at half. */
#define KS_PAUSE_RECORDS 100000
#define KS_RETRY_MIN_MS 100
#define KS_RETRY_MAX_MS 5000
#define KS_META_CHECK_MS 2000

enum ks_state { KS_QUEUED = 0, KS_INFLIGHT, KS_DONE };

struct ks_rec {
    rd_kafka_message_t *m;             /* owned */
    long long arrived_ms;
    uint8_t state;
    uint8_t lane;
};

struct ks_batch;

struct ks_part {
    int32_t partition;
    uint64_t gen;                      /* this assignment of the partition */
    struct ks_rec *recs;               /* recs[head .. head+n): offset order */
    size_t head, n, cap;
    size_t scan;                       /* no QUEUED record before recs[scan] */
    int64_t stored;                    /* offset last stored for commit, -1 none */
    long long skip_before_ms;          /* AT_TIMESTAMP: records older are skipped until a newer one, 0 none */
    bool paused;
    struct ks_batch *lane[KS_MAX_LANES];
    size_t lane_limit[KS_MAX_LANES];   /* after a bisect: the next batch's size */
};

enum ks_phase { KB_RUNNING = 0, KB_WAITING, KB_STORING };

struct ks_batch {
    struct fg_invocation inv;
    struct ks_source *src;
    int32_t partition;
    uint64_t gen;
    unsigned lane;
    rd_kafka_message_t **msgs;         /* borrowed from the ring */
    size_t n;
    struct fg_buf payload;
    enum ks_phase phase;
    int attempts;                      /* failures counted against maximum_retry_attempts */
    int deferrals;                     /* throttles: do not count */
    int invokes;
    long long retry_at_ms;
    int store_rc;                      /* KB_STORING: the store's answer */
    const char *condition;             /* why it is given up */
    char last_request_id[FG_ID_LEN + 1];
    bool last_function_error;
    struct ks_batch *done_next;        /* completion list */
    struct ks_batch *wait_next;        /* src->waiting */
};

static const struct fg_conf_event_type ks_conf;

struct ks_source {
    struct ks_trigger *t;
    const struct fg_conf_function *fn;
    const struct fg_conf_stream *st;
    const struct fg_conf_event *ev_conf;   /* st's event: its filter */
    struct fg_kafka_src ev;
    char arn[256], label[256];
    struct fg_filter *filter;
    rd_kafka_t *rk;
    rd_kafka_queue_t *cq;
    pthread_t thread;
    bool thread_started;
    atomic_bool stopping;
    /* consumer thread */
    struct ks_part **parts;            /* by partition id */
    size_t n_parts;
    uint64_t next_gen;
    int busy;                          /* batches RUNNING or STORING */
    struct ks_batch *waiting;          /* KB_WAITING, for their retry time */
    char state[256];                   /* connection state last logged */
    bool down;
    bool noted;                        /* a state other than consuming was logged */
    long long next_meta_ms;
    /* completion list, from the loop and store threads */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct ks_batch *done_head;
    /* Offsets the broker accepted for the partitions held (the next offset the group
     * reads), by partition id, -1 none yet: written by the commit callback on the consumer
     * thread, read by describe on the loop thread, both under lock. */
    int64_t *committed;
    size_t n_committed;
    /* figures for describe (read on the loop thread) */
    atomic_llong received, processed, filtered, failed_batches, retried, given_up, assigned;
};

struct ks_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct ks_source *src;
    size_t n;
    bool stopped;
};

/* ------------------------------------------------------------------ helpers */

static void ks_set_state(struct ks_source *s, bool down, const char *fmt, ...) FG_PRINTF(3, 4);
static void ks_set_state(struct ks_source *s, bool down, const char *fmt, ...)
{
    char text[sizeof(s->state)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    s->down = down;
    s->noted = strcmp(text, "consuming") != 0;
    if (down)
        s->next_meta_ms = fg_now_ms() + KS_META_CHECK_MS;
    if (!strcmp(text, s->state))
        return;
    memcpy(s->state, text, sizeof(text));
    fg_log(down ? FG_LOG_WARN : FG_LOG_INFO, "kafka", "%s: %s", s->label, text);
}

static struct ks_part *ks_find(struct ks_source *s, int32_t partition)
{
    return partition >= 0 && (size_t)partition < s->n_parts ? s->parts[partition] : NULL;
}

static unsigned ks_lane_of(const struct ks_source *s, const rd_kafka_message_t *m)
{
    uint32_t h = 2166136261u;
    if (s->st->parallelization_factor <= 1)
        return 0;
    if (!m->key)
        return (unsigned)(m->offset % s->st->parallelization_factor);
    for (size_t i = 0; i < m->key_len; i++)
        h = (h ^ ((const unsigned char *)m->key)[i]) * 16777619u;
    return h % (unsigned)s->st->parallelization_factor;
}

static struct ks_rec *ks_rec_at(struct ks_part *p, int64_t offset)
{
    size_t lo = p->head, hi = p->head + p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->recs[mid].m->offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->head + p->n && p->recs[lo].m->offset == offset ? &p->recs[lo] : NULL;
}

/* headers: parse the record's headers (librdkafka allocates them), which only the kafka
 * format's event carries. */
static void ks_rec_view(const rd_kafka_message_t *m, struct fg_kafka_rec *r, bool headers)
{
    rd_kafka_timestamp_type_t tt;
    rd_kafka_headers_t *h = NULL;
    r->offset = m->offset;
    r->timestamp_ms = rd_kafka_message_timestamp(m, &tt);
    r->key = m->key;
    r->key_len = m->key_len;
    r->value = m->payload;
    r->value_len = m->len;
    r->headers = headers && rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR ? h : NULL;
}

/* Bounded memory: a partition far ahead of its function stops fetching until it caught up. */
static void ks_pause(struct ks_source *s, struct ks_part *p, bool pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->st->topic, p->partition);
    if (pause)
        rd_kafka_pause_partitions(s->rk, l);
    else
        rd_kafka_resume_partitions(s->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    p->paused = pause;
}

/* Pops the finished prefix and stores the commit position past it. */
static void ks_advance(struct ks_source *s, struct ks_part *p)
{
    int64_t next = -1;
    while (p->n && p->recs[p->head].state == KS_DONE) {
        next = p->recs[p->head].m->offset + 1;
        rd_kafka_message_destroy(p->recs[p->head].m);
        p->head++;
        p->n--;
    }
    if (p->scan < p->head)
        p->scan = p->head;
    if (!p->n)
        p->head = p->scan = 0;
    if (next > p->stored) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, s->st->topic, p->partition)->offset = next;
        if (rd_kafka_offsets_store(s->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR)
            p->stored = next;
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (p->paused && p->n < KS_PAUSE_RECORDS / 2)
        ks_pause(s, p, false);
}

static void ks_part_free(struct ks_part *p)
{
    if (!p)
        return;
    for (size_t i = p->head; i < p->head + p->n; i++)
        rd_kafka_message_destroy(p->recs[i].m);
    free(p->recs);
    free(p);
}

/* ------------------------------------------------------------------ batches */

static void ks_batch_free(struct ks_batch *b)
{
    if (!b)
        return;
    fg_invocation_close(&b->inv);
    fg_buf_free(&b->payload);
    free(b->msgs);
    free(b);
}

static void ks_push_done(struct ks_source *s, struct ks_batch *b)
{
    pthread_mutex_lock(&s->lock);
    b->done_next = s->done_head;
    s->done_head = b;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    rd_kafka_queue_yield(s->cq);
}

/* Loop thread. */
static void ks_on_invoked(struct fg_invocation *inv, void *arg)
{
    (void)inv;
    ks_push_done(((struct ks_batch *)arg)->src, arg);
}

/* Store thread: the failure record is stored (rc 0) or not. */
static void ks_on_stored(void *arg, int rc)
{
    struct ks_batch *b = arg;
    b->store_rc = rc;
    ks_push_done(b->src, b);
}

/* Marks the batch's records with state and frees the lane. */
static void ks_release(struct ks_part *p, struct ks_batch *b, size_t from, size_t to,
                       enum ks_state state)
{
    for (size_t i = from; i < to; i++) {
        struct ks_rec *r = ks_rec_at(p, b->msgs[i]->offset);
        if (r) {
            r->state = (uint8_t)state;
            if (state == KS_QUEUED && (size_t)(r - p->recs) < p->scan)
                p->scan = (size_t)(r - p->recs);
        }
    }
}

static int ks_build(struct ks_source *s, struct ks_batch *b)
{
    struct fg_kafka_rec *recs = calloc(b->n, sizeof(*recs));
    int rc;
    if (!recs)
        return -ENOMEM;
    for (size_t i = 0; i < b->n; i++)
        ks_rec_view(b->msgs[i], &recs[i], s->st->format == FG_FORMAT_KAFKA);
    fg_buf_reset(&b->payload);
    rc = fg_kafka_event(&b->payload, &s->ev, b->partition, recs, b->n);
    free(recs);
    return rc;
}

static void ks_give_up(struct ks_source *s, struct ks_batch *b, const char *condition);

static void ks_submit(struct ks_source *s, struct ks_batch *b)
{
    int rc;
    if ((rc = ks_build(s, b)) < 0) {
        /* Over the 6 MB invocation limit even alone, or out of memory. */
        if (b->n > 1) {
            struct ks_part *p = ks_find(s, b->partition);
            size_t half = b->n / 2;
            ks_release(p, b, half, b->n, KS_QUEUED);
            p->lane_limit[b->lane] = b->n - half;
            b->n = half;
            ks_submit(s, b);
            return;
        }
        ks_give_up(s, b, "MaximumPayloadSizeExceeded");
        return;
    }
    fg_invocation_close(&b->inv);
    fg_invocation_init(&b->inv);
    snprintf(b->inv.function, sizeof(b->inv.function), "%s", s->fn->name);
    b->inv.payload = b->payload.data;
    b->inv.payload_len = b->payload.len;
    b->inv.done = ks_on_invoked;
    b->inv.done_arg = b;
    b->phase = KB_RUNNING;
    b->invokes++;
    s->busy++;
    if (fg_router_submit(s->t->router, &b->inv) < 0) {
        /* Shutting down: the records stay uncommitted and come back next time. */
        s->busy--;
        struct ks_part *p = ks_find(s, b->partition);
        if (p && p->gen == b->gen) {
            ks_release(p, b, 0, b->n, KS_QUEUED);
            p->lane[b->lane] = NULL;
        }
        ks_batch_free(b);
    }
}

static void ks_wait(struct ks_source *s, struct ks_batch *b, long long delay_ms)
{
    b->phase = KB_WAITING;
    b->retry_at_ms = fg_now_ms() + delay_ms;
    b->wait_next = s->waiting;
    s->waiting = b;
}

/* Hands the batch to the on-failure destination; its records finish once that is stored. */
static void ks_give_up(struct ks_source *s, struct ks_batch *b, const char *condition)
{
    struct fg_kafka_rec *recs = calloc(b->n ? b->n : 1, sizeof(*recs));
    struct fg_kafka_failure f = {
        .request_id = b->last_request_id[0] ? b->last_request_id : "", .function_arn = s->arn,
        .condition = condition, .invoke_count = b->invokes,
        .function_error = b->last_function_error ? "Unhandled" : NULL, .now_ms = fg_now_ms(),
    };
    struct fg_buf rec;
    int rc = -ENOMEM;

    b->condition = condition;
    fg_buf_init(&rec, FG_PAYLOAD_ASYNC_MAX_BYTES);
    if (recs) {
        for (size_t i = 0; i < b->n; i++)
            ks_rec_view(b->msgs[i], &recs[i], false);
        if ((rc = fg_kafka_failure_record(&rec, &s->ev, b->partition, recs, b->n, &f)) == 0) {
            b->phase = KB_STORING;
            s->busy++;
            rc = fg_router_submit_record(s->t->router, s->fn->name, &s->st->on_failure, condition, rec.data, rec.len,
                                         ks_on_stored, b);
            if (rc < 0)
                s->busy--;
        }
    }
    free(recs);
    fg_buf_free(&rec);
    if (rc < 0) {
        fg_log(FG_LOG_ERROR, "kafka", "%s: cannot store the failure record of partition %" PRId32 " offsets %" PRId64
               "..%" PRId64 " (%s); retrying", s->label, b->partition, b->msgs[0]->offset, b->msgs[b->n - 1]->offset,
               strerror(-rc));
        ks_wait(s, b, KS_RETRY_MAX_MS);
    }
}

static long long ks_backoff(int n)
{
    long long d = KS_RETRY_MIN_MS;
    while (--n > 0 && d < KS_RETRY_MAX_MS)
        d *= 2;
    return d < KS_RETRY_MAX_MS ? d : KS_RETRY_MAX_MS;
}

static bool ks_too_old(const struct ks_source *s, const struct ks_batch *b)
{
    rd_kafka_timestamp_type_t tt;
    int64_t ts;
    if (s->st->max_record_age_s < 0 || !b->n)
        return false;
    ts = rd_kafka_message_timestamp(b->msgs[0], &tt);
    return ts >= 0 && fg_now_ms() - ts > (long long)s->st->max_record_age_s * 1000;
}

/* A function error or timeout on b: bisect, retry, or give up. */
static void ks_failed(struct ks_source *s, struct ks_part *p, struct ks_batch *b)
{
    s->failed_batches++;
    if (s->st->bisect && b->n > 1) {
        /* Splitting does not count as a retry (as Lambda). */
        size_t half = b->n / 2;
        ks_release(p, b, half, b->n, KS_QUEUED);
        p->lane_limit[b->lane] = b->n - half;
        b->n = half;
        ks_wait(s, b, 0);
        return;
    }
    b->attempts++;
    if (s->st->max_retry_attempts >= 0 && b->attempts > s->st->max_retry_attempts) {
        ks_give_up(s, b, "RetryAttemptsExhausted");
        return;
    }
    if (ks_too_old(s, b)) {
        ks_give_up(s, b, "RecordAgeExceeded");
        return;
    }
    s->retried++;
    ks_wait(s, b, ks_backoff(b->attempts));
}

static void ks_finish(struct ks_source *s, struct ks_part *p, struct ks_batch *b, size_t done)
{
    ks_release(p, b, 0, done, KS_DONE);
    p->lane[b->lane] = NULL;
    ks_batch_free(b);
    ks_advance(s, p);
}

/* The index of the first record a successful answer names as failed (b->n: none; every
 * record succeeded unless the function reports failures), or -1 when the answer is
 * malformed or memory ran out (the whole batch failed). Items are named by offset. */
static long long ks_first_failure(const struct ks_source *s, const struct ks_batch *b)
{
    char (*ids)[24];
    const char **idp;
    bool *failed;
    long long first = -1;

    if (!s->st->report_failures || !b->n)
        return (long long)b->n;
    ids = calloc(b->n, sizeof(*ids));
    idp = calloc(b->n, sizeof(*idp));
    failed = calloc(b->n, sizeof(*failed));
    if (ids && idp && failed) {
        for (size_t i = 0; i < b->n; i++) {
            snprintf(ids[i], sizeof(ids[i]), "%" PRId64, b->msgs[i]->offset);
            idp[i] = ids[i];
        }
        if (fg_batch_failures(b->inv.result.data, b->inv.result.len, idp, b->n, failed) == 0)
            for (first = 0; (size_t)first < b->n && !failed[first]; first++)
                ;
    }
    free(ids);
    free(idp);
    free(failed);
    return first;
}

/* A batch came back from the router or the store. */
static void ks_complete(struct ks_source *s, struct ks_batch *b)
{
    struct ks_part *p = ks_find(s, b->partition);
    long long first;

    s->busy--;
    if (!p || p->gen != b->gen || atomic_load(&s->stopping)) {
        /* Revoked meanwhile (abandoned, nothing committed), or stopping. */
        if (p && p->gen == b->gen) {
            ks_release(p, b, 0, b->n, KS_QUEUED);
            p->lane[b->lane] = NULL;
        }
        ks_batch_free(b);
        return;
    }
    if (b->phase == KB_STORING) {
        if (b->store_rc < 0) {
            ks_wait(s, b, KS_RETRY_MAX_MS);
            return;
        }
        s->given_up += (long long)b->n;
        fg_log(FG_LOG_WARN, "kafka", "%s: partition %" PRId32 " offsets %" PRId64 "..%" PRId64 " given up (%s) and sent to %s",
               s->label, b->partition, b->msgs[0]->offset, b->msgs[b->n - 1]->offset, b->condition,
               s->st->on_failure.kind == FG_DEST_DLQ ? "the dead letters" : s->st->on_failure.target);
        ks_finish(s, p, b, b->n);
        return;
    }
    memcpy(b->last_request_id, b->inv.request_id, sizeof(b->last_request_id));
    b->last_function_error = b->inv.status == FG_INV_FUNCTION_ERROR || b->inv.status == FG_INV_TIMEOUT;
    if (b->inv.status == FG_INV_THROTTLED ||
        ((b->inv.status == FG_INV_SERVICE_ERROR || b->inv.status == FG_INV_NOT_FOUND) && b->inv.sandbox_fault)) {
        /* Throttles and system errors do not count as attempts. */
        b->deferrals++;
        ks_wait(s, b, ks_backoff(b->deferrals));
        return;
    }
    if (b->inv.status != FG_INV_OK) {
        ks_failed(s, p, b);
        return;
    }
    first = ks_first_failure(s, b);
    if (first < 0) {
        fg_log(FG_LOG_WARN, "kafka", "%s: %s answered a malformed batchItemFailures; the whole batch failed",
               s->label, s->fn->name);
        ks_failed(s, p, b);
        return;
    }
    s->processed += first;
    if ((size_t)first < b->n) {
        /* Everything before the first failure succeeded; the rest is retried. */
        ks_release(p, b, 0, (size_t)first, KS_DONE);
        memmove(b->msgs, b->msgs + first, (b->n - (size_t)first) * sizeof(*b->msgs));
        b->n -= (size_t)first;
        ks_advance(s, p);
        ks_failed(s, p, b);
        return;
    }
    ks_finish(s, p, b, b->n);
}

/* Starts the next batch of every free lane whose records are due. */
static void ks_dispatch_part(struct ks_source *s, struct ks_part *p, long long now, long long *next_due)
{
    unsigned lanes = (unsigned)s->st->parallelization_factor;
    size_t want[KS_MAX_LANES], have[KS_MAX_LANES] = { 0 };
    long long first_ms[KS_MAX_LANES] = { 0 };
    struct ks_batch *nb[KS_MAX_LANES] = { 0 };
    unsigned open = 0, filling;

    for (unsigned l = 0; l < lanes; l++) {
        want[l] = p->lane[l] ? 0 : p->lane_limit[l] ? p->lane_limit[l] : (size_t)s->st->batch_size;
        open += want[l] > 0;
    }
    if (!open)
        return;
    /* One pass over the queued records, stopping once every free lane has its fill: each
     * lane takes its first `want` records in order. */
    bool seen_queued = false;
    filling = open;
    for (size_t i = p->scan; i < p->head + p->n && filling; i++) {
        struct ks_rec *r = &p->recs[i];
        if (r->state != KS_QUEUED)
            continue;
        if (!seen_queued) {
            p->scan = i;
            seen_queued = true;
        }
        if (have[r->lane] >= want[r->lane])
            continue;
        if (!have[r->lane])
            first_ms[r->lane] = r->arrived_ms;
        if (++have[r->lane] == want[r->lane])
            filling--;
    }
    if (!seen_queued)
        p->scan = p->head + p->n;
    filling = 0;
    for (unsigned l = 0; l < lanes; l++) {
        if (!have[l])
            continue;
        if (have[l] < want[l] && s->st->window_ms && now < first_ms[l] + s->st->window_ms) {
            if (*next_due < 0 || first_ms[l] + s->st->window_ms < *next_due)
                *next_due = first_ms[l] + s->st->window_ms;
            continue;
        }
        if (!(nb[l] = calloc(1, sizeof(*nb[l]))) || !(nb[l]->msgs = calloc(have[l], sizeof(*nb[l]->msgs)))) {
            free(nb[l]);
            nb[l] = NULL;
            continue;
        }
        nb[l]->src = s;
        nb[l]->partition = p->partition;
        nb[l]->gen = p->gen;
        nb[l]->lane = l;
        fg_buf_init(&nb[l]->payload, FG_PAYLOAD_SYNC_MAX_BYTES);
        p->lane[l] = nb[l];
        p->lane_limit[l] = 0;
        filling++;
    }
    for (size_t i = p->scan; i < p->head + p->n && filling; i++) {
        struct ks_rec *r = &p->recs[i];
        struct ks_batch *b = nb[r->lane];
        if (r->state != KS_QUEUED || !b || b->n >= have[r->lane])
            continue;
        r->state = KS_INFLIGHT;
        b->msgs[b->n++] = r->m;
        if (b->n == have[r->lane])
            filling--;
    }
    for (unsigned l = 0; l < lanes; l++)
        if (nb[l])
            ks_submit(s, nb[l]);
}

static long long ks_dispatch(struct ks_source *s)
{
    long long now = fg_now_ms(), next_due = -1;
    struct ks_batch **pp = &s->waiting;

    /* Retries that are due. */
    while (*pp) {
        struct ks_batch *b = *pp;
        if (b->retry_at_ms > now) {
            if (next_due < 0 || b->retry_at_ms < next_due)
                next_due = b->retry_at_ms;
            pp = &b->wait_next;
            continue;
        }
        *pp = b->wait_next;
        struct ks_part *p = ks_find(s, b->partition);
        if (!p || p->gen != b->gen) {
            ks_batch_free(b);
            continue;
        }
        if (b->condition)
            ks_give_up(s, b, b->condition);     /* its failure record could not be stored yet */
        else
            ks_submit(s, b);
    }
    for (size_t i = 0; i < s->n_parts; i++)
        if (s->parts[i])
            ks_dispatch_part(s, s->parts[i], now, &next_due);
    return next_due;
}

/* Takes the completion list and handles it. */
static void ks_drain(struct ks_source *s)
{
    struct ks_batch *list;
    pthread_mutex_lock(&s->lock);
    list = s->done_head;
    s->done_head = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        struct ks_batch *b = list;
        list = b->done_next;
        ks_complete(s, b);
    }
}

/* ------------------------------------------------------------------ records in */

static void ks_on_message(struct ks_source *s, rd_kafka_message_t *m)
{
    struct ks_part *p;
    struct ks_rec *r;

    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            ks_set_state(s, m->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "%s",
                         m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                             ? "waiting for the topic to exist" : rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return;
    }
    if (s->noted) {
        s->noted = false;
        ks_set_state(s, false, "consuming");
    }
    if (atomic_load(&s->stopping) || !(p = ks_find(s, m->partition))) {
        rd_kafka_message_destroy(m);     /* not committed: read again later */
        return;
    }
    if (p->head + p->n == p->cap) {
        if (p->head) {
            memmove(p->recs, p->recs + p->head, p->n * sizeof(*p->recs));
            p->scan -= p->head;
            p->head = 0;
        } else {
            size_t cap = p->cap ? p->cap * 2 : 256;
            struct ks_rec *nr = realloc(p->recs, cap * sizeof(*nr));
            if (!nr) {
                /* Out of memory: fetch this record again later, so nothing is skipped. */
                rd_kafka_seek(m->rkt, m->partition, m->offset, 0);
                rd_kafka_message_destroy(m);
                ks_pause(s, p, true);
                return;
            }
            p->recs = nr;
            p->cap = cap;
        }
    }
    /* Batches in flight point into the ring by message, never by index: moving is safe. */
    r = &p->recs[p->head + p->n++];
    r->m = m;
    r->arrived_ms = fg_now_ms();
    r->state = KS_QUEUED;
    r->lane = (uint8_t)ks_lane_of(s, m);
    if (p->skip_before_ms) {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        if (ts >= 0 && ts < p->skip_before_ms) {
            r->state = KS_DONE;     /* before starting_position_timestamp: not received */
            ks_advance(s, p);
            return;
        }
        p->skip_before_ms = 0;      /* from here on, everything (as Kafka's position) */
    }
    s->received++;
    if (s->filter) {
        struct fg_kafka_rec v;
        json_t *view;
        bool pass;
        ks_rec_view(m, &v, false);
        view = fg_kafka_filter_view(&s->ev, m->partition, &v);
        pass = view && fg_filter_match(s->filter, view);
        json_decref(view);
        if (!pass) {
            r->state = KS_DONE;
            s->filtered++;
            ks_advance(s, p);
            return;
        }
    }
    if (!p->paused && p->n >= KS_PAUSE_RECORDS)
        ks_pause(s, p, true);
}

/* ------------------------------------------------------------------ rebalance */

/* Sets the committed offset the view shows for a partition (-1: none, or not ours any more).
 * Called with s->lock held. */
static void ks_set_committed_locked(struct ks_source *s, int32_t id, int64_t offset)
{
    if (id < 0)
        return;
    if ((size_t)id >= s->n_committed) {
        int64_t *nc;
        if (offset < 0 || !(nc = realloc(s->committed, ((size_t)id + 1) * sizeof(*nc))))
            return;     /* nothing to show, or the view misses it (the commit itself happened) */
        for (size_t k = s->n_committed; k <= (size_t)id; k++)
            nc[k] = -1;
        s->committed = nc;
        s->n_committed = (size_t)id + 1;
    }
    s->committed[id] = offset;
}

static void ks_set_committed(struct ks_source *s, int32_t id, int64_t offset)
{
    pthread_mutex_lock(&s->lock);
    ks_set_committed_locked(s, id, offset);
    pthread_mutex_unlock(&s->lock);
}

/* Consumer thread (librdkafka serves commit results from the consumer poll, the commit on
 * revoke and the close): the offsets the broker took, for /_fngate/streams. */
static void ks_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct ks_source *s = opaque;
    (void)rk;
    (void)err;      /* per partition below: a commit can succeed for some and not others */
    pthread_mutex_lock(&s->lock);
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &offsets->elems[i];
        if (e->err || e->offset < 0 || strcmp(e->topic, s->st->topic) || !ks_find(s, e->partition))
            continue;       /* failed, nothing to commit, or revoked since */
        ks_set_committed_locked(s, e->partition, e->offset);
    }
    pthread_mutex_unlock(&s->lock);
}

/* The group's committed offsets, from the broker, when partitions are assigned: shown in
 * /_fngate/streams at once (a partition with nothing new to commit would otherwise never
 * show one), and the start of AT_TIMESTAMP partitions that have none. Those start at the
 * first record at or after the timestamp: where the broker's time index says, and, where it
 * has no answer (-1: nothing that recent yet, or a broker without the lookup such as
 * librdkafka's mock), from the beginning with older records skipped here. Starting at the
 * end instead would lose what is produced between the lookup and the first fetch. */
static void ks_assign_positions(struct ks_source *s, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
    bool known = rd_kafka_committed(s->rk, c, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < c->cnt; i++)
        ks_set_committed(s, c->elems[i].partition, known && !c->elems[i].err ? c->elems[i].offset : -1);
    if (known && s->st->starting_position == FG_START_AT_TIMESTAMP) {
        rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(c->cnt);
        for (int i = 0; i < c->cnt; i++)
            if (c->elems[i].offset < 0)
                rd_kafka_topic_partition_list_add(q, c->elems[i].topic, c->elems[i].partition)->offset =
                    s->st->starting_timestamp_ms;
        if (q->cnt && rd_kafka_offsets_for_times(s->rk, q, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            for (int i = 0; i < q->cnt; i++)
                q->elems[i].offset = -1;
        for (int i = 0; i < q->cnt; i++) {
            struct ks_part *p = ks_find(s, q->elems[i].partition);
            if (p)
                p->skip_before_ms = s->st->starting_timestamp_ms;
            for (int k = 0; k < parts->cnt; k++)
                if (parts->elems[k].partition == q->elems[i].partition)
                    parts->elems[k].offset = q->elems[i].offset >= 0 && !q->elems[i].err
                                                 ? q->elems[i].offset : RD_KAFKA_OFFSET_BEGINNING;
        }
        rd_kafka_topic_partition_list_destroy(q);
    }
    rd_kafka_topic_partition_list_destroy(c);
}

static void ks_assign(struct ks_source *s, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        int32_t id = parts->elems[i].partition;
        struct ks_part *p;
        if (id < 0)
            continue;
        if ((size_t)id >= s->n_parts) {
            struct ks_part **np = realloc(s->parts, ((size_t)id + 1) * sizeof(*np));
            if (!np)
                continue;
            memset(np + s->n_parts, 0, ((size_t)id + 1 - s->n_parts) * sizeof(*np));
            s->parts = np;
            s->n_parts = (size_t)id + 1;
        }
        ks_part_free(s->parts[id]);
        if (!(p = calloc(1, sizeof(*p))))
            continue;
        p->partition = id;
        p->gen = ++s->next_gen;
        p->stored = -1;
        s->parts[id] = p;
        s->assigned++;
    }
    ks_assign_positions(s, parts);
}

/* Finishes (or, after the function's timeout, abandons) the running batches of the revoked
 * partitions, then commits what is finished, before librdkafka lets them go. */
static void ks_revoke(struct ks_source *s, rd_kafka_topic_partition_list_t *parts)
{
    long long deadline = fg_now_ms() + (long long)s->fn->timeout_s * 1000 + 5000;
    int running = 0;

    for (int i = 0; i < parts->cnt; i++) {
        struct ks_part *p = ks_find(s, parts->elems[i].partition);
        for (int l = 0; p && l < KS_MAX_LANES; l++)
            running += p->lane[l] && p->lane[l]->phase != KB_WAITING;
    }
    if (running)
        fg_log(FG_LOG_INFO, "kafka", "%s: revoking %d partition(s): waiting for %d running batch(es)", s->label,
               parts->cnt, running);
    for (;;) {
        bool busy = false;
        ks_drain(s);
        for (int i = 0; i < parts->cnt && !busy; i++) {
            struct ks_part *p = ks_find(s, parts->elems[i].partition);
            for (int l = 0; p && l < KS_MAX_LANES && !busy; l++)
                busy = p->lane[l] && p->lane[l]->phase != KB_WAITING;
        }
        if (!busy || fg_now_ms() >= deadline)
            break;
        pthread_mutex_lock(&s->lock);
        if (!s->done_head) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        }
        pthread_mutex_unlock(&s->lock);
    }
    for (int i = 0; i < parts->cnt; i++) {
        struct ks_part *p = ks_find(s, parts->elems[i].partition);
        if (p)
            ks_advance(s, p);
    }
    {
        /* Real brokers take this commit while the group prepares the rebalance; one that
         * refuses it (librdkafka's mock does) leaves the last periodic commit, and the new
         * owner runs the batches that finished during the revoke again (at least once). */
        rd_kafka_resp_err_t e = rd_kafka_commit(s->rk, NULL, 0);
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            fg_log(FG_LOG_WARN, "kafka", "%s: commit on revoke: %s", s->label, rd_kafka_err2str(e));
    }
    for (int i = 0; i < parts->cnt; i++) {
        int32_t id = parts->elems[i].partition;
        if (ks_find(s, id)) {
            /* Batches still running (abandoned) or waiting see the partition gone. */
            ks_part_free(s->parts[id]);
            s->parts[id] = NULL;
            s->assigned--;
            ks_set_committed(s, id, -1);
        }
    }
}

static void ks_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct ks_source *s = opaque;
    bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ks_assign(s, parts);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        fg_log(FG_LOG_INFO, "kafka", "%s: assigned %d partition(s)", s->label, parts->cnt);
        if (s->down)
            ks_set_state(s, false, "consuming");
        return;
    }
    ks_revoke(s, parts);
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
    fg_log(FG_LOG_INFO, "kafka", "%s: revoked %d partition(s)", s->label, parts->cnt);
}

static void ks_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct ks_source *s = opaque;
    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
        err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        if (s->down)
            return;     /* one line per outage: the first reason */
        ks_set_state(s, true, "broker unreachable (%s); retrying", err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
                                                                        ? "all brokers down" : reason);
    } else
        fg_log(FG_LOG_DEBUG, "kafka", "%s: %s", s->label, reason);
}

static void ks_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    fg_log(FG_LOG_DEBUG, "rdkafka", "%s: %s", fac, buf);
}

/* ------------------------------------------------------------------ the thread */

static void *ks_main(void *arg)
{
    struct ks_source *s = arg;
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t err;
    long long next_due = -1;

    rd_kafka_topic_partition_list_add(topics, s->st->topic, RD_KAFKA_PARTITION_UA);
    if ((err = rd_kafka_subscribe(s->rk, topics)))
        fg_log(FG_LOG_ERROR, "kafka", "%s: subscribe: %s", s->label, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(topics);
    while (!atomic_load(&s->stopping) || s->busy) {
        long long now = fg_now_ms();
        int timeout = KS_POLL_MS;
        rd_kafka_message_t *m;
        if (next_due >= 0)
            timeout = next_due <= now ? 0 : next_due - now < KS_POLL_MS ? (int)(next_due - now) : KS_POLL_MS;
        pthread_mutex_lock(&s->lock);
        if (s->done_head)
            timeout = 0;
        pthread_mutex_unlock(&s->lock);
        m = rd_kafka_consumer_poll(s->rk, timeout);
        for (int i = 0; m; i++) {
            ks_on_message(s, m);
            m = i < 10000 ? rd_kafka_consumer_poll(s->rk, 0) : NULL;
        }
        ks_drain(s);
        if (s->down && fg_now_ms() >= s->next_meta_ms) {
            const struct rd_kafka_metadata *md;
            if (rd_kafka_metadata(s->rk, 0, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_metadata_destroy(md);
                ks_set_state(s, false, "broker reachable again");
            } else {
                s->next_meta_ms = fg_now_ms() + KS_META_CHECK_MS;
            }
        }
        next_due = atomic_load(&s->stopping) ? -1 : ks_dispatch(s);
    }
    /* Stored offsets are committed as the consumer leaves the group. */
    rd_kafka_consumer_close(s->rk);
    return NULL;
}

/* ------------------------------------------------------------------ trigger ops */

static int ks_start(struct fg_trigger *base, struct fg_err *err)
{
    struct ks_trigger *t = (struct ks_trigger *)base;
    for (size_t i = 0; i < t->n; i++) {
        struct ks_source *s = &t->src[i];
        if (pthread_create(&s->thread, NULL, ks_main, s) != 0)
            return fg_err_set(err, -EAGAIN, "%s: cannot start the consumer thread", s->label);
        s->thread_started = true;
    }
    return 0;
}

static void ks_stop(struct fg_trigger *base)
{
    struct ks_trigger *t = (struct ks_trigger *)base;
    if (t->stopped)
        return;
    t->stopped = true;
    for (size_t i = 0; i < t->n; i++) {
        atomic_store(&t->src[i].stopping, true);
        if (t->src[i].cq)
            rd_kafka_queue_yield(t->src[i].cq);
    }
}

static int ks_describe(struct fg_trigger *base, struct fg_buf *out)
{
    struct ks_trigger *t = (struct ks_trigger *)base;
    char line[512];
    fg_buf_append_str(out, "[");
    for (size_t i = 0; i < t->n; i++) {
        struct ks_source *s = &t->src[i];
        bool first = true;
        fg_json_write_field(out, i ? ",{\"function\":" : "{\"function\":", s->fn->name);
        fg_json_write_field(out, ",\"topic\":", s->st->topic);
        fg_json_write_field(out, ",\"group\":", s->st->group);
        snprintf(line, sizeof(line),
                 ",\"partitions\":%lld,\"received\":%lld,\"processed\":%lld,\"filtered\":%lld,"
                 "\"failedBatches\":%lld,\"retries\":%lld,\"givenUp\":%lld,\"committed\":{",
                 (long long)s->assigned, (long long)s->received, (long long)s->processed, (long long)s->filtered,
                 (long long)s->failed_batches, (long long)s->retried, (long long)s->given_up);
        fg_buf_append_str(out, line);
        pthread_mutex_lock(&s->lock);
        for (size_t k = 0; k < s->n_committed && !out->err; k++) {
            if (s->committed[k] < 0)
                continue;
            snprintf(line, sizeof(line), "%s\"%zu\":%" PRId64, first ? "" : ",", k, s->committed[k]);
            first = false;
            fg_buf_append_str(out, line);
        }
        pthread_mutex_unlock(&s->lock);
        fg_buf_append_str(out, "}}");
    }
    return fg_buf_append_str(out, "]");
}

static void ks_free(struct fg_trigger *base)
{
    struct ks_trigger *t = (struct ks_trigger *)base;
    if (!t)
        return;
    ks_stop(base);
    for (size_t i = 0; i < t->n; i++) {
        struct ks_source *s = &t->src[i];
        if (s->thread_started)
            pthread_join(s->thread, NULL);
        ks_drain(s);
        while (s->waiting) {
            struct ks_batch *b = s->waiting;
            s->waiting = b->wait_next;
            ks_batch_free(b);
        }
        for (size_t k = 0; k < s->n_parts; k++)
            ks_part_free(s->parts[k]);
        free(s->parts);
        if (s->cq)
            rd_kafka_queue_destroy(s->cq);
        if (s->rk)
            rd_kafka_destroy(s->rk);
        fg_filter_free(s->filter);
        free(s->committed);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
    }
    free(t->src);
    free(t);
}


static int ks_set(rd_kafka_conf_t *kc, const char *key, const char *val, const struct ks_source *s, struct fg_err *err)
{
    char why[512];
    if (rd_kafka_conf_set(kc, key, val, why, sizeof(why)) != RD_KAFKA_CONF_OK)
        return fg_err_set(err, -EINVAL, "%s: kafka property %s=%s: %s", s->label, key, val, why);
    return 0;
}

static int ks_source_init(struct ks_source *s, struct fg_err *err)
{
    const struct fg_conf_stream *st = s->st;
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    char why[512];
    int rc;

    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!kc)
        return fg_err_set(err, -ENOMEM, "out of memory");
    if ((rc = ks_set(kc, "bootstrap.servers", st->brokers, s, err)) < 0 ||
        (rc = ks_set(kc, "group.id", st->group, s, err)) < 0 ||
        (rc = ks_set(kc, "client.id", "fngate", s, err)) < 0 ||
        (rc = ks_set(kc, "enable.auto.commit", "true", s, err)) < 0 ||
        (rc = ks_set(kc, "enable.auto.offset.store", "false", s, err)) < 0 ||
        (rc = ks_set(kc, "auto.commit.interval.ms", "200", s, err)) < 0 ||
        (rc = ks_set(kc, "enable.partition.eof", "false", s, err)) < 0 ||
        (rc = ks_set(kc, "auto.offset.reset", st->starting_position == FG_START_LATEST ? "latest" : "earliest", s,
                     err)) < 0)
        goto fail;
    for (size_t i = 0; i < st->properties.n; i++)
        if ((rc = ks_set(kc, st->properties.items[i].key, st->properties.items[i].value, s, err)) < 0)
            goto fail;
    rd_kafka_conf_set_opaque(kc, s);
    rd_kafka_conf_set_rebalance_cb(kc, ks_on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(kc, ks_on_commit);
    rd_kafka_conf_set_error_cb(kc, ks_on_error);
    rd_kafka_conf_set_log_cb(kc, ks_on_log);
    if (!(s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof(why)))) {
        rc = fg_err_set(err, -EINVAL, "%s: %s", s->label, why);
        goto fail;
    }
    kc = NULL;      /* owned by rk now */
    rd_kafka_poll_set_consumer(s->rk);
    s->cq = rd_kafka_queue_get_consumer(s->rk);
    if (s->ev_conf->filter.n &&
        (rc = fg_filter_compile(s->ev_conf->filter.patterns, s->ev_conf->filter.n, &s->filter, err)) < 0)
        goto fail;
    return 0;
fail:
    if (kc)
        rd_kafka_conf_destroy(kc);
    return rc;
}

static int ks_new(const struct fg_config *conf, struct fg_router *router, struct fg_loop *loop,
                  struct fg_trigger **out, struct fg_err *err)
{
    struct ks_trigger *t;
    size_t n = 0;
    int rc;

    (void)loop;
    *out = NULL;
    if (!(n = fg_conf_count_events(conf, &ks_conf)))
        return 0;
    if (!(t = calloc(1, sizeof(*t))) || !(t->src = calloc(n, sizeof(*t->src)))) {
        free(t);
        return fg_err_set(err, -ENOMEM, "out of memory");
    }
    t->base.ops = &fg_stream_trigger;
    t->conf = conf;
    t->router = router;
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            struct ks_source *s;
            if (fn->events[j].type != &ks_conf)
                continue;
            s = &t->src[t->n++];
            s->t = t;
            s->fn = fn;
            s->ev_conf = &fn->events[j];
            s->st = fn->events[j].conf;
            s->ev = (struct fg_kafka_src){ s->st->topic, s->st->brokers, conf->region, conf->account_id, s->st->format };
            snprintf(s->arn, sizeof(s->arn), "arn:aws:lambda:%s:%s:function:%s", conf->region, conf->account_id,
                     fn->name);
            snprintf(s->label, sizeof(s->label), "stream %s (%s)", s->st->topic, fn->name);
            if ((rc = ks_source_init(s, err)) < 0) {
                ks_free(&t->base);
                return rc;
            }
        }
    }
    *out = &t->base;
    return 0;
}

/* ------------------------------------------------------------------ configuration */

static int ks_conf_timestamp(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                             struct fg_conf_pos kpos, void *field)
{
    const char *s;
    char *end;
    long long v;
    int rc;

    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > LLONG_MAX / 1000)
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: expected epoch seconds, got '%s'", k->name, s);
    *(long long *)field = v * 1000;
    return 0;
}

static const struct fg_conf_key ks_kafka_keys[] = {
    { .name = "brokers", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_stream, brokers) },
    { .name = "properties", .type = FG_CONF_PAIRS, .offset = offsetof(struct fg_conf_stream, properties) },
    FG_CONF_KEY_END,
};

static const char *const ks_start_names[] = { "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL };
static const char *const ks_format_names[] = { "kafka", "kinesis", NULL };

static const struct fg_conf_key ks_keys[] = {
    { .name = "kafka", .type = FG_CONF_TABLE, .table = ks_kafka_keys, .short_key = "brokers" },
    { .name = "topic", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_stream, topic) },
    { .name = "group", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_stream, group) },
    { .name = "batch_size", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_stream, batch_size), .min = 1, .max = 10000 },
    { .name = "maximum_batching_window", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_stream, window_ms),
      .min = 0, .max = 300000 },
    { .name = "starting_position", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_stream, starting_position),
      .names = ks_start_names },
    { .name = "starting_position_timestamp", .type = FG_CONF_CUSTOM,
      .offset = offsetof(struct fg_conf_stream, starting_timestamp_ms), .parse = ks_conf_timestamp },
    { .name = "format", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_stream, format), .names = ks_format_names },
    { .name = "maximum_retry_attempts", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_stream, max_retry_attempts),
      .min = -1, .max = 10000 },
    { .name = "maximum_record_age", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_stream, max_record_age_s),
      .min = -1, .max = 604800 },
    { .name = "bisect_batch_on_function_error", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_stream, bisect) },
    { .name = "function_response_types", .type = FG_CONF_RESPONSE_TYPES,
      .offset = offsetof(struct fg_conf_stream, report_failures) },
    { .name = "on_failure", .type = FG_CONF_DESTINATION, .offset = offsetof(struct fg_conf_stream, on_failure) },
    { .name = "parallelization_factor", .type = FG_CONF_INT,
      .offset = offsetof(struct fg_conf_stream, parallelization_factor), .min = 1, .max = 10 },
    FG_CONF_KEY_END,
};

static void ks_conf_defaults(void *obj)
{
    struct fg_conf_stream *st = obj;
    st->batch_size = 100;
    st->window_ms = 500;
    st->max_retry_attempts = -1;
    st->max_record_age_s = -1;
    st->parallelization_factor = 1;
    st->starting_timestamp_ms = -1;
    st->on_failure.kind = FG_DEST_DLQ;
}

static int ks_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_stream *st = ev->conf;

    (void)val;
    if (!st->brokers || !*st->brokers)
        return fg_conf_fail(p, ev->pos, "stream: 'kafka: {brokers: host:port}' is required");
    if (!st->topic || !*st->topic)
        return fg_conf_fail(p, ev->pos, "stream: 'topic' is required");
    if (!st->group)
        st->group = "fngate";
    if (st->max_record_age_s >= 0 && st->max_record_age_s < 60)
        return fg_conf_fail(p, ev->pos, "stream: maximum_record_age is -1 (forever) or 60..604800 seconds");
    if ((st->starting_position == FG_START_AT_TIMESTAMP) != (st->starting_timestamp_ms >= 0))
        return fg_conf_fail(p, ev->pos, "stream: starting_position AT_TIMESTAMP goes with starting_position_timestamp (and only with it)");
    for (size_t i = 0; i < st->properties.n; i++) {
        const struct fg_conf_pair *e = &st->properties.items[i];
        if (!strcmp(e->key, "enable.auto.commit") || !strcmp(e->key, "enable.auto.offset.store") ||
            !strcmp(e->key, "group.id"))
            return fg_conf_fail(p, e->pos, "properties: %s is fngate's to set (offsets are stored only after success)",
                                e->key);
    }
    return 0;
}

static void ks_summary(const struct fg_conf_event *ev, char *out, size_t size)
{
    const struct fg_conf_stream *st = ev->conf;
    const struct fg_conf_destination *d = &st->on_failure;
    snprintf(out, size, "stream: %s  (kafka %s, group %s, format %s, batch %d, window %d ms, from %s, retries %d, "
             "max age %d s, bisect %s, parallelization %d, on_failure %s%s)",
             st->topic, st->brokers, st->group, ks_format_names[st->format], st->batch_size, st->window_ms,
             ks_start_names[st->starting_position], st->max_retry_attempts, st->max_record_age_s,
             st->bisect ? "on" : "off", st->parallelization_factor,
             d->kind == FG_DEST_DLQ ? "dlq (dead letters)" : d->target, ev->filter.n ? ", filtered" : "");
}

static const struct fg_conf_event_type ks_conf = {
    .kind = "stream",
    .where = "stream",
    .size = sizeof(struct fg_conf_stream),
    .keys = ks_keys,
    .filterable = true,
    .defaults = ks_conf_defaults,
    .check = ks_conf_check,
};

const struct fg_trigger_ops fg_stream_trigger = {
    .name = "stream",
    .conf = &ks_conf,
    .view = "streams",
    .view_empty = "[]",
    .new = ks_new,
    .start = ks_start,
    .stop = ks_stop,
    .describe = ks_describe,
    .free = ks_free,
    .summary = ks_summary,
};
