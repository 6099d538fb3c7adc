/* SPDX-License-Identifier: MIT */
/* test_function_url.c - gateway/function_url.h and config/conf_url.c: what a function's
 * `url:` loads to, which Host or path names which function's URL, and the url-id (stable,
 * AWS's shape, one per account, region and function). */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gateway/function_url.h"
#include "triggers/registry.h"
#include "unit.h"

#define FN(name, extra) "  " name ":\n    runtime: python3\n    handler: app.h\n    code: .\n" extra
#define CONF "region: eu-west-3\naccount_id: '123456789012'\nfunctions:\n" \
    FN("Echo", "    url: true\n") FN("Iam", "    url: {auth_type: AWS_IAM, invoke_mode: RESPONSE_STREAM}\n") \
    FN("Plain", "") FN("Off", "    url: false\n") FN("echo2", "    url: {}\n") FN("ECHO2", "    url: true\n") \
    FN("Cors", "    url: {cors: {allow_origins: [https://a.example], max_age: 60}}\n") \
    FN("CorsOn", "    url: {cors: true}\n")

static void load(struct fg_config *conf, const char *yaml)
{
    struct fg_err err;
    ck_assert_msg(fg_registry_conf_load_string(conf, "t.yaml", "/tmp", yaml, &err) == 0, "%s", err.msg);
}

START_TEST(test_url_config)
{
    struct fg_config conf;
    const struct fg_conf_function *fn;

    load(&conf, CONF);
    fn = fg_conf_function(&conf, "Echo");
    ck_assert(fn->url.enabled && fn->url.auth_type == FG_URL_AUTH_NONE && fn->url.invoke_mode == FG_URL_BUFFERED);
    fn = fg_conf_function(&conf, "Iam");
    ck_assert(fn->url.enabled && fn->url.auth_type == FG_URL_AUTH_AWS_IAM &&
              fn->url.invoke_mode == FG_URL_RESPONSE_STREAM);
    ck_assert(!fg_conf_function(&conf, "Plain")->url.enabled);
    ck_assert(!fg_conf_function(&conf, "Off")->url.enabled);
    ck_assert(fg_conf_function(&conf, "echo2")->url.enabled);
    ck_assert_int_eq(fg_conf_function(&conf, "Echo")->url.cors.mode, FG_CONF_CORS_UNSET);
    fn = fg_conf_function(&conf, "Cors");
    ck_assert(fn->url.cors.mode == FG_CONF_CORS_ON && !fn->url.cors.shorthand && fn->url.cors.max_age_s == 60 &&
              fn->url.cors.allow_origins.n == 1 && !strcmp(fn->url.cors.allow_origins.items[0], "https://a.example"));
    fn = fg_conf_function(&conf, "CorsOn");
    ck_assert(fn->url.cors.mode == FG_CONF_CORS_ON && fn->url.cors.shorthand);
    fg_conf_free(&conf);
}
END_TEST

static const struct {
    const char *url, *error;
} bad_urls[] = {
    { "yes", "t.yaml:6:10: url: expected true, false or {auth_type" },
    { "{auth_type: aws_iam}", "auth_type: unknown value 'aws_iam' (did you mean 'AWS_IAM'?)" },
    { "{auth_typ: NONE}", "unknown key 'auth_typ' in url (did you mean 'auth_type'?)" },
    { "{invoke_mode: STREAM}", "invoke_mode: unknown value 'STREAM'" },
    { "[NONE]", "url: expected true or {auth_type" },
    { "{cors: {allow_origins: ['*'], allow_credentials: true}}", "t.yaml:6:" },
    { "{cors: {allow_origin: ['*']}}", "(did you mean 'allow_origins'?)" },
};

START_TEST(test_url_config_errors)
{
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        char yaml[512];
        struct fg_config conf;
        struct fg_err err;
        snprintf(yaml, sizeof(yaml), "functions:\n" FN("F", "    url: %s\n"), bad_urls[i].url);
        ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp", yaml, &err) < 0, "%s loaded", bad_urls[i].url);
        ck_assert_msg(strstr(err.msg, bad_urls[i].error), "%s: got '%s'", bad_urls[i].url, err.msg);
    }
}
END_TEST

static const struct {
    const char *host;
    enum fg_function_url_host kind;
    const char *label;
} hosts[] = {
    { "Echo.lambda-url.localhost", FG_FURL_HOST_NAME, "Echo" },
    { "Echo.lambda-url.localhost:8080", FG_FURL_HOST_NAME, "Echo" },
    { "echo.LAMBDA-URL.Localhost.:80", FG_FURL_HOST_NAME, "echo" },
    { "abc.lambda-url.us-east-1.on.aws", FG_FURL_HOST_ID, "abc" },
    { "abc.lambda-url.eu-west-3.on.aws:443", FG_FURL_HOST_ID, "abc" },
    { "abc.lambda-url.on.aws", FG_FURL_HOST_OTHER, NULL },           /* no region */
    { "abc.lambda-url.a.b.on.aws", FG_FURL_HOST_OTHER, NULL },       /* two labels */
    { "abc.x.lambda-url.localhost", FG_FURL_HOST_OTHER, NULL },      /* two labels */
    { ".lambda-url.localhost", FG_FURL_HOST_OTHER, NULL },
    { "lambda-url.localhost", FG_FURL_HOST_OTHER, NULL },
    { "Echo.lambda-url.localhost:80x", FG_FURL_HOST_OTHER, NULL },   /* not a port */
    { "Echo.notlambda-url.localhost", FG_FURL_HOST_OTHER, NULL },
    { "localhost:8080", FG_FURL_HOST_OTHER, NULL },
    { "127.0.0.1:8080", FG_FURL_HOST_OTHER, NULL },
    { "[::1]:8080", FG_FURL_HOST_OTHER, NULL },
    { "", FG_FURL_HOST_OTHER, NULL },
    { NULL, FG_FURL_HOST_OTHER, NULL },
    { "a-very-long-function-name-that-is-longer-than-the-label-room-given.lambda-url.localhost", FG_FURL_HOST_OTHER,
      NULL },
};

START_TEST(test_parse_host)
{
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        char label[64] = "";
        enum fg_function_url_host k = fg_function_url_parse_host(hosts[i].host, label, sizeof(label));
        ck_assert_msg(k == hosts[i].kind, "%s: kind %d", hosts[i].host ? hosts[i].host : "NULL", (int)k);
        if (hosts[i].label)
            ck_assert_str_eq(label, hosts[i].label);
    }
}
END_TEST

START_TEST(test_url_id)
{
    struct fg_config conf;
    char a[FG_FUNCTION_URL_ID_LEN + 1], b[FG_FUNCTION_URL_ID_LEN + 1], domain[128];

    load(&conf, CONF);
    fg_function_url_id(&conf, "Echo", a);
    ck_assert_uint_eq(strlen(a), 32);
    for (const char *c = a; *c; c++)
        ck_assert_msg(islower((unsigned char)*c) || isdigit((unsigned char)*c), "%s", a);
    fg_function_url_id(&conf, "Echo", b);
    ck_assert_str_eq(a, b);                         /* stable */
    fg_function_url_id(&conf, "Iam", b);
    ck_assert_str_ne(a, b);                         /* per function */
    conf.region = "us-east-1";
    fg_function_url_id(&conf, "Echo", b);
    ck_assert_str_ne(a, b);                         /* per region */
    conf.region = "eu-west-3";
    conf.account_id = "000000000000";
    fg_function_url_id(&conf, "Echo", b);
    ck_assert_str_ne(a, b);                         /* per account */
    conf.account_id = "123456789012";
    fg_function_url_domain(&conf, "Echo", domain, sizeof(domain));
    ck_assert(!strncmp(domain, a, 32) && !strcmp(domain + 32, ".lambda-url.eu-west-3.on.aws"));
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_match)
{
    static const struct {
        const char *host, *uri;
        bool is_url;
        const char *fn, *path;      /* fn NULL: a URL that does not exist */
    } cases[] = {
        { "Echo.lambda-url.localhost:8080", "/a/b?x=1", true, "Echo", "/a/b?x=1" },
        { "echo.lambda-url.localhost", "/", true, "Echo", "/" },               /* any case, one match */
        { "Echo2.lambda-url.localhost", "/", true, NULL, NULL },               /* two match without case */
        { "ECHO2.lambda-url.localhost", "/", true, "ECHO2", "/" },             /* exact wins */
        { "Plain.lambda-url.localhost", "/x", true, NULL, NULL },              /* no url: */
        { "Off.lambda-url.localhost", "/x", true, NULL, NULL },
        { "Nope.lambda-url.localhost", "/2015-03-31/functions/Echo/invocations", true, NULL, NULL },
        { "127.0.0.1:8080", "/_fngate/url/Echo/a/b?x=1", true, "Echo", "/a/b?x=1" },
        { "127.0.0.1:8080", "/_fngate/url/Echo", true, "Echo", "/" },
        { "127.0.0.1:8080", "/_fngate/url/Echo?x=1", true, "Echo", "/" },
        { "127.0.0.1:8080", "/_fngate/url/echo/", true, NULL, NULL },          /* paths keep case */
        { "127.0.0.1:8080", "/_fngate/url/Plain/", true, NULL, NULL },
        { "127.0.0.1:8080", "/_fngate/url/", true, NULL, NULL },
        { "127.0.0.1:8080", "/_fngate/url", true, NULL, NULL },
        { NULL, "/_fngate/url/Echo/", true, "Echo", "/" },
        { "127.0.0.1:8080", "/_fngate/urls", false, NULL, NULL },
        { "127.0.0.1:8080", "/hello/Echo", false, NULL, NULL },
        { "localhost", "/2015-03-31/functions/Echo/invocations", false, NULL, NULL },
        { NULL, "/", false, NULL, NULL },
    };
    struct fg_config conf;
    char id[FG_FUNCTION_URL_ID_LEN + 1], host[128];
    struct fg_function_url_target t;

    load(&conf, CONF);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool is = fg_function_url_match(&conf, cases[i].host, cases[i].uri, &t);
        ck_assert_msg(is == cases[i].is_url, "%s %s", cases[i].host, cases[i].uri);
        if (!is)
            continue;
        ck_assert_msg(cases[i].fn ? t.fn && !strcmp(t.fn->name, cases[i].fn) : !t.fn, "%s %s: %s", cases[i].host,
                      cases[i].uri, t.fn ? t.fn->name : "none");
        if (cases[i].path)
            ck_assert_str_eq(t.path, cases[i].path);
    }
    /* AWS's form: the url-id of a function with a URL, any region label, any case */
    fg_function_url_id(&conf, "Iam", id);
    snprintf(host, sizeof(host), "%s.lambda-url.us-west-2.on.aws", id);
    ck_assert(fg_function_url_match(&conf, host, "/p", &t) && t.fn && !strcmp(t.fn->name, "Iam"));
    ck_assert_str_eq(t.path, "/p");
    for (char *c = host; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    ck_assert(fg_function_url_match(&conf, host, "/p", &t) && t.fn && !strcmp(t.fn->name, "Iam"));
    fg_function_url_id(&conf, "Plain", id);        /* no url: no URL by id either */
    snprintf(host, sizeof(host), "%s.lambda-url.eu-west-3.on.aws", id);
    ck_assert(fg_function_url_match(&conf, host, "/p", &t) && !t.fn);
    ck_assert(fg_function_url_match(&conf, "abc.lambda-url.eu-west-3.on.aws", "/", &t) && !t.fn);
    fg_conf_free(&conf);
}
END_TEST

/* The event of a NONE URL: the 2.0 shape with Lambda's differences, exactly. */
START_TEST(test_prepare_event)
{
    static const struct fg_http_header h[] = { { "Host", "echo.lambda-url.localhost:8080" }, { "Cookie", "a=1" },
                                               { "User-Agent", "ua" }, { "Authorization", "ignored" } };
    struct fg_config conf;
    struct fg_function_url_target t;
    struct fg_http_response refusal;
    struct fg_invoke_auth auth;
    struct fg_buf ev;
    char id[FG_FUNCTION_URL_ID_LEN + 1], domain[128];
    json_t *j, *rc;

    load(&conf, CONF);
    ck_assert_int_eq(fg_invoke_auth_init(&auth, &conf.invoke_api, "127.0.0.1"), 0);
    ck_assert(fg_function_url_match(&conf, h[0].value, "/p/q?x=1", &t) && t.fn);
    struct fg_http_request req = { .method = "POST", .raw_path = "/p/q", .raw_query = "x=1", .protocol = "HTTP/1.1",
                                   .source_ip = "127.0.0.1", .headers = h, .n_headers = 4, .body = "hi",
                                   .body_len = 2, .time_ms = 1700000000123LL, .request_id = "rid",
                                   .account_id = conf.account_id };
    struct fg_invoke_caller caller = { .method = "POST", .raw_path = "/p/q", .raw_query = "x=1", .headers = h,
                                       .n_headers = 4, .body = "hi", .body_len = 2 };
    fg_buf_init(&ev, 1 << 20);
    ck_assert_int_eq(fg_function_url_prepare(&auth, &conf, &t, &req, &caller, &ev, &refusal), 0);
    j = json_loadb(ev.data, ev.len, 0, NULL);
    ck_assert_msg(j, "%s", ev.data);
    fg_function_url_id(&conf, "Echo", id);
    fg_function_url_domain(&conf, "Echo", domain, sizeof(domain));
    rc = json_object_get(j, "requestContext");
    ck_assert_str_eq(json_string_value(json_object_get(j, "routeKey")), "$default");
    ck_assert_str_eq(json_string_value(json_object_get(j, "rawPath")), "/p/q");
    ck_assert_str_eq(json_string_value(json_object_get(j, "body")), "hi");
    ck_assert(!json_object_get(j, "pathParameters") && !json_object_get(j, "stageVariables"));
    ck_assert_str_eq(json_string_value(json_object_get(rc, "accountId")), "anonymous");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "apiId")), id);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "domainPrefix")), id);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "domainName")), domain);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "routeKey")), "$default");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "requestId")), "rid");
    ck_assert(!json_object_get(rc, "authorizer"));
    json_decref(j);

    /* AWS_IAM without a signature: Lambda's 403, no event */
    ck_assert(fg_function_url_match(&conf, "127.0.0.1", "/_fngate/url/Iam/p", &t) && t.fn);
    fg_buf_reset(&ev);
    ck_assert_int_eq(fg_function_url_prepare(&auth, &conf, &t, &req, &caller, &ev, &refusal), -EACCES);
    ck_assert_int_eq(refusal.status, 403);
    ck_assert(strstr(refusal.body.data, "{\"Message\":\"Forbidden. For troubleshooting Function URL"));
    ck_assert_uint_eq(ev.len, 0);
    fg_http_response_close(&refusal);
    fg_buf_free(&ev);
    fg_invoke_auth_close(&auth);
    fg_conf_free(&conf);
}
END_TEST

/* A finished invocation's answer: the function's response, or Lambda's errors. */
START_TEST(test_result)
{
    static const struct {
        enum fg_inv_status status;
        const char *result;
        int code;
        const char *body;
    } cases[] = {
        { FG_INV_OK, "{\"statusCode\":201,\"body\":\"made\"}", 201, "made" },
        { FG_INV_OK, "[1,2]", 200, "[1,2]" },
        { FG_INV_OK, "not json", 502, "Internal Server Error" },
        { FG_INV_FUNCTION_ERROR, "{\"errorType\":\"E\"}", 502, "Internal Server Error" },
        { FG_INV_TIMEOUT, "{\"errorType\":\"Sandbox.Timedout\"}", 502, "Internal Server Error" },
        { FG_INV_THROTTLED, "", 429, "{\"Message\":\"Rate Exceeded.\"}" },
        { FG_INV_NOT_FOUND, "", 404, "{\"Message\":null}" },
        { FG_INV_SERVICE_ERROR, "", 500, "{\"Message\":\"Internal Server Error\"}" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fg_invocation inv;
        struct fg_http_response resp;
        fg_invocation_init(&inv);
        inv.status = cases[i].status;
        strcpy(inv.request_id, "rid");
        ck_assert_int_eq(fg_buf_append(&inv.result, cases[i].result, strlen(cases[i].result)), 0);
        fg_function_url_result(&inv, false, &resp);
        ck_assert_msg(resp.status == cases[i].code, "case %zu: %d", i, resp.status);
        ck_assert_msg(resp.body.len == strlen(cases[i].body) && !memcmp(resp.body.data, cases[i].body, resp.body.len),
                      "case %zu: %.*s", i, (int)resp.body.len, resp.body.data);
        if (cases[i].status != FG_INV_NOT_FOUND)
            ck_assert_str_eq(fg_http_header_get(resp.headers, resp.n_headers, "x-amzn-RequestId"), "rid");
        fg_http_response_close(&resp);
        /* debug_errors: the error JSON, 504 for a timeout */
        fg_function_url_result(&inv, true, &resp);
        if (cases[i].status == FG_INV_FUNCTION_ERROR || cases[i].status == FG_INV_TIMEOUT)
            ck_assert(resp.status == (cases[i].status == FG_INV_TIMEOUT ? 504 : 502) &&
                      resp.body.len == strlen(cases[i].result));
        fg_http_response_close(&resp);
        fg_invocation_close(&inv);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("function_url");
    TCase *tc = tcase_create("function_url");
    tcase_add_test(tc, test_url_config);
    tcase_add_test(tc, test_url_config_errors);
    tcase_add_test(tc, test_parse_host);
    tcase_add_test(tc, test_url_id);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_prepare_event);
    tcase_add_test(tc, test_result);
    return fg_unit_run(s, tc);
}
