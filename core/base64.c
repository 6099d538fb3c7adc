/* SPDX-License-Identifier: MIT */
/* base64.c - base64 codec (see base64.h). */
#include "base64.h"

#include <errno.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int fg_base64_encode(struct fg_buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    char q[4];
    int rc;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        q[0] = b64_alphabet[(v >> 18) & 63];
        q[1] = b64_alphabet[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
        if ((rc = fg_buf_append(out, q, 4)) < 0)
            return rc;
    }
    return fg_buf_append(out, "", 0);
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int fg_base64_decode(struct fg_buf *out, const char *s, size_t n)
{
    unsigned acc = 0;
    int bits = 0, pad = 0, rc;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || (v = b64_value(c)) < 0)
            return -EINVAL;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char byte = (unsigned char)(acc >> bits);
            if ((rc = fg_buf_append(out, &byte, 1)) < 0)
                return rc;
        }
    }
    if (pad > 2)
        return -EINVAL;
    return fg_buf_append(out, "", 0);
}

int fg_base64url_decode(struct fg_buf *out, const char *s, size_t n)
{
    if (n % 4 == 1)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '+' || s[i] == '/' || b64_value(s[i]) < 0)
            return -EINVAL;
    return fg_base64_decode(out, s, n);
}
