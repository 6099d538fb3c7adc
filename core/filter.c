/* SPDX-License-Identifier: MIT */
/* filter.c - pattern checking and matching (see filter.h). Patterns stay jansson trees:
 * they are small, checked once, and walked alongside the event. */
#include "filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fg_filter {
    json_t *patterns[FG_FILTER_MAX_PATTERNS];
    size_t n;
};

/* ------------------------------------------------------------------ checking */

static bool filter_is_literal(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v);
}

static int filter_check_numeric(const json_t *a, struct fg_err *err, size_t i)
{
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n == 0 || n % 2)
        return fg_err_set(err, -EINVAL, "pattern %zu: numeric takes operator/number pairs, e.g. [\">\", 1, \"<=\", 5]", i);
    for (size_t k = 0; k < n; k += 2) {
        const char *op = json_string_value(json_array_get(a, k));
        if (!op || (strcmp(op, "=") && strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, ">") && strcmp(op, ">=")) ||
            !json_is_number(json_array_get(a, k + 1)))
            return fg_err_set(err, -EINVAL, "pattern %zu: numeric operators are = < <= > >=, each followed by a number", i);
    }
    return 0;
}

static int filter_check_matcher(const json_t *m, struct fg_err *err, size_t i)
{
    const char *k;
    json_t *v;
    if (filter_is_literal(m))
        return 0;
    if (!json_is_object(m) || json_object_size(m) != 1)
        return fg_err_set(err, -EINVAL, "pattern %zu: a leaf lists literals or one-key matchers like {\"prefix\": \"p\"}", i);
    json_object_foreach((json_t *)m, k, v) {
        if (!strcmp(k, "prefix") || !strcmp(k, "suffix")) {
            if (!json_is_string(v))
                return fg_err_set(err, -EINVAL, "pattern %zu: %s takes a string", i, k);
        } else if (!strcmp(k, "exists")) {
            if (!json_is_boolean(v))
                return fg_err_set(err, -EINVAL, "pattern %zu: exists takes true or false", i);
        } else if (!strcmp(k, "numeric")) {
            return filter_check_numeric(v, err, i);
        } else if (!strcmp(k, "anything-but")) {
            size_t j;
            json_t *x;
            if (json_is_array(v)) {
                json_array_foreach(v, j, x)
                    if (!filter_is_literal(x))
                        return fg_err_set(err, -EINVAL, "pattern %zu: anything-but lists literals", i);
            } else if (json_is_object(v)) {
                if (json_object_size(v) != 1 || !json_is_string(json_object_get(v, "prefix")))
                    return fg_err_set(err, -EINVAL, "pattern %zu: anything-but takes literals or {\"prefix\": \"p\"}", i);
            } else if (!filter_is_literal(v)) {
                return fg_err_set(err, -EINVAL, "pattern %zu: anything-but takes literals or {\"prefix\": \"p\"}", i);
            }
        } else {
            return fg_err_set(err, -EINVAL, "pattern %zu: unknown matcher '%s' (prefix, suffix, anything-but, numeric, exists)", i, k);
        }
    }
    return 0;
}

static int filter_check(const json_t *p, struct fg_err *err, size_t i, int depth)
{
    const char *k;
    json_t *v;
    if (depth > 32)
        return fg_err_set(err, -EINVAL, "pattern %zu: nested too deep", i);
    if (!json_is_object(p) || !json_object_size(p))
        return fg_err_set(err, -EINVAL, "pattern %zu: a pattern is a non-empty JSON object", i);
    json_object_foreach((json_t *)p, k, v) {
        size_t j;
        json_t *m;
        int rc;
        if (json_is_object(v)) {
            if ((rc = filter_check(v, err, i, depth + 1)) < 0)
                return rc;
        } else if (json_is_array(v) && json_array_size(v)) {
            json_array_foreach(v, j, m)
                if ((rc = filter_check_matcher(m, err, i)) < 0)
                    return rc;
        } else {
            return fg_err_set(err, -EINVAL, "pattern %zu: '%s' must be an object or a non-empty list", i, k);
        }
    }
    return 0;
}

int fg_filter_compile(const char *const *patterns, size_t n, struct fg_filter **out, struct fg_err *err)
{
    struct fg_filter *f;
    int rc;

    *out = NULL;
    if (n == 0 || n > FG_FILTER_MAX_PATTERNS)
        return fg_err_set(err, -EINVAL, "filter_criteria: 1 to %d patterns", FG_FILTER_MAX_PATTERNS);
    if (!(f = calloc(1, sizeof(*f))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_error_t je;
        if (!(f->patterns[i] = json_loads(patterns[i], 0, &je))) {
            fg_filter_free(f);
            return fg_err_set(err, -EINVAL, "pattern %zu is not JSON: %s", i + 1, je.text);
        }
        f->n++;
        if ((rc = filter_check(f->patterns[i], err, i + 1, 0)) < 0) {
            fg_filter_free(f);
            return rc;
        }
    }
    *out = f;
    return 0;
}

void fg_filter_free(struct fg_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        json_decref(f->patterns[i]);
    free(f);
}

/* ------------------------------------------------------------------ matching */

static bool filter_literal_eq(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static bool filter_numeric(const json_t *ops, const json_t *v)
{
    double x;
    if (!json_is_number(v))
        return false;
    x = json_number_value(v);
    for (size_t k = 0; k + 1 < json_array_size(ops); k += 2) {
        const char *op = json_string_value(json_array_get(ops, k));
        double y = json_number_value(json_array_get(ops, k + 1));
        bool ok = !strcmp(op, "=") ? x == y : !strcmp(op, "<") ? x < y : !strcmp(op, "<=") ? x <= y
                : !strcmp(op, ">") ? x > y : x >= y;
        if (!ok)
            return false;
    }
    return true;
}

static bool filter_starts(const char *s, const char *p)
{
    return s && !strncmp(s, p, strlen(p));
}

/* One matcher against one scalar value (v non-NULL, not an array). */
static bool filter_matcher(const json_t *m, const json_t *v)
{
    const char *k;
    json_t *arg;
    if (filter_is_literal(m))
        return filter_literal_eq(m, v);
    json_object_foreach((json_t *)m, k, arg) {
        if (!strcmp(k, "prefix"))
            return filter_starts(json_string_value(v), json_string_value(arg));
        if (!strcmp(k, "suffix")) {
            const char *s = json_string_value(v), *x = json_string_value(arg);
            return s && strlen(s) >= strlen(x) && !strcmp(s + strlen(s) - strlen(x), x);
        }
        if (!strcmp(k, "numeric"))
            return filter_numeric(arg, v);
        if (!strcmp(k, "anything-but")) {
            size_t j;
            json_t *x;
            if (json_is_object(arg))
                return json_is_string(v) && !filter_starts(json_string_value(v), json_string_value(json_object_get(arg, "prefix")));
            if (json_is_array(arg)) {
                json_array_foreach(arg, j, x)
                    if (filter_literal_eq(x, v))
                        return false;
                return true;
            }
            return !filter_literal_eq(arg, v);
        }
    }
    return false;
}

/* A leaf: the list of matchers against the event's value (NULL when the key is absent). */
static bool filter_leaf(const json_t *list, const json_t *v)
{
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        json_t *ex = json_is_object(m) ? json_object_get(m, "exists") : NULL;
        if (ex) {
            if (json_is_true(ex) == (v != NULL))
                return true;
            continue;
        }
        if (!v)
            continue;
        if (json_is_array(v)) {
            size_t j;
            json_t *e;
            json_array_foreach(v, j, e)
                if (filter_matcher(m, e))
                    return true;
        } else if (filter_matcher(m, v)) {
            return true;
        }
    }
    return false;
}

static bool filter_object(const json_t *p, const json_t *ev)
{
    const char *k;
    json_t *want;
    json_object_foreach((json_t *)p, k, want) {
        json_t *v = json_is_object(ev) ? json_object_get(ev, k) : NULL;
        if (json_is_object(want)) {
            if (!v || !filter_object(want, v))
                return false;
        } else if (!filter_leaf(want, v)) {
            return false;
        }
    }
    return true;
}

bool fg_filter_match(const struct fg_filter *f, const json_t *event)
{
    for (size_t i = 0; i < f->n; i++)
        if (filter_object(f->patterns[i], event))
            return true;
    return false;
}
