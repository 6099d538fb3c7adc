/* SPDX-License-Identifier: MIT */
/* workq.c - handing work between threads (see workq.h). */
#include "workq.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void fg_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

void fg_monotonic_deadline(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void fg_workq_init(struct fg_workq *q, void (*wake)(void *arg), void *wake_arg)
{
    pthread_mutex_init(&q->lock, NULL);
    fg_cond_init_monotonic(&q->cond);
    q->head = q->tail = NULL;
    q->closed = false;
    q->wake = wake;
    q->wake_arg = wake_arg;
}

void fg_workq_destroy(struct fg_workq *q)
{
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
}

/* Appends it (lock held). */
static void workq_append(struct fg_workq *q, struct fg_workq_item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    pthread_cond_signal(&q->cond);     /* no system call unless a consumer waits */
}

void fg_workq_push(struct fg_workq *q, struct fg_workq_item *it)
{
    pthread_mutex_lock(&q->lock);
    workq_append(q, it);
    pthread_mutex_unlock(&q->lock);
    if (q->wake)
        q->wake(q->wake_arg);
}

bool fg_workq_offer(struct fg_workq *q, struct fg_workq_item *it)
{
    bool open;
    pthread_mutex_lock(&q->lock);
    if ((open = !q->closed))
        workq_append(q, it);
    pthread_mutex_unlock(&q->lock);
    if (open && q->wake)
        q->wake(q->wake_arg);
    return open;
}

/* Waits on q->cond (lock held) until an item, a close, or the deadline. */
static void workq_wait(struct fg_workq *q, int wait_ms)
{
    struct timespec ts;
    if (wait_ms < 0) {
        while (!q->head && !q->closed)
            pthread_cond_wait(&q->cond, &q->lock);
        return;
    }
    fg_monotonic_deadline(&ts, wait_ms);
    while (!q->head && !q->closed)
        if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) == ETIMEDOUT)
            break;
}

struct fg_workq_item *fg_workq_take_all(struct fg_workq *q, int wait_ms)
{
    struct fg_workq_item *list;
    pthread_mutex_lock(&q->lock);
    if (wait_ms)
        workq_wait(q, wait_ms);
    list = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->lock);
    return list;
}

struct fg_workq_item *fg_workq_take(struct fg_workq *q)
{
    struct fg_workq_item *it;
    pthread_mutex_lock(&q->lock);
    workq_wait(q, -1);
    if ((it = q->head) && !(q->head = it->next))
        q->tail = NULL;
    pthread_mutex_unlock(&q->lock);
    return it;
}

bool fg_workq_empty(struct fg_workq *q)
{
    bool empty;
    pthread_mutex_lock(&q->lock);
    empty = !q->head;
    pthread_mutex_unlock(&q->lock);
    return empty;
}

bool fg_workq_closed(struct fg_workq *q)
{
    bool closed;
    pthread_mutex_lock(&q->lock);
    closed = q->closed;
    pthread_mutex_unlock(&q->lock);
    return closed;
}

void fg_workq_close(struct fg_workq *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

/* ------------------------------------------------------------------ the work thread */

static struct fg_work_job *work_job(struct fg_workq_item *it)
{
    return (struct fg_work_job *)((char *)it - offsetof(struct fg_work_job, item));
}

static void *work_main(void *arg)
{
    struct fg_work *w = arg;
    struct fg_workq_item *it;

    while ((it = fg_workq_take(&w->q))) {
        struct fg_work_job *job = work_job(it);
        bool closing;
        pthread_mutex_lock(&w->q.lock);
        closing = w->q.closed;
        pthread_mutex_unlock(&w->q.lock);
        if (closing && !w->ops->drain) {
            w->ops->dropped(w, job);
            continue;
        }
        w->ops->run(w, job);
        if (fg_loop_post(w->loop, &job->msg, w->ops->done) < 0)
            w->ops->dropped(w, job);
    }
    return NULL;
}

int fg_work_start(struct fg_work *w, const struct fg_work_ops *ops, struct fg_loop *loop, void *arg,
                  struct fg_err *err)
{
    int rc;
    w->ops = ops;
    w->loop = loop;
    w->arg = arg;
    w->started = false;
    fg_workq_init(&w->q, NULL, NULL);
    if ((rc = pthread_create(&w->thread, NULL, work_main, w)) != 0) {
        fg_workq_destroy(&w->q);
        return fg_err_set(err, -rc, "cannot start the %s thread: %s", ops->name, strerror(rc));
    }
    w->started = true;
    return 0;
}

void fg_work_post(struct fg_work *w, struct fg_work_job *job)
{
    if (!w->started || !fg_workq_offer(&w->q, &job->item))
        w->ops->dropped(w, job);
}

/* The queue is not destroyed: a post racing with stop on another thread still finds a
 * valid, closed queue and its job is dropped. */
void fg_work_stop(struct fg_work *w)
{
    if (!w->started)
        return;
    fg_workq_close(&w->q);
    pthread_join(w->thread, NULL);
    w->started = false;
}
