/* SPDX-License-Identifier: MIT */
/* store_redis.c - the state store in Redis, shared by every node of a fleet (see
 * store_backend.h; the data model is in store_redis_int.h).
 *
 * DESIGN: an event is accepted (202) only once Redis answered its XADD, so it is as durable
 * as the server's persistence makes it (README "Fleet mode"). One writer thread owns a
 * connection and pipelines whatever was queued since its last round trip: accepts and
 * acknowledgements from every thread share one round trip, as the SQLite store's group
 * commit shares one fsync. While Redis is unreachable an accept is refused at once
 * (-FG_ESTOREDOWN: 503, never a 202 that is not stored); what finished events still owe
 * the store (acknowledge, retry, bury) waits and is replayed when the connection is back,
 * and every script that moves an event first checks this node still holds it, so a replay
 * after other nodes took it over changes nothing. Reading events is the reader's
 * (store_redis_pull.c); a retry does not wait on this node but goes back to Redis with its
 * due time (fg_store_requeue), so any node runs it when it is due. */
#include "store_redis_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "../core/assert.h"

#define RS_BACKOFF_MIN_MS 100
#define RS_BACKOFF_MAX_MS 2000
/* A mark's hash field: "s:" or "f:" and its key, which for a file is "TRIGGER/relative path"
 * (a path under a watched folder may be long: it must never be cut, or two files would
 * share one index entry and the second would never fire). */
#define RS_MARK_FIELD_MAX (2 + 8300)
/* Arguments of one command at most (an event's fields and a script's own). */
#define RS_ARGS_MAX 40

enum rs_op_kind {
    RS_ACCEPT = 0,
    RS_DONE,
    RS_REQUEUE,
    RS_BURY,
    RS_HANDOFF,
    RS_MARK,
    RS_QUERY,
    RS_FETCH,
};

struct rs_op {
    struct fg_workq_item item;           /* in s->ops */
    struct rs_op *next;                  /* in a round or the replay list */
    enum rs_op_kind kind;
    struct fg_async_event *ev;           /* ACCEPT, DONE, REQUEUE, BURY, HANDOFF (finished), FETCH (list) */
    struct fg_async_event *next_ev;      /* HANDOFF: the record */
    char *condition, *error_type, *error_message;   /* BURY, owned */
    struct fg_mark mark;                 /* MARK */
    fg_store_accept_fn *cb;              /* ACCEPT */
    void *arg;
    struct fg_store_query *q;            /* QUERY */
    int replies;                         /* commands sent for it in this round */
    int rc;                              /* ACCEPT: its answer, held for the round's WAIT */
};

/* One command's arguments, borrowed (numbers are formatted into nums). */
struct rs_args {
    const char *v[RS_ARGS_MAX];
    size_t len[RS_ARGS_MAX];
    int n;
    char nums[8][24];
    int n_nums;
};

static void args_add(struct rs_args *a, const char *p, size_t len)
{
    FG_ASSERT(a->n < RS_ARGS_MAX);
    a->v[a->n] = p;
    a->len[a->n++] = len;
}

static void args_str(struct rs_args *a, const char *s)
{
    args_add(a, s, strlen(s));
}

static void args_ll(struct rs_args *a, long long v)
{
    FG_ASSERT(a->n_nums < 8);
    char *p = a->nums[a->n_nums++];
    int n = snprintf(p, 24, "%lld", v);
    args_add(a, p, (size_t)n);
}

/* An event's fields (store_redis_int.h), borrowed from ev. */
static void args_event(struct rs_args *a, const struct fg_async_event *ev)
{
    args_str(a, "r");
    args_str(a, ev->request_id);
    args_str(a, "f");
    args_str(a, ev->function);
    args_str(a, "a");
    args_ll(a, ev->accepted_ms);
    args_str(a, "n");
    args_ll(a, ev->failures);
    args_str(a, "d");
    args_ll(a, ev->deferrals);
    if (ev->url) {
        args_str(a, "u");
        args_str(a, ev->url);
    }
    args_str(a, "p");
    args_add(a, ev->payload ? ev->payload : "", ev->payload ? ev->payload_len : 0);
}

static void args_send(redisContext *c, struct rs_args *a)
{
    redisAppendCommandArgv(c, a->n, a->v, a->len);
}

/* ------------------------------------------------------------------ shared helpers */

const char *fg_rs_reply_error(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ERROR ? r->str : NULL;
}

void fg_rs_state(struct fg_redis_store *s, bool up, const char *why)
{
    /* The writer's connection is the one accepts need: its changes alone are the state. */
    bool was = atomic_exchange(&s->up, up), known = atomic_exchange(&s->state_known, true);
    if (known && was == up)
        return;
    if (up)
        fg_log(FG_LOG_INFO, "store", "state store %s is up (node %s)", s->url, s->node);
    else
        fg_log(FG_LOG_ERROR, "store", "state store %s is down: %s; async events are refused (503) until it is back",
               s->url, why);
}

redisContext *fg_rs_connect(struct fg_redis_store *s, struct fg_err *err)
{
    struct timeval tv = { s->cmd_ms / 1000, (s->cmd_ms % 1000) * 1000 };
    redisContext *c = redisConnectWithTimeout(s->addr.host, s->addr.port, tv);
    redisReply *r = NULL;

    if (!c) {
        fg_err_set(err, -ENOMEM, "out of memory");
        return NULL;
    }
    if (c->err) {
        fg_err_set(err, -ECONNREFUSED, "%s", c->errstr);
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (s->addr.password[0]) {
        r = s->addr.user[0] ? redisCommand(c, "AUTH %s %s", s->addr.user, s->addr.password)
                            : redisCommand(c, "AUTH %s", s->addr.password);
        if (!r || fg_rs_reply_error(r))
            goto fail;
        freeReplyObject(r);
    }
    if (s->addr.db) {
        r = redisCommand(c, "SELECT %d", s->addr.db);
        if (!r || fg_rs_reply_error(r))
            goto fail;
        freeReplyObject(r);
    }
    return c;
fail:
    fg_err_set(err, -EACCES, "%s", r ? r->str : c->errstr);
    freeReplyObject(r);
    redisFree(c);
    return NULL;
}

struct rs_fn *fg_rs_fn(struct fg_redis_store *s, const char *function)
{
    struct rs_fn *f = NULL;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_fns; i++)
        if (!strcmp(s->fns[i]->name, function)) {
            f = s->fns[i];
            goto out;
        }
    if (s->n_fns == s->cap_fns) {
        size_t cap = s->cap_fns ? s->cap_fns * 2 : 16;
        struct rs_fn **fns = realloc(s->fns, cap * sizeof(*fns));
        if (!fns)
            goto out;
        s->fns = fns;
        s->cap_fns = cap;
    }
    if (!(f = calloc(1, sizeof(*f))))
        goto out;
    snprintf(f->name, sizeof(f->name), "%s", function);
    snprintf(f->key, sizeof(f->key), "%s:q:%s", s->pfx, function);
    {
        /* Read ahead what could run here soon, not the fleet's whole backlog. */
        const struct fg_conf_function *c = fg_conf_function(s->conf, function);
        int base = c && c->concurrency ? c->concurrency : c && c->max_workers ? c->max_workers : s->conf->max_concurrency;
        f->budget = base < 1 ? 2 : base * 2 > RS_HOLD_MAX ? RS_HOLD_MAX : base * 2;
        if (c && c->concurrency) {
            /* Fleet-wide: a node holds only what it was granted, so it reads no further ahead. */
            f->fleet_limit = c->concurrency;
            f->budget = c->concurrency;
        }
        if (c && c->rate.per_second > 0) {
            f->rate = c->rate.per_second;
            f->burst = c->rate.burst;
        }
    }
    snprintf(f->run_key, sizeof(f->run_key), "%s:run:%s", s->pfx, function);
    snprintf(f->rate_key, sizeof(f->rate_key), "%s:rate:%s", s->pfx, function);
    s->fns[s->n_fns++] = f;
out:
    pthread_mutex_unlock(&s->lock);
    return f;
}

static void rs_held_key(char *out, size_t size, const char *function, const char *sid)
{
    snprintf(out, size, "%s/%s", function, sid);
}

void fg_rs_held_add(struct fg_redis_store *s, const char *function, const char *sid)
{
    char key[160];
    rs_held_key(key, sizeof(key), function, sid);
    pthread_mutex_lock(&s->lock);
    if (fg_strmap_put(&s->held_ids, key, s) < 0)
        fg_log(FG_LOG_ERROR, "store", "out of memory: %s may be read again after a reconnect", key);
    pthread_mutex_unlock(&s->lock);
}

void fg_rs_held_drop(struct fg_redis_store *s, const char *function, const char *sid)
{
    char key[160];
    rs_held_key(key, sizeof(key), function, sid);
    pthread_mutex_lock(&s->lock);
    fg_strmap_del(&s->held_ids, key);
    pthread_mutex_unlock(&s->lock);
}

bool fg_rs_held_has(struct fg_redis_store *s, const char *function, const char *sid)
{
    char key[160];
    bool has;
    rs_held_key(key, sizeof(key), function, sid);
    pthread_mutex_lock(&s->lock);
    has = fg_strmap_get(&s->held_ids, key) != NULL;
    pthread_mutex_unlock(&s->lock);
    return has;
}

struct fg_async_event *fg_rs_event(const redisReply *fields)
{
    const redisReply *r = NULL, *f = NULL, *p = NULL, *u = NULL;
    long long at = 0, n = 0, d = 0;
    struct fg_async_event *ev;

    if (!fields || fields->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || k->len != 1)
            continue;
        switch (k->str[0]) {
        case 'r': r = v; break;
        case 'f': f = v; break;
        case 'p': p = v; break;
        case 'u': u = v; break;
        case 'a': at = strtoll(v->str, NULL, 10); break;
        case 'n': n = strtoll(v->str, NULL, 10); break;
        case 'd': d = strtoll(v->str, NULL, 10); break;
        default: break;
        }
    }
    if (!r || !f || !p || r->len > FG_ID_LEN || f->len >= sizeof(ev->function))
        return NULL;
    if (!(ev = fg_async_event_new(f->str, u ? u->str : NULL, p->str, p->len)))
        return NULL;
    memcpy(ev->request_id, r->str, r->len);
    ev->request_id[r->len] = '\0';
    ev->accepted_ms = at;
    ev->failures = (int)n;
    ev->deferrals = (int)d;
    return ev;
}

struct rs_batch {
    struct fg_loop_msg msg;
    struct fg_redis_store *s;
    struct fg_async_event *head;
    bool fetched;
};

static void rs_on_batch(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct rs_batch *b = (struct rs_batch *)(void *)msg;
    (void)loop;
    (b->fetched ? b->s->on_fetched : b->s->on_events)(b->s->arg, b->head);
    free(b);
}

void fg_rs_post(struct fg_redis_store *s, struct fg_async_event *list, bool fetched)
{
    struct rs_batch *b = calloc(1, sizeof(*b));
    if (b) {
        b->s = s;
        b->head = list;
        b->fetched = fetched;
        if (fg_loop_post(s->loop, &b->msg, rs_on_batch) == 0)
            return;
    }
    /* The loop is gone (stopping): the events stay pending here and go back at the leave. */
    free(b);
    fg_async_event_free_list(list);
}

/* ------------------------------------------------------------------ ops */

static void rs_op_free(struct rs_op *op)
{
    if (!op)
        return;
    fg_async_event_free_list(op->kind == RS_FETCH ? op->ev : NULL);
    if (op->kind != RS_FETCH)
        fg_async_event_free(op->ev);
    fg_async_event_free(op->next_ev);
    free(op->condition);
    free(op->error_type);
    free(op->error_message);
    free(op->mark.key);
    free(op);
}

static struct rs_op *rs_op_new(enum rs_op_kind kind, struct fg_async_event *ev)
{
    struct rs_op *op = calloc(1, sizeof(*op));
    if (op) {
        op->kind = kind;
        op->ev = ev;
    }
    return op;
}

/* Queues op for the writer; false (op untouched) once the store stopped. */
static bool rs_push(struct fg_redis_store *s, struct rs_op *op)
{
    return op && fg_workq_offer(&s->ops, &op->item);
}

/* An event this node read is finished here: its room goes back to the reader. */
static void rs_unhold(struct fg_redis_store *s, const struct fg_async_event *ev)
{
    struct rs_fn *f;
    if (!ev->sid[0] || !(f = fg_rs_fn(s, ev->function)))
        return;
    atomic_fetch_sub(&f->held, 1);
    pthread_mutex_lock(&s->wake_lock);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->wake_lock);
}

/* Fire and forget from the loop: when the op cannot be queued the event stays pending in
 * Redis under this node's consumer, and goes to another node once this one is gone. */
static void rs_push_or_drop(struct fg_redis_store *s, struct rs_op *op, struct fg_async_event *ev)
{
    if (ev)
        rs_unhold(s, ev);
    if (!op) {
        fg_log(FG_LOG_ERROR, "store", "out of memory: an event's outcome was not recorded; it runs again");
        fg_async_event_free(ev);
        return;
    }
    if (!rs_push(s, op))
        rs_op_free(op);
}

int fg_redis_store_accept(struct fg_redis_store *s, struct fg_async_event *ev, fg_store_accept_fn *cb, void *arg)
{
    struct rs_op *op;

    if (!atomic_load(&s->up)) {
        fg_async_event_free(ev);
        return -FG_ESTOREDOWN;
    }
    if (!fg_rs_fn(s, ev->function) || !(op = rs_op_new(RS_ACCEPT, ev))) {
        fg_async_event_free(ev);
        return -ENOMEM;
    }
    op->cb = cb;
    op->arg = arg;
    if (!rs_push(s, op)) {
        rs_op_free(op);
        return -FG_ESHUTDOWN;
    }
    return 0;
}

void fg_redis_store_done(struct fg_redis_store *s, struct fg_async_event *ev)
{
    rs_push_or_drop(s, rs_op_new(RS_DONE, ev), ev);
}

void fg_redis_store_retry(struct fg_redis_store *s, const struct fg_async_event *ev)
{
    /* Retries are requeued (fg_store_shared): nothing waits on this node. */
    (void)s, (void)ev;
    FG_ASSERT(!"fg_store_retry on a shared store");
}

void fg_redis_store_requeue(struct fg_redis_store *s, struct fg_async_event *ev)
{
    rs_push_or_drop(s, rs_op_new(RS_REQUEUE, ev), ev);
}

void fg_redis_store_bury(struct fg_redis_store *s, struct fg_async_event *ev, const char *condition,
                         const char *error_type, const char *error_message)
{
    struct rs_op *op = rs_op_new(RS_BURY, ev);
    if (op && (!(op->condition = strdup(condition)) ||
               (error_type && !(op->error_type = strdup(error_type))) ||
               (error_message && !(op->error_message = strdup(error_message))))) {
        op->ev = NULL;
        rs_op_free(op);
        op = NULL;
    }
    rs_push_or_drop(s, op, ev);
}

void fg_redis_store_handoff(struct fg_redis_store *s, struct fg_async_event *done, struct fg_async_event *next)
{
    struct rs_op *op = rs_op_new(RS_HANDOFF, done);
    if (op && fg_rs_fn(s, next->function))
        op->next_ev = next;
    else
        fg_async_event_free(next);
    rs_push_or_drop(s, op, done);
}

void fg_redis_store_mark(struct fg_redis_store *s, enum fg_mark_kind kind, const char *key, long long a, long long b)
{
    struct rs_op *op = rs_op_new(RS_MARK, NULL);
    if (op && !(op->mark.key = strdup(key))) {
        free(op);
        op = NULL;
    }
    if (op)
        op->mark = (struct fg_mark){ kind, op->mark.key, a, b };
    rs_push_or_drop(s, op, NULL);
}

void fg_redis_store_fetch(struct fg_redis_store *s, struct fg_async_event *list)
{
    struct rs_op *op = rs_op_new(RS_FETCH, list);
    if (!rs_push(s, op)) {
        free(op);
        fg_rs_post(s, list, true);      /* back still cold: the queue drops them */
    }
}

int fg_redis_store_query(struct fg_redis_store *s, struct fg_store_query *q)
{
    struct rs_op *op = rs_op_new(RS_QUERY, NULL);
    if (!op)
        return -ENOMEM;
    op->q = q;
    if (!rs_push(s, op)) {
        free(op);
        return -FG_ESHUTDOWN;
    }
    return 0;
}

enum fg_store_claim fg_redis_store_claimed(struct fg_redis_store *s, struct fg_async_event *ev)
{
    if (!ev->sid[0])
        return FG_STORE_CLAIM_RUN;
    if (ev->claim != atomic_load(&s->claim)) {
        fg_log(FG_LOG_INFO, "store", "event %s: this node lost its claim (cut off from Redis); another node runs it",
               ev->request_id);
        rs_unhold(s, ev);
        fg_rs_held_drop(s, ev->function, ev->sid);
        ev->sid[0] = '\0';              /* released: a second look must not release it again */
        return FG_STORE_CLAIM_LOST;
    }
    return fg_now_ms() < atomic_load(&s->lease_until) ? FG_STORE_CLAIM_RUN : FG_STORE_CLAIM_WAIT;
}

bool fg_redis_store_up(const struct fg_redis_store *s)
{
    /* Also the lease: a node cut off from Redis is not ready even with no accept to notice. */
    return atomic_load(&s->up) && fg_now_ms() < atomic_load(&s->lease_until);
}

int fg_redis_store_lease(struct fg_redis_store *s, const char *name, const char *prefix, fg_store_lease_fn *cb,
                         void *arg)
{
    struct rs_lease *l;

    if (s->n_leases == RS_LEASES_MAX)
        return -ENOMEM;
    l = &s->leases[s->n_leases];
    snprintf(l->name, sizeof(l->name), "%s", name);
    snprintf(l->key, sizeof(l->key), "%s:lease:%s", s->pfx, name);
    snprintf(l->prefix, sizeof(l->prefix), "f:%s", prefix);
    l->cb = cb;
    l->arg = arg;
    l->held = false;
    pthread_mutex_lock(&s->lock);
    s->n_leases++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

bool fg_redis_store_fleet_stats(struct fg_redis_store *s, const char *function, long long out[3])
{
    struct rs_fn *f = fg_rs_fn(s, function);
    if (!f)
        return false;
    out[0] = atomic_load(&f->fleet_queued);
    out[1] = atomic_load(&f->fleet_held);
    out[2] = atomic_load(&f->fleet_retrying);
    return true;
}

long long fg_redis_store_dlq_count(struct fg_redis_store *s, const char *function)
{
    long long n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_counts; i++)
        if (!function || !strcmp(s->counts[i].function, function))
            n += s->counts[i].n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ------------------------------------------------------------------ the writer */

/* The consumer name an event was read under. */
static void rs_consumer_of(const struct fg_redis_store *s, const struct fg_async_event *ev, char *out, size_t size)
{
    snprintf(out, size, "%s.%u", s->node, ev->claim);
}

static void rs_key(const struct fg_redis_store *s, char *out, size_t size, const char *what, const char *name)
{
    snprintf(out, size, "%s:%s%s", s->pfx, what, name ? name : "");
}

/* Appends op's commands to the pipeline. */
static void rs_send_op(struct fg_redis_store *s, redisContext *c, struct rs_op *op)
{
    struct fg_async_event *ev = op->ev;
    char k1[256], k2[256], k3[256], k4[256], who[160], member[96];
    struct rs_args a = { .n = 0 };

    op->replies = 1;
    if (ev)
        rs_key(s, k1, sizeof(k1), "q:", ev->function);
    switch (op->kind) {
    case RS_ACCEPT:
        if (ev->bury_condition) {
            /* A poll source's failure record straight to the dead letters. */
            op->condition = strdup(ev->bury_condition);
            goto bury;
        }
        if (ev->mark.kind) {
            rs_key(s, k2, sizeof(k2), "marks", NULL);
            char field[RS_MARK_FIELD_MAX], value[64];
            snprintf(field, sizeof(field), "%c:%s", ev->mark.kind == FG_MARK_SCHEDULE ? 's' : 'f', ev->mark.key);
            snprintf(value, sizeof(value), "%lld %lld", ev->mark.a, ev->mark.b);
            args_str(&a, "EVAL");
            args_str(&a, fg_rs_lua_accept_mark);
            args_str(&a, "2");
            args_str(&a, k1);
            args_str(&a, k2);
            args_str(&a, ev->mark.kind == FG_MARK_SCHEDULE ? "s" : ev->mark.kind == FG_MARK_FILE ? "f" : "g");
            args_str(&a, field);
            args_ll(&a, ev->mark.a);
            args_str(&a, value);
            args_event(&a, ev);
            args_send(c, &a);
            return;
        }
        args_str(&a, "XADD");
        args_str(&a, k1);
        args_str(&a, "*");
        args_event(&a, ev);
        args_send(c, &a);
        return;
    case RS_DONE:
        redisAppendCommand(c, "XACK %s %s %s", k1, RS_GROUP, ev->sid);
        redisAppendCommand(c, "XDEL %s %s", k1, ev->sid);
        op->replies = 2;
        return;
    case RS_REQUEUE:
        rs_key(s, k2, sizeof(k2), "retry", NULL);
        snprintf(member, sizeof(member), "%s.%d.%d", ev->request_id, ev->failures, ev->deferrals);
        rs_key(s, k3, sizeof(k3), "d:", member);
        rs_consumer_of(s, ev, who, sizeof(who));
        args_str(&a, "EVAL");
        args_str(&a, fg_rs_lua_requeue);
        args_str(&a, "3");
        args_str(&a, k1);
        args_str(&a, k2);
        args_str(&a, k3);
        args_str(&a, RS_GROUP);
        args_str(&a, ev->sid);
        args_str(&a, who);
        args_ll(&a, ev->due_ms);
        args_str(&a, member);
        args_event(&a, ev);
        args_send(c, &a);
        return;
    case RS_BURY:
    bury: {
        char acc[24], failed[24], attempts[24];
        rs_key(s, k2, sizeof(k2), "dlq", NULL);
        rs_key(s, k3, sizeof(k3), "dlqseq", NULL);
        rs_key(s, k4, sizeof(k4), "dlqn", NULL);
        rs_consumer_of(s, ev, who, sizeof(who));
        snprintf(acc, sizeof(acc), "%lld", ev->accepted_ms);
        snprintf(failed, sizeof(failed), "%lld", fg_now_ms());
        snprintf(attempts, sizeof(attempts), "%d", ev->failures);
        args_str(&a, "EVAL");
        args_str(&a, fg_rs_lua_bury);
        args_str(&a, "4");
        args_str(&a, k1);
        args_str(&a, k2);
        args_str(&a, k3);
        args_str(&a, k4);
        args_str(&a, RS_GROUP);
        args_str(&a, op->kind == RS_ACCEPT ? "" : ev->sid);
        args_str(&a, who);
        args_str(&a, ev->function);
        args_str(&a, "r");
        args_str(&a, ev->request_id);
        args_str(&a, "f");
        args_str(&a, ev->function);
        args_str(&a, "a");
        args_str(&a, acc);
        args_str(&a, "t");
        args_str(&a, failed);
        args_str(&a, "c");
        args_str(&a, op->condition ? op->condition : "Unknown");
        args_str(&a, "n");
        args_str(&a, attempts);
        if (op->error_type) {
            args_str(&a, "et");
            args_str(&a, op->error_type);
        }
        if (op->error_message) {
            args_str(&a, "em");
            args_str(&a, op->error_message);
        }
        if (ev->url) {
            args_str(&a, "u");
            args_str(&a, ev->url);
        }
        args_str(&a, "p");
        args_add(&a, ev->payload ? ev->payload : "", ev->payload ? ev->payload_len : 0);
        args_send(c, &a);
        return;
    }
    case RS_HANDOFF:
        if (!op->next_ev) {
            /* The record could not be made: at least the event is not run again. */
            redisAppendCommand(c, "XACK %s %s %s", k1, RS_GROUP, ev->sid);
            redisAppendCommand(c, "XDEL %s %s", k1, ev->sid);
            op->replies = 2;
            return;
        }
        rs_key(s, k2, sizeof(k2), "q:", op->next_ev->function);
        rs_consumer_of(s, ev, who, sizeof(who));
        args_str(&a, "EVAL");
        args_str(&a, fg_rs_lua_handoff);
        args_str(&a, "2");
        args_str(&a, k1);
        args_str(&a, k2);
        args_str(&a, RS_GROUP);
        args_str(&a, ev->sid);
        args_str(&a, who);
        if (!op->next_ev->request_id[0])
            fg_idgen_uuid4(&s->ids, op->next_ev->request_id);
        args_event(&a, op->next_ev);
        args_send(c, &a);
        return;
    case RS_MARK: {
        char field[RS_MARK_FIELD_MAX], value[64];
        rs_key(s, k2, sizeof(k2), "marks", NULL);
        snprintf(field, sizeof(field), "%c:%s", op->mark.kind == FG_MARK_SCHEDULE ? 's' : 'f', op->mark.key);
        snprintf(value, sizeof(value), "%lld %lld", op->mark.a, op->mark.b);
        args_str(&a, "EVAL");
        args_str(&a, fg_rs_lua_mark);
        args_str(&a, "1");
        args_str(&a, k2);
        args_str(&a, op->mark.kind == FG_MARK_SCHEDULE ? "s" : op->mark.kind == FG_MARK_FILE ? "f" : "g");
        args_str(&a, field);
        args_ll(&a, op->mark.a);
        args_str(&a, value);
        args_send(c, &a);
        return;
    }
    case RS_FETCH:
        op->replies = 0;
        for (struct fg_async_event *e = ev; e; e = e->next, op->replies++) {
            rs_key(s, k1, sizeof(k1), "q:", e->function);
            redisAppendCommand(c, "XRANGE %s %s %s", k1, e->sid, e->sid);
        }
        return;
    case RS_QUERY:
        op->replies = 0;
        return;
    }
}

static void rs_on_query_done(struct fg_loop *loop, struct fg_loop_msg *msg)
{
    struct fg_store_query *q = (struct fg_store_query *)(void *)((char *)msg - offsetof(struct fg_store_query, msg));
    (void)loop;
    q->done(q, q->done_arg);
}

/* A query's answer to its caller: on the loop, or from here once the loop has stopped. */
static void rs_answer(struct fg_redis_store *s, struct fg_store_query *q)
{
    if (q->status != 200)
        fg_buf_reset(&q->json);
    if (fg_loop_post(s->loop, &q->msg, rs_on_query_done) < 0)
        q->done(q, q->done_arg);
}

/* Appends op's commands, and for an event that leaves this node the fleet-wide running
 * count it held (reserved concurrency). */
static void rs_send(struct fg_redis_store *s, redisContext *c, struct rs_op *op)
{
    struct rs_fn *f;
    char who[160];

    rs_send_op(s, c, op);
    if (op->kind != RS_DONE && op->kind != RS_REQUEUE && op->kind != RS_BURY && op->kind != RS_HANDOFF)
        return;
    if (!op->ev->sid[0] || !(f = fg_rs_fn(s, op->ev->function)) || !f->fleet_limit)
        return;
    rs_consumer_of(s, op->ev, who, sizeof(who));
    const char *argv[] = { "EVAL", fg_rs_lua_slots_release, "1", f->run_key, who, "1" };
    redisAppendCommandArgv(c, 6, argv, NULL);
    op->replies++;
}

/* The connection failed before op's answer: an accept is refused (it may have been stored:
 * a client that retries gets at least once), the rest is replayed later. */
static void rs_interrupted(struct fg_redis_store *s, struct rs_op *op, struct rs_op ***replay_tail)
{
    switch (op->kind) {
    case RS_ACCEPT:
        op->cb(op->arg, -FG_ESTOREDOWN);
        rs_op_free(op);
        return;
    case RS_FETCH:
        fg_rs_post(s, op->ev, true);
        op->ev = NULL;
        rs_op_free(op);
        return;
    case RS_QUERY:
        op->q->status = 503;
        rs_answer(s, op->q);
        free(op);
        return;
    default:
        op->next = NULL;
        **replay_tail = op;
        *replay_tail = &op->next;
        return;
    }
}

/* Reads op's answers (op->replies of them). false when the connection broke. */
static bool rs_receive(struct fg_redis_store *s, redisContext *c, struct rs_op *op)
{
    struct fg_async_event *e = op->kind == RS_FETCH ? op->ev : NULL;
    int rc = 0;

    for (int i = 0; i < op->replies; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r)
            return false;
        const char *error = fg_rs_reply_error(r);
        if (op->kind == RS_ACCEPT) {
            rc = error ? -EIO : r->type == REDIS_REPLY_NIL ? -FG_EDUPLICATE : 0;
        } else if (op->kind == RS_FETCH && e) {
            /* [[id, fields]]: the payload back; an entry gone stays cold (dropped). */
            if (!error && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
                struct fg_async_event *got = fg_rs_event(r->element[0]->element[1]);
                if (got && !e->payload) {
                    e->payload = got->payload;
                    e->payload_len = got->payload_len;
                    got->payload = NULL;
                }
                fg_async_event_free(got);
            }
            e = e->next;
        }
        if (error)
            fg_log(FG_LOG_ERROR, "store", "state store %s: %s", s->url, error);
        freeReplyObject(r);
    }
    if ((op->kind == RS_DONE || op->kind == RS_REQUEUE || op->kind == RS_BURY || op->kind == RS_HANDOFF) &&
        op->ev->sid[0])
        fg_rs_held_drop(s, op->ev->function, op->ev->sid);     /* settled in Redis */
    if (op->kind == RS_ACCEPT && s->conf->state.replicas) {
        op->rc = rc;
        return true;                     /* answered after the round's WAIT (rs_round) */
    }
    if (op->kind == RS_ACCEPT) {
        op->cb(op->arg, rc);
    } else if (op->kind == RS_FETCH) {
        fg_rs_post(s, op->ev, true);
        op->ev = NULL;
    }
    rs_op_free(op);
    return true;
}

/* The writer's connection broke. */
static void rs_lost(struct fg_redis_store *s)
{
    if (!s->wc)
        return;
    fg_rs_state(s, false, s->wc->errstr[0] ? s->wc->errstr : "connection lost");
    redisFree(s->wc);
    s->wc = NULL;
}

/* Sends every op of list, then reads every answer (one round trip for all); queries run
 * on their own between rounds. Ops the connection lost go to the replay list. */
static void rs_round(struct fg_redis_store *s, struct rs_op *list)
{
    struct rs_op *replay = NULL, **rtail = &replay;

    while (list) {
        struct rs_op *sent = NULL, **stail = &sent, *op, *accepted = NULL, **atail = &accepted;
        bool wait = false;
        while (list && list->kind != RS_QUERY) {
            op = list;
            list = op->next;
            op->next = NULL;
            rs_send(s, s->wc, op);
            wait |= op->kind == RS_ACCEPT;
            *stail = op;
            stail = &op->next;
        }
        /* state.replicas: accepts are answered once that many replicas have them too. */
        wait = wait && s->conf->state.replicas;
        if (wait)
            /* half the command timeout: the answer must come before the socket gives up */
            redisAppendCommand(s->wc, "WAIT %d %d", s->conf->state.replicas, s->cmd_ms / 2);
        while ((op = sent)) {
            bool held = wait && op->kind == RS_ACCEPT;   /* rs_receive keeps it (else frees it) */
            sent = op->next;
            op->next = NULL;
            if (!s->wc || !rs_receive(s, s->wc, op)) {
                rs_lost(s);
                rs_interrupted(s, op, &rtail);
            } else if (held) {
                *atail = op;
                atail = &op->next;
            }
        }
        if (wait) {
            redisReply *r = NULL;
            long long copies = -1;
            if (s->wc && redisGetReply(s->wc, (void **)&r) == REDIS_OK && r)
                copies = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
            else
                rs_lost(s);
            freeReplyObject(r);
            if (copies >= 0 && copies < s->conf->state.replicas)
                fg_log(FG_LOG_WARN, "store", "state store %s: %lld of %d replicas have the last events; they are answered 503",
                       s->url, copies, s->conf->state.replicas);
            while ((op = accepted)) {
                accepted = op->next;
                op->cb(op->arg, op->rc ? op->rc : copies >= s->conf->state.replicas ? 0 : -FG_ESTOREDOWN);
                rs_op_free(op);
            }
        }
        if (list && list->kind == RS_QUERY) {
            op = list;
            list = op->next;
            if (s->wc && !fg_rs_query_run(s, s->wc, op->q))
                rs_lost(s);
            if (!s->wc)
                op->q->status = 503;
            rs_answer(s, op->q);
            free(op);
        }
    }
    *rtail = s->replay;
    s->replay = replay;
}

/* Connects the writer when it is time to try again. */
static bool rs_writer_connect(struct fg_redis_store *s)
{
    struct fg_err err;
    long long now = fg_now_ms();

    if (s->wc)
        return true;
    if (now < s->wc_retry_at)
        return false;
    if (!(s->wc = fg_rs_connect(s, &err))) {
        fg_rs_state(s, false, err.msg);
        s->wc_backoff = s->wc_backoff ? s->wc_backoff * 2 : RS_BACKOFF_MIN_MS;
        if (s->wc_backoff > RS_BACKOFF_MAX_MS)
            s->wc_backoff = RS_BACKOFF_MAX_MS;
        s->wc_retry_at = now + s->wc_backoff;
        return false;
    }
    s->wc_backoff = 0;
    fg_rs_state(s, true, NULL);
    return true;
}

/* Ops that cannot reach Redis now: accepts and queries are answered, the rest wait. */
static void rs_hold(struct fg_redis_store *s, struct rs_op *list)
{
    struct rs_op *replay = s->replay, **tail = &replay;
    while (*tail)
        tail = &(*tail)->next;
    while (list) {
        struct rs_op *op = list;
        list = op->next;
        rs_interrupted(s, op, &tail);
    }
    s->replay = replay;
}

static void *rs_writer_main(void *arg)
{
    struct fg_redis_store *s = arg;

    for (;;) {
        /* With owed replays or no connection, wake up to retry even when nothing comes:
         * accepts are refused at once while down, so they would never wake us. */
        struct fg_workq_item *it = fg_workq_take_all(&s->ops, s->replay || !s->wc ? RS_BACKOFF_MIN_MS : -1);
        struct rs_op *list = NULL, **tail = &list;
        bool closed;

        closed = fg_workq_closed(&s->ops);
        for (; it; it = it->next) {
            struct rs_op *op = (struct rs_op *)(void *)it;
            *tail = op;
            tail = &op->next;
        }
        *tail = NULL;
        if (!rs_writer_connect(s)) {
            rs_hold(s, list);
            if (closed)
                break;
            continue;
        }
        if (s->replay) {
            /* What was owed goes first, in its order. */
            struct rs_op *owed = s->replay;
            s->replay = NULL;
            for (tail = &owed; *tail; tail = &(*tail)->next)
                ;
            *tail = list;
            list = owed;
        }
        if (list)
            rs_round(s, list);
        if (closed && fg_workq_empty(&s->ops) && !list)
            break;
    }
    if (s->wc && !s->replay)
        fg_rs_leave(s, s->wc);
    else if (s->replay)
        fg_log(FG_LOG_WARN, "store", "stopping with Redis unreachable: this node's events go to other nodes after visibility_timeout");
    return NULL;
}

/* ------------------------------------------------------------------ lifecycle */

int fg_redis_store_open(const struct fg_config *conf, struct fg_loop *loop, fg_store_events_fn *on_events,
                        fg_store_events_fn *on_fetched, void *arg, struct fg_redis_store **out, struct fg_err *err)
{
    struct fg_redis_store *s = calloc(1, sizeof(*s));
    char host[64] = "node";
    unsigned char rnd[4] = { 0 };
    int rc;

    *out = NULL;
    if (!s)
        return fg_err_set(err, -ENOMEM, "out of memory");
    s->conf = conf;
    s->loop = loop;
    s->on_events = on_events;
    s->on_fetched = on_fetched;
    s->arg = arg;
    s->vis_ms = conf->state.visibility_timeout_ms;
    s->cmd_ms = conf->state.command_timeout_ms;
    snprintf(s->pfx, sizeof(s->pfx), "{%s}", conf->state.prefix);
    fg_redis_url_masked(conf->state.redis, s->url, sizeof(s->url));
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->wake_lock, NULL);
    fg_strmap_init(&s->held_ids);
    fg_cond_init_monotonic(&s->wake);
    fg_workq_init(&s->ops, NULL, NULL);
    fg_idgen_init(&s->ids);
    gethostname(host, sizeof(host) - 1);
    host[strcspn(host, ".:")] = '\0';
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));     /* host and pid still tell nodes apart */
    snprintf(s->node, sizeof(s->node), "%s-%d-%02x%02x%02x%02x", host, (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3]);
    snprintf(s->consumer, sizeof(s->consumer), "%s.0", s->node);
    if ((rc = fg_redis_parse_url(conf->state.redis, &s->addr, err)) < 0)
        goto fail;
    for (size_t i = 0; i < conf->n_functions; i++)
        if (!fg_rs_fn(s, conf->functions[i].name)) {
            rc = fg_err_set(err, -ENOMEM, "out of memory");
            goto fail;
        }
    /* A node that cannot reach its store at start cannot know its schedules' last fires. */
    if (!(s->wc = fg_rs_connect(s, err))) {
        rc = fg_err_set(err, err->code, "state store %s: %s", s->url, err->msg);
        goto fail;
    }
    fg_rs_state(s, true, NULL);
    *out = s;
    return 0;
fail:
    fg_redis_store_free(s);
    return rc;
}

int fg_redis_store_load(struct fg_redis_store *s, size_t warm_bytes, struct fg_async_event **list, struct fg_err *err)
{
    /* Nothing is this node's at start: the reader takes events as it has room. */
    (void)s, (void)warm_bytes, (void)err;
    *list = NULL;
    return 0;
}

int fg_redis_store_load_marks(struct fg_redis_store *s, fg_store_mark_fn *cb, void *arg, struct fg_err *err)
{
    char key[256];
    redisReply *r;

    rs_key(s, key, sizeof(key), "marks", NULL);
    if (!(r = redisCommand(s->wc, "HGETALL %s", key)) || fg_rs_reply_error(r)) {
        int rc = fg_err_set(err, -EIO, "state store %s: reading the triggers' marks: %s", s->url,
                            r ? r->str : s->wc->errstr);
        freeReplyObject(r);
        return rc;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *k = r->element[i]->str, *v = r->element[i + 1]->str;
        long long a = 0, b = 0;
        if (!k || !v || strlen(k) < 3 || k[1] != ':')
            continue;
        if (sscanf(v, "%lld %lld", &a, &b) < 1)
            continue;
        if (k[0] == 's')
            cb(arg, FG_MARK_SCHEDULE, k + 2, a, 0);
        else if (k[0] == 'f')
            cb(arg, FG_MARK_FILE, k + 2, a, b);
    }
    freeReplyObject(r);
    return 0;
}

int fg_redis_store_start(struct fg_redis_store *s, struct fg_err *err)
{
    int rc;
    if ((rc = pthread_create(&s->writer, NULL, rs_writer_main, s)) != 0)
        return fg_err_set(err, -rc, "cannot start the state store writer: %s", strerror(rc));
    s->writer_started = true;
    if ((rc = pthread_create(&s->reader, NULL, fg_rs_reader_main, s)) != 0)
        return fg_err_set(err, -rc, "cannot start the state store reader: %s", strerror(rc));
    s->reader_started = true;
    return 0;
}

void fg_redis_store_stop(struct fg_redis_store *s)
{
    if (!s || atomic_exchange(&s->stopping, true))
        return;
    pthread_mutex_lock(&s->wake_lock);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->wake_lock);
    if (s->reader_started)
        pthread_join(s->reader, NULL);
    fg_workq_close(&s->ops);
    if (s->writer_started)
        pthread_join(s->writer, NULL);
}

void fg_redis_store_free(struct fg_redis_store *s)
{
    if (!s)
        return;
    while (s->replay) {
        struct rs_op *op = s->replay;
        s->replay = op->next;
        rs_op_free(op);
    }
    if (s->wc)
        redisFree(s->wc);
    if (s->rc)
        redisFree(s->rc);
    for (size_t i = 0; i < s->n_fns; i++)
        free(s->fns[i]);
    free(s->fns);
    free(s->counts);
    fg_strmap_free(&s->held_ids);
    fg_workq_destroy(&s->ops);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->wake_lock);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
