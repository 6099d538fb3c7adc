/* SPDX-License-Identifier: MIT */
/* http_header.c - header lookup (see http_header.h). */
#include "http_header.h"

#include <strings.h>

const char *fg_http_header_get(const struct fg_http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(h[i].name, name))
            return h[i].value;
    return NULL;
}
