/* SPDX-License-Identifier: MIT */
/* conf_key.h - describing configuration keys as data, for the generic walker.
 *
 * A mapping of fngate.yaml is described by a table of struct fg_conf_key (name, type, the
 * offset of the field it fills, bounds), as nginx describes a module's directives next to
 * the module. One walker (conf_walk.c) applies every table, so each key gets the same
 * checks and the same errors: "file:line:col: message", unknown keys with a did-you-mean,
 * wrong types, bounds, ${ENV} substitution. Trigger adapters describe their events with a
 * struct fg_conf_event_type (config.h) and hand it to the loader as data: nothing in
 * config/ knows an adapter's keys.
 *
 * A custom parser receives the field it fills and its key. Values it reads are YAML nodes
 * (libfyaml's, opaque here): the helpers below read them, so adapters never depend on
 * the YAML library. Everything a parser stores lives in the configuration's arena.
 * Tests: tests/unit/test_config.c (FG_CONF_TLS: tests/unit/test_tls.c). */
#ifndef FG_CONF_KEY_H
#define FG_CONF_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/err.h"

struct fy_node;                 /* a YAML node; read it through the helpers below */
struct fg_conf_parser;          /* one load in progress (conf_walk.c) */
struct fg_conf_key;

/* Where a value came from, for errors raised after parsing (duplicate routes, runtime). */
struct fg_conf_pos {
    int line, col;              /* 1-based; 0 when not from the file */
};

enum fg_conf_type {
    FG_CONF_STR = 0,            /* const char * */
    FG_CONF_INT,                /* int within [min, max] */
    FG_CONF_SECONDS,            /* int: "30", "30s", "5m", "2h", "30d" within [min, max] seconds */
    FG_CONF_MS,                 /* int: "250ms", "2s", "5m", "1h" (bare: seconds) within [min, max] ms */
    FG_CONF_BYTES,              /* long long: "512KB", "100MB", "1GB" (powers of 1024; bare: bytes)
                                 * within [min, max] bytes */
    FG_CONF_DOUBLE,             /* double within [min, max] */
    FG_CONF_ENUM,               /* int: the index of the value in names[] */
    FG_CONF_BOOL,               /* bool: true or false */
    FG_CONF_TABLE,              /* a nested mapping: table[] applied to the field; then check() */
    FG_CONF_PAIRS,              /* a mapping of scalars: struct fg_conf_pairs */
    FG_CONF_JSON,               /* const char *: a mapping or list as one-line JSON, or JSON text */
    FG_CONF_FILTER,             /* struct fg_conf_filter: Lambda's filter_criteria */
    FG_CONF_DESTINATION,        /* struct fg_conf_destination: dlq, a URL or a function */
    FG_CONF_RESPONSE_TYPES,     /* bool: a list of Lambda response types (ReportBatchItemFailures) */
    FG_CONF_TIMEZONE,           /* const char *: an IANA zone name, loaded once to check it */
    FG_CONF_ADDR,               /* struct fg_conf_addr: HOST:PORT, [V6]:PORT or :PORT */
    FG_CONF_TLS,                /* struct fg_conf_tls: a listener's {cert, key}, checked at load */
    FG_CONF_STRINGS,            /* struct fg_conf_strings: one string or a list of at most max
                                 * (0: 64) non-empty strings */
    FG_CONF_CUSTOM,             /* parse() does the work */
};

/* A custom parser: reads val (the key's value; NULL or a null node when empty) into field
 * (the table's object + k->offset). kpos is the key's position. 0, or a negative code with
 * the parser's error set (fg_conf_fail). */
typedef int fg_conf_parse_fn(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                             struct fg_conf_pos kpos, void *field);

/* A check run after a FG_CONF_TABLE's keys were applied to field. Same contract. */
typedef int fg_conf_check_fn(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                             struct fg_conf_pos kpos, void *field);

struct fg_conf_key {
    const char *name;
    enum fg_conf_type type;
    size_t offset;                      /* of the field in the table's object */
    long min, max;                      /* INT, SECONDS, MS, DOUBLE */
    const char *const *names;           /* ENUM: NULL-terminated */
    const struct fg_conf_key *table;    /* TABLE: its keys, ended by FG_CONF_KEY_END */
    const char *short_key;              /* TABLE: a scalar value is this key's value */
    fg_conf_parse_fn *parse;            /* CUSTOM */
    fg_conf_check_fn *check;            /* TABLE: optional, after its keys */
    size_t pos_offset;                  /* of a struct fg_conf_pos in the object that receives
                                         * the key's position when it is written; 0: none */
};

#define FG_CONF_KEY_END { .name = NULL }

/* ------------------------------------------------------------------ values of the generic types */

/* FG_CONF_ADDR: a listener's address. */
struct fg_conf_addr {
    const char *host;           /* "127.0.0.1", "::1", ... */
    int port;                   /* 0..65535; 0: any free port */
};

/* FG_CONF_TLS: a listener's `tls: {cert: PATH, key: PATH}`, PEM files (relative to the
 * configuration file). Both or neither; at load each must be readable PEM of its kind and
 * the key must be the certificate's (core/tls.h), else the error points at the file's key.
 * A listener declares it in one row of its table:
 *     { .name = "tls", .type = FG_CONF_TLS, .offset = offsetof(struct my_listener, tls) },
 * and passes it to fg_mhd_listener_start (gateway/mhd_listener.h). */
struct fg_conf_tls {
    const char *cert;           /* absolute; the server's certificate, then any intermediates */
    const char *key;            /* absolute; its unencrypted private key */
};

/* Whether t (NULL allowed) turns TLS on. */
static inline bool fg_conf_tls_on(const struct fg_conf_tls *t)
{
    return t && t->cert;
}

/* The scheme of the listener's URLs: "https" with TLS, else "http". Static string. */
static inline const char *fg_conf_tls_scheme(const struct fg_conf_tls *t)
{
    return fg_conf_tls_on(t) ? "https" : "http";
}

/* FG_CONF_PAIRS: NAME: value, in file order. */
struct fg_conf_pair {
    const char *key, *value;
    struct fg_conf_pos pos;     /* of the key */
};

struct fg_conf_pairs {
    struct fg_conf_pair *items;
    size_t n;
};

/* FG_CONF_STRINGS: `key: one` or `key: [one, two]`, in file order. */
struct fg_conf_strings {
    const char **items;
    size_t n;
    struct fg_conf_pos pos;     /* of the value */
};

/* FG_CONF_FILTER: `filter_criteria: {filters: [{pattern: ...}]}` (or a bare list of
 * patterns): up to 5 EventBridge patterns as JSON texts, checked at load (core/filter.h)
 * and compiled by the source that applies them. n 0: everything passes. */
struct fg_conf_filter {
    const char **patterns;
    size_t n;
    struct fg_conf_pos pos;
};

enum fg_dest_kind {
    FG_DEST_NONE = 0,
    FG_DEST_DLQ,                /* the built-in dead-letter store */
    FG_DEST_FUNCTION,           /* an async invoke of another function */
    FG_DEST_URL,                /* a CloudEvents POST */
};

/* FG_CONF_DESTINATION: "dlq", an http(s):// URL, a function name, or {destination: X} as
 * serverless.yml nests it. A function must exist and not be the one the key belongs to:
 * checked once the whole file is read. */
struct fg_conf_destination {
    enum fg_dest_kind kind;
    const char *target;         /* function name or URL; NULL for DLQ and NONE */
    struct fg_conf_pos pos;
};

/* ------------------------------------------------------------------ helpers for parsers and checks */

/* Fails the load with "file:line:col: message" at pos. Returns -FG_ECONFIG. */
int fg_conf_fail(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *fmt, ...) FG_PRINTF(3, 4);

/* The scalar's text after ${ENV} expansion, in *out (lives as long as the config). Fails on
 * an empty value, a mapping or a list, naming `what`. */
int fg_conf_string(struct fg_conf_parser *p, struct fy_node *n, struct fg_conf_pos kpos, const char *what,
                   const char **out) FG_MUST_CHECK;

/* Where node n starts (fallback when n has no position of its own). For a mapping val, the
 * position of val[key] instead, so an error about a key points at its value. */
struct fg_conf_pos fg_conf_node_pos(struct fy_node *n, struct fg_conf_pos fallback);
struct fg_conf_pos fg_conf_value_pos(struct fy_node *val, const char *key, struct fg_conf_pos fallback);

bool fg_conf_is_scalar(struct fy_node *n);

/* Iterates a list: each call returns the next item, NULL at the end (*it starts NULL).
 * Fails when val is not a list (returns NULL with *rc set), naming `what` and `example`. */
struct fy_node *fg_conf_list_next(struct fg_conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                                  const char *what, const char *example, void **it, int *rc);

/* Appends " (did you mean 'x'?)" (case-insensitive) or " (expected one of: ...)" to msg. */
void fg_conf_suggest(char *msg, size_t size, const char *got, const char *const *names);

/* A string in the config's arena, printf-style. NULL when out of memory. */
const char *fg_conf_printf(struct fg_conf_parser *p, const char *fmt, ...) FG_PRINTF(2, 3);

/* path made absolute against the configuration file's directory. Borrowed or in the arena;
 * NULL when out of memory. */
const char *fg_conf_abspath(struct fg_conf_parser *p, const char *path);

#endif
