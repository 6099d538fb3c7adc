/* SPDX-License-Identifier: MIT */
/* http_route.c - route templates and matching (see http_route.h).
 *
 * DESIGN: a linear scan with a specificity score. Route counts are small (tens); a scan over
 * pre-split segments costs well under a microsecond and keeps the precedence rules in one
 * readable comparison. A trie is the upgrade if route counts grow into the thousands. */
#include "http_route.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trigger_console.h"

/* Specificity is compared over the first segments only: 3^20 fits in 64 bits. */
#define ROUTE_SCORED_SEGS 20

enum route_seg_kind {
    ROUTE_LITERAL = 2,
    ROUTE_PARAM = 1,
    ROUTE_GREEDY = 0,
};

static const struct fg_conf_event_type http_conf;

struct fg_route_seg {
    enum route_seg_kind kind;
    const char *text;        /* literal text, or the parameter name */
    size_t len;
};

static int route_split(struct fg_route *r)
{
    const char *s = r->path;
    size_t n = 0, cap = 8;

    r->segs = calloc(cap, sizeof(*r->segs));
    if (!r->segs)
        return -ENOMEM;
    while (*s == '/') {
        const char *seg = s + 1, *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        struct fg_route_seg *g;
        if (!len && !end)
            break;             /* trailing slash */
        if (n == cap) {
            struct fg_route_seg *p = realloc(r->segs, 2 * cap * sizeof(*p));
            if (!p)
                return -ENOMEM;
            r->segs = p;
            cap *= 2;
        }
        g = &r->segs[n++];
        if (len >= 3 && seg[0] == '{' && seg[len - 2] == '+') {
            g->kind = ROUTE_GREEDY;
            g->text = seg + 1;
            g->len = len - 3;
        } else if (len >= 2 && seg[0] == '{') {
            g->kind = ROUTE_PARAM;
            g->text = seg + 1;
            g->len = len - 2;
        } else {
            g->kind = ROUTE_LITERAL;
            g->text = seg;
            g->len = len;
        }
        s = seg + len;
    }
    r->n_segs = n;
    return 0;
}

int fg_route_table_init(struct fg_route_table *t, const struct fg_config *conf, struct fg_err *err)
{
    size_t n = 0;

    memset(t, 0, sizeof(*t));
    n = fg_conf_count_events(conf, &http_conf);
    if (!(t->routes = calloc(n ? n : 1, sizeof(*t->routes))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_events; j++) {
            const struct fg_conf_http *h = fn->events[j].conf;
            struct fg_route *r;
            if (fn->events[j].type != &http_conf)
                continue;
            r = &t->routes[t->n_routes++];
            r->method = h->method;
            r->path = h->path;
            r->function = fn->name;
            r->rate = &h->rate;
            r->conf = h;
            r->auth = h->auth.name ? &h->auth : NULL;
            if (!strcmp(r->path, "$default"))
                strcpy(r->route_key, "$default");
            else
                snprintf(r->route_key, sizeof(r->route_key), "%s %s", r->method, r->path);
            if (strcmp(r->path, "$default") && route_split(r) < 0) {
                fg_route_table_close(t);
                return fg_err_set(err, -ENOMEM, "out of memory");
            }
        }
    }
    return 0;
}

void fg_route_table_close(struct fg_route_table *t)
{
    for (size_t i = 0; i < t->n_routes; i++)
        free(t->routes[i].segs);
    free(t->routes);
    memset(t, 0, sizeof(*t));
}

/* Matches path against r; fills params; returns false on mismatch. score receives one digit
 * per segment (base 3) so comparing scores compares specificity left to right. */
static bool route_try(const struct fg_route *r, const char *path, struct fg_route_match *m,
                      unsigned long long *score)
{
    const char *s = path;
    size_t np = 0;

    *score = 0;
    for (size_t i = 0; i < r->n_segs; i++) {
        const struct fg_route_seg *g = &r->segs[i];
        const char *seg, *end;
        size_t len;
        if (*s != '/')
            return false;
        seg = s + 1;
        end = strchr(seg, '/');
        len = end ? (size_t)(end - seg) : strlen(seg);
        if (i < ROUTE_SCORED_SEGS)
            *score = *score * 3 + (unsigned)g->kind;
        switch (g->kind) {
        case ROUTE_LITERAL:
            if (len != g->len || memcmp(seg, g->text, len))
                return false;
            break;
        case ROUTE_PARAM:
            if (!len || np == FG_ROUTE_MAX_PARAMS)
                return false;
            m->params[np++] = (struct fg_route_param){ g->text, g->len, seg, len };
            break;
        case ROUTE_GREEDY:
            len = strlen(seg);
            if (!len || np == FG_ROUTE_MAX_PARAMS)
                return false;
            m->params[np++] = (struct fg_route_param){ g->text, g->len, seg, len };
            m->n_params = np;
            /* Fewer segments must not beat a longer, more literal route: pad the score. */
            for (size_t k = i + 1; k < ROUTE_SCORED_SEGS; k++)
                *score *= 3;
            return true;
        }
        s = seg + len;
    }
    /* Tolerate one trailing slash, as API Gateway does. */
    if (*s && strcmp(s, "/"))
        return false;
    m->n_params = np;
    for (size_t k = r->n_segs; k < ROUTE_SCORED_SEGS; k++)
        *score *= 3;
    return true;
}

enum fg_route_result fg_route_find(const struct fg_route_table *t, const char *method,
                                   const char *path, struct fg_route_match *m)
{
    const struct fg_route *best = NULL, *dflt = NULL;
    unsigned long long best_score = 0;
    bool best_exact = false, path_matched = false;
    struct fg_route_match tmp;

    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < t->n_routes; i++) {
        const struct fg_route *r = &t->routes[i];
        unsigned long long score;
        bool exact;
        if (!strcmp(r->path, "$default")) {
            dflt = r;
            continue;
        }
        if (!route_try(r, path, &tmp, &score))
            continue;
        path_matched = true;
        exact = !strcmp(r->method, method);
        if (!exact && strcmp(r->method, "ANY"))
            continue;
        if (!best || score > best_score || (score == best_score && exact && !best_exact)) {
            best = r;
            best_score = score;
            best_exact = exact;
            *m = tmp;
        }
    }
    if (best) {
        m->route = best;
        return FG_ROUTE_FOUND;
    }
    if (dflt) {
        m->route = dflt;
        m->n_params = 0;
        return FG_ROUTE_FOUND;
    }
    return path_matched ? FG_ROUTE_METHOD_NOT_ALLOWED : FG_ROUTE_NOT_FOUND;
}

bool fg_route_serves(const struct fg_route *r, const char *path)
{
    struct fg_route_match m;
    unsigned long long score;
    return !strcmp(r->path, "$default") || route_try(r, path, &m, &score);
}

/* ------------------------------------------------------------------ configuration */

static const char *const http_methods[] = {
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY", NULL,
};

/* "1.0" or "2.0", quoted or not (YAML's float 1.0 arrives as the text "1.0"). */
static int http_parse_payload_format(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                     struct fg_conf_pos kpos, void *field)
{
    const char *s;
    int rc;

    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    if (!strcmp(s, "2.0"))
        *(int *)field = FG_PAYLOAD_FORMAT_2_0;
    else if (!strcmp(s, "1.0"))
        *(int *)field = FG_PAYLOAD_FORMAT_1_0;
    else
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos),
                            "%s: '%s' is not a payload format version: \"1.0\" (the REST API proxy event) or \"2.0\" (HTTP API's, the default)",
                            k->name, s);
    return 0;
}

static const struct fg_conf_key http_keys[] = {
    { .name = "method", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_http, method) },
    { .name = "path", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_http, path) },
    { .name = "rate", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_conf_http, rate), .table = fg_conf_rate_keys,
      .check = fg_conf_rate_check },
    { .name = "cors", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_http, cors), .parse = fg_conf_parse_cors },
    { .name = "payload_format", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_http, payload_format),
      .parse = http_parse_payload_format },
    { .name = "authorizer", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_conf_http, auth), .table = fg_route_auth_keys,
      .short_key = "name", .check = fg_route_auth_table_check },
    FG_CONF_KEY_END,
};

/* A route path template, normalised (leading '/') into *out. */
static int http_check_path(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *path, const char **out)
{
    const char *s;
    char *norm;

    if (!strcmp(path, "$default") || !strcmp(path, "*")) {
        *out = "$default";
        return 0;
    }
    if (!(norm = (char *)fg_conf_printf(p, "%s%s", path[0] == '/' ? "" : "/", path)))
        return -ENOMEM;
    if (!strncmp(norm, "/_fngate/", 9) || !strcmp(norm, "/_fngate"))
        return fg_conf_fail(p, pos, "path '%s': /_fngate/ is reserved for fngate (function URLs: /_fngate/url/NAME/)", path);
    for (s = norm; *s;) {
        const char *seg = ++s, *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 && end)
            return fg_conf_fail(p, pos, "path '%s': empty segment", path);
        if (n && seg[0] == '{') {
            bool greedy = n > 2 && seg[n - 2] == '+';
            if (seg[n - 1] != '}' || n < 3 || (greedy && n < 4))
                return fg_conf_fail(p, pos, "path '%s': a parameter is written {name} or {name+}", path);
            for (size_t i = 1; i < n - 1 - greedy; i++)
                if (!isalnum((unsigned char)seg[i]) && seg[i] != '_' && seg[i] != '-' && seg[i] != '.')
                    return fg_conf_fail(p, pos, "path '%s': bad character '%c' in parameter name", path, seg[i]);
            if (greedy && end)
                return fg_conf_fail(p, pos, "path '%s': a greedy {%.*s} must be the last segment", path, (int)(n - 2), seg + 1);
        } else {
            for (size_t i = 0; i < n; i++)
                if (seg[i] == '{' || seg[i] == '}' || seg[i] == '?' || seg[i] == '#')
                    return fg_conf_fail(p, pos, "path '%s': '%c' may only appear as a whole {param} segment", path, seg[i]);
        }
        s = end ? end : seg + n;
    }
    *out = norm;
    return 0;
}

/* The method upper-cased, "*" as ANY; NULL when it is none of http_methods. */
static const char *http_method(const char *m)
{
    char up[16];
    size_t n = strlen(m);
    if (!strcmp(m, "*"))
        return "ANY";
    for (size_t i = 0; i <= n && i < sizeof(up); i++)
        up[i] = (char)toupper((unsigned char)m[i]);
    up[sizeof(up) - 1] = '\0';
    for (size_t i = 0; http_methods[i]; i++)
        if (!strcmp(http_methods[i], up))
            return http_methods[i];
    return NULL;
}

static void http_conf_defaults(void *obj)
{
    ((struct fg_conf_http *)obj)->method = "ANY";
}

/* The short form "GET /hello/{name}" or "/hello" arrives as the path; the mapping form as
 * method and path. Errors about the route point at its path. */
static int http_conf_check(struct fg_conf_parser *p, struct fg_conf_event *ev, struct fy_node *val)
{
    struct fg_conf_http *h = ev->conf;
    const char *method;
    char msg[256];

    if (!h->path)
        return fg_conf_fail(p, ev->pos, "http: 'path' is required");
    h->pos = fg_conf_value_pos(val, "path", ev->pos);
    if (fg_conf_is_scalar(val)) {
        const char *sp = strchr(h->path, ' ');
        if (sp) {
            if (!(h->method = fg_conf_printf(p, "%.*s", (int)(sp - h->path), h->path)))
                return -ENOMEM;
            while (*sp == ' ')
                sp++;
            h->path = sp;
        } else if (http_method(h->path) && strcmp(h->path, "*")) {
            return fg_conf_fail(p, h->pos, "http: '%s' is a method without a path; write '%s /path'", h->path, h->path);
        }
    }
    if (!(method = http_method(h->method))) {
        snprintf(msg, sizeof(msg), "http: unknown method '%s'", h->method);
        fg_conf_suggest(msg, sizeof(msg), h->method, http_methods);
        return fg_conf_fail(p, h->pos, "%s", msg);
    }
    h->method = method;
    return http_check_path(p, h->pos, h->path, &h->path);
}

/* "/a/{x}/b" and "/a/{y}/b" are the same route: compare with parameter names removed. */
static void http_route_shape(const char *path, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *s = path; *s && o + 3 < outsz; s++) {
        if (*s == '{') {
            const char *e = strchr(s, '}');
            bool greedy = e && e > s && e[-1] == '+';
            out[o++] = '{';
            if (greedy)
                out[o++] = '+';
            out[o++] = '}';
            s = e ? e : s + strlen(s) - 1;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

/* The same method and path shape twice, across all functions, is an error. */
static int http_conf_check_all(struct fg_conf_parser *p, struct fg_config *conf)
{
    const struct fg_conf_http **all;
    const struct fg_conf_function **owner;
    size_t n = fg_conf_count_events(conf, &http_conf), k = 0;
    char sa[512], sb[512];
    int rc = 0;

    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++)
            if (conf->functions[i].events[j].type == &http_conf &&
                (rc = fg_route_auth_check(p, conf, &((struct fg_conf_http *)conf->functions[i].events[j].conf)->auth)) < 0)
                return rc;
    if (n < 2)
        return 0;
    all = malloc(n * sizeof(*all));
    owner = malloc(n * sizeof(*owner));
    if (!all || !owner) {
        free(all);
        free(owner);
        return -ENOMEM;
    }
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++)
            if (conf->functions[i].events[j].type == &http_conf) {
                owner[k] = &conf->functions[i];
                all[k++] = conf->functions[i].events[j].conf;
            }
    for (size_t a = 1; a < n && !rc; a++) {
        http_route_shape(all[a]->path, sa, sizeof(sa));
        for (size_t b = 0; b < a && !rc; b++) {
            http_route_shape(all[b]->path, sb, sizeof(sb));
            if (!strcmp(all[a]->method, all[b]->method) && !strcmp(sa, sb))
                rc = fg_conf_fail(p, all[a]->pos, "duplicate route %s %s (already defined at %s:%d:%d for function %s)",
                                  all[a]->method, all[a]->path, conf->path, all[b]->pos.line, all[b]->pos.col,
                                  owner[b]->name);
        }
    }
    free(all);
    free(owner);
    return rc;
}

static const struct fg_conf_event_type http_conf = {
    .kind = "http",
    .alias = "httpApi",
    .where = "http event",
    .size = sizeof(struct fg_conf_http),
    .keys = http_keys,
    .short_key = "path",
    .defaults = http_conf_defaults,
    .check = http_conf_check,
    .check_all = http_conf_check_all,
};

/* {"type":"http","method","path","routeKey"}: routeKey as API Gateway writes it. */
static int http_console(struct fg_trigger *t, const struct fg_conf_event *ev, struct fg_buf *out)
{
    const struct fg_conf_http *h = ev->conf;
    char key[4200];
    (void)t;
    if (!strcmp(h->path, "$default"))
        snprintf(key, sizeof(key), "$default");
    else
        snprintf(key, sizeof(key), "%s %s", h->method, h->path);
    return fg_trigger_console_object(out, "http", (const char *const[]){ "method", h->method, "path", h->path,
                                                                         "routeKey", key, NULL });
}

const struct fg_trigger_ops fg_http_trigger = {
    .name = "http",
    .conf = &http_conf,
    .console = http_console,
};
