/* SPDX-License-Identifier: MIT */
/* url.h - percent-decoding of what a request URL carries, and the host:port part of the
 * URLs fngate prints.
 *
 * Every listener reads URLs: the front door (routes' path parameters and query strings,
 * the Invoke API's function names, the admin API's queries) and the S3 endpoint (bucket,
 * key, query parameters, SigV4's canonical request). Paths decode %XX only; query strings
 * sent by HTML forms also write a space as '+'. An escape that is not two hex digits is
 * kept as it was, as browsers and S3 keep it. Pure. Tests: tests/unit/test_core.c. */
#ifndef FG_URL_H
#define FG_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum fg_url_mode {
    FG_URL_PERCENT = 0,      /* %XX only: paths, S3 query values, SigV4 */
    FG_URL_FORM,             /* %XX and '+' as a space: form-encoded query strings */
};

/* Appends the decoding of s[0..n) to out (which stays NUL-terminated, also when n is 0).
 * 0 or a fg_buf error. */
int fg_url_decode(struct fg_buf *out, const char *s, size_t n, enum fg_url_mode mode) FG_MUST_CHECK;

/* The value of the first query parameter called name in query (as sent, without '?'),
 * decoded per mode into out; "" for a name with no '='. 1, 0 when absent, or -1 when the
 * value is longer than size - 1 (out unchanged then). Borrows everything. */
int fg_url_query_param(const char *query, const char *name, enum fg_url_mode mode, char *out, size_t size);

/* "host:port" into out, an IPv6 host in brackets as URLs write it ("[::1]:9000"). */
void fg_url_authority(char *out, size_t size, const char *host, int port);

/* Whether a Host header's value is an IP literal ("127.0.0.1", "[::1]", a bare "::1") or
 * localhost, with an optional numeric port: a name, which a DNS-rebinding page could point
 * at this machine, is not. NULL is not. */
bool fg_url_host_is_literal(const char *host);

#endif
