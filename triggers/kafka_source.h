/* SPDX-License-Identifier: MIT */
/* kafka_source.h - the stream adapter's state, shared by its two files only.
 *
 * kafka_stream.c owns a source's life (librdkafka, the consumer thread, rebalances, the
 * adapter's ops and keys); kafka_batch.c owns what happens to records between a fetch and
 * a commit (the per-partition ring, lanes, batches, retries, bisecting, giving up). Per
 * partition a ring holds the records fetched and not yet finished, in offset order, each
 * QUEUED, INFLIGHT or DONE; the commit position is the first record not DONE. A lane (one
 * per parallelization_factor slot, chosen by key hash) holds at most one batch. All of it
 * belongs to the consumer thread; the loop thread and the store thread only append to the
 * completion list and wake the thread with rd_kafka_queue_yield(). Nothing outside these
 * two files includes this header. */
#ifndef FG_KAFKA_SOURCE_H
#define FG_KAFKA_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "../core/filter.h"
#include "../core/id.h"
#include "../core/workq.h"
#include "kafka_event.h"
#include "kafka_stream.h"

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
    struct fg_workq_item done;         /* in src->done */
    struct ks_batch *wait_next;        /* src->waiting */
};

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
    _Atomic long long stop_deadline_ms;  /* set by ks_stop: the close is not waited for past it */
    bool close_abandoned;              /* the group could not be left in time (consumer thread) */
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
    /* Finished batches, from the loop and store threads; a push wakes the consumer out of
     * rd_kafka_consumer_poll (rd_kafka_queue_yield). */
    struct fg_workq done;
    /* Offsets the broker accepted for the partitions held (the next offset the group
     * reads), by partition id, -1 none yet: written by the commit callback on the consumer
     * thread, read by describe on the loop thread, both under lock. */
    pthread_mutex_t lock;
    int64_t *committed;
    size_t n_committed;
    /* figures for describe and GET /metrics (read on the loop thread) */
    atomic_llong received, processed, filtered, failed_batches, retried, given_up, assigned;
    atomic_llong failed_records, redelivered;  /* records of failed batches; of retried ones */
    atomic_llong oldest_ms;            /* timestamp of the oldest record held and not finished
                                        * (epoch ms), 0 none: IteratorAge */
    atomic_bool up;                    /* the broker is not known to be unreachable */
};

struct ks_trigger {
    struct fg_trigger base;
    const struct fg_config *conf;
    struct fg_router *router;
    struct ks_source *src;
    size_t n;
    bool stopped;
};

/* ---- kafka_stream.c (consumer thread) */
/* Logs the source's connection state when it changes ("consuming", "broker down: ..."). */
void fg_kafka_set_state(struct ks_source *s, bool down, const char *fmt, ...) FG_PRINTF(3, 4);

/* ---- kafka_batch.c (consumer thread unless noted) */
/* The partition's state, or NULL when not assigned. Borrowed. */
struct ks_part *fg_kafka_part_find(struct ks_source *s, int32_t partition);
/* Stores the offset past p's finished prefix for the next commit. */
void fg_kafka_part_advance(struct ks_source *s, struct ks_part *p);
/* Frees p and the records it holds (no batch may still borrow them). */
void fg_kafka_part_free(struct ks_part *p);
void fg_kafka_batch_free(struct ks_batch *b);
/* A fetched record: filtered, or queued in its partition's ring. Takes m. */
void fg_kafka_take(struct ks_source *s, rd_kafka_message_t *m);
/* Starts batches that can start; returns the next time something is due (epoch ms), or -1. */
long long fg_kafka_dispatch(struct ks_source *s);
/* Takes the completions the loop and store threads handed over (waiting up to wait_ms for
 * one when there is none; 0: no wait), and acts on them. */
void fg_kafka_drain(struct ks_source *s, int wait_ms);
/* Sets s->oldest_ms from the first unfinished record of each partition. */
void fg_kafka_note_oldest(struct ks_source *s);

#endif
