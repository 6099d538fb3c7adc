/* SPDX-License-Identifier: MIT */
/* route_auth.h - an HTTP route's `authorizer:` key: which of gateway.authorizers guards it
 * and, for a JWT authorizer, the scopes it requires.
 *
 *     - http: {path: /orders, method: GET, authorizer: users}
 *     - http: {path: /orders, method: POST, authorizer: {name: users, scopes: [orders:write]}}
 *
 * Plain data in the config's arena, parsed by the generic walker (a FG_CONF_TABLE row of
 * http_route.c's key table); the name is resolved once the whole file is read (the
 * gateway's authorizers may come after the functions). Tests: tests/unit/test_authorizer.c. */
#ifndef FG_ROUTE_AUTH_H
#define FG_ROUTE_AUTH_H

#include "../config/config.h"

struct fg_conf_route_auth {
    const char *name;                        /* NULL: the route has no authorizer */
    struct fg_conf_strings scopes;           /* n 0: none required */
    const struct fg_conf_authorizer *authorizer;  /* resolved by fg_route_auth_check */
    struct fg_conf_pos pos;                  /* of the value */
};

/* The key's table (a name is the short form) and its check (name required):
 *     { .name = "authorizer", .type = FG_CONF_TABLE, .offset = ..., .table = fg_route_auth_keys,
 *       .short_key = "name", .check = fg_route_auth_table_check } */
extern const struct fg_conf_key fg_route_auth_keys[];
int fg_route_auth_table_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;

/* Once the file is read: the name is an authorizer of conf (resolved into a->authorizer),
 * scopes only with a jwt one. 0 or -FG_ECONFIG at the key's position. */
int fg_route_auth_check(struct fg_conf_parser *p, const struct fg_config *conf,
                        struct fg_conf_route_auth *a) FG_MUST_CHECK;

#endif
