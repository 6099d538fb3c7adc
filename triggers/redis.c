/* SPDX-License-Identifier: MIT */
/* redis.c - a hiredis async connection kept up with backoff (see redis.h). */
#include "redis.h"

#include <errno.h>
#include <stdarg.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"

#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 5000

/* Logs a state only when it differs from the last one logged. */
static void redis_state(struct fg_redis *rd, enum fg_log_level level, const char *fmt, ...) FG_PRINTF(3, 4);
static void redis_state(struct fg_redis *rd, enum fg_log_level level, const char *fmt, ...)
{
    char s[sizeof(rd->state)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, sizeof(s), fmt, ap);
    va_end(ap);
    if (!strcmp(s, rd->state))
        return;
    memcpy(rd->state, s, sizeof(s));
    fg_log(level, "redis", "%s (%s:%d): %s", rd->label, rd->addr.host, rd->addr.port, s);
}

static void redis_connect(struct fg_redis *rd);

static void redis_on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    redis_connect(arg);
}

static void redis_schedule(struct fg_redis *rd)
{
    struct timeval tv = { rd->backoff_ms / 1000, (rd->backoff_ms % 1000) * 1000 };
    if (rd->closing)
        return;
    event_add(rd->retry_ev, &tv);
    rd->backoff_ms = rd->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ? REDIS_BACKOFF_MAX_MS : rd->backoff_ms * 2;
}

static void redis_ready(struct fg_redis *rd)
{
    rd->up = true;
    rd->ever_up = true;
    rd->backoff_ms = REDIS_BACKOFF_MIN_MS;
    redis_state(rd, FG_LOG_INFO, "connected");
    if (rd->on_state)
        rd->on_state(rd, true, rd->arg);
}

/* The handshake's replies: AUTH, then SELECT. A refusal drops the connection, whose
 * disconnect callback schedules the retry. */
static void redis_on_select(redisAsyncContext *ac, void *r, void *priv)
{
    struct fg_redis *rd = priv;
    const char *e;
    if (!r || rd->closing)
        return;
    if ((e = fg_redis_error(r))) {
        redis_state(rd, FG_LOG_ERROR, "SELECT %d failed: %s; retrying", rd->addr.db, e);
        redisAsyncDisconnect(ac);
        return;
    }
    redis_ready(rd);
}

static void redis_select(struct fg_redis *rd)
{
    char db[16];
    const char *argv[] = { "SELECT", db };
    if (!rd->addr.db) {
        redis_ready(rd);
        return;
    }
    snprintf(db, sizeof(db), "%d", rd->addr.db);
    redisAsyncCommandArgv(rd->ac, redis_on_select, rd, 2, argv, NULL);
}

static void redis_on_auth(redisAsyncContext *ac, void *r, void *priv)
{
    struct fg_redis *rd = priv;
    const char *e;
    if (!r || rd->closing)
        return;
    if ((e = fg_redis_error(r))) {
        redis_state(rd, FG_LOG_ERROR, "AUTH failed: %s; retrying", e);
        redisAsyncDisconnect(ac);
        return;
    }
    redis_select(rd);
}

static void redis_on_connect(const redisAsyncContext *ac, int status)
{
    struct fg_redis *rd = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        redis_state(rd, FG_LOG_WARN, "cannot connect: %s; retrying", ac->errstr);
        rd->ac = NULL;
        redis_schedule(rd);
        return;
    }
    if (rd->addr.password[0]) {
        const char *argv[] = { "AUTH", rd->addr.user, rd->addr.password };
        if (rd->addr.user[0])
            redisAsyncCommandArgv(rd->ac, redis_on_auth, rd, 3, argv, NULL);
        else
            redisAsyncCommandArgv(rd->ac, redis_on_auth, rd, 2, (const char *[]){ "AUTH", rd->addr.password }, NULL);
        return;
    }
    redis_select(rd);
}

static void redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    struct fg_redis *rd = ac->data;
    bool was_up = rd->up;
    rd->ac = NULL;
    rd->up = false;
    if (rd->closing)
        return;
    if (was_up)
        redis_state(rd, FG_LOG_WARN, "connection lost%s%s; reconnecting", status == REDIS_OK ? "" : ": ",
                    status == REDIS_OK ? "" : ac->errstr);
    if (was_up && rd->on_state)
        rd->on_state(rd, false, rd->arg);
    redis_schedule(rd);
}

static void redis_connect(struct fg_redis *rd)
{
    redisAsyncContext *ac;

    if (rd->closing || rd->ac)
        return;
    ac = redisAsyncConnect(rd->addr.host, rd->addr.port);
    if (!ac || ac->err) {
        redis_state(rd, FG_LOG_WARN, "cannot connect: %s; retrying", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        redis_schedule(rd);
        return;
    }
    ac->data = rd;
    if (redisLibeventAttach(ac, rd->base) != REDIS_OK) {
        redisAsyncFree(ac);
        redis_schedule(rd);
        return;
    }
    redisAsyncSetConnectCallback(ac, redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, redis_on_disconnect);
    rd->ac = ac;
}

int fg_redis_init(struct fg_redis *rd, struct event_base *base, const char *url, const char *label,
                  fg_redis_state_fn *on_state, void *arg, struct fg_err *err)
{
    int rc;
    memset(rd, 0, sizeof(*rd));
    if ((rc = fg_redis_parse_url(url, &rd->addr, err)) < 0)
        return rc;
    rd->base = base;
    snprintf(rd->label, sizeof(rd->label), "%s", label);
    rd->on_state = on_state;
    rd->arg = arg;
    rd->backoff_ms = REDIS_BACKOFF_MIN_MS;
    if (!(rd->retry_ev = evtimer_new(base, redis_on_retry, rd)))
        return fg_err_set(err, -ENOMEM, "out of memory");
    return 0;
}

void fg_redis_start(struct fg_redis *rd)
{
    redis_connect(rd);
}

int fg_redis_command(struct fg_redis *rd, redisCallbackFn *cb, void *priv, int argc, const char **argv,
                     const size_t *argvlen)
{
    if (!rd->up || !rd->ac)
        return -ENOTCONN;
    return redisAsyncCommandArgv(rd->ac, cb, priv, argc, argv, argvlen) == REDIS_OK ? 0 : -ENOTCONN;
}

void fg_redis_close(struct fg_redis *rd)
{
    if (rd->closing)
        return;
    rd->closing = true;
    rd->up = false;
    if (rd->retry_ev) {
        event_free(rd->retry_ev);
        rd->retry_ev = NULL;
    }
    if (rd->ac) {
        redisAsyncContext *ac = rd->ac;
        rd->ac = NULL;
        redisAsyncFree(ac);
    }
}

const char *fg_redis_error(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL;
}
