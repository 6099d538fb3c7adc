/* SPDX-License-Identifier: MIT */
/* test_apigw_v1.c - triggers/apigw_v1.h: the payload format 1.0 event against AWS's
 * documented example ("Create AWS Lambda proxy integrations for HTTP APIs", format 1.0),
 * and 1.0 answers with multiValueHeaders. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "triggers/apigw_v1.h"
#include "triggers/registry.h"
#include "unit.h"

#define STR(o, key) json_string_value(json_object_get(o, key))

/* AWS's example request: GET /my/path?parameter1=value1&parameter1=value2&parameter2=value
 * with Header1: value1 and Header2 twice, through the route `path` (a template when it has
 * a parameter). */
static json_t *build_event(const char *route, const char *method, const char *path, const char *query,
                           const char *body, size_t body_len, const char *ctype, const char *authorizer)
{
    char yaml[512];
    struct fg_http_header headers[] = {
        { "Header1", "value1" }, { "Header2", "value1" }, { "header2", "value2" }, { "Host", "id.example.com" },
        { "User-Agent", "user-agent" }, { "Cookie", "s=1; t=2" }, { "Content-Type", ctype },
    };
    struct fg_config conf;
    struct fg_route_table t;
    struct fg_route_match m;
    struct fg_err err;
    struct fg_buf out;
    json_t *ev;

    snprintf(yaml, sizeof(yaml), "functions:\n  F:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
             "      - http: {method: %s, path: \"%s\", payload_format: 1.0}\n", method, route);
    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    ck_assert_int_eq(t.routes[0].conf->payload_format, FG_PAYLOAD_FORMAT_1_0);
    ck_assert_int_eq(fg_route_find(&t, method, path, &m), FG_ROUTE_FOUND);
    struct fg_http_request req = {
        .method = method, .raw_path = path, .raw_query = query, .protocol = "HTTP/1.1", .source_ip = "192.0.2.1",
        .headers = headers, .n_headers = sizeof(headers) / sizeof(headers[0]) - !ctype, .body = body,
        .body_len = body_len, .time_ms = 1583349317135LL, .request_id = "id=", .account_id = "123456789012",
        .authorizer_v1 = authorizer,
    };
    fg_buf_init(&out, 1 << 20);
    ck_assert_int_eq(fg_apigw_v1_event(&req, &m, &out), 0);
    ev = json_loads(out.data, 0, NULL);
    ck_assert_msg(ev != NULL, "not JSON: %s", out.data);
    fg_buf_free(&out);
    fg_route_table_close(&t);
    fg_conf_free(&conf);
    return ev;
}

/* AWS's example event, with this request's values: every field and every null. */
static const char documented_example[] =
    "{\"version\":\"1.0\",\"resource\":\"/my/path\",\"path\":\"/my/path\",\"httpMethod\":\"GET\","
    "\"headers\":{\"Header1\":\"value1\",\"Header2\":\"value2\",\"Host\":\"id.example.com\","
    "\"User-Agent\":\"user-agent\",\"Cookie\":\"s=1; t=2\",\"Content-Type\":\"text/plain\"},"
    "\"multiValueHeaders\":{\"Header1\":[\"value1\"],\"Header2\":[\"value1\",\"value2\"],"
    "\"Host\":[\"id.example.com\"],\"User-Agent\":[\"user-agent\"],\"Cookie\":[\"s=1; t=2\"],"
    "\"Content-Type\":[\"text/plain\"]},"
    "\"queryStringParameters\":{\"parameter1\":\"value2\",\"parameter2\":\"value\"},"
    "\"multiValueQueryStringParameters\":{\"parameter1\":[\"value1\",\"value2\"],\"parameter2\":[\"value\"]},"
    "\"requestContext\":{\"accountId\":\"123456789012\",\"apiId\":\"fngate\",\"domainName\":\"id.example.com\","
    "\"domainPrefix\":\"id\",\"extendedRequestId\":\"id=\",\"httpMethod\":\"GET\","
    "\"identity\":{\"accessKey\":null,\"accountId\":null,\"caller\":null,\"cognitoAmr\":null,"
    "\"cognitoAuthenticationProvider\":null,\"cognitoAuthenticationType\":null,\"cognitoIdentityId\":null,"
    "\"cognitoIdentityPoolId\":null,\"principalOrgId\":null,\"sourceIp\":\"192.0.2.1\",\"user\":null,"
    "\"userAgent\":\"user-agent\",\"userArn\":null},"
    "\"path\":\"/my/path\",\"protocol\":\"HTTP/1.1\",\"requestId\":\"id=\","
    "\"requestTime\":\"04/Mar/2020:19:15:17 +0000\",\"requestTimeEpoch\":1583349317135,"
    "\"resourceId\":\"GET /my/path\",\"resourcePath\":\"/my/path\",\"stage\":\"$default\"},"
    "\"pathParameters\":null,\"stageVariables\":null,\"body\":\"Hello from Lambda!\",\"isBase64Encoded\":false}";

START_TEST(test_event_documented_example)
{
    json_t *ev = build_event("/my/path", "GET", "/my/path", "parameter1=value1&parameter1=value2&parameter2=value",
                             "Hello from Lambda!", 18, "text/plain", NULL);
    json_t *want = json_loads(documented_example, 0, NULL);
    char *got = json_dumps(ev, JSON_SORT_KEYS);

    ck_assert_ptr_nonnull(want);
    ck_assert_msg(json_equal(ev, want), "event differs from the documented shape: %s", got);
    free(got);
    json_decref(want);
    json_decref(ev);
}
END_TEST

/* Path parameters decoded, no query and no body as nulls, a binary body base64, and the
 * authorizer written verbatim. */
START_TEST(test_event_params_binary_authorizer)
{
    static const char bin[] = { 'P', 'N', 'G', '\0', (char)0xff, 1 };
    json_t *ev = build_event("/items/{id}/{rest+}", "POST", "/items/a%20b/x/y", "", bin, sizeof(bin),
                             "application/octet-stream", "{\"claims\":{\"sub\":\"u1\"},\"scopes\":null}");
    json_t *pp = json_object_get(ev, "pathParameters"), *auth;

    ck_assert_str_eq(STR(ev, "resource"), "/items/{id}/{rest+}");
    ck_assert_str_eq(STR(pp, "id"), "a b");
    ck_assert_str_eq(STR(pp, "rest"), "x/y");
    ck_assert(json_is_null(json_object_get(ev, "queryStringParameters")));
    ck_assert(json_is_null(json_object_get(ev, "multiValueQueryStringParameters")));
    ck_assert_str_eq(STR(ev, "body"), "UE5HAP8B");
    ck_assert(json_is_true(json_object_get(ev, "isBase64Encoded")));
    auth = json_object_get(json_object_get(ev, "requestContext"), "authorizer");
    ck_assert_str_eq(STR(json_object_get(auth, "claims"), "sub"), "u1");
    json_decref(ev);

    ev = build_event("/e", "GET", "/e", "flag&x=1", NULL, 0, NULL, NULL);
    ck_assert(json_is_null(json_object_get(ev, "body")));
    ck_assert(json_is_false(json_object_get(ev, "isBase64Encoded")));
    ck_assert_str_eq(STR(json_object_get(ev, "queryStringParameters"), "flag"), "");
    json_decref(ev);
}
END_TEST

/* {result, rc, status, body, the headers expected as "Name: value" joined with '|'} */
static const struct {
    const char *result;
    int rc, status;
    const char *body, *headers;
} resp_cases[] = {
    { "{\"statusCode\":201,\"headers\":{\"X-A\":\"1\",\"Set-Cookie\":\"a=1\"},"
      "\"multiValueHeaders\":{\"set-cookie\":[\"b=2\",\"c=3\"],\"X-M\":[\"x\",\"y\"]},\"body\":\"ok\"}",
      0, 201, "ok", "X-A: 1|set-cookie: b=2|set-cookie: c=3|X-M: x|X-M: y" },
    { "{\"statusCode\":200,\"multiValueHeaders\":{\"X-N\":[1,true]},\"body\":\"aGk=\",\"isBase64Encoded\":true}",
      0, 200, "hi", "X-N: 1|X-N: true" },
    { "{\"statusCode\":204,\"headers\":null,\"multiValueHeaders\":null}", 0, 204, "", "" },
    { "{\"message\":\"no statusCode\"}", -EINVAL, 0, NULL, NULL },
    { "\"a plain string\"", -EINVAL, 0, NULL, NULL },
    { "[1,2]", -EINVAL, 0, NULL, NULL },
    { "not json", -EINVAL, 0, NULL, NULL },
    { "{\"statusCode\":\"200\"}", -EINVAL, 0, NULL, NULL },
    { "{\"statusCode\":200,\"multiValueHeaders\":{\"X\":\"not a list\"}}", -EINVAL, 0, NULL, NULL },
    { "{\"statusCode\":200,\"multiValueHeaders\":{\"X\":[{\"o\":1}]}}", -EINVAL, 0, NULL, NULL },
    { "{\"statusCode\":200,\"multiValueHeaders\":{\"X\":[\"a\\r\\nInjected: 1\"]}}", -EINVAL, 0, NULL, NULL },
};

START_TEST(test_response_table)
{
    struct fg_http_response resp;
    struct fg_err err;
    char got[512] = "";
    size_t o = 0;
    int rc = fg_apigw_v1_response(resp_cases[_i].result, strlen(resp_cases[_i].result), &resp, &err);

    ck_assert_msg(rc == resp_cases[_i].rc, "case %d: rc %d (%s)", _i, rc, rc ? err.msg : "");
    if (rc)
        return;
    ck_assert_int_eq(resp.status, resp_cases[_i].status);
    ck_assert_uint_eq(resp.body.len, strlen(resp_cases[_i].body));
    ck_assert(!resp.body.len || !memcmp(resp.body.data, resp_cases[_i].body, resp.body.len));
    for (size_t i = 0; i < resp.n_headers; i++)
        o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s: %s", i ? "|" : "", resp.headers[i].name,
                              resp.headers[i].value);
    ck_assert_str_eq(got, resp_cases[_i].headers);
    fg_http_response_close(&resp);
}
END_TEST

/* 5,000 values in multiValueHeaders are an unusable answer, not 5,000 headers. */
START_TEST(test_response_header_cap)
{
    struct fg_http_response resp;
    struct fg_err err;
    char *big = malloc(1 << 20), *w = big;

    w += sprintf(w, "{\"statusCode\":200,\"multiValueHeaders\":{\"X\":[");
    for (int i = 0; i < 5000; i++)
        w += sprintf(w, "%s\"v\"", i ? "," : "");
    w += sprintf(w, "]}}");
    ck_assert_int_eq(fg_apigw_v1_response(big, (size_t)(w - big), &resp, &err), -EINVAL);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("apigw_v1");
    TCase *tc = tcase_create("apigw_v1");

    tcase_add_test(tc, test_event_documented_example);
    tcase_add_test(tc, test_event_params_binary_authorizer);
    tcase_add_loop_test(tc, test_response_table, 0, (int)(sizeof(resp_cases) / sizeof(resp_cases[0])));
    tcase_add_test(tc, test_response_header_cap);
    return fg_unit_run(s, tc);
}
