/* SPDX-License-Identifier: MIT */
/* fuzz_filter.c - libFuzzer target for event filters (core/filter.c): patterns come from
 * fngate.yaml's filter_criteria and `fngate filter`, events from queue messages, topics,
 * Kafka records and files, none of them trusted. Built and run by `make fuzz`; seeds in
 * corpus/fuzz_filter/ (the README's patterns against events of their kinds).
 *
 * Input, cut at newlines (fuzz.h): one pattern a line (JSON text) up to an empty line or
 * the sixth (one more than a filter holds); the rest is the event's JSON. Invariants:
 * - compiling gives a filter, or NULL and a message naming the pattern; twice the same;
 * - matching is deterministic: twice, on a deep copy of the event and with the filter
 *   compiled again, the same answer;
 * - patterns derived from the event agree with it: the event's own values as a pattern
 *   (every scalar as [value], a list of scalars as itself) match it; for its first string,
 *   prefix, suffix, equals-ignore-case and exists: true match, anything-but it and
 *   exists: false do not; for its first number, numeric = matches, numeric > and
 *   anything-but do not (each when it compiles: a derived pattern may break a rule). */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_LINES (FG_FILTER_MAX_PATTERNS + 1)
#define FUZZ_MAX_PATH 40

/* Compiles one pattern document (taken) and matches event; -1 when it does not compile. */
static int filter_try(json_t *pattern, const json_t *event)
{
    char *text = json_dumps(pattern, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *texts[1] = { text };
    struct fg_filter *f = NULL;
    struct fg_err err;
    int rc;

    json_decref(pattern);
    FG_ASSERT(text);
    rc = fg_filter_compile(texts, 1, &f, &err) < 0 ? -1 : fg_filter_match(f, event);
    if (rc >= 0 && fg_filter_match(f, event) != rc)
        fuzz_fail("pattern %s matches and then does not", text);
    fg_filter_free(f);
    free(text);
    return rc;
}

/* The event's values as a pattern, or NULL when nothing in v can be one. */
static json_t *filter_exact(const json_t *v)
{
    const char *k;
    json_t *item, *out;
    size_t i;

    if (json_is_array(v)) {
        if (!json_array_size(v))
            return NULL;
        json_array_foreach(v, i, item)
            if (json_is_object(item) || json_is_array(item))
                return NULL;
        return json_deep_copy(v);
    }
    if (!json_is_object(v))
        return json_pack("[O]", v);
    out = json_object();
    json_object_foreach((json_t *)v, k, item) {
        json_t *p = filter_exact(item);
        if (p)
            json_object_set_new(out, k, p);
    }
    if (!json_object_size(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The path to the first leaf (depth first, objects only) of the kind asked. */
static bool filter_find(const json_t *v, json_type type, const char **path, size_t depth, size_t *n, const json_t **leaf)
{
    const char *k;
    json_t *item;
    if (depth == FUZZ_MAX_PATH || !json_is_object(v))
        return false;
    json_object_foreach((json_t *)v, k, item) {
        path[depth] = k;
        if (json_typeof(item) == type || (type == JSON_REAL && json_is_integer(item))) {
            *n = depth + 1;
            *leaf = item;
            return true;
        }
        if (filter_find(item, type, path, depth + 1, n, leaf))
            return true;
    }
    return false;
}

/* {path[0]: {...: {path[n-1]: [rule]}}}; takes rule. */
static json_t *filter_at(const char **path, size_t n, json_t *rule)
{
    json_t *p = json_pack("[o]", rule);
    while (n--)
        p = json_pack("{so}", path[n], p);
    return p;
}

static void filter_expect(json_t *pattern, const json_t *event, bool want, const char *what)
{
    int rc = filter_try(pattern, event);
    if (rc >= 0 && rc != want)
        fuzz_fail("the event's own %s %s", what, want ? "does not match it" : "matches it");
}

/* Cuts s[0..n) at a character boundary near its middle. */
static size_t filter_mid(const char *s, size_t n)
{
    size_t k = n / 2;
    while (k && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    return k;
}

static void filter_check_derived(const json_t *event)
{
    const char *path[FUZZ_MAX_PATH];
    const json_t *leaf;
    json_t *exact = filter_exact(event);
    size_t n;

    if (exact && json_is_object(exact))
        filter_expect(exact, event, true, "values as a pattern");
    else
        json_decref(exact);
    if (filter_find(event, JSON_STRING, path, 0, &n, &leaf)) {
        const char *s = json_string_value(leaf);
        size_t len = json_string_length(leaf), k = filter_mid(s, len);
        char *upper = fuzz_dup(s, len);
        for (size_t i = 0; i < len; i++)
            upper[i] = (char)toupper((unsigned char)upper[i]);
        filter_expect(filter_at(path, n, json_pack("{ss%}", "prefix", s, k)), event, true, "string's prefix");
        filter_expect(filter_at(path, n, json_pack("{ss%}", "suffix", s + k, len - k)), event, true, "string's suffix");
        filter_expect(filter_at(path, n, json_pack("{ss%}", "equals-ignore-case", upper, len)), event, true,
                      "string in upper case");
        filter_expect(filter_at(path, n, json_pack("{sO}", "anything-but", leaf)), event, false, "string as anything-but");
        filter_expect(filter_at(path, n, json_pack("{sb}", "exists", 1)), event, true, "string's exists: true");
        filter_expect(filter_at(path, n, json_pack("{sb}", "exists", 0)), event, false, "string's exists: false");
        free(upper);
    }
    if (filter_find(event, JSON_REAL, path, 0, &n, &leaf)) {
        double v = json_number_value(leaf);
        if (isfinite(v) && fabs(v) <= FG_FILTER_NUMERIC_LIMIT) {
            filter_expect(filter_at(path, n, json_pack("{s[sf]}", "numeric", "=", v)), event, true, "number's numeric =");
            filter_expect(filter_at(path, n, json_pack("{s[sf]}", "numeric", ">", v)), event, false, "number's numeric >");
        }
        filter_expect(filter_at(path, n, json_pack("{sO}", "anything-but", leaf)), event, false, "number as anything-but");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    char *lines[FUZZ_MAX_LINES], *text;
    size_t n = 0, len;
    struct fg_filter *f = NULL, *f2 = NULL;
    struct fg_err err = { 0 }, err2 = { 0 };
    json_t *event, *copy;
    int rc, rc2;

    while (n < FUZZ_MAX_LINES && (lines[n] = fuzz_line(&in, NULL))) {
        if (!*lines[n]) {
            free(lines[n]);
            break;
        }
        n++;
    }
    text = fuzz_rest(&in, &len);
    rc = fg_filter_compile((const char *const *)lines, n, &f, &err);
    rc2 = fg_filter_compile((const char *const *)lines, n, &f2, &err2);
    if (rc < 0 && (rc != -EINVAL || f || !err.msg[0] || (n && n <= FG_FILTER_MAX_PATTERNS && strncmp(err.msg, "pattern ", 8))))
        fuzz_fail("a refused filter: %d, %s", rc, err.msg);
    if (rc == 0 && !f)
        fuzz_fail("a compiled filter is NULL");
    if (rc2 != rc || (rc < 0 && strcmp(err.msg, err2.msg)))
        fuzz_fail("compiled twice: %d (%s), then %d (%s)", rc, err.msg, rc2, err2.msg);
    if ((event = json_loadb(text, len, JSON_DECODE_ANY, NULL))) {
        if (f) {
            bool m = fg_filter_match(f, event);
            copy = json_deep_copy(event);
            if (fg_filter_match(f, event) != m || fg_filter_match(f2, event) != m || fg_filter_match(f, copy) != m)
                fuzz_fail("one filter, one event, two answers");
            json_decref(copy);
        }
        filter_check_derived(event);
        json_decref(event);
    }
    fg_filter_free(f);
    fg_filter_free(f2);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(text);
    return 0;
}
