/* SPDX-License-Identifier: MIT */
/* http1.c - HTTP/1.1 request parsing for the Runtime API (see http1.h). */

#include "http1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A chunk-size line (with its extensions) longer than this is refused. */
#define HTTP1_CHUNK_LINE_MAX 1024

/* Where the chunked decoder is: in a size line, its extension, the LF ending it, a chunk's
 * data, the CRLF after the data, the trailers (a line's start, inside one, the LF ending
 * one), the LF of the empty line that ends the body. */
enum http1_chunk_state {
    CK_SIZE = 0,
    CK_EXT,
    CK_SIZE_LF,
    CK_DATA,
    CK_DATA_CR,
    CK_DATA_LF,
    CK_TRAILER_START,
    CK_TRAILER,
    CK_TRAILER_LF,
    CK_END_LF,
};

/* ------------------------------------------------------------------ helpers */

static int http1_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes the chunked body from buf[p->pos..len) into out, from where the last call
 * stopped; each byte is examined once and a chunk's data is copied out as it arrives.
 * 1 complete (p->pos just past the body), 0 need more (or, streaming, scratch is full),
 * -EINVAL malformed, -FG_ETOOBIG over body_max (stream_max when streaming), -EMSGSIZE
 * trailers over header_max. */
static int http1_dechunk(struct fg_http1_parser *p, const char *buf, size_t len, struct fg_buf *out)
{
    unsigned long long limit = p->stream ? p->stream_max : p->body_max;

    while (p->pos < len) {
        char c;
        int v;

        if (p->state == CK_DATA) {
            size_t n = len - p->pos;
            if (n > p->chunk_left)
                n = (size_t)p->chunk_left;
            if (p->stream) {
                /* Hand a streamed body on in bounded pieces, whatever the chunk sizes, and
                 * up to its limit exactly: what lies past it is refused. */
                if (out->len >= FG_HTTP1_STREAM_YIELD_BYTES)
                    return 0;
                if (n > FG_HTTP1_STREAM_YIELD_BYTES - out->len)
                    n = FG_HTTP1_STREAM_YIELD_BYTES - out->len;
                if (p->decoded == limit)
                    return -FG_ETOOBIG;
                if (n > limit - p->decoded)
                    n = (size_t)(limit - p->decoded);
            }
            if (fg_buf_append(out, buf + p->pos, n) < 0)
                return -FG_ETOOBIG;
            p->pos += n;
            p->bytes_seen += n;
            p->decoded += n;
            if (!(p->chunk_left -= n))
                p->state = CK_DATA_CR;
            continue;
        }
        c = buf[p->pos++];
        p->bytes_seen++;
        switch (p->state) {
        case CK_SIZE:
            if ((v = http1_hex(c)) >= 0) {
                if (p->digits >= 15)
                    return -EINVAL;
                p->chunk_left = p->chunk_left * 16 + (unsigned)v;
                p->digits++;
            } else if (!p->digits) {
                return -EINVAL;
            } else if (c == ';') {
                p->state = CK_EXT;
            } else if (c == '\r') {
                p->state = CK_SIZE_LF;
            } else {
                return -EINVAL;
            }
            if (++p->line_bytes > HTTP1_CHUNK_LINE_MAX)
                return -EINVAL;
            break;
        case CK_EXT:
            if (c == '\r')
                p->state = CK_SIZE_LF;
            if (++p->line_bytes > HTTP1_CHUNK_LINE_MAX)
                return -EINVAL;
            break;
        case CK_SIZE_LF:
            if (c != '\n')
                return -EINVAL;
            p->line_bytes = 0;
            p->digits = 0;
            if (!p->chunk_left) {
                p->state = CK_TRAILER_START;
                p->trailer_off = p->pos;
            } else if (!p->stream && (p->chunk_left > limit || p->chunk_left > limit - p->decoded)) {
                return -FG_ETOOBIG;
            } else {
                p->state = CK_DATA;
            }
            break;
        case CK_DATA_CR:
            if (c != '\r')
                return -EINVAL;
            p->state = CK_DATA_LF;
            break;
        case CK_DATA_LF:
            if (c != '\n')
                return -EINVAL;
            p->state = CK_SIZE;
            break;
        case CK_TRAILER_START:
        case CK_END_LF:
        case CK_TRAILER:
        case CK_TRAILER_LF:
            /* A line ends at the first CRLF; the empty line ends the body. */
            if (p->state == CK_END_LF && c == '\n')
                return 1;
            if (p->state == CK_TRAILER_LF && c == '\n')
                p->state = CK_TRAILER_START;
            else if (c == '\r')
                p->state = p->state == CK_TRAILER_START ? CK_END_LF : CK_TRAILER_LF;
            else
                p->state = CK_TRAILER;
            if (++p->trailer_bytes > p->header_max)
                return -EMSGSIZE;
            break;
        default:
            return -EINVAL;
        }
    }
    return 0;
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
 * last one left off (p->scanned) and records where the next must start. */
static const char *http1_head_end(struct fg_http1_parser *p, const char *buf, size_t len)
{
    size_t from = p->scanned < len ? p->scanned : 0;
    const char *hend = memmem(buf + from, len - from, "\r\n\r\n", 4);
    p->bytes_seen += hend ? (size_t)(hend - buf) + 4 - from : len - from;
    /* Not found: the terminator may yet start in the last 3 bytes. Found: start there again. */
    p->scanned = hend ? (size_t)(hend - buf) : len > 3 ? len - 3 : 0;
    return hend;
}

/* Parses the head, once it is all in, into p's offsets. 1 parsed, 0 incomplete, or the
 * error fg_http1_parse returns. */
static int http1_head(struct fg_http1_parser *p, const char *buf, size_t len, struct fg_buf *scratch)
{
    const char *hend, *line, *sp1, *sp2, *v;
    size_t head_len, vlen;
    bool have_clen = false, stream = false;

    if (!(hend = http1_head_end(p, buf, len)))
        return len > p->header_max ? -EMSGSIZE : 0;
    head_len = (size_t)(hend - buf) + 4;
    if (head_len > p->header_max)
        return -EMSGSIZE;
    p->bytes_seen += head_len;
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
        p->close = sp2[8] == '0';
        line = eol + 2;
    }
    p->method_len = (size_t)(sp1 - buf);
    p->path_off = (size_t)(sp1 + 1 - buf);
    p->path_len = (size_t)(sp2 - sp1 - 1);
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
            p->content_length = strtoull(num, &end, 10);
            if (*end || num[0] == '-')
                return -EINVAL;
            have_clen = true;
        } else if (http1_header(line, llen, "Transfer-Encoding", &v, &vlen)) {
            p->chunked = vlen >= 7 && !strncasecmp(v + vlen - 7, "chunked", 7);
        } else if (http1_header(line, llen, "Expect", &v, &vlen)) {
            p->expect_continue = vlen == 12 && !strncasecmp(v, "100-continue", 12);
        } else if (http1_header(line, llen, "Connection", &v, &vlen)) {
            if (vlen == 5 && !strncasecmp(v, "close", 5))
                p->close = true;
            else if (vlen == 10 && !strncasecmp(v, "keep-alive", 10))
                p->close = false;
        } else if (http1_header(line, llen, "Lambda-Runtime-Function-Error-Type", &v, &vlen)) {
            p->error_type_off = (size_t)(v - buf);
            p->error_type_len = vlen;
        } else if (http1_header(line, llen, "Content-Type", &v, &vlen)) {
            p->content_type_off = (size_t)(v - buf);
            p->content_type_len = vlen;
        } else if (http1_header(line, llen, "Lambda-Runtime-Function-Response-Mode", &v, &vlen)) {
            stream = vlen == 9 && !strncasecmp(v, "streaming", 9);
        }
        line = eol + 2;
    }
    p->stream = stream && p->chunked;
    if (p->chunked) {
        p->content_length = 0;
        p->pos = head_len;
        fg_buf_reset(scratch);
    }
    p->head_len = head_len;
    return 1;
}

/* The error trailers of a complete chunked body: its trailer lines lie between
 * p->trailer_off and the empty line that ends the body (p->pos). */
static void http1_trailers(const struct fg_http1_parser *p, const char *buf, struct fg_http1_request *rq)
{
    const char *line = buf + p->trailer_off, *end = buf + p->pos, *v;
    size_t vlen;

    while (line < end) {
        const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
        size_t llen;
        if (!eol)
            break;
        llen = (size_t)(eol - line);
        if (http1_header(line, llen, "Lambda-Runtime-Function-Error-Type", &v, &vlen)) {
            rq->error_type = v;
            rq->error_type_len = vlen;
        } else if (http1_header(line, llen, "Lambda-Runtime-Function-Error-Body", &v, &vlen)) {
            rq->error_body = v;
            rq->error_body_len = vlen;
        }
        line = eol + 2;
    }
}

/* fg_http1_parse without the reset. */
static long http1_parse(struct fg_http1_parser *p, const char *buf, size_t len, struct fg_buf *scratch,
                        struct fg_http1_request *rq)
{
    int rc;

    memset(rq, 0, sizeof(*rq));
    if (!p->head_len && (rc = http1_head(p, buf, len, scratch)) <= 0)
        return rc;
    rq->method = buf;
    rq->method_len = p->method_len;
    rq->path = buf + p->path_off;
    rq->path_len = p->path_len;
    rq->error_type = p->error_type_off ? buf + p->error_type_off : NULL;
    rq->error_type_len = p->error_type_len;
    rq->content_type = p->content_type_off ? buf + p->content_type_off : NULL;
    rq->content_type_len = p->content_type_len;
    rq->stream = p->stream;
    rq->head_len = p->head_len;
    rq->content_length = p->content_length;
    rq->chunked = p->chunked;
    rq->close = p->close;
    rq->expect_continue = p->expect_continue;
    if (p->chunked) {
        if ((rc = http1_dechunk(p, buf, len, scratch)) <= 0)
            return rc;
        http1_trailers(p, buf, rq);
        rq->expect_continue = false;
        rq->body = scratch->len ? scratch->data : NULL;
        rq->body_len = scratch->len;
        return (long)p->pos;
    }
    if (p->content_length > p->body_max)
        return -FG_ETOOBIG;
    if (len - p->head_len < p->content_length)
        return 0;
    rq->expect_continue = false;
    rq->body = p->content_length ? buf + p->head_len : NULL;
    rq->body_len = (size_t)p->content_length;
    return (long)(p->head_len + p->content_length);
}

/* ------------------------------------------------------------------ API */

void fg_http1_parser_init(struct fg_http1_parser *p, size_t header_max, size_t body_max)
{
    memset(p, 0, sizeof(*p));
    p->header_max = header_max;
    p->body_max = body_max;
    p->stream_max = body_max;
}

void fg_http1_parser_stream_limit(struct fg_http1_parser *p, unsigned long long stream_max)
{
    p->stream_max = stream_max;
}

long fg_http1_parse(struct fg_http1_parser *p, const char *buf, size_t len, struct fg_buf *scratch,
                    struct fg_http1_request *rq)
{
    long rc = http1_parse(p, buf, len, scratch, rq);
    if (rc != 0) {
        unsigned long long seen = p->bytes_seen, stream_max = p->stream_max;
        fg_http1_parser_init(p, p->header_max, p->body_max);
        p->bytes_seen = seen;
        p->stream_max = stream_max;
    }
    return rc;
}

void fg_http1_compact(struct fg_http1_parser *p, struct fg_buf *in)
{
    size_t drop, upto;

    if (!p->head_len || !p->chunked || p->pos <= p->head_len || p->pos > in->len)
        return;
    /* In the trailers, the lines already read stay: they are read when the body ends. */
    upto = p->state >= CK_TRAILER_START ? p->trailer_off : p->pos;
    if (upto <= p->head_len)
        return;
    drop = upto - p->head_len;
    memmove(in->data + p->head_len, in->data + upto, in->len - upto);
    in->len -= drop;
    in->data[in->len] = '\0';
    p->pos -= drop;
    if (p->state >= CK_TRAILER_START)
        p->trailer_off = p->head_len;
}
