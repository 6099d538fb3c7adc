/* SPDX-License-Identifier: MIT */
/* http_route.c - route templates and matching (see http_route.h).
 *
 * DESIGN: a linear scan with a specificity score. Route counts are small (tens); a scan over
 * pre-split segments costs well under a microsecond and keeps the precedence rules in one
 * readable comparison. A trie is the upgrade if route counts grow into the thousands. */
#include "http_route.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Specificity is compared over the first segments only: 3^20 fits in 64 bits. */
#define ROUTE_SCORED_SEGS 20

enum route_seg_kind {
    ROUTE_LITERAL = 2,
    ROUTE_PARAM = 1,
    ROUTE_GREEDY = 0,
};

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
    for (size_t i = 0; i < conf->n_functions; i++)
        n += conf->functions[i].n_http;
    if (!(t->routes = calloc(n ? n : 1, sizeof(*t->routes))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < conf->n_functions; i++) {
        const struct fg_conf_function *fn = &conf->functions[i];
        for (size_t j = 0; j < fn->n_http; j++) {
            struct fg_route *r = &t->routes[t->n_routes++];
            r->method = fn->http[j].method;
            r->path = fn->http[j].path;
            r->function = fn->name;
            r->rate = &fn->http[j].rate;
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
