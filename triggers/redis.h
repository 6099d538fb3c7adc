/* SPDX-License-Identifier: MIT */
/* redis.h - one hiredis connection on the loop that stays up: connect, AUTH, SELECT, and
 * reconnect with backoff when the server goes away.
 *
 * Queue and topic sources need the same care around a connection: a redis-server that is
 * restarted, not started yet, or refuses the password must cost a retry with backoff and
 * one log line per state change, not a crash and not a line per retry. They hold their
 * connections through this handle and learn of every up/down change through on_state.
 * Loop thread only. Lifecycle: init → start → ... → close (pending commands get their
 * callback with a NULL reply). Tests: tests/integration/test_queue.py. */
#ifndef FG_TRIGGERS_REDIS_H
#define FG_TRIGGERS_REDIS_H

#include "../config/conf_key.h"

#include <hiredis/async.h>
#include <stdbool.h>

#include "../core/err.h"
#include "../core/redis_url.h"

struct event_base;
struct event;

struct fg_redis;
/* up: the connection is ready (AUTH and SELECT done); !up: it was lost (a reconnect is
 * scheduled). */
typedef void fg_redis_state_fn(struct fg_redis *rd, bool up, void *arg);

struct fg_redis {
    struct event_base *base;
    struct fg_redis_addr addr;
    char label[160];             /* log component text: "queue orders" */
    redisAsyncContext *ac;       /* owned by hiredis while connected; NULL when down */
    bool up;                     /* handshake done */
    bool closing;
    bool ever_up;
    int backoff_ms;
    struct event *retry_ev;
    char state[256];             /* what was logged last: a change logs one line */
    fg_redis_state_fn *on_state;
    void *arg;
};

/* Caller-embedded. 0 or a negative code (bad URL, no memory) with err filled. */
int fg_redis_init(struct fg_redis *rd, struct event_base *base, const char *url, const char *label,
                  fg_redis_state_fn *on_state, void *arg, struct fg_err *err) FG_MUST_CHECK;

/* Connects in the background; keeps reconnecting until close. */
void fg_redis_start(struct fg_redis *rd);

/* Sends a command (binary-safe argv). 0, or -ENOTCONN while down (cb will not run). cb
 * gets a NULL reply when the connection is lost before the answer. */
int fg_redis_command(struct fg_redis *rd, redisCallbackFn *cb, void *priv, int argc, const char **argv,
                     const size_t *argvlen) FG_MUST_CHECK;

/* Drops the connection for good (pending callbacks run with NULL). Idempotent. */
void fg_redis_close(struct fg_redis *rd);

/* The reply's error text when it is an error reply (borrowed: lives as long as reply), else NULL. */
const char *fg_redis_error(const redisReply *reply);

#endif
