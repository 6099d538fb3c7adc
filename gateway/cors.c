/* SPDX-License-Identifier: MIT */
/* cors.c - CORS policies and their headers (see cors.h).
 *
 * DESIGN: everything a request needs is prepared per route when the view is built (joined
 * lists, max age as text), so answering costs a few comparisons and no allocation. A
 * gateway-wide policy is copied into each route it covers: the copies share the
 * configuration's lists, only the joined strings are per route, and route counts are small. */
#include "cors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/buf.h"

/* What ANY allows, as the Serverless Framework expands it. */
static const char *const cors_any_methods[] = { "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE", NULL };

/* ------------------------------------------------------------------ building */

/* Appends item to the comma-separated list in b unless it is there already. */
static void cors_join_one(struct fg_buf *b, const char *item)
{
    size_t n = strlen(item);
    for (const char *s = b->data; s && *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && !strncasecmp(s, item, n))
            return;
        s = e ? e + 1 : s + len;
    }
    if (b->len)
        fg_buf_append_str(b, ",");
    fg_buf_append_str(b, item);
}

/* The list joined into an owned string (NULL when empty); -ENOMEM in *rc on failure. */
static char *cors_join(const struct fg_conf_strlist *l, int *rc)
{
    struct fg_buf b;
    size_t len;
    char *s;

    if (!l->n)
        return NULL;
    fg_buf_init(&b, (size_t)FG_CONF_CORS_MAX_ITEMS * (FG_CONF_CORS_MAX_ITEM_BYTES + 1));
    for (size_t i = 0; i < l->n; i++)
        cors_join_one(&b, l->items[i]);
    if (b.err) {
        *rc = b.err;
        fg_buf_free(&b);
        return NULL;
    }
    s = fg_buf_take(&b, &len);
    if (!s)
        *rc = -ENOMEM;
    return s;
}

/* `cors: true`: OPTIONS and the methods of every route under the same configuration, into b. */
static void cors_route_methods(const struct fg_route_table *routes, const struct fg_config *conf,
                               const struct fg_conf_cors *c, struct fg_buf *b)
{
    cors_join_one(b, "OPTIONS");
    for (size_t i = 0; i < routes->n_routes; i++) {
        const struct fg_route *r = &routes->routes[i];
        if (fg_conf_cors_effective(&r->conf->cors, &conf->cors) != c)
            continue;
        if (strcmp(r->method, "ANY")) {
            cors_join_one(b, r->method);
            continue;
        }
        for (size_t m = 0; cors_any_methods[m]; m++)
            cors_join_one(b, cors_any_methods[m]);
    }
}

int fg_cors_init(struct fg_cors *p, const struct fg_conf_cors *c, const char *shorthand_methods)
{
    int rc = 0;

    memset(p, 0, sizeof(*p));
    if (!(p->conf = c))
        return 0;
    p->allow_methods = c->shorthand ? strdup(shorthand_methods) : cors_join(&c->allow_methods, &rc);
    if (c->shorthand && !p->allow_methods)
        rc = -ENOMEM;
    p->allow_headers = cors_join(&c->allow_headers, &rc);
    p->expose_headers = cors_join(&c->expose_headers, &rc);
    if (c->max_age_s != FG_CONF_CORS_NO_MAX_AGE)
        snprintf(p->max_age, sizeof(p->max_age), "%d", c->max_age_s);
    for (size_t o = 0; o < c->allow_origins.n; o++)
        p->any_origin |= !strcmp(c->allow_origins.items[o], "*");
    if (rc < 0)
        fg_cors_close(p);
    return rc;
}

void fg_cors_close(struct fg_cors *p)
{
    free(p->allow_methods);
    free(p->allow_headers);
    free(p->expose_headers);
    memset(p, 0, sizeof(*p));
}

int fg_cors_table_init(struct fg_cors_table *t, const struct fg_route_table *routes, const struct fg_config *conf,
                       struct fg_err *err)
{
    struct fg_buf methods;
    int rc = 0;

    memset(t, 0, sizeof(*t));
    if (!(t->routes = calloc(routes->n_routes ? routes->n_routes : 1, sizeof(*t->routes))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    t->n = routes->n_routes;
    fg_buf_init(&methods, 4096);
    for (size_t i = 0; i < t->n && !rc; i++) {
        const struct fg_conf_cors *c = fg_conf_cors_effective(&routes->routes[i].conf->cors, &conf->cors);
        fg_buf_reset(&methods);
        if (c && c->shorthand)
            cors_route_methods(routes, conf, c, &methods);
        rc = methods.err ? methods.err : fg_cors_init(&t->routes[i], c, methods.data ? methods.data : "");
    }
    fg_buf_free(&methods);
    if (rc < 0) {
        fg_cors_table_close(t);
        return fg_err_set(err, rc, "out of memory");
    }
    return 0;
}

int fg_cors_url_table_init(struct fg_cors_table *t, const struct fg_config *conf, struct fg_err *err)
{
    int rc = 0;

    memset(t, 0, sizeof(*t));
    if (!(t->routes = calloc(conf->n_functions ? conf->n_functions : 1, sizeof(*t->routes))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    t->n = conf->n_functions;
    for (size_t i = 0; i < t->n && !rc; i++) {
        const struct fg_conf_url *u = &conf->functions[i].url;
        rc = fg_cors_init(&t->routes[i], u->enabled && u->cors.mode == FG_CONF_CORS_ON ? &u->cors : NULL, "*");
    }
    if (rc < 0) {
        fg_cors_table_close(t);
        return fg_err_set(err, rc, "out of memory");
    }
    return 0;
}

void fg_cors_table_close(struct fg_cors_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        fg_cors_close(&t->routes[i]);
    free(t->routes);
    memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ requests */

const struct fg_cors *fg_cors_of(const struct fg_cors_table *t, size_t i)
{
    return i < t->n && t->routes[i].conf ? &t->routes[i] : NULL;
}

bool fg_cors_is_preflight(const char *method, const char *origin, const char *request_method)
{
    return !strcmp(method, "OPTIONS") && origin && request_method;
}

const struct fg_cors *fg_cors_preflight_policy(const struct fg_cors_table *t, const struct fg_route_table *routes,
                                               const char *request_method, const char *path, size_t *route_index)
{
    struct fg_route_match m;

    /* The route the actual request would reach decides, CORS off included. */
    if (fg_http_token_ok(request_method) && fg_route_find(routes, request_method, path, &m) == FG_ROUTE_FOUND) {
        *route_index = (size_t)(m.route - routes->routes);
        return fg_cors_of(t, *route_index);
    }
    for (size_t i = 0; i < t->n; i++) {
        if (fg_cors_of(t, i) && fg_route_serves(&routes->routes[i], path)) {
            *route_index = i;
            return &t->routes[i];
        }
    }
    return NULL;
}

/* pattern with at most one '*' (any run of characters) against s, ignoring case. */
static bool cors_glob(const char *pattern, const char *s)
{
    const char *star = strchr(pattern, '*');
    size_t head, tail, n = strlen(s);

    if (!star)
        return !strcasecmp(pattern, s);
    head = (size_t)(star - pattern);
    tail = strlen(star + 1);
    return n >= head + tail && !strncasecmp(pattern, s, head) && !strcasecmp(star + 1, s + n - tail);
}

bool fg_cors_origin_allowed(const struct fg_cors *c, const char *origin)
{
    if (!c || !origin || !*origin || strlen(origin) > FG_CONF_CORS_MAX_ITEM_BYTES)
        return false;
    for (size_t i = 0; i < c->conf->allow_origins.n; i++)
        if (cors_glob(c->conf->allow_origins.items[i], origin))
            return true;
    return false;
}

static void cors_add(struct fg_cors_headers *out, const char *name, const char *value)
{
    if (value && out->n < FG_CORS_MAX_HEADERS)
        out->h[out->n++] = (struct fg_http_header){ name, value };
}

/* Access-Control-Allow-Origin (and Vary when the answer depends on the origin); false when
 * the origin is not allowed. */
static bool cors_origin(const struct fg_cors *c, const char *origin, struct fg_cors_headers *out)
{
    bool star = c->any_origin && !c->conf->allow_credentials;
    if (!star)
        cors_add(out, "Vary", "Origin");
    if (!fg_cors_origin_allowed(c, origin))
        return false;
    cors_add(out, "Access-Control-Allow-Origin", star ? "*" : origin);
    if (c->conf->allow_credentials)
        cors_add(out, "Access-Control-Allow-Credentials", "true");
    return true;
}

void fg_cors_preflight(const struct fg_cors *c, const char *origin, const char *request_method,
                       const char *request_headers, struct fg_cors_headers *out)
{
    bool echo = c->conf->allow_credentials;   /* a browser reads * literally with credentials */

    out->n = 0;
    if (!cors_origin(c, origin, out))
        return;
    cors_add(out, "Access-Control-Allow-Methods",
             echo && c->allow_methods && !strcmp(c->allow_methods, "*") ? request_method : c->allow_methods);
    cors_add(out, "Access-Control-Allow-Headers",
             echo && c->allow_headers && !strcmp(c->allow_headers, "*") && request_headers ? request_headers
                                                                                          : c->allow_headers);
    if (c->max_age[0])
        cors_add(out, "Access-Control-Max-Age", c->max_age);
}

void fg_cors_actual(const struct fg_cors *c, const char *origin, struct fg_cors_headers *out)
{
    out->n = 0;
    if (!origin || !cors_origin(c, origin, out))
        return;
    cors_add(out, "Access-Control-Expose-Headers", c->expose_headers);
}

bool fg_cors_header_is_cors(const char *name)
{
    return !strncasecmp(name, "Access-Control-", 15);
}
