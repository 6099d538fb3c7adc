/* SPDX-License-Identifier: MIT */
/* http_header.c - header lookup and tokens (see http_header.h). */
#include "http_header.h"

#include <string.h>
#include <strings.h>

const char *fg_http_header_get(const struct fg_http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(h[i].name, name))
            return h[i].value;
    return NULL;
}

bool fg_http_token_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}
