/* SPDX-License-Identifier: MIT */
/* store_redis_int.h - the Redis store's state, shared by its files only.
 *
 * store_redis.c opens the store and runs the writer (accepts, acknowledgements, retries,
 * dead letters, marks, queries: pipelined, one connection); store_redis_pull.c runs the
 * reader (the node's lease, reading each function's stream, taking over the events of
 * nodes that are gone, moving due retries back); store_redis_dlq.c answers the
 * dead-letter and test-event queries on the writer's connection; store_redis_lua.c holds
 * the scripts that must be atomic in Redis.
 *
 * Data model, every key under "{PREFIX}" (one hash slot, so the scripts may touch them
 * together on a Redis Cluster too):
 *   {P}:q:FN        stream: FN's queued events (and its destinations' records); group
 *                   "fngate", one consumer per node lease ("host-pid-rand.GEN")
 *   {P}:node:C      string with PX visibility_timeout: consumer C's node is alive
 *   {P}:retry       sorted set: delayed retries by due time (ms), member K
 *   {P}:retryn      hash: delayed retries per function
 *   {P}:d:K         hash: a delayed retry's fields until it is due
 *   {P}:dlq         stream: dead letters, ids "N-1" with N from {P}:dlqseq
 *   {P}:dlqn        hash: dead letters per function
 *   {P}:marks       hash: "s:SCHEDULE" → last fire (epoch s); "f:TRIGGER/path" → "size mtime"
 *   {P}:tests:FN    hash: the console's saved test events, name → "UPDATED JSON"
 *   {P}:lease:NAME  string with PX visibility_timeout: the consumer holding lease NAME
 *   {P}:run:FN      hash: consumer → FN's events it holds (reserved concurrency, fleet-wide)
 *   {P}:rate:FN     hash: FN's token bucket (its `rate:`, fleet-wide, on Redis's clock)
 * An event's fields: r request id, f function, a accepted (ms), n failures, d deferrals,
 * u HTTP destination (only then), p payload. */
#ifndef FG_STORE_REDIS_INT_H
#define FG_STORE_REDIS_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../core/id.h"
#include "../core/log.h"
#include "../core/redis_url.h"
#include "../core/strmap.h"
#include "../core/workq.h"
#include "store_backend.h"

#define RS_GROUP "fngate"
/* Events a node reads ahead per function at most (what it holds: ready, running, waiting). */
#define RS_HOLD_MAX 256

/* One function's stream as this node reads it. */
struct rs_fn {
    char name[72];
    char key[176];                   /* "{P}:q:NAME" */
    char run_key[192];               /* "{P}:run:NAME": events held per consumer (fleet_limit) */
    char rate_key[192];              /* "{P}:rate:NAME": the fleet's token bucket (rate) */
    int budget;                      /* events held at most */
    int fleet_limit;                 /* reserved concurrency: events held in the whole fleet, 0: none */
    double rate;                     /* `rate:` per second for the whole fleet, 0: none */
    int burst;
    atomic_int held;                 /* read and not yet finished here */
    bool group_ok;                   /* reader: XGROUP CREATE done on this connection's server */
    /* The fleet's figures, refreshed every second by the reader (fg_store_fleet_stats). */
    atomic_llong fleet_queued, fleet_held, fleet_retrying;
};

/* A fleet-wide lease this node asked for (fg_store_lease): {P}:lease:NAME = consumer. */
struct rs_lease {
    char name[64];
    char key[192];
    char prefix[256];                /* the file marks that come with it */
    fg_store_lease_fn *cb;
    void *arg;
    bool held;                       /* reader's view */
};
#define RS_LEASES_MAX 8

struct rs_count {
    char function[72];
    long long n;
};

struct fg_redis_store {
    const struct fg_config *conf;
    struct fg_loop *loop;
    fg_store_events_fn *on_events, *on_fetched;
    void *arg;
    struct fg_redis_addr addr;
    char url[512];                   /* masked, for messages */
    char pfx[80];                    /* "{PREFIX}" */
    char node[96];                   /* this process: host-pid-random */
    int vis_ms, cmd_ms;
    struct fg_idgen ids;             /* request ids of redriven events (writer) */

    pthread_mutex_t lock;            /* guards fns, consumer, counts, n_leases */
    struct rs_fn **fns;
    size_t n_fns, cap_fns;
    char consumer[128];              /* node.GEN: the current lease */
    struct rs_lease leases[RS_LEASES_MAX];   /* set before start; held: the reader's */
    size_t n_leases;
    struct rs_count *counts;         /* dead letters per function, refreshed by the reader */
    struct fg_strmap held_ids;       /* "FN/ID" of every entry read here and not yet settled
                                      * in Redis (its XACK answered): what the reader must not
                                      * take again when it looks for its own lost reads */
    size_t n_counts;

    atomic_uint claim;               /* lease generation: events read under another are lost */
    atomic_llong lease_until;        /* epoch ms: the lease holds until then (0: not yet) */
    atomic_bool up;                  /* the writer's connection works */
    atomic_bool state_known;         /* up was logged once */
    atomic_bool stopping;

    /* writer */
    pthread_t writer;
    bool writer_started;
    struct fg_workq ops;
    redisContext *wc;
    struct rs_op *replay;            /* ops a lost connection interrupted, run again first */
    long long wc_retry_at;           /* ms: next connect attempt */
    int wc_backoff;

    /* reader */
    pthread_t reader;
    bool reader_started;
    redisContext *rc;
    pthread_mutex_t wake_lock;       /* with wake: room freed up */
    pthread_cond_t wake;
    long long rc_retry_at;
    int rc_backoff;
    size_t rr;                       /* the function a read starts with (round robin) */
};

/* ---- store_redis.c */
/* Connects, AUTHs and SELECTs with s->cmd_ms as the connect and command timeout. The
 * context (redisFree) or NULL with err filled. */
redisContext *fg_rs_connect(struct fg_redis_store *s, struct fg_err *err);
/* Writer: its connection's state; logged once per change ("up", or why it went down). */
void fg_rs_state(struct fg_redis_store *s, bool up, const char *why);
/* The function's stream (created on first use), or NULL when out of memory. Any thread;
 * the pointer lives as long as the store. */
struct rs_fn *fg_rs_fn(struct fg_redis_store *s, const char *function);
/* An event from a stream entry's field/value array (NULL: malformed or no memory; owned by
 * the caller). */
struct fg_async_event *fg_rs_event(const redisReply *fields);
/* Hands a list to the loop's on_events (or on_fetched); a NULL list only wakes the queue. */
void fg_rs_post(struct fg_redis_store *s, struct fg_async_event *list, bool fetched);
/* A reply that is an error: its text (borrowed), else NULL. */
const char *fg_rs_reply_error(const redisReply *r);

/* The set of entries this node holds (held_ids): add when read, drop once settled. Any
 * thread. */
void fg_rs_held_add(struct fg_redis_store *s, const char *function, const char *sid);
void fg_rs_held_drop(struct fg_redis_store *s, const char *function, const char *sid);
bool fg_rs_held_has(struct fg_redis_store *s, const char *function, const char *sid);

/* ---- store_redis_pull.c */
void *fg_rs_reader_main(void *arg);
/* Writer, on a clean stop: this node's unfinished events go back to the streams for other
 * nodes, its consumers leave the groups and its lease key goes. */
void fg_rs_leave(struct fg_redis_store *s, redisContext *c);

/* ---- store_redis_dlq.c: a query on the writer's connection; false when the connection
 * failed (the query is answered 503). */
bool fg_rs_query_run(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q);

/* ---- store_redis_lua.c */
extern const char fg_rs_lua_accept_mark[];
extern const char fg_rs_lua_mark[];
extern const char fg_rs_lua_requeue[];
extern const char fg_rs_lua_bury[];
extern const char fg_rs_lua_handoff[];
extern const char fg_rs_lua_reclaim[];
extern const char fg_rs_lua_move_due[];
extern const char fg_rs_lua_release[];
extern const char fg_rs_lua_redrive[];
extern const char fg_rs_lua_test_save[];
extern const char fg_rs_lua_slots[];
extern const char fg_rs_lua_slots_release[];
extern const char fg_rs_lua_tokens[];
extern const char fg_rs_lua_tokens_back[];
extern const char fg_rs_lua_lease[];
extern const char fg_rs_lua_lease_drop[];

#endif
