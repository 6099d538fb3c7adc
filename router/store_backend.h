/* SPDX-License-Identifier: MIT */
/* store_backend.h - the two implementations behind store.h, as store_backend.c calls them.
 *
 * DESIGN: the store is chosen in one place: fg_store_open reads `state.backend` and every
 * other fg_store_* call forwards to the backend it opened, so nothing above store.h knows
 * which one runs. Each entry point means exactly what its fg_store_* twin in store.h says.
 * The SQLite backend (store.c, store_open.c, store_test_event.c) is one node's file; the
 * Redis backend (store_redis*.c) is a queue every node on the same Redis shares. Nothing
 * outside router/store*.c includes this header. */
#ifndef FG_STORE_BACKEND_H
#define FG_STORE_BACKEND_H

#include <jansson.h>

#include "store.h"

struct fg_sqlite_store;
struct fg_redis_store;

#define FG_STORE_BACKEND_DECLARE(T, pre)                                                                      \
    int pre##_open(const struct fg_config *conf, struct fg_loop *loop, fg_store_events_fn *on_events,         \
                   fg_store_events_fn *on_fetched, void *arg, struct T **out, struct fg_err *err) FG_MUST_CHECK; \
    int pre##_load(struct T *s, size_t warm_bytes, struct fg_async_event **list, struct fg_err *err) FG_MUST_CHECK; \
    void pre##_fetch(struct T *s, struct fg_async_event *list);                                                \
    int pre##_load_marks(struct T *s, fg_store_mark_fn *cb, void *arg, struct fg_err *err) FG_MUST_CHECK;     \
    void pre##_mark(struct T *s, enum fg_mark_kind kind, const char *key, long long a, long long b);          \
    int pre##_start(struct T *s, struct fg_err *err) FG_MUST_CHECK;                                            \
    int pre##_accept(struct T *s, struct fg_async_event *ev, fg_store_accept_fn *cb, void *arg) FG_MUST_CHECK; \
    void pre##_done(struct T *s, struct fg_async_event *ev);                                                   \
    void pre##_retry(struct T *s, const struct fg_async_event *ev);                                            \
    void pre##_bury(struct T *s, struct fg_async_event *ev, const char *condition, const char *error_type,     \
                    const char *error_message);                                                                \
    void pre##_handoff(struct T *s, struct fg_async_event *done, struct fg_async_event *next);                 \
    int pre##_query(struct T *s, struct fg_store_query *q) FG_MUST_CHECK;                                      \
    long long pre##_dlq_count(struct T *s, const char *function);                                              \
    void pre##_stop(struct T *s);                                                                              \
    void pre##_free(struct T *s);

FG_STORE_BACKEND_DECLARE(fg_sqlite_store, fg_sqlite_store)
FG_STORE_BACKEND_DECLARE(fg_redis_store, fg_redis_store)

/* The Redis backend's own (store.h: fg_store_up, fg_store_requeue, fg_store_claimed). */
bool fg_redis_store_up(const struct fg_redis_store *s);
void fg_redis_store_requeue(struct fg_redis_store *s, struct fg_async_event *ev);
enum fg_store_claim fg_redis_store_claimed(struct fg_redis_store *s, struct fg_async_event *ev);
int fg_redis_store_lease(struct fg_redis_store *s, const char *name, const char *prefix, fg_store_lease_fn *cb,
                         void *arg) FG_MUST_CHECK;
bool fg_redis_store_fleet_stats(struct fg_redis_store *s, const char *function, long long out[3]);

/* Answers shared by both backends' queries (the same body from either store). */
/* q->json := the compact dump of o (taken); status 200, or 500 out of memory. */
void fg_store_answer_json(struct fg_store_query *q, json_t *o);
/* A TEST_SAVE of a new name past FG_STORE_TEST_EVENTS_MAX: status 400 and why. */
void fg_store_refuse_test_events_full(struct fg_store_query *q);

#endif
