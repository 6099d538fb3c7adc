/* SPDX-License-Identifier: MIT */
/* test_url_prelude.c - gateway/url_prelude.h: the prelude awslambda.HttpResponseStream.from()
 * writes, fed split at every byte position (and byte by byte): status, headers, cookies
 * and the body bytes after the delimiter untouched; the defaults; malformed and oversized
 * preludes; a stream that ends inside its prelude. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/url_prelude.h"
#include "unit.h"

static const char *header(const struct fg_url_prelude *p, const char *name)
{
    for (size_t i = 0; i < p->head.n_headers; i++)
        if (!strcasecmp(p->head.headers[i].name, name))
            return p->head.headers[i].value;
    return NULL;
}

/* Feeds wire[0..len) in two pieces split at cut; the body bytes go to body. */
static long feed_split(struct fg_url_prelude *p, const char *wire, size_t len, size_t cut, struct fg_buf *body)
{
    struct fg_err err;
    size_t pieces[2][2] = { { 0, cut }, { cut, len - cut } };

    for (int k = 0; k < 2; k++) {
        const char *b = wire + pieces[k][0];
        size_t n = pieces[k][1];
        long used = fg_url_prelude_feed(p, b, n, &err);
        if (used < 0)
            return used;
        if (p->done)
            fg_buf_append(body, b + used, n - (size_t)used);
    }
    return 0;
}

START_TEST(test_prelude_every_split)
{
    static const char json[] = "{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain\",\"X-A\":\"1\"},"
                               "\"cookies\":[\"a=1\",\"b=2; Secure\"]}";
    static const char body[] = "body\0with NULs\0\0\0\0\0\0\0\0 and more";
    char wire[512];
    size_t len = 0;

    memcpy(wire, json, sizeof(json) - 1);
    len += sizeof(json) - 1;
    memset(wire + len, 0, 8);
    len += 8;
    memcpy(wire + len, body, sizeof(body) - 1);
    len += sizeof(body) - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        struct fg_url_prelude p;
        struct fg_buf got;
        int cookies = 0;

        fg_url_prelude_init(&p);
        fg_buf_init(&got, 4096);
        ck_assert_int_eq(feed_split(&p, wire, len, cut, &got), 0);
        ck_assert_msg(p.done, "cut %zu", cut);
        ck_assert_int_eq(p.head.status, 201);
        ck_assert_str_eq(header(&p, "content-type"), "text/plain");
        ck_assert_str_eq(header(&p, "x-a"), "1");
        for (size_t i = 0; i < p.head.n_headers; i++)
            cookies += !strcasecmp(p.head.headers[i].name, "set-cookie");
        ck_assert_int_eq(cookies, 2);
        ck_assert_msg(got.len == sizeof(body) - 1 && !memcmp(got.data, body, got.len), "cut %zu: %zu body bytes",
                      cut, got.len);
        fg_buf_free(&got);
        fg_url_prelude_close(&p);
    }
}
END_TEST

START_TEST(test_prelude_byte_by_byte_defaults)
{
    static const char wire[] = "{}\0\0\0\0\0\0\0\0x";
    struct fg_url_prelude p;
    struct fg_err err;
    size_t i;

    fg_url_prelude_init(&p);
    for (i = 0; i < sizeof(wire) - 1 && !p.done; i++)
        ck_assert_int_eq(fg_url_prelude_feed(&p, wire + i, 1, &err), 1);
    ck_assert(p.done);
    ck_assert_uint_eq(i, 10);                /* the body's first byte is left */
    ck_assert_int_eq(p.head.status, 200);
    ck_assert_str_eq(header(&p, "content-type"), "application/octet-stream");
    ck_assert_int_eq(fg_url_prelude_feed(&p, "x", 1, &err), 0);
    fg_url_prelude_close(&p);

    /* A handler that wrote nothing after from(): the defaults. */
    fg_url_prelude_init(&p);
    ck_assert_int_eq(fg_url_prelude_finish(&p, &err), 0);
    ck_assert_int_eq(p.head.status, 200);
    fg_url_prelude_close(&p);
}
END_TEST

struct bad_case {
    const char *wire;
    size_t len;
    int rc;
};

START_TEST(test_prelude_malformed)
{
    static const struct bad_case cases[] = {
        { "[1,2]\0\0\0\0\0\0\0\0", 13, -EINVAL },                          /* not an object */
        { "{\"statusCode\":99}\0\0\0\0\0\0\0\0", 25, -EINVAL },             /* no such status */
        { "{\"headers\":{\"a\\r\\nb\":\"x\"}}\0\0\0\0\0\0\0\0", 34, -EINVAL }, /* a line break */
        { "{\"a\":1}\0\0\0x", 11, -EINVAL },                                /* NUL inside */
        { "not json\0\0\0\0\0\0\0\0", 16, -EINVAL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fg_url_prelude p;
        struct fg_err err;
        fg_url_prelude_init(&p);
        ck_assert_msg(fg_url_prelude_feed(&p, cases[i].wire, cases[i].len, &err) == cases[i].rc, "case %zu", i);
        fg_url_prelude_close(&p);
    }
    {
        struct fg_url_prelude p;
        struct fg_err err;
        char *big = malloc(FG_URL_PRELUDE_MAX_BYTES + 2);
        memset(big, ' ', FG_URL_PRELUDE_MAX_BYTES + 2);
        fg_url_prelude_init(&p);
        ck_assert_int_eq(fg_url_prelude_feed(&p, big, FG_URL_PRELUDE_MAX_BYTES + 2, &err), -FG_ETOOBIG);
        fg_url_prelude_close(&p);
        /* Ended inside the prelude. */
        fg_url_prelude_init(&p);
        ck_assert_int_eq(fg_url_prelude_feed(&p, "{}\0\0", 4, &err), 4);
        ck_assert_int_eq(fg_url_prelude_finish(&p, &err), -EINVAL);
        fg_url_prelude_close(&p);
        free(big);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("url_prelude");
    TCase *tc = tcase_create("url_prelude");

    tcase_add_test(tc, test_prelude_every_split);
    tcase_add_test(tc, test_prelude_byte_by_byte_defaults);
    tcase_add_test(tc, test_prelude_malformed);
    return fg_unit_run(s, tc);
}
