/* SPDX-License-Identifier: MIT */
/* authorizer.c - a route's authorizer decides (see authorizer.h).
 *
 * DESIGN: a verified token is remembered (auth_cache.h, keyed by a SHA-256 of the
 * authorizer's name and the token) until its exp, with its flattened claims and its
 * scopes, so a token is verified once in its life: later requests pay a hash, a lookup,
 * the nbf/exp test and the route's scope test. A Lambda authorizer's answer is checked
 * once (shape, size) and remembered as it came for ttl seconds, keyed by the identity
 * source values; an IAM policy answer is evaluated (core/iam_policy.h) against each
 * request's routeArn, as API Gateway evaluates a cached policy. The authorizer event is
 * the route's 2.0 event without the body, with type, routeArn and identitySource added. */
#include "authorizer.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/iam_policy.h"
#include "../core/json_write.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/url.h"
#include "../router/router.h"

#define AUTH_CACHE_SLOTS 1024
#define AUTH_IDENTITY_MAX 8              /* identity sources per authorizer (config's bound) */
#define AUTH_ANSWER_MAX (8 * 1024)       /* a Lambda authorizer's answer we keep and parse */
#define AUTH_STATEMENTS_MAX 32
/* Flattened claims of the longest token (FG_JWT_MAX_BYTES, every byte escaped as \u00XX at
 * worst); only those within FG_AUTH_CACHE_VALUE_MAX are cached. */
#define AUTH_CLAIMS_MAX (6 * FG_JWT_MAX_BYTES)

/* ------------------------------------------------------------------ the service */

int fg_auth_service_start(struct fg_auth_service *s, struct fg_router *router, struct fg_err *err)
{
    s->router = router;
    return fg_jwks_fetcher_start(&s->fetcher, err);
}

void fg_auth_service_stop(struct fg_auth_service *s)
{
    fg_jwks_fetcher_stop(&s->fetcher);
}

unsigned long fg_auth_jwks_fetches(const struct fg_auth_service *s)
{
    return atomic_load(&s->fetcher.fetches);
}

int fg_authorizers_init(struct fg_authorizers *set, struct fg_auth_service *svc, const struct fg_config *conf,
                        struct fg_err *err)
{
    int rc;

    memset(set, 0, sizeof(*set));
    set->conf = conf;
    set->svc = svc;
    if (!conf->n_authorizers)
        return 0;
    if (!(set->items = calloc(conf->n_authorizers, sizeof(*set->items))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < conf->n_authorizers; i++) {
        struct fg_authorizer *az = &set->items[i];
        az->conf = &conf->authorizers[i];
        set->n++;
        if ((rc = fg_auth_cache_init(&az->cache, AUTH_CACHE_SLOTS)) < 0) {
            fg_authorizers_close(set);
            return fg_err_set(err, rc, "out of memory");
        }
        if (az->conf->type == FG_AUTHORIZER_JWT) {
            if ((rc = fg_jwks_init(&az->jwks, az->conf, &svc->fetcher, err)) < 0) {
                fg_authorizers_close(set);
                return rc;
            }
            az->has_jwks = true;
        }
    }
    /* Only now, nothing left to fail: a queued fetch holds its key set until the fetcher
     * takes it, so a set that failed must never have queued one. */
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i].has_jwks)
            fg_jwks_start(&set->items[i].jwks);
    return 0;
}

void fg_authorizers_close(struct fg_authorizers *set)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i].has_jwks)
            fg_jwks_close(&set->items[i].jwks);
        fg_auth_cache_close(&set->items[i].cache);
    }
    free(set->items);
    memset(set, 0, sizeof(*set));
}

void fg_auth_call_init(struct fg_auth_call *c)
{
    memset(c, 0, sizeof(*c));
    fg_invocation_init(&c->inv);
    fg_buf_init(&c->event, FG_PAYLOAD_SYNC_MAX_BYTES);
    fg_buf_init(&c->ids, AUTH_IDENTITY_MAX * (FG_JWT_MAX_BYTES + 1));
    fg_buf_init(&c->a, AUTH_CLAIMS_MAX);
    fg_buf_init(&c->b, AUTH_CLAIMS_MAX);
    fg_buf_init(&c->v2, 3 * AUTH_CLAIMS_MAX);
    fg_buf_init(&c->v1, 3 * AUTH_CLAIMS_MAX);
}

void fg_auth_call_close(struct fg_auth_call *c)
{
    fg_invocation_close(&c->inv);
    fg_buf_free(&c->event);
    fg_buf_free(&c->ids);
    fg_buf_free(&c->a);
    fg_buf_free(&c->b);
    fg_buf_free(&c->v2);
    fg_buf_free(&c->v1);
}

/* ------------------------------------------------------------------ identity sources */

/* The value of query parameter name in raw_query, decoded, into out (reset first);
 * false when absent. */
static bool auth_query_value(const char *raw_query, const char *name, struct fg_buf *out)
{
    size_t nlen = strlen(name);
    for (const char *q = raw_query; q && *q;) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        fg_buf_reset(out);
        if (eq && fg_url_decode(out, q, (size_t)(eq - q), FG_URL_FORM) == 0 && out->len == nlen &&
            !memcmp(out->data, name, nlen)) {
            fg_buf_reset(out);
            return fg_url_decode(out, eq + 1, (size_t)(end - eq - 1), FG_URL_FORM) == 0 && out->len &&
                   fg_utf8_valid(out->data, out->len);
        }
        q = amp ? amp + 1 : end;
    }
    return false;
}

/* Each identity source's value, NUL-separated, into vals (reset first), and how many;
 * -ENOENT when one is missing or empty (API Gateway answers 401 without invoking). */
static int auth_identity(const struct fg_conf_authorizer *a, const struct fg_http_request *req, struct fg_buf *vals,
                         const char *out[AUTH_IDENTITY_MAX])
{
    size_t offs[AUTH_IDENTITY_MAX];
    struct fg_buf q;
    size_t n = a->identity_source.n < AUTH_IDENTITY_MAX ? a->identity_source.n : AUTH_IDENTITY_MAX;
    int rc = 0;

    fg_buf_reset(vals);
    fg_buf_init(&q, FG_JWT_MAX_BYTES);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *v = NULL;
        if (a->identity[i].where == FG_IDENTITY_HEADER)
            v = fg_http_header_get(req->headers, req->n_headers, a->identity[i].name);
        else if (auth_query_value(req->raw_query, a->identity[i].name, &q))
            v = q.data;
        offs[i] = vals->len;
        if (!v || !*v)
            rc = -ENOENT;
        else if (fg_buf_append(vals, v, strlen(v) + 1) < 0)
            rc = -ENOENT;          /* larger than a token may be: no identity we accept */
    }
    fg_buf_free(&q);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        out[i] = vals->data + offs[i];
    return (int)n;
}

/* ------------------------------------------------------------------ JWT */

/* {"claims":CLAIMS,"scopes":null|[...]} into v1 and {"jwt":that} into v2. The scopes are
 * the token's when the route requires scopes, else null. */
static int auth_jwt_context(struct fg_auth_call *c, const struct fg_conf_route_auth *ra)
{
    const char *scopes = c->b.data ? c->b.data : "";
    fg_buf_reset(&c->v1);
    fg_buf_reset(&c->v2);
    fg_buf_append_str(&c->v1, "{\"claims\":");
    fg_buf_append_str(&c->v1, c->a.data);
    fg_buf_append_str(&c->v1, ",\"scopes\":");
    if (!ra->scopes.n || !*scopes) {
        fg_buf_append_str(&c->v1, "null");
    } else {
        for (const char *s = scopes; *s;) {
            size_t len = strcspn(s, " ");
            fg_buf_append_str(&c->v1, s == scopes ? "[" : ",");
            fg_json_write_str(&c->v1, s, len);
            s += len;
            s += strspn(s, " ");
        }
        fg_buf_append_str(&c->v1, "]");
    }
    fg_buf_append_str(&c->v1, "}");
    fg_buf_append_str(&c->v2, "{\"jwt\":");
    fg_buf_append_str(&c->v2, c->v1.data ? c->v1.data : "{}");
    return fg_buf_append_str(&c->v2, "}");
}

/* Verifies token (not cached): parse, key, signature, claims; its claims and scopes into
 * c->a and c->b, and into the cache until its exp. */
static enum fg_auth_verdict auth_jwt_verify(struct fg_auth_call *c, const char *token, long long now_ms)
{
    struct fg_authorizer *az = c->az;
    const struct fg_conf_authorizer *a = az->conf;
    struct fg_jwt t;
    struct fg_jwks_keys *keys = NULL;
    const struct fg_jwk *key = NULL;
    struct fg_err err = { 0, "" };
    struct fg_jwt_expect x = { a->issuer, a->audience.items, a->audience.n, now_ms / 1000 };
    enum fg_auth_verdict v = FG_AUTH_UNAUTHORIZED;
    enum fg_jwks_found found;
    long long exp_s = 0, nbf_s = 0;

    if (fg_jwt_parse(token, strlen(token), &t, &err) < 0)
        goto out_log;
    found = fg_jwks_find(&az->jwks, t.kid, &keys, &key);
    if (found == FG_JWKS_REFRESH && !c->waited_keys) {
        c->state = FG_AUTH_STATE_KEYS;
        fg_jwt_close(&t);
        return FG_AUTH_PENDING;
    }
    if (found != FG_JWKS_FOUND) {     /* one refresh per request is enough */
        fg_err_set(&err, -EACCES, "no key with kid '%s'", t.kid);
        goto out;
    }
    if (fg_jwt_verify(&t, token, key, &err) < 0 || fg_jwt_check_claims(&t, &x, &exp_s, &nbf_s, &err) < 0)
        goto out;
    fg_buf_reset(&c->a);
    if (fg_jwt_claims_write(&t, &c->a) < 0 || fg_jwt_scopes(&t, &c->b) < 0) {
        v = FG_AUTH_FAILED;
        fg_err_set(&err, -ENOMEM, "claims too large");
        goto out;
    }
    fg_auth_cache_put(&az->cache, c->key, exp_s * 1000, nbf_s * 1000, c->a.data, c->b.data ? c->b.data : "");
    v = FG_AUTH_ALLOW;
out:
    fg_jwks_release(keys);
    fg_jwt_close(&t);
out_log:
    if (v != FG_AUTH_ALLOW)
        fg_log(FG_LOG_DEBUG, "auth", "authorizer %s: token refused: %s", a->name, err.msg);
    return v;
}

static enum fg_auth_verdict auth_jwt(struct fg_auth_call *c, const struct fg_http_request *req,
                                     const struct fg_conf_route_auth *ra)
{
    const char *ids[AUTH_IDENTITY_MAX], *token, *parts[2];
    long long now_ms = fg_now_ms();
    enum fg_auth_verdict v;

    if (auth_identity(c->az->conf, req, &c->ids, ids) < 1)
        return FG_AUTH_UNAUTHORIZED;
    token = ids[0];
    if (!strncasecmp(token, "Bearer ", 7))
        token += 7;
    while (*token == ' ')
        token++;
    parts[0] = c->az->conf->name;
    parts[1] = token;
    fg_auth_cache_key(parts, 2, c->key);
    if (!fg_auth_cache_get(&c->az->cache, c->key, now_ms, &c->a, &c->b) &&
        (v = auth_jwt_verify(c, token, now_ms)) != FG_AUTH_ALLOW)
        return v;
    if (!fg_jwt_scopes_any(c->b.data, ra->scopes.items, ra->scopes.n))
        return FG_AUTH_FORBIDDEN;
    return auth_jwt_context(c, ra) < 0 ? FG_AUTH_FAILED : FG_AUTH_ALLOW;
}

/* ------------------------------------------------------------------ Lambda authorizers */

/* One statement's Action or Resource: a string or a list of them, into out[0..max). */
static int auth_policy_strings(json_t *v, const char **out, size_t max, size_t *n)
{
    size_t i;
    json_t *item;

    *n = 0;
    if (json_is_string(v)) {
        out[(*n)++] = json_string_value(v);
        return 0;
    }
    if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > max)
        return -EINVAL;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return -EINVAL;
        out[(*n)++] = json_string_value(item);
    }
    return 0;
}

/* An IAM policy answer: {"principalId", "policyDocument": {"Statement": [...]}}; whether
 * it allows execute-api:Invoke on route_arn into *allowed. 0 or -EINVAL (err says why). */
static int auth_policy_allows(json_t *r, const char *route_arn, bool *allowed, struct fg_err *err)
{
    struct fg_iam_statement st[AUTH_STATEMENTS_MAX];
    const char *strs[AUTH_STATEMENTS_MAX * 16];
    json_t *doc = json_object_get(r, "policyDocument"), *list, *item;
    struct fg_iam_policy policy = { st, 0 };
    size_t i, used = 0;

    if (!json_is_string(json_object_get(r, "principalId")))
        return fg_err_set(err, -EINVAL, "principalId is missing (an IAM policy answer needs one)");
    list = json_object_get(doc, "Statement");
    if (json_is_object(list)) {
        json_t *one = json_array();
        json_array_append(one, list);
        json_object_set_new(doc, "Statement", one);
        list = one;
    }
    if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > AUTH_STATEMENTS_MAX)
        return fg_err_set(err, -EINVAL, "policyDocument.Statement must list 1 to %d statements", AUTH_STATEMENTS_MAX);
    json_array_foreach(list, i, item) {
        const char *effect = json_string_value(json_object_get(item, "Effect"));
        struct fg_iam_statement *s = &st[policy.n];
        if (!effect || (strcasecmp(effect, "Allow") && strcasecmp(effect, "Deny")))
            return fg_err_set(err, -EINVAL, "Statement %zu: Effect must be Allow or Deny", i);
        s->effect = strcasecmp(effect, "Allow") ? FG_IAM_DENY : FG_IAM_ALLOW;
        s->actions = &strs[used];
        if (auth_policy_strings(json_object_get(item, "Action"), &strs[used], 8, &s->n_actions) < 0)
            return fg_err_set(err, -EINVAL, "Statement %zu: Action must be a string or a list of at most 8", i);
        used += s->n_actions;
        s->resources = &strs[used];
        if (auth_policy_strings(json_object_get(item, "Resource"), &strs[used], 8, &s->n_resources) < 0)
            return fg_err_set(err, -EINVAL, "Statement %zu: Resource must be a string or a list of at most 8", i);
        used += s->n_resources;
        policy.n++;
    }
    *allowed = fg_iam_evaluate(&policy, "execute-api:Invoke", route_arn) == FG_IAM_ALLOWED;
    return 0;
}

/* The answer in c->a decides: allowed or not, and the context into c->v2 and c->v1. */
static enum fg_auth_verdict auth_lambda_decide(struct fg_auth_call *c, struct fg_err *err)
{
    json_t *r = json_loadb(c->a.data ? c->a.data : "", c->a.len, 0, NULL), *ctx, *v1 = NULL;
    enum fg_auth_verdict v = FG_AUTH_FAILED;
    char *text = NULL;
    bool allowed = false;

    if (!json_is_object(r)) {
        fg_err_set(err, -EINVAL, "the answer is not a JSON object");
        goto out;
    }
    ctx = json_object_get(r, "context");
    if (ctx && !json_is_object(ctx) && !json_is_null(ctx)) {
        fg_err_set(err, -EINVAL, "context must be an object");
        goto out;
    }
    if (c->az->conf->simple_responses) {
        json_t *ok = json_object_get(r, "isAuthorized");
        if (!json_is_boolean(ok)) {
            fg_err_set(err, -EINVAL, "isAuthorized (a boolean) is missing (enable_simple_responses is on)");
            goto out;
        }
        allowed = json_is_true(ok);
    } else if (auth_policy_allows(r, c->route_arn, &allowed, err) < 0) {
        goto out;
    }
    if (!allowed) {
        v = FG_AUTH_FORBIDDEN;
        goto out;
    }
    fg_buf_reset(&c->v2);
    fg_buf_reset(&c->v1);
    text = json_is_object(ctx) ? json_dumps(ctx, JSON_COMPACT) : NULL;
    fg_buf_append_str(&c->v2, "{\"lambda\":");
    fg_buf_append_str(&c->v2, text ? text : "null");
    fg_buf_append_str(&c->v2, "}");
    free(text);
    v1 = json_is_object(ctx) ? json_copy(ctx) : json_object();
    if (v1 && json_is_string(json_object_get(r, "principalId")))
        json_object_set(v1, "principalId", json_object_get(r, "principalId"));
    text = v1 ? json_dumps(v1, JSON_COMPACT) : NULL;
    if (!text || fg_buf_append_str(&c->v1, text) < 0 || c->v2.err)
        fg_err_set(err, -ENOMEM, "out of memory");
    else
        v = FG_AUTH_ALLOW;
    free(text);
out:
    json_decref(v1);
    json_decref(r);
    return v;
}

/* The route's 2.0 event without its body, with type, routeArn and identitySource, into
 * c->event: the payload 2.0 authorizer event. */
static int auth_lambda_event(struct fg_auth_call *c, const struct fg_http_request *req, const struct fg_route_match *m,
                             const char *const *ids, size_t n)
{
    struct fg_http_request r = *req;
    json_t *ev, *list = json_array();
    char *text = NULL;
    int rc;

    r.body = NULL;
    r.body_len = 0;
    r.authorizer_v1 = r.authorizer_v2 = NULL;
    fg_buf_reset(&c->event);
    if ((rc = fg_apigw_event(&r, m, &c->event)) < 0) {
        json_decref(list);
        return rc;
    }
    if (!(ev = json_loadb(c->event.data, c->event.len, 0, NULL)) || !list) {
        json_decref(list);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_stringn_nocheck(ids[i], strlen(ids[i])));
    json_object_del(ev, "isBase64Encoded");
    json_object_set_new(ev, "type", json_string("REQUEST"));
    json_object_set_new(ev, "routeArn", json_string(c->route_arn));
    json_object_set_new(ev, "identitySource", list);
    text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    fg_buf_reset(&c->event);
    rc = text ? fg_buf_append_str(&c->event, text) : -ENOMEM;
    free(text);
    return rc;
}

static enum fg_auth_verdict auth_lambda(struct fg_authorizers *set, struct fg_auth_call *c,
                                        const struct fg_http_request *req, const struct fg_route_match *m)
{
    const struct fg_conf_authorizer *a = c->az->conf;
    const char *ids[AUTH_IDENTITY_MAX], *parts[AUTH_IDENTITY_MAX + 1];
    struct fg_err err = { 0, "" };
    int n;

    if ((n = auth_identity(a, req, &c->ids, ids)) < 0)
        return FG_AUTH_UNAUTHORIZED;
    for (int i = 0; i < n; i++)
        if (!fg_utf8_valid(ids[i], strlen(ids[i])))
            return FG_AUTH_UNAUTHORIZED;
    snprintf(c->route_arn, sizeof(c->route_arn), "arn:aws:execute-api:%s:%s:fngate/$default/%s/%s", set->conf->region,
             set->conf->account_id, req->method, req->raw_path + (req->raw_path[0] == '/'));
    if (a->ttl_s > 0) {
        enum fg_auth_verdict v;
        parts[0] = a->name;
        memcpy(&parts[1], ids, (size_t)n * sizeof(*ids));
        fg_auth_cache_key(parts, (size_t)n + 1, c->key);
        if (fg_auth_cache_get(&c->az->cache, c->key, fg_now_ms(), &c->a, &c->b)) {
            if ((v = auth_lambda_decide(c, &err)) == FG_AUTH_FAILED)
                fg_log(FG_LOG_INFO, "auth", "authorizer %s: %s", a->name, err.msg);
            return v;
        }
    }
    if (auth_lambda_event(c, req, m, ids, (size_t)n) < 0)
        return FG_AUTH_FAILED;
    snprintf(c->inv.function, sizeof(c->inv.function), "%s", a->function);
    c->inv.payload = c->event.data;
    c->inv.payload_len = c->event.len;
    c->state = FG_AUTH_STATE_LAMBDA;
    return FG_AUTH_PENDING;
}

/* The authorizer function answered (or not). */
static enum fg_auth_verdict auth_lambda_done(struct fg_auth_call *c)
{
    const struct fg_conf_authorizer *a = c->az->conf;
    struct fg_invocation *inv = &c->inv;
    struct fg_err err = { 0, "" };
    enum fg_auth_verdict v;

    if (inv->status != FG_INV_OK) {
        fg_log(FG_LOG_INFO, "auth", "authorizer %s: function %s request %s failed (%s)", a->name, a->function,
               inv->request_id, inv->status == FG_INV_TIMEOUT ? "timed out" : "error");
        return FG_AUTH_FAILED;
    }
    fg_buf_reset(&c->a);
    if (inv->result.len > AUTH_ANSWER_MAX || fg_buf_append(&c->a, inv->result.data, inv->result.len) < 0) {
        fg_log(FG_LOG_INFO, "auth", "authorizer %s: function %s answered more than %d bytes", a->name, a->function,
               AUTH_ANSWER_MAX);
        return FG_AUTH_FAILED;
    }
    if ((v = auth_lambda_decide(c, &err)) == FG_AUTH_FAILED) {
        fg_log(FG_LOG_INFO, "auth", "authorizer %s: function %s request %s: unusable answer: %s", a->name,
               a->function, inv->request_id, err.msg);
        return v;
    }
    if (a->ttl_s > 0)
        fg_auth_cache_put(&c->az->cache, c->key, fg_now_ms() + a->ttl_s * 1000LL, 0, c->a.data, NULL);
    return v;
}

/* ------------------------------------------------------------------ API */

enum fg_auth_verdict fg_auth_check(struct fg_authorizers *set, struct fg_auth_call *c,
                                   const struct fg_http_request *req, const struct fg_route_match *m)
{
    const struct fg_conf_route_auth *ra = m->route->auth;

    if (!c->az) {
        size_t i = (size_t)(ra->authorizer - set->conf->authorizers);
        if (!ra->authorizer || ra->authorizer < set->conf->authorizers || i >= set->n)
            return FG_AUTH_FAILED;
        c->az = &set->items[i];
        c->router = set->svc->router;
    }
    switch (c->state) {
    case FG_AUTH_STATE_KEYS:
        c->state = FG_AUTH_STATE_NEW;
        c->waited_keys = true;
        break;
    case FG_AUTH_STATE_LAMBDA:
        c->state = FG_AUTH_STATE_NEW;
        return auth_lambda_done(c);
    case FG_AUTH_STATE_NEW:
        break;
    }
    if (c->az->conf->type == FG_AUTHORIZER_JWT)
        return auth_jwt(c, req, ra);
    return auth_lambda(set, c, req, m);
}

static void auth_on_done(struct fg_invocation *inv, void *arg)
{
    struct fg_auth_call *c = arg;
    (void)inv;
    c->resume(c->resume_arg);
}

int fg_auth_start(struct fg_auth_call *c, void (*resume)(void *arg), void *arg)
{
    c->resume = resume;
    c->resume_arg = arg;
    if (c->state == FG_AUTH_STATE_KEYS) {
        c->waiter.resume = resume;
        c->waiter.arg = arg;
        return fg_jwks_wait(&c->az->jwks, &c->waiter);
    }
    c->inv.done = auth_on_done;
    c->inv.done_arg = c;
    if (fg_router_submit(c->router, &c->inv) < 0) {
        c->inv.status = FG_INV_SERVICE_ERROR;
        return -EIO;
    }
    return 0;
}
