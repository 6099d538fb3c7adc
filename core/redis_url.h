/* SPDX-License-Identifier: MIT */
/* redis_url.h - a redis://[[user]:password@]host[:port][/db] URL taken apart, and shown
 * without its password.
 *
 * Both the Redis sources (triggers/redis.c) and the fleet store (router/store_redis.c)
 * connect from such a URL; the parse lives here, below both. Tests: tests/unit/test_core.c. */
#ifndef FG_REDIS_URL_H
#define FG_REDIS_URL_H

#include <stddef.h>

#include "err.h"

struct fg_redis_addr {
    char host[256];
    int port;                    /* default 6379 */
    char user[128];              /* empty: AUTH password alone */
    char password[256];          /* empty: no AUTH */
    int db;                      /* SELECT db when not 0 */
};

/* url → *a. 0 or -EINVAL with err filled (what is wrong with it). */
int fg_redis_parse_url(const char *url, struct fg_redis_addr *a, struct fg_err *err) FG_MUST_CHECK;

/* url with its password replaced by ***, in out (always terminated). Returns out. */
const char *fg_redis_url_masked(const char *url, char *out, size_t size);

#endif
