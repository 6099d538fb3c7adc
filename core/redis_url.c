/* SPDX-License-Identifier: MIT */
/* redis_url.c - redis:// URLs (see redis_url.h). */
#include "redis_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fg_redis_parse_url(const char *url, struct fg_redis_addr *a, struct fg_err *err)
{
    const char *p, *at, *slash, *colon, *host_end;
    char *end;

    memset(a, 0, sizeof(*a));
    a->port = 6379;
    if (strncmp(url, "redis://", 8))
        return fg_err_set(err, -EINVAL, "%s: not a redis:// URL", url);
    p = url + 8;
    slash = strchr(p, '/');
    at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
    if (at) {
        const char *c = memchr(p, ':', (size_t)(at - p));
        if (!c)
            return fg_err_set(err, -EINVAL, "%s: credentials are written user:password@ or :password@", url);
        snprintf(a->user, sizeof(a->user), "%.*s", (int)(c - p), p);
        snprintf(a->password, sizeof(a->password), "%.*s", (int)(at - c - 1), c + 1);
        p = at + 1;
    }
    host_end = slash ? slash : p + strlen(p);
    colon = memchr(p, ':', (size_t)(host_end - p));
    snprintf(a->host, sizeof(a->host), "%.*s", (int)((colon ? colon : host_end) - p), p);
    if (!a->host[0])
        return fg_err_set(err, -EINVAL, "%s: no host", url);
    if (colon) {
        long port = strtol(colon + 1, &end, 10);
        if (end != host_end || port < 1 || port > 65535)
            return fg_err_set(err, -EINVAL, "%s: bad port", url);
        a->port = (int)port;
    }
    if (slash && slash[1]) {
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 65535)
            return fg_err_set(err, -EINVAL, "%s: the path is a database number", url);
        a->db = (int)db;
    }
    return 0;
}

const char *fg_redis_url_masked(const char *url, char *out, size_t size)
{
    const char *at = strchr(url, '@'), *colon = at ? memchr(url + 8, ':', (size_t)(at - url - 8)) : NULL;
    if (!colon)
        snprintf(out, size, "%s", url);
    else
        snprintf(out, size, "%.*s:***%s", (int)(colon - url), url, at);
    return out;
}
