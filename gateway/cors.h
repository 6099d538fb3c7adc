/* SPDX-License-Identifier: MIT */
/* cors.h - CORS on the front door, as API Gateway HTTP APIs answer it.
 *
 * The configuration (config/conf_cors.h) becomes one policy per route, with the header
 * values joined once when the front door's view is built; requests then only compare an
 * Origin and pick strings. A preflight (OPTIONS with Origin and Access-Control-Request-Method
 * on a path some CORS-enabled route serves) is answered by the gateway, 204, without the
 * function; every other answer of a CORS-enabled route gets Access-Control-Allow-Origin,
 * -Expose-Headers, -Allow-Credentials and Vary: Origin, and the function's own CORS
 * headers are dropped ("API Gateway ignores CORS headers returned from your backend
 * integration"). An Origin not allowed gets no CORS headers. Origins match exactly or
 * through one * standing for any run of characters (API Gateway documents https:// followed
 * by *; a * inside the host works too), ignoring case. Pure, any thread; the
 * table is read-only once built. Tests: tests/unit/test_cors.c. */
#ifndef FG_CORS_H
#define FG_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/err.h"
#include "../core/http_header.h"
#include "../triggers/http_route.h"

/* One route's policy. Off when conf is NULL. */
struct fg_cors {
    const struct fg_conf_cors *conf;    /* borrowed from the configuration */
    char *allow_methods;                /* owned, "OPTIONS,GET"; NULL: not sent */
    char *allow_headers;                /* owned; NULL: not sent */
    char *expose_headers;               /* owned; NULL: not sent */
    char max_age[16];                   /* "" when not sent */
    bool any_origin;                    /* allow_origins has "*" */
};

/* A policy per route, index for index with the route table it was built from. */
struct fg_cors_table {
    struct fg_cors *routes;
    size_t n;
};

/* At most this many headers in one answer's CORS set. */
#define FG_CORS_MAX_HEADERS 8

/* Headers to add to an answer; names static, values borrowed from the policy or the
 * request (valid while both are). */
struct fg_cors_headers {
    struct fg_http_header h[FG_CORS_MAX_HEADERS];
    size_t n;
};

/* One policy (caller-embedded) for c (borrowed for p's life; NULL: off): the joined header
 * values; shorthand_methods (borrowed, copied) is allow_methods for `cors: true`, which the
 * configuration leaves empty (a function URL passes "*", the Serverless Framework's default
 * there). 0 or -ENOMEM; p holds nothing to free on error. */
int fg_cors_init(struct fg_cors *p, const struct fg_conf_cors *c, const char *shorthand_methods) FG_MUST_CHECK;
void fg_cors_close(struct fg_cors *p);

/* Builds t (caller-embedded) from routes and conf (borrowed for t's life): each route's
 * effective `cors` (its own, else gateway.cors); `cors: true` allows OPTIONS and the
 * methods of the routes sharing the policy (the route's own for a route's `cors: true`, every
 * covered route's for gateway.cors: true, ANY as every method). 0 or -ENOMEM (err set). */
int fg_cors_table_init(struct fg_cors_table *t, const struct fg_route_table *routes, const struct fg_config *conf,
                       struct fg_err *err) FG_MUST_CHECK;
void fg_cors_table_close(struct fg_cors_table *t);

/* Builds t (caller-embedded) with a policy per function of conf, index for index with
 * conf->functions: its URL's `cors` (off for a function without url or url.cors); `cors:
 * true` allows every method ("*"), as the Serverless Framework's url.cors: true does. 0 or
 * -ENOMEM (err set). */
int fg_cors_url_table_init(struct fg_cors_table *t, const struct fg_config *conf, struct fg_err *err) FG_MUST_CHECK;

/* Route i's policy, NULL when CORS is off for it. Borrowed from t. */
const struct fg_cors *fg_cors_of(const struct fg_cors_table *t, size_t i);

/* Whether a request is a preflight: OPTIONS with both headers (NULL when absent). */
bool fg_cors_is_preflight(const char *method, const char *origin, const char *request_method);

/* The policy that answers a preflight for path asking for request_method: that of the route
 * the actual request would reach (NULL when CORS is off for it), or when no route would,
 * that of the first CORS-enabled route serving path with another method; NULL when none
 * (the OPTIONS is then routed as any request). *route_index is set to its route. Borrowed
 * from t. */
const struct fg_cors *fg_cors_preflight_policy(const struct fg_cors_table *t, const struct fg_route_table *routes,
                                               const char *request_method, const char *path, size_t *route_index);

/* Whether origin (NULL: none) may read answers under c. */
bool fg_cors_origin_allowed(const struct fg_cors *c, const char *origin);

/* The preflight answer's headers for origin; request_headers is the request's
 * Access-Control-Request-Headers (NULL when absent), echoed when allow_headers is * with
 * credentials (where a browser takes * literally). out is filled (n 0 when the origin is
 * not allowed and the answer does not vary with it). */
void fg_cors_preflight(const struct fg_cors *c, const char *origin, const char *request_method,
                       const char *request_headers, struct fg_cors_headers *out);

/* The headers added to any other answer of a route under c, for origin (NULL: none, and
 * nothing is added: API Gateway adds CORS headers only to requests with an Origin). */
void fg_cors_actual(const struct fg_cors *c, const char *origin, struct fg_cors_headers *out);

/* Whether a header a function answered is one the policy replaces (Access-Control-*). */
bool fg_cors_header_is_cors(const char *name);

#endif
