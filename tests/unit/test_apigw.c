/* SPDX-License-Identifier: MIT */
/* test_apigw.c - triggers/apigw.h: the v2.0 event and the response mapping rules. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "triggers/registry.h"
#include "triggers/apigw.h"
#include "unit.h"

static json_t *build_event(const char *body, size_t body_len, const char *ctype)
{
    const char *yaml = "functions:\n  F:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
                       "      - http: POST /items/{id}\n";
    struct fg_http_header headers[] = {
        { "Host", "api.example.com:8080" }, { "User-Agent", "curl/8" }, { "X-Multi", "a" },
        { "x-multi", "b" }, { "Cookie", "s=1; t=2" }, { "Content-Type", ctype },
    };
    struct fg_config conf;
    struct fg_route_table t;
    struct fg_route_match m;
    struct fg_err err;
    struct fg_buf out;
    json_t *ev;

    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err), 0);
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    ck_assert_int_eq(fg_route_find(&t, "POST", "/items/a%2Fb", &m), FG_ROUTE_FOUND);
    struct fg_http_request req = {
        .method = "POST", .raw_path = "/items/a%2Fb", .raw_query = "q=hello+world&q=2&e=%C3%A9&flag",
        .protocol = "HTTP/1.1", .source_ip = "127.0.0.1", .headers = headers,
        .n_headers = sizeof(headers) / sizeof(headers[0]), .body = body, .body_len = body_len,
        .time_ms = 1587481701000LL, .request_id = "rid-1", .account_id = "000000000000",
    };
    fg_buf_init(&out, 1 << 20);
    ck_assert_int_eq(fg_apigw_event(&req, &m, &out), 0);
    ev = json_loads(out.data, 0, NULL);
    ck_assert_ptr_nonnull(ev);
    fg_buf_free(&out);
    fg_route_table_close(&t);
    fg_conf_free(&conf);
    return ev;
}

#define STR(o, path) json_string_value(json_object_get(o, path))

START_TEST(test_event_shape)
{
    json_t *ev = build_event("{\"a\":1}", 7, "application/json");
    json_t *ctx = json_object_get(ev, "requestContext"), *http = json_object_get(ctx, "http");
    json_t *h = json_object_get(ev, "headers"), *q = json_object_get(ev, "queryStringParameters");

    ck_assert_str_eq(STR(ev, "version"), "2.0");
    ck_assert_str_eq(STR(ev, "routeKey"), "POST /items/{id}");
    ck_assert_str_eq(STR(ev, "rawPath"), "/items/a%2Fb");
    ck_assert_str_eq(STR(ev, "rawQueryString"), "q=hello+world&q=2&e=%C3%A9&flag");
    ck_assert_str_eq(STR(h, "x-multi"), "a,b");
    ck_assert_str_eq(STR(h, "host"), "api.example.com:8080");
    ck_assert_ptr_null(json_object_get(h, "cookie"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ev, "cookies"), 1)), "t=2");
    ck_assert_str_eq(STR(q, "q"), "hello world,2");
    ck_assert_str_eq(STR(q, "e"), "\xc3\xa9");
    ck_assert_str_eq(STR(q, "flag"), "");
    ck_assert_str_eq(STR(json_object_get(ev, "pathParameters"), "id"), "a/b");
    ck_assert_str_eq(STR(ev, "body"), "{\"a\":1}");
    ck_assert(json_is_false(json_object_get(ev, "isBase64Encoded")));
    ck_assert_str_eq(STR(ctx, "accountId"), "000000000000");
    ck_assert_str_eq(STR(ctx, "domainName"), "api.example.com:8080");
    ck_assert_str_eq(STR(ctx, "domainPrefix"), "api");
    ck_assert_str_eq(STR(ctx, "requestId"), "rid-1");
    ck_assert_str_eq(STR(ctx, "stage"), "$default");
    ck_assert_str_eq(STR(ctx, "time"), "21/Apr/2020:15:08:21 +0000");
    ck_assert_int_eq(json_integer_value(json_object_get(ctx, "timeEpoch")), 1587481701000LL);
    ck_assert_str_eq(STR(http, "method"), "POST");
    ck_assert_str_eq(STR(http, "path"), "/items/a%2Fb");
    ck_assert_str_eq(STR(http, "protocol"), "HTTP/1.1");
    ck_assert_str_eq(STR(http, "sourceIp"), "127.0.0.1");
    ck_assert_str_eq(STR(http, "userAgent"), "curl/8");
    json_decref(ev);
}
END_TEST

START_TEST(test_event_binary_body)
{
    json_t *ev = build_event("\xff\x00\x01", 3, "application/octet-stream");
    ck_assert_str_eq(STR(ev, "body"), "/wAB");
    ck_assert(json_is_true(json_object_get(ev, "isBase64Encoded")));
    json_decref(ev);
    ev = build_event("bad \xc3\x28 utf8", 11, "text/plain");
    ck_assert(json_is_true(json_object_get(ev, "isBase64Encoded")));
    json_decref(ev);
}
END_TEST

struct resp_case {
    const char *result;
    int rc;
    int status;
    const char *body;
    const char *header, *value;      /* one header to look for */
    int n_cookies;
};

static const struct resp_case resp_cases[] = {
    { "{\"message\":\"hi\"}", 0, 200, "{\"message\":\"hi\"}", "content-type", "application/json", 0 },
    { "\"plain string\"", 0, 200, "plain string", "content-type", "application/json", 0 },
    { "[1,2]", 0, 200, "[1,2]", NULL, NULL, 0 },
    { "null", 0, 200, "null", NULL, NULL, 0 },
    { "{\"statusCode\":201,\"headers\":{\"X-A\":\"1\",\"X-N\":5},\"body\":\"made\"}", 0, 201, "made", "X-N", "5", 0 },
    { "{\"statusCode\":200,\"body\":\"aGVsbG8=\",\"isBase64Encoded\":true}", 0, 200, "hello", NULL, NULL, 0 },
    { "{\"statusCode\":302,\"cookies\":[\"a=1\",\"b=2; Path=/\"]}", 0, 302, "", "set-cookie", "a=1", 2 },
    { "{\"statusCode\":200,\"body\":{\"k\":1}}", 0, 200, "{\"k\":1}", NULL, NULL, 0 },
    { "{\"statusCode\":\"200\"}", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":99}", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":100,\"body\":\"x\"}", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":199}", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":599}", 0, 599, "", NULL, NULL, 0 },
    { "not json", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":200,\"headers\":{\"X\":\"a\\r\\nInjected: 1\"}}", -22, 0, NULL, NULL, NULL, 0 },
    { "{\"statusCode\":200,\"body\":\"!!\",\"isBase64Encoded\":true}", -22, 0, NULL, NULL, NULL, 0 },
};

/* A function answering 5,000 headers, or 20 KB of them, gives an unusable response (a 500),
 * not a connection dropped with no answer. 100 small ones are fine. */
START_TEST(test_response_header_caps)
{
    static const struct { int count, value_len, ok; } cases[] = { { 100, 1, 1 }, { 5000, 1, 0 }, { 20, 1000, 0 } };
    struct fg_http_response resp;
    struct fg_err err;
    char *big = malloc(1 << 20), value[1001];

    for (size_t n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
        char *w = big + sprintf(big, "{\"statusCode\":200,\"headers\":{");
        memset(value, 'v', (size_t)cases[n].value_len);
        value[cases[n].value_len] = '\0';
        for (int i = 0; i < cases[n].count; i++)
            w += sprintf(w, "%s\"X-H%d\":\"%s\"", i ? "," : "", i, value);
        w += sprintf(w, "}}");
        int rc = fg_apigw_response(big, (size_t)(w - big), &resp, &err);
        if (cases[n].ok) {
            ck_assert_msg(rc == 0, "%s", err.msg);
            ck_assert_uint_eq(resp.n_headers, (size_t)cases[n].count);
            fg_http_response_close(&resp);
        } else {
            ck_assert_int_eq(rc, -EINVAL);
        }
    }
    free(big);
}
END_TEST

START_TEST(test_response_table)
{
    const struct resp_case *c = &resp_cases[_i];
    struct fg_http_response resp;
    struct fg_err err;
    int rc = fg_apigw_response(c->result, strlen(c->result), &resp, &err);

    ck_assert_msg(rc == c->rc, "case %d: rc %d want %d (%s)", _i, rc, c->rc, rc ? err.msg : "");
    if (rc)
        return;
    ck_assert_int_eq(resp.status, c->status);
    ck_assert_int_eq(resp.body.len, strlen(c->body));
    ck_assert(!resp.body.len || !memcmp(resp.body.data, c->body, resp.body.len));
    if (c->header) {
        int found = 0, cookies = 0;
        for (size_t i = 0; i < resp.n_headers; i++) {
            if (!strcmp(resp.headers[i].name, c->header) && !strcmp(resp.headers[i].value, c->value))
                found = 1;
            cookies += !strcmp(resp.headers[i].name, "set-cookie");
        }
        ck_assert_msg(found, "case %d: header %s: %s missing", _i, c->header, c->value);
        ck_assert_int_eq(cookies, c->n_cookies);
    }
    fg_http_response_close(&resp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("apigw");
    TCase *tc = tcase_create("apigw");

    tcase_add_test(tc, test_event_shape);
    tcase_add_test(tc, test_event_binary_body);
    tcase_add_test(tc, test_response_header_caps);
    tcase_add_loop_test(tc, test_response_table, 0, (int)(sizeof(resp_cases) / sizeof(resp_cases[0])));
    return fg_unit_run(s, tc);
}
