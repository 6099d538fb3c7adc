/* SPDX-License-Identifier: MIT */
/* conf_state.c - the `state:` key (see conf_state.h). */
#include "conf_state.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "../core/redis_url.h"

static const char *const conf_state_backends[] = { "sqlite", "redis", NULL };

const struct fg_conf_key fg_conf_state_keys[] = {
    { .name = "backend", .type = FG_CONF_ENUM, .offset = offsetof(struct fg_conf_state, backend),
      .names = conf_state_backends },
    { .name = "redis", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_state, redis) },
    { .name = "prefix", .type = FG_CONF_STR, .offset = offsetof(struct fg_conf_state, prefix) },
    { .name = "visibility_timeout", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_state, visibility_timeout_ms),
      .min = 1000, .max = 12L * 3600 * 1000 },
    { .name = "command_timeout", .type = FG_CONF_MS, .offset = offsetof(struct fg_conf_state, command_timeout_ms),
      .min = 50, .max = 60000 },
    { .name = "replicas", .type = FG_CONF_INT, .offset = offsetof(struct fg_conf_state, replicas), .min = 0, .max = 64 },
    FG_CONF_KEY_END,
};

void fg_conf_state_defaults(struct fg_conf_state *st)
{
    st->backend = FG_STATE_SQLITE;
    st->redis = NULL;
    st->prefix = "fngate";
    st->visibility_timeout_ms = 30000;
    st->command_timeout_ms = 2000;
}

int fg_conf_check_redis_url(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *url)
{
    struct fg_redis_addr a;
    struct fg_err err;

    if (!url)
        return fg_conf_fail(p, pos, "'redis' (a redis://host:port/db URL) is required");
    if (strncmp(url, "redis://", 8) || !url[8])
        return fg_conf_fail(p, pos, "redis: '%s' is not a redis://host:port/db URL", url);
    if (fg_redis_parse_url(url, &a, &err) < 0)
        return fg_conf_fail(p, pos, "redis: %s", err.msg);
    return 0;
}

int fg_conf_state_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                        struct fg_conf_pos kpos, void *field)
{
    struct fg_conf_state *st = field;
    (void)k, (void)val;

    for (const char *c = st->prefix; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
            return fg_conf_fail(p, kpos, "state: prefix '%s' may hold letters, digits, '_', '.' and '-' only",
                                st->prefix);
    if (!st->prefix[0] || strlen(st->prefix) > 64)
        return fg_conf_fail(p, kpos, "state: prefix is 1 to 64 characters");
    if (st->backend == FG_STATE_SQLITE) {
        if (st->redis)
            return fg_conf_fail(p, kpos, "state: 'redis' is for backend: redis (the backend is sqlite)");
        return 0;
    }
    if (st->visibility_timeout_ms < 4 * st->command_timeout_ms)
        return fg_conf_fail(p, kpos, "state: visibility_timeout (%d ms) must be at least 4 command_timeouts (%d ms): a live node must renew its claims in time",
                            st->visibility_timeout_ms, 4 * st->command_timeout_ms);
    return fg_conf_check_redis_url(p, kpos, st->redis);
}
