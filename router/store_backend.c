/* SPDX-License-Identifier: MIT */
/* store_backend.c - fg_store_* forwarded to the backend `state.backend` chose (see
 * store_backend.h). */
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/assert.h"
#include "../core/json_write.h"

struct fg_store {
    struct fg_sqlite_store *sql;     /* exactly one of the two */
    struct fg_redis_store *rs;
};

#define STORE_CALL(s, fn, ...) ((s)->rs ? fg_redis_store_##fn((s)->rs, __VA_ARGS__) \
                                        : fg_sqlite_store_##fn((s)->sql, __VA_ARGS__))

int fg_store_open(const struct fg_config *conf, struct fg_loop *loop, fg_store_events_fn *on_events,
                  fg_store_events_fn *on_fetched, void *arg, struct fg_store **out, struct fg_err *err)
{
    struct fg_store *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    if (conf->state.backend == FG_STATE_REDIS)
        rc = fg_redis_store_open(conf, loop, on_events, on_fetched, arg, &s->rs, err);
    else
        rc = fg_sqlite_store_open(conf, loop, on_events, on_fetched, arg, &s->sql, err);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int fg_store_load(struct fg_store *s, size_t warm_bytes, struct fg_async_event **list, struct fg_err *err)
{
    return STORE_CALL(s, load, warm_bytes, list, err);
}

void fg_store_fetch(struct fg_store *s, struct fg_async_event *list)
{
    STORE_CALL(s, fetch, list);
}

int fg_store_load_marks(struct fg_store *s, fg_store_mark_fn *cb, void *arg, struct fg_err *err)
{
    return STORE_CALL(s, load_marks, cb, arg, err);
}

void fg_store_mark(struct fg_store *s, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    STORE_CALL(s, mark, kind, key, a, b);
}

int fg_store_start(struct fg_store *s, struct fg_err *err)
{
    return STORE_CALL(s, start, err);
}

int fg_store_accept(struct fg_store *s, struct fg_async_event *ev, fg_store_accept_fn *cb, void *arg)
{
    return STORE_CALL(s, accept, ev, cb, arg);
}

void fg_store_done(struct fg_store *s, struct fg_async_event *ev)
{
    STORE_CALL(s, done, ev);
}

void fg_store_retry(struct fg_store *s, const struct fg_async_event *ev)
{
    STORE_CALL(s, retry, ev);
}

void fg_store_bury(struct fg_store *s, struct fg_async_event *ev, const char *condition, const char *error_type,
                   const char *error_message)
{
    STORE_CALL(s, bury, ev, condition, error_type, error_message);
}

void fg_store_handoff(struct fg_store *s, struct fg_async_event *done, struct fg_async_event *next)
{
    STORE_CALL(s, handoff, done, next);
}

int fg_store_query(struct fg_store *s, struct fg_store_query *q)
{
    fg_buf_init(&q->json, 64u << 20);
    q->status = 500;
    return STORE_CALL(s, query, q);
}

long long fg_store_dlq_count(struct fg_store *s, const char *function)
{
    return STORE_CALL(s, dlq_count, function);
}

void fg_store_stop(struct fg_store *s)
{
    if (s)
        s->rs ? fg_redis_store_stop(s->rs) : fg_sqlite_store_stop(s->sql);
}

void fg_store_free(struct fg_store *s)
{
    if (!s)
        return;
    s->rs ? fg_redis_store_free(s->rs) : fg_sqlite_store_free(s->sql);
    free(s);
}

bool fg_store_shared(const struct fg_store *s)
{
    return s->rs != NULL;
}

bool fg_store_up(const struct fg_store *s)
{
    return !s->rs || fg_redis_store_up(s->rs);
}

const char *fg_store_backend(const struct fg_store *s)
{
    return s->rs ? "redis" : "sqlite";
}

void fg_store_requeue(struct fg_store *s, struct fg_async_event *ev)
{
    FG_ASSERT(s->rs);
    fg_redis_store_requeue(s->rs, ev);
}

enum fg_store_claim fg_store_claimed(struct fg_store *s, struct fg_async_event *ev)
{
    return s->rs ? fg_redis_store_claimed(s->rs, ev) : FG_STORE_CLAIM_RUN;
}

bool fg_store_fleet_stats(struct fg_store *s, const char *function, long long out[3])
{
    return s->rs && fg_redis_store_fleet_stats(s->rs, function, out);
}

int fg_store_lease(struct fg_store *s, const char *name, const char *prefix, fg_store_lease_fn *cb, void *arg)
{
    FG_ASSERT(s->rs);
    return fg_redis_store_lease(s->rs, name, prefix, cb, arg);
}

void fg_store_answer_json(struct fg_store_query *q, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    fg_buf_reset(&q->json);
    q->status = text && fg_buf_append(&q->json, text, strlen(text)) == 0 ? 200 : 500;
    free(text);
    json_decref(o);
}

void fg_store_refuse_test_events_full(struct fg_store_query *q)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s already has %d saved test events, the most a function keeps: "
                               "delete one, or save under one of their names to replace it",
             q->function, FG_STORE_TEST_EVENTS_MAX);
    fg_buf_reset(&q->json);
    q->status = fg_json_write_message(&q->json, msg) == 0 ? 400 : 500;
}
