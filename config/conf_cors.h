/* SPDX-License-Identifier: MIT */
/* conf_cors.h - `cors:` as API Gateway HTTP APIs configure it, as plain data.
 *
 * One key shape serves every place that takes CORS: `gateway.cors` (every route), a route's
 * own `cors:` on its `http` event, and a function URL's `url: {cors: ...}`. A value is
 * `true` (the Serverless Framework's shorthand: any origin, its default request headers,
 * the methods of the routes it covers), `false` (off: a route turns the API's off for
 * itself), or a mapping of HTTP API's CorsConfiguration keys in snake case, where a key
 * left out is a header not sent, as in API Gateway. Checked at load as API Gateway checks
 * it: methods and headers are HTTP tokens (or *), origins are * or scheme://host[:port]
 * with at most one * after the scheme, and allow_credentials cannot go with the origin *. The gateway
 * turns it into headers (gateway/cors.h). Tests: tests/unit/test_cors.c. */
#ifndef FG_CONF_CORS_H
#define FG_CONF_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf_key.h"

/* At most this many items in one list, and bytes in one item (API Gateway: 100, 1024). */
#define FG_CONF_CORS_MAX_ITEMS 100
#define FG_CONF_CORS_MAX_ITEM_BYTES 1024

enum fg_conf_cors_mode {
    FG_CONF_CORS_UNSET = 0,     /* not written: a route takes the gateway's */
    FG_CONF_CORS_OFF,           /* cors: false */
    FG_CONF_CORS_ON,
};

/* A list of strings in the configuration's arena. */
struct fg_conf_strlist {
    const char *const *items;
    size_t n;
};

struct fg_conf_cors {
    int mode;                               /* enum fg_conf_cors_mode */
    bool shorthand;                         /* cors: true: allow_methods come from the routes */
    struct fg_conf_strlist allow_origins;   /* "*", "https://app.example.com", or one with a * in the host */
    struct fg_conf_strlist allow_methods;   /* upper case, or "*" */
    struct fg_conf_strlist allow_headers;
    struct fg_conf_strlist expose_headers;
    int max_age_s;                          /* -1..86400; FG_CONF_CORS_NO_MAX_AGE: not sent */
    bool allow_credentials;
    struct fg_conf_pos pos;                 /* of the `cors` key */
};

#define FG_CONF_CORS_NO_MAX_AGE (-2)

/* The mapping's keys (allow_origins, allow_methods, allow_headers, expose_headers, max_age,
 * allow_credentials) filling a struct fg_conf_cors, and the rules across them. */
extern const struct fg_conf_key fg_conf_cors_keys[];
int fg_conf_cors_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* The `cors` key's parser (FG_CONF_CUSTOM filling a struct fg_conf_cors): true, false or a
 * mapping of fg_conf_cors_keys. Reuse it as one row of any table:
 *     { .name = "cors", .type = FG_CONF_CUSTOM, .offset = offsetof(struct x, cors),
 *       .parse = fg_conf_parse_cors },
 * 0 or -FG_ECONFIG with "file:line:col" at the offending value. */
int fg_conf_parse_cors(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* What applies to a route: its own when written (ON or OFF), else the gateway's. NULL when
 * CORS is off for it. Borrowed from the arguments. */
const struct fg_conf_cors *fg_conf_cors_effective(const struct fg_conf_cors *route, const struct fg_conf_cors *gateway);

#endif
