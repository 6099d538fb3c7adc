/* SPDX-License-Identifier: MIT */
/* json_write.c - JSON string escaping and UTF-8 validation (see json_write.h). */
#include "json_write.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = *p;
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (!len || c > 0xf4 || (size_t)(end - p) < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||   /* overlong, surrogates */
        (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))     /* overlong, > U+10FFFF */
        return 0;
    return len;
}

size_t fg_utf8_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t len;
    while (p < end && (len = utf8_seq(p, end)))
        p += len;
    return (size_t)(p - (const unsigned char *)s);
}

bool fg_utf8_valid(const char *s, size_t n)
{
    return fg_utf8_prefix(s, n) == n;
}

int fg_json_write_text(struct fg_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    size_t len;
    int rc;

    if (fg_utf8_valid(s, n))
        return fg_json_write_str(b, s, n);
    if ((rc = fg_buf_append(b, "\"", 1)) < 0)
        return rc;
    while (p < end) {
        if ((len = utf8_seq(p, end))) {
            p += len;
            continue;
        }
        if ((rc = fg_json_write_escaped(b, (const char *)run, (size_t)(p - run))) < 0 ||
            (rc = fg_buf_append(b, "\\ufffd", 6)) < 0)
            return rc;
        run = ++p;
    }
    if ((rc = fg_json_write_escaped(b, (const char *)run, (size_t)(p - run))) < 0)
        return rc;
    return fg_buf_append(b, "\"", 1);
}

int fg_json_write_escaped(struct fg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = fg_buf_append(b, s + run, i - run)) < 0)
            return rc;
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if ((rc = fg_buf_append(b, esc, elen)) < 0)
            return rc;
    }
    return fg_buf_append(b, s + run, n - run);
}

int fg_json_write_str(struct fg_buf *b, const char *s, size_t n)
{
    int rc;
    if ((rc = fg_buf_append(b, "\"", 1)) < 0 || (rc = fg_json_write_escaped(b, s, n)) < 0)
        return rc;
    return fg_buf_append(b, "\"", 1);
}

int fg_json_write_key(struct fg_buf *b, const char *key)
{
    int rc;
    if ((rc = fg_buf_append(b, "\"", 1)) < 0 || (rc = fg_buf_append(b, key, strlen(key))) < 0)
        return rc;
    return fg_buf_append(b, "\":", 2);
}

int fg_json_write_field(struct fg_buf *b, const char *lead, const char *s)
{
    int rc = fg_buf_append_str(b, lead);
    return rc < 0 ? rc : fg_json_write_text(b, s, strlen(s));
}

int fg_json_write_message(struct fg_buf *b, const char *message)
{
    int rc;
    if ((rc = fg_buf_append(b, "{", 1)) == 0 && (rc = fg_json_write_key(b, "message")) == 0 &&
        (rc = fg_json_write_str(b, message, strlen(message))) == 0)
        rc = fg_buf_append(b, "}", 1);
    return rc;
}
