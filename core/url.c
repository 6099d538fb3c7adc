/* SPDX-License-Identifier: MIT */
/* url.c - percent-decoding and URL authorities (see url.h). */
#include "url.h"

#include <stdbool.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hash_block.h"

int fg_url_decode(struct fg_buf *out, const char *s, size_t n, enum fg_url_mode mode)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && fg_unhex(s + i + 1, 1, &c) == 0)
            i += 2;
        else if (c == '+' && mode == FG_URL_FORM)
            c = ' ';
        fg_buf_append(out, &c, 1);
    }
    return fg_buf_append(out, "", 0);
}

void fg_url_authority(char *out, size_t size, const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, size, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

int fg_url_query_param(const char *query, const char *name, enum fg_url_mode mode, char *out, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (!strncmp(p, name, nl) && (p[nl] == '=' || p[nl] == '&' || !p[nl])) {
            const char *v = p[nl] == '=' ? p + nl + 1 : p + nl, *e = strchr(v, '&');
            struct fg_buf dec;
            fg_buf_init(&dec, size - 1);
            if (fg_url_decode(&dec, v, e ? (size_t)(e - v) : strlen(v), mode) < 0) {
                fg_buf_free(&dec);
                return -1;
            }
            snprintf(out, size, "%s", dec.data ? dec.data : "");
            fg_buf_free(&dec);
            return 1;
        }
    }
    return 0;
}

bool fg_url_host_is_literal(const char *host)
{
    const char *start = host, *port;
    unsigned char addr[16];
    char h[256];
    size_t n;

    if (!host)
        return false;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        start = host + 1;
        n = (size_t)(close - start);
        port = close + 1;
    } else {
        const char *colon = strchr(host, ':');
        if (colon && strchr(colon + 1, ':'))    /* a bare IPv6 literal: no port */
            colon = NULL;
        n = colon ? (size_t)(colon - host) : strlen(host);
        port = host + n;
    }
    if (*port && (port[0] != ':' || !port[1] || strspn(port + 1, "0123456789") != strlen(port + 1)))
        return false;
    if (!n || n >= sizeof(h))
        return false;
    memcpy(h, start, n);
    h[n] = '\0';
    return !strcasecmp(h, "localhost") || inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1;
}
