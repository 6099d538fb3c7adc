/* SPDX-License-Identifier: MIT */
/* store.c - the SQLite state store and its group-commit writer thread (see store.h; the
 * file is opened and checked by store_open.c).
 *
 * Every write is an op on one FIFO (a struct fg_workq any thread offers to). The writer takes the whole FIFO, runs it inside one
 * BEGIN IMMEDIATE ... COMMIT, and only then completes the ops: accept callbacks, events
 * to the loop, query answers. If anything in a batch fails the batch is rolled back and
 * every op in it fails alike: an accept is then refused (503), never acknowledged, and a
 * done/retry/bury leaves its row as it was, which at worst runs an event once more after
 * a restart. Reads (list, show) run after the commit, outside the write transaction. */
#include "store_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/assert.h"
#include "../core/log.h"

#define STORE_BATCH_MAX 8192            /* ops per transaction: bounds one commit's latency */

enum store_op_kind {
    OP_ACCEPT = 0,
    OP_DONE,
    OP_RETRY,
    OP_BURY,
    OP_HANDOFF,
    OP_QUERY,
    OP_FETCH,
    OP_MARK,
};

struct store_op {
    struct fg_workq_item item;          /* in s->ops */
    struct store_op *next;              /* in the batch being written */
    enum store_op_kind kind;
    struct fg_async_event *ev;          /* ACCEPT, DONE, BURY, HANDOFF (the finished one), FETCH (a list) */
    struct fg_async_event *next_ev;     /* HANDOFF: the destination record */
    long long id, due_ms;               /* RETRY */
    int failures, deferrals;            /* RETRY */
    char *condition, *error_type, *error_message;   /* BURY, owned */
    struct fg_mark mark;                /* MARK */
    fg_store_accept_fn *cb;             /* ACCEPT */
    void *arg;
    struct fg_store_query *q;           /* QUERY */
};

/* Committed events on their way to the loop. */
struct store_batch {
    struct fg_loop_msg msg;
    struct fg_sqlite_store *s;
    fg_store_events_fn *fn;             /* on_events or on_fetched */
    struct fg_async_event *head, *tail;
};

/* ------------------------------------------------------------------ events */

struct fg_async_event *fg_async_event_new(const char *function, const char *url, const char *payload,
                                          size_t len)
{
    struct fg_async_event *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    snprintf(ev->function, sizeof(ev->function), "%s", function);
    ev->payload = malloc(len + 1);
    if (url && !(ev->url = strdup(url))) {
        fg_async_event_free(ev);
        return NULL;
    }
    if (!ev->payload) {
        fg_async_event_free(ev);
        return NULL;
    }
    memcpy(ev->payload, payload, len);
    ev->payload[len] = '\0';
    ev->payload_len = len;
    return ev;
}

void fg_async_event_free(struct fg_async_event *ev)
{
    if (!ev)
        return;
    free(ev->mark.key);
    free(ev->url);
    free(ev->payload);
    free(ev);
}

void fg_async_event_free_list(struct fg_async_event *ev)
{
    while (ev) {
        struct fg_async_event *next = ev->next;
        fg_async_event_free(ev);
        ev = next;
    }
}

/* ------------------------------------------------------------------ SQL helpers */

int fg_store_sql_err(struct fg_sqlite_store *s, struct fg_err *err, int rc, const char *what)
{
    int code = rc == SQLITE_FULL ? -ENOSPC : rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN ? -EACCES
             : rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? -EILSEQ : -EIO;
    return fg_err_set(err, code, "state file %s: %s: %s", s->path, what,
                      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int fg_store_exec(struct fg_sqlite_store *s, const char *sql, struct fg_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = fg_store_sql_err(s, err, rc, msg ? msg : sql);
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

static int store_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : rc;
}

static void store_count_add(struct fg_sqlite_store *s, const char *function, long long delta)
{
    /* Caller holds s->lock. */
    for (size_t i = 0; i < s->n_counts; i++) {
        if (!strcmp(s->counts[i].function, function)) {
            s->counts[i].n += delta;
            return;
        }
    }
    struct store_count *c = realloc(s->counts, (s->n_counts + 1) * sizeof(*c));
    if (!c)
        return;     /* only a statistic */
    s->counts = c;
    snprintf(c[s->n_counts].function, sizeof(c->function), "%s", function);
    c[s->n_counts++].n = delta;
}

/* Recounts the dead letters per function (after bulk changes). */
void fg_store_recount(struct fg_sqlite_store *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT function, count(*) FROM dlq GROUP BY function", -1, &st, NULL) != SQLITE_OK)
        return;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_counts; i++)
        s->counts[i].n = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        store_count_add(s, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    pthread_mutex_unlock(&s->lock);
    sqlite3_finalize(st);
}

long long fg_sqlite_store_dlq_count(struct fg_sqlite_store *s, const char *function)
{
    long long n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_counts; i++)
        if (!strcmp(s->counts[i].function, function))
            n = s->counts[i].n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ------------------------------------------------------------------ queueing ops */

/* Any thread. Takes op. false when stopping (op not queued). */
static bool store_push(struct fg_sqlite_store *s, struct store_op *op)
{
    return atomic_load(&s->started) && fg_workq_offer(&s->ops, &op->item);
}

static void store_op_free(struct store_op *op)
{
    free(op->mark.key);
    if (op->kind == OP_FETCH)
        fg_async_event_free_list(op->ev);
    else
        fg_async_event_free(op->ev);
    fg_async_event_free(op->next_ev);
    free(op->condition);
    free(op->error_type);
    free(op->error_message);
    free(op);
}

static struct store_op *store_op_new(enum store_op_kind kind, struct fg_async_event *ev)
{
    struct store_op *op = calloc(1, sizeof(*op));
    if (op) {
        op->kind = kind;
        op->ev = ev;
    }
    return op;
}

/* Queues a loop-side op; when it cannot be queued, drops it: the row stays as it is. */
static void store_push_or_drop(struct fg_sqlite_store *s, struct store_op *op, struct fg_async_event *ev)
{
    if (!op) {
        fg_log(FG_LOG_ERROR, "store", "out of memory: event %s stays queued as it was", ev ? ev->request_id : "?");
        fg_async_event_free(ev);
        return;
    }
    if (!store_push(s, op))
        store_op_free(op);
}

int fg_sqlite_store_accept(struct fg_sqlite_store *s, struct fg_async_event *ev, fg_store_accept_fn *cb, void *arg)
{
    struct store_op *op = store_op_new(OP_ACCEPT, ev);
    if (!op) {
        fg_async_event_free(ev);
        return -ENOMEM;
    }
    op->cb = cb;
    op->arg = arg;
    if (!store_push(s, op)) {
        store_op_free(op);
        return -FG_ESHUTDOWN;
    }
    return 0;
}

void fg_sqlite_store_done(struct fg_sqlite_store *s, struct fg_async_event *ev)
{
    store_push_or_drop(s, store_op_new(OP_DONE, ev), ev);
}

void fg_sqlite_store_retry(struct fg_sqlite_store *s, const struct fg_async_event *ev)
{
    struct store_op *op = store_op_new(OP_RETRY, NULL);
    if (op) {
        op->id = ev->id;
        op->failures = ev->failures;
        op->deferrals = ev->deferrals;
        op->due_ms = ev->due_ms;
    }
    store_push_or_drop(s, op, NULL);
}

void fg_sqlite_store_bury(struct fg_sqlite_store *s, struct fg_async_event *ev, const char *condition,
                   const char *error_type, const char *error_message)
{
    struct store_op *op = store_op_new(OP_BURY, ev);
    if (op) {
        op->condition = strdup(condition);
        op->error_type = error_type ? strdup(error_type) : NULL;
        op->error_message = error_message ? strdup(error_message) : NULL;
        if (!op->condition) {
            op->ev = NULL;
            store_op_free(op);
            op = NULL;
        }
    }
    store_push_or_drop(s, op, ev);
}

void fg_sqlite_store_handoff(struct fg_sqlite_store *s, struct fg_async_event *done, struct fg_async_event *next)
{
    struct store_op *op = store_op_new(OP_HANDOFF, done);
    if (op)
        op->next_ev = next;
    else
        fg_async_event_free(next);
    store_push_or_drop(s, op, done);
}

void fg_sqlite_store_mark(struct fg_sqlite_store *s, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    struct store_op *op = store_op_new(OP_MARK, NULL);
    if (op && !(op->mark.key = strdup(key))) {
        free(op);
        op = NULL;
    }
    if (op) {
        op->mark.kind = kind;
        op->mark.a = a;
        op->mark.b = b;
    }
    store_push_or_drop(s, op, NULL);
}

int fg_sqlite_store_load_marks(struct fg_sqlite_store *s, fg_store_mark_fn *cb, void *arg, struct fg_err *err)
{
    static const struct { enum fg_mark_kind kind; const char *sql; } q[] = {
        { FG_MARK_SCHEDULE, "SELECT name, last_fire, 0 FROM schedules" },
        { FG_MARK_FILE, "SELECT key, size, mtime_ns FROM files" },
    };
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        sqlite3_stmt *st;
        int rc;
        if ((rc = sqlite3_prepare_v2(s->db, q[i].sql, -1, &st, NULL)) != SQLITE_OK)
            return fg_store_sql_err(s, err, rc, "cannot read the trigger state");
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            cb(arg, q[i].kind, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
               sqlite3_column_int64(st, 2));
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return fg_store_sql_err(s, err, rc, "cannot read the trigger state (corrupt?)");
    }
    return 0;
}

void fg_sqlite_store_fetch(struct fg_sqlite_store *s, struct fg_async_event *list)
{
    struct store_op *op = store_op_new(OP_FETCH, list);
    if (!op) {
        fg_log(FG_LOG_ERROR, "store", "out of memory: cold events stay queued in the state file until a restart");
        fg_async_event_free_list(list);
        return;
    }
    if (!store_push(s, op))
        store_op_free(op);
}

int fg_sqlite_store_query(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    struct store_op *op = store_op_new(OP_QUERY, NULL);
    if (!op)
        return -ENOMEM;
    op->q = q;
    q->after_id = 0;
    q->until_id = -1;
    q->total = 0;
    q->more = false;
    if (!store_push(s, op)) {
        free(op);
        return -FG_ESHUTDOWN;
    }
    return 0;
}

/* ------------------------------------------------------------------ the writer */

static int store_insert_event(struct fg_sqlite_store *s, struct fg_async_event *ev)
{
    sqlite3_stmt *st = s->st_insert;
    int rc;
    sqlite3_bind_text(st, 1, ev->request_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->function, -1, SQLITE_STATIC);
    if (ev->url)
        sqlite3_bind_text(st, 3, ev->url, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, ev->payload, (int)ev->payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ev->accepted_ms);
    sqlite3_bind_int64(st, 6, ev->due_ms);
    sqlite3_bind_int(st, 7, ev->failures);
    sqlite3_bind_int(st, 8, ev->deferrals);
    if ((rc = store_step_done(st)) == 0)
        ev->id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static int store_mark(struct fg_sqlite_store *s, const struct fg_mark *m)
{
    switch (m->kind) {
    case FG_MARK_SCHEDULE:
        sqlite3_bind_text(s->st_mark, 1, m->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->st_mark, 2, m->a);
        return store_step_done(s->st_mark);
    case FG_MARK_FILE:
        sqlite3_bind_text(s->st_file, 1, m->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->st_file, 2, m->a);
        sqlite3_bind_int64(s->st_file, 3, m->b);
        return store_step_done(s->st_file);
    case FG_MARK_FILE_GONE:
        sqlite3_bind_text(s->st_file_gone, 1, m->key, -1, SQLITE_STATIC);
        return store_step_done(s->st_file_gone);
    default:
        return SQLITE_OK;
    }
}

static int store_delete_event(struct fg_sqlite_store *s, long long id)
{
    sqlite3_bind_int64(s->st_delete, 1, id);
    return store_step_done(s->st_delete);
}

/* Moves row id to the dead letters. SQLITE_OK, or SQLITE_NOTFOUND when the row is gone. */
static int store_bury_row(struct fg_sqlite_store *s, long long id, int attempts, const char *condition,
                          const char *error_type, const char *error_message)
{
    sqlite3_stmt *st = s->st_bury;
    int rc;
    sqlite3_bind_int64(st, 1, fg_now_ms());
    sqlite3_bind_int(st, 2, attempts);
    sqlite3_bind_text(st, 3, condition, -1, SQLITE_STATIC);
    if (error_type)
        sqlite3_bind_text(st, 4, error_type, -1, SQLITE_STATIC);
    if (error_message)
        sqlite3_bind_text(st, 5, error_message, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, id);
    if ((rc = store_step_done(st)) != 0)
        return rc;
    if (sqlite3_changes(s->db) != 1)
        return SQLITE_NOTFOUND;     /* the row must exist: a bury never invents a payload */
    return store_delete_event(s, id);
}

static int store_bury(struct fg_sqlite_store *s, struct store_op *op)
{
    return store_bury_row(s, op->ev->id, op->ev->failures, op->condition, op->error_type, op->error_message);
}

/* Reads the payloads of a fetch list (outside the write transaction). */
static void store_fetch(struct fg_sqlite_store *s, struct fg_async_event *list)
{
    for (struct fg_async_event *ev = list; ev; ev = ev->next) {
        sqlite3_bind_int64(s->st_payload, 1, ev->id);
        if (sqlite3_step(s->st_payload) == SQLITE_ROW) {
            const void *p = sqlite3_column_blob(s->st_payload, 0);
            size_t n = (size_t)sqlite3_column_bytes(s->st_payload, 0);
            if ((ev->payload = malloc(n + 1))) {
                memcpy(ev->payload, p ? p : "", n);
                ev->payload[n] = '\0';
                ev->payload_len = n;
            }
        }
        sqlite3_reset(s->st_payload);
    }
}

/* The dead letters a query names: by ids, by function, or all. */
static int store_dlq_select(struct fg_sqlite_store *s, const struct fg_store_query *q, const char *columns,
                            const char *suffix, size_t i, sqlite3_stmt **out)
{
    char sql[512];
    int rc;
    snprintf(sql, sizeof(sql), "SELECT %s FROM dlq WHERE (?1 IS NULL OR function=?1) AND (?2 IS NULL OR id=?2)"
             " AND id>?3 AND (?4<0 OR id<=?4) %s", columns, suffix);
    if ((rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL)) != SQLITE_OK)
        return rc;
    if (q->function && *q->function)
        sqlite3_bind_text(*out, 1, q->function, -1, SQLITE_STATIC);
    if (q->n_ids)
        sqlite3_bind_int64(*out, 2, q->ids[i]);
    sqlite3_bind_int64(*out, 3, q->after_id);
    sqlite3_bind_int64(*out, 4, q->until_id);
    return SQLITE_OK;
}

static void store_append(struct store_batch *b, struct fg_async_event *ev)
{
    ev->next = NULL;
    if (b->tail)
        b->tail->next = ev;
    else
        b->head = ev;
    b->tail = ev;
}

/* The newest dead letter now: where a redrive or purge by function (or of all) stops, so
 * dead letters buried while it runs are left for the next one. */
static int store_dlq_last_id(struct fg_sqlite_store *s, long long *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM dlq", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Redrive or purge, inside the batch's transaction: the ids named, or the next chunk of a
 * function's (or all) dead letters (q->more then says the op must go round again). Redriven
 * events go on batch; the per-function counts are lowered as rows go (a rolled-back batch
 * recounts). */
static int store_dlq_write(struct fg_sqlite_store *s, struct fg_store_query *q, struct store_batch *batch)
{
    long long n = 0;
    size_t rounds = q->n_ids ? q->n_ids : 1, bytes = 0;
    int rc = SQLITE_OK, step = SQLITE_DONE;
    char limit[48];

    q->more = false;
    if (!q->n_ids && q->until_id < 0 && (rc = store_dlq_last_id(s, &q->until_id)) != SQLITE_OK)
        return rc;
    if (q->n_ids)
        snprintf(limit, sizeof(limit), "ORDER BY id");
    else
        snprintf(limit, sizeof(limit), "ORDER BY id LIMIT %d", FG_STORE_DLQ_CHUNK);
    for (size_t i = 0; i < rounds && rc == SQLITE_OK; i++) {
        sqlite3_stmt *st, *del;
        if ((rc = store_dlq_select(s, q, "id, function, url, payload", limit, i, &st)) != SQLITE_OK)
            break;
        if ((rc = sqlite3_prepare_v2(s->db, "DELETE FROM dlq WHERE id=?", -1, &del, NULL)) != SQLITE_OK) {
            sqlite3_finalize(st);
            break;
        }
        while (rc == SQLITE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
            /* A chunk also ends at FG_STORE_DLQ_CHUNK_BYTES of payloads: 500 redriven 1 MB
             * events would hold the writer (and every accept) for seconds. */
            if (!q->n_ids && bytes >= FG_STORE_DLQ_CHUNK_BYTES) {
                q->more = true;
                break;
            }
            bytes += (size_t)sqlite3_column_bytes(st, 3);
            if (q->kind == FG_STORE_DLQ_REDRIVE) {
                struct fg_async_event *ev = fg_async_event_new((const char *)sqlite3_column_text(st, 1),
                                                               (const char *)sqlite3_column_text(st, 2),
                                                               sqlite3_column_blob(st, 3) ? sqlite3_column_blob(st, 3) : "",
                                                               (size_t)sqlite3_column_bytes(st, 3));
                if (!ev) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                fg_idgen_uuid4(&s->ids, ev->request_id);
                ev->accepted_ms = ev->due_ms = fg_now_ms();
                if ((rc = store_insert_event(s, ev)) != SQLITE_OK) {
                    fg_async_event_free(ev);
                    break;
                }
                store_append(batch, ev);
            }
            sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 0));
            if ((rc = store_step_done(del)) != SQLITE_OK)
                break;
            pthread_mutex_lock(&s->lock);
            store_count_add(s, (const char *)sqlite3_column_text(st, 1), -1);
            pthread_mutex_unlock(&s->lock);
            if (!q->n_ids)
                q->after_id = sqlite3_column_int64(st, 0);
            n++;
        }
        if (rc == SQLITE_OK && step != SQLITE_ROW && step != SQLITE_DONE)
            rc = step;                  /* a read error is not the end of the rows */
        sqlite3_finalize(st);
        sqlite3_finalize(del);
    }
    if (rc != SQLITE_OK)
        return rc;
    q->total += n;
    if (!q->n_ids && (q->more || n == FG_STORE_DLQ_CHUNK)) {
        q->more = true;
        return SQLITE_OK;
    }
    if (q->n_ids == 1 && n == 0) {
        q->status = 404;
        return SQLITE_OK;
    }
    char body[96];
    snprintf(body, sizeof(body), "{\"%s\":%lld}", q->kind == FG_STORE_DLQ_REDRIVE ? "redriven" : "purged", q->total);
    q->status = fg_buf_append(&q->json, body, strlen(body)) == 0 ? 200 : 500;
    return SQLITE_OK;
}

static json_t *store_dlq_row(sqlite3_stmt *st, bool with_payload)
{
    char acc[32], fail[32];
    json_t *o;
    fg_log_iso_time(acc, sqlite3_column_int64(st, 4));
    fg_log_iso_time(fail, sqlite3_column_int64(st, 5));
    o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                  "requestId", (const char *)sqlite3_column_text(st, 1),
                  "function", (const char *)sqlite3_column_text(st, 2),
                  "condition", (const char *)sqlite3_column_text(st, 6),
                  "attempts", sqlite3_column_int(st, 7), "acceptedAt", acc, "failedAt", fail);
    if (!o)
        return NULL;
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
        json_object_set_new(o, "destination", json_string((const char *)sqlite3_column_text(st, 3)));
    json_object_set_new(o, "errorType", sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
                                       : json_string((const char *)sqlite3_column_text(st, 8)));
    json_object_set_new(o, "errorMessage", sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null()
                                          : json_string((const char *)sqlite3_column_text(st, 9)));
    if (with_payload) {
        const char *p = sqlite3_column_blob(st, 10);
        size_t n = (size_t)sqlite3_column_bytes(st, 10);
        json_t *j = p ? json_loadb(p, n, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(o, "payload", j ? j : json_stringn(p ? p : "", n));
    }
    return o;
}

#define STORE_DLQ_COLUMNS "id, request_id, function, url, accepted_ms, failed_ms, condition, attempts, error_type, error_message"

/* List or show, after the commit. */
static void store_dlq_read(struct fg_sqlite_store *s, struct fg_store_query *q)
{
    bool show = q->kind == FG_STORE_DLQ_SHOW;
    json_t *out = NULL, *items = json_array();
    sqlite3_stmt *st = NULL;
    char suffix[64];
    char *text;
    int rc;

    snprintf(suffix, sizeof(suffix), "ORDER BY id DESC LIMIT %d", q->limit > 0 ? q->limit : 100);
    rc = store_dlq_select(s, q, show ? STORE_DLQ_COLUMNS ", payload" : STORE_DLQ_COLUMNS, suffix, 0, &st);
    while (rc == SQLITE_OK && items && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = store_dlq_row(st, show);
        if (!row || json_array_append_new(items, row) < 0)
            break;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        fg_log(FG_LOG_ERROR, "store", "dead-letter query failed: %s", sqlite3_errmsg(s->db));
        json_decref(items);
        return;
    }
    if (show) {
        q->status = json_array_size(items) ? 200 : 404;
        out = json_incref(json_array_get(items, 0));
    } else {
        long long total = 0;
        if (store_dlq_select(s, q, "count(*)", "", 0, &st) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            total = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        q->status = 200;
        out = json_pack("{s:O,s:I}", "items", items, "total", (json_int_t)total);
    }
    json_decref(items);
    if (out && (text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        if (fg_buf_append(&q->json, text, strlen(text)) < 0)
            q->status = 500;
        free(text);
    } else if (q->status == 200) {
        q->status = 500;
    }
    json_decref(out);
}

static void store_on_batch(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct store_batch *b = (struct store_batch *)(void *)msg;
    (void)loop;
    b->fn(b->s->arg, b->head);
    free(b);
}

/* Hands a list to the loop; when the loop no longer takes posts, frees it (the rows stay). */
static void store_post(struct fg_sqlite_store *s, struct store_batch *b, fg_store_events_fn *fn)
{
    b->s = s;
    b->fn = fn;
    if (b->head && fg_loop_post(s->loop, &b->msg, store_on_batch) == 0)
        return;
    fg_async_event_free_list(b->head);
    free(b);
}

static void store_on_query_done(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_store_query *q = (struct fg_store_query *)((char *)msg - offsetof(struct fg_store_query, msg));
    (void)loop;
    q->done(q, q->done_arg);
}

/* Runs one op inside the transaction. SQLITE_OK or the failing code. */
static int store_apply(struct fg_sqlite_store *s, struct store_op *op, struct store_batch *batch, bool *recount)
{
    switch (op->kind) {
    case OP_ACCEPT: {
        int rc;
        op->ev->due_ms = op->ev->accepted_ms;
        if ((rc = store_insert_event(s, op->ev)) == SQLITE_OK)
            rc = store_mark(s, &op->ev->mark);
        if (rc == SQLITE_OK && op->ev->bury_condition)
            rc = store_bury_row(s, op->ev->id, op->ev->failures, op->ev->bury_condition, NULL, NULL);
        return rc;
    }
    case OP_MARK:
        return store_mark(s, &op->mark);
    case OP_DONE:
        return store_delete_event(s, op->ev->id);
    case OP_RETRY:
        sqlite3_bind_int(s->st_retry, 1, op->failures);
        sqlite3_bind_int(s->st_retry, 2, op->deferrals);
        sqlite3_bind_int64(s->st_retry, 3, op->due_ms);
        sqlite3_bind_int64(s->st_retry, 4, op->id);
        return store_step_done(s->st_retry);
    case OP_BURY:
        return store_bury(s, op);
    case OP_HANDOFF: {
        int rc = store_delete_event(s, op->ev->id);
        return rc ? rc : store_insert_event(s, op->next_ev);
    }
    case OP_QUERY:
        if (op->q->kind >= FG_STORE_TEST_LIST)
            return fg_store_test_event_run(s, op->q);
        if (op->q->kind == FG_STORE_DLQ_REDRIVE || op->q->kind == FG_STORE_DLQ_PURGE) {
            *recount = true;        /* used only if the batch rolls back */
            return store_dlq_write(s, op->q, batch);
        }
        return SQLITE_OK;
    case OP_FETCH:
        return SQLITE_OK;
    }
    return SQLITE_MISUSE;
}

static void store_run_batch(struct fg_sqlite_store *s, struct store_op *list)
{
    struct store_batch *batch = calloc(1, sizeof(*batch));
    struct fg_err err;
    bool recount = false;
    int rc = SQLITE_NOMEM;
    long long t0 = fg_mono_us(), t1 = 0;
    size_t n_ops = 0;

    if (batch && (rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) == SQLITE_OK) {
        for (struct store_op *op = list; op && rc == SQLITE_OK; op = op->next, n_ops++)
            rc = store_apply(s, op, batch, &recount);
        t1 = fg_mono_us();
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            unsigned held;
            fg_store_sql_err(s, &err, rc, "commit failed");
            /* A full disk fails every batch: one line a second, not one per event. */
            if (fg_log_limit_pass(&s->fail_log, fg_mono_us(), 1000000, &held))
                fg_log(FG_LOG_ERROR, "store", "%s: the batch was rolled back (%u more since the last line)", err.msg,
                       held);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            if (batch) {
                fg_async_event_free_list(batch->head);   /* redriven events that did not happen */
                batch->head = batch->tail = NULL;
            }
        }
    }
    for (struct store_op *op = list, *next; op; op = next) {
        next = op->next;
        switch (op->kind) {
        case OP_ACCEPT:
            /* Recorded; an event that goes on to the loop takes its mark there (mark.h). */
            if (rc != SQLITE_OK || op->ev->bury_condition) {
                free(op->ev->mark.key);
                op->ev->mark.key = NULL;
                op->ev->mark.kind = FG_MARK_NONE;
            }
            if (rc == SQLITE_OK && op->ev->bury_condition) {
                pthread_mutex_lock(&s->lock);
                store_count_add(s, op->ev->function, 1);
                pthread_mutex_unlock(&s->lock);
            } else if (rc == SQLITE_OK) {
                store_append(batch, op->ev);
                op->ev = NULL;
            }
            op->cb(op->arg, rc == SQLITE_OK ? 0 : rc == SQLITE_FULL ? -ENOSPC : -EIO);
            break;
        case OP_HANDOFF:
            if (rc == SQLITE_OK) {
                store_append(batch, op->next_ev);
                op->next_ev = NULL;
            }
            break;
        case OP_BURY:
            if (rc == SQLITE_OK) {
                pthread_mutex_lock(&s->lock);
                store_count_add(s, op->ev->function, 1);
                pthread_mutex_unlock(&s->lock);
            }
            break;
        case OP_FETCH: {
            struct store_batch *f = calloc(1, sizeof(*f));
            store_fetch(s, op->ev);
            if (f) {
                f->head = op->ev;
                op->ev = NULL;
                store_post(s, f, s->on_fetched);
            }
            break;
        }
        case OP_QUERY:
            /* The next chunk goes after what is queued; once the store is stopping it is
             * not taken (stopping would otherwise wait for the whole purge): the caller
             * gets 503 and the dead letters not yet reached stay for a later request. */
            if (rc == SQLITE_OK && op->q->more && fg_workq_offer(&s->ops, &op->item))
                continue;
            if (rc == SQLITE_OK && op->q->more) {
                fg_log(FG_LOG_WARN, "store", "stopping: a dead-letter %s ended after %lld; the rest stay",
                       op->q->kind == FG_STORE_DLQ_PURGE ? "purge" : "redrive", op->q->total);
                fg_buf_reset(&op->q->json);
                op->q->status = 503;
            }
            if (rc != SQLITE_OK) {
                fg_buf_reset(&op->q->json);
                op->q->status = 500;
            } else if (op->q->kind == FG_STORE_DLQ_LIST || op->q->kind == FG_STORE_DLQ_SHOW) {
                store_dlq_read(s, op->q);
            }
            /* After the loop stopped the answer is given from here: it only wakes a connection. */
            if (fg_loop_post(s->loop, &op->q->msg, store_on_query_done) < 0)
                op->q->done(op->q, op->q->done_arg);
            break;
        default:
            break;
        }
        store_op_free(op);
    }
    if (recount && rc != SQLITE_OK)
        fg_store_recount(s);        /* counts lowered by rows that are back */
    if (n_ops > 256)
        fg_log(FG_LOG_DEBUG, "store", "batch of %zu ops: statements %lld us, commit %lld us", n_ops, t1 - t0,
               fg_mono_us() - t1);
    if (batch)
        store_post(s, batch, s->on_events);      /* if the loop is gone, the next start loads them */
}

/* The writer: takes what is queued and commits it, STORE_BATCH_MAX ops per transaction. */
static void *store_main(void *arg)
{
    struct fg_sqlite_store *s = arg;
    struct fg_workq_item *it;

    while ((it = fg_workq_take_all(&s->ops, -1))) {
        while (it) {
            struct store_op *list = NULL, **tail = &list;
            for (size_t n = 0; it && n < STORE_BATCH_MAX; n++, it = it->next) {
                struct store_op *op = (struct store_op *)(void *)it;
                *tail = op;
                tail = &op->next;
            }
            *tail = NULL;
            store_run_batch(s, list);
        }
    }
    return NULL;
}

int fg_sqlite_store_start(struct fg_sqlite_store *s, struct fg_err *err)
{
    int rc;
    if ((rc = pthread_create(&s->thread, NULL, store_main, s)) != 0)
        return fg_err_set(err, -rc, "cannot start the state store thread: %s", strerror(rc));
    atomic_store(&s->started, true);
    return 0;
}

void fg_sqlite_store_stop(struct fg_sqlite_store *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = true;
    fg_workq_close(&s->ops);        /* refuses new ops; the writer commits what is queued */
    if (atomic_load(&s->started))
        pthread_join(s->thread, NULL);
}

void fg_sqlite_store_free(struct fg_sqlite_store *s)
{
    if (!s)
        return;
    FG_ASSERT(fg_workq_empty(&s->ops));
    sqlite3_finalize(s->st_insert);
    sqlite3_finalize(s->st_delete);
    sqlite3_finalize(s->st_retry);
    sqlite3_finalize(s->st_bury);
    sqlite3_finalize(s->st_payload);
    sqlite3_finalize(s->st_mark);
    sqlite3_finalize(s->st_file);
    sqlite3_finalize(s->st_file_gone);
    if (s->db)
        sqlite3_close(s->db);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_mutex_destroy(&s->lock);
    fg_workq_destroy(&s->ops);
    free(s->counts);
    free(s);
}
