/* SPDX-License-Identifier: MIT */
/* workq.h - handing work between threads: one queue and one "run it on a thread, post
 * the result to the loop" helper, instead of a mutex, a condition and a list per file.
 *
 * struct fg_workq is an intrusive FIFO any thread may push to; its consumer either waits
 * on it (a worker thread), takes everything at once (a group commit, a drain), or is woken
 * by a callback when it waits on something else (librdkafka's poll). struct fg_work is a
 * thread that runs jobs in order and posts each finished one to the loop, where done()
 * runs: hashing files, HTTP destinations. Items are embedded in the caller's objects, so
 * handing work over never allocates. Tests: tests/unit/test_core.c. */
#ifndef FG_WORKQ_H
#define FG_WORKQ_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "err.h"
#include "loop.h"

/* A condition variable whose timed waits run on CLOCK_MONOTONIC, so a clock set back never
 * stretches a wait (what every waiting thread here wants). */
void fg_cond_init_monotonic(pthread_cond_t *cond);

/* *ts = CLOCK_MONOTONIC now + ms: the deadline for pthread_cond_timedwait on such a condition. */
void fg_monotonic_deadline(struct timespec *ts, long ms);

struct fg_workq_item {
    struct fg_workq_item *next;
};

struct fg_workq {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct fg_workq_item *head, *tail;
    bool closed;
    void (*wake)(void *arg);    /* called after a push, outside the lock; may be NULL */
    void *wake_arg;
};

/* Caller-embedded. wake (may be NULL) tells a consumer that does not wait on the queue. */
void fg_workq_init(struct fg_workq *q, void (*wake)(void *arg), void *wake_arg);
/* Every item must have been taken. */
void fg_workq_destroy(struct fg_workq *q);

/* Any thread. Borrows it until it is taken. wake runs after the lock is released, so the
 * queue (and what wake_arg names) must outlive every thread that may still push. */
void fg_workq_push(struct fg_workq *q, struct fg_workq_item *it);

/* fg_workq_push unless the queue is closed: false then, and it is not queued. */
bool fg_workq_offer(struct fg_workq *q, struct fg_workq_item *it) FG_MUST_CHECK;

/* Takes every item queued, in push order, as a list (NULL: none). wait_ms 0 returns at
 * once, -1 waits for an item or fg_workq_close, else waits at most that long. */
struct fg_workq_item *fg_workq_take_all(struct fg_workq *q, int wait_ms);

/* Takes the oldest item, waiting for one; NULL once the queue is closed and empty. */
struct fg_workq_item *fg_workq_take(struct fg_workq *q);

/* Whether nothing is queued (a hint: another thread may push right after). */
bool fg_workq_empty(struct fg_workq *q);

/* Whether fg_workq_close ran (a consumer that must finish once it did). */
bool fg_workq_closed(struct fg_workq *q);
/* Wakes every waiter; takes still return what is queued, then NULL instead of waiting. */
void fg_workq_close(struct fg_workq *q);

/* ---- a thread that runs jobs and posts each result to the loop */

struct fg_work;

struct fg_work_job {
    struct fg_workq_item item;
    struct fg_loop_msg msg;     /* posted with ops->done once run */
};

struct fg_work_ops {
    const char *name;           /* for messages ("fs", "webhook") */
    /* The work, on the thread. */
    void (*run)(struct fg_work *w, struct fg_work_job *job);
    /* The result, on the loop thread (msg is &job->msg). */
    fg_loop_fn *done;
    /* A job whose result cannot reach the loop (it is closed), or that stop() dropped:
     * free it. The thread, or the one calling fg_work_stop. */
    void (*dropped)(struct fg_work *w, struct fg_work_job *job);
    /* On stop: run what is still queued (true) or drop it (false). */
    bool drain;
};

struct fg_work {
    const struct fg_work_ops *ops;
    struct fg_loop *loop;
    void *arg;                  /* the owner's */
    struct fg_workq q;
    pthread_t thread;
    bool started;
};

/* Starts the thread. Caller-embedded; borrows ops and loop. 0 or -errno with err filled. */
int fg_work_start(struct fg_work *w, const struct fg_work_ops *ops, struct fg_loop *loop, void *arg,
                  struct fg_err *err) FG_MUST_CHECK;

/* Any thread. Borrows job until done() or dropped() ran; a work not running (never
 * started, or stopped) drops it at once, inside this call. */
void fg_work_post(struct fg_work *w, struct fg_work_job *job);

/* Runs or drops what is queued (ops->drain), then joins the thread. Idempotent; a work
 * never started is fine. Not on the work's own thread. The queue stays valid (closed)
 * until the work's memory goes, so a late post is dropped, not a use after free. */
void fg_work_stop(struct fg_work *w);

#endif
