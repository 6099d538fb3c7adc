/* SPDX-License-Identifier: MIT */
/* route_auth.c - a route's `authorizer:` key (see route_auth.h). */
#include "route_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct fg_conf_key fg_route_auth_keys[] = {
    { .name = "name", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_route_auth, name) },
    { .name = "scopes", .type = FG_CONF_STRINGS, .offset = offsetof(struct fg_conf_route_auth, scopes), .max = 64 },
    FG_CONF_KEY_END,
};

int fg_route_auth_table_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_route_auth *a = field;
    a->pos = fg_conf_node_pos(val, kpos);
    if (!a->name)
        return fg_conf_fail(p, a->pos, "%s: 'name' is required ({name: NAME, scopes: [...]})", k->name);
    return 0;
}

int fg_route_auth_check(struct fg_conf_parser *p, const struct fg_config *conf, struct fg_conf_route_auth *a)
{
    char msg[512];
    const char *names[65];
    size_t n = 0;

    if (!a->name)
        return 0;
    if ((a->authorizer = fg_conf_authorizer(conf, a->name))) {
        if (a->scopes.n && a->authorizer->type != FG_AUTHORIZER_JWT)
            return fg_conf_fail(p, a->scopes.pos, "authorizer %s: scopes apply to jwt authorizers only", a->name);
        return 0;
    }
    for (size_t i = 0; i < conf->n_authorizers && n < 64; i++)
        names[n++] = conf->authorizers[i].name;
    names[n] = NULL;
    snprintf(msg, sizeof(msg), "authorizer: no authorizer named '%s' in gateway.authorizers", a->name);
    if (n)
        fg_conf_suggest(msg, sizeof(msg), a->name, names);
    return fg_conf_fail(p, a->pos, "%s", msg);
}
