/* SPDX-License-Identifier: MIT */
/* conf_doc.c - node helpers for the documents conf_sls.c and conf_sam.c build (conf_doc.h). */
#include "conf_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *fg_doc_text(struct fy_node *n)
{
    /* YAML's null (null, ~, nothing) is no text: `sns: null` is not a topic named "null" */
    const char *s;
    if (!n || !fy_node_is_scalar(n) || fy_node_is_alias(n) || !(s = fy_node_get_scalar0(n)))
        return NULL;
    if (fg_doc_is_null(n))
        return NULL;
    return s;
}

bool fg_doc_is_null(struct fy_node *n)
{
    const char *s;
    if (!n)
        return true;
    if (!fy_node_is_scalar(n) || fy_node_get_style(n) != FYNS_PLAIN || !(s = fy_node_get_scalar0(n)))
        return false;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* A node's own place: its token's, else the one a translation gave it (fg_doc_mark). */
static struct fg_conf_pos doc_where(struct fy_node *n)
{
    return fg_conf_node_pos(n, (struct fg_conf_pos){ 0, 0 });
}

void fg_doc_mark(struct fy_node *n, struct fg_conf_pos pos)
{
    if (n && pos.line > 0 && pos.col > 0 && !doc_where(n).line)
        (void)fy_node_set_meta(n, (void *)(((uintptr_t)pos.line << 20) | ((uintptr_t)pos.col & 0xfffff)));
}

void fg_doc_mark_key(struct fy_node *map, const char *key, struct fg_conf_pos pos)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    while (map && fy_node_is_mapping(map) && (pair = fy_node_mapping_iterate(map, &it)))
        if (fg_doc_text(fy_node_pair_key(pair)) && !strcmp(fg_doc_text(fy_node_pair_key(pair)), key))
            fg_doc_mark(fy_node_pair_key(pair), pos);
}

struct fy_node *fg_doc_copy(struct fy_document *d, struct fy_node *n)
{
    struct fy_node_pair *pair;
    struct fy_node *out, *item;
    const char *tag;
    size_t tlen = 0;
    void *it = NULL;

    if (!n)
        return NULL;
    if (fy_node_is_scalar(n)) {
        out = fy_node_copy(d, n);   /* keeps its token: its place in the file */
    } else {
        out = fy_node_is_sequence(n) ? fy_node_create_sequence(d) : fy_node_create_mapping(d);
        if (out && (tag = fy_node_get_tag(n, &tlen)) && fy_node_set_tag(out, tag, tlen) < 0) {
            fy_node_free(out);
            return NULL;
        }
        while (out && fy_node_is_sequence(n) && (item = fy_node_sequence_iterate(n, &it))) {
            struct fy_node *c = fg_doc_copy(d, item);
            if (!c || fy_node_sequence_append(out, c) < 0) {
                fy_node_free(c);
                fy_node_free(out);
                return NULL;
            }
        }
        while (out && fy_node_is_mapping(n) && (pair = fy_node_mapping_iterate(n, &it))) {
            struct fy_node *k = fg_doc_copy(d, fy_node_pair_key(pair)), *v = fg_doc_copy(d, fy_node_pair_value(pair));
            if (!k || (fy_node_pair_value(pair) && !v) || fy_node_mapping_append(out, k, v) < 0) {
                fy_node_free(k);
                fy_node_free(v);
                fy_node_free(out);
                return NULL;
            }
        }
    }
    if (out && fy_node_get_meta(n))
        (void)fy_node_set_meta(out, fy_node_get_meta(n));
    return out;
}

struct fg_conf_pos fg_doc_pos(struct fy_node *n)
{
    struct fg_conf_pos none = { 0, 0 }, pos;
    for (int depth = 0; n && depth < 64; depth++) {
        if (fy_node_is_scalar(n) || doc_where(n).line)
            break;
        if (fy_node_is_mapping(n) && fy_node_mapping_item_count(n) > 0)
            n = fy_node_pair_key(fy_node_mapping_get_by_index(n, 0));
        else if (fy_node_is_sequence(n) && fy_node_sequence_item_count(n) > 0)
            n = fy_node_sequence_get_by_index(n, 0);
        else
            n = NULL;
    }
    pos = fg_conf_node_pos(n, none);
    return pos.line ? pos : (struct fg_conf_pos){ 1, 1 };
}

struct fg_conf_pos fg_doc_key_pos(struct fy_node *map, const char *key)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    while (map && fy_node_is_mapping(map) && (pair = fy_node_mapping_iterate(map, &it)))
        if (fg_doc_text(fy_node_pair_key(pair)) && !strcmp(fg_doc_text(fy_node_pair_key(pair)), key))
            return fg_doc_pos(fy_node_pair_key(pair));
    return fg_doc_pos(map);
}

struct fy_node *fg_doc_get(struct fy_node *map, const char *key)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    if (!map || !fy_node_is_mapping(map))
        return NULL;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        if (k && !strcmp(k, key))
            return fy_node_pair_value(pair);
    }
    return NULL;
}

const char *fg_doc_get_text(struct fy_node *map, const char *key)
{
    return fg_doc_text(fg_doc_get(map, key));
}

struct fy_node *fg_doc_str(struct fy_document *d, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    int n;
    struct fy_node *node;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    node = fy_node_create_scalar_copy(d, s, (size_t)n);
    free(s);
    return node;
}

int fg_doc_set(struct fy_node *map, const char *key, struct fy_node *val)
{
    struct fy_document *d = fy_node_document(map);
    struct fy_node *k;
    struct fg_conf_pos at;
    if (!val)
        return -ENOMEM;
    if (fg_doc_get(map, key)) {   /* the translations check first: this is a bug, not the file's */
        fy_node_free(val);
        return -EEXIST;
    }
    if (!(k = fy_node_create_scalar_copy(d, key, strlen(key)))) {
        fy_node_free(val);
        return -ENOMEM;
    }
    at = fg_doc_pos(val);   /* the key is where its value is (1:1: not known) */
    fg_doc_mark(k, at.line > 1 || at.col > 1 ? at : (struct fg_conf_pos){ 0, 0 });
    if (fy_node_mapping_append(map, k, val) < 0) {
        fy_node_free(k);
        fy_node_free(val);
        return -ENOMEM;
    }
    return 0;
}

int fg_doc_set_absent(struct fy_node *map, const char *key, struct fy_node *val)
{
    if (fg_doc_get(map, key)) {
        fy_node_free(val);
        return 0;
    }
    return val ? fg_doc_set(map, key, val) : 0;
}

int fg_doc_set_copy(struct fy_node *map, const char *key, struct fy_node *src)
{
    if (!src)
        return 0;
    return fg_doc_set(map, key, fg_doc_copy(fy_node_document(map), src));
}

static struct fy_node *doc_at(struct fy_node *map, const char *key, bool seq)
{
    struct fy_node *v = fg_doc_get(map, key);
    if (v)
        return (seq ? fy_node_is_sequence(v) : fy_node_is_mapping(v)) ? v : NULL;
    v = seq ? fy_node_create_sequence(fy_node_document(map)) : fy_node_create_mapping(fy_node_document(map));
    return fg_doc_set(map, key, v) < 0 ? NULL : v;
}

struct fy_node *fg_doc_map_at(struct fy_node *map, const char *key)
{
    return doc_at(map, key, false);
}

struct fy_node *fg_doc_seq_at(struct fy_node *map, const char *key)
{
    return doc_at(map, key, true);
}

int fg_doc_warn(struct fg_conf_parser *p, const char *key, struct fg_conf_pos pos, const char *fmt, ...)
{
    char msg[1024];
    const char **grown;
    va_list ap;
    int n;

    if (p->n_warn_keys > FG_CONF_WARNINGS_MAX)
        return 0;
    if (p->n_warn_keys == FG_CONF_WARNINGS_MAX) {   /* said once, as the last of them */
        key = "...";
        fmt = "more keys fngate does not support were left out of these warnings";
        pos = (struct fg_conf_pos){ 1, 1 };
    }
    for (size_t i = 0; i < p->n_warn_keys; i++)
        if (!strcmp(p->warn_keys[i], key))
            return 0;
    n = snprintf(msg, sizeof(msg), "%s:%d:%d: warning: ", p->name, pos.line ? pos.line : 1, pos.col ? pos.col : 1);
    if (n < 0 || (size_t)n >= sizeof(msg) - 1)
        n = (int)strlen(msg);
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    if (!(grown = realloc(p->warn_keys, (p->n_warn_keys + 1) * sizeof(*grown))))
        return -ENOMEM;
    p->warn_keys = grown;
    if (!(p->warn_keys[p->n_warn_keys] = fg_arena_strdup(&p->conf->arena, key)))
        return -ENOMEM;
    p->n_warn_keys++;
    if (!(grown = fg_arena_alloc(&p->conf->arena, (p->conf->n_warnings + 1) * sizeof(*grown))))
        return -ENOMEM;
    if (p->conf->n_warnings)
        memcpy(grown, p->conf->warnings, p->conf->n_warnings * sizeof(*grown));
    if (!(grown[p->conf->n_warnings] = fg_arena_strdup(&p->conf->arena, msg)))
        return -ENOMEM;
    p->conf->warnings = grown;
    p->conf->n_warnings++;
    return 0;
}

int fg_doc_event_new(struct fy_node *list, const char *kind, struct fy_node **out)
{
    struct fy_document *d = fy_node_document(list);
    struct fy_node *item = fy_node_create_mapping(d);
    *out = fy_node_create_mapping(d);
    if (!item || !*out || fg_doc_set(item, kind, *out) < 0 || fy_node_sequence_append(list, item) < 0)
        return -ENOMEM;
    return 0;
}

int fg_doc_finish(struct fg_conf_parser *p, int rc, struct fy_document **doc, struct fy_document *out)
{
    if (rc == 0 && p->n_src_docs >= sizeof(p->src_docs) / sizeof(p->src_docs[0]))
        rc = -ENOMEM;
    if (rc == -EEXIST)   /* a translation's own slip: every key is set once, by checking first */
        rc = fg_conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "a key is set twice while reading the file (a bug in "
                          "fngate: please report the file)");
    if (rc < 0) {
        fy_document_destroy(out);
        return rc;
    }
    p->src_docs[p->n_src_docs++] = *doc;   /* its tokens back the copies: kept to the end */
    *doc = out;
    return 0;
}

static bool doc_in(const char *k, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(k, list[i]))
            return true;
    return false;
}

int fg_doc_unsupported(struct fg_conf_parser *p, struct fy_node *map, const char *where, const char *const *known,
                       const char *const *quiet)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if (!map || !fy_node_is_mapping(map))
        return 0;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        const char *k = fg_doc_text(fy_node_pair_key(pair));
        char id[300];
        if (!k || doc_in(k, known) || doc_in(k, quiet))
            continue;
        snprintf(id, sizeof(id), "%s.%s", where, k);
        if ((rc = fg_doc_warn(p, id, fg_doc_pos(fy_node_pair_key(pair)), "%s%s%s is not supported by fngate and is ignored",
                              where[0] ? where : "", where[0] ? "." : "", k)) < 0)
            return rc;
    }
    return 0;
}

bool fg_doc_has_var(const char *s)
{
    return s && strstr(s, "${") != NULL;
}
