/* SPDX-License-Identifier: MIT */
/* conf_authorizer.c - `gateway.authorizers` (struct fg_conf_authorizer in config.h): the
 * JWT and Lambda (REQUEST) authorizers routes name, as API Gateway HTTP APIs define them
 * once per API and the Serverless Framework's `provider.httpApi.authorizers` writes them.
 *
 *     gateway:
 *       authorizers:
 *         users: {type: jwt, issuer: https://id.example.com, audience: [api],
 *                 jwks: https://id.example.com/.well-known/jwks.json}
 *         custom: {type: request, function: Auth, ttl: 300,
 *                  identity_source: [$request.header.Authorization]}
 *
 * DESIGN: plain data. Identity sources are parsed here (header or query string; AWS's
 * $context and $stageVariables sources have nothing to read in fngate and are refused by
 * name); a JWKS file must be readable at load so a typo fails with its position, and is
 * parsed by the gateway (gateway/jwks.c), which config/ does not include. A request
 * authorizer's function is checked once every function is read. AWS's rules: a JWT
 * authorizer has one identity source, an issuer and at least one audience; a request
 * authorizer that caches (ttl > 0) needs identity sources, the cache's key.
 * Tests: tests/unit/test_config.c. */
#include "config.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_walk.h"

#define CONF_AUTHORIZERS_MAX 64

static const char *const conf_authorizer_types[] = { "jwt", "request", NULL };

static const struct fg_conf_key conf_authorizer_keys[] = {
    { .name = "type", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_authorizer, type),
      .names = conf_authorizer_types },
    { .name = "identity_source", .type = FG_CONF_STRINGS, .offset = offsetof(struct fg_conf_authorizer, identity_source),
      .max = 8 },
    { .name = "issuer", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_authorizer, issuer) },
    { .name = "audience", .type = FG_CONF_STRINGS, .offset = offsetof(struct fg_conf_authorizer, audience), .max = 50 },
    { .name = "jwks", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_authorizer, jwks) },
    { .name = "function", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_authorizer, function) },
    { .name = "ttl", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_authorizer, ttl_s), .min = 0, .max = 3600 },
    { .name = "enable_simple_responses", .type = FG_CONF_BOOL,
      .offset = offsetof(struct fg_conf_authorizer, simple_responses) },
    FG_CONF_KEY_END,
};

/* "$request.header.NAME" / "$request.querystring.NAME" into id. */
static int conf_identity(struct fg_conf_parser *p, const char *who, const char *s, struct fg_conf_pos pos,
                         struct fg_conf_identity *id)
{
    static const struct { const char *prefix; enum fg_identity_where where; } forms[] = {
        { "$request.header.", FG_IDENTITY_HEADER },
        { "$request.querystring.", FG_IDENTITY_QUERY },
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t n = strlen(forms[i].prefix);
        if (strncmp(s, forms[i].prefix, n))
            continue;
        if (!s[n] || strpbrk(s + n, " \t\r\n:"))
            return fg_conf_fail(p, pos, "authorizer %s: identity_source '%s': expected a name after %s", who, s,
                                forms[i].prefix);
        id->where = forms[i].where;
        id->name = s + n;
        return 0;
    }
    if (!strncmp(s, "$context.", 9) || !strncmp(s, "$stageVariables.", 16))
        return fg_conf_fail(p, pos, "authorizer %s: identity_source '%s': fngate reads identity sources from the "
                            "request only ($request.header.NAME or $request.querystring.NAME)", who, s);
    return fg_conf_fail(p, pos, "authorizer %s: identity_source '%s': expected $request.header.NAME or "
                        "$request.querystring.NAME", who, s);
}

static int conf_authorizer_check(struct fg_conf_parser *p, struct fg_conf_authorizer *a, struct fy_node *val)
{
    struct fg_conf_pos pos = a->pos;
    int rc;

    if (a->type < 0)
        return fg_conf_fail(p, pos, "authorizer %s: 'type' is required (jwt or request)", a->name);
    if (a->type == FG_AUTHORIZER_JWT) {
        if (!a->identity_source.n) {      /* AWS's default for JWT */
            if (!(a->identity_source.items = fg_arena_alloc(&p->conf->arena, sizeof(char *))))
                return -ENOMEM;
            a->identity_source.items[0] = "$request.header.Authorization";
            a->identity_source.n = 1;
            a->identity_source.pos = pos;
        }
        if (a->identity_source.n != 1)
            return fg_conf_fail(p, a->identity_source.pos, "authorizer %s: a jwt authorizer takes one identity_source",
                                a->name);
        if (!a->issuer)
            return fg_conf_fail(p, pos, "authorizer %s: 'issuer' is required for type jwt", a->name);
        if (!a->audience.n)
            return fg_conf_fail(p, pos, "authorizer %s: 'audience' (one or more) is required for type jwt", a->name);
        if (!a->jwks)
            return fg_conf_fail(p, pos, "authorizer %s: 'jwks' (a key set file or an http(s):// URL) is required "
                                "for type jwt", a->name);
        if (a->function)
            return fg_conf_fail(p, fg_conf_value_pos(val, "function", pos), "authorizer %s: 'function' is for type "
                                "request", a->name);
        a->jwks_is_url = !strncmp(a->jwks, "https://", 8) || !strncmp(a->jwks, "http://", 7);
        if (!a->jwks_is_url) {
            if (!(a->jwks = fg_conf_abspath(p, a->jwks)))
                return -ENOMEM;
            if (access(a->jwks, R_OK) < 0)
                return fg_conf_fail(p, fg_conf_value_pos(val, "jwks", pos), "authorizer %s: jwks %s: %s", a->name,
                                    a->jwks, strerror(errno));
        }
    } else {
        if (!a->function)
            return fg_conf_fail(p, pos, "authorizer %s: 'function' is required for type request", a->name);
        if (a->issuer || a->audience.n || a->jwks)
            return fg_conf_fail(p, pos, "authorizer %s: issuer, audience and jwks are for type jwt", a->name);
        if (a->ttl_s > 0 && !a->identity_source.n)
            return fg_conf_fail(p, pos, "authorizer %s: caching (ttl %d s) needs identity_source, the cache's key "
                                "(or ttl: 0)", a->name, a->ttl_s);
        a->function_pos = fg_conf_value_pos(val, "function", pos);
    }
    if (a->identity_source.n &&
        !(a->identity = fg_arena_alloc(&p->conf->arena, sizeof(*a->identity) * a->identity_source.n)))
        return -ENOMEM;
    for (size_t i = 0; i < a->identity_source.n; i++)
        if ((rc = conf_identity(p, a->name, a->identity_source.items[i], a->identity_source.pos,
                                &a->identity[i])) < 0)
            return rc;
    return 0;
}

int fg_conf_parse_authorizers(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *map,
                              struct fg_conf_pos kpos, void *field)
{
    struct fg_config *conf = field;
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if ((rc = fg_conf_mapping(p, map, kpos, k->name, "a mapping of NAME: {type: jwt|request, ...}")) <= 0)
        return rc;
    if (fy_node_mapping_item_count(map) > CONF_AUTHORIZERS_MAX)
        return fg_conf_fail(p, kpos, "%s: at most %d", k->name, CONF_AUTHORIZERS_MAX);
    conf->authorizers = fg_arena_alloc(&conf->arena, sizeof(*conf->authorizers) * ((size_t)fy_node_mapping_item_count(map) + 1));
    if (!conf->authorizers)
        return -ENOMEM;
    conf->n_authorizers = 0;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fg_conf_authorizer *a = &conf->authorizers[conf->n_authorizers];
        struct fy_node *kn = fy_node_pair_key(pair), *val = fy_node_pair_value(pair);
        char where[128];
        memset(a, 0, sizeof(*a));
        a->pos = fg_conf_node_pos(kn, kpos);
        if ((rc = fg_conf_string(p, kn, a->pos, k->name, &a->name)) < 0)
            return rc;
        if (strlen(a->name) > 64 || strpbrk(a->name, " \t\r\n/"))
            return fg_conf_fail(p, a->pos, "authorizer name '%s': at most 64 characters, no spaces or '/'", a->name);
        a->type = -1;
        a->ttl_s = 300;
        snprintf(where, sizeof(where), "authorizer %s", a->name);
        if ((rc = fg_conf_walk(p, val, a->pos, where, conf_authorizer_keys, a)) < 0 ||
            (rc = conf_authorizer_check(p, a, val)) < 0)
            return rc;
        conf->n_authorizers++;
    }
    return 0;
}

int fg_conf_check_authorizers(struct fg_conf_parser *p)
{
    for (size_t i = 0; i < p->conf->n_authorizers; i++) {
        const struct fg_conf_authorizer *a = &p->conf->authorizers[i];
        if (a->type == FG_AUTHORIZER_REQUEST && !fg_conf_function(p->conf, a->function))
            return fg_conf_fail(p, a->function_pos, "authorizer %s: no function named '%s'", a->name, a->function);
    }
    return 0;
}

const struct fg_conf_authorizer *fg_conf_authorizer(const struct fg_config *conf, const char *name)
{
    for (size_t i = 0; i < conf->n_authorizers; i++)
        if (!strcmp(conf->authorizers[i].name, name))
            return &conf->authorizers[i];
    return NULL;
}
