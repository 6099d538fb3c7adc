/* SPDX-License-Identifier: MIT */
/* test_http1.c - router/http1.h: complete, incomplete and refused requests; pipelined
 * requests arriving one byte at a time. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "router/http1.h"
#include "unit.h"

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
    rc = fg_http1_parse(c->raw, strlen(c->raw), 4096, 1 << 20, &scratch, &rq, NULL);
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
    ck_assert_int_eq(fg_http1_parse(raw, sizeof(raw), 4096, 1024, &scratch, &rq, NULL), -EMSGSIZE);
    /* Every prefix of a valid request is "incomplete", never an error or a crash. */
    const char *ok = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for (size_t n = 0; n < strlen(ok); n++)
        ck_assert_msg(fg_http1_parse(ok, n, 4096, 1024, &scratch, &rq, NULL) == 0, "prefix %zu", n);
    ck_assert_int_eq(fg_http1_parse(ok, strlen(ok), 4096, 1024, &scratch, &rq, NULL), (long)strlen(ok));
    /* A chunked body over the limit. */
    const char *big = "POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n";
    ck_assert_int_eq(fg_http1_parse(big, strlen(big), 4096, 1024, &scratch, &rq, NULL), -FG_ETOOBIG);
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
    struct fg_buf scratch;
    size_t scanned = 0, start = 0;

    fg_buf_init(&scratch, 1024);
    for (size_t i = 0; i < 2; i++) {
        for (size_t m = 1; m < want[i].len; m++) {
            size_t at = m < want[i].head_end + 4 ? (m > 3 ? m - 3 : 0) : want[i].head_end;
            ck_assert_int_eq(fg_http1_parse(two + start, m, 4096, 1024, &scratch, &rq, &scanned), 0);
            ck_assert_msg(scanned == at, "request %zu, %zu bytes: scanned %zu, want %zu", i, m, scanned, at);
        }
        ck_assert_int_eq(fg_http1_parse(two + start, want[i].len, 4096, 1024, &scratch, &rq, &scanned),
                         (long)want[i].len);
        ck_assert_int_eq(scanned, 0);
        ck_assert_int_eq(rq.path_len, 2);
        ck_assert(!memcmp(rq.path, want[i].path, 2));
        ck_assert_int_eq(rq.body_len, want[i].body_len);
        start += want[i].len;
    }
    ck_assert_int_eq(start, sizeof(two) - 1);
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
    return fg_unit_run(s, tc);
}
