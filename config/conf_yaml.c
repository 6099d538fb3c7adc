/* SPDX-License-Identifier: MIT */
/* conf_yaml.c - fngate.yaml's bytes to a YAML document the walker can trust (conf_walk.h).
 *
 * Before a key is read: the text is UTF-8 without NUL bytes; libfyaml's syntax errors come
 * back as "file:line:col: message"; anchors, aliases and merge keys are resolved as YAML
 * defines them, but only after a walk that bounds what they expand to, so an alias bomb is
 * an error at the alias that starts it instead of an exhausted machine, and an unknown or
 * recursive alias is named where it is written. */
#include "conf_walk.h"

#include <stdlib.h>

#include "../core/json_write.h"

#include <errno.h>
#include <libfyaml.h>
#include <string.h>

/* Aliases may stand for at most max(CONF_ALIAS_MIN, CONF_ALIAS_RATIO x the document's own
 * nodes) nodes in all: a file that shares a block between many functions is fine, an
 * exponential expansion is not. */
#define CONF_ALIAS_MIN 100000
#define CONF_ALIAS_RATIO 16
#define CONF_MAX_DEPTH 256
/* libfyaml 0.7.12 leaks the buffer it unescapes a single-quoted scalar into once the scalar
 * holds more than 4 '' escapes, at every read of its value (LeakSanitizer; found by
 * fuzzing). Such a scalar is refused, with its position, before anything reads it. */
#define CONF_MAX_QUOTE_ESCAPES 4

struct yaml_walk {
    const char *yaml;                             /* the text, for scalars' raw contents */
    size_t len;
    size_t own, expanded, limit;
    struct fy_node *stack[CONF_MAX_DEPTH + 1];   /* aliases' targets being expanded */
    int depth;
    struct fy_node *bad;                          /* where to point the error */
    const char *why;                              /* static message */
};

size_t fg_conf_node_count(struct fy_node *n)
{
    struct fy_node_pair *pair;
    struct fy_node *item;
    void *it = NULL;
    size_t count = 1;

    if (fy_node_is_sequence(n)) {
        while ((item = fy_node_sequence_iterate(n, &it)))
            count += fg_conf_node_count(item);
    } else if (fy_node_is_mapping(n)) {
        while ((pair = fy_node_mapping_iterate(n, &it)))
            count += fg_conf_node_count(fy_node_pair_key(pair)) + fg_conf_node_count(fy_node_pair_value(pair));
    }
    return count;
}

static bool yaml_is_merge_key(struct fy_node *k)
{
    size_t len;
    const char *s;
    /* Two characters hold no more than one escape: reading them is safe (see above). */
    if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k) || fy_node_get_scalar_length(k) != 2)
        return false;
    s = fy_node_get_scalar(k, &len);
    return s && len == 2 && !memcmp(s, "<<", 2);
}

/* Does scalar n hold more '' escapes than libfyaml reads without leaking? Counted in the
 * text between its quotes, where the token's marks point. */
static bool yaml_too_many_escapes(const struct yaml_walk *w, struct fy_node *n)
{
    struct fy_token *t;
    const struct fy_mark *a, *b;
    size_t count = 0;

    if (!fy_node_is_scalar(n) || fy_node_get_style(n) != FYNS_SINGLE_QUOTED || !(t = fy_node_get_scalar_token(n)))
        return false;
    a = fy_token_start_mark(t);
    b = fy_token_end_mark(t);
    if (!a || !b || b->input_pos > w->len || a->input_pos > b->input_pos)
        return false;
    for (size_t i = a->input_pos; i + 1 < b->input_pos; i++)
        if (w->yaml[i] == '\'' && w->yaml[i + 1] == '\'') {
            count++;
            i++;
        }
    return count > CONF_MAX_QUOTE_ESCAPES;
}

/* A merge's value: an alias or a list of aliases (what libfyaml merges). */
static bool yaml_merge_ok(struct fy_node *v)
{
    struct fy_node *item;
    void *it = NULL;
    if (v && fy_node_is_alias(v))
        return true;
    if (!v || !fy_node_is_sequence(v))
        return false;
    while ((item = fy_node_sequence_iterate(v, &it)))
        if (!fy_node_is_alias(item))
            return false;
    return true;
}

/* Walks n with aliases expanded, counting what they stand for; stops at the first
 * problem, so the walk costs the file's size plus at most w->limit. 0 or -1. */
static int yaml_walk(struct yaml_walk *w, struct fy_node *n, struct fy_node *alias)
{
    struct fy_node_pair *pair;
    struct fy_node *item;
    void *it = NULL;
    int rc = 0;

    if (alias && ++w->expanded > w->limit) {
        w->bad = alias;
        w->why = "aliases here expand to more values than the file may hold (an alias bomb?)";
        return -1;
    }
    if (w->depth >= CONF_MAX_DEPTH) {
        w->bad = alias ? alias : n;
        w->why = "nested too deep";
        return -1;
    }
    if (fy_node_is_alias(n)) {
        struct fy_node *target = fy_node_resolve_alias(n);
        if (!target) {
            w->bad = n;
            w->why = "an alias to no anchor (or to itself)";
            return -1;
        }
        for (int i = 0; i < w->depth; i++)
            if (w->stack[i] == target) {
                w->bad = n;
                w->why = "a recursive alias (it stands inside its own anchor)";
                return -1;
            }
        w->stack[w->depth++] = target;
        rc = yaml_walk(w, target, alias ? alias : n);
        w->depth--;
        return rc;
    }
    if (yaml_too_many_escapes(w, n)) {
        w->bad = n;
        w->why = "more than 4 '' in one single-quoted value (libfyaml cannot read it without leaking): "
                 "write it in double quotes";
        return -1;
    }
    w->stack[w->depth++] = n;
    if (fy_node_is_sequence(n)) {
        while (!rc && (item = fy_node_sequence_iterate(n, &it)))
            rc = yaml_walk(w, item, alias);
    } else if (fy_node_is_mapping(n)) {
        while (!rc && (pair = fy_node_mapping_iterate(n, &it))) {
            if (yaml_is_merge_key(fy_node_pair_key(pair)) && !yaml_merge_ok(fy_node_pair_value(pair))) {
                w->bad = fy_node_pair_key(pair);
                w->why = "a merge key (<<) takes an alias or a list of aliases (<<: *defaults)";
                rc = -1;
                break;
            }
            rc = yaml_walk(w, fy_node_pair_key(pair), alias);
            if (!rc)
                rc = yaml_walk(w, fy_node_pair_value(pair), alias);
        }
    }
    w->depth--;
    return rc;
}

static int yaml_resolve(struct fg_conf_parser *p, struct fy_document *doc, const char *yaml, size_t len)
{
    struct fy_node *root = fy_document_root(doc);
    struct yaml_walk *w;
    int rc = 0;

    if (!root)
        return 0;
    if (!(w = calloc(1, sizeof(*w))))
        return -ENOMEM;
    w->yaml = yaml;
    w->len = len;
    w->own = fg_conf_node_count(root);
    w->limit = w->own * CONF_ALIAS_RATIO > CONF_ALIAS_MIN ? w->own * CONF_ALIAS_RATIO : CONF_ALIAS_MIN;
    if (yaml_walk(w, root, NULL) < 0) {
        size_t len = 0;
        const char *name = fy_node_is_alias(w->bad) ? fy_node_get_scalar(w->bad, &len) : NULL;
        rc = fg_conf_fail(p, fg_conf_node_pos(w->bad, (struct fg_conf_pos){ 1, 1 }), "%s%.*s%s%s",
                          name ? "*" : "", name ? (int)len : 0, name ? name : "", name ? ": " : "", w->why);
    } else if (fy_document_resolve(doc) < 0) {
        rc = fg_conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "cannot resolve the file's anchors and aliases");
    }
    free(w);
    return rc;
}

/* Line breaks are YAML's (and libfyaml's, whose positions these sit beside): "\n", "\r\n"
 * and a lone "\r". */
struct fg_conf_pos fg_conf_offset_pos(const char *s, size_t off)
{
    struct fg_conf_pos pos = { 1, 1 };
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && !(i + 1 < off && s[i + 1] == '\n'))) {
            pos.line++;
            pos.col = 1;
        } else if (((unsigned char)s[i] & 0xc0) != 0x80) {
            pos.col++;
        }
    }
    return pos;
}

/* Errors are collected and reported once, by us, with the file name. */
static void yaml_diag_silent(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

int fg_conf_yaml_parse(struct fg_conf_parser *p, const char *yaml, size_t len, struct fy_document **out)
{
    size_t valid = fg_utf8_prefix(yaml, len);
    const char *nul = memchr(yaml, '\0', len);
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag;
    struct fy_parse_cfg pcfg;
    struct fy_document *doc;
    int rc;

    *out = NULL;
    if (nul && (size_t)(nul - yaml) < valid) {
        struct fg_conf_pos at = fg_conf_offset_pos(yaml, (size_t)(nul - yaml));
        return fg_conf_fail(p, at, "a NUL byte: YAML files are text");
    }
    if (valid < len) {
        struct fg_conf_pos at = fg_conf_offset_pos(yaml, valid);
        return fg_conf_fail(p, at, "invalid UTF-8 (byte 0x%02x): YAML files are UTF-8 text", (unsigned char)yaml[valid]);
    }
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = yaml_diag_silent;
    if (!(diag = fy_diag_create(&dcfg)))
        return fg_err_set(p->err, -ENOMEM, "cannot create the YAML diagnostics");
    fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_DISABLE_RECYCLING;
    pcfg.diag = diag;
    if (!(doc = fy_document_build_from_string(&pcfg, yaml, len))) {
        void *it = NULL;
        struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
        /* libfyaml's collected errors count lines and columns from 1; what it finds at the
         * end of the text (an unclosed [ or {) it places on the line after the last, which
         * no editor can show: the end of the text is where it is. */
        if (de) {
            struct fg_conf_pos at = { de->line > 0 ? de->line : 1, de->column > 0 ? de->column : 1 };
            struct fg_conf_pos end = fg_conf_offset_pos(yaml, len);
            if (at.line > end.line || (at.line == end.line && at.col > end.col))
                at = end;
            rc = fg_conf_fail(p, at, "%s%s", de->msg,
                              strstr(de->msg, "flow") ? " (inside {...} or [...] a value containing {, }, [ or ] "
                                                        "must be quoted, e.g. path: \"/hello/{name}\")" : "");
        } else {
            rc = fg_conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "not valid YAML");
        }
    } else if ((rc = yaml_resolve(p, doc, yaml, len)) < 0) {
        fy_document_destroy(doc);
        doc = NULL;
    }
    /* The document keeps diag: what it reports later (the JSON emitter refusing a tag in a
     * filter pattern) goes to the silent output: errors collected after this call leaked
     * (LeakSanitizer, libfyaml 0.7.12). */
    fy_diag_set_collect_errors(diag, false);
    fy_diag_destroy(diag);
    *out = doc;
    return rc;
}
