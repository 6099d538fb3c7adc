/* SPDX-License-Identifier: MIT */
/* filter.c - compiling and matching filter patterns (see filter.h for the grammar).
 *
 * DESIGN: a pattern is checked once and compiled into a small tree: one node per key, a
 * nested object's node holding its keys, a leaf's node holding its rules (one per list
 * entry) with operands already decoded (numeric bounds as doubles, strings with their
 * lengths). Strings and literals stay borrowed from the parsed pattern, which the filter
 * keeps. Matching walks that tree alongside the event and never allocates.
 *
 * Where AWS's documentation is silent, fngate follows event-ruler (the open-source matcher
 * behind EventBridge) and says so here:
 * - a literal number matches by value (5 matches 5.0): event-ruler adds a numeric-equals
 *   matcher for every literal number, although AWS's pages still say 300 and 300.0 differ;
 * - anything-but matches a value of any other type (anything-but "x" matches 5 and null);
 * - exists and the empty list: a field whose value is [] or an object has no value;
 * - a nested pattern against a list of objects needs one element to match it whole, so
 *   keys matched in different elements never combine (event-ruler's array consistency);
 * - equals-ignore-case folds ASCII letters only (other characters compare as bytes);
 * - numeric compares doubles: bounds are limited to +-5e9, event values are not.
 * Sections: types, compiling, matching, API. */
#include "filter.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ types */

enum filter_op {
    FILTER_EQUALS = 1,          /* value: a literal (string, number, true, false, null) */
    FILTER_EQUALS_IGNORE_CASE,  /* str */
    FILTER_PREFIX,              /* str */
    FILTER_SUFFIX,              /* str */
    FILTER_ANYTHING_BUT,        /* value: a literal, or a list of strings or of numbers */
    FILTER_NUMERIC,             /* lo..hi */
    FILTER_EXISTS,              /* exists */
};

/* One entry of a leaf's list. */
struct filter_rule {
    enum filter_op op;
    const json_t *value;        /* EQUALS, ANYTHING_BUT: borrowed from the pattern */
    const char *str;            /* EQUALS_IGNORE_CASE, PREFIX, SUFFIX: borrowed */
    size_t len;                 /* bytes of str */
    double lo, hi;              /* NUMERIC: -INFINITY / INFINITY when unbounded */
    bool lo_incl, hi_incl;      /* NUMERIC: >= rather than >, <= rather than < */
    bool exists;                /* EXISTS */
};

/* One key of a pattern object: a nested pattern (kids) or a leaf (rules), never both. */
struct filter_node {
    const char *key;            /* borrowed from the pattern; NULL for a pattern's root */
    struct filter_node *kids;   /* n_kids keys, every one must match */
    size_t n_kids;
    struct filter_rule *rules;  /* n_rules entries, any one may match */
    size_t n_rules;
};

struct fg_filter {
    json_t *patterns[FG_FILTER_MAX_PATTERNS];   /* owned: what the nodes borrow from */
    struct filter_node roots[FG_FILTER_MAX_PATTERNS];
    size_t n;
};

/* Where compiling is: pattern number (from 1) and the path inside it, for messages. */
struct filter_where {
    size_t pattern;
    char path[256];             /* body.price[0]; "" at the root */
};

#define FILTER_MAX_DEPTH 32

/* ------------------------------------------------------------------ compiling */

static int filter_fail(const struct filter_where *w, struct fg_err *err, const char *fmt, ...) FG_PRINTF(3, 4);

/* -EINVAL with "pattern N at PATH: " and the formatted reason. */
static int filter_fail(const struct filter_where *w, struct fg_err *err, const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (w->path[0])
        return fg_err_set(err, -EINVAL, "pattern %zu at %s: %s", w->pattern, w->path, why);
    return fg_err_set(err, -EINVAL, "pattern %zu: %s", w->pattern, why);
}

static const char *filter_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return json_array_size(v) ? "a list" : "an empty list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_NULL: return "null";
    default: return "a boolean";
    }
}

static bool filter_is_literal(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v);
}

/* The key of an object with exactly one key, else NULL. */
static const char *filter_only_key(const json_t *o)
{
    return json_is_object(o) && json_object_size(o) == 1 ? json_object_iter_key(json_object_iter((json_t *)o)) : NULL;
}

static const char filter_not_lambda[] = "is an EventBridge operator, not in Lambda's filters";

/* A string operand (prefix, suffix, equals-ignore-case). */
static int filter_compile_str(const char *op, const json_t *v, struct filter_rule *r, const struct filter_where *w,
                              struct fg_err *err)
{
    const char *inner = filter_only_key(v);
    if (inner && !strcmp(inner, "equals-ignore-case") && strcmp(op, inner))
        return filter_fail(w, err, "%s with %s %s", op, inner, filter_not_lambda);
    if (!json_is_string(v))
        return filter_fail(w, err, "%s takes a string, got %s", op, filter_kind(v));
    r->str = json_string_value(v);
    r->len = json_string_length(v);
    return 0;
}

/* {"anything-but": "x" | 5 | ["x", "y"] | [1, 2]}. */
static int filter_compile_anything_but(const json_t *v, struct filter_rule *r, const struct filter_where *w,
                                       struct fg_err *err)
{
    static const char usage[] = "anything-but takes a string, a number, or a non-empty list of strings or of numbers";
    const char *inner = filter_only_key(v);
    size_t i, strings = 0;
    json_t *x;

    if (inner && (!strcmp(inner, "prefix") || !strcmp(inner, "suffix") || !strcmp(inner, "equals-ignore-case") ||
                  !strcmp(inner, "wildcard")))
        return filter_fail(w, err, "anything-but with %s %s", inner, filter_not_lambda);
    if (json_is_string(v) || json_is_number(v)) {
        r->value = v;
        return 0;
    }
    if (!json_is_array(v) || !json_array_size(v))
        return filter_fail(w, err, "%s, got %s", usage, filter_kind(v));
    json_array_foreach(v, i, x) {
        if (!json_is_string(x) && !json_is_number(x))
            return filter_fail(w, err, "%s, got %s in the list", usage, filter_kind(x));
        strings += json_is_string(x);
    }
    if (strings && strings != json_array_size(v))
        return filter_fail(w, err, "anything-but lists strings only or numbers only, not both");
    r->value = v;
    return 0;
}

/* {"numeric": ["=", n]}, [">"|">=", n], ["<"|"<=", n] or [">"|">=", n, "<"|"<=", m]. */
static int filter_compile_numeric(const json_t *v, struct filter_rule *r, const struct filter_where *w,
                                  struct fg_err *err)
{
    static const char shape[] = "numeric takes [\"=\", n], a lower bound [\">\" or \">=\", n], an upper bound "
                                "[\"<\" or \"<=\", n], or both, lower first: [\">\", 0, \"<=\", 5]";
    size_t n = json_array_size(v);
    bool have_lower = false, have_upper = false;

    r->lo = -INFINITY;
    r->hi = INFINITY;
    if (!json_is_array(v) || n == 0 || n % 2 || n > 4)
        return filter_fail(w, err, "%s", shape);
    for (size_t k = 0; k < n; k += 2) {
        const char *op = json_string_value(json_array_get(v, k));
        const json_t *num = json_array_get(v, k + 1);
        double x;
        if (!op)
            return filter_fail(w, err, "numeric operator not a string: the operators are = < <= > >=");
        if (strcmp(op, "=") && strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, ">") && strcmp(op, ">="))
            return filter_fail(w, err, "numeric operator '%.20s': the operators are = < <= > >=", op);
        if (!json_is_number(num))
            return filter_fail(w, err, "numeric '%s' takes a number, got %s", op, filter_kind(num));
        x = json_number_value(num);
        if (fabs(x) > FG_FILTER_NUMERIC_LIMIT)
            return filter_fail(w, err, "numeric %.15g is outside -5e9..5e9, the range Lambda compares", x);
        if (op[0] == '=') {
            if (n != 2)
                return filter_fail(w, err, "%s", shape);
            r->lo = r->hi = x;
            r->lo_incl = r->hi_incl = true;
        } else if (op[0] == '>') {
            if (k != 0)
                return filter_fail(w, err, "%s", shape);
            r->lo = x;
            r->lo_incl = op[1] == '=';
            have_lower = true;
        } else {
            if (k != 0 && !have_lower)
                return filter_fail(w, err, "%s", shape);
            r->hi = x;
            r->hi_incl = op[1] == '=';
            have_upper = true;
        }
    }
    if (have_lower && have_upper && !(r->lo < r->hi))
        return filter_fail(w, err, "numeric range: the lower bound must be below the upper bound");
    return 0;
}

/* One entry of a leaf's list: a literal, or an object with one operator. */
static int filter_compile_rule(const json_t *m, struct filter_rule *r, const struct filter_where *w,
                               struct fg_err *err)
{
    const char *op = filter_only_key(m);
    const json_t *v;

    if (filter_is_literal(m)) {
        r->op = FILTER_EQUALS;
        r->value = m;
        return 0;
    }
    if (!op)
        return filter_fail(w, err, json_is_object(m) ? "an operator is an object with exactly one key, e.g. {\"prefix\": \"p\"}"
                                                     : "a list entry is a string, a number, true, false, null or an "
                                                       "operator object, got a list");
    v = json_object_get(m, op);
    if (!strcmp(op, "prefix") || !strcmp(op, "suffix") || !strcmp(op, "equals-ignore-case")) {
        r->op = op[0] == 'p' ? FILTER_PREFIX : op[0] == 's' ? FILTER_SUFFIX : FILTER_EQUALS_IGNORE_CASE;
        return filter_compile_str(op, v, r, w, err);
    }
    if (!strcmp(op, "anything-but")) {
        r->op = FILTER_ANYTHING_BUT;
        return filter_compile_anything_but(v, r, w, err);
    }
    if (!strcmp(op, "numeric")) {
        r->op = FILTER_NUMERIC;
        return filter_compile_numeric(v, r, w, err);
    }
    if (!strcmp(op, "exists")) {
        if (!json_is_boolean(v))
            return filter_fail(w, err, "exists takes true or false, got %s", filter_kind(v));
        r->op = FILTER_EXISTS;
        r->exists = json_is_true(v);
        return 0;
    }
    if (!strcmp(op, "wildcard") || !strcmp(op, "cidr"))
        return filter_fail(w, err, "%s %s", op, filter_not_lambda);
    return filter_fail(w, err, "unknown operator '%.60s' (Lambda's are equals-ignore-case, prefix, suffix, "
                               "anything-but, numeric and exists)", op);
}

static void filter_node_free(struct filter_node *n)
{
    for (size_t i = 0; i < n->n_kids; i++)
        filter_node_free(&n->kids[i]);
    free(n->kids);
    free(n->rules);
    n->kids = NULL;
    n->rules = NULL;
}

static int filter_compile_object(const json_t *p, struct filter_node *node, struct filter_where *w, int depth,
                                 struct fg_err *err);

/* The value of one key, which w->path names: a nested object or a leaf's list. */
static int filter_compile_key(const json_t *v, struct filter_node *node, struct filter_where *w, int depth,
                              struct fg_err *err)
{
    size_t i, len = strlen(w->path);
    json_t *m;
    int rc;

    if (json_is_object(v))
        return filter_compile_object(v, node, w, depth + 1, err);
    if (!json_is_array(v) || !json_array_size(v))
        return filter_fail(w, err, "a value is a non-empty list (e.g. [\"paid\"]) or a nested object, got %s",
                           filter_kind(v));
    if (!strcmp(node->key, "$or"))
        return filter_fail(w, err, "$or %s", filter_not_lambda);
    if (!(node->rules = calloc(json_array_size(v), sizeof(*node->rules))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    json_array_foreach(v, i, m) {
        snprintf(w->path + len, sizeof(w->path) - len, "[%zu]", i);
        if ((rc = filter_compile_rule(m, &node->rules[i], w, err)) < 0)
            return rc;
        node->n_rules++;
    }
    w->path[len] = '\0';
    return 0;
}

static int filter_compile_object(const json_t *p, struct filter_node *node, struct filter_where *w, int depth,
                                 struct fg_err *err)
{
    size_t len = strlen(w->path);
    const char *k;
    json_t *v;
    int rc;

    if (depth >= FILTER_MAX_DEPTH)
        return filter_fail(w, err, "nested deeper than %d levels", FILTER_MAX_DEPTH);
    if (!json_object_size(p))
        return filter_fail(w, err, "%s", depth ? "an empty object matches nothing: name a field in it"
                                               : "a pattern is a JSON object with at least one field");
    if (!(node->kids = calloc(json_object_size(p), sizeof(*node->kids))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    json_object_foreach((json_t *)p, k, v) {
        struct filter_node *kid = &node->kids[node->n_kids++];
        kid->key = k;
        snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len ? "." : "", k);
        if ((rc = filter_compile_key(v, kid, w, depth, err)) < 0)
            return rc;
        w->path[len] = '\0';
    }
    return 0;
}

/* ------------------------------------------------------------------ matching */

static bool filter_num_eq(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

/* Equality of a pattern literal and an event scalar: same type, same value; numbers by value. */
static bool filter_literal_eq(const json_t *lit, const json_t *v)
{
    if (json_is_string(lit))
        return json_is_string(v) && json_string_length(v) == json_string_length(lit) &&
               !memcmp(json_string_value(v), json_string_value(lit), json_string_length(lit));
    if (json_is_number(lit))
        return json_is_number(v) && filter_num_eq(lit, v);
    return json_typeof(lit) == json_typeof(v);
}

static bool filter_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + ('a' - 'A'));
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + ('a' - 'A'));
        if (x != y)
            return false;
    }
    return true;
}

/* One rule (not EXISTS) against one scalar of the event. */
static bool filter_rule_match(const struct filter_rule *r, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    double x;

    switch (r->op) {
    case FILTER_EQUALS:
        return filter_literal_eq(r->value, v);
    case FILTER_EQUALS_IGNORE_CASE:
        return s && n == r->len && filter_ieq(s, r->str, n);
    case FILTER_PREFIX:
        return s && n >= r->len && !memcmp(s, r->str, r->len);
    case FILTER_SUFFIX:
        return s && n >= r->len && !memcmp(s + n - r->len, r->str, r->len);
    case FILTER_ANYTHING_BUT:
        if (!json_is_array(r->value))
            return !filter_literal_eq(r->value, v);
        for (size_t i = 0; i < json_array_size(r->value); i++)
            if (filter_literal_eq(json_array_get(r->value, i), v))
                return false;
        return true;
    case FILTER_NUMERIC:
        if (!json_is_number(v))
            return false;
        x = json_number_value(v);
        return (r->lo_incl ? x >= r->lo : x > r->lo) && (r->hi_incl ? x <= r->hi : x < r->hi);
    case FILTER_EXISTS:
        break;
    }
    return false;
}

/* Whether v holds a leaf value: a scalar, or a list holding one (at any depth). */
static bool filter_has_value(const json_t *v)
{
    if (!v || json_is_object(v))
        return false;
    if (!json_is_array(v))
        return true;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (filter_has_value(json_array_get(v, i)))
            return true;
    return false;
}

/* Whether rule r matches v or, when v is a list, any scalar in it (at any depth). */
static bool filter_rule_any(const struct filter_rule *r, const json_t *v)
{
    if (!v || json_is_object(v))
        return false;
    if (!json_is_array(v))
        return filter_rule_match(r, v);
    for (size_t i = 0; i < json_array_size(v); i++)
        if (filter_rule_any(r, json_array_get(v, i)))
            return true;
    return false;
}

/* A leaf's list against the event's value (NULL when the field is missing). */
static bool filter_leaf(const struct filter_node *leaf, const json_t *v)
{
    for (size_t i = 0; i < leaf->n_rules; i++) {
        const struct filter_rule *r = &leaf->rules[i];
        if (r->op == FILTER_EXISTS ? r->exists == filter_has_value(v) : filter_rule_any(r, v))
            return true;
    }
    return false;
}

/* A pattern object against the event's value (NULL when missing): every key must match.
 * Against a non-empty list, one element must match the whole object. */
static bool filter_object(const struct filter_node *p, const json_t *ev)
{
    if (json_is_array(ev) && json_array_size(ev)) {
        for (size_t i = 0; i < json_array_size(ev); i++)
            if (filter_object(p, json_array_get(ev, i)))
                return true;
        return false;
    }
    for (size_t i = 0; i < p->n_kids; i++) {
        const struct filter_node *k = &p->kids[i];
        const json_t *v = json_is_object(ev) ? json_object_get(ev, k->key) : NULL;
        if (k->rules ? !filter_leaf(k, v) : !filter_object(k, v))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ API */

int fg_filter_compile(const char *const *patterns, size_t n, struct fg_filter **out, struct fg_err *err)
{
    struct fg_filter *f;
    int rc = 0;

    *out = NULL;
    if (n == 0 || n > FG_FILTER_MAX_PATTERNS)
        return fg_err_set(err, -EINVAL, "1 to %d patterns", FG_FILTER_MAX_PATTERNS);
    if (!(f = calloc(1, sizeof(*f))))
        return fg_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct filter_where w = { .pattern = i + 1 };
        json_error_t je;
        if (!(f->patterns[i] = json_loads(patterns[i], JSON_DECODE_ANY, &je))) {
            rc = fg_err_set(err, -EINVAL, "pattern %zu is not JSON: line %d, column %d: %s", i + 1, je.line,
                            je.column, je.text);
            break;
        }
        f->n++;
        if (!json_is_object(f->patterns[i]))
            rc = filter_fail(&w, err, "a pattern is a JSON object, got %s", filter_kind(f->patterns[i]));
        else
            rc = filter_compile_object(f->patterns[i], &f->roots[i], &w, 0, err);
    }
    if (rc < 0) {
        fg_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

bool fg_filter_match(const struct fg_filter *f, const json_t *event)
{
    for (size_t i = 0; i < f->n; i++)
        if (filter_object(&f->roots[i], event))
            return true;
    return false;
}

void fg_filter_free(struct fg_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        filter_node_free(&f->roots[i]);
        json_decref(f->patterns[i]);
    }
    free(f);
}
