/* SPDX-License-Identifier: MIT */
/* http_header.h - HTTP headers as every layer that reads or writes them passes them: the
 * front door and its API Gateway events (triggers/apigw.c), the S3 endpoint and SigV4
 * (gateway/sigv4.c).
 *
 * Names keep the case they arrived in and lookups ignore it, as HTTP says. Whether the
 * strings are borrowed or owned is said by the struct that holds the array. Pure.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_HTTP_HEADER_H
#define FG_HTTP_HEADER_H

#include <stdbool.h>
#include <stddef.h>

struct fg_http_header {
    const char *name;
    const char *value;
};

/* The value of the first header named name (any case) among h[0..n), borrowed from h;
 * NULL when there is none. */
const char *fg_http_header_get(const struct fg_http_header *h, size_t n, const char *name);

/* Whether s is an HTTP token (RFC 9110: letters, digits and !#$%&'*+-.^_`|~, at least one):
 * what a method must be. libmicrohttpd passes on any bytes but spaces as the method. */
bool fg_http_token_ok(const char *s);

#endif
