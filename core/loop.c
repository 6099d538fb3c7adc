/* SPDX-License-Identifier: MIT */
/* loop.c - libevent loop plus the cross-thread hand-off queue (see loop.h).
 *
 * DESIGN: a mutex-protected intrusive FIFO and an eventfd. A poster writes the eventfd only
 * when the queue goes from empty to non-empty; the loop pops the whole list under the lock
 * and runs it unlocked, so a burst of posts costs one wake-up. */
#include "loop.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void loop_drain(struct fg_loop *loop)
{
    struct fg_loop_msg *m, *next;

    pthread_mutex_lock(&loop->lock);
    m = loop->head;
    loop->head = loop->tail = NULL;
    pthread_mutex_unlock(&loop->lock);
    for (; m; m = next) {
        next = m->next;    /* fn may free m */
        m->fn(loop, m);
    }
}

static void loop_on_wake(evutil_socket_t fd, short what, void *arg)
{
    uint64_t n;
    (void)what;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        /* eventfd reads only fail with EAGAIN; nothing to do either way. */
    }
    loop_drain(arg);
}

int fg_loop_init(struct fg_loop *loop, struct fg_err *err)
{
    memset(loop, 0, sizeof(*loop));
    loop->wake_fd = -1;
    pthread_mutex_init(&loop->lock, NULL);
    /* The changelist folds the add/del pairs evhttp makes per request into one epoll_ctl. */
    struct event_config *cfg = event_config_new();
    if (cfg)
        event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    loop->base = cfg ? event_base_new_with_config(cfg) : NULL;
    if (cfg)
        event_config_free(cfg);
    if (!loop->base)
        return fg_err_set(err, -ENOMEM, "cannot create the event loop");
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wake_fd < 0)
        return fg_err_set(err, -errno, "eventfd: %s", strerror(errno));
    loop->wake_ev = event_new(loop->base, loop->wake_fd, EV_READ | EV_PERSIST, loop_on_wake, loop);
    if (!loop->wake_ev || event_add(loop->wake_ev, NULL) < 0)
        return fg_err_set(err, -ENOMEM, "cannot register the loop wake-up");
    loop->thread = pthread_self();
    return 0;
}

int fg_loop_post(struct fg_loop *loop, struct fg_loop_msg *msg, fg_loop_fn *fn)
{
    bool wake;
    uint64_t one = 1;

    msg->fn = fn;
    msg->next = NULL;
    pthread_mutex_lock(&loop->lock);
    if (loop->closed) {
        pthread_mutex_unlock(&loop->lock);
        return -FG_ESHUTDOWN;
    }
    wake = loop->head == NULL;
    if (loop->tail)
        loop->tail->next = msg;
    else
        loop->head = msg;
    loop->tail = msg;
    pthread_mutex_unlock(&loop->lock);
    if (wake && write(loop->wake_fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is saturated, so the loop is already due to wake. */
    }
    return 0;
}

int fg_loop_run(struct fg_loop *loop)
{
    loop->thread = pthread_self();
    return event_base_dispatch(loop->base);
}

void fg_loop_break(struct fg_loop *loop)
{
    event_base_loopbreak(loop->base);
    /* loopbreak from another thread needs the loop awake to notice it. */
    uint64_t one = 1;
    if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
        /* saturated counter: already awake */
    }
}

void fg_loop_close_posts(struct fg_loop *loop)
{
    pthread_mutex_lock(&loop->lock);
    loop->closed = true;
    pthread_mutex_unlock(&loop->lock);
    loop_drain(loop);
}

void fg_loop_close_fd(struct event **ev, int *fd)
{
    if (*ev)
        event_free(*ev);
    *ev = NULL;
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void fg_loop_close(struct fg_loop *loop)
{
    fg_loop_close_fd(&loop->wake_ev, &loop->wake_fd);
    if (loop->base)
        event_base_free(loop->base);
    loop->base = NULL;
    pthread_mutex_destroy(&loop->lock);
}

bool fg_loop_is_current(const struct fg_loop *loop)
{
    return pthread_equal(loop->thread, pthread_self());
}

long long fg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long fg_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
