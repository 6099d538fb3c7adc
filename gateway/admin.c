/* SPDX-License-Identifier: MIT */
/* admin.c - admin API request parsing (see admin.h). */
#include "admin.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/loop.h"
#include "../core/url.h"
#include "../triggers/registry.h"
#include "admin_cost.h"

/* The next key=value of a query string cut in place at *cursor (pairs without '=' are
 * skipped): the key, with *value set; NULL at the end. */
static char *admin_param(char **cursor, char **value)
{
    char *kv;
    while ((kv = strsep(cursor, "&"))) {
        char *v = strchr(kv, '=');
        if (!v)
            continue;
        *v++ = '\0';
        *value = v;
        return kv;
    }
    return NULL;
}

/* One query-string value, URL-decoded into out (size bytes, NUL-terminated). 0 or -1 when
 * it does not decode or does not fit. */
static int admin_decode(const char *v, char *out, size_t size)
{
    struct fg_buf dec;
    int rc;
    fg_buf_init(&dec, size - 1);
    rc = fg_url_decode(&dec, v, strlen(v), FG_URL_FORM) < 0 || (dec.data && strlen(dec.data) != dec.len) ? -1 : 0;
    if (rc == 0)
        snprintf(out, size, "%s", dec.data ? dec.data : "");
    fg_buf_free(&dec);
    return rc;
}

/* A function's name as the path's last segment (URL-encoded, n bytes at seg) into out
 * (size bytes): 0, or 404 "no function named ..." when it does not decode or fit. */
static int admin_path_function(const char *seg, size_t n, char *out, size_t size, struct fg_err *err)
{
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)n, seg);
    if (admin_decode(name, out, size) < 0 || strchr(out, '/'))
        return fg_err_set(err, 404, "no function named %s", name);
    return 0;
}

/* Reads ?function=F&limit=N. */
static int admin_query_string(const char *qs, struct fg_admin_req *req, struct fg_err *err)
{
    char buf[512], *cursor = buf, *kv, *v;
    snprintf(buf, sizeof(buf), "%s", qs);
    while ((kv = admin_param(&cursor, &v))) {
        if (!strcmp(kv, "function")) {
            if (admin_decode(v, req->function, sizeof(req->function)) < 0)
                return fg_err_set(err, 400, "function: invalid name");
        } else if (!strcmp(kv, "limit")) {
            req->query.limit = atoi(v);
            if (req->query.limit < 1 || req->query.limit > 10000)
                return fg_err_set(err, 400, "limit: 1..10000");
        }
    }
    return 0;
}

/* A whole number in [min, max] into *out. */
static bool admin_number(const char *v, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return !errno && end != v && !*end && *out >= min && *out <= max;
}

/* The logs and usage questions' parameters (see admin.h). */
static int admin_logs_params(const char *qs, struct fg_log_query *q, struct fg_err *err)
{
    char buf[4096], *cursor = buf, *kv, *v;
    long long n;

    if (strlen(qs) >= sizeof(buf))
        return fg_err_set(err, 400, "query string too long");
    snprintf(buf, sizeof(buf), "%s", qs);
    while ((kv = admin_param(&cursor, &v))) {
        if (!strcmp(kv, "since") || !strcmp(kv, "until")) {
            if (!admin_number(v, 0, 9999999999999LL, &n))
                return fg_err_set(err, 400, "%s: epoch milliseconds", kv);
            *(kv[0] == 's' ? &q->since_ms : &q->until_ms) = n;
        } else if (!strcmp(kv, "limit") && q->kind == FG_LOG_QUERY_LINES) {
            if (!admin_number(v, 1, FG_LOGREAD_MAX_LIMIT, &n))
                return fg_err_set(err, 400, "limit: 1..%d", FG_LOGREAD_MAX_LIMIT);
            q->limit = (int)n;
        } else if (!strcmp(kv, "wait") && q->kind == FG_LOG_QUERY_LINES) {
            if (!admin_number(v, 0, FG_LOGREAD_MAX_WAIT_MS / 1000, &n))
                return fg_err_set(err, 400, "wait: 0..%d seconds", FG_LOGREAD_MAX_WAIT_MS / 1000);
            q->wait_ms = (int)n * 1000;
        } else if (!strcmp(kv, "filter") && q->kind == FG_LOG_QUERY_LINES) {
            if (admin_decode(v, q->filter, sizeof(q->filter)) < 0)
                return fg_err_set(err, 400, "filter: at most %zu bytes, URL-encoded", sizeof(q->filter) - 1);
        } else if (!strcmp(kv, "request_id") && q->kind == FG_LOG_QUERY_LINES) {
            if (admin_decode(v, q->request_id, sizeof(q->request_id)) < 0 ||
                strspn(q->request_id, "0123456789abcdefABCDEF-") != strlen(q->request_id))
                return fg_err_set(err, 400, "request_id: a request id (hex digits and dashes)");
        } else if (!strcmp(kv, "after") && q->kind == FG_LOG_QUERY_LINES) {
            if (admin_decode(v, q->after, sizeof(q->after)) < 0)
                return fg_err_set(err, 400, "after: a cursor from an answer's next");
        } else if (!strcmp(kv, "function") && q->kind == FG_LOG_QUERY_USAGE) {
            if (admin_decode(v, q->function, sizeof(q->function)) < 0)
                return fg_err_set(err, 400, "function: invalid name");
        }
    }
    if (q->until_ms && q->until_ms < q->since_ms)
        return fg_err_set(err, 400, "until is before since");
    return 0;
}

/* GET /functions/F/metrics and /metrics/summary, with ?period= (1h when not given). */
static int admin_series(const char *path, size_t plen, const char *qs, struct fg_admin_req *req, struct fg_err *err)
{
    char buf[256], *cursor = buf, *kv, *v;
    int rc;

    req->period = fg_series_period("1h");
    if (req->op == FG_ADMIN_SERIES &&
        (rc = admin_path_function(path + 11, plen - 19, req->function, sizeof(req->function), err)) != 0)
        return rc;
    snprintf(buf, sizeof(buf), "%s", qs ? qs + 1 : "");
    while ((kv = admin_param(&cursor, &v)))
        if (!strcmp(kv, "period") && !(req->period = fg_series_period(v)))
            return fg_err_set(err, 400, "period: one of 1h, 3h, 12h, 24h");
    return 0;
}

/* {"function":F} | {"ids":[...]} | {"all":true} */
static int admin_selection(const char *body, size_t len, struct fg_admin_req *req, bool allow_all,
                           struct fg_err *err)
{
    json_t *j = len && len <= FG_ADMIN_MAX_BODY ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *fn = j ? json_object_get(j, "function") : NULL, *ids = j ? json_object_get(j, "ids") : NULL;
    int rc = 0;

    if (len > FG_ADMIN_MAX_BODY)
        return fg_err_set(err, 413, "admin request bodies are at most %d bytes", FG_ADMIN_MAX_BODY);

    if (!j || !json_is_object(j)) {
        rc = fg_err_set(err, 400, "expected a JSON object: {\"function\":NAME}, {\"ids\":[ID,...]}%s",
                        allow_all ? " or {\"all\":true}" : "");
        goto out;
    }
    if (json_is_string(fn) && json_string_length(fn) > 0 && json_string_length(fn) < sizeof(req->function)) {
        snprintf(req->function, sizeof(req->function), "%s", json_string_value(fn));
    } else if (json_is_array(ids) && json_array_size(ids) > FG_ADMIN_MAX_IDS) {
        rc = fg_err_set(err, 400, "ids: at most %d per request", FG_ADMIN_MAX_IDS);
    } else if (json_is_array(ids) && json_array_size(ids) > 0) {
        size_t i;
        json_t *v;
        if (!(req->ids = calloc(json_array_size(ids), sizeof(*req->ids)))) {
            rc = fg_err_set(err, 500, "out of memory");
            goto out;
        }
        json_array_foreach(ids, i, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                rc = fg_err_set(err, 400, "ids: expected positive integers");
                goto out;
            }
            req->ids[i] = json_integer_value(v);
        }
        req->query.ids = req->ids;
        req->query.n_ids = json_array_size(ids);
    } else if (!(allow_all && json_is_true(json_object_get(j, "all")))) {
        rc = fg_err_set(err, 400, "name what to act on: {\"function\":NAME}, {\"ids\":[ID,...]}%s",
                        allow_all ? " or {\"all\":true}" : "");
    }
out:
    json_decref(j);
    return rc;
}

bool fg_admin_is_metrics(const char *raw_uri)
{
    size_t n = strcspn(raw_uri, "?");
    return n == 8 && !strncmp(raw_uri, "/metrics", 8);
}

int fg_admin_parse(const char *method, const char *raw_uri, const char *body, size_t len,
                   struct fg_admin_req *req, struct fg_err *err)
{
    const char *path = raw_uri + strlen(FG_ADMIN_PREFIX) - 1;   /* keeps the leading '/' */
    const char *qs = strchr(path, '?');
    size_t plen = qs ? (size_t)(qs - path) : strlen(path);
    bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    int rc;

    memset(req, 0, sizeof(*req));
    req->query.function = req->function;
    if (fg_admin_is_metrics(raw_uri)) {
        req->op = FG_ADMIN_METRICS;
        return get ? 0 : fg_err_set(err, 405, "use GET");
    }
#define IS(p) (plen == sizeof(p) - 1 && !strncmp(path, p, plen))
    if (IS("/health") || IS("/ready")) {
        req->op = IS("/health") ? FG_ADMIN_HEALTH : FG_ADMIN_READY;
        return get ? 0 : fg_err_set(err, 405, "use GET");
    }
    if (IS("/queue")) {
        req->op = FG_ADMIN_QUEUE;
        return get ? 0 : fg_err_set(err, 405, "use GET");
    }
    if (IS("/usage") || (plen > 6 && !strncmp(path, "/logs/", 6))) {
        struct fg_log_query *lq = &req->logq;
        req->op = FG_ADMIN_LOGS;
        lq->kind = IS("/usage") ? FG_LOG_QUERY_USAGE : FG_LOG_QUERY_LINES;
        lq->limit = FG_ADMIN_LOGS_LIMIT;
        if (!get)
            return fg_err_set(err, 405, "use GET");
        if (lq->kind == FG_LOG_QUERY_LINES &&
            (rc = admin_path_function(path + 6, plen - 6, lq->function, sizeof(lq->function), err)) != 0)
            return rc;
        return qs ? admin_logs_params(qs + 1, lq, err) : 0;
    }
    if (IS("/functions") || (plen > 11 && !strncmp(path, "/functions/", 11) && !memchr(path + 11, '/', plen - 11))) {
        req->op = FG_ADMIN_FUNCTIONS;
        return !get ? fg_err_set(err, 405, "use GET")
                    : IS("/functions") ? 0 : admin_path_function(path + 11, plen - 11, req->function,
                                                                 sizeof(req->function), err);
    }
    if (IS("/cost")) {
        req->op = FG_ADMIN_COST;
        req->logq.kind = FG_LOG_QUERY_USAGE;
        if (!get)
            return fg_err_set(err, 405, "use GET");
        if (qs && (rc = admin_logs_params(qs + 1, &req->logq, err)) != 0)
            return rc;
        return fg_admin_cost_prepare(req, fg_now_ms(), err);
    }
    if (IS("/metrics/summary") ||
        (plen > 19 && !strncmp(path, "/functions/", 11) && !strncmp(path + plen - 8, "/metrics", 8))) {
        req->op = IS("/metrics/summary") ? FG_ADMIN_SERIES_SUMMARY : FG_ADMIN_SERIES;
        return get ? admin_series(path, plen, qs, req, err) : fg_err_set(err, 405, "use GET");
    }
    if (IS("/reload")) {
        req->op = FG_ADMIN_RELOAD;
        return post ? 0 : fg_err_set(err, 405, "use POST");
    }
    for (const struct fg_trigger_ops *const *t = fg_registry; *t; t++)
        if ((*t)->view && plen == strlen((*t)->view) + 1 && !strncmp(path + 1, (*t)->view, plen - 1)) {
            req->op = FG_ADMIN_TRIGGER;
            req->trigger = (*t)->name;
            req->empty = (*t)->view_empty;
            return get ? 0 : fg_err_set(err, 405, "use GET");
        }
    if (fg_test_event_path(path, plen)) {
        req->op = FG_ADMIN_TEST;
        return fg_test_event_parse(method, path, plen, body, len, &req->test, err);
    }
    req->op = FG_ADMIN_DLQ;
    if (IS("/dlq")) {
        if (!get)
            return fg_err_set(err, 405, "use GET");
        req->query.kind = FG_STORE_DLQ_LIST;
        return qs ? admin_query_string(qs + 1, req, err) : 0;
    }
    if (IS("/dlq/redrive") || IS("/dlq/purge")) {
        bool purge = IS("/dlq/purge");
        if (!post)
            return fg_err_set(err, 405, "use POST");
        req->query.kind = purge ? FG_STORE_DLQ_PURGE : FG_STORE_DLQ_REDRIVE;
        return admin_selection(body, len, req, purge, err);
    }
#undef IS
    if (plen > 5 && !strncmp(path, "/dlq/", 5)) {
        char *end;
        long long id = strtoll(path + 5, &end, 10);
        if (end != path + plen || id < 1)
            return fg_err_set(err, 404, "no such dead letter");
        if (!get)
            return fg_err_set(err, 405, "use GET");
        if (!(req->ids = malloc(sizeof(*req->ids))))
            return fg_err_set(err, 500, "out of memory");
        req->ids[0] = id;
        req->query.kind = FG_STORE_DLQ_SHOW;
        req->query.ids = req->ids;
        req->query.n_ids = 1;
        return 0;
    }
    rc = fg_err_set(err, 404, "unknown admin path (see README: Admin API)");
    return rc;
}

bool fg_admin_is_probe(const char *raw_uri)
{
    size_t n = strcspn(raw_uri, "?");
    return (n == sizeof(FG_ADMIN_PREFIX "health") - 1 && !strncmp(raw_uri, FG_ADMIN_PREFIX "health", n)) ||
           (n == sizeof(FG_ADMIN_PREFIX "ready") - 1 && !strncmp(raw_uri, FG_ADMIN_PREFIX "ready", n));
}

void fg_admin_req_close(struct fg_admin_req *req)
{
    free(req->ids);
    req->ids = NULL;
    fg_test_req_close(&req->test);
}
