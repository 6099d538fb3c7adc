/* SPDX-License-Identifier: MIT */
/* http1.c - HTTP/1.1 request parsing for the Runtime API (see http1.h). */

#include "http1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decodes a chunked body from p[0..n). 1 complete (*used = bytes consumed), 0 need more,
 * -EINVAL malformed, -FG_ETOOBIG over body_max. */
static int http1_dechunk(const char *p, size_t n, size_t body_max, struct fg_buf *out, size_t *used)
{
    size_t off = 0;
    fg_buf_reset(out);
    for (;;) {
        const char *eol = memmem(p + off, n - off, "\r\n", 2);
        unsigned long long size = 0;
        size_t digits = 0;
        if (!eol)
            return n - off > 1024 ? -EINVAL : 0;
        for (const char *c = p + off; c < eol && *c != ';'; c++, digits++) {
            int v = *c >= '0' && *c <= '9' ? *c - '0' : (*c | 0x20) >= 'a' && (*c | 0x20) <= 'f' ? (*c | 0x20) - 'a' + 10 : -1;
            if (v < 0 || digits >= 15)
                return -EINVAL;
            size = size * 16 + (unsigned)v;
        }
        if (!digits)
            return -EINVAL;
        off = (size_t)(eol - p) + 2;
        if (size == 0) {
            /* Trailers, then an empty line. */
            for (;;) {
                const char *fin = memmem(p + off, n - off, "\r\n", 2);
                if (!fin)
                    return 0;
                if (fin == p + off) {
                    *used = off + 2;
                    return 1;
                }
                off = (size_t)(fin - p) + 2;
            }
        }
        if (size > body_max || out->len + size > body_max)
            return -FG_ETOOBIG;
        if (n - off < size + 2)
            return 0;
        if (memcmp(p + off + size, "\r\n", 2))
            return -EINVAL;
        if (fg_buf_append(out, p + off, (size_t)size) < 0)
            return -FG_ETOOBIG;
        off += (size_t)size + 2;
    }
}

/* "Name: value" with optional whitespace around value. */
static int http1_header(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
        return 0;
    *value = line + nl + 1;
    *vlen = len - nl - 1;
    while (*vlen && (**value == ' ' || **value == '\t')) {
        (*value)++;
        (*vlen)--;
    }
    while (*vlen && ((*value)[*vlen - 1] == ' ' || (*value)[*vlen - 1] == '\t'))
        (*vlen)--;
    return 1;
}

/* The end of the head ("\r\n\r\n") in buf[0..len), or NULL; the search starts where the
 * last one left off (*scanned) and records where the next must start. */
static const char *http1_head_end(const char *buf, size_t len, size_t *scanned)
{
    size_t from = *scanned < len ? *scanned : 0;
    const char *hend = memmem(buf + from, len - from, "\r\n\r\n", 4);
    /* Not found: the terminator may yet start in the last 3 bytes. Found: start there again. */
    *scanned = hend ? (size_t)(hend - buf) : len > 3 ? len - 3 : 0;
    return hend;
}

/* fg_http1_parse with a scan position to update. */
static long http1_parse(const char *buf, size_t len, size_t header_max, size_t body_max,
                        struct fg_buf *scratch, struct fg_http1_request *rq, size_t *scanned)
{
    const char *hend, *line, *sp1, *sp2, *v;
    size_t head_len, vlen;
    unsigned long long clen = 0;
    bool have_clen = false, chunked = false;

    memset(rq, 0, sizeof(*rq));
    if (!(hend = http1_head_end(buf, len, scanned)))
        return len > header_max ? -EMSGSIZE : 0;
    head_len = (size_t)(hend - buf) + 4;
    if (head_len > header_max)
        return -EMSGSIZE;
    line = buf;
    sp1 = memchr(line, ' ', (size_t)(hend - line));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(hend - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || memchr(line, '\n', (size_t)(sp2 - line)))
        return -EINVAL;
    {
        const char *eol = memmem(sp2, (size_t)(hend + 2 - sp2), "\r\n", 2);
        size_t vl = (size_t)(eol - sp2 - 1);
        if (vl != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) || (sp2[8] != '0' && sp2[8] != '1'))
            return -EINVAL;
        rq->close = sp2[8] == '0';
        line = eol + 2;
    }
    rq->method = buf;
    rq->method_len = (size_t)(sp1 - buf);
    rq->path = sp1 + 1;
    rq->path_len = (size_t)(sp2 - sp1 - 1);
    while (line < hend + 2) {
        const char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
        size_t llen = (size_t)(eol - line);
        if (llen && !memchr(line, ':', llen))
            return -EINVAL;
        if (http1_header(line, llen, "Content-Length", &v, &vlen)) {
            char *end;
            char num[24];
            if (!vlen || vlen >= sizeof(num) || have_clen)
                return -EINVAL;
            memcpy(num, v, vlen);
            num[vlen] = '\0';
            clen = strtoull(num, &end, 10);
            if (*end || num[0] == '-')
                return -EINVAL;
            have_clen = true;
        } else if (http1_header(line, llen, "Transfer-Encoding", &v, &vlen)) {
            chunked = vlen >= 7 && !strncasecmp(v + vlen - 7, "chunked", 7);
        } else if (http1_header(line, llen, "Expect", &v, &vlen)) {
            rq->expect_continue = vlen == 12 && !strncasecmp(v, "100-continue", 12);
        } else if (http1_header(line, llen, "Connection", &v, &vlen)) {
            if (vlen == 5 && !strncasecmp(v, "close", 5))
                rq->close = true;
            else if (vlen == 10 && !strncasecmp(v, "keep-alive", 10))
                rq->close = false;
        } else if (http1_header(line, llen, "Lambda-Runtime-Function-Error-Type", &v, &vlen)) {
            rq->error_type = v;
            rq->error_type_len = vlen;
        }
        line = eol + 2;
    }
    if (chunked) {
        size_t used;
        int rc = http1_dechunk(buf + head_len, len - head_len, body_max, scratch, &used);
        if (rc <= 0)
            return rc;
        rq->expect_continue = false;
        rq->body = scratch->len ? scratch->data : NULL;
        rq->body_len = scratch->len;
        return (long)(head_len + used);
    }
    if (clen > body_max)
        return -FG_ETOOBIG;
    if (len - head_len < clen)
        return 0;
    rq->expect_continue = false;
    rq->body = clen ? buf + head_len : NULL;
    rq->body_len = (size_t)clen;
    return (long)(head_len + clen);
}

long fg_http1_parse(const char *buf, size_t len, size_t header_max, size_t body_max,
                    struct fg_buf *scratch, struct fg_http1_request *rq, size_t *scanned)
{
    size_t none = 0;
    long rc = http1_parse(buf, len, header_max, body_max, scratch, rq, scanned ? scanned : &none);
    if (rc != 0 && scanned)
        *scanned = 0;
    return rc;
}
