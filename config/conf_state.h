/* SPDX-License-Identifier: MIT */
/* conf_state.h - the top-level `state:` key: where the async queue, the dead letters and
 * the triggers' marks live (README "Fleet mode").
 *
 * `backend: sqlite` (the default) is one node's file in state_dir; `backend: redis` is a
 * store every node on the same Redis shares (router/store_redis.c). Plain data. */
#ifndef FG_CONF_STATE_H
#define FG_CONF_STATE_H

#include "conf_key.h"

enum fg_state_backend {
    FG_STATE_SQLITE = 0,
    FG_STATE_REDIS,
};

struct fg_conf_state {
    int backend;                 /* enum fg_state_backend */
    const char *redis;           /* redis://… (backend redis) */
    const char *prefix;          /* every key is "{PREFIX}:…" (one hash slot), default "fngate" */
    int visibility_timeout_ms;   /* a node silent this long is gone: others take its events
                                  * (default 30 s) */
    int command_timeout_ms;      /* one Redis command; past it the connection is down (2 s) */
    int replicas;                /* an accept waits (WAIT) until this many replicas have it (0) */
};

/* The key table of `state:` and its check (defaults, redis required with backend redis). */
extern const struct fg_conf_key fg_conf_state_keys[];
int fg_conf_state_check(struct fg_conf_parser *p, const struct fg_conf_key *k, struct fy_node *val,
                        struct fg_conf_pos kpos, void *field) FG_MUST_CHECK;
/* Defaults for a file without `state:`. */
void fg_conf_state_defaults(struct fg_conf_state *st);

/* A `redis:` value: a redis:// URL whose parts parse (core/redis_url.h). 0, or -FG_ECONFIG
 * with the parser's error set at pos. */
int fg_conf_check_redis_url(struct fg_conf_parser *p, struct fg_conf_pos pos, const char *url) FG_MUST_CHECK;

#endif
