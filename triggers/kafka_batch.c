/* SPDX-License-Identifier: MIT */
/* kafka_batch.c - from a fetched record to a committed offset: the partition ring, lanes,
 * batches, retries, bisecting and giving up (see kafka_source.h). Consumer thread. */
#include "kafka_source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "batch_response.h"

struct ks_part *fg_kafka_part_find(struct ks_source *s, int32_t partition)
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
void fg_kafka_part_advance(struct ks_source *s, struct ks_part *p)
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

void fg_kafka_part_free(struct ks_part *p)
{
    if (!p)
        return;
    for (size_t i = p->head; i < p->head + p->n; i++)
        rd_kafka_message_destroy(p->recs[i].m);
    free(p->recs);
    free(p);
}

/* ------------------------------------------------------------------ batches */

void fg_kafka_batch_free(struct ks_batch *b)
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
    fg_workq_push(&s->done, &b->done);
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

/* The time of b's first record (its oldest: offset order), as fg_kafka_note_oldest reads
 * it for IteratorAge: its timestamp, or when it came for one without; 0 unknown. */
static long long ks_oldest_ms(struct ks_source *s, const struct ks_batch *b)
{
    rd_kafka_timestamp_type_t tt;
    struct ks_part *p;
    struct ks_rec *r;
    long long ts = rd_kafka_message_timestamp(b->msgs[0], &tt);
    if (ts >= 0)
        return ts;
    p = fg_kafka_part_find(s, b->partition);
    r = p ? ks_rec_at(p, b->msgs[0]->offset) : NULL;
    return r ? r->arrived_ms : 0;
}

static void ks_submit(struct ks_source *s, struct ks_batch *b)
{
    int rc;
    if ((rc = ks_build(s, b)) < 0) {
        /* Over the 6 MB invocation limit even alone, or out of memory. */
        if (b->n > 1) {
            struct ks_part *p = fg_kafka_part_find(s, b->partition);
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
    b->inv.oldest_record_ms = ks_oldest_ms(s, b);
    b->phase = KB_RUNNING;
    b->invokes++;
    s->busy++;
    if (fg_router_submit(s->t->router, &b->inv) < 0) {
        /* Shutting down: the records stay uncommitted and come back next time. */
        s->busy--;
        struct ks_part *p = fg_kafka_part_find(s, b->partition);
        if (p && p->gen == b->gen) {
            ks_release(p, b, 0, b->n, KS_QUEUED);
            p->lane[b->lane] = NULL;
        }
        fg_kafka_batch_free(b);
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
    atomic_fetch_add_explicit(&s->failed_records, (long long)b->n, memory_order_relaxed);
    if (s->st->bisect && b->n > 1) {
        /* Splitting does not count as a retry (as Lambda). */
        atomic_fetch_add_explicit(&s->redelivered, (long long)b->n, memory_order_relaxed);
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
    atomic_fetch_add_explicit(&s->redelivered, (long long)b->n, memory_order_relaxed);
    ks_wait(s, b, ks_backoff(b->attempts));
}

static void ks_finish(struct ks_source *s, struct ks_part *p, struct ks_batch *b, size_t done)
{
    ks_release(p, b, 0, done, KS_DONE);
    p->lane[b->lane] = NULL;
    fg_kafka_batch_free(b);
    fg_kafka_part_advance(s, p);
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
    struct ks_part *p = fg_kafka_part_find(s, b->partition);
    long long first;

    s->busy--;
    if (!p || p->gen != b->gen || atomic_load(&s->stopping)) {
        /* Revoked meanwhile (abandoned, nothing committed), or stopping. */
        if (p && p->gen == b->gen) {
            ks_release(p, b, 0, b->n, KS_QUEUED);
            p->lane[b->lane] = NULL;
        }
        fg_kafka_batch_free(b);
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
        fg_kafka_part_advance(s, p);
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

long long fg_kafka_dispatch(struct ks_source *s)
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
        struct ks_part *p = fg_kafka_part_find(s, b->partition);
        if (!p || p->gen != b->gen) {
            fg_kafka_batch_free(b);
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

void fg_kafka_note_oldest(struct ks_source *s)
{
    long long oldest = 0;
    for (size_t i = 0; i < s->n_parts; i++) {
        const struct ks_part *p = s->parts[i];
        rd_kafka_timestamp_type_t tt;
        long long ts;
        if (!p || !p->n)
            continue;
        ts = rd_kafka_message_timestamp(p->recs[p->head].m, &tt);
        if (ts < 0)
            ts = p->recs[p->head].arrived_ms;       /* a record without a time: since it came */
        if (!oldest || ts < oldest)
            oldest = ts;
    }
    atomic_store_explicit(&s->oldest_ms, oldest, memory_order_relaxed);
}

/* Takes the completion list and handles it. */
void fg_kafka_drain(struct ks_source *s, int wait_ms)
{
    struct fg_workq_item *list = fg_workq_take_all(&s->done, wait_ms);
    while (list) {
        struct ks_batch *b = (struct ks_batch *)((char *)list - offsetof(struct ks_batch, done));
        list = list->next;
        ks_complete(s, b);
    }
}

/* ------------------------------------------------------------------ records in */

void fg_kafka_take(struct ks_source *s, rd_kafka_message_t *m)
{
    struct ks_part *p;
    struct ks_rec *r;

    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fg_kafka_set_state(s, m->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "%s",
                         m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                             ? "waiting for the topic to exist" : rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return;
    }
    if (s->noted) {
        s->noted = false;
        fg_kafka_set_state(s, false, "consuming");
    }
    if (atomic_load(&s->stopping) || !(p = fg_kafka_part_find(s, m->partition))) {
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
            fg_kafka_part_advance(s, p);
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
            fg_kafka_part_advance(s, p);
            return;
        }
    }
    if (!p->paused && p->n >= KS_PAUSE_RECORDS)
        ks_pause(s, p, true);
}
