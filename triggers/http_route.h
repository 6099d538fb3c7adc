/* SPDX-License-Identifier: MIT */
/* http_route.h - the HTTP routes of fngate.yaml and how a request finds one.
 *
 * Templates as API Gateway HTTP APIs write them: literal segments, {param} for one segment,
 * a final {proxy+} for the rest of the path, method ANY, and the $default route. When several
 * routes match, the most specific wins segment by segment (literal > {param} > {greedy+}),
 * then a route with the exact method beats ANY, and $default comes last. A path that some
 * route matches with another method is a 405, not a 404. Built once at start-up, read-only
 * afterwards, safe to read from any thread. Tests: tests/unit/test_http_route.c. */
#ifndef FG_HTTP_ROUTE_H
#define FG_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"
#include "../core/err.h"
#include "route_auth.h"
#include "trigger.h"

#define FG_ROUTE_MAX_PARAMS 16

/* What event a route's function gets, and how its answer is read (`payload_format`). */
enum fg_payload_format {
    FG_PAYLOAD_FORMAT_2_0 = 0,   /* HTTP API's (triggers/apigw.h), the default */
    FG_PAYLOAD_FORMAT_1_0,       /* the REST API proxy event (triggers/apigw_v1.h) */
};

/* `- http: ...` (or httpApi): a route of the front door (ev->conf). */
struct fg_conf_http {
    const char *method;      /* upper case, or "ANY" */
    const char *path;        /* "/hello/{name}", "/files/{proxy+}", or "$default" */
    struct fg_conf_rate rate;
    struct fg_conf_cors cors;    /* the route's own `cors:`; UNSET: gateway.cors applies */
    int payload_format;          /* enum fg_payload_format */
    struct fg_conf_route_auth auth;  /* `authorizer:`; auth.name NULL when none */
    struct fg_conf_pos pos;  /* of the path */
};

/* The adapter: its events are served by the gateway's front door (no instance). */
extern const struct fg_trigger_ops fg_http_trigger;

struct fg_route_seg;

struct fg_route {
    const char *method;              /* "GET" ... or "ANY"; borrowed from the config */
    const char *path;                /* template as configured, or "$default" */
    const char *function;            /* function name */
    const struct fg_conf_rate *rate; /* the route's `rate:`; borrowed from the config */
    const struct fg_conf_http *conf; /* the route's event as configured; borrowed */
    const struct fg_conf_route_auth *auth;  /* its authorizer, or NULL; borrowed from the config */
    char route_key[600];             /* "GET /hello/{name}" or "$default" */
    struct fg_route_seg *segs;       /* owned by the table */
    size_t n_segs;
};

/* One matched parameter: name from the template, value a slice of the request path
 * (still percent-encoded). */
struct fg_route_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct fg_route_match {
    const struct fg_route *route;
    struct fg_route_param params[FG_ROUTE_MAX_PARAMS];
    size_t n_params;
};

struct fg_route_table {
    struct fg_route *routes;
    size_t n_routes;
};

enum fg_route_result {
    FG_ROUTE_FOUND = 0,
    FG_ROUTE_NOT_FOUND,
    FG_ROUTE_METHOD_NOT_ALLOWED,
};

/* Builds the table from every function's http events. Borrows conf for the table's life.
 * 0 or -ENOMEM. */
int fg_route_table_init(struct fg_route_table *t, const struct fg_config *conf, struct fg_err *err) FG_MUST_CHECK;
void fg_route_table_close(struct fg_route_table *t);

/* path is the raw request path (no query). m is filled when FG_ROUTE_FOUND; its slices
 * point into path. */
enum fg_route_result fg_route_find(const struct fg_route_table *t, const char *method,
                                   const char *path, struct fg_route_match *m);

/* Whether route r serves path (the raw request path, no query) with some method; $default
 * serves every path. */
bool fg_route_serves(const struct fg_route *r, const char *path);

#endif
