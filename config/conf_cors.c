/* SPDX-License-Identifier: MIT */
/* conf_cors.c - the `cors` key (see conf_cors.h).
 *
 * DESIGN: the lists are read by one custom parser per kind of item, each a check over the
 * same list reader, so every item gets its own file:line:col. The shorthand's defaults are
 * the Serverless Framework's (lib/plugins/aws/package/compile/events/http-api.js): origin *,
 * its seven request headers, and the covered routes' methods, which only the route table
 * knows: they are left empty here and filled by the gateway (shorthand is set). */
#include "conf_cors.h"
#include "conf_walk.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "../core/http_header.h"

static const char *const conf_cors_default_headers[] = {
    "Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token",
    "X-Amz-User-Agent", "X-Amzn-Trace-Id",
};

static const char *const conf_cors_any[] = { "*" };

typedef const char *conf_cors_item_fn(struct fg_conf_parser *p, const char *item);

/* Reads a list of strings into *out, each passed through check (which returns NULL, or
 * why the item is refused). */
static int conf_cors_list(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                     struct fg_conf_pos kpos, struct fg_conf_strlist *out, conf_cors_item_fn *check)
{
    struct fy_node *item;
    const char **items = NULL;
    void *it = NULL;
    int rc = 0;

    out->n = 0;
    out->items = NULL;
    if (val && fy_node_is_sequence(val) && fy_node_sequence_item_count(val) > FG_CONF_CORS_MAX_ITEMS)
        return fg_conf_fail(p, kpos, "%s: at most %d items", k->name, FG_CONF_CORS_MAX_ITEMS);
    if (val && fy_node_is_sequence(val) &&
        !(out->items = items = fg_arena_alloc(&p->conf->arena,
                                              sizeof(*items) * ((size_t)fy_node_sequence_item_count(val) + 1))))
        return -ENOMEM;
    while ((item = fg_conf_list_next(p, val, kpos, k->name, "[a, b]", &it, &rc))) {
        struct fg_conf_pos pos = fg_conf_node_pos(item, kpos);
        const char *s, *why;
        if ((rc = fg_conf_string(p, item, pos, k->name, &s)) < 0)
            return rc;
        if (strlen(s) > FG_CONF_CORS_MAX_ITEM_BYTES)
            return fg_conf_fail(p, pos, "%s: an item is longer than %d bytes", k->name, FG_CONF_CORS_MAX_ITEM_BYTES);
        if ((why = check(p, s)))
            return fg_conf_fail(p, pos, "%s: '%s' %s", k->name, s, why);
        items[out->n++] = s;
    }
    return rc;
}

static const char *conf_cors_check_header(struct fg_conf_parser *p, const char *s)
{
    (void)p;
    return !strcmp(s, "*") || fg_http_token_ok(s) ? NULL : "is not a header name (an HTTP token) or *";
}

/* Methods are compared upper case, as requests send them: the item is upper-cased in place
 * (it lives in the arena). */
static const char *conf_cors_check_method(struct fg_conf_parser *p, const char *s)
{
    (void)p;
    if (!strcmp(s, "*"))
        return NULL;
    if (!fg_http_token_ok(s))
        return "is not a method (an HTTP token) or *";
    for (char *c = (char *)s; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return NULL;
}

/* "*", or scheme://host[:port] with at most one '*' in the host part (any run of characters). */
static const char *conf_cors_check_origin(struct fg_conf_parser *p, const char *s)
{
    const char *sep = strstr(s, "://"), *c;
    int stars = 0;

    (void)p;
    if (!strcmp(s, "*"))
        return NULL;
    if (!sep || sep == s)
        return "is not an origin: write *, or scheme://host[:port] such as https://app.example.com";
    for (c = s; c < sep; c++)
        if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
            return "has a scheme that is not one";
    if (!sep[3])
        return "has no host";
    for (c = sep + 3; *c; c++) {
        if (*c == '*')
            stars++;
        else if (*c == '/' || *c == ',' || (unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return "is not an origin: no path, commas or spaces (scheme://host[:port])";
    }
    return stars > 1 ? "has more than one *" : NULL;
}

static int conf_cors_parse_origins(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    return conf_cors_list(p, k, val, kpos, field, conf_cors_check_origin);
}

static int conf_cors_parse_methods(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    return conf_cors_list(p, k, val, kpos, field, conf_cors_check_method);
}

static int conf_cors_parse_headers(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    return conf_cors_list(p, k, val, kpos, field, conf_cors_check_header);
}

const struct fg_conf_key fg_conf_cors_keys[] = {
    { .name = "allow_origins", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_cors, allow_origins),
      .parse = conf_cors_parse_origins },
    { .name = "allow_methods", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_cors, allow_methods),
      .parse = conf_cors_parse_methods },
    { .name = "allow_headers", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_cors, allow_headers),
      .parse = conf_cors_parse_headers },
    { .name = "expose_headers", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_cors, expose_headers),
      .parse = conf_cors_parse_headers },
    { .name = "max_age", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_cors, max_age_s), .min = -1, .max = 86400 },
    { .name = "allow_credentials", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_cors, allow_credentials) },
    FG_CONF_KEY_END,
};

/* API Gateway refuses credentials with the origin *: a browser would refuse the answer. */
int fg_conf_cors_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field)
{
    const struct fg_conf_cors *c = field;

    (void)k;
    if (!c->allow_credentials)
        return 0;
    for (size_t i = 0; i < c->allow_origins.n; i++)
        if (!strcmp(c->allow_origins.items[i], "*"))
            return fg_conf_fail(p, fg_conf_value_pos(val, "allow_credentials", kpos),
                                "cors: allow_credentials cannot be true when allow_origins has *: list the origins "
                                "(a browser refuses credentials with Access-Control-Allow-Origin: *)");
    return 0;
}

int fg_conf_parse_cors(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_cors *c = field;
    const char *s;
    int rc;

    memset(c, 0, sizeof(*c));
    c->max_age_s = FG_CONF_CORS_NO_MAX_AGE;
    c->pos = kpos;
    if (val && fy_node_is_mapping(val)) {
        c->mode = FG_CONF_CORS_ON;
        if ((rc = fg_conf_walk(p, val, kpos, k->name, fg_conf_cors_keys, c)) < 0)
            return rc;
        return fg_conf_cors_check(p, k, val, kpos, c);
    }
    if (val && !fy_node_is_null(val) && !fy_node_is_scalar(val))
        return fg_conf_fail(p, kpos, "%s: expected true, false or a mapping of allow_origins, allow_methods, ..., got %s",
                            k->name, fg_conf_node_kind(val));
    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    if (!strcmp(s, "false")) {
        c->mode = FG_CONF_CORS_OFF;
        return 0;
    }
    if (strcmp(s, "true"))
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: expected true, false or a mapping, got '%s'", k->name, s);
    c->mode = FG_CONF_CORS_ON;
    c->shorthand = true;
    c->allow_origins = (struct fg_conf_strlist){ conf_cors_any, 1 };
    c->allow_headers = (struct fg_conf_strlist){ conf_cors_default_headers,
                                                 sizeof(conf_cors_default_headers) / sizeof(conf_cors_default_headers[0]) };
    return 0;
}

const struct fg_conf_cors *fg_conf_cors_effective(const struct fg_conf_cors *route, const struct fg_conf_cors *gateway)
{
    const struct fg_conf_cors *c = route && route->mode != FG_CONF_CORS_UNSET ? route : gateway;
    return c && c->mode == FG_CONF_CORS_ON ? c : NULL;
}
