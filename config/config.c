/* SPDX-License-Identifier: MIT */
/* config.c - fngate.yaml → struct fg_config (see config.h): the top level, the gateway,
 * the S3 endpoint, the Invoke API, their credentials, and the functions.
 *
 * DESIGN: every mapping is a key table read by the generic walker (conf_walk.c). The
 * events of a function belong to trigger adapters: the loader is given their types as
 * data and knows none of their keys. Rules that span keys (handler needed by a runtime,
 * the 4 KB environment, destinations naming functions) run after the walk with the
 * positions the walk recorded, then each adapter's rules across its events. */
#include "config.h"

#include "../core/buf.h"
#include "../core/strmap.h"
#include "../core/url.h"
#include "conf_doc.h"
#include "conf_walk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ rates */

const struct fg_conf_key fg_conf_rate_keys[] = {
    { .name = "per_second", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_conf_rate, per_second),
      .min = 0, .max = 1000000 },
    { .name = "burst", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_rate, burst), .min = 1, .max = 1000000 },
    FG_CONF_KEY_END,
};

int fg_conf_rate_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                       struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_rate *r = field;
    (void)val;
    if (r->per_second <= 0)
        return fg_conf_fail(p, kpos, "%s: 'per_second' is required and must be above 0", k->name);
    if (!r->burst)
        r->burst = r->per_second < 1 ? 1 : (int)(r->per_second + 0.999999);
    return 0;
}

/* ------------------------------------------------------------------ events */

/* The keys every filterable event shares, next to its adapter's own. */
static const struct fg_conf_key conf_event_keys[] = {
    { .name = "filter_criteria", .type = FG_CONF_FILTER, .offset = offsetof(struct fg_conf_event, filter) },
    FG_CONF_KEY_END,
};

static const struct fg_conf_event_type *conf_event_type(struct fg_conf_parser *p, const char *kind)
{
    for (const struct fg_conf_event_type *const *t = p->types; *t; t++)
        if (!strcmp((*t)->kind, kind) || ((*t)->alias && !strcmp((*t)->alias, kind)))
            return *t;
    return NULL;
}

static int conf_unknown_event(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *kind)
{
    const char *names[32];
    size_t n = 0;
    char msg[256];
    for (const struct fg_conf_event_type *const *t = p->types; *t && n < 30; t++) {
        names[n++] = (*t)->kind;
        if ((*t)->alias)
            names[n++] = (*t)->alias;
    }
    names[n] = NULL;
    snprintf(msg, sizeof(msg), "events: unknown event type '%s'", kind);
    fg_conf_suggest(msg, sizeof(msg), kind, names);
    return fg_conf_fail(p, pos, "%s", msg);
}

/* One `- KIND: value` entry, into ev. */
static int conf_parse_event(struct fg_conf_parser *p, struct fg_conf_function *fn, struct fy_node *item,
                            struct fg_conf_pos kpos, struct fg_conf_event *ev)
{
    struct fy_node_pair *pair;
    struct fy_node *kn, *val;
    const struct fg_conf_event_type *type;
    const char *kind;
    void *it = NULL;
    int rc;

    if (!fy_node_is_mapping(item) || fy_node_mapping_item_count(item) != 1)
        return fg_conf_fail(p, fg_conf_node_pos(item, kpos), "events: each entry is a mapping with one key, e.g. '- http: GET /path'");
    pair = fy_node_mapping_iterate(item, &it);
    kn = fy_node_pair_key(pair);
    val = fy_node_pair_value(pair);
    ev->pos = fg_conf_node_pos(kn, kpos);
    if ((rc = fg_conf_key_text(p, kn, ev->pos, "events", &kind)) < 0)
        return rc;
    if (!(type = conf_event_type(p, kind)))
        return conf_unknown_event(p, ev->pos, kind);
    ev->type = type;
    ev->fn = fn;
    ev->index = 1;
    for (size_t i = 0; i < fn->n_events; i++)
        ev->index += fn->events[i].type == type;
    if (!(ev->conf = fg_arena_alloc(&p->conf->arena, type->size)))
        return -ENOMEM;
    if (type->defaults)
        type->defaults(ev->conf);
    if (type->short_key && fg_conf_is_scalar(val)) {
        const struct fg_conf_key *k = type->keys;
        while (strcmp(k->name, type->short_key))
            k++;
        rc = fg_conf_apply(p, k, val, ev->pos, ev->conf);
    } else {
        const struct fg_conf_scope scopes[] = { { type->keys, ev->conf }, { conf_event_keys, ev } };
        rc = fg_conf_walk_scopes(p, val, ev->pos, type->where, scopes, type->filterable ? 2 : 1);
    }
    if (rc < 0)
        return rc;
    return type->check ? type->check(p, ev, val) : 0;
}

static int conf_parse_events(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *seq,
                             struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_function *fn = field;
    struct fy_node *item;
    void *it = NULL;
    int rc;

    (void)k;
    if (!seq || fy_node_is_null(seq))
        return 0;
    if (!fy_node_is_sequence(seq))
        return fg_conf_fail(p, kpos, "events: expected a list (- http: ...), got %s", fg_conf_node_kind(seq));
    fn->events = fg_arena_alloc(&p->conf->arena, sizeof(*fn->events) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    if (!fn->events)
        return -ENOMEM;
    while ((item = fy_node_sequence_iterate(seq, &it))) {
        if ((rc = conf_parse_event(p, fn, item, kpos, &fn->events[fn->n_events])) < 0)
            return rc;
        fn->n_events++;
    }
    return 0;
}

/* ------------------------------------------------------------------ functions */

static const char *const conf_jitter_names[] = { "full", "equal", "none", NULL };

static const struct fg_conf_key conf_backoff_keys[] = {
    { .name = "initial", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_retries, initial_ms), .min = 1, .max = 3600000 },
    { .name = "max", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_retries, max_ms), .min = 1, .max = 86400000 },
    { .name = "multiplier", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_conf_retries, multiplier), .min = 1, .max = 10 },
    { .name = "jitter", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_retries, jitter), .names = conf_jitter_names },
    FG_CONF_KEY_END,
};

static const struct fg_conf_key conf_retries_keys[] = {
    { .name = "maximum_retry_attempts", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_retries, max_attempts),
      .min = 0, .max = 1000 },
    { .name = "maximum_event_age", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_retries, max_age_s),
      .min = 60, .max = 21600 },
    { .name = "backoff", .type = FG_CONF_TABLE, .table = conf_backoff_keys },
    FG_CONF_KEY_END,
};

/* Unset fields are -1 until conf_check() fills them from the top-level block. */
static const struct fg_conf_retries conf_retries_unset = { -1, -1, -1, -1, -1.0, -1 };
static const struct fg_conf_retries conf_retries_default = { 2, 21600, 1000, 300000, 2.0, FG_JITTER_FULL };

/* snake_case as the rest of the file, camelCase as serverless.yml writes it. */
static const struct fg_conf_key conf_destination_keys[] = {
    { .name = "on_success", .type = FG_CONF_DESTINATION, .offset = offsetof(struct fg_conf_function, on_success),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.on_success) },
    { .name = "on_failure", .type = FG_CONF_DESTINATION, .offset = offsetof(struct fg_conf_function, on_failure),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.on_failure) },
    { .name = "onSuccess", .type = FG_CONF_DESTINATION, .offset = offsetof(struct fg_conf_function, on_success),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.on_success) },
    { .name = "onFailure", .type = FG_CONF_DESTINATION, .offset = offsetof(struct fg_conf_function, on_failure),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.on_failure) },
    FG_CONF_KEY_END,
};

static const char *const conf_scaling_names[] = { "adaptive", "per_request", NULL };

static const char *const conf_network_names[] = { "host", "none", NULL };

static const struct fg_conf_key conf_function_keys[] = {
    { .name = "runtime", .type = FG_CONF_CUSTOM, .parse = fg_conf_parse_runtime },
    { .name = "handler", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_function, handler),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.handler) },
    { .name = "code", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_function, code),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.code) },
    { .name = "description", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_function, description) },
    { .name = "memory", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_function, memory_mb), .min = 128, .max = 10240,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.memory) },
    { .name = "timeout", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_function, timeout_s), .min = 1, .max = 900,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.timeout) },
    { .name = "concurrency", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_function, concurrency), .min = 1, .max = 1000,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.concurrency) },
    { .name = "min_warm", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_function, min_warm), .min = 0, .max = 1000 },
    { .name = "max_workers", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_function, max_workers), .min = 1, .max = 1000 },
    { .name = "scaling", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_function, scaling), .names = conf_scaling_names },
    { .name = "idle_timeout", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_function, idle_timeout_s),
      .min = 1, .max = 86400 },
    { .name = "snapstart", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_function, snapstart),
      .pos_offset = offsetof(struct fg_conf_function, key_pos.snapstart) },
    { .name = "ephemeral_storage", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_function, ephemeral_mb),
      .min = 512, .max = 10240,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.ephemeral_storage) },
    { .name = "network", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_function, network), .names = conf_network_names,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.network) },
    { .name = "environment", .type = FG_CONF_PAIRS, .offset = offsetof(struct fg_conf_function, env) },
    { .name = "role", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_function, role), .parse = fg_conf_parse_role },
    { .name = "url", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_function, url), .parse = fg_conf_parse_url },
    { .name = "events", .type = FG_CONF_CUSTOM, .parse = conf_parse_events },
    { .name = "retries", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_conf_function, retries), .table = conf_retries_keys,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.retries) },
    { .name = "destinations", .type = FG_CONF_TABLE, .table = conf_destination_keys },
    { .name = "rate", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_conf_function, rate), .table = fg_conf_rate_keys,
      .check = fg_conf_rate_check,
      .pos_offset = offsetof(struct fg_conf_function, key_pos.rate) },
    FG_CONF_KEY_END,
};

/* ------------------------------------------------------------------ reload hashes */

/* A reload compares what was written, not what it parsed to: FNV-1a hashes of the text.
 * The node as one line of flow YAML, hashed; an emitter failure hashes as a change. */
static unsigned long long conf_hash_node(unsigned long long h, struct fy_node *n)
{
    char *text = n ? fy_emit_node_to_string(n, FYECF_MODE_FLOW_ONELINE | FYECF_WIDTH_INF) : NULL;
    if (!text)
        return fg_fnv1a(h, "?", 1) ^ (unsigned long long)(uintptr_t)n;
    h = fg_fnv1a(h, text, strlen(text));
    free(text);
    return h;
}

/* A function's keys that apply to its running workers: changing them retires none. */
static const char *const conf_fn_in_place[] = {
    "events", "concurrency", "min_warm", "max_workers", "scaling", "idle_timeout", "description", "retries",
    "destinations", "rate", "url", NULL,
};
/* The top-level key whose changes are per function. */
static const char *const conf_top_skipped[] = { "functions", NULL };
/* gateway's keys a reload applies (the front door's new view takes them): left out of
 * gateway's own hash, which tells a reload that something only a restart changes. */
static const char *const conf_gateway_reloaded[] = { "authorizers", NULL };

/* Every pair of mapping map whose key is not in skip, key and value, in file order. */
static unsigned long long conf_hash_pairs(struct fy_node *map, const char *const *skip)
{
    unsigned long long h = FG_FNV1A_SEED;
    struct fy_node_pair *pair;
    void *it = NULL;

    if (!map || !fy_node_is_mapping(map))
        return conf_hash_node(h, map);
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        size_t len = 0;
        const char *key = fy_node_get_scalar(fy_node_pair_key(pair), &len);
        bool skipped = false;
        for (const char *const *s = skip; key && *s && !skipped; s++)
            skipped = strlen(*s) == len && !strncmp(*s, key, len);
        if (!skipped) {
            h = conf_hash_node(h, fy_node_pair_key(pair));
            h = conf_hash_node(h, fy_node_pair_value(pair));
        }
    }
    return h;
}

/* Each top-level pair's hash into conf->top_keys (the walk checked the keys). */
static int conf_hash_top_keys(struct fg_config *conf, struct fy_node *root)
{
    struct fy_node_pair *pair;
    void *it = NULL;

    if (!fy_node_is_mapping(root))
        return 0;
    conf->top_keys = fg_arena_alloc(&conf->arena, sizeof(*conf->top_keys) * ((size_t)fy_node_mapping_item_count(root) + 1));
    if (!conf->top_keys)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(root, &it))) {
        size_t len = 0;
        const char *key = fy_node_get_scalar(fy_node_pair_key(pair), &len);
        struct fg_conf_key_hash *h = &conf->top_keys[conf->n_top_keys];
        if (!key || !(h->key = fg_arena_strndup(&conf->arena, key, len)))
            continue;
        h->hash = (len == 7 && !strncmp(key, "gateway", 7)
                       ? conf_hash_pairs(fy_node_pair_value(pair), conf_gateway_reloaded)
                       : conf_hash_node(FG_FNV1A_SEED, fy_node_pair_value(pair))) | 1;
        conf->n_top_keys++;
    }
    return 0;
}

unsigned long long fg_conf_top_key_hash(const struct fg_config *conf, const char *key)
{
    for (size_t i = 0; i < conf->n_top_keys; i++)
        if (!strcmp(conf->top_keys[i].key, key))
            return conf->top_keys[i].hash;
    return 0;
}

static int conf_parse_functions(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *map,
                                struct fg_conf_pos kpos, void *field)
{
    struct fg_config *conf = field;
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if ((rc = fg_conf_mapping(p, map, kpos, k->name, "a mapping of NAME: {...}")) <= 0)
        return rc;
    conf->functions = fg_arena_alloc(&conf->arena, sizeof(*conf->functions) * ((size_t)fy_node_mapping_item_count(map) + 1));
    if (!conf->functions)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fg_conf_function *fn = &conf->functions[conf->n_functions];
        struct fy_node *kn = fy_node_pair_key(pair);
        struct fg_conf_pos pos = fg_conf_node_pos(kn, kpos);
        const char *name;
        char where[160];
        if ((rc = fg_conf_string(p, kn, pos, "functions", &name)) < 0)
            return rc;
        for (const char *c = name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return fg_conf_fail(p, pos, "function name '%s': use letters, digits, - and _ (as Lambda does)", name);
        if (strlen(name) > 64)
            return fg_conf_fail(p, pos, "function name '%s' is longer than 64 characters", name);
        fn->name = name;
        fn->pos = pos;
        fn->memory_mb = 128;
        fn->ephemeral_mb = 512;
        fn->timeout_s = 3;
        fn->idle_timeout_s = 300;
        fn->runtime = -1;
        fn->retries = conf_retries_unset;
        snprintf(where, sizeof(where), "function %s", name);
        p->fn = fn;
        rc = fg_conf_walk(p, fy_node_pair_value(pair), pos, where, conf_function_keys, fn);
        p->fn = NULL;
        if (rc < 0)
            return rc;
        fn->src_hash = conf_hash_node(FG_FNV1A_SEED, fy_node_pair_value(pair));
        fn->worker_hash = conf_hash_pairs(fy_node_pair_value(pair), conf_fn_in_place);
        conf->n_functions++;
    }
    return 0;
}

int fg_conf_hostport(struct fg_config *conf, const char *s, const char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    struct in_addr in;
    struct in6_addr in6;
    char *end;
    long v;
    if (!colon)
        return -1;
    errno = 0;
    v = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || v < 0 || v > 65535)
        return -1;
    if (s[0] == '[' && colon > s && colon[-1] == ']')
        *host = fg_arena_strndup(&conf->arena, s + 1, (size_t)(colon - s - 2));
    else
        *host = colon == s ? "127.0.0.1" : fg_arena_strndup(&conf->arena, s, (size_t)(colon - s));
    *port = (int)v;
    /* Listeners bind addresses, not names: a host name would pass here and fail at start. */
    if (!*host || (strcmp(*host, "localhost") && inet_pton(AF_INET, *host, &in) != 1 &&
                   inet_pton(AF_INET6, *host, &in6) != 1))
        return -1;
    return 0;
}

/* ------------------------------------------------------------------ credentials */

static const struct fg_conf_key conf_credential_keys[] = {
    { .name = "access_key", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_credential, access_key) },
    { .name = "secret_key", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_credential, secret_key) },
    { .name = "secret_key_file", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_credential, secret_key_file) },
    FG_CONF_KEY_END,
};

/* The longest secret (gateway/sigv4.h's FG_SIGV4_SECRET_MAX; AWS's are 40 characters), and
 * the most read from a file to find it. */
#define CONF_SECRET_MAX 256
#define CONF_SECRET_FILE_MAX 4096

/* c->secret_key from c->secret_key_file: the file's text without its final line break
 * (what `echo secret > file` or a mounted secret holds). */
static int conf_read_secret(struct fg_conf_parser *p, struct fg_conf_credential *c, struct fg_conf_pos pos)
{
    char buf[CONF_SECRET_FILE_MAX + 1];
    size_t n;
    FILE *f;

    if (!(c->secret_key_file = fg_conf_abspath(p, c->secret_key_file)))
        return -ENOMEM;
    if (!(f = fopen(c->secret_key_file, "r")))
        return fg_conf_fail(p, pos, "credentials: secret_key_file %s: %s", c->secret_key_file, strerror(errno));
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n > CONF_SECRET_FILE_MAX)
        return fg_conf_fail(p, pos, "credentials: secret_key_file %s is larger than %d bytes", c->secret_key_file,
                            CONF_SECRET_FILE_MAX);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (!n || strlen(buf) != n)
        return fg_conf_fail(p, pos, "credentials: secret_key_file %s %s", c->secret_key_file,
                            n ? "contains a NUL byte" : "is empty");
    c->secret_key = fg_arena_strdup(&p->conf->arena, buf);
    explicit_bzero(buf, sizeof(buf));
    return c->secret_key ? 0 : -ENOMEM;
}

/* One {access_key, secret_key | secret_key_file} mapping into c. */
static int conf_parse_credential(struct fg_conf_parser *p, struct fy_node *item, struct fg_conf_pos pos,
                                 struct fg_conf_credential *c)
{
    int rc;

    if (!fy_node_is_mapping(item))
        return fg_conf_fail(p, pos, "credentials: expected {access_key: ..., secret_key: ...}, got %s", fg_conf_node_kind(item));
    c->pos = pos;
    if ((rc = fg_conf_walk(p, item, pos, "credentials", conf_credential_keys, c)) < 0)
        return rc;
    if (!c->access_key)
        return fg_conf_fail(p, pos, "credentials: 'access_key' is required");
    if (!*c->access_key || strlen(c->access_key) > 127 || strpbrk(c->access_key, "/,= \t\r\n"))
        return fg_conf_fail(p, pos,
                            "credentials: access_key '%s': 1 to 127 characters, without '/', ',', '=' or spaces "
                            "(it is sent as Credential=ACCESS_KEY/...)", c->access_key);
    if (!c->secret_key == !c->secret_key_file)
        return fg_conf_fail(p, pos, "credentials: access_key %s: give exactly one of secret_key and secret_key_file",
                            c->access_key);
    if (c->secret_key_file && (rc = conf_read_secret(p, c, fg_conf_value_pos(item, "secret_key_file", pos))) < 0)
        return rc;
    if (strlen(c->secret_key) > CONF_SECRET_MAX)
        return fg_conf_fail(p, pos, "credentials: access_key %s: the secret is longer than %d characters",
                            c->access_key, CONF_SECRET_MAX);
    return 0;
}

/* Appends item to cs (whose items have room): an access key is listed once. */
static int conf_add_credential(struct fg_conf_parser *p, struct fg_conf_credentials *cs, struct fy_node *item,
                               struct fg_conf_pos kpos)
{
    struct fg_conf_credential *c = &cs->items[cs->n];
    struct fg_conf_pos pos = fg_conf_value_pos(item, "access_key", kpos);
    const struct fg_conf_credential *dup;
    int rc;

    if ((rc = conf_parse_credential(p, item, pos, c)) < 0)
        return rc;
    if ((dup = fg_conf_credential_find(cs, c->access_key)))
        return fg_conf_fail(p, pos, "credentials: access_key %s is already listed at %s:%d:%d", c->access_key,
                            p->name, dup->pos.line, dup->pos.col);
    cs->n++;
    return 0;
}

/* `credentials:` one mapping, or a list of them (struct fg_conf_credentials). */
static int conf_parse_credentials(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                  struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_credentials *cs = field;
    struct fy_node *item;
    void *it = NULL;
    size_t n;
    int rc;

    if (val && fy_node_is_mapping(val))
        n = 1;
    else if (val && fy_node_is_sequence(val) && fy_node_sequence_item_count(val) > 0)
        n = (size_t)fy_node_sequence_item_count(val);
    else
        return fg_conf_fail(p, kpos, "%s: expected {access_key: ..., secret_key: ...} or a list of them", k->name);
    if (!(cs->items = fg_arena_alloc(&p->conf->arena, sizeof(*cs->items) * n)))
        return -ENOMEM;
    memset(cs->items, 0, sizeof(*cs->items) * n);
    cs->n = 0;
    if (n == 1 && fy_node_is_mapping(val))
        return conf_add_credential(p, cs, val, kpos);
    while ((item = fy_node_sequence_iterate(val, &it)))
        if ((rc = conf_add_credential(p, cs, item, kpos)) < 0)
            return rc;
    return 0;
}

const struct fg_conf_credential *fg_conf_credential_find(const struct fg_conf_credentials *c, const char *access_key)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].access_key, access_key))
            return &c->items[i];
    return NULL;
}

/* ------------------------------------------------------------------ the gateway, the S3 endpoint and the Invoke API */

static const struct fg_conf_key conf_s3_keys[] = {
    { .name = "listen", .type = FG_CONF_ADDR, .offset = offsetof(struct fg_conf_s3, listen) },
    { .name = "tls", .type = FG_CONF_TLS, .offset = offsetof(struct fg_conf_s3, tls) },
    { .name = "root", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_s3, root) },
    { .name = "credentials", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_s3, credentials),
      .parse = conf_parse_credentials },
    { .name = "max_connections_per_client", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_s3, max_conns_per_client),
      .min = 0, .max = 1000000 },
    FG_CONF_KEY_END,
};

/* The endpoint is on once the key is present, with defaults for what it leaves out. */
static int conf_s3_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                         struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_s3 *s3 = field;
    (void)k, (void)val, (void)kpos;
    s3->enabled = true;
    if (!s3->listen.host)
        s3->listen = (struct fg_conf_addr){ "127.0.0.1", 9000 };
    return (s3->root = fg_conf_abspath(p, s3->root ? s3->root : "data/s3")) ? 0 : -ENOMEM;
}

/* admin.listen: HOST:PORT as every listener, or unix:/path. */
static int conf_parse_admin_listen(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                   struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_admin *a = field;
    const char *s;
    int rc;

    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    if (!strncmp(s, "unix:", 5)) {
        if (!s[5] || strlen(s + 5) > 100)
            return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: expected unix:/path/to/socket (at most 100 "
                                "characters), got '%s'", k->name, s);
        return (a->unix_path = fg_conf_abspath(p, s + 5)) ? 0 : -ENOMEM;
    }
    a->unix_path = NULL;
    if (fg_conf_hostport(p->conf, s, &a->listen.host, &a->listen.port) < 0)
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: expected HOST:PORT with an IP address or localhost "
                            "(127.0.0.1:9180), or unix:/path/to/socket, got '%s'", k->name, s);
    return 0;
}

static const struct fg_conf_key conf_admin_keys[] = {
    { .name = "listen", .type = FG_CONF_CUSTOM, .parse = conf_parse_admin_listen },
    { .name = "token", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_admin, token) },
    { .name = "token_file", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_admin, token_file) },
    { .name = "tls", .type = FG_CONF_TLS, .offset = offsetof(struct fg_conf_admin, tls) },
    FG_CONF_KEY_END,
};

static int conf_admin_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                            struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_admin *a = field;
    (void)k;
    if (a->token && a->token_file)
        return fg_conf_fail(p, kpos, "admin: give token or token_file, not both");
    if (a->token && strlen(a->token) < FG_ADMIN_TOKEN_MIN)
        return fg_conf_fail(p, fg_conf_value_pos(val, "token", kpos), "admin.token: at least %d characters "
                            "(leave it out and fngate makes one in state_dir/admin.token)", FG_ADMIN_TOKEN_MIN);
    if (a->unix_path && fg_conf_tls_on(&a->tls))
        return fg_conf_fail(p, fg_conf_value_pos(val, "tls", kpos), "admin.tls: a unix socket takes no TLS "
                            "(its file mode already keeps others out)");
    if (a->token_file && !(a->token_file = fg_conf_abspath(p, a->token_file)))
        return -ENOMEM;
    return 0;
}

static const char *const conf_invoke_auth_names[] = { "sigv4", "none", NULL };

static const struct fg_conf_key conf_invoke_api_keys[] = {
    { .name = "enabled", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_invoke_api, enabled) },
    { .name = "auth", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_invoke_api, auth),
      .names = conf_invoke_auth_names },
    { .name = "credentials", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_conf_invoke_api, credentials),
      .parse = conf_parse_credentials },
    FG_CONF_KEY_END,
};

/* The rules across invoke_api's keys, where the mapping was written. The defaults (no
 * `invoke_api:` at all, or no auth:) are resolved in conf_check. */
static int conf_invoke_api_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                 struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_invoke_api *api = field;
    struct fg_conf_pos apos = fg_conf_value_pos(val, "auth", kpos);
    (void)k;
    if (api->auth == FG_INVOKE_AUTH_SIGV4 && !api->credentials.n)
        return fg_conf_fail(p, apos, "invoke_api: auth sigv4 needs credentials: [{access_key: ..., secret_key: ...}]");
    if (api->auth == FG_INVOKE_AUTH_NONE && api->credentials.n)
        return fg_conf_fail(p, apos, "invoke_api: auth none would ignore the credentials listed: remove one or the other");
    return 0;
}

/* Remembers where gateway.listen was written, for the exposure check's message. */
static int conf_gateway_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    struct fg_config *conf = field;
    (void)p, (void)k;
    if (val && fy_node_is_mapping(val) && fy_node_mapping_lookup_by_string(val, "listen", FY_NT))
        conf->listen_pos = fg_conf_value_pos(val, "listen", kpos);
    return 0;
}

static const struct fg_conf_key conf_gateway_keys[] = {
    { .name = "listen", .type = FG_CONF_ADDR, .offset = offsetof(struct fg_config, listen) },
    { .name = "tls", .type = FG_CONF_TLS, .offset = offsetof(struct fg_config, tls) },
    { .name = "max_concurrency", .type = FG_CONF_INT, .offset = offsetof(struct fg_config, max_concurrency), .min = 1, .max = 100000 },
    { .name = "debug_errors", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_config, debug_errors) },
    { .name = "header_timeout", .type = FG_CONF_MS, .offset = offsetof(struct fg_config, header_timeout_ms),
      .min = 100, .max = 300000 },
    { .name = "http_threads", .type = FG_CONF_INT, .offset = offsetof(struct fg_config, http_threads), .min = 1, .max = 256 },
    { .name = "max_connections_per_client", .type = FG_CONF_INT, .offset = offsetof(struct fg_config, max_conns_per_client),
      .min = 0, .max = 1000000 },
    { .name = "queue_memory", .type = FG_CONF_INT, .offset = offsetof(struct fg_config, queue_memory_mb), .min = 1, .max = 1048576 },
    { .name = "cors", .type = FG_CONF_CUSTOM, .offset = offsetof(struct fg_config, cors), .parse = fg_conf_parse_cors },
    { .name = "authorizers", .type = FG_CONF_CUSTOM, .parse = fg_conf_parse_authorizers },
    FG_CONF_KEY_END,
};

static const struct fg_conf_key conf_isolation_keys[] = {
    { .name = "enabled", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_isolation, enabled) },
    { .name = "uid_min", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_isolation, uid_min), .min = 1000, .max = 2147483646 },
    { .name = "uid_max", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_isolation, uid_max), .min = 1000, .max = 2147483646 },
    FG_CONF_KEY_END,
};

static const struct fg_conf_key conf_pricing_keys[] = {
    { .name = "requests_per_million", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_pricing, requests_per_million),
      .min = 0, .max = 1000000 },
    { .name = "gb_second", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_pricing, gb_second), .min = 0, .max = 1000 },
    { .name = "free_requests", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_pricing, free_requests),
      .min = 0, .max = 1000000000000L },
    { .name = "free_gb_seconds", .type = FG_CONF_DOUBLE, .offset = offsetof(struct fg_pricing, free_gb_seconds),
      .min = 0, .max = 1000000000000L },
    FG_CONF_KEY_END,
};

static const struct fg_conf_key conf_logs_keys[] = {
    { .name = "store", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_logs, store) },
    { .name = "usage", .type = FG_CONF_BOOL, .offset = offsetof(struct fg_conf_logs, usage) },
    { .name = "retention", .type = FG_CONF_SECONDS, .offset = offsetof(struct fg_conf_logs, retention_s),
      .min = 1, .max = 3650L * 86400 },
    { .name = "max_size", .type = FG_CONF_BYTES, .offset = offsetof(struct fg_conf_logs, max_bytes),
      .min = 16L << 10, .max = 1L << 40 },
    FG_CONF_KEY_END,
};

static const char *const conf_log_formats[] = { "text", "json", NULL };
static const char *const conf_durability_names[] = { "full", "memory", NULL };

static const struct fg_conf_key conf_top_keys[] = {
    { .name = "service", .type = FG_CONF_STR, .offset = offsetof(struct fg_config, service) },
    { .name = "gateway", .type = FG_CONF_TABLE, .table = conf_gateway_keys, .check = conf_gateway_check },
    { .name = "state_dir", .type = FG_CONF_STR, .offset = offsetof(struct fg_config, state_dir) },
    { .name = "state", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, state), .table = fg_conf_state_keys,
      .check = fg_conf_state_check },
    { .name = "region", .type = FG_CONF_STR, .offset = offsetof(struct fg_config, region) },
    { .name = "account_id", .type = FG_CONF_STR, .offset = offsetof(struct fg_config, account_id) },
    { .name = "log_format", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_config, log_format), .names = conf_log_formats },
    { .name = "durability", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_config, durability), .names = conf_durability_names },
    { .name = "retries", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, retries), .table = conf_retries_keys },
    { .name = "s3", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, s3), .table = conf_s3_keys, .check = conf_s3_check },
    { .name = "admin", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, admin), .table = conf_admin_keys, .check = conf_admin_check },
    { .name = "invoke_api", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, invoke_api),
      .table = conf_invoke_api_keys, .check = conf_invoke_api_check },
    { .name = "stop_timeout", .type = FG_CONF_MS, .offset = offsetof(struct fg_config, stop_timeout_ms),
      .min = 100, .max = 600000 },
    { .name = "pricing", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, pricing), .table = conf_pricing_keys },
    { .name = "isolation", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, isolation), .table = conf_isolation_keys },
    { .name = "logs", .type = FG_CONF_TABLE, .offset = offsetof(struct fg_config, logs), .table = conf_logs_keys },
    { .name = "functions", .type = FG_CONF_CUSTOM, .parse = conf_parse_functions },
    FG_CONF_KEY_END,
};

/* ------------------------------------------------------------------ cross-key rules */

static const char *const conf_reserved_env[] = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", NULL,
};

static bool conf_env_name_ok(const char *k)
{
    if (!isalpha((unsigned char)k[0]) || !k[1])
        return false;
    for (const char *c = k + 1; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return false;
    return true;
}

/* Lambda's rules for environment variables: names, reserved names, 4 KB in all. */
static int conf_check_env(struct fg_conf_parser *p, const struct fg_conf_function *fn)
{
    size_t total = 0;
    for (size_t i = 0; i < fn->env.n; i++) {
        const struct fg_conf_pair *e = &fn->env.items[i];
        if (!conf_env_name_ok(e->key))
            return fg_conf_fail(p, e->pos, "environment: '%s' is not a valid name (letters, digits and _, starting with a letter, at least 2 characters)", e->key);
        for (const char *const *r = conf_reserved_env; *r; r++)
            if (!strcmp(*r, e->key))
                return fg_conf_fail(p, e->pos, "environment: %s is reserved by the Lambda runtime and set by fngate", e->key);
        total += strlen(e->key) + strlen(e->value);
        if (total > FG_ENV_MAX_BYTES)
            return fg_conf_fail(p, e->pos, "environment: variables exceed Lambda's 4 KB limit (%zu bytes so far)", total);
    }
    return 0;
}

/* Fills the fields of r left unset (-1) from d. */
static void conf_retries_merge(struct fg_conf_retries *r, const struct fg_conf_retries *d)
{
    if (r->max_attempts < 0) r->max_attempts = d->max_attempts;
    if (r->max_age_s < 0) r->max_age_s = d->max_age_s;
    if (r->initial_ms < 0) r->initial_ms = d->initial_ms;
    if (r->max_ms < 0) r->max_ms = d->max_ms;
    if (r->multiplier < 0) r->multiplier = d->multiplier;
    if (r->jitter < 0) r->jitter = d->jitter;
}

/* A destination naming a function: it exists and is not the function itself. */
static int conf_check_destinations(struct fg_conf_parser *p)
{
    for (size_t i = 0; i < p->n_dests; i++) {
        const struct fg_conf_dest_ref *r = &p->dests[i];
        const struct fg_conf_destination *d = r->dest;
        if (d->kind != FG_DEST_FUNCTION || !r->fn)
            continue;
        if (!strcmp(d->target, r->fn->name))
            return fg_conf_fail(p, d->pos, "function %s: %s cannot be the function itself", r->fn->name, r->what);
        if (!fg_conf_function(p->conf, d->target))
            return fg_conf_fail(p, d->pos, "function %s: %s: no function named '%s' (use dlq, an http(s):// URL, or a function of this file)",
                                r->fn->name, r->what, d->target);
    }
    return 0;
}

static int conf_check_function(struct fg_conf_parser *p, struct fg_conf_function *fn)
{
    struct fg_config *conf = p->conf;
    struct stat st;
    int rc;

    conf_retries_merge(&fn->retries, &conf->retries);
    if (fn->retries.initial_ms > fn->retries.max_ms)
        return fg_conf_fail(p, fn->pos, "function %s: retries: backoff initial (%d ms) is above max (%d ms)",
                            fn->name, fn->retries.initial_ms, fn->retries.max_ms);
    if (fn->on_failure.kind == FG_DEST_NONE)
        fn->on_failure.kind = FG_DEST_DLQ;
    if (fn->on_success.kind == FG_DEST_DLQ)
        return fg_conf_fail(p, fn->on_success.pos, "function %s: on_success cannot be dlq (the dead-letter store keeps failures)", fn->name);
    if ((rc = conf_check_env(p, fn)) < 0)
        return rc;
    if ((int)fn->runtime < 0)
        return fg_conf_fail(p, fn->pos, "function %s: 'runtime' is required (python3, nodejs, provided, exec, or "
                            "Lambda's python3.12, nodejs20.x, java21, ruby3.3, go1.x, provided.al2023)", fn->name);
    if (!fn->code)
        return fg_conf_fail(p, fn->pos, "function %s: 'code' (the directory holding the handler) is required", fn->name);
    if (!(fn->code = fg_conf_abspath(p, fn->code)))
        return -ENOMEM;
    if (stat(fn->code, &st) < 0 || !S_ISDIR(st.st_mode))
        return fg_conf_fail(p, fn->pos, "function %s: code directory %s does not exist", fn->name, fn->code);
    if (fn->runtime != FG_RUNTIME_PROVIDED && !fn->handler)
        return fg_conf_fail(p, fn->pos, "function %s: 'handler' is required for runtime %s", fn->name,
                            fn->runtime_written);
    if (fn->runtime == FG_RUNTIME_PROVIDED || fn->runtime == FG_RUNTIME_GO) {
        /* go1.x runs the executable its handler names, as Lambda's go1.x did */
        char boot[PATH_MAX];
        const char *exe = fn->runtime == FG_RUNTIME_GO ? fn->handler : "bootstrap";
        snprintf(boot, sizeof(boot), "%s/%s", fn->code, exe);
        if (strstr(exe, "..") || access(boot, X_OK) < 0)
            return fg_conf_fail(p, fn->pos, "function %s: runtime %s needs an executable %s", fn->name,
                                fn->runtime_written, boot);
    }
    if ((fn->runtime == FG_RUNTIME_PYTHON3 || fn->runtime == FG_RUNTIME_NODEJS || fn->runtime == FG_RUNTIME_RUBY) &&
        (!strchr(fn->handler, '.') || fn->handler[0] == '.'))
        return fg_conf_fail(p, fn->pos, "function %s: handler '%s' must be FILE.FUNCTION (e.g. app.lambda_handler)",
                            fn->name, fn->handler);
    if (fn->snapstart && fn->runtime != FG_RUNTIME_PYTHON3 && fn->runtime != FG_RUNTIME_NODEJS)
        return fg_conf_fail(p, fn->pos, "function %s: snapstart needs runtime python3 or nodejs (not %s)", fn->name,
                            fn->runtime_written);
    if (fn->snapstart && fn->runtime == FG_RUNTIME_PYTHON3 && fn->network == FG_NETWORK_NONE)
        return fg_conf_fail(p, fn->pos, "function %s: snapstart and network: none cannot be combined (restored "
                            "workers are forks of one template, which lives in one network)", fn->name);
    if (fn->min_warm > fn->concurrency && fn->concurrency)
        return fg_conf_fail(p, fn->pos, "function %s: min_warm (%d) is above concurrency (%d)", fn->name,
                            fn->min_warm, fn->concurrency);
    if (fn->min_warm > fn->max_workers && fn->max_workers)
        return fg_conf_fail(p, fn->pos, "function %s: min_warm (%d) is above max_workers (%d)", fn->name,
                            fn->min_warm, fn->max_workers);
    return 0;
}

static int conf_check(struct fg_conf_parser *p)
{
    struct fg_config *conf = p->conf;
    int rc;

    conf_retries_merge(&conf->retries, &conf_retries_default);
    conf->invoke_api.auth_explicit = conf->invoke_api.auth >= 0;
    if (!conf->invoke_api.auth_explicit)
        conf->invoke_api.auth = conf->invoke_api.credentials.n ? FG_INVOKE_AUTH_SIGV4 : FG_INVOKE_AUTH_NONE;
    if (conf->retries.initial_ms > conf->retries.max_ms)
        return fg_conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "retries: backoff initial (%d ms) is above max (%d ms)",
                            conf->retries.initial_ms, conf->retries.max_ms);
    if (conf->isolation.uid_min > conf->isolation.uid_max)
        return fg_conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "isolation: uid_min (%d) is above uid_max (%d)",
                            conf->isolation.uid_min, conf->isolation.uid_max);
    for (size_t i = 0; i < conf->n_functions; i++)
        if ((rc = conf_check_function(p, &conf->functions[i])) < 0)
            return rc;
    if ((rc = conf_check_destinations(p)) < 0 || (rc = fg_conf_check_authorizers(p)) < 0)
        return rc;
    for (const struct fg_conf_event_type *const *t = p->types; *t; t++)
        if ((*t)->check_all && (rc = (*t)->check_all(p, conf)) < 0)
            return rc;
    return 0;
}

/* ------------------------------------------------------------------ API */

static int conf_from_document(struct fg_config *conf, struct fg_conf_parser *p, struct fy_document *doc)
{
    struct fg_conf_pos top = { 1, 1 };
    struct fy_node *root = fy_document_root(doc);
    int rc;

    conf->listen = (struct fg_conf_addr){ "127.0.0.1", 8080 };
    conf->admin.listen = (struct fg_conf_addr){ "127.0.0.1", 9180 };
    conf->max_concurrency = 1000;
    conf->header_timeout_ms = 10000;
    conf->max_conns_per_client = FG_CONNS_PER_CLIENT_DEFAULT;
    conf->s3.max_conns_per_client = FG_CONNS_PER_CLIENT_DEFAULT;
    conf->queue_memory_mb = 256;
    conf->region = "us-east-1";
    conf->account_id = "000000000000";
    conf->service = "fngate";
    conf->state_dir = ".fngate";
    fg_conf_state_defaults(&conf->state);
    conf->retries = conf_retries_unset;
    conf->invoke_api.enabled = true;
    conf->invoke_api.auth = -1;
    conf->isolation = (struct fg_conf_isolation){ true, 61184, 65519 };
    fg_pricing_defaults(&conf->pricing);
    conf->logs = (struct fg_conf_logs){ true, true, 30 * 86400, 100LL << 20 };
    conf->stop_timeout_ms = 5000;
    if (!root)
        return fg_conf_fail(p, top, "the file is empty; expected a mapping with 'functions:'");
    if ((rc = fg_conf_walk(p, root, top, "the top level", conf_top_keys, conf)) < 0)
        return rc;
    conf->top_hash = conf_hash_pairs(root, conf_top_skipped);
    if ((rc = conf_hash_top_keys(conf, root)) < 0)
        return rc;
    if (!(conf->state_dir = fg_conf_abspath(p, conf->state_dir)))
        return -ENOMEM;
    if (!conf->admin.token && !conf->admin.token_file) {
        conf->admin.token_file_default = true;
        if (!(conf->admin.token_file = fg_conf_printf(p, "%s/admin.token", conf->state_dir)))
            return -ENOMEM;
    }
    if (strlen(conf->account_id) != 12 || strspn(conf->account_id, "0123456789") != 12)
        return fg_conf_fail(p, top, "account_id: expected 12 digits, got '%s'", conf->account_id);
    return conf_check(p);
}

static int conf_load(struct fg_config *conf, const char *name, const char *dir, const char *yaml, size_t len,
                     const struct fg_conf_event_type *const *types, struct fg_err *err)
{
    static const struct fg_conf_event_type *const no_types[] = { NULL };
    struct fg_conf_parser p = { .conf = conf, .name = name, .err = err, .types = types ? types : no_types };
    struct fy_document *doc;
    int rc;

    memset(conf, 0, sizeof(*conf));
    fg_arena_init(&conf->arena);
    conf->path = fg_arena_strdup(&conf->arena, name);
    conf->dir = fg_arena_strdup(&conf->arena, dir);
    /* A serverless.yml or a SAM template becomes the fngate.yaml it stands for (conf_doc.h),
     * then `defaults:` reaches every function, then one walk checks it all. */
    if ((rc = fg_conf_yaml_parse(&p, yaml, len, &doc)) == 0 && (rc = fg_conf_sls_translate(&p, &doc)) == 0 &&
        (rc = fg_conf_sam_translate(&p, &doc)) == 0 && (rc = fg_conf_apply_defaults(&p, doc)) == 0)
        rc = conf_from_document(conf, &p, doc);
    if (rc == -ENOMEM)
        fg_err_set(err, rc, "%s: out of memory", name);
    fg_conf_parser_close(&p);
    if (doc)
        fy_document_destroy(doc);
    if (rc < 0)
        fg_conf_free(conf);
    return rc;
}

int fg_conf_load_string(struct fg_config *conf, const char *name, const char *dir, const char *yaml,
                        const struct fg_conf_event_type *const *types, struct fg_err *err)
{
    return conf_load(conf, name, dir, yaml, strlen(yaml), types, err);
}

int fg_conf_load(struct fg_config *conf, const char *path, const struct fg_conf_event_type *const *types,
                 struct fg_err *err)
{
    char dir[PATH_MAX], *slash;
    struct fg_buf b;
    FILE *f;
    char chunk[8192];
    size_t n;
    int rc;

    memset(conf, 0, sizeof(*conf));
    if (!(f = fopen(path, "r")))
        return fg_err_set(err, -errno, "%s: %s", path, strerror(errno));
    fg_buf_init(&b, 16u << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if ((rc = fg_buf_append(&b, chunk, n)) < 0) {
            fclose(f);
            fg_buf_free(&b);
            return fg_err_set(err, rc, "%s: %s", path, rc == -FG_ETOOBIG ? "larger than 16 MB" : "out of memory");
        }
    }
    fclose(f);
    if ((rc = fg_buf_append(&b, "", 0)) < 0) {
        fg_buf_free(&b);
        return fg_err_set(err, rc, "%s: out of memory", path);
    }
    if (!realpath(path, dir)) {
        fg_buf_free(&b);
        return fg_err_set(err, -errno, "%s: %s", path, strerror(errno));
    }
    if ((slash = strrchr(dir, '/')))
        *(slash == dir ? slash + 1 : slash) = '\0';
    rc = conf_load(conf, path, dir, b.data, b.len, types, err);
    fg_buf_free(&b);
    return rc;
}

void fg_conf_free(struct fg_config *conf)
{
    fg_arena_free(&conf->arena);
    memset(conf, 0, sizeof(*conf));
}

bool fg_conf_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcasecmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return false;
}

int fg_conf_check_exposure(const struct fg_config *conf, const char *listen_arg, struct fg_err *err)
{
    const struct fg_conf_invoke_api *api = &conf->invoke_api;
    char where[600], addr[300];

    if (!api->enabled || api->auth != FG_INVOKE_AUTH_NONE || api->auth_explicit ||
        fg_conf_host_is_loopback(conf->listen.host))
        return 0;
    fg_url_authority(addr, sizeof(addr), conf->listen.host, conf->listen.port);
    if (listen_arg)
        snprintf(where, sizeof(where), "--listen %s", listen_arg);
    else
        snprintf(where, sizeof(where), "%s:%d:%d: gateway.listen %s", conf->path, conf->listen_pos.line,
                 conf->listen_pos.col, addr);
    return fg_err_set(err, -FG_ECONFIG,
                      "%s is not loopback, and the Invoke API there would run any function for anyone who can reach "
                      "it: give invoke_api.credentials (SigV4 keys the callers sign with), or write invoke_api.auth: "
                      "none to serve it unauthenticated on purpose (or invoke_api.enabled: false)", where);
}

void fg_conf_function_arn(const struct fg_config *conf, const char *name, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:lambda:%s:%s:function:%s", conf->region, conf->account_id, name);
}

const struct fg_conf_function *fg_conf_function(const struct fg_config *conf, const char *name)
{
    for (size_t i = 0; i < conf->n_functions; i++)
        if (!strcmp(conf->functions[i].name, name))
            return &conf->functions[i];
    return NULL;
}

const struct fg_conf_event *fg_conf_event_of(const struct fg_conf_function *fn, const char *kind, size_t i)
{
    for (size_t j = 0; j < fn->n_events; j++)
        if (!strcmp(fn->events[j].type->kind, kind) && i-- == 0)
            return &fn->events[j];
    return NULL;
}

size_t fg_conf_count_events(const struct fg_config *conf, const struct fg_conf_event_type *type)
{
    size_t n = 0;
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_events; j++)
            n += conf->functions[i].events[j].type == type;
    return n;
}
