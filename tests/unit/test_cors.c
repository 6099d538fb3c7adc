/* SPDX-License-Identifier: MIT */
/* test_cors.c - config/conf_cors.h (the `cors` key: forms, checks, errors at file:line:col)
 * and gateway/cors.h (policies per route, preflight and answer headers). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "gateway/cors.h"
#include "triggers/http_route.h"
#include "triggers/registry.h"
#include "unit.h"

#define FN "functions:\n  F:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"

/* One file per case: rc 0 when it loads, else the error's text. */
static const struct {
    const char *yaml;
    const char *error;          /* NULL: loads */
} conf_cases[] = {
    { "gateway:\n  cors: true\n" FN "      - http: GET /a\n", NULL },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: ['https://a.example', 'https://*.b.example'],"
         " allow_methods: [get, POST], allow_headers: [Content-Type, '*'], expose_headers: [X-Id],"
         " max_age: 300, allow_credentials: true}}\n", NULL },
    { FN "      - http: {method: GET, path: /a, cors: false}\n", NULL },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: ['*'], allow_credentials: true}}\n",
      "t.yaml:7:87: cors: allow_credentials cannot be true when allow_origins has *" },
    { "gateway:\n  cors:\n    allow_origins: ['*']\n    allow_credentials: true\n" FN "      - http: GET /a\n",
      "t.yaml:4:24: cors: allow_credentials cannot be true" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_methods: ['GE T']}}\n",
      "t.yaml:7:63: allow_methods: 'GE T' is not a method" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_headers: ['X(1)']}}\n",
      "t.yaml:7:63: allow_headers: 'X(1)' is not a header name" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: [example.com]}}\n",
      "t.yaml:7:62: allow_origins: 'example.com' is not an origin" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: ['https://*.*.example']}}\n",
      "has more than one *" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: ['https://a.example/path']}}\n",
      "no path" },
    { FN "      - http: {method: GET, path: /a, cors: {max_age: 90000}}\n", "max_age: 90000 is out of range" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_orgins: ['*']}}\n", "did you mean 'allow_origins'" },
    { FN "      - http: {method: GET, path: /a, cors: yes}\n", "cors: expected true, false or a mapping, got 'yes'" },
    { FN "      - http: {method: GET, path: /a, cors: {allow_origins: '*'}}\n", "allow_origins: expected a list" },
    { FN "      - http: {method: GET, path: /a, payload_format: 1.0}\n", NULL },
    { FN "      - http: {method: GET, path: /a, payload_format: '2.0'}\n", NULL },
    { FN "      - http: {method: GET, path: /a, payload_format: 3}\n",
      "t.yaml:7:55: payload_format: '3' is not a payload format version: \"1.0\" (the REST API proxy event) or \"2.0\"" },
};

START_TEST(test_conf_table)
{
    struct fg_config conf;
    struct fg_err err;
    int rc = fg_registry_conf_load_string(&conf, "t.yaml", ".", conf_cases[_i].yaml, &err);

    if (!conf_cases[_i].error) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
        fg_conf_free(&conf);
        return;
    }
    ck_assert_msg(rc < 0, "case %d loaded", _i);
    ck_assert_msg(strstr(err.msg, conf_cases[_i].error), "case %d: expected '%s' in '%s'", _i, conf_cases[_i].error,
                  err.msg);
}
END_TEST

/* A loaded configuration with its routes and policies. */
struct fixture {
    struct fg_config conf;
    struct fg_route_table routes;
    struct fg_cors_table cors;
};

static void fixture_load(struct fixture *f, const char *yaml)
{
    struct fg_err err;
    ck_assert_msg(fg_registry_conf_load_string(&f->conf, "t.yaml", ".", yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_route_table_init(&f->routes, &f->conf, &err), 0);
    ck_assert_int_eq(fg_cors_table_init(&f->cors, &f->routes, &f->conf, &err), 0);
}

static void fixture_close(struct fixture *f)
{
    fg_cors_table_close(&f->cors);
    fg_route_table_close(&f->routes);
    fg_conf_free(&f->conf);
}

static const char *hdr(const struct fg_cors_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->h[i].name, name))
            return h->h[i].value;
    return NULL;
}

/* gateway.cors: true covers every route: origin *, the Serverless Framework's headers, and
 * OPTIONS with every covered route's method (ANY as all of them); a route's cors: false
 * turns it off, a route's own mapping replaces it. */
START_TEST(test_shorthand_and_override)
{
    struct fixture f;
    struct fg_cors_headers h;
    const struct fg_cors *c;
    size_t route = 99;

    fixture_load(&f, "gateway:\n  cors: true\n" FN "      - http: GET /a\n      - http: POST /a\n"
                     "      - http: {method: GET, path: /off, cors: false}\n"
                     "      - http: {method: PUT, path: /own, cors: {allow_origins: ['https://*.example.com'],"
                     " allow_methods: [PUT], allow_credentials: true, expose_headers: [X-Id, X-Other], max_age: 60}}\n"
                     "      - http: {method: DELETE, path: /short, cors: true}\n");
    c = fg_cors_of(&f.cors, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->allow_methods, "OPTIONS,GET,POST");
    ck_assert_str_eq(c->allow_headers, "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,"
                                       "X-Amz-User-Agent,X-Amzn-Trace-Id");
    ck_assert_ptr_null(fg_cors_of(&f.cors, 2));
    ck_assert_str_eq(fg_cors_of(&f.cors, 4)->allow_methods, "OPTIONS,DELETE");

    /* Preflight for GET /a: origin *, no Vary, no credentials. */
    c = fg_cors_preflight_policy(&f.cors, &f.routes, "GET", "/a", &route);
    ck_assert_ptr_eq(c, fg_cors_of(&f.cors, 0));
    ck_assert_uint_eq(route, 0);
    fg_cors_preflight(c, "https://x.test", "GET", "content-type", &h);
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Origin"), "*");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Methods"), "OPTIONS,GET,POST");
    ck_assert_ptr_null(hdr(&h, "Vary"));
    ck_assert_ptr_null(hdr(&h, "Access-Control-Allow-Credentials"));
    ck_assert_ptr_null(hdr(&h, "Access-Control-Max-Age"));
    /* A method no route has on the path still finds the path's policy (the browser decides). */
    ck_assert_ptr_eq(fg_cors_preflight_policy(&f.cors, &f.routes, "PATCH", "/a", &route), fg_cors_of(&f.cors, 0));
    /* Off for /off, and no route serves /nowhere. */
    ck_assert_ptr_null(fg_cors_preflight_policy(&f.cors, &f.routes, "GET", "/off", &route));
    ck_assert_ptr_null(fg_cors_preflight_policy(&f.cors, &f.routes, "GET", "/nowhere", &route));

    /* The credentialed route echoes the origin, with Vary, and refuses others. */
    c = fg_cors_preflight_policy(&f.cors, &f.routes, "PUT", "/own", &route);
    ck_assert_uint_eq(route, 3);
    fg_cors_preflight(c, "https://app.example.com", "PUT", NULL, &h);
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Origin"), "https://app.example.com");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Credentials"), "true");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Methods"), "PUT");
    ck_assert_str_eq(hdr(&h, "Access-Control-Max-Age"), "60");
    ck_assert_str_eq(hdr(&h, "Vary"), "Origin");
    ck_assert_ptr_null(hdr(&h, "Access-Control-Allow-Headers"));
    fg_cors_preflight(c, "https://evil.test", "PUT", NULL, &h);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_str_eq(hdr(&h, "Vary"), "Origin");
    fg_cors_actual(c, "https://APP.example.com", &h);
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Origin"), "https://APP.example.com");
    ck_assert_str_eq(hdr(&h, "Access-Control-Expose-Headers"), "X-Id,X-Other");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Credentials"), "true");
    ck_assert_ptr_null(hdr(&h, "Access-Control-Allow-Methods"));
    fg_cors_actual(c, NULL, &h);
    ck_assert_uint_eq(h.n, 0);
    fixture_close(&f);
}
END_TEST

/* Origin patterns: exact (any case), * alone, one * for any run of characters. */
START_TEST(test_origin_match)
{
    static const struct { const char *pattern, *origin; bool ok; } cases[] = {
        { "https://a.example", "https://a.example", true },
        { "https://a.example", "HTTPS://A.EXAMPLE", true },
        { "https://a.example", "https://a.example:8443", false },
        { "https://*", "https://anything.test:1", true },
        { "https://*", "http://anything.test", false },
        { "https://*.example.com", "https://app.example.com", true },
        { "https://*.example.com", "https://example.com", false },
        { "https://*.example.com", "https://app.example.com.evil.test", false },
        { "*", "null", true },
        { "*", "", false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *items[] = { cases[i].pattern };
        struct fg_conf_cors conf = { .mode = FG_CONF_CORS_ON, .allow_origins = { items, 1 } };
        struct fg_cors c = { .conf = &conf };
        ck_assert_msg(fg_cors_origin_allowed(&c, cases[i].origin) == cases[i].ok, "case %zu", i);
    }
    ck_assert(fg_cors_is_preflight("OPTIONS", "https://a", "GET"));
    ck_assert(!fg_cors_is_preflight("OPTIONS", "https://a", NULL));
    ck_assert(!fg_cors_is_preflight("GET", "https://a", "GET"));
    ck_assert(fg_cors_header_is_cors("access-control-allow-origin"));
    ck_assert(!fg_cors_header_is_cors("Vary"));
}
END_TEST

/* allow_headers: * with credentials echoes what the preflight asks (a browser takes * literally
 * then); an ANY route under cors: true allows every method. */
START_TEST(test_wildcards)
{
    struct fixture f;
    struct fg_cors_headers h;
    size_t route;

    fixture_load(&f, FN "      - http: {method: ANY, path: \"/x/{id}\", cors: true}\n"
                     "      - http: {method: POST, path: /y, cors: {allow_origins: ['https://a.test'],"
                     " allow_headers: ['*'], allow_methods: ['*'], allow_credentials: true}}\n");
    ck_assert_str_eq(fg_cors_of(&f.cors, 0)->allow_methods, "OPTIONS,GET,POST,PUT,PATCH,HEAD,DELETE");
    ck_assert_ptr_nonnull(fg_cors_preflight_policy(&f.cors, &f.routes, "DELETE", "/x/7", &route));
    fg_cors_preflight(fg_cors_preflight_policy(&f.cors, &f.routes, "POST", "/y", &route), "https://a.test", "POST",
                      "x-custom, content-type", &h);
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Headers"), "x-custom, content-type");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Methods"), "POST");
    fixture_close(&f);
}
END_TEST

/* One policy outside the route table, as a function URL builds it: cors: true takes the
 * methods it is given; no configuration is no policy. */
START_TEST(test_single_policy)
{
    static const char *const any[] = { "*" };
    struct fg_conf_cors conf = { .mode = FG_CONF_CORS_ON, .shorthand = true, .allow_origins = { any, 1 },
                                 .max_age_s = FG_CONF_CORS_NO_MAX_AGE };
    struct fg_cors_headers h;
    struct fg_cors p;

    ck_assert_int_eq(fg_cors_init(&p, &conf, "*"), 0);
    fg_cors_preflight(&p, "https://a.test", "DELETE", NULL, &h);
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Methods"), "*");
    ck_assert_str_eq(hdr(&h, "Access-Control-Allow-Origin"), "*");
    ck_assert_ptr_null(hdr(&h, "Access-Control-Max-Age"));
    fg_cors_close(&p);
    ck_assert_int_eq(fg_cors_init(&p, NULL, "*"), 0);
    ck_assert_ptr_null(p.conf);
    fg_cors_close(&p);
}
END_TEST

/* The route the actual request would reach decides: a $default without CORS takes a POST
 * that GET /a's policy does not cover; with no route for the method, the path's policy
 * answers. */
START_TEST(test_preflight_follows_the_route)
{
    struct fixture f;
    size_t route;

    fixture_load(&f, "gateway:\n  cors: true\n" FN "      - http: GET /a\n"
                     "      - http: {method: ANY, path: $default, cors: false}\n");
    ck_assert_ptr_eq(fg_cors_preflight_policy(&f.cors, &f.routes, "GET", "/a", &route), fg_cors_of(&f.cors, 0));
    ck_assert_ptr_null(fg_cors_preflight_policy(&f.cors, &f.routes, "POST", "/a", &route));
    ck_assert_uint_eq(route, 1);
    ck_assert_ptr_null(fg_cors_preflight_policy(&f.cors, &f.routes, "GET", "/b", &route));
    fixture_close(&f);
    fixture_load(&f, FN "      - http: {method: GET, path: /a, cors: true}\n      - http: {method: POST, path: /a}\n");
    ck_assert_ptr_null(fg_cors_preflight_policy(&f.cors, &f.routes, "POST", "/a", &route));
    ck_assert_ptr_eq(fg_cors_preflight_policy(&f.cors, &f.routes, "PUT", "/a", &route), fg_cors_of(&f.cors, 0));
    fixture_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cors");
    TCase *tc = tcase_create("cors");

    tcase_add_loop_test(tc, test_conf_table, 0, (int)(sizeof(conf_cases) / sizeof(conf_cases[0])));
    tcase_add_test(tc, test_shorthand_and_override);
    tcase_add_test(tc, test_origin_match);
    tcase_add_test(tc, test_wildcards);
    tcase_add_test(tc, test_single_policy);
    tcase_add_test(tc, test_preflight_follows_the_route);
    return fg_unit_run(s, tc);
}
