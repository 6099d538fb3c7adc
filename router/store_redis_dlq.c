/* SPDX-License-Identifier: MIT */
/* store_redis_dlq.c - the dead-letter and test-event queries of the Redis store (see
 * store.h, struct fg_store_query), answered on the writer's connection.
 *
 * DESIGN: the answers are the SQLite store's, byte for byte in shape, so `fngate dlq`, the
 * admin API and the console work the same against either store and from any node. Dead
 * letters are numbered by {P}:dlqseq (stream ids "N-1"), so ids stay small integers as the
 * SQLite row ids are. A redrive or purge of many runs in rounds of FG_STORE_DLQ_CHUNK, each
 * dead letter moved by one script (fg_rs_lua_redrive), so two nodes redriving at once never
 * redrive one twice. */
#include "store_redis_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_write.h"

static const redisReply *rs_field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; fields && i + 1 < fields->elements; i += 2)
        if (fields->element[i]->str && !strcmp(fields->element[i]->str, name))
            return fields->element[i + 1];
    return NULL;
}

static const char *rs_field_str(const redisReply *fields, const char *name)
{
    const redisReply *v = rs_field(fields, name);
    return v && v->type == REDIS_REPLY_STRING ? v->str : NULL;
}

/* A dead letter [id, fields] as the list shows it (with its payload for show). */
static json_t *rs_dlq_row(const redisReply *e, bool with_payload)
{
    const redisReply *f = e->element[1], *p;
    const char *et = rs_field_str(f, "et"), *em = rs_field_str(f, "em"), *u = rs_field_str(f, "u");
    char acc[32], fail[32];
    json_t *o;

    fg_log_iso_time(acc, strtoll(rs_field_str(f, "a") ? rs_field_str(f, "a") : "0", NULL, 10));
    fg_log_iso_time(fail, strtoll(rs_field_str(f, "t") ? rs_field_str(f, "t") : "0", NULL, 10));
    o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:s}", "id", (json_int_t)strtoll(e->element[0]->str, NULL, 10),
                  "requestId", rs_field_str(f, "r") ? rs_field_str(f, "r") : "",
                  "function", rs_field_str(f, "f") ? rs_field_str(f, "f") : "",
                  "condition", rs_field_str(f, "c") ? rs_field_str(f, "c") : "",
                  "attempts", atoi(rs_field_str(f, "n") ? rs_field_str(f, "n") : "0"), "acceptedAt", acc,
                  "failedAt", fail);
    if (!o)
        return NULL;
    if (u)
        json_object_set_new(o, "destination", json_string(u));
    json_object_set_new(o, "errorType", et ? json_string(et) : json_null());
    json_object_set_new(o, "errorMessage", em ? json_string(em) : json_null());
    if (with_payload && (p = rs_field(f, "p"))) {
        json_t *j = json_loadb(p->str, p->len, JSON_DECODE_ANY, NULL);
        json_object_set_new(o, "payload", j ? j : json_stringn(p->str, p->len));
    }
    return o;
}

/* LIST (newest first, up to limit, of function or all) and SHOW. false: connection lost. */
static bool rs_dlq_read(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q)
{
    bool show = q->kind == FG_STORE_DLQ_SHOW;
    int limit = show ? 1 : q->limit > 0 ? q->limit : 100;
    char key[128], end[48] = "+";
    json_t *items = json_array();
    redisReply *r;

    snprintf(key, sizeof(key), "%s:dlq", s->pfx);
    if (show) {
        snprintf(end, sizeof(end), "%lld-1", q->ids[0]);
        r = redisCommand(c, "XRANGE %s %s %s", key, end, end);
        if (!r)
            return json_decref(items), false;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
            json_array_append_new(items, rs_dlq_row(r->element[0], true));
        freeReplyObject(r);
        q->status = json_array_size(items) ? 200 : 404;
        if (q->status == 200)
            fg_store_answer_json(q, json_incref(json_array_get(items, 0)));
        json_decref(items);
        return true;
    }
    /* Newest first, FG_STORE_DLQ_CHUNK at a time, until limit match (or none are left). */
    while ((int)json_array_size(items) < limit) {
        if (!(r = redisCommand(c, "XREVRANGE %s %s - COUNT %d", key, end, FG_STORE_DLQ_CHUNK)))
            return json_decref(items), false;
        size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
        for (size_t i = 0; i < n && (int)json_array_size(items) < limit; i++) {
            const char *fn = rs_field_str(r->element[i]->element[1], "f");
            if (!q->function || (fn && !strcmp(fn, q->function)))
                json_array_append_new(items, rs_dlq_row(r->element[i], false));
        }
        if (n)
            snprintf(end, sizeof(end), "(%s", r->element[n - 1]->element[0]->str);
        freeReplyObject(r);
        if (n < FG_STORE_DLQ_CHUNK)
            break;
    }
    /* The total as Redis has it now (the cached counts lag up to a second). */
    long long total = 0;
    char counts[128];
    snprintf(counts, sizeof(counts), "%s:dlqn", s->pfx);
    if (!(r = redisCommand(c, "HGETALL %s", counts)))
        return json_decref(items), false;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (!q->function || !strcmp(r->element[i]->str, q->function))
            total += strtoll(r->element[i + 1]->str, NULL, 10);
    freeReplyObject(r);
    fg_store_answer_json(q, json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)total));
    return true;
}

/* Redrives or purges one dead letter (id N). 1 done, 0 none such, -1 connection lost. */
static int rs_dlq_move(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q, const char *id)
{
    char dlq[128], counts[128], rid[FG_ID_LEN + 1], now[24];
    redisReply *r;
    int done;

    snprintf(dlq, sizeof(dlq), "%s:dlq", s->pfx);
    snprintf(counts, sizeof(counts), "%s:dlqn", s->pfx);
    snprintf(now, sizeof(now), "%lld", fg_now_ms());
    fg_idgen_uuid4(&s->ids, rid);
    const char *argv[] = { "EVAL", fg_rs_lua_redrive, "2", dlq, counts, id, s->pfx, rid, now,
                           q->kind == FG_STORE_DLQ_REDRIVE ? "r" : "p", q->function ? q->function : "" };
    if (!(r = redisCommandArgv(c, 11, argv, NULL)))
        return -1;
    if (fg_rs_reply_error(r))
        fg_log(FG_LOG_ERROR, "store", "state store %s: dead letter %s: %s", s->url, id, r->str);
    done = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return done;
}

/* REDRIVE and PURGE, by ids or of a function's (or all) dead letters. */
static bool rs_dlq_write(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q)
{
    char key[128], from[48] = "-", id[48], body[96];
    long long n = 0;
    int rc;

    snprintf(key, sizeof(key), "%s:dlq", s->pfx);
    for (size_t i = 0; i < q->n_ids; i++) {
        snprintf(id, sizeof(id), "%lld-1", q->ids[i]);
        if ((rc = rs_dlq_move(s, c, q, id)) < 0)
            return false;
        n += rc;
    }
    while (!q->n_ids) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT %d", key, from, FG_STORE_DLQ_CHUNK);
        if (!r)
            return false;
        size_t got = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
        for (size_t i = 0; i < got; i++) {
            if ((rc = rs_dlq_move(s, c, q, r->element[i]->element[0]->str)) < 0) {
                freeReplyObject(r);
                return false;
            }
            n += rc;
        }
        if (got)
            snprintf(from, sizeof(from), "(%s", r->element[got - 1]->element[0]->str);
        freeReplyObject(r);
        if (got < FG_STORE_DLQ_CHUNK || atomic_load(&s->stopping))
            break;
    }
    if (q->n_ids == 1 && n == 0) {
        q->status = 404;
        return true;
    }
    snprintf(body, sizeof(body), "{\"%s\":%lld}", q->kind == FG_STORE_DLQ_REDRIVE ? "redriven" : "purged", n);
    fg_buf_reset(&q->json);
    q->status = fg_buf_append(&q->json, body, strlen(body)) == 0 ? 200 : 500;
    return true;
}

/* The console's saved test events: {P}:tests:FN, name → "UPDATED_MS JSON". */
static bool rs_test_events(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q)
{
    char key[256], value_head[24];
    redisReply *r;

    snprintf(key, sizeof(key), "%s:tests:%s", s->pfx, q->function);
    if (q->kind == FG_STORE_TEST_LIST) {
        json_t *events = json_array();
        if (!(r = redisCommand(c, "HGETALL %s", key)))
            return json_decref(events), false;
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
            const redisReply *v = r->element[i + 1];
            char *sp = memchr(v->str, ' ', v->len);
            size_t off = sp ? (size_t)(sp - v->str) + 1 : v->len;
            json_t *ev = json_loadb(v->str + off, v->len - off, JSON_DECODE_ANY, NULL);
            json_array_append_new(events, json_pack("{s:s,s:o,s:I}", "name", r->element[i]->str, "event",
                                                    ev ? ev : json_stringn(v->str + off, v->len - off),
                                                    "updated", (json_int_t)strtoll(v->str, NULL, 10)));
        }
        freeReplyObject(r);
        /* Sorted by name, as the SQLite store answers. */
        size_t n = json_array_size(events);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0; j--) {
                json_t *a = json_array_get(events, j - 1), *b = json_array_get(events, j);
                if (strcmp(json_string_value(json_object_get(a, "name")), json_string_value(json_object_get(b, "name"))) <= 0)
                    break;
                json_incref(a);
                json_array_set(events, j - 1, b);
                json_array_set_new(events, j, a);
            }
        fg_store_answer_json(q, json_pack("{s:o}", "events", events));
        return true;
    }
    if (q->kind == FG_STORE_TEST_DELETE) {
        if (!(r = redisCommand(c, "HDEL %s %s", key, q->name)))
            return false;
        fg_store_answer_json(q, json_pack("{s:i}", "deleted", r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0));
        freeReplyObject(r);
        return true;
    }
    long long now = fg_now_ms();
    int n = snprintf(value_head, sizeof(value_head), "%lld ", now);
    char *value = malloc((size_t)n + q->event_len);
    char max[16];
    if (!value) {
        q->status = 500;
        return true;
    }
    memcpy(value, value_head, (size_t)n);
    memcpy(value + n, q->event, q->event_len);
    snprintf(max, sizeof(max), "%d", FG_STORE_TEST_EVENTS_MAX);
    const char *argv[] = { "EVAL", fg_rs_lua_test_save, "1", key, q->name, value, max };
    size_t len[] = { 4, strlen(fg_rs_lua_test_save), 1, strlen(key), strlen(q->name), (size_t)n + q->event_len,
                     strlen(max) };
    r = redisCommandArgv(c, 7, argv, len);
    free(value);
    if (!r)
        return false;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        fg_store_refuse_test_events_full(q);
    } else {
        fg_store_answer_json(q, json_pack("{s:s,s:I}", "name", q->name, "updated", (json_int_t)now));
    }
    freeReplyObject(r);
    return true;
}

bool fg_rs_query_run(struct fg_redis_store *s, redisContext *c, struct fg_store_query *q)
{
    if (q->function && !q->function[0])
        q->function = NULL;             /* "" is every function, as NULL */
    q->status = 500;
    switch (q->kind) {
    case FG_STORE_DLQ_LIST:
    case FG_STORE_DLQ_SHOW:
        return rs_dlq_read(s, c, q);
    case FG_STORE_DLQ_REDRIVE:
    case FG_STORE_DLQ_PURGE:
        return rs_dlq_write(s, c, q);
    default:
        return rs_test_events(s, c, q);
    }
}
