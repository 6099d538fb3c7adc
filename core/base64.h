/* SPDX-License-Identifier: MIT */
/* base64.h - standard base64 (RFC 4648, with padding) for bodies and log tails, and the
 * strict unpadded base64url of JSON Web Tokens.
 * Tests: tests/unit/test_core.c. */
#ifndef FG_BASE64_H
#define FG_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Appends the encoding of p[0..n) to out. 0 or the fg_buf_append error. */
int fg_base64_encode(struct fg_buf *out, const void *p, size_t n);

/* Appends the decoding to out. Whitespace is skipped. 0, -EINVAL on bad input, or the
 * fg_buf_append error. */
int fg_base64_decode(struct fg_buf *out, const char *s, size_t n) FG_MUST_CHECK;

/* base64url without padding (RFC 4648 section 5, as JOSE writes it): only A-Z a-z 0-9 - _,
 * no padding, no whitespace, no impossible length. Appends the decoding to out. 0, -EINVAL,
 * or the fg_buf_append error. */
int fg_base64url_decode(struct fg_buf *out, const char *s, size_t n) FG_MUST_CHECK;

#endif
