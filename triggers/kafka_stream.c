/* SPDX-License-Identifier: MIT */
/* kafka_stream.c - the stream adapter: a Kafka consumer per `- stream:` with Kinesis and
 * self-managed Kafka event source semantics (see kafka_stream.h). This file owns a
 * source's life: librdkafka's configuration, the consumer thread, rebalances and the
 * offsets committed, the adapter's ops and its keys; kafka_batch.c owns what happens to
 * the records in between (kafka_source.h). */
#include "kafka_source.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/json_write.h"
#include "../core/log.h"
#include "source_metrics.h"
#include "trigger_console.h"

static const struct fg_conf_event_type ks_conf;

void fg_kafka_set_state(struct ks_source *s, bool down, const char *fmt, ...)
{
    char text[sizeof(s->state)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    s->down = down;
    atomic_store_explicit(&s->up, !down, memory_order_relaxed);
    s->noted = strcmp(text, "consuming") != 0;
    if (down)
        s->next_meta_ms = fg_now_ms() + KS_META_CHECK_MS;
    if (!strcmp(text, s->state))
        return;
    memcpy(s->state, text, sizeof(text));
    fg_log(down ? FG_LOG_WARN : FG_LOG_INFO, "kafka", "%s: %s", s->label, text);
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
        if (e->err || e->offset < 0 || strcmp(e->topic, s->st->topic) || !fg_kafka_part_find(s, e->partition))
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
            struct ks_part *p = fg_kafka_part_find(s, q->elems[i].partition);
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
        fg_kafka_part_free(s->parts[id]);
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
        struct ks_part *p = fg_kafka_part_find(s, parts->elems[i].partition);
        for (int l = 0; p && l < KS_MAX_LANES; l++)
            running += p->lane[l] && p->lane[l]->phase != KB_WAITING;
    }
    if (running)
        fg_log(FG_LOG_INFO, "kafka", "%s: revoking %d partition(s): waiting for %d running batch(es)", s->label,
               parts->cnt, running);
    fg_kafka_drain(s, 0);
    for (;;) {
        bool busy = false;
        for (int i = 0; i < parts->cnt && !busy; i++) {
            struct ks_part *p = fg_kafka_part_find(s, parts->elems[i].partition);
            for (int l = 0; p && l < KS_MAX_LANES && !busy; l++)
                busy = p->lane[l] && p->lane[l]->phase != KB_WAITING;
        }
        if (!busy || fg_now_ms() >= deadline)
            break;
        fg_kafka_drain(s, 100);
    }
    for (int i = 0; i < parts->cnt; i++) {
        struct ks_part *p = fg_kafka_part_find(s, parts->elems[i].partition);
        if (p)
            fg_kafka_part_advance(s, p);
    }
    {
        /* Real brokers take this commit while the group prepares the rebalance; one that
         * refuses it (librdkafka's mock does) leaves the last periodic commit, and the new
         * owner runs the batches that finished during the revoke again (at least once).
         * Stopping, it is not waited for here (a coordinator that is gone would hold the
         * stop for librdkafka's timeout): the close waits for it, up to stop_timeout. */
        rd_kafka_resp_err_t e = rd_kafka_commit(s->rk, NULL, atomic_load(&s->stopping) ? 1 : 0);
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            fg_log(FG_LOG_WARN, "kafka", "%s: commit on revoke: %s", s->label, rd_kafka_err2str(e));
    }
    for (int i = 0; i < parts->cnt; i++) {
        int32_t id = parts->elems[i].partition;
        if (fg_kafka_part_find(s, id)) {
            /* Batches still running (abandoned) or waiting see the partition gone. */
            fg_kafka_part_free(s->parts[id]);
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
            fg_kafka_set_state(s, false, "consuming");
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
        fg_kafka_set_state(s, true, "broker unreachable (%s); retrying", err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
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

/* Consumer thread, at stop: stored offsets are committed as the consumer leaves its group,
 * served on a queue of its own so that it can be given up at stop_timeout. A coordinator
 * that cannot be reached (the broker went down) is not waited for past it: what was not
 * committed is delivered again later, as the poll contract says, and is logged. */
static void ks_close(struct ks_source *s)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(s->rk);
    rd_kafka_error_t *e = q ? rd_kafka_consumer_close_queue(s->rk, q) : NULL;
    long long deadline = atomic_load(&s->stop_deadline_ms);

    if (!q || e) {
        fg_log(FG_LOG_WARN, "stream", "%s: cannot leave the consumer group: %s", s->label,
               e ? rd_kafka_error_string(e) : "out of memory");
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        while (!rd_kafka_consumer_closed(s->rk) && fg_now_ms() < deadline)
            rd_kafka_queue_poll_callback(q, 100);      /* rebalance callbacks run here */
    }
    if (!q || e || !rd_kafka_consumer_closed(s->rk)) {
        s->close_abandoned = true;
        fg_log(FG_LOG_WARN, "stream", "%s: could not leave the consumer group within stop_timeout (%d ms): offsets "
               "not committed are delivered again after the restart", s->label, s->t->conf->stop_timeout_ms);
    }
    if (q)
        rd_kafka_queue_destroy(q);
}

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
        if (!fg_workq_empty(&s->done))
            timeout = 0;
        m = rd_kafka_consumer_poll(s->rk, timeout);
        for (int i = 0; m; i++) {
            fg_kafka_take(s, m);
            m = i < 10000 ? rd_kafka_consumer_poll(s->rk, 0) : NULL;
        }
        fg_kafka_drain(s, 0);
        if (s->down && fg_now_ms() >= s->next_meta_ms) {
            const struct rd_kafka_metadata *md;
            if (rd_kafka_metadata(s->rk, 0, NULL, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_metadata_destroy(md);
                fg_kafka_set_state(s, false, "broker reachable again");
            } else {
                s->next_meta_ms = fg_now_ms() + KS_META_CHECK_MS;
            }
        }
        next_due = atomic_load(&s->stopping) ? -1 : fg_kafka_dispatch(s);
        fg_kafka_note_oldest(s);
    }
    ks_close(s);
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
        atomic_store(&t->src[i].stop_deadline_ms, fg_now_ms() + t->conf->stop_timeout_ms);
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

/* GET /metrics: per stream, records received, acknowledged (succeeded or filtered out: the
 * commit moves past them), failed and retried, given up, and the age of the oldest one held
 * and not finished. */
static int ks_metrics(struct fg_trigger *base, struct fg_prom *p)
{
    struct ks_trigger *t = (struct ks_trigger *)base;
    long long now = fg_now_ms();
    for (size_t i = 0; i < t->n; i++) {
        struct ks_source *s = &t->src[i];
        long long oldest = atomic_load_explicit(&s->oldest_ms, memory_order_relaxed);
        struct fg_source_figures f;
        fg_source_figures_init(&f, base->ops->name, s->st->topic, s->fn->name);
        f.received = atomic_load_explicit(&s->received, memory_order_relaxed);
        f.acknowledged = atomic_load_explicit(&s->processed, memory_order_relaxed) +
                         atomic_load_explicit(&s->filtered, memory_order_relaxed);
        f.failed = atomic_load_explicit(&s->failed_records, memory_order_relaxed);
        f.filtered = atomic_load_explicit(&s->filtered, memory_order_relaxed);
        f.redelivered = atomic_load_explicit(&s->redelivered, memory_order_relaxed);
        f.given_up = atomic_load_explicit(&s->given_up, memory_order_relaxed);
        f.iterator_age_s = oldest && now > oldest ? (now - oldest) / 1000.0 : 0;
        f.up = atomic_load_explicit(&s->up, memory_order_relaxed);
        fg_source_metrics(p, &f);
    }
    return p->err;
}

static void *ks_destroy_main(void *arg)
{
    rd_kafka_destroy_flags(arg, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return NULL;
}

/* After a close given up at stop_timeout, librdkafka's destroy still waits for its group
 * to let go (up to session.timeout.ms, 45 s by default): it runs on a thread of its own
 * and is waited for only until the stop deadline (1 s at least); past it fngate exits
 * without it. */
static void ks_destroy_bounded(struct ks_source *s)
{
    long long until = atomic_load(&s->stop_deadline_ms);
    struct timespec ts;
    pthread_t th;

    if (until < fg_now_ms() + 1000)
        until = fg_now_ms() + 1000;
    if (pthread_create(&th, NULL, ks_destroy_main, s->rk) != 0) {
        rd_kafka_destroy_flags(s->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (until - fg_now_ms()) / 1000;
    ts.tv_nsec += ((until - fg_now_ms()) % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    if (pthread_timedjoin_np(th, NULL, &ts) != 0) {
        fg_log(FG_LOG_WARN, "stream", "%s: librdkafka did not shut down by the stop deadline; exiting without it",
               s->label);
        pthread_detach(th);
    }
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
        fg_kafka_drain(s, 0);
        while (s->waiting) {
            struct ks_batch *b = s->waiting;
            s->waiting = b->wait_next;
            fg_kafka_batch_free(b);
        }
        for (size_t k = 0; k < s->n_parts; k++)
            fg_kafka_part_free(s->parts[k]);
        free(s->parts);
        if (s->cq)
            rd_kafka_queue_destroy(s->cq);
        if (s->rk && s->close_abandoned)
            ks_destroy_bounded(s);
        else if (s->rk)
            rd_kafka_destroy(s->rk);
        fg_filter_free(s->filter);
        free(s->committed);
        pthread_mutex_destroy(&s->lock);
        fg_workq_destroy(&s->done);
    }
    free(t->src);
    free(t);
}


/* A batch finished: wake the consumer thread out of its poll. Loop or store thread. */
static void ks_wake(void *arg)
{
    struct ks_source *s = arg;
    if (s->cq)
        rd_kafka_queue_yield(s->cq);
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
    fg_workq_init(&s->done, ks_wake, s);
    atomic_init(&s->up, true);
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
            fg_conf_function_arn(conf, fn->name, s->arn, sizeof(s->arn));
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

/* {"type":"stream","topic"} */
static int ks_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_stream *s = ev->conf;
    (void)t;
    return fg_trigger_console_object(out, "stream", (const char *const[]){ "topic", s->topic, NULL });
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
    .poll = true,
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
    .metrics = ks_metrics,
    .free = ks_free,
    .summary = ks_summary,
    .console = ks_console,
};
