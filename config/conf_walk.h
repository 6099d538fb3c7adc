/* SPDX-License-Identifier: MIT */
/* conf_walk.h - the walker's state and entry points, shared by config/ only.
 *
 * Adapters see struct fg_conf_parser as opaque (conf_key.h); config.c, which reads the
 * top level, the gateway and the functions, needs its fields: the config being filled,
 * the adapters' event types, the function being read, and the destinations to resolve
 * once every function is known. */
#ifndef FG_CONF_WALK_H
#define FG_CONF_WALK_H

#include "conf_key.h"

struct fy_document;
#include "config.h"

/* A destination read by the walker, checked when the whole file is read. */
struct fg_conf_dest_ref {
    struct fg_conf_destination *dest;
    const struct fg_conf_function *fn;  /* whose key it is */
    const char *what;                   /* the key's name */
};

struct fg_conf_parser {
    struct fg_config *conf;
    const char *name;                   /* file name for messages */
    struct fg_err *err;
    const struct fg_conf_event_type *const *types;  /* NULL-terminated */
    const struct fg_conf_function *fn;  /* the function being read, or NULL */
    const char **zones;                 /* time zones already checked (malloc) */
    size_t n_zones;
    struct fg_conf_dest_ref *dests;     /* malloc */
    size_t n_dests;
    bool raw_scalars;                   /* a translated serverless.yml or SAM template: its own
                                         * variables are resolved, ${...} is not fngate's */
    const char **warn_keys;             /* keys already warned about (malloc; strings in the arena) */
    size_t n_warn_keys;
    struct fy_document *src_docs[24];   /* what a translation read: the file, its resolved copy,
                                         * and at most 16 files it included (conf_sls_vars.c) */
    size_t n_src_docs;
    char *src_texts[16];                /* included files' text, which their documents point into (malloc) */
    const char *src_paths[16];          /* their real paths (the arena), so each is read once */
    struct fy_document *src_text_docs[16];  /* their documents (also in src_docs) */
    size_t n_src_texts;
};

/* One table and the object it fills; a mapping may be read against two (an event's own
 * keys and the keys every event shares). */
struct fg_conf_scope {
    const struct fg_conf_key *keys;
    void *obj;
};

/* Applies the scopes' keys to the mapping map (NULL or null: nothing to apply). where
 * names the mapping in messages ("function Hello"). 0 or a negative code with the error
 * set. */
int fg_conf_walk_scopes(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *where,
                        const struct fg_conf_scope *scopes, size_t n_scopes) FG_MUST_CHECK;

/* The common case: one table filling obj. */
int fg_conf_walk(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *where,
                 const struct fg_conf_key *keys, void *obj) FG_MUST_CHECK;

/* s[0..len) with ${VAR}, ${env:VAR} and ${VAR:-default} replaced from the environment, in
 * the config's arena (*out). 0 or a negative code with the error set at pos. */
int fg_conf_expand(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *s, size_t len, char **out) FG_MUST_CHECK;

/* Applies one key to the value val (scalar short forms use it). */
int fg_conf_apply(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                  struct fg_conf_pos kpos, void *obj) FG_MUST_CHECK;

/* A mapping key's text, in *out (libfyaml's, valid as long as the document): fails when
 * kn is not a scalar or holds a NUL byte. */
int fg_conf_key_text(struct fg_conf_parser *p, struct fy_node *kn, struct fg_conf_pos pos, const char *where,
                     const char **out) FG_MUST_CHECK;

/* 1 when map is a mapping, 0 when it is absent or null (nothing to read), else fails with
 * "WHAT: expected EXPECTED, got a list". */
int fg_conf_mapping(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *what,
                    const char *expected) FG_MUST_CHECK;

/* "a mapping", "a list" or "a scalar", for messages. Static string. */
const char *fg_conf_node_kind(struct fy_node *n);

/* conf_yaml.c: yaml[0..len) as a document with anchors and aliases resolved, in *out
 * (owned: fy_document_destroy), or a negative code with the error set ("file:line:col"). */
int fg_conf_yaml_parse(struct fg_conf_parser *p, const char *yaml, size_t len, struct fy_document **out) FG_MUST_CHECK;

/* conf_yaml.c: how many nodes n holds, itself and every key and value below it (aliases
 * not followed): the measure what aliases and variables may expand to is set against. */
size_t fg_conf_node_count(struct fy_node *n);

/* Line and column (1-based) of byte off of s; lines end at "\n", "\r\n" or "\r", as in YAML. */
struct fg_conf_pos fg_conf_offset_pos(const char *s, size_t off);

/* Frees what the parser allocated outside the config's arena. */
void fg_conf_parser_close(struct fg_conf_parser *p);

#endif
