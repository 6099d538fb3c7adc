/* SPDX-License-Identifier: MIT */
/* store_int.h - the state store's state, shared by its files only.
 *
 * store_open.c makes a store usable (locks the state directory, checks the file, creates
 * or migrates the schema, prepares statements, reads back the queue); store.c runs it (the
 * ops any thread queues and the writer thread that commits them in groups);
 * store_test_event.c answers the test-event queries inside the writer's transaction.
 * Nothing outside these files includes this header. */
#ifndef FG_STORE_INT_H
#define FG_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../core/id.h"
#include "../core/log.h"
#include "../core/workq.h"
#include "store_backend.h"

/* PRAGMA user_version: 1 the queue, dead letters and trigger marks; 2 adds test_events.
 * store_open.c migrates an older file forward and refuses a newer one. */
#define STORE_SCHEMA_VERSION 2

struct store_count {
    char function[72];
    long long n;
};

struct fg_sqlite_store {
    const struct fg_config *conf;
    struct fg_loop *loop;
    fg_store_events_fn *on_events, *on_fetched;
    void *arg;
    sqlite3 *db;
    char path[4096];
    int lock_fd;
    struct fg_idgen ids;                /* request ids of redriven events */
    sqlite3_stmt *st_insert, *st_delete, *st_retry, *st_bury, *st_payload, *st_mark, *st_file, *st_file_gone;

    pthread_t thread;                   /* the writer */
    atomic_bool started;
    bool stopping;                      /* loop thread */
    struct fg_workq ops;                /* to the writer, from any thread */
    struct fg_log_limit fail_log;       /* the writer's failed commits: one line a second */
    pthread_mutex_t lock;               /* guards counts */
    struct store_count *counts;         /* dead letters per function */
    size_t n_counts;
};

/* A SQLite failure as err: "state file PATH: what: sqlite's message". Returns the code. */
int fg_store_sql_err(struct fg_sqlite_store *s, struct fg_err *err, int rc, const char *what);
/* Runs sql (no rows). 0 or a negative code with err filled. */
int fg_store_exec(struct fg_sqlite_store *s, const char *sql, struct fg_err *err);
/* Recounts the dead letters per function (open, and after purges). */
void fg_store_recount(struct fg_sqlite_store *s);

/* Writer thread, inside the batch's transaction: a FG_STORE_TEST_* query (store.h), its
 * answer in q->status and q->json (a refusal is status 400 with {"message"}, not an SQLite
 * error: the batch goes on). SQLITE_OK, or the failing SQLite code (the batch rolls back). */
int fg_store_test_event_run(struct fg_sqlite_store *s, struct fg_store_query *q);

#endif
