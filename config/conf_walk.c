/* SPDX-License-Identifier: MIT */
/* conf_walk.c - the generic key walker (conf_key.h, conf_walk.h).
 *
 * DESIGN: a mapping is read against key tables; each key's type says how its value is
 * parsed and checked, so a new key is one table row and every key gets the same errors.
 * libfyaml gives positions for scalar tokens only, so an error about a whole mapping or
 * sequence points at the key that introduced it. */
#include "conf_walk.h"

#include "../core/buf.h"
#include "../core/filter.h"
#include "../core/tls.h"
#include "../core/tz.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ positions and errors */

struct fg_conf_pos fg_conf_node_pos(struct fy_node *n, struct fg_conf_pos fallback)
{
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    struct fg_conf_pos pos = fallback;
    /* A node a translation made (conf_doc.h) has a mark at 0:0, as only the file's first
     * token does (a top-level key, whose fallback is 1:1 anyway): it takes the fallback. */
    if (m && (m->input_pos || m->line || m->column)) {
        pos.line = m->line + 1;
        pos.col = m->column + 1;
    } else if (n && fy_node_get_meta(n)) {   /* the place a translation gave it (conf_doc.h) */
        uintptr_t meta = (uintptr_t)fy_node_get_meta(n);
        pos.line = (int)(meta >> 20);
        pos.col = (int)(meta & 0xfffff);
    }
    return pos;
}

struct fg_conf_pos fg_conf_value_pos(struct fy_node *val, const char *key, struct fg_conf_pos fallback)
{
    if (val && fy_node_is_mapping(val))
        return fg_conf_node_pos(fy_node_mapping_lookup_by_string(val, key, FY_NT), fallback);
    return fg_conf_node_pos(val, fallback);
}

bool fg_conf_is_scalar(struct fy_node *n)
{
    return n && fy_node_is_scalar(n) && !fy_node_is_null(n);
}

int fg_conf_fail(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fg_err_set(p->err, -FG_ECONFIG, "%s:%d:%d: %s", p->name, pos.line, pos.col, msg);
}

const char *fg_conf_printf(struct fg_conf_parser *p, const char *fmt, ...)
{
    va_list ap, again;
    char *out;
    int n;

    va_start(ap, fmt);
    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    out = n >= 0 ? fg_arena_alloc(&p->conf->arena, (size_t)n + 1) : NULL;
    if (out)
        vsnprintf(out, (size_t)n + 1, fmt, again);
    va_end(again);
    return out;
}

const char *fg_conf_abspath(struct fg_conf_parser *p, const char *path)
{
    const char *dir = p->conf->dir;
    if (path[0] == '/')
        return path;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    if (!strcmp(path, ".") || !*path)
        return dir;
    return fg_conf_printf(p, "%s/%s", dir, path);
}

/* Levenshtein distance, for did-you-mean. Names are short; O(n*m) is fine. */
static size_t conf_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la >= 63 || lb >= 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

void fg_conf_suggest(char *out, size_t outsz, const char *got, const char *const *names)
{
    size_t best = SIZE_MAX, n = strlen(out);
    const char *pick = NULL;
    for (size_t i = 0; names[i]; i++) {
        size_t d = conf_distance(got, names[i]);
        if (d < best) {
            best = d;
            pick = names[i];
        }
    }
    if (pick && best <= 2 + strlen(got) / 4) {
        snprintf(out + n, outsz - n, " (did you mean '%s'?)", pick);
        return;
    }
    n += (size_t)snprintf(out + n, outsz - n, " (expected one of:");
    for (size_t i = 0; names[i] && n < outsz; i++)
        n += (size_t)snprintf(out + n, outsz - n, " %s", names[i]);
    if (n < outsz)
        snprintf(out + n, outsz - n, ")");
}

int fg_conf_mapping(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *what,
                    const char *expected)
{
    if (!map || fy_node_is_null(map))
        return 0;
    if (!fy_node_is_mapping(map))
        return fg_conf_fail(p, kpos, "%s: expected %s, got %s", what, expected, fg_conf_node_kind(map));
    return 1;
}

const char *fg_conf_node_kind(struct fy_node *n)
{
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING: return "a mapping";
    case FYNT_SEQUENCE: return "a list";
    default: return "a scalar";
    }
}

/* ------------------------------------------------------------------ scalars */

/* Expands ${VAR}, ${env:VAR} and ${VAR:-default} from the process environment. */
int fg_conf_expand(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *s, size_t len, char **out)
{
    struct fg_buf b;
    int rc = 0;

    fg_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < len;) {
        const char *close;
        if (s[i] != '$' || i + 1 >= len || s[i + 1] != '{') {
            if ((rc = fg_buf_append(&b, s + i, 1)) < 0)
                goto out;
            i++;
            continue;
        }
        close = memchr(s + i + 2, '}', len - i - 2);
        if (!close) {
            rc = fg_conf_fail(p, pos, "unterminated ${ in value");
            goto out;
        }
        char name[256], *dflt = NULL;
        size_t nlen = (size_t)(close - (s + i + 2));
        if (nlen >= sizeof(name)) {
            rc = fg_conf_fail(p, pos, "variable name too long");
            goto out;
        }
        memcpy(name, s + i + 2, nlen);
        name[nlen] = '\0';
        char *vn = strncmp(name, "env:", 4) == 0 ? name + 4 : name;
        char *sep = strstr(vn, ":-");
        if (sep) {
            *sep = '\0';
            dflt = sep + 2;
        }
        const char *val = getenv(vn);
        if (!val || (!*val && dflt))
            val = dflt;
        if (!val) {
            rc = fg_conf_fail(p, pos, "environment variable %s is not set (use ${%s:-default} for a default)", vn, vn);
            goto out;
        }
        if ((rc = fg_buf_append(&b, val, strlen(val))) < 0)
            goto out;
        i = (size_t)(close - s) + 1;
    }
    if ((rc = fg_buf_append(&b, "", 0)) < 0)
        goto out;
    *out = fg_arena_strdup(&p->conf->arena, b.data);
    if (!*out)
        rc = -ENOMEM;
out:
    fg_buf_free(&b);
    if (rc == -FG_ETOOBIG)
        return fg_conf_fail(p, pos, "a value is longer than 1 MB");
    return rc;
}

int fg_conf_string(struct fg_conf_parser *p, struct fy_node *n, struct fg_conf_pos kpos, const char *what,
                   const char **out)
{
    size_t len;
    const char *s;
    char *v;
    int rc;

    *out = NULL;    /* defined on every path: optimising builds cannot see fg_conf_fail is < 0 */
    if (!n || fy_node_is_null(n))
        return fg_conf_fail(p, kpos, "%s: a value is required", what);
    if (!fy_node_is_scalar(n))
        return fg_conf_fail(p, kpos, "%s: expected a scalar, got %s", what, fg_conf_node_kind(n));
    if (!(s = fy_node_get_scalar(n, &len)))
        return fg_conf_fail(p, kpos, "%s: a value is required", what);
    if (memchr(s, '\0', len))
        return fg_conf_fail(p, fg_conf_node_pos(n, kpos), "%s: the value contains a NUL byte (\\0)", what);
    if (p->raw_scalars) {
        if (!(v = fg_arena_alloc(&p->conf->arena, len + 1)))
            return -ENOMEM;
        memcpy(v, s, len);
        v[len] = '\0';
    } else if ((rc = fg_conf_expand(p, fg_conf_node_pos(n, kpos), s, len, &v)) < 0) {
        return rc;
    }
    *out = v;
    return 0;
}

int fg_conf_key_text(struct fg_conf_parser *p, struct fy_node *kn, struct fg_conf_pos pos, const char *where,
                     const char **out)
{
    size_t len;
    const char *s = fy_node_is_scalar(kn) ? fy_node_get_scalar(kn, &len) : NULL;
    if (!s)
        return fg_conf_fail(p, pos, "%s: keys must be scalars", where);
    if (memchr(s, '\0', len))
        return fg_conf_fail(p, pos, "%s: a key contains a NUL byte (\\0)", where);
    *out = fy_node_get_scalar0(kn);
    return *out ? 0 : -ENOMEM;
}

struct fy_node *fg_conf_list_next(struct fg_conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                                  const char *what, const char *example, void **it, int *rc)
{
    *rc = 0;
    if (!val || !fy_node_is_sequence(val)) {
        *rc = fg_conf_fail(p, kpos, "%s: expected a list, e.g. %s", what, example);
        return NULL;
    }
    return fy_node_sequence_iterate(val, it);
}

static int conf_parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

/* "250ms", "2s", "5m", "1h", bare seconds (unit_ms 1000) or "30", "30s", "5m", "2h", "30d"
 * in seconds (unit_ms 1): the value in the key's unit. */
static int conf_parse_duration(const char *s, long unit_ms, long *out)
{
    static const struct { const char *suffix; long ms; } units[] = {
        { "ms", 1 }, { "", 1000 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0)
        return -EINVAL;
    for (size_t i = unit_ms == 1 ? 0 : 1; i < sizeof(units) / sizeof(units[0]); i++) {
        long per = units[i].ms / unit_ms;
        if (strcmp(end, units[i].suffix))
            continue;
        if (v > LONG_MAX / per)
            return -EINVAL;
        *out = v * per;
        return 0;
    }
    return -EINVAL;
}

/* "512KB", "100MB", "1GB", "4096B" or bare bytes (KB, MB, GB are powers of 1024). */
static int conf_parse_bytes(const char *s, long long *out)
{
    static const struct { const char *suffix; long long per; } units[] = {
        { "", 1 }, { "B", 1 }, { "KB", 1LL << 10 }, { "MB", 1LL << 20 }, { "GB", 1LL << 30 },
    };
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix))
            continue;
        if (v > LLONG_MAX / units[i].per)
            return -EINVAL;
        *out = v * units[i].per;
        return 0;
    }
    return -EINVAL;
}

/* ------------------------------------------------------------------ values of the generic types */

/* A mapping or list as one-line JSON text in the arena. */
static int conf_json_text(struct fg_conf_parser *p, struct fy_node *val, const char **out)
{
    char *json = fy_emit_node_to_string(val, FYECF_MODE_JSON_ONELINE);
    if (!json)
        return -ENOMEM;
    *out = fg_arena_strdup(&p->conf->arena, json);
    free(json);
    return *out ? 0 : -ENOMEM;
}

static int conf_parse_json(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                           struct fg_conf_pos kpos, const char **out)
{
    json_t *j;
    int rc;

    if (!val || fy_node_is_null(val))
        return fg_conf_fail(p, kpos, "%s: a value is required (a mapping, or JSON text)", k->name);
    if (!fy_node_is_scalar(val))
        return conf_json_text(p, val, out);
    if ((rc = fg_conf_string(p, val, kpos, k->name, out)) < 0)
        return rc;
    if (!(j = json_loads(*out, JSON_DECODE_ANY, NULL)))
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: a string %s must be JSON text (or write a mapping)",
                            k->name, k->name);
    json_decref(j);
    return 0;
}

/* {filters: [{pattern: P}, ...]} as Lambda writes it, or a list of patterns as
 * serverless.yml's filterPatterns does. Patterns are checked here so a bad one is a config
 * error with its position. */
static int conf_parse_filter(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                             struct fg_conf_pos kpos, struct fg_conf_filter *f)
{
    struct fy_node *list = val, *item;
    struct fg_filter *compiled;
    struct fg_err err;
    char what[96];
    void *it = NULL;
    int rc;

    snprintf(what, sizeof(what), "%s pattern", k->name);
    f->pos = kpos;
    if (!val || fy_node_is_null(val))
        return 0;
    if (fy_node_is_mapping(val)) {
        list = fy_node_mapping_lookup_by_string(val, "filters", FY_NT);
        if (!list)
            list = fy_node_mapping_lookup_by_string(val, "Filters", FY_NT);
        if (!list || fy_node_mapping_item_count(val) != 1)
            return fg_conf_fail(p, kpos, "%s: expected {filters: [{pattern: ...}]} or a list of patterns", k->name);
    }
    if (!fy_node_is_sequence(list))
        return fg_conf_fail(p, kpos, "%s: expected a list of patterns, got %s", k->name, fg_conf_node_kind(list));
    if (fy_node_sequence_item_count(list) > FG_FILTER_MAX_PATTERNS)
        return fg_conf_fail(p, kpos, "%s: at most %d patterns (they are ORed)", k->name, FG_FILTER_MAX_PATTERNS);
    if (!(f->patterns = fg_arena_alloc(&p->conf->arena, sizeof(*f->patterns) * FG_FILTER_MAX_PATTERNS)))
        return -ENOMEM;
    while ((item = fy_node_sequence_iterate(list, &it))) {
        struct fg_conf_pos pos = fg_conf_node_pos(item, kpos);
        struct fy_node *pat = item;
        if (fy_node_is_mapping(item) && fy_node_mapping_item_count(item) == 1 &&
            ((pat = fy_node_mapping_lookup_by_string(item, "pattern", FY_NT)) ||
             (pat = fy_node_mapping_lookup_by_string(item, "Pattern", FY_NT)))) {
            pos = fg_conf_node_pos(pat, pos);
        } else {
            pat = item;
        }
        if (fy_node_is_scalar(pat))
            rc = fg_conf_string(p, pat, pos, what, &f->patterns[f->n]);
        else if (!fy_node_is_mapping(pat))
            rc = fg_conf_fail(p, pos, "%s: a pattern is a mapping (or JSON text), got %s", k->name,
                              fg_conf_node_kind(pat));
        else
            rc = conf_json_text(p, pat, &f->patterns[f->n]);
        if (rc < 0)
            return rc;
        f->n++;
    }
    if ((rc = fg_filter_compile(f->patterns, f->n, &compiled, &err)) < 0)
        return fg_conf_fail(p, kpos, "%s: %s", k->name, err.msg);
    fg_filter_free(compiled);
    return 0;
}

/* [ReportBatchItemFailures] (the only type Lambda has). */
static int conf_parse_response_types(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                     struct fg_conf_pos kpos, bool *out)
{
    struct fy_node *item;
    void *it = NULL;
    const char *s;
    int rc;

    if (!val || fy_node_is_null(val))
        return 0;
    if (!fy_node_is_sequence(val))
        return fg_conf_fail(p, kpos, "%s: expected a list, e.g. [ReportBatchItemFailures]", k->name);
    while ((item = fy_node_sequence_iterate(val, &it))) {
        if ((rc = fg_conf_string(p, item, kpos, k->name, &s)) < 0)
            return rc;
        if (strcmp(s, "ReportBatchItemFailures"))
            return fg_conf_fail(p, fg_conf_node_pos(item, kpos),
                                "%s: unknown type '%s' (ReportBatchItemFailures is the one type)", k->name, s);
        *out = true;
    }
    return 0;
}

static int conf_parse_destination(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                                  struct fg_conf_pos kpos, struct fg_conf_destination *d)
{
    struct fg_conf_dest_ref *grown;
    const char *s;
    int rc;

    if (val && fy_node_is_mapping(val)) {
        struct fy_node *inner = fy_node_mapping_lookup_by_string(val, "destination", FY_NT);
        if (!inner || fy_node_mapping_item_count(val) != 1)
            return fg_conf_fail(p, kpos, "%s: expected dlq, a URL, a function name, or {destination: ...}", k->name);
        val = inner;
    }
    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    d->pos = fg_conf_node_pos(val, kpos);
    d->target = s;
    if (!strcmp(s, "dlq")) {
        d->kind = FG_DEST_DLQ;
        d->target = NULL;
    } else if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
        d->kind = FG_DEST_URL;
    } else if (strstr(s, "://")) {
        return fg_conf_fail(p, d->pos, "%s: '%s': only http:// and https:// URLs are destinations", k->name, s);
    } else {
        d->kind = FG_DEST_FUNCTION;
    }
    if (!(grown = realloc(p->dests, (p->n_dests + 1) * sizeof(*grown))))
        return -ENOMEM;
    p->dests = grown;
    p->dests[p->n_dests++] = (struct fg_conf_dest_ref){ d, p->fn, k->name };
    return 0;
}

static int conf_parse_timezone(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                               struct fg_conf_pos kpos, const char **out)
{
    struct fg_conf_pos pos = fg_conf_node_pos(val, kpos);
    struct fg_tz *z;
    struct fg_err err;
    const char **grown;
    int rc;

    if ((rc = fg_conf_string(p, val, kpos, k->name, out)) < 0)
        return rc;
    if (!**out)
        return fg_conf_fail(p, pos, "%s: empty", k->name);
    for (size_t i = 0; i < p->n_zones; i++)
        if (!strcmp(p->zones[i], *out))
            return 0;
    if (fg_tz_load(*out, &z, &err) < 0)
        return fg_conf_fail(p, pos, "%s: %s", k->name, err.msg);
    fg_tz_free(z);
    if (!(grown = realloc(p->zones, (p->n_zones + 1) * sizeof(*grown))))
        return -ENOMEM;
    p->zones = grown;
    p->zones[p->n_zones++] = *out;
    return 0;
}

static int conf_parse_pairs(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *map,
                            struct fg_conf_pos kpos, struct fg_conf_pairs *out)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if ((rc = fg_conf_mapping(p, map, kpos, k->name, "a mapping of NAME: value")) <= 0)
        return rc;
    out->items = fg_arena_alloc(&p->conf->arena, sizeof(*out->items) * ((size_t)fy_node_mapping_item_count(map) + 1));
    if (!out->items)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fg_conf_pair *e = &out->items[out->n];
        e->pos = fg_conf_node_pos(fy_node_pair_key(pair), kpos);
        if ((rc = fg_conf_string(p, fy_node_pair_key(pair), e->pos, k->name, &e->key)) < 0 ||
            (rc = fg_conf_string(p, fy_node_pair_value(pair), e->pos, e->key, &e->value)) < 0)
            return rc;
        out->n++;
    }
    return 0;
}

static int conf_parse_addr(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                           struct fg_conf_pos kpos, struct fg_conf_addr *a)
{
    const char *s;
    int rc;

    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    if (fg_conf_hostport(p->conf, s, &a->host, &a->port) < 0)
        return fg_conf_fail(p, fg_conf_node_pos(val, kpos), "%s: expected HOST:PORT with an IP address or localhost (127.0.0.1:8080, \"[::1]:8080\"), got '%s'",
                            k->name, s);
    return 0;
}

static const struct fg_conf_key conf_tls_keys[] = {
    { .name = "cert", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_tls, cert) },
    { .name = "key", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_tls, key) },
    FG_CONF_KEY_END,
};

/* {cert, key}: both, each a readable PEM of its kind, and a pair; read here and dropped
 * (the listener reads them again when it starts). */
static int conf_parse_tls(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                          struct fg_conf_pos kpos, struct fg_conf_tls *t)
{
    struct fg_conf_pos cpos = fg_conf_value_pos(val, "cert", kpos), kypos = fg_conf_value_pos(val, "key", kpos);
    char *cert = NULL, *key = NULL;
    struct fg_err err;
    int rc;

    if (!val || fy_node_is_null(val) || !fy_node_is_mapping(val))
        return fg_conf_fail(p, kpos, "%s: expected {cert: PATH, key: PATH} (PEM files), got %s", k->name,
                            val && !fy_node_is_null(val) ? fg_conf_node_kind(val) : "nothing");
    if ((rc = fg_conf_walk(p, val, kpos, k->name, conf_tls_keys, t)) < 0)
        return rc;
    if (!t->cert && !t->key)
        return fg_conf_fail(p, kpos, "%s: give cert and key (PEM files), or leave %s out for plain HTTP", k->name, k->name);
    if (!t->key)
        return fg_conf_fail(p, kpos, "%s: 'key' is required with 'cert' (the certificate's private key, PEM)", k->name);
    if (!t->cert)
        return fg_conf_fail(p, kpos, "%s: 'cert' is required with 'key' (the certificate, PEM)", k->name);
    if (!(t->cert = fg_conf_abspath(p, t->cert)) || !(t->key = fg_conf_abspath(p, t->key)))
        return -ENOMEM;
    if ((rc = fg_tls_pem_read(t->cert, FG_TLS_PEM_CERT, &cert, &err)) < 0) {
        rc = rc == -ENOMEM ? rc : fg_conf_fail(p, cpos, "%s: cert %s", k->name, err.msg);
    } else if ((rc = fg_tls_pem_read(t->key, FG_TLS_PEM_KEY, &key, &err)) < 0) {
        rc = rc == -ENOMEM ? rc : fg_conf_fail(p, kypos, "%s: key %s", k->name, err.msg);
    } else if ((rc = fg_tls_pem_match(cert, key, &err)) < 0) {
        rc = rc == -ENOMEM ? rc : fg_conf_fail(p, kypos, "%s: key %s does not go with cert %s: %s", k->name, t->key,
                                               t->cert, err.msg);
    }
    fg_tls_pem_free(cert);
    fg_tls_pem_free(key);
    return rc;
}

/* FG_CONF_STRINGS: one string or a non-empty list of them. */
static int conf_parse_strings(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                              struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_strings *out = field;
    size_t max = k->max > 0 ? (size_t)k->max : 64, cap;
    struct fy_node *item;
    void *it = NULL;
    int rc;

    out->pos = fg_conf_node_pos(val, kpos);
    if (val && fg_conf_is_scalar(val))
        cap = 1;
    else if (val && fy_node_is_sequence(val) && fy_node_sequence_item_count(val) > 0)
        cap = (size_t)fy_node_sequence_item_count(val);
    else
        return fg_conf_fail(p, out->pos, "%s: expected a string or a non-empty list of strings", k->name);
    if (cap > max)
        return fg_conf_fail(p, out->pos, "%s: at most %zu values", k->name, max);
    if (!(out->items = fg_arena_alloc(&p->conf->arena, sizeof(*out->items) * cap)))
        return -ENOMEM;
    out->n = 0;
    while ((item = fg_conf_is_scalar(val) ? (out->n ? NULL : val) : fy_node_sequence_iterate(val, &it))) {
        struct fg_conf_pos ipos = fg_conf_node_pos(item, kpos);
        if ((rc = fg_conf_string(p, item, ipos, k->name, &out->items[out->n])) < 0)
            return rc;
        if (!*out->items[out->n++])
            return fg_conf_fail(p, ipos, "%s: an empty string", k->name);
    }
    return 0;
}

static const struct fg_conf_key *conf_find_key(const struct fg_conf_key *keys, const char *name)
{
    for (; keys->name; keys++)
        if (!strcmp(keys->name, name))
            return keys;
    return NULL;
}

static int conf_parse_table(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                            struct fg_conf_pos kpos, void *field)
{
    int rc;
    if (k->short_key && val && fy_node_is_scalar(val) && !fy_node_is_null(val))
        rc = fg_conf_apply(p, conf_find_key(k->table, k->short_key), val, kpos, field);
    else
        rc = fg_conf_walk(p, val, kpos, k->name, k->table, field);
    if (rc < 0)
        return rc;
    return k->check ? k->check(p, k, val, kpos, field) : 0;
}

/* ------------------------------------------------------------------ the walker */

static int conf_parse_number(struct fg_conf_parser *p, const struct fg_conf_key *k, const char *s,
                             struct fg_conf_pos vpos, int *field)
{
    long v;
    int rc = k->type == FG_CONF_INT ? conf_parse_long(s, &v)
           : conf_parse_duration(s, k->type == FG_CONF_SECONDS ? 1000 : 1, &v);
    /* A duration whose range starts at -1 takes -1 for "forever", as Lambda's do. */
    if (rc < 0 && k->min == -1 && !strcmp(s, "-1")) {
        v = -1;
        rc = 0;
    }
    if (rc < 0)
        return fg_conf_fail(p, vpos, "%s: expected %s, got '%s'", k->name,
                            k->type == FG_CONF_INT ? "an integer"
                            : k->type == FG_CONF_SECONDS ? "a duration like 30, 30s, 5m, 1h or 30d"
                                                         : "a duration like 250ms, 2s, 5m or 1h", s);
    if (v < k->min || v > k->max)
        return fg_conf_fail(p, vpos, "%s: %s is out of range (%ld..%ld%s)", k->name, s, k->min, k->max,
                            k->type == FG_CONF_SECONDS ? " seconds" : k->type == FG_CONF_MS ? " ms" : "");
    *field = (int)v;
    return 0;
}

int fg_conf_apply(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                  struct fg_conf_pos kpos, void *obj)
{
    void *field = (char *)obj + k->offset;
    struct fg_conf_pos vpos = fg_conf_node_pos(val, kpos);
    const char *s;
    int rc;

    if (k->pos_offset)
        *(struct fg_conf_pos *)((char *)obj + k->pos_offset) = kpos;
    switch (k->type) {
    case FG_CONF_CUSTOM: return k->parse(p, k, val, kpos, field);
    case FG_CONF_TABLE: return conf_parse_table(p, k, val, kpos, field);
    case FG_CONF_PAIRS: return conf_parse_pairs(p, k, val, kpos, field);
    case FG_CONF_JSON: return conf_parse_json(p, k, val, kpos, field);
    case FG_CONF_FILTER: return conf_parse_filter(p, k, val, kpos, field);
    case FG_CONF_DESTINATION: return conf_parse_destination(p, k, val, kpos, field);
    case FG_CONF_RESPONSE_TYPES: return conf_parse_response_types(p, k, val, kpos, field);
    case FG_CONF_TIMEZONE: return conf_parse_timezone(p, k, val, kpos, field);
    case FG_CONF_ADDR: return conf_parse_addr(p, k, val, kpos, field);
    case FG_CONF_TLS: return conf_parse_tls(p, k, val, kpos, field);
    case FG_CONF_STRINGS: return conf_parse_strings(p, k, val, kpos, field);
    default: break;
    }
    if ((rc = fg_conf_string(p, val, kpos, k->name, &s)) < 0)
        return rc;
    switch (k->type) {
    case FG_CONF_STR:
        *(const char **)field = s;
        return 0;
    case FG_CONF_INT:
    case FG_CONF_SECONDS:
    case FG_CONF_MS:
        return conf_parse_number(p, k, s, vpos, field);
    case FG_CONF_BYTES: {
        long long v;
        if (conf_parse_bytes(s, &v) < 0)
            return fg_conf_fail(p, vpos, "%s: expected a size like 512KB, 100MB or 1GB, got '%s'", k->name, s);
        if (v < k->min || v > k->max)
            return fg_conf_fail(p, vpos, "%s: %s is out of range (%ld..%ld bytes)", k->name, s, k->min, k->max);
        *(long long *)field = v;
        return 0;
    }
    case FG_CONF_DOUBLE: {
        char *end;
        double d;
        errno = 0;
        d = strtod(s, &end);
        if (errno || end == s || *end || d != d)
            return fg_conf_fail(p, vpos, "%s: expected a number, got '%s'", k->name, s);
        if (d < (double)k->min || d > (double)k->max)
            return fg_conf_fail(p, vpos, "%s: %s is out of range (%ld..%ld)", k->name, s, k->min, k->max);
        *(double *)field = d;
        return 0;
    }
    case FG_CONF_BOOL:
        if (strcmp(s, "true") && strcmp(s, "false"))
            return fg_conf_fail(p, vpos, "%s: expected true or false, got '%s'", k->name, s);
        *(bool *)field = !strcmp(s, "true");
        return 0;
    case FG_CONF_ENUM: {
        char msg[512];
        for (int i = 0; k->names[i]; i++) {
            if (!strcmp(k->names[i], s)) {
                *(int *)field = i;
                return 0;
            }
        }
        snprintf(msg, sizeof(msg), "%s: unknown value '%s'", k->name, s);
        fg_conf_suggest(msg, sizeof(msg), s, k->names);
        return fg_conf_fail(p, vpos, "%s", msg);
    }
    default:
        return fg_conf_fail(p, kpos, "%s: unsupported key type", k->name);
    }
}

static int conf_unknown_key(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *key,
                            const struct fg_conf_scope *scopes, size_t n_scopes, const char *where)
{
    const char *names[64];
    size_t n = 0;
    char msg[512];
    for (size_t s = 0; s < n_scopes; s++)
        for (const struct fg_conf_key *k = scopes[s].keys; k->name && n < 63; k++)
            names[n++] = k->name;
    names[n] = NULL;
    snprintf(msg, sizeof(msg), "unknown key '%s' in %s", key, where);
    fg_conf_suggest(msg, sizeof(msg), key, names);
    return fg_conf_fail(p, pos, "%s", msg);
}

int fg_conf_walk_scopes(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *where,
                        const struct fg_conf_scope *scopes, size_t n_scopes)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if ((rc = fg_conf_mapping(p, map, kpos, where, "a mapping")) <= 0)
        return rc;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair), *vn = fy_node_pair_value(pair);
        struct fg_conf_pos pos = fg_conf_node_pos(kn, kpos);
        const char *key;
        const struct fg_conf_key *k = NULL;
        size_t s;
        if ((rc = fg_conf_key_text(p, kn, pos, where, &key)) < 0)
            return rc;
        for (s = 0; s < n_scopes && !k; s++)
            k = conf_find_key(scopes[s].keys, key);
        if (!k)
            return conf_unknown_key(p, pos, key, scopes, n_scopes, where);
        if ((rc = fg_conf_apply(p, k, vn, pos, scopes[s - 1].obj)) < 0)
            return rc;
    }
    return 0;
}

int fg_conf_walk(struct fg_conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, const char *where,
                 const struct fg_conf_key *keys, void *obj)
{
    const struct fg_conf_scope scope = { keys, obj };
    return fg_conf_walk_scopes(p, map, kpos, where, &scope, 1);
}

void fg_conf_parser_close(struct fg_conf_parser *p)
{
    free(p->zones);
    free(p->dests);
    free(p->warn_keys);
    for (size_t i = 0; i < p->n_src_docs; i++)
        fy_document_destroy(p->src_docs[i]);
    for (size_t i = 0; i < p->n_src_texts; i++)
        free(p->src_texts[i]);
    p->n_src_texts = 0;
    p->zones = NULL;
    p->dests = NULL;
    p->warn_keys = NULL;
    p->n_zones = p->n_dests = p->n_warn_keys = p->n_src_docs = 0;
}
