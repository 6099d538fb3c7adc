/* SPDX-License-Identifier: MIT */
/* test_http1.c - router/http1.h: complete, incomplete and refused requests; pipelined
 * requests arriving one byte at a time; a chunked body of 1-byte chunks costs O(n) (the
 * parser's own count of bytes examined) and its buffer stays small with compaction; a
 * streamed response handed on piecewise past body_max, its error trailers read whatever
 * the reads' sizes, and its own limit. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/http1.h"
#include "unit.h"

/* One request with a fresh parser, as the old one-shot API did. */
static long parse1(const char *raw, size_t len, size_t header_max, size_t body_max, struct fg_buf *scratch,
                   struct fg_http1_request *rq)
{
    struct fg_http1_parser p;
    fg_http1_parser_init(&p, header_max, body_max);
    return fg_http1_parse(&p, raw, len, scratch, rq);
}

struct http1_case {
    const char *raw;
    long rc;                 /* -1: the whole input's length */
    const char *method, *path, *body;
    int close, expect, has_error_type;
};

#define WHOLE -1

static const struct http1_case http1_cases[] = {
    { "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n", WHOLE, "GET",
      "/2018-06-01/runtime/invocation/next", NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", WHOLE, "POST", "/r", "hello", 0, 0, 0 },
    { "POST /r HTTP/1.1\r\ncontent-length:5\r\n\r\nhel", 0, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /n HTTP/1.1\r\n\r\n", 41, "POST", "/r", "hi", 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n", WHOLE,
      "POST", "/r", "hello world", 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nTrailer: t\r\n\r\n", WHOLE,
      "POST", "/r", "hello", 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n"
      "Lambda-Runtime-Function-Error-Type: E\r\n\r\n", WHOLE, "POST", "/r", "hi", 0, 0, 1 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n", 0, "POST", "/r", NULL, 0, 1, 0 },
    { "GET /n HTTP/1.0\r\n\r\n", WHOLE, "GET", "/n", NULL, 1, 0, 0 },
    { "GET /n HTTP/1.1\r\nConnection: close\r\n\r\n", WHOLE, "GET", "/n", NULL, 1, 0, 0 },
    { "POST /e HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Oops\r\nContent-Length: 0\r\n\r\n", WHOLE,
      "POST", "/e", NULL, 0, 0, 1 },
    { "POST /r HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", -FG_ETOOBIG, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "POST /r HTTP/1.1\r\nContent-Length: 1x\r\n\r\na", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "GARBAGE\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "GET /n HTTP/2.0\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "GET /n HTTP/1.1\r\nno colon here\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "GET  HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL, NULL, 0, 0, 0 },
    { "GET /n HTTP/1.1\r\nHost: x\r\n", 0, NULL, NULL, NULL, 0, 0, 0 },
};

START_TEST(test_http1_table)
{
    const struct http1_case *c = &http1_cases[_i];
    struct fg_http1_request rq;
    struct fg_buf scratch;
    long want = c->rc == WHOLE ? (long)strlen(c->raw) : c->rc, rc;

    fg_buf_init(&scratch, 1 << 20);
    rc = parse1(c->raw, strlen(c->raw), 4096, 1 << 20, &scratch, &rq);
    ck_assert_msg(rc == want, "case %d: rc %ld, want %ld", _i, rc, want);
    if (c->method) {
        ck_assert_int_eq(rq.method_len, strlen(c->method));
        ck_assert(!memcmp(rq.method, c->method, rq.method_len));
        ck_assert_int_eq(rq.path_len, strlen(c->path));
        ck_assert(!memcmp(rq.path, c->path, rq.path_len));
        ck_assert_int_eq(rq.close, c->close);
        ck_assert_int_eq(rq.expect_continue, c->expect);
        ck_assert_int_eq(rq.error_type != NULL, c->has_error_type);
        if (c->body) {
            ck_assert_int_eq(rq.body_len, strlen(c->body));
            ck_assert(!memcmp(rq.body, c->body, rq.body_len));
        } else if (rc > 0) {
            ck_assert_int_eq(rq.body_len, 0);
        }
    }
    fg_buf_free(&scratch);
}
END_TEST

START_TEST(test_http1_header_limit)
{
    char raw[8192];
    struct fg_http1_request rq;
    struct fg_buf scratch;
    fg_buf_init(&scratch, 1024);
    memset(raw, 'a', sizeof(raw));
    memcpy(raw, "GET /n HTTP/1.1\r\nX: ", 20);
    /* No end of headers yet, but already past the limit. */
    ck_assert_int_eq(parse1(raw, sizeof(raw), 4096, 1024, &scratch, &rq), -EMSGSIZE);
    /* Every prefix of a valid request is "incomplete", never an error or a crash. */
    const char *ok = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for (size_t n = 0; n < strlen(ok); n++)
        ck_assert_msg(parse1(ok, n, 4096, 1024, &scratch, &rq) == 0, "prefix %zu", n);
    ck_assert_int_eq(parse1(ok, strlen(ok), 4096, 1024, &scratch, &rq), (long)strlen(ok));
    /* A chunked body over the limit. */
    const char *big = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n";
    ck_assert_int_eq(parse1(big, strlen(big), 4096, 1024, &scratch, &rq), -FG_ETOOBIG);
    fg_buf_free(&scratch);
}
END_TEST

/* Two pipelined requests fed one byte at a time, as a runtime sending byte by byte makes
 * runtime_api.c call the parser: every prefix is incomplete, the head's end is searched for
 * only in the new bytes (scanned trails the input by 3, then stays at the head's end while
 * the body comes), and each request parses as if it came whole. */
START_TEST(test_http1_byte_by_byte)
{
    static const char two[] = "POST /r HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
                              "GET /n HTTP/1.1\r\nHost: x\r\n\r\n";
    static const struct { size_t len, head_end; const char *path; size_t body_len; } want[] = {
        { 41, 35, "/r", 2 }, { 28, 24, "/n", 0 },
    };
    struct fg_http1_request rq;
    struct fg_http1_parser p;
    struct fg_buf scratch;
    size_t start = 0;

    fg_http1_parser_init(&p, 4096, 1024);
    fg_buf_init(&scratch, 1024);
    for (size_t i = 0; i < 2; i++) {
        for (size_t m = 1; m < want[i].len; m++) {
            size_t at = m < want[i].head_end + 4 ? (m > 3 ? m - 3 : 0) : want[i].head_end;
            ck_assert_int_eq(fg_http1_parse(&p, two + start, m, &scratch, &rq), 0);
            ck_assert_msg(p.scanned == at, "request %zu, %zu bytes: scanned %zu, want %zu", i, m, p.scanned, at);
        }
        ck_assert_int_eq(fg_http1_parse(&p, two + start, want[i].len, &scratch, &rq), (long)want[i].len);
        ck_assert_int_eq(p.scanned, 0);
        ck_assert_int_eq(rq.path_len, 2);
        ck_assert(!memcmp(rq.path, want[i].path, 2));
        ck_assert_int_eq(rq.body_len, want[i].body_len);
        start += want[i].len;
    }
    ck_assert_int_eq(start, sizeof(two) - 1);
    fg_buf_free(&scratch);
}
END_TEST

/* A body too large is refused from its announcement, with the head known (the Runtime API
 * fails the invocation whose response it was): Content-Length at once, a chunk's size line
 * before its data. */
START_TEST(test_http1_too_large_head)
{
    static const char *raws[] = {
        "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nContent-Length: 62914560\r\n\r\nxx",
        "POST /2018-06-01/runtime/invocation/abc/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "400\r\nab",
    };
    struct fg_http1_request rq;
    struct fg_buf scratch;

    fg_buf_init(&scratch, 4096);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(parse1(raws[i], strlen(raws[i]), 4096, 1000, &scratch, &rq), -FG_ETOOBIG);
        ck_assert_int_eq(rq.path_len, strlen("/2018-06-01/runtime/invocation/abc/response"));
        ck_assert(!memcmp(rq.path, "/2018-06-01/runtime/invocation/abc/response", rq.path_len));
        ck_assert_int_eq(rq.content_length, i == 0 ? 62914560 : 0);
        ck_assert_int_eq(rq.chunked, i == 1);
        ck_assert_int_eq(scratch.len, 0);
    }
    fg_buf_free(&scratch);
}
END_TEST

/* 512 KB in 1-byte chunks (3 MB on the wire), fed 7 bytes per call with the buffer compacted
 * after each incomplete parse, as runtime_api.c reads it: the parser examines each byte
 * once (bytes_seen within the wire size; the old parser re-read the whole buffer on every
 * call, ~10^11 bytes here; 0.08 s for 4 MB at -O2), the raw buffer never holds more than the head and one read, and
 * the pipelined request behind it parses whole. */
START_TEST(test_http1_chunked_linear)
{
    static const char head[] = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    static const char tail[] = "0\r\n\r\nGET /n HTTP/1.1\r\n\r\n";
    const size_t body_len = 512u << 10, step = 7;
    size_t wire_len = sizeof(head) - 1 + body_len * 6 + sizeof(tail) - 1, off = 0, max_in = 0, calls = 0;
    char *wire = malloc(wire_len), *w = wire;
    struct fg_http1_parser p;
    struct fg_http1_request rq;
    struct fg_buf in, scratch;
    long rc = 0;

    ck_assert_ptr_nonnull(wire);
    memcpy(w, head, sizeof(head) - 1);
    w += sizeof(head) - 1;
    for (size_t i = 0; i < body_len; i++, w += 6)
        memcpy(w, i % 2 ? "1\r\nb\r\n" : "1\r\na\r\n", 6);
    memcpy(w, tail, sizeof(tail) - 1);
    fg_http1_parser_init(&p, 4096, body_len);
    fg_buf_init(&in, 1 << 20);
    fg_buf_init(&scratch, body_len);
    while (off < wire_len && rc == 0) {
        size_t n = wire_len - off < step ? wire_len - off : step;
        ck_assert_int_eq(fg_buf_append(&in, wire + off, n), 0);
        off += n;
        calls++;
        if (in.len > max_in)
            max_in = in.len;
        if ((rc = fg_http1_parse(&p, in.data, in.len, &scratch, &rq)) == 0)
            fg_http1_compact(&p, &in);
    }
    ck_assert_int_eq(fg_buf_append(&in, wire + off, wire_len - off), 0);
    ck_assert_int_eq(rc, (long)(in.len - (sizeof(tail) - 1 - 5)));
    ck_assert_int_eq(rq.body_len, body_len);
    ck_assert(rq.body[0] == 'a' && rq.body[1] == 'b' && rq.body[body_len - 1] == 'b');
    ck_assert_msg(p.bytes_seen <= wire_len + sizeof(head), "examined %llu bytes of %zu (%zu calls)", p.bytes_seen, wire_len, calls);
    ck_assert_msg(max_in <= sizeof(head) - 1 + 2 * step, "the raw buffer grew to %zu bytes", max_in);
    /* The pipelined GET behind it. */
    ck_assert_int_eq(fg_http1_parse(&p, in.data + rc, in.len - (size_t)rc, &scratch, &rq), 19);
    ck_assert_int_eq(rq.path_len, 2);
    fg_buf_free(&in);
    fg_buf_free(&scratch);
    free(wire);
}
END_TEST

/* A streamed response with both error trailers, at every read size from 1 byte up: the
 * bytes handed on add up to the body (past body_max: a stream has its own limit), each
 * handing at most FG_HTTP1_STREAM_YIELD_BYTES, and the trailers come out whole. */
START_TEST(test_http1_stream_trailers)
{
    static const char head[] = "POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\n"
                               "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                               "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    static const char tail[] = "0\r\nLambda-Runtime-Function-Error-Type: Error\r\n"
                               "Lambda-Runtime-Function-Error-Body: eyJhIjoxfQ==\r\n\r\nGET /n HTTP/1.1\r\n\r\n";
    struct fg_buf wire;
    char line[32];

    fg_buf_init(&wire, 1 << 20);
    fg_buf_append_str(&wire, head);
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "%x\r\n", 10 + i);
        fg_buf_append_str(&wire, line);
        for (int k = 0; k < 10 + i; k++)
            fg_buf_append(&wire, &"abcdefghijklmnopqrstuvwxyz"[(i + k) % 26], 1);
        fg_buf_append_str(&wire, "\r\n");
    }
    fg_buf_append_str(&wire, tail);
    ck_assert_int_eq(wire.err, 0);
    for (size_t step = 1; step <= wire.len; step += step < 64 ? 1 : 97) {
        struct fg_http1_parser p;
        struct fg_http1_request rq;
        struct fg_buf in, scratch, got;
        size_t off = 0;
        long rc = 0;

        fg_http1_parser_init(&p, 4096, 16);
        fg_http1_parser_stream_limit(&p, 1 << 20);
        fg_buf_init(&in, 1 << 20);
        fg_buf_init(&scratch, 1 << 20);
        fg_buf_init(&got, 1 << 20);
        while (rc == 0 && off < wire.len) {
            size_t n = wire.len - off < step ? wire.len - off : step;
            ck_assert_int_eq(fg_buf_append(&in, wire.data + off, n), 0);
            off += n;
            if ((rc = fg_http1_parse(&p, in.data, in.len, &scratch, &rq)) == 0) {
                ck_assert(scratch.len <= FG_HTTP1_STREAM_YIELD_BYTES);
                if (rq.head_len)
                    ck_assert(rq.stream);
                fg_buf_append(&got, scratch.data, scratch.len);
                fg_buf_reset(&scratch);
                fg_http1_compact(&p, &in);
            }
        }
        ck_assert_msg(rc > 0, "step %zu: rc %ld", step, rc);
        ck_assert(rq.stream);
        fg_buf_append(&got, rq.body, rq.body_len);
        ck_assert_int_eq(got.len, 40 * 10 + 40 * 39 / 2);
        ck_assert(got.data[0] == 'a' && got.data[10] == 'b');
        ck_assert_msg(rq.error_type && rq.error_type_len == 5 && !memcmp(rq.error_type, "Error", 5), "step %zu", step);
        ck_assert(rq.error_body && rq.error_body_len == 12 && !memcmp(rq.error_body, "eyJhIjoxfQ==", 12));
        ck_assert(rq.content_type && rq.content_type_len == 24);
        /* The pipelined GET behind it. */
        ck_assert_int_eq(fg_buf_append(&in, wire.data + off, wire.len - off), 0);
        ck_assert_int_eq(fg_http1_parse(&p, in.data + rc, in.len - (size_t)rc, &scratch, &rq), 19);
        fg_buf_free(&in);
        fg_buf_free(&scratch);
        fg_buf_free(&got);
    }
    fg_buf_free(&wire);
}
END_TEST

/* A stream over its limit is refused as it crosses it; a non-streamed chunked body keeps
 * body_max. */
START_TEST(test_http1_stream_limit)
{
    static const char stream[] = "POST /r HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n";
    struct fg_http1_parser p;
    struct fg_http1_request rq;
    struct fg_buf scratch;

    fg_buf_init(&scratch, 1 << 20);
    fg_http1_parser_init(&p, 4096, 4);
    fg_http1_parser_stream_limit(&p, 12);
    ck_assert_int_eq(fg_http1_parse(&p, stream, sizeof(stream) - 1, &scratch, &rq), -FG_ETOOBIG);
    ck_assert_int_eq(scratch.len, 12);      /* up to the limit exactly */
    fg_buf_reset(&scratch);
    fg_http1_parser_stream_limit(&p, 16);
    ck_assert_int_eq(fg_http1_parse(&p, stream, sizeof(stream) - 1, &scratch, &rq), 0);
    ck_assert(rq.stream);
    ck_assert_int_eq(scratch.len, 16);
    fg_buf_free(&scratch);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http1");
    TCase *tc = tcase_create("http1");

    tcase_add_loop_test(tc, test_http1_table, 0, (int)(sizeof(http1_cases) / sizeof(http1_cases[0])));
    tcase_add_test(tc, test_http1_header_limit);
    tcase_add_test(tc, test_http1_byte_by_byte);
    tcase_add_test(tc, test_http1_too_large_head);
    tcase_add_test(tc, test_http1_chunked_linear);
    tcase_add_test(tc, test_http1_stream_trailers);
    tcase_add_test(tc, test_http1_stream_limit);
    return fg_unit_run(s, tc);
}
