/* SPDX-License-Identifier: MIT */
/* config.c - fngate.yaml → struct fg_config (see config.h).
 *
 * DESIGN: each mapping in the file is described by a key table (name, type, field offset,
 * bounds); one generic walker applies it, so a new key is one table row and every key gets
 * the same checks: unknown keys (with a did-you-mean), wrong types, bounds, ${ENV}
 * substitution. Rules that span keys (duplicate routes, handler needed by a runtime, the
 * 4 KB environment) run after the walk with the positions the walk recorded.
 * libfyaml gives positions for scalar tokens only, so an error about a whole mapping or
 * sequence points at the key that introduced it. */
#include "config.h"

#include "../core/buf.h"
#include "../core/filter.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ types */

struct conf_parser {
    struct fg_config *conf;
    const char *name;          /* file name for messages */
    struct fg_err *err;
    const char **zones;        /* time zones already checked */
    size_t n_zones;
};

enum conf_type {
    CONF_STR = 0,
    CONF_INT,                  /* integer within [min, max] */
    CONF_SECONDS,              /* "30", "30s", "5m", "2h" within [min, max] seconds */
    CONF_MS,                   /* "250ms", "2s", "5m", "1h" (bare: seconds) within [min, max] ms */
    CONF_DOUBLE,               /* a number within [min, max] */
    CONF_ENUM,                 /* one of names[], stored as int */
    CONF_BOOL,                 /* true or false, stored as bool */
    CONF_FILTER,               /* filter_criteria, into a struct fg_conf_filter */
    CONF_RESPONSE_TYPES,       /* function_response_types: [ReportBatchItemFailures], as a bool */
    CONF_CUSTOM,               /* parse() does the work */
};

struct conf_key {
    const char *name;
    enum conf_type type;
    size_t offset;
    long min, max;
    const char *const *names;
    int (*parse)(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj);
};

#define CONF_KEY_END { NULL, CONF_STR, 0, 0, 0, NULL, NULL }

static int conf_parse_filter(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                             struct fg_conf_filter *f);
static int conf_parse_response_types(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, bool *out);

/* ------------------------------------------------------------------ positions and errors */

static struct fg_conf_pos conf_pos(struct fy_node *n, struct fg_conf_pos fallback)
{
    struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    struct fg_conf_pos pos = fallback;
    if (m) {
        pos.line = m->line + 1;
        pos.col = m->column + 1;
    }
    return pos;
}

static int conf_fail(struct conf_parser *p, struct fg_conf_pos pos, const char *fmt, ...)
    FG_PRINTF(3, 4);

static int conf_fail(struct conf_parser *p, struct fg_conf_pos pos, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fg_err_set(p->err, -FG_ECONFIG, "%s:%d:%d: %s", p->name, pos.line, pos.col, msg);
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

/* Appends " (did you mean 'x'?)" or the list of valid names to out. */
static void conf_suggest(char *out, size_t outsz, const char *got, const char *const *names)
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

/* ------------------------------------------------------------------ scalars */

static const char *conf_node_kind(struct fy_node *n)
{
    switch (fy_node_get_type(n)) {
    case FYNT_MAPPING: return "a mapping";
    case FYNT_SEQUENCE: return "a list";
    default: return "a scalar";
    }
}

/* Expands ${VAR}, ${env:VAR} and ${VAR:-default} from the process environment. */
static int conf_expand(struct conf_parser *p, struct fg_conf_pos pos, const char *s, size_t len,
                       char **out)
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
            rc = conf_fail(p, pos, "unterminated ${ in value");
            goto out;
        }
        char name[256], *dflt = NULL;
        size_t nlen = (size_t)(close - (s + i + 2));
        if (nlen >= sizeof(name)) {
            rc = conf_fail(p, pos, "variable name too long");
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
            rc = conf_fail(p, pos, "environment variable %s is not set (use ${%s:-default} for a default)", vn, vn);
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
    return rc;
}

/* Returns the scalar's text (after ${} expansion) in *out, valid as long as the config. */
static int conf_scalar(struct conf_parser *p, struct fy_node *n, struct fg_conf_pos kpos,
                       const char *what, const char **out)
{
    size_t len;
    const char *s;
    char *v;
    int rc;

    *out = NULL;    /* defined on every path: optimising builds cannot see conf_fail is < 0 */
    if (!n || fy_node_is_null(n))
        return conf_fail(p, kpos, "%s: a value is required", what);
    if (!fy_node_is_scalar(n))
        return conf_fail(p, kpos, "%s: expected a scalar, got %s", what, conf_node_kind(n));
    s = fy_node_get_scalar(n, &len);
    if ((rc = conf_expand(p, conf_pos(n, kpos), s, len, &v)) < 0)
        return rc;
    *out = v;
    return 0;
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

static int conf_parse_ms(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0 || v > LONG_MAX / 3600000)
        return -EINVAL;
    if (!strcmp(end, "ms"))
        *out = v;
    else if (!strcmp(end, "") || !strcmp(end, "s"))
        *out = v * 1000;
    else if (!strcmp(end, "m"))
        *out = v * 60000;
    else if (!strcmp(end, "h"))
        *out = v * 3600000;
    else
        return -EINVAL;
    return 0;
}

static int conf_parse_seconds(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0)
        return -EINVAL;
    if (!strcmp(end, "") || !strcmp(end, "s"))
        *out = v;
    else if (!strcmp(end, "m"))
        *out = v * 60;
    else if (!strcmp(end, "h"))
        *out = v * 3600;
    else
        return -EINVAL;
    return 0;
}

/* ------------------------------------------------------------------ the generic walker */

static const struct conf_key *conf_find_key(const struct conf_key *keys, const char *name)
{
    for (; keys->name; keys++)
        if (!strcmp(keys->name, name))
            return keys;
    return NULL;
}

static int conf_unknown_key(struct conf_parser *p, struct fg_conf_pos pos, const char *key,
                            const struct conf_key *keys, const char *where)
{
    const char *names[64];
    size_t n = 0;
    char msg[512];
    for (; keys->name && n < 63; keys++)
        names[n++] = keys->name;
    names[n] = NULL;
    snprintf(msg, sizeof(msg), "unknown key '%s' in %s", key, where);
    conf_suggest(msg, sizeof(msg), key, names);
    return conf_fail(p, pos, "%s", msg);
}

static int conf_apply(struct conf_parser *p, const struct conf_key *k, struct fy_node *val,
                      struct fg_conf_pos kpos, void *obj)
{
    char *field = (char *)obj + k->offset;
    struct fg_conf_pos vpos = conf_pos(val, kpos);
    const char *s;
    long v;
    int rc;

    if (k->type == CONF_CUSTOM)
        return k->parse(p, val, kpos, obj);
    if (k->type == CONF_FILTER)
        return conf_parse_filter(p, val, kpos, (struct fg_conf_filter *)(void *)field);
    if (k->type == CONF_RESPONSE_TYPES)
        return conf_parse_response_types(p, val, kpos, (bool *)(void *)field);
    if ((rc = conf_scalar(p, val, kpos, k->name, &s)) < 0)
        return rc;
    switch (k->type) {
    case CONF_STR:
        *(const char **)field = s;
        return 0;
    case CONF_INT:
    case CONF_SECONDS:
    case CONF_MS:
        rc = k->type == CONF_INT ? conf_parse_long(s, &v)
           : k->type == CONF_SECONDS ? conf_parse_seconds(s, &v) : conf_parse_ms(s, &v);
        if (rc < 0)
            return conf_fail(p, vpos, "%s: expected %s, got '%s'", k->name,
                             k->type == CONF_INT ? "an integer"
                             : k->type == CONF_SECONDS ? "a duration like 30, 30s, 5m or 1h"
                                                       : "a duration like 250ms, 2s, 5m or 1h", s);
        if (v < k->min || v > k->max)
            return conf_fail(p, vpos, "%s: %s is out of range (%ld..%ld%s)", k->name, s, k->min,
                             k->max, k->type == CONF_SECONDS ? " seconds" : k->type == CONF_MS ? " ms" : "");
        *(int *)field = (int)v;
        return 0;
    case CONF_DOUBLE: {
        char *end;
        double d;
        errno = 0;
        d = strtod(s, &end);
        if (errno || end == s || *end || d != d)
            return conf_fail(p, vpos, "%s: expected a number, got '%s'", k->name, s);
        if (d < (double)k->min || d > (double)k->max)
            return conf_fail(p, vpos, "%s: %s is out of range (%ld..%ld)", k->name, s, k->min, k->max);
        *(double *)field = d;
        return 0;
    }
    case CONF_BOOL:
        if (strcmp(s, "true") && strcmp(s, "false"))
            return conf_fail(p, vpos, "%s: expected true or false, got '%s'", k->name, s);
        *(bool *)field = !strcmp(s, "true");
        return 0;
    case CONF_ENUM:
        for (int i = 0; k->names[i]; i++) {
            if (!strcmp(k->names[i], s)) {
                *(int *)field = i;
                return 0;
            }
        }
        {
            char msg[512];
            snprintf(msg, sizeof(msg), "%s: unknown value '%s'", k->name, s);
            conf_suggest(msg, sizeof(msg), s, k->names);
            return conf_fail(p, vpos, "%s", msg);
        }
    default:
        return conf_fail(p, kpos, "%s: unsupported key type", k->name);
    }
}

static int conf_walk(struct conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos,
                     const char *where, const struct conf_key *keys, void *obj)
{
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if (!map || fy_node_is_null(map))
        return 0;
    if (!fy_node_is_mapping(map))
        return conf_fail(p, kpos, "%s: expected a mapping, got %s", where, conf_node_kind(map));
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair), *vn = fy_node_pair_value(pair);
        struct fg_conf_pos pos = conf_pos(kn, kpos);
        const char *key = fy_node_is_scalar(kn) ? fy_node_get_scalar0(kn) : NULL;
        const struct conf_key *k;
        if (!key)
            return conf_fail(p, pos, "%s: keys must be scalars", where);
        if (!(k = conf_find_key(keys, key)))
            return conf_unknown_key(p, pos, key, keys, where);
        if ((rc = conf_apply(p, k, vn, pos, obj)) < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ custom values */

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

static int conf_parse_env(struct conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_function *fn = obj;
    struct fy_node_pair *pair;
    void *it = NULL;
    size_t total = 0, i = 0;
    int rc;

    if (!map || fy_node_is_null(map))
        return 0;
    if (!fy_node_is_mapping(map))
        return conf_fail(p, kpos, "environment: expected a mapping of NAME: value, got %s", conf_node_kind(map));
    fn->n_env = (size_t)fy_node_mapping_item_count(map);
    fn->env = fg_arena_alloc(&p->conf->arena, sizeof(*fn->env) * (fn->n_env + 1));
    if (!fn->env)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *kn = fy_node_pair_key(pair);
        struct fg_conf_pos pos = conf_pos(kn, kpos);
        const char *key, *val;
        if ((rc = conf_scalar(p, kn, pos, "environment", &key)) < 0)
            return rc;
        if (!conf_env_name_ok(key))
            return conf_fail(p, pos, "environment: '%s' is not a valid name (letters, digits and _, starting with a letter, at least 2 characters)", key);
        for (const char *const *r = conf_reserved_env; *r; r++)
            if (!strcmp(*r, key))
                return conf_fail(p, pos, "environment: %s is reserved by the Lambda runtime and set by fngate", key);
        if ((rc = conf_scalar(p, fy_node_pair_value(pair), pos, key, &val)) < 0)
            return rc;
        total += strlen(key) + strlen(val);
        if (total > FG_ENV_MAX_BYTES)
            return conf_fail(p, pos, "environment: variables exceed Lambda's 4 KB limit (%zu bytes so far)", total);
        fn->env[i].key = key;
        fn->env[i].value = val;
        i++;
    }
    return 0;
}

static const char *const conf_methods[] = {
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY", NULL,
};

/* Checks a route path template and returns it normalised (leading '/'). */
static int conf_check_path(struct conf_parser *p, struct fg_conf_pos pos, const char *path, const char **out)
{
    const char *s = path;
    char *norm;

    if (!strcmp(path, "$default") || !strcmp(path, "*")) {
        *out = "$default";
        return 0;
    }
    if (!(norm = fg_arena_alloc(&p->conf->arena, strlen(path) + 2)))
        return -ENOMEM;
    if (path[0] != '/')
        norm[0] = '/';
    strcat(norm, path);
    if (!strncmp(norm, "/_fngate/", 9) || !strcmp(norm, "/_fngate"))
        return conf_fail(p, pos, "path '%s': /_fngate/ is reserved for fngate's admin API", path);
    for (s = norm; *s;) {
        const char *seg = ++s, *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 && end)
            return conf_fail(p, pos, "path '%s': empty segment", path);
        if (n && seg[0] == '{') {
            bool greedy = n > 2 && seg[n - 2] == '+';
            if (seg[n - 1] != '}' || n < 3 || (greedy && n < 4))
                return conf_fail(p, pos, "path '%s': a parameter is written {name} or {name+}", path);
            for (size_t i = 1; i < n - 1 - greedy; i++)
                if (!isalnum((unsigned char)seg[i]) && seg[i] != '_' && seg[i] != '-' && seg[i] != '.')
                    return conf_fail(p, pos, "path '%s': bad character '%c' in parameter name", path, seg[i]);
            if (greedy && end)
                return conf_fail(p, pos, "path '%s': a greedy {%.*s} must be the last segment", path, (int)(n - 2), seg + 1);
        } else {
            for (size_t i = 0; i < n; i++)
                if (seg[i] == '{' || seg[i] == '}' || seg[i] == '?' || seg[i] == '#')
                    return conf_fail(p, pos, "path '%s': '%c' may only appear as a whole {param} segment", path, seg[i]);
        }
        s = end ? end : seg + n;
    }
    *out = norm;
    return 0;
}

static int conf_set_method(struct conf_parser *p, struct fg_conf_pos pos, const char *m, const char **out)
{
    char up[16];
    size_t n = strlen(m);
    if (!strcmp(m, "*"))
        m = "ANY";
    for (size_t i = 0; i <= n && i < sizeof(up); i++)
        up[i] = (char)toupper((unsigned char)m[i]);
    up[sizeof(up) - 1] = '\0';
    for (size_t i = 0; conf_methods[i]; i++) {
        if (!strcmp(conf_methods[i], up)) {
            *out = conf_methods[i];
            return 0;
        }
    }
    char msg[256];
    snprintf(msg, sizeof(msg), "http: unknown method '%s'", m);
    conf_suggest(msg, sizeof(msg), up, conf_methods);
    return conf_fail(p, pos, "%s", msg);
}

static const struct conf_key conf_rate_keys[] = {
    { "per_second", CONF_DOUBLE, offsetof(struct fg_conf_rate, per_second), 0, 1000000, NULL, NULL },
    { "burst", CONF_INT, offsetof(struct fg_conf_rate, burst), 1, 1000000, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_rate_at(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                              struct fg_conf_rate *r)
{
    int rc;
    if ((rc = conf_walk(p, val, kpos, "rate", conf_rate_keys, r)) < 0)
        return rc;
    if (r->per_second <= 0)
        return conf_fail(p, kpos, "rate: 'per_second' is required and must be above 0");
    if (!r->burst)
        r->burst = r->per_second < 1 ? 1 : (int)(r->per_second + 0.999999);
    return 0;
}

static int conf_parse_fn_rate(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_rate_at(p, val, kpos, &((struct fg_conf_function *)obj)->rate);
}

struct conf_http_raw {
    const char *method, *path;
    struct fg_conf_rate rate;
};

static int conf_parse_http_rate(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_rate_at(p, val, kpos, &((struct conf_http_raw *)obj)->rate);
}

static const struct conf_key conf_http_keys[] = {
    { "method", CONF_STR, offsetof(struct conf_http_raw, method), 0, 0, NULL, NULL },
    { "path", CONF_STR, offsetof(struct conf_http_raw, path), 0, 0, NULL, NULL },
    { "rate", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_http_rate },
    CONF_KEY_END,
};

static int conf_parse_http(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                           struct fg_conf_http *h)
{
    struct conf_http_raw raw = { "ANY", NULL, { 0, 0 } };
    struct fg_conf_pos pos = conf_pos(val, kpos);
    int rc;

    if (val && fy_node_is_scalar(val)) {
        /* Short form: "GET /hello/{name}" or just "/hello". */
        const char *s, *sp;
        if ((rc = conf_scalar(p, val, kpos, "http", &s)) < 0)
            return rc;
        if ((sp = strchr(s, ' '))) {
            raw.method = fg_arena_strndup(&p->conf->arena, s, (size_t)(sp - s));
            while (*sp == ' ')
                sp++;
            raw.path = sp;
        } else {
            raw.path = s;
        }
    } else {
        if ((rc = conf_walk(p, val, kpos, "http event", conf_http_keys, &raw)) < 0)
            return rc;
        if (!raw.path)
            return conf_fail(p, kpos, "http: 'path' is required");
        /* Errors about the route point at its path. */
        pos = conf_pos(fy_node_mapping_lookup_by_string(val, "path", FY_NT), kpos);
    }
    h->pos = pos;
    h->rate = raw.rate;
    if ((rc = conf_set_method(p, pos, raw.method, &h->method)) < 0)
        return rc;
    return conf_check_path(p, pos, raw.path, &h->path);
}

/* ------------------------------------------------------------------ schedules */

/* Position of column `col` (1-based) inside the scalar n, for errors inside a value. */
static struct fg_conf_pos conf_pos_in(struct fy_node *n, struct fg_conf_pos kpos, int col)
{
    struct fg_conf_pos pos = conf_pos(n, kpos);    /* quoted scalars: where the text starts */
    pos.col += col - 1;
    return pos;
}

static int conf_check_zone(struct conf_parser *p, struct fg_conf_pos pos, const char *zone)
{
    struct fg_tz *z;
    struct fg_err err;
    const char **grown;

    for (size_t i = 0; i < p->n_zones; i++)
        if (!strcmp(p->zones[i], zone))
            return 0;
    if (fg_tz_load(zone, &z, &err) < 0)
        return conf_fail(p, pos, "timezone: %s", err.msg);
    fg_tz_free(z);
    if (!(grown = realloc(p->zones, (p->n_zones + 1) * sizeof(*grown))))
        return -ENOMEM;
    p->zones = grown;
    p->zones[p->n_zones++] = zone;
    return 0;
}

static int conf_parse_input(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_schedule *sc = obj;
    char *json;
    json_t *j;

    if (!val || fy_node_is_null(val))
        return conf_fail(p, kpos, "input: a value is required (a mapping, or JSON text)");
    if (fy_node_is_scalar(val)) {
        const char *s;
        int rc;
        if ((rc = conf_scalar(p, val, kpos, "input", &s)) < 0)
            return rc;
        if (!(j = json_loads(s, JSON_DECODE_ANY, NULL)))
            return conf_fail(p, conf_pos(val, kpos), "input: a string input must be JSON text (or write a mapping)");
        json_decref(j);
        sc->input = s;
        return 0;
    }
    if (!(json = fy_emit_node_to_string(val, FYECF_MODE_JSON_ONELINE)))
        return -ENOMEM;
    sc->input = fg_arena_strdup(&p->conf->arena, json);
    free(json);
    return sc->input ? 0 : -ENOMEM;
}

static const char *const conf_catch_up_names[] = { "last", "none", "all", NULL };

static const struct conf_key conf_schedule_keys[] = {
    { "expression", CONF_STR, offsetof(struct fg_conf_schedule, expression), 0, 0, NULL, NULL },
    { "rate", CONF_STR, offsetof(struct fg_conf_schedule, expression), 0, 0, NULL, NULL },
    { "timezone", CONF_STR, offsetof(struct fg_conf_schedule, timezone), 0, 0, NULL, NULL },
    { "name", CONF_STR, offsetof(struct fg_conf_schedule, name), 0, 0, NULL, NULL },
    { "description", CONF_STR, offsetof(struct fg_conf_schedule, description), 0, 0, NULL, NULL },
    { "input", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_input },
    { "enabled", CONF_BOOL, offsetof(struct fg_conf_schedule, enabled), 0, 0, NULL, NULL },
    { "catch_up", CONF_ENUM, offsetof(struct fg_conf_schedule, catch_up), 0, 0, conf_catch_up_names, NULL },
    { "max_catch_up", CONF_SECONDS, offsetof(struct fg_conf_schedule, max_catch_up_s), 0, 30 * 86400, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_schedule(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                               struct fg_conf_function *fn, struct fg_conf_schedule *sc)
{
    struct fy_node *expr_node = val;
    char msg[512];
    int rc, col;

    sc->enabled = true;
    sc->timezone = "UTC";
    sc->max_catch_up_s = 3600;
    sc->pos = conf_pos(val, kpos);
    if (val && fy_node_is_scalar(val)) {
        if ((rc = conf_scalar(p, val, kpos, "schedule", &sc->expression)) < 0)
            return rc;
    } else {
        if ((rc = conf_walk(p, val, kpos, "schedule", conf_schedule_keys, sc)) < 0)
            return rc;
        if (!sc->expression)
            return conf_fail(p, kpos, "schedule: 'expression' is required, e.g. expression: cron(0 12 * * ? *)");
        if (!(expr_node = fy_node_mapping_lookup_by_string(val, "expression", FY_NT)))
            expr_node = fy_node_mapping_lookup_by_string(val, "rate", FY_NT);
        sc->pos = conf_pos(expr_node, kpos);
        if (!strcmp(sc->timezone, "") ||
            (rc = conf_check_zone(p, conf_pos(fy_node_mapping_lookup_by_string(val, "timezone", FY_NT), kpos),
                                  sc->timezone)) < 0)
            return rc ? rc : conf_fail(p, kpos, "timezone: empty");
    }
    if (fg_sched_parse(sc->expression, true, &sc->expr, &col, msg, sizeof(msg)) < 0)
        return conf_fail(p, conf_pos_in(expr_node, kpos, col), "schedule %s: %s", sc->expression, msg);
    if (!sc->name) {
        char name[128];
        snprintf(name, sizeof(name), "%s-schedule-%zu", fn->name, fn->n_schedules + 1);
        if (!(sc->name = fg_arena_strdup(&p->conf->arena, name)))
            return -ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ folders */

static const char *conf_abspath(struct fg_config *conf, const char *path);

/* events: [created, removed] (or the s3:Object... names) into two flags. */
static int conf_parse_object_events(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                                    bool *created, bool *removed)
{
    struct fy_node *item;
    void *it = NULL;

    if (!val || !fy_node_is_sequence(val))
        return conf_fail(p, kpos, "events: expected a list, e.g. events: [created, removed]");
    *created = *removed = false;
    while ((item = fy_node_sequence_iterate(val, &it))) {
        const char *s = fy_node_is_scalar(item) ? fy_node_get_scalar0(item) : "";
        if (!strcmp(s, "created") || !strcmp(s, "s3:ObjectCreated:*"))
            *created = true;
        else if (!strcmp(s, "removed") || !strcmp(s, "s3:ObjectRemoved:*"))
            *removed = true;
        else
            return conf_fail(p, conf_pos(item, kpos), "events: unknown event '%s' (created, removed)", s);
    }
    return 0;
}

static int conf_parse_fs_events(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_fs *f = obj;
    return conf_parse_object_events(p, val, kpos, &f->created, &f->removed);
}

static int conf_parse_s3_events(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_s3_event *e = obj;
    return conf_parse_object_events(p, val, kpos, &e->created, &e->removed);
}

static const struct conf_key conf_fs_keys[] = {
    { "path", CONF_STR, offsetof(struct fg_conf_fs, path), 0, 0, NULL, NULL },
    { "bucket", CONF_STR, offsetof(struct fg_conf_fs, bucket), 0, 0, NULL, NULL },
    { "name", CONF_STR, offsetof(struct fg_conf_fs, name), 0, 0, NULL, NULL },
    { "events", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_fs_events },
    { "prefix", CONF_STR, offsetof(struct fg_conf_fs, prefix), 0, 0, NULL, NULL },
    { "suffix", CONF_STR, offsetof(struct fg_conf_fs, suffix), 0, 0, NULL, NULL },
    { "recursive", CONF_BOOL, offsetof(struct fg_conf_fs, recursive), 0, 0, NULL, NULL },
    { "hidden", CONF_BOOL, offsetof(struct fg_conf_fs, hidden), 0, 0, NULL, NULL },
    { "poll", CONF_MS, offsetof(struct fg_conf_fs, poll_ms), 100, 3600000, NULL, NULL },
    { "filter_criteria", CONF_FILTER, offsetof(struct fg_conf_fs, filter), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_fs(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                         struct fg_conf_function *fn, struct fg_conf_fs *f)
{
    struct stat st;
    int rc;

    f->created = true;
    f->recursive = true;
    f->pos = kpos;
    if (val && fy_node_is_scalar(val)) {
        if ((rc = conf_scalar(p, val, kpos, "fs", &f->path)) < 0)
            return rc;
    } else if ((rc = conf_walk(p, val, kpos, "fs", conf_fs_keys, f)) < 0) {
        return rc;
    }
    if (!f->path)
        return conf_fail(p, kpos, "fs: 'path' (the folder to watch) is required");
    if (!(f->path = conf_abspath(p->conf, f->path)))
        return -ENOMEM;
    if (stat(f->path, &st) < 0 || !S_ISDIR(st.st_mode))
        return conf_fail(p, kpos, "fs: %s is not a directory", f->path);
    if (!f->bucket) {
        const char *slash = strrchr(f->path, '/');
        f->bucket = slash && slash[1] ? slash + 1 : "files";
    }
    if (!f->name) {
        char name[128];
        snprintf(name, sizeof(name), "%s-fs-%zu", fn->name, fn->n_fs + 1);
        if (!(f->name = fg_arena_strdup(&p->conf->arena, name)))
            return -ENOMEM;
    }
    return 0;
}

static const struct conf_key conf_s3_event_keys[] = {
    { "bucket", CONF_STR, offsetof(struct fg_conf_s3_event, bucket), 0, 0, NULL, NULL },
    { "name", CONF_STR, offsetof(struct fg_conf_s3_event, name), 0, 0, NULL, NULL },
    { "events", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_s3_events },
    { "prefix", CONF_STR, offsetof(struct fg_conf_s3_event, prefix), 0, 0, NULL, NULL },
    { "suffix", CONF_STR, offsetof(struct fg_conf_s3_event, suffix), 0, 0, NULL, NULL },
    { "filter_criteria", CONF_FILTER, offsetof(struct fg_conf_s3_event, filter), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_s3_event(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                               struct fg_conf_function *fn, struct fg_conf_s3_event *e)
{
    int rc;
    e->created = true;
    e->pos = kpos;
    if (val && fy_node_is_scalar(val)) {
        if ((rc = conf_scalar(p, val, kpos, "s3", &e->bucket)) < 0)
            return rc;
    } else if ((rc = conf_walk(p, val, kpos, "s3 event", conf_s3_event_keys, e)) < 0) {
        return rc;
    }
    if (!e->bucket)
        return conf_fail(p, kpos, "s3: 'bucket' is required");
    if (!e->name) {
        char name[128];
        snprintf(name, sizeof(name), "%s-s3-%zu", fn->name, fn->n_s3 + 1);
        if (!(e->name = fg_arena_strdup(&p->conf->arena, name)))
            return -ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ poll sources and topics */

/* One pattern: a mapping (written as YAML) or JSON text; kept as one-line JSON. */
static int conf_pattern_text(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos pos, const char **out)
{
    char *json;
    if (fy_node_is_scalar(val))
        return conf_scalar(p, val, pos, "filter_criteria pattern", out);
    if (!fy_node_is_mapping(val))
        return conf_fail(p, pos, "filter_criteria: a pattern is a mapping (or JSON text), got %s", conf_node_kind(val));
    if (!(json = fy_emit_node_to_string(val, FYECF_MODE_JSON_ONELINE)))
        return -ENOMEM;
    *out = fg_arena_strdup(&p->conf->arena, json);
    free(json);
    return *out ? 0 : -ENOMEM;
}

/* filter_criteria: {filters: [{pattern: P}, ...]} as Lambda writes it, or a list of
 * patterns as serverless.yml's filterPatterns does. Patterns are checked here so a bad one
 * is a config error with its position. */
static int conf_parse_filter(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                             struct fg_conf_filter *f)
{
    struct fy_node *list = val, *item;
    struct fg_filter *compiled;
    struct fg_err err;
    void *it = NULL;
    int rc;

    f->pos = kpos;
    if (!val || fy_node_is_null(val))
        return 0;
    if (fy_node_is_mapping(val)) {
        list = fy_node_mapping_lookup_by_string(val, "filters", FY_NT);
        if (!list)
            list = fy_node_mapping_lookup_by_string(val, "Filters", FY_NT);
        if (!list || fy_node_mapping_item_count(val) != 1)
            return conf_fail(p, kpos, "filter_criteria: expected {filters: [{pattern: ...}]} or a list of patterns");
    }
    if (!fy_node_is_sequence(list))
        return conf_fail(p, kpos, "filter_criteria: expected a list of patterns, got %s", conf_node_kind(list));
    if (fy_node_sequence_item_count(list) > FG_FILTER_MAX_PATTERNS)
        return conf_fail(p, kpos, "filter_criteria: at most %d patterns (they are ORed)", FG_FILTER_MAX_PATTERNS);
    if (!(f->patterns = fg_arena_alloc(&p->conf->arena, sizeof(*f->patterns) * FG_FILTER_MAX_PATTERNS)))
        return -ENOMEM;
    while ((item = fy_node_sequence_iterate(list, &it))) {
        struct fg_conf_pos pos = conf_pos(item, kpos);
        struct fy_node *pat = item;
        if (fy_node_is_mapping(item) && fy_node_mapping_item_count(item) == 1 &&
            ((pat = fy_node_mapping_lookup_by_string(item, "pattern", FY_NT)) ||
             (pat = fy_node_mapping_lookup_by_string(item, "Pattern", FY_NT)))) {
            pos = conf_pos(pat, pos);
        } else {
            pat = item;
        }
        if ((rc = conf_pattern_text(p, pat, pos, &f->patterns[f->n])) < 0)
            return rc;
        f->n++;
    }
    if ((rc = fg_filter_compile(f->patterns, f->n, &compiled, &err)) < 0)
        return conf_fail(p, kpos, "filter_criteria: %s", err.msg);
    fg_filter_free(compiled);
    return 0;
}

/* function_response_types: [ReportBatchItemFailures] (the only type Lambda has). */
static int conf_parse_response_types(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, bool *out)
{
    struct fy_node *item;
    void *it = NULL;
    const char *s;
    int rc;

    if (!val || fy_node_is_null(val))
        return 0;
    if (!fy_node_is_sequence(val))
        return conf_fail(p, kpos, "function_response_types: expected a list, e.g. [ReportBatchItemFailures]");
    while ((item = fy_node_sequence_iterate(val, &it))) {
        if ((rc = conf_scalar(p, item, kpos, "function_response_types", &s)) < 0)
            return rc;
        if (strcmp(s, "ReportBatchItemFailures"))
            return conf_fail(p, conf_pos(item, kpos), "function_response_types: unknown type '%s' (ReportBatchItemFailures is the one type)", s);
        *out = true;
    }
    return 0;
}

/* redis://[[user]:password@]host[:port][/db]: the scheme is checked here, the rest when the
 * source starts (triggers/redis.c parses it). */
static int conf_check_redis_url(struct conf_parser *p, struct fg_conf_pos pos, const char *url)
{
    if (!url)
        return conf_fail(p, pos, "'redis' (a redis://host:port/db URL) is required");
    if (strncmp(url, "redis://", 8) || !url[8])
        return conf_fail(p, pos, "redis: '%s' is not a redis://host:port/db URL", url);
    return 0;
}

static const struct conf_key conf_queue_keys[] = {
    { "redis", CONF_STR, offsetof(struct fg_conf_queue, redis), 0, 0, NULL, NULL },
    { "stream", CONF_STR, offsetof(struct fg_conf_queue, stream), 0, 0, NULL, NULL },
    { "group", CONF_STR, offsetof(struct fg_conf_queue, group), 0, 0, NULL, NULL },
    { "batch_size", CONF_INT, offsetof(struct fg_conf_queue, batch_size), 1, 10000, NULL, NULL },
    { "maximum_batching_window", CONF_MS, offsetof(struct fg_conf_queue, window_ms), 0, 300000, NULL, NULL },
    { "visibility_timeout", CONF_SECONDS, offsetof(struct fg_conf_queue, visibility_timeout_s), 0, 43200, NULL, NULL },
    { "max_receive_count", CONF_INT, offsetof(struct fg_conf_queue, max_receive_count), 1, 1000, NULL, NULL },
    { "dead_letter_stream", CONF_STR, offsetof(struct fg_conf_queue, dead_letter_stream), 0, 0, NULL, NULL },
    { "function_response_types", CONF_RESPONSE_TYPES, offsetof(struct fg_conf_queue, report_failures), 0, 0, NULL, NULL },
    { "maximum_concurrency", CONF_INT, offsetof(struct fg_conf_queue, max_concurrency), 1, 1000, NULL, NULL },
    { "filter_criteria", CONF_FILTER, offsetof(struct fg_conf_queue, filter), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_queue(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                            struct fg_conf_queue *q)
{
    int rc;
    q->batch_size = 10;
    q->visibility_timeout_s = 30;
    q->max_receive_count = -1;
    q->pos = kpos;
    if ((rc = conf_walk(p, val, kpos, "queue", conf_queue_keys, q)) < 0)
        return rc;
    if ((rc = conf_check_redis_url(p, kpos, q->redis)) < 0)
        return rc;
    if (!q->stream || !*q->stream)
        return conf_fail(p, kpos, "queue: 'stream' (the Redis stream to consume) is required");
    if (!q->group)
        q->group = "fngate";
    if (q->max_receive_count > 0 && !q->dead_letter_stream)
        return conf_fail(p, kpos, "queue: max_receive_count needs a dead_letter_stream to move messages to");
    if (q->max_receive_count < 0)
        q->max_receive_count = q->dead_letter_stream ? 5 : 0;
    if (q->dead_letter_stream && !strcmp(q->dead_letter_stream, q->stream))
        return conf_fail(p, kpos, "queue: dead_letter_stream cannot be the stream itself");
    return 0;
}

static const struct conf_key conf_topic_keys[] = {
    { "redis", CONF_STR, offsetof(struct fg_conf_topic, redis), 0, 0, NULL, NULL },
    { "channel", CONF_STR, offsetof(struct fg_conf_topic, channel), 0, 0, NULL, NULL },
    { "pattern", CONF_STR, offsetof(struct fg_conf_topic, pattern), 0, 0, NULL, NULL },
    { "filter_criteria", CONF_FILTER, offsetof(struct fg_conf_topic, filter), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_topic(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                            struct fg_conf_topic *t)
{
    int rc;
    t->pos = kpos;
    if ((rc = conf_walk(p, val, kpos, "topic", conf_topic_keys, t)) < 0)
        return rc;
    if ((rc = conf_check_redis_url(p, kpos, t->redis)) < 0)
        return rc;
    if (!t->channel == !t->pattern)
        return conf_fail(p, kpos, "topic: give exactly one of 'channel' and 'pattern'");
    return 0;
}

static int conf_parse_properties(struct conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_stream *st = obj;
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if (!map || fy_node_is_null(map))
        return 0;
    if (!fy_node_is_mapping(map))
        return conf_fail(p, kpos, "properties: expected a mapping of librdkafka settings, got %s", conf_node_kind(map));
    st->properties = fg_arena_alloc(&p->conf->arena, sizeof(*st->properties) * ((size_t)fy_node_mapping_item_count(map) + 1));
    if (!st->properties)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fg_conf_env *e = &st->properties[st->n_properties];
        struct fg_conf_pos pos = conf_pos(fy_node_pair_key(pair), kpos);
        if ((rc = conf_scalar(p, fy_node_pair_key(pair), pos, "properties", &e->key)) < 0 ||
            (rc = conf_scalar(p, fy_node_pair_value(pair), pos, e->key, &e->value)) < 0)
            return rc;
        if (!strcmp(e->key, "enable.auto.commit") || !strcmp(e->key, "enable.auto.offset.store") ||
            !strcmp(e->key, "group.id"))
            return conf_fail(p, pos, "properties: %s is fngate's to set (offsets are stored only after success)", e->key);
        st->n_properties++;
    }
    return 0;
}

static const struct conf_key conf_kafka_keys[] = {
    { "brokers", CONF_STR, offsetof(struct fg_conf_stream, brokers), 0, 0, NULL, NULL },
    { "properties", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_properties },
    CONF_KEY_END,
};

static int conf_parse_kafka(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    if (val && fy_node_is_scalar(val))
        return conf_scalar(p, val, kpos, "kafka", &((struct fg_conf_stream *)obj)->brokers);
    return conf_walk(p, val, kpos, "kafka", conf_kafka_keys, obj);
}

/* on_failure: dlq | URL | function, or {destination: ...} as serverless.yml nests it. */
static int conf_parse_destination(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                                  const char *what, struct fg_conf_destination *d);

static int conf_parse_stream_on_failure(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_stream *st = obj;
    if (val && fy_node_is_mapping(val)) {
        struct fy_node *d = fy_node_mapping_lookup_by_string(val, "destination", FY_NT);
        if (!d || fy_node_mapping_item_count(val) != 1)
            return conf_fail(p, kpos, "on_failure: expected dlq, a URL, a function name, or {destination: ...}");
        val = d;
    }
    return conf_parse_destination(p, val, kpos, "on_failure", &st->on_failure);
}

static int conf_parse_timestamp(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_stream *st = obj;
    const char *s;
    long v;
    int rc;
    if ((rc = conf_scalar(p, val, kpos, "starting_position_timestamp", &s)) < 0)
        return rc;
    if (conf_parse_long(s, &v) < 0 || v < 0)
        return conf_fail(p, conf_pos(val, kpos), "starting_position_timestamp: expected epoch seconds, got '%s'", s);
    st->starting_timestamp_ms = (long long)v * 1000;
    return 0;
}

static const char *const conf_start_names[] = { "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", NULL };
static const char *const conf_format_names[] = { "kafka", "kinesis", NULL };

static const struct conf_key conf_stream_keys[] = {
    { "kafka", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_kafka },
    { "topic", CONF_STR, offsetof(struct fg_conf_stream, topic), 0, 0, NULL, NULL },
    { "group", CONF_STR, offsetof(struct fg_conf_stream, group), 0, 0, NULL, NULL },
    { "batch_size", CONF_INT, offsetof(struct fg_conf_stream, batch_size), 1, 10000, NULL, NULL },
    { "maximum_batching_window", CONF_MS, offsetof(struct fg_conf_stream, window_ms), 0, 300000, NULL, NULL },
    { "starting_position", CONF_ENUM, offsetof(struct fg_conf_stream, starting_position), 0, 0, conf_start_names, NULL },
    { "starting_position_timestamp", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_timestamp },
    { "format", CONF_ENUM, offsetof(struct fg_conf_stream, format), 0, 0, conf_format_names, NULL },
    { "maximum_retry_attempts", CONF_INT, offsetof(struct fg_conf_stream, max_retry_attempts), -1, 10000, NULL, NULL },
    { "maximum_record_age", CONF_INT, offsetof(struct fg_conf_stream, max_record_age_s), -1, 604800, NULL, NULL },
    { "bisect_batch_on_function_error", CONF_BOOL, offsetof(struct fg_conf_stream, bisect), 0, 0, NULL, NULL },
    { "function_response_types", CONF_RESPONSE_TYPES, offsetof(struct fg_conf_stream, report_failures), 0, 0, NULL, NULL },
    { "on_failure", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_stream_on_failure },
    { "parallelization_factor", CONF_INT, offsetof(struct fg_conf_stream, parallelization_factor), 1, 10, NULL, NULL },
    { "filter_criteria", CONF_FILTER, offsetof(struct fg_conf_stream, filter), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_stream(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                             struct fg_conf_stream *st)
{
    int rc;
    st->batch_size = 100;
    st->window_ms = 500;
    st->max_retry_attempts = -1;
    st->max_record_age_s = -1;
    st->parallelization_factor = 1;
    st->starting_timestamp_ms = -1;
    st->pos = kpos;
    if ((rc = conf_walk(p, val, kpos, "stream", conf_stream_keys, st)) < 0)
        return rc;
    if (!st->brokers || !*st->brokers)
        return conf_fail(p, kpos, "stream: 'kafka: {brokers: host:port}' is required");
    if (!st->topic || !*st->topic)
        return conf_fail(p, kpos, "stream: 'topic' is required");
    if (!st->group)
        st->group = "fngate";
    if (st->max_record_age_s >= 0 && st->max_record_age_s < 60)
        return conf_fail(p, kpos, "stream: maximum_record_age is -1 (forever) or 60..604800 seconds");
    if ((st->starting_position == FG_START_AT_TIMESTAMP) != (st->starting_timestamp_ms >= 0))
        return conf_fail(p, kpos, "stream: starting_position AT_TIMESTAMP goes with starting_position_timestamp (and only with it)");
    if (st->on_failure.kind == FG_DEST_NONE)
        st->on_failure.kind = FG_DEST_DLQ;
    return 0;
}

static const char *const conf_event_kinds[] = { "http", "httpApi", "schedule", "fs", "s3", "queue", "topic", "stream", NULL };

static int conf_parse_events(struct conf_parser *p, struct fy_node *seq, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_function *fn = obj;
    struct fy_node *item;
    void *it = NULL;
    int rc;

    if (!seq || fy_node_is_null(seq))
        return 0;
    if (!fy_node_is_sequence(seq))
        return conf_fail(p, kpos, "events: expected a list (- http: ...), got %s", conf_node_kind(seq));
    fn->http = fg_arena_alloc(&p->conf->arena, sizeof(*fn->http) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->schedules = fg_arena_alloc(&p->conf->arena, sizeof(*fn->schedules) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->fs = fg_arena_alloc(&p->conf->arena, sizeof(*fn->fs) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->s3 = fg_arena_alloc(&p->conf->arena, sizeof(*fn->s3) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->queues = fg_arena_alloc(&p->conf->arena, sizeof(*fn->queues) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->topics = fg_arena_alloc(&p->conf->arena, sizeof(*fn->topics) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    fn->streams = fg_arena_alloc(&p->conf->arena, sizeof(*fn->streams) * ((size_t)fy_node_sequence_item_count(seq) + 1));
    if (!fn->http || !fn->schedules || !fn->fs || !fn->s3 || !fn->queues || !fn->topics || !fn->streams)
        return -ENOMEM;
    while ((item = fy_node_sequence_iterate(seq, &it))) {
        struct fy_node_pair *pair;
        void *pit = NULL;
        if (!fy_node_is_mapping(item) || fy_node_mapping_item_count(item) != 1)
            return conf_fail(p, conf_pos(item, kpos), "events: each entry is a mapping with one key, e.g. '- http: GET /path'");
        pair = fy_node_mapping_iterate(item, &pit);
        struct fy_node *kn = fy_node_pair_key(pair);
        struct fg_conf_pos pos = conf_pos(kn, kpos);
        const char *kind = fy_node_is_scalar(kn) ? fy_node_get_scalar0(kn) : "";
        if (!strcmp(kind, "s3")) {
            if ((rc = conf_parse_s3_event(p, fy_node_pair_value(pair), pos, fn, &fn->s3[fn->n_s3])) < 0)
                return rc;
            fn->n_s3++;
            continue;
        }
        if (!strcmp(kind, "queue")) {
            if ((rc = conf_parse_queue(p, fy_node_pair_value(pair), pos, &fn->queues[fn->n_queues])) < 0)
                return rc;
            fn->n_queues++;
            continue;
        }
        if (!strcmp(kind, "topic")) {
            if ((rc = conf_parse_topic(p, fy_node_pair_value(pair), pos, &fn->topics[fn->n_topics])) < 0)
                return rc;
            fn->n_topics++;
            continue;
        }
        if (!strcmp(kind, "stream")) {
            if ((rc = conf_parse_stream(p, fy_node_pair_value(pair), pos, &fn->streams[fn->n_streams])) < 0)
                return rc;
            fn->n_streams++;
            continue;
        }
        if (!strcmp(kind, "fs")) {
            if ((rc = conf_parse_fs(p, fy_node_pair_value(pair), pos, fn, &fn->fs[fn->n_fs])) < 0)
                return rc;
            fn->n_fs++;
            continue;
        }
        if (!strcmp(kind, "schedule")) {
            if ((rc = conf_parse_schedule(p, fy_node_pair_value(pair), pos, fn, &fn->schedules[fn->n_schedules])) < 0)
                return rc;
            fn->n_schedules++;
            continue;
        }
        if (strcmp(kind, "http") && strcmp(kind, "httpApi")) {
            char msg[256];
            snprintf(msg, sizeof(msg), "events: unknown event type '%s'", kind);
            conf_suggest(msg, sizeof(msg), kind, conf_event_kinds);
            return conf_fail(p, pos, "%s", msg);
        }
        if ((rc = conf_parse_http(p, fy_node_pair_value(pair), pos, &fn->http[fn->n_http])) < 0)
            return rc;
        fn->n_http++;
    }
    return 0;
}

static const char *const conf_jitter_names[] = { "full", "equal", "none", NULL };

static const struct conf_key conf_backoff_keys[] = {
    { "initial", CONF_MS, offsetof(struct fg_conf_retries, initial_ms), 1, 3600000, NULL, NULL },
    { "max", CONF_MS, offsetof(struct fg_conf_retries, max_ms), 1, 86400000, NULL, NULL },
    { "multiplier", CONF_DOUBLE, offsetof(struct fg_conf_retries, multiplier), 1, 10, NULL, NULL },
    { "jitter", CONF_ENUM, offsetof(struct fg_conf_retries, jitter), 0, 0, conf_jitter_names, NULL },
    CONF_KEY_END,
};

static int conf_parse_backoff(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_walk(p, val, kpos, "backoff", conf_backoff_keys, obj);
}

static const struct conf_key conf_retries_keys[] = {
    { "maximum_retry_attempts", CONF_INT, offsetof(struct fg_conf_retries, max_attempts), 0, 1000, NULL, NULL },
    { "maximum_event_age", CONF_SECONDS, offsetof(struct fg_conf_retries, max_age_s), 60, 21600, NULL, NULL },
    { "backoff", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_backoff },
    CONF_KEY_END,
};

/* Unset fields are -1 until conf_check() fills them from the top-level block. */
static const struct fg_conf_retries conf_retries_unset = { -1, -1, -1, -1, -1.0, -1 };
static const struct fg_conf_retries conf_retries_default = { 2, 21600, 1000, 300000, 2.0, FG_JITTER_FULL };

static int conf_parse_retries(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_walk(p, val, kpos, "retries", conf_retries_keys, obj);
}

static int conf_parse_fn_retries(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_retries(p, val, kpos, &((struct fg_conf_function *)obj)->retries);
}

static int conf_parse_top_retries(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_retries(p, val, kpos, &((struct fg_config *)obj)->retries);
}

/* "dlq", an http(s):// URL, or a function name (checked once every function is known). */
static int conf_parse_destination(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos,
                                  const char *what, struct fg_conf_destination *d)
{
    const char *s;
    int rc;

    if ((rc = conf_scalar(p, val, kpos, what, &s)) < 0)
        return rc;
    d->pos = conf_pos(val, kpos);
    d->target = s;
    if (!strcmp(s, "dlq")) {
        d->kind = FG_DEST_DLQ;
        d->target = NULL;
    } else if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
        d->kind = FG_DEST_URL;
    } else if (strstr(s, "://")) {
        return conf_fail(p, d->pos, "%s: '%s': only http:// and https:// URLs are destinations", what, s);
    } else {
        d->kind = FG_DEST_FUNCTION;
    }
    return 0;
}

static int conf_parse_on_success(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_destination(p, val, kpos, "on_success", &((struct fg_conf_function *)obj)->on_success);
}

static int conf_parse_on_failure(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_parse_destination(p, val, kpos, "on_failure", &((struct fg_conf_function *)obj)->on_failure);
}

/* snake_case as the rest of the file, camelCase as serverless.yml writes it. */
static const struct conf_key conf_destination_keys[] = {
    { "on_success", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_on_success },
    { "on_failure", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_on_failure },
    { "onSuccess", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_on_success },
    { "onFailure", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_on_failure },
    CONF_KEY_END,
};

static int conf_parse_destinations(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_walk(p, val, kpos, "destinations", conf_destination_keys, obj);
}

static const char *const conf_runtime_names[] = { "python3", "nodejs", "provided", "exec", NULL };

static const struct conf_key conf_function_keys[] = {
    { "runtime", CONF_ENUM, offsetof(struct fg_conf_function, runtime), 0, 0, conf_runtime_names, NULL },
    { "handler", CONF_STR, offsetof(struct fg_conf_function, handler), 0, 0, NULL, NULL },
    { "code", CONF_STR, offsetof(struct fg_conf_function, code), 0, 0, NULL, NULL },
    { "description", CONF_STR, offsetof(struct fg_conf_function, description), 0, 0, NULL, NULL },
    { "memory", CONF_INT, offsetof(struct fg_conf_function, memory_mb), 128, 10240, NULL, NULL },
    { "timeout", CONF_SECONDS, offsetof(struct fg_conf_function, timeout_s), 1, 900, NULL, NULL },
    { "concurrency", CONF_INT, offsetof(struct fg_conf_function, concurrency), 1, 1000, NULL, NULL },
    { "min_warm", CONF_INT, offsetof(struct fg_conf_function, min_warm), 0, 1000, NULL, NULL },
    { "idle_timeout", CONF_SECONDS, offsetof(struct fg_conf_function, idle_timeout_s), 1, 86400, NULL, NULL },
    { "environment", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_env },
    { "events", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_events },
    { "retries", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_fn_retries },
    { "destinations", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_destinations },
    { "rate", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_fn_rate },
    CONF_KEY_END,
};

static int conf_parse_functions(struct conf_parser *p, struct fy_node *map, struct fg_conf_pos kpos, void *obj)
{
    struct fg_config *conf = obj;
    struct fy_node_pair *pair;
    void *it = NULL;
    int rc;

    if (!map || fy_node_is_null(map))
        return 0;
    if (!fy_node_is_mapping(map))
        return conf_fail(p, kpos, "functions: expected a mapping of NAME: {...}, got %s", conf_node_kind(map));
    conf->functions = fg_arena_alloc(&conf->arena, sizeof(*conf->functions) * ((size_t)fy_node_mapping_item_count(map) + 1));
    if (!conf->functions)
        return -ENOMEM;
    while ((pair = fy_node_mapping_iterate(map, &it))) {
        struct fg_conf_function *fn = &conf->functions[conf->n_functions];
        struct fy_node *kn = fy_node_pair_key(pair);
        struct fg_conf_pos pos = conf_pos(kn, kpos);
        const char *name;
        char where[160];
        if ((rc = conf_scalar(p, kn, pos, "functions", &name)) < 0)
            return rc;
        for (const char *c = name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return conf_fail(p, pos, "function name '%s': use letters, digits, - and _ (as Lambda does)", name);
        if (strlen(name) > 64)
            return conf_fail(p, pos, "function name '%s' is longer than 64 characters", name);
        fn->name = name;
        fn->pos = pos;
        fn->memory_mb = 128;
        fn->timeout_s = 3;
        fn->idle_timeout_s = 300;
        fn->runtime = -1;
        fn->retries = conf_retries_unset;
        snprintf(where, sizeof(where), "function %s", name);
        if ((rc = conf_walk(p, fy_node_pair_value(pair), pos, where, conf_function_keys, fn)) < 0)
            return rc;
        conf->n_functions++;
    }
    return 0;
}

/* HOST:PORT (or [v6]:PORT, or :PORT for loopback) into *host and *port. */
static int conf_hostport(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, const char **host,
                         int *port_out)
{
    const char *s;
    int rc;

    if ((rc = conf_scalar(p, val, kpos, "listen", &s)) < 0)
        return rc;
    if (fg_conf_hostport(p->conf, s, host, port_out) < 0)
        return conf_fail(p, conf_pos(val, kpos), "listen: expected HOST:PORT (e.g. 127.0.0.1:8080), got '%s'", s);
    return 0;
}

int fg_conf_hostport(struct fg_config *conf, const char *s, const char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    long v;
    if (!colon || conf_parse_long(colon + 1, &v) < 0 || v < 0 || v > 65535)
        return -1;
    if (s[0] == '[' && colon > s && colon[-1] == ']')
        *host = fg_arena_strndup(&conf->arena, s + 1, (size_t)(colon - s - 2));
    else
        *host = colon == s ? "127.0.0.1" : fg_arena_strndup(&conf->arena, s, (size_t)(colon - s));
    *port = (int)v;
    return *host ? 0 : -1;
}

static int conf_parse_listen(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_config *conf = obj;
    return conf_hostport(p, val, kpos, &conf->listen_host, &conf->listen_port);
}

static int conf_parse_s3_listen(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_s3 *s3 = obj;
    return conf_hostport(p, val, kpos, &s3->listen_host, &s3->listen_port);
}

static const struct conf_key conf_s3_credential_keys[] = {
    { "access_key", CONF_STR, offsetof(struct fg_conf_s3, access_key), 0, 0, NULL, NULL },
    { "secret_key", CONF_STR, offsetof(struct fg_conf_s3, secret_key), 0, 0, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_s3_credentials(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_conf_s3 *s3 = obj;
    int rc;
    if ((rc = conf_walk(p, val, kpos, "credentials", conf_s3_credential_keys, s3)) < 0)
        return rc;
    if (!s3->access_key != !s3->secret_key)
        return conf_fail(p, kpos, "credentials: give both access_key and secret_key");
    return 0;
}

static const struct conf_key conf_s3_keys[] = {
    { "listen", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_s3_listen },
    { "root", CONF_STR, offsetof(struct fg_conf_s3, root), 0, 0, NULL, NULL },
    { "credentials", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_s3_credentials },
    CONF_KEY_END,
};

static int conf_parse_s3(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    struct fg_config *conf = obj;
    int rc;
    conf->s3.enabled = true;
    conf->s3.listen_host = "127.0.0.1";
    conf->s3.listen_port = 9000;
    conf->s3.root = "data/s3";
    if ((rc = conf_walk(p, val, kpos, "s3", conf_s3_keys, &conf->s3)) < 0)
        return rc;
    if (!(conf->s3.root = conf_abspath(conf, conf->s3.root)))
        return -ENOMEM;
    return 0;
}

static const struct conf_key conf_gateway_keys[] = {
    { "listen", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_listen },
    { "max_concurrency", CONF_INT, offsetof(struct fg_config, max_concurrency), 1, 100000, NULL, NULL },
    { "http_threads", CONF_INT, offsetof(struct fg_config, http_threads), 1, 256, NULL, NULL },
    { "queue_memory", CONF_INT, offsetof(struct fg_config, queue_memory_mb), 1, 1048576, NULL, NULL },
    CONF_KEY_END,
};

static int conf_parse_gateway(struct conf_parser *p, struct fy_node *val, struct fg_conf_pos kpos, void *obj)
{
    return conf_walk(p, val, kpos, "gateway", conf_gateway_keys, obj);
}

static const char *const conf_log_formats[] = { "text", "json", NULL };
static const char *const conf_durability_names[] = { "full", "memory", NULL };

static const struct conf_key conf_top_keys[] = {
    { "service", CONF_STR, offsetof(struct fg_config, service), 0, 0, NULL, NULL },
    { "gateway", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_gateway },
    { "state_dir", CONF_STR, offsetof(struct fg_config, state_dir), 0, 0, NULL, NULL },
    { "region", CONF_STR, offsetof(struct fg_config, region), 0, 0, NULL, NULL },
    { "account_id", CONF_STR, offsetof(struct fg_config, account_id), 0, 0, NULL, NULL },
    { "log_format", CONF_ENUM, offsetof(struct fg_config, log_format), 0, 0, conf_log_formats, NULL },
    { "durability", CONF_ENUM, offsetof(struct fg_config, durability), 0, 0, conf_durability_names, NULL },
    { "retries", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_top_retries },
    { "s3", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_s3 },
    { "functions", CONF_CUSTOM, 0, 0, 0, NULL, conf_parse_functions },
    CONF_KEY_END,
};

/* ------------------------------------------------------------------ cross-key rules */

static const char *conf_abspath(struct fg_config *conf, const char *path)
{
    char *out;
    if (path[0] == '/')
        return path;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    if (!strcmp(path, ".") || !*path)
        return conf->dir;
    out = fg_arena_alloc(&conf->arena, strlen(conf->dir) + strlen(path) + 2);
    if (out)
        sprintf(out, "%s/%s", conf->dir, path);
    return out;
}

/* "/a/{x}/b" and "/a/{y}/b" are the same route: compare with parameter names removed. */
static void conf_route_shape(const char *path, char *out, size_t outsz)
{
    size_t o = 0;
    for (const char *s = path; *s && o + 3 < outsz; s++) {
        if (*s == '{') {
            const char *e = strchr(s, '}');
            bool greedy = e && e > s && e[-1] == '+';
            out[o++] = '{';
            if (greedy)
                out[o++] = '+';
            out[o++] = '}';
            s = e ? e : s + strlen(s) - 1;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
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

static int conf_check_destination(struct conf_parser *p, const struct fg_conf_function *fn,
                                  const struct fg_conf_destination *d, const char *what)
{
    if (d->kind == FG_DEST_DLQ && !strcmp(what, "on_success"))
        return conf_fail(p, d->pos, "function %s: on_success cannot be dlq (the dead-letter store keeps failures)", fn->name);
    if (d->kind != FG_DEST_FUNCTION)
        return 0;
    if (!strcmp(d->target, fn->name))
        return conf_fail(p, d->pos, "function %s: %s cannot be the function itself", fn->name, what);
    if (!fg_conf_function(p->conf, d->target))
        return conf_fail(p, d->pos, "function %s: %s: no function named '%s' (use dlq, an http(s):// URL, or a function of this file)",
                         fn->name, what, d->target);
    return 0;
}

static int conf_cmp_schedule(const void *a, const void *b)
{
    const struct fg_conf_schedule *x = *(const struct fg_conf_schedule *const *)a;
    const struct fg_conf_schedule *y = *(const struct fg_conf_schedule *const *)b;
    int c = strcmp(x->name, y->name);
    /* Equal names: the later one in the file is the duplicate. */
    return c ? c : x->pos.line != y->pos.line ? x->pos.line - y->pos.line : x->pos.col - y->pos.col;
}

/* Schedule names key their state (the last fire): they must be unique. Sorted, so 100,000
 * schedules check in n log n. */
static int conf_check_schedule_names(struct conf_parser *p)
{
    struct fg_config *conf = p->conf;
    const struct fg_conf_schedule **all;
    size_t n = 0, k = 0;
    int rc = 0;

    for (size_t i = 0; i < conf->n_functions; i++)
        n += conf->functions[i].n_schedules;
    if (n < 2)
        return 0;
    if (!(all = malloc(n * sizeof(*all))))
        return -ENOMEM;
    for (size_t i = 0; i < conf->n_functions; i++)
        for (size_t j = 0; j < conf->functions[i].n_schedules; j++)
            all[k++] = &conf->functions[i].schedules[j];
    qsort(all, n, sizeof(*all), conf_cmp_schedule);
    for (size_t i = 1; i < n && !rc; i++)
        if (!strcmp(all[i]->name, all[i - 1]->name))
            rc = conf_fail(p, all[i]->pos, "duplicate schedule name '%s' (already used at %s:%d:%d)", all[i]->name,
                           p->name, all[i - 1]->pos.line, all[i - 1]->pos.col);
    free(all);
    return rc;
}

static int conf_check(struct conf_parser *p)
{
    struct fg_config *conf = p->conf;
    struct stat st;
    int rc;

    conf_retries_merge(&conf->retries, &conf_retries_default);
    if (conf->retries.initial_ms > conf->retries.max_ms)
        return conf_fail(p, (struct fg_conf_pos){ 1, 1 }, "retries: backoff initial (%d ms) is above max (%d ms)",
                         conf->retries.initial_ms, conf->retries.max_ms);
    for (size_t i = 0; i < conf->n_functions; i++) {
        struct fg_conf_function *fn = &conf->functions[i];
        conf_retries_merge(&fn->retries, &conf->retries);
        if (fn->retries.initial_ms > fn->retries.max_ms)
            return conf_fail(p, fn->pos, "function %s: retries: backoff initial (%d ms) is above max (%d ms)",
                             fn->name, fn->retries.initial_ms, fn->retries.max_ms);
        if (fn->on_failure.kind == FG_DEST_NONE)
            fn->on_failure.kind = FG_DEST_DLQ;
        if ((rc = conf_check_destination(p, fn, &fn->on_success, "on_success")) < 0 ||
            (rc = conf_check_destination(p, fn, &fn->on_failure, "on_failure")) < 0)
            return rc;
        if ((int)fn->runtime < 0)
            return conf_fail(p, fn->pos, "function %s: 'runtime' is required (python3, nodejs, provided or exec)", fn->name);
        if (!fn->code)
            return conf_fail(p, fn->pos, "function %s: 'code' (the directory holding the handler) is required", fn->name);
        if (!(fn->code = conf_abspath(conf, fn->code)))
            return -ENOMEM;
        if (stat(fn->code, &st) < 0 || !S_ISDIR(st.st_mode))
            return conf_fail(p, fn->pos, "function %s: code directory %s does not exist", fn->name, fn->code);
        if (fn->runtime != FG_RUNTIME_PROVIDED && !fn->handler)
            return conf_fail(p, fn->pos, "function %s: 'handler' is required for runtime %s", fn->name,
                             conf_runtime_names[fn->runtime]);
        if (fn->runtime == FG_RUNTIME_PROVIDED) {
            char boot[PATH_MAX];
            snprintf(boot, sizeof(boot), "%s/bootstrap", fn->code);
            if (access(boot, X_OK) < 0)
                return conf_fail(p, fn->pos, "function %s: runtime provided needs an executable %s", fn->name, boot);
        }
        if ((fn->runtime == FG_RUNTIME_PYTHON3 || fn->runtime == FG_RUNTIME_NODEJS) &&
            (!strchr(fn->handler, '.') || fn->handler[0] == '.'))
            return conf_fail(p, fn->pos, "function %s: handler '%s' must be FILE.FUNCTION (e.g. app.lambda_handler)",
                             fn->name, fn->handler);
        for (size_t j = 0; j < fn->n_queues; j++) {
            struct fg_conf_queue *q = &fn->queues[j];
            if (q->visibility_timeout_s < fn->timeout_s)
                return conf_fail(p, q->pos, "function %s: queue %s: visibility_timeout (%d s) is below the function's timeout (%d s); a message would be redelivered while it runs",
                                 fn->name, q->stream, q->visibility_timeout_s, fn->timeout_s);
            if (!q->max_concurrency)
                q->max_concurrency = fn->concurrency ? fn->concurrency : 5;
        }
        for (size_t j = 0; j < fn->n_streams; j++)
            if ((rc = conf_check_destination(p, fn, &fn->streams[j].on_failure, "on_failure")) < 0)
                return rc;
        if (fn->min_warm > fn->concurrency && fn->concurrency)
            return conf_fail(p, fn->pos, "function %s: min_warm (%d) is above concurrency (%d)", fn->name,
                             fn->min_warm, fn->concurrency);
    }
    if ((rc = conf_check_schedule_names(p)) < 0)
        return rc;
    for (size_t i = 0; i < conf->n_functions; i++)
        if (conf->functions[i].n_s3 && !conf->s3.enabled)
            return conf_fail(p, conf->functions[i].s3[0].pos,
                             "function %s: s3 events come from fngate's S3 endpoint: add a top-level s3: {listen, root}",
                             conf->functions[i].name);
    /* Duplicate routes across all functions. */
    for (size_t i = 0; i < conf->n_functions; i++) {
        for (size_t j = 0; j < conf->functions[i].n_http; j++) {
            const struct fg_conf_http *a = &conf->functions[i].http[j];
            char sa[512], sb[512];
            conf_route_shape(a->path, sa, sizeof(sa));
            for (size_t k = 0; k <= i; k++) {
                size_t lim = k == i ? j : conf->functions[k].n_http;
                for (size_t l = 0; l < lim; l++) {
                    const struct fg_conf_http *b = &conf->functions[k].http[l];
                    conf_route_shape(b->path, sb, sizeof(sb));
                    if (!strcmp(a->method, b->method) && !strcmp(sa, sb))
                        return conf_fail(p, a->pos, "duplicate route %s %s (already defined at %s:%d:%d for function %s)",
                                         a->method, a->path, p->name, b->pos.line, b->pos.col,
                                         conf->functions[k].name);
                }
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ API */

static int conf_from_document(struct fg_config *conf, struct conf_parser *p, struct fy_document *doc)
{
    struct fg_conf_pos top = { 1, 1 };
    struct fy_node *root = fy_document_root(doc);
    int rc;

    conf->listen_host = "127.0.0.1";
    conf->listen_port = 8080;
    conf->max_concurrency = 1000;
    conf->queue_memory_mb = 256;
    conf->region = "us-east-1";
    conf->account_id = "000000000000";
    conf->service = "fngate";
    conf->state_dir = ".fngate";
    conf->retries = conf_retries_unset;
    if (!root)
        return conf_fail(p, top, "the file is empty; expected a mapping with 'functions:'");
    if ((rc = conf_walk(p, root, top, "the top level", conf_top_keys, conf)) < 0)
        return rc;
    if (!(conf->state_dir = conf_abspath(conf, conf->state_dir)))
        return -ENOMEM;
    if (strlen(conf->account_id) != 12 || strspn(conf->account_id, "0123456789") != 12)
        return conf_fail(p, top, "account_id: expected 12 digits, got '%s'", conf->account_id);
    return conf_check(p);
}

/* Errors are collected and reported once, by us, with the file name. */
static void conf_diag_silent(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

static int conf_load(struct fg_config *conf, const char *name, const char *dir, const char *yaml,
                     struct fg_err *err)
{
    struct conf_parser p = { conf, name, err, NULL, 0 };
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag;
    struct fy_parse_cfg pcfg;
    struct fy_document *doc;
    int rc;

    memset(conf, 0, sizeof(*conf));
    fg_arena_init(&conf->arena);
    conf->path = fg_arena_strdup(&conf->arena, name);
    conf->dir = fg_arena_strdup(&conf->arena, dir);
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = conf_diag_silent;
    if (!(diag = fy_diag_create(&dcfg))) {
        fg_conf_free(conf);
        return fg_err_set(err, -ENOMEM, "cannot create the YAML diagnostics");
    }
    fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.flags = FYPCF_QUIET | FYPCF_DISABLE_RECYCLING;
    pcfg.diag = diag;
    doc = fy_document_build_from_string(&pcfg, yaml, FY_NT);
    if (!doc) {
        void *it = NULL;
        struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
        if (de)
            rc = fg_err_set(err, -FG_ECONFIG, "%s:%d:%d: %s%s", name, de->line + 1, de->column + 1, de->msg,
                            strstr(de->msg, "flow") ? " (inside {...} or [...] a value containing {, }, [ or ] "
                                                      "must be quoted, e.g. path: \"/hello/{name}\")" : "");
        else
            rc = fg_err_set(err, -FG_ECONFIG, "%s:1:1: not valid YAML", name);
    } else {
        rc = conf_from_document(conf, &p, doc);
    free(p.zones);
        if (rc == -ENOMEM)
            fg_err_set(err, rc, "%s: out of memory", name);
    }
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    if (rc < 0)
        fg_conf_free(conf);
    return rc;
}

int fg_conf_load_string(struct fg_config *conf, const char *name, const char *dir,
                        const char *yaml, struct fg_err *err)
{
    return conf_load(conf, name, dir, yaml, err);
}

int fg_conf_load(struct fg_config *conf, const char *path, struct fg_err *err)
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
    rc = conf_load(conf, path, dir, b.data, err);
    fg_buf_free(&b);
    return rc;
}

void fg_conf_free(struct fg_config *conf)
{
    fg_arena_free(&conf->arena);
    memset(conf, 0, sizeof(*conf));
}

const struct fg_conf_function *fg_conf_function(const struct fg_config *conf, const char *name)
{
    for (size_t i = 0; i < conf->n_functions; i++)
        if (!strcmp(conf->functions[i].name, name))
            return &conf->functions[i];
    return NULL;
}

const char *fg_conf_runtime_name(enum fg_runtime rt)
{
    return (unsigned)rt < 4 ? conf_runtime_names[rt] : "?";
}
