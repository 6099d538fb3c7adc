/* SPDX-License-Identifier: MIT */
/* loop.h - the libevent loop that owns router state, and the one way other threads reach it.
 *
 * libmicrohttpd threads, the Kafka consumer threads, the folder trigger's watcher and
 * hashing threads, the store's writer and the webhook thread never touch router state: they
 * post a message with fg_loop_post() and the loop runs it. Wake-ups coalesce
 * (one eventfd write per empty→non-empty transition), so the loop drains the whole queue
 * each time. Messages are intrusive: the poster embeds struct fg_loop_msg in its own
 * object, so posting never allocates. Tests: tests/unit/test_core.c. */
#ifndef FG_LOOP_H
#define FG_LOOP_H

#include <pthread.h>
#include <stdbool.h>

#include "err.h"

struct event_base;
struct event;
struct fg_loop;
struct fg_loop_msg;

/* Runs on the loop thread with the message the poster embedded. */
typedef void fg_loop_fn(struct fg_loop *loop, struct fg_loop_msg *msg);

struct fg_loop_msg {
    struct fg_loop_msg *next;
    fg_loop_fn *fn;
};

struct fg_loop {
    struct event_base *base;       /* owned */
    pthread_t thread;              /* the thread that runs fg_loop_run */
    pthread_mutex_t lock;          /* guards head, tail, closed */
    struct fg_loop_msg *head, *tail;
    bool closed;                   /* set by fg_loop_close_posts: posts are refused */
    int wake_fd;                   /* eventfd */
    struct event *wake_ev;
};

/* Caller-embedded. The calling thread counts as the loop thread from here (fg_loop_run
 * records its own), so setup before the loop runs passes loop-thread checks. 0 or -errno;
 * fg_loop_close cleans up either way. */
int fg_loop_init(struct fg_loop *loop, struct fg_err *err) FG_MUST_CHECK;

/* Any thread. Borrows msg until fn has run (on the loop thread). 0, or -FG_ESHUTDOWN once
 * fg_loop_close_posts() was called: fn will not run and the caller still owns msg. */
int fg_loop_post(struct fg_loop *loop, struct fg_loop_msg *msg, fg_loop_fn *fn) FG_MUST_CHECK;

/* Runs until fg_loop_break(). Records the calling thread as the loop thread. */
int fg_loop_run(struct fg_loop *loop);

/* Any thread: makes fg_loop_run return after the current callback. */
void fg_loop_break(struct fg_loop *loop);

/* Refuses further posts and runs the messages already queued. Loop thread (or after the
 * loop stopped). */
void fg_loop_close_posts(struct fg_loop *loop);

/* Frees the loop; every event on it must already be freed. */
void fg_loop_close(struct fg_loop *loop);

/* Stops watching a descriptor and closes it: frees *ev (may be NULL) then closes *fd (may
 * be -1); both are reset, so a second call does nothing. */
void fg_loop_close_fd(struct event **ev, int *fd);

/* True on the loop thread; code that must not run elsewhere asserts it (fg_router_finish). */
bool fg_loop_is_current(const struct fg_loop *loop);

/* Milliseconds since the epoch / a monotonic origin. */
long long fg_now_ms(void);
long long fg_mono_us(void);

#endif
