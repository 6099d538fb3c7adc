/* SPDX-License-Identifier: MIT */
/* store.h - the state store: queued async events and dead letters in one SQLite file (and
 * the console's saved test events, store_test_event.c).
 *
 * DESIGN: an async event is accepted (202) only after the transaction that inserted it
 * committed, and it leaves the store only when it succeeded or became a dead letter, so a
 * kill -9 at any moment loses nothing that was accepted. One writer thread owns the SQLite
 * connection (WAL, synchronous=FULL). Callers queue operations; the thread runs everything
 * queued since its last commit as one transaction, so one fsync covers every event that
 * arrived meanwhile (group commit): throughput grows with load instead of collapsing.
 *
 * Threads: fg_store_accept() and fg_store_query() from any thread; the other operations
 * from the loop thread. Accept callbacks run on the store thread (they only wake an HTTP
 * connection); committed events and query results are posted to the loop.
 * Lifecycle: open → load → start → ... → stop (drains, joins) → free.
 * `durability: memory` runs the same code against an in-memory database.
 * Tests: tests/integration/test_async.py (crash test), tests/unit/test_async.c. */
#ifndef FG_STORE_H
#define FG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/buf.h"
#include "../core/heap.h"
#include "../core/id.h"
#include "../core/loop.h"

/* State a trigger writes together with an event, so the event and the reason it will not
 * fire again are committed as one: a schedule's last fire, a folder file's index entry. */
enum fg_mark_kind {
    FG_MARK_NONE = 0,
    FG_MARK_SCHEDULE,        /* key: schedule name; a: last fire (epoch s), kept at the max */
    FG_MARK_FILE,            /* key: "TRIGGER/relative/path"; a: size, b: mtime (ns) */
    FG_MARK_FILE_GONE,       /* key: as FILE; the entry is deleted */
};

struct fg_mark {
    enum fg_mark_kind kind;
    char *key;               /* owned */
    long long a, b;
};

/* One queued async event. Owned by whoever holds it: the caller until fg_store_accept(),
 * the store until the commit, then the loop (router/async.c) until it hands it back with
 * fg_store_done/bury/handoff. */
struct fg_async_event {
    struct fg_async_event *next;      /* owner's list link */
    long long id;                     /* row id, set by the commit */
    char request_id[FG_ID_LEN + 1];   /* Lambda's request id, the same on every retry */
    char function[72];                /* the function it runs, or whose destination it is */
    char *url;                        /* NULL, or the HTTP destination it is POSTed to (owned) */
    char *payload;                    /* owned, NUL-terminated JSON; NULL while "cold": only in
                                       * the state file (fg_store_fetch brings it back) */
    size_t payload_len;               /* known even when cold */
    long long accepted_ms;            /* epoch ms: the event's age counts from here */
    long long due_ms;                 /* epoch ms: not started before */
    struct fg_mark mark;              /* written in the event's commit (kind NONE: nothing) */
    int failures;                     /* attempts the function failed (they burn retries) */
    int deferrals;                    /* throttles and system errors (they do not) */
    const char *bury_condition;       /* accept it straight into the dead letters with this
                                       * condition (static string): a poll source's failure
                                       * record whose destination is the dead-letter store */
    /* ---- the Redis store's (store_redis.c): where the event is in the fleet's queue */
    char sid[44];                     /* its stream entry id, "" when not from the stream */
    unsigned claim;                   /* the node's claim generation it was read under */
    /* ---- router/async.c private */
    struct fg_heap_node hnode;        /* in the retry heap while it waits */
};

/* Allocates an event with a copy of payload and url (may be NULL). Owned by the caller
 * (fg_async_event_free). NULL when out of memory. */
struct fg_async_event *fg_async_event_new(const char *function, const char *url, const char *payload,
                                          size_t len);
void fg_async_event_free(struct fg_async_event *ev);
/* Frees a list linked by next (NULL allowed). */
void fg_async_event_free_list(struct fg_async_event *ev);

struct fg_store;

/* Loop thread: committed events (accepted, handed off or redriven), a list linked by next,
 * in commit order. The callee owns them. */
typedef void fg_store_events_fn(void *arg, struct fg_async_event *list);

/* Opens (creating) state_dir/fngate.db, or an in-memory database with durability memory,
 * and takes state_dir/fngate.lock so two gateways never share a queue. Errors name the
 * file: not writable, locked by another process, not an SQLite file, damaged (PRAGMA
 * quick_check runs here and reads every page: seconds for a large file), or empty (0 bytes)
 * in a state_dir fngate ran in before. on_events receives committed
 * events, on_fetched the events of fg_store_fetch() with their payloads. 0 and an owned
 * store in *out (fg_store_free), or a negative code with err filled. */
int fg_store_open(const struct fg_config *conf, struct fg_loop *loop, fg_store_events_fn *on_events,
                  fg_store_events_fn *on_fetched, void *arg, struct fg_store **out,
                  struct fg_err *err) FG_MUST_CHECK;

/* Reads every queued event, oldest first, into *list (owned by the caller). Payloads are
 * kept until they total warm_bytes; later events come back cold (payload NULL), so a
 * backlog larger than memory can still be resumed. HTTP destinations are always warm.
 * Before start. */
int fg_store_load(struct fg_store *s, size_t warm_bytes, struct fg_async_event **list,
                  struct fg_err *err) FG_MUST_CHECK;

/* Loop thread. Takes list (cold events, linked by next) and hands it back through
 * on_fetched with the payloads read from the file; an event whose row is gone comes back
 * still cold. */
void fg_store_fetch(struct fg_store *s, struct fg_async_event *list);

/* Trigger state as stored: cb runs for every schedule mark and every file index entry
 * (kind, key, a, b as in struct fg_mark). Before start. */
typedef void fg_store_mark_fn(void *arg, enum fg_mark_kind kind, const char *key, long long a, long long b);
int fg_store_load_marks(struct fg_store *s, fg_store_mark_fn *cb, void *arg, struct fg_err *err) FG_MUST_CHECK;

/* Loop thread, fire and forget: writes a mark without an event (a schedule seen for the
 * first time, ticks skipped by the catch-up policy, a file whose removal fires nothing). */
void fg_store_mark(struct fg_store *s, enum fg_mark_kind kind, const char *key, long long a, long long b);

/* Starts the writer thread. */
int fg_store_start(struct fg_store *s, struct fg_err *err) FG_MUST_CHECK;

/* Store thread: rc 0 once the event is committed, else why it was not (the event is gone). */
typedef void fg_store_accept_fn(void *arg, int rc);

/* Any thread. Takes ev (request_id, function, payload, accepted_ms set). 0: cb(arg, rc) will
 * run after the commit; -FG_ESHUTDOWN: refused, ev freed, cb will not run. */
int fg_store_accept(struct fg_store *s, struct fg_async_event *ev, fg_store_accept_fn *cb,
                    void *arg) FG_MUST_CHECK;

/* Loop thread, fire and forget: a failure is logged and leaves the row as it was, so the
 * event runs again after a restart (at least once). */
/* The event succeeded: deletes it. Takes ev. */
void fg_store_done(struct fg_store *s, struct fg_async_event *ev);
/* Records ev's failures, deferrals and due time. ev stays the caller's. */
void fg_store_retry(struct fg_store *s, const struct fg_async_event *ev);
/* Moves ev to the dead letters (its payload is copied from the file: ev may be cold).
 * Takes ev. */
void fg_store_bury(struct fg_store *s, struct fg_async_event *ev, const char *condition,
                   const char *error_type, const char *error_message);
/* Deletes done and inserts next (a destination record) in one transaction; next comes back
 * through on_events. Takes both. */
void fg_store_handoff(struct fg_store *s, struct fg_async_event *done, struct fg_async_event *next);

/* Dead-letter and test-event queries, from any thread; done runs on the loop thread (on the
 * store thread once the loop has stopped). */
enum fg_store_query_kind {
    FG_STORE_DLQ_LIST = 0,   /* function may be NULL; up to limit items, newest first */
    FG_STORE_DLQ_SHOW,       /* ids[0] */
    FG_STORE_DLQ_REDRIVE,    /* function or ids: back to the queue with fresh attempts */
    FG_STORE_DLQ_PURGE,      /* function or ids, or all when both are empty */
    FG_STORE_TEST_LIST,      /* function's saved test events (store_test_event.c); the
                              * TEST_ kinds stay last (store.c tells them apart so) */
    FG_STORE_TEST_SAVE,      /* function's test event name := event (400 past the limit) */
    FG_STORE_TEST_DELETE,    /* function's test event name */
};
/* Saved test events a function keeps at most (the Lambda console's limit for private ones). */
#define FG_STORE_TEST_EVENTS_MAX 10
/* A redrive or purge by function (or of all) takes the dead letters there were when it
 * began, FG_STORE_DLQ_CHUNK per transaction, and goes to the back of the writer's queue
 * between chunks (a chunk also ends after 4 MB of payloads): 700,000 dead letters never hold
 * an accept for more than one chunk. A stopping store answers such a request 503 at the
 * chunk it reached. */
#define FG_STORE_DLQ_CHUNK 500
#define FG_STORE_DLQ_CHUNK_BYTES (4u << 20)

struct fg_store_query;
typedef void fg_store_query_fn(struct fg_store_query *q, void *arg);

struct fg_store_query {
    enum fg_store_query_kind kind;
    const char *function;             /* borrowed until done */
    const long long *ids;             /* borrowed until done */
    size_t n_ids;
    int limit;
    const char *name;                 /* TEST_*: the test event's name, borrowed until done */
    const char *event;                /* TEST_SAVE: its JSON text, borrowed until done */
    size_t event_len;
    fg_store_query_fn *done;
    void *done_arg;
    /* ---- result, valid in done */
    int status;                       /* 200, 404 (no such dead letter), 400 (json says why), 500 */
    struct fg_buf json;               /* the answer body (owned by the caller: fg_buf_free) */
    /* ---- store private */
    struct fg_loop_msg msg;
    struct fg_store_query *next;
    long long after_id, until_id;     /* REDRIVE/PURGE by function or all: done up to after_id */
    long long total;                  /* rows redriven or purged so far */
    bool more;                        /* a chunk was full: the op goes round again */
};

/* Any thread. Borrows q until done. 0, or -FG_ESHUTDOWN (done will not run). */
int fg_store_query(struct fg_store *s, struct fg_store_query *q) FG_MUST_CHECK;

/* Dead letters per function, as of the last commit. Any thread. */
long long fg_store_dlq_count(struct fg_store *s, const char *function);

/* Whether the state store is shared by a fleet (`state.backend: redis`): retries go back
 * to it (fg_store_requeue) instead of waiting on this node, and every event is checked
 * with fg_store_claimed before it starts. Any thread. */
bool fg_store_shared(const struct fg_store *s);

/* Whether the store can take events now (the Redis backend: its connection is up; the
 * SQLite one: always). Any thread. */
bool fg_store_up(const struct fg_store *s);

/* Shared store, any thread: the whole fleet's figures for function as of the last second:
 * out[0] events in the store no node has read yet, out[1] read by some node and not yet
 * finished, out[2] waiting to retry. false (out untouched) for the SQLite store. */
bool fg_store_fleet_stats(struct fg_store *s, const char *function, long long out[3]);

/* The backend's name for metrics and logs: "sqlite" or "redis". Static. */
const char *fg_store_backend(const struct fg_store *s);

/* Shared store, loop thread: ev failed and waits until ev->due_ms with its failures and
 * deferrals recorded; the store keeps it meanwhile, and it comes back through on_events
 * of whichever node reads it then. Takes ev. */
void fg_store_requeue(struct fg_store *s, struct fg_async_event *ev);

enum fg_store_claim {
    FG_STORE_CLAIM_RUN = 0,   /* this node holds it: start it */
    FG_STORE_CLAIM_WAIT,      /* unknown until the store is reachable again: keep it queued */
    FG_STORE_CLAIM_LOST,      /* another node may run it now: drop it (fg_async_event_free) */
};
/* Loop thread, before an event starts: whether this node still holds it. */
enum fg_store_claim fg_store_claimed(struct fg_store *s, struct fg_async_event *ev);

/* Loop thread: this node got lease `name` (held, with the file index entries under the
 * lease's prefix as the store holds them now, borrowed for the call) or lost it (!held). */
typedef void fg_store_lease_fn(void *arg, bool held, const struct fg_mark *marks, size_t n);

/* Shared store, loop thread: asks for the fleet-wide lease `name`: one node
 * holds it at a time, renews it with its own liveness, and others take it over when the
 * holder is gone for visibility_timeout (or left). prefix: which file index entries cb
 * gets with the lease ("TRIGGER/"). Borrows cb's arg until the store stops. 0 or -ENOMEM. */
int fg_store_lease(struct fg_store *s, const char *name, const char *prefix, fg_store_lease_fn *cb, void *arg)
    FG_MUST_CHECK;

/* Refuses new work, commits what is queued, joins the thread. Idempotent. */
void fg_store_stop(struct fg_store *s);

/* After stop (or if never started). NULL allowed. */
void fg_store_free(struct fg_store *s);

#endif
