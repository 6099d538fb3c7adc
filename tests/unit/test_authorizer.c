/* SPDX-License-Identifier: MIT */
/* test_authorizer.c - gateway/auth_cache.h (hits, expiry, nbf, replacement, the value
 * ceiling), config/conf_authorizer.c and triggers/route_auth.h (gateway.authorizers and a
 * route's authorizer key: what loads, and each error at its position), and the authorizer's
 * place in the 2.0 event (triggers/apigw.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "gateway/auth_cache.h"
#include "triggers/apigw.h"
#include "triggers/http_route.h"
#include "triggers/registry.h"
#include "unit.h"

START_TEST(test_cache)
{
    struct fg_auth_cache c;
    struct fg_buf a, b;
    unsigned char k1[32], k2[32];
    const char *p1[] = { "users", "token-1" }, *p2[] = { "users", "token-2" }, *p3[] = { "userstoken-1" };
    unsigned char k3[32];
    char *big = malloc(FG_AUTH_CACHE_VALUE_MAX + 2);

    fg_buf_init(&a, 1 << 20);
    fg_buf_init(&b, 1 << 20);
    fg_auth_cache_key(p1, 2, k1);
    fg_auth_cache_key(p2, 2, k2);
    fg_auth_cache_key(p3, 1, k3);
    ck_assert(memcmp(k1, k3, 32));               /* parts are separated */
    ck_assert_int_eq(fg_auth_cache_init(&c, 1), 0);
    ck_assert(!fg_auth_cache_get(&c, k1, 1000, &a, &b));
    fg_auth_cache_put(&c, k1, 5000, 2000, "{\"sub\":\"a\"}", "read");
    ck_assert(!fg_auth_cache_get(&c, k1, 1000, &a, &b));     /* before nbf */
    ck_assert(fg_auth_cache_get(&c, k1, 2000, &a, &b));
    ck_assert_str_eq(a.data, "{\"sub\":\"a\"}");
    ck_assert_str_eq(b.data, "read");
    ck_assert(!fg_auth_cache_get(&c, k1, 5000, &a, &b));     /* expired */
    ck_assert(!fg_auth_cache_get(&c, k2, 3000, &a, &b));
    fg_auth_cache_put(&c, k2, 9000, 0, "two", NULL);          /* one slot: replaces k1 */
    ck_assert(!fg_auth_cache_get(&c, k1, 3000, &a, &b));
    ck_assert(fg_auth_cache_get(&c, k2, 3000, &a, &b));
    ck_assert_str_eq(a.data, "two");
    ck_assert_uint_eq(b.len, 0);
    memset(big, 'x', FG_AUTH_CACHE_VALUE_MAX + 1);
    big[FG_AUTH_CACHE_VALUE_MAX + 1] = '\0';
    fg_auth_cache_put(&c, k1, 9000, 0, big, NULL);            /* too large: not kept */
    ck_assert(!fg_auth_cache_get(&c, k1, 3000, &a, &b));
    ck_assert(fg_auth_cache_get(&c, k2, 3000, &a, &b));
    free(big);
    fg_auth_cache_close(&c);
    fg_buf_free(&a);
    fg_buf_free(&b);
}
END_TEST

#define FN "functions:\n  F:\n    runtime: python3\n    handler: app.h\n    code: .\n"
#define JWT "gateway:\n  authorizers:\n    users: {type: jwt, issuer: https://i, audience: api, jwks: https://i/jwks}\n"

static const struct {
    const char *yaml, *error;
} cases[] = {
    { JWT FN "    events:\n      - http: {path: /a, authorizer: users}\n", NULL },
    { JWT FN "    events:\n      - http: {path: /a, authorizer: {name: users, scopes: [a, b]}}\n", NULL },
    { JWT FN "    events:\n      - http: {path: /a, authorizer: {scopes: [a]}}\n",
      "t.yaml:10:26: authorizer: 'name' is required" },
    { JWT FN "    events:\n      - http: {path: /a, authorizer: usr}\n",
      "t.yaml:10:38: authorizer: no authorizer named 'usr' in gateway.authorizers (did you mean 'users'?)" },
    { FN "    events:\n      - http: {path: /a, authorizer: users}\n",
      "t.yaml:7:38: authorizer: no authorizer named 'users'" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, ttl: 0}\n" FN
      "    events:\n      - http: {path: /a, authorizer: {name: r, scopes: [a]}}\n",
      "t.yaml:10:48: authorizer r: scopes apply to jwt authorizers only" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: G, ttl: 0}\n" FN,
      "t.yaml:3:34: authorizer r: no function named 'G'" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, identity_source: [$context.x]}\n" FN,
      "authorizer r: identity_source '$context.x': fngate reads identity sources from the request only" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, identity_source: $request.header.}\n" FN,
      "expected a name after $request.header." },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, ttl: 2h}\n" FN,
      "t.yaml:3:42: ttl: 2h is out of range (0..3600 seconds)" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, identity_source: [$request.querystring.q]}\n" FN,
      NULL },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: a}\n" FN, "t.yaml:3:5: authorizer u: 'jwks'" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, audience: a, jwks: https://x}\n" FN, "'issuer' is required" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, jwks: https://x}\n" FN, "'audience' (one or more)" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: a, jwks: /nonexistent/jwks.json}\n" FN,
      "t.yaml:3:50: authorizer u: jwks /nonexistent/jwks.json: No such file or directory" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: a, jwks: https://x,\n"
      "        identity_source: [$request.header.A, $request.header.B]}\n" FN,
      "a jwt authorizer takes one identity_source" },
    { "gateway:\n  authorizers:\n    u: {type: jwks, issuer: x}\n" FN, "type: unknown value 'jwks'" },
    { "gateway:\n  authorizers:\n    u: {issuer: x}\n" FN, "'type' is required (jwt or request)" },
    /* FG_CONF_STRINGS: one string or a non-empty list, at most the key's max. */
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: [], jwks: https://x}\n" FN,
      "t.yaml:3:31: audience: expected a string or a non-empty list of strings" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: {a: b}, jwks: https://x}\n" FN,
      "audience: expected a string or a non-empty list of strings" },
    { "gateway:\n  authorizers:\n    r: {type: request, function: F, identity_source: [$request.header.A,\n"
      "        $request.header.B, $request.header.C, $request.header.D, $request.header.E, $request.header.F,\n"
      "        $request.header.G, $request.header.H, $request.header.I]}\n" FN,
      "identity_source: at most 8 values" },
    { "gateway:\n  authorizers:\n    u: {type: jwt, issuer: x, audience: [a, ''], jwks: https://x}\n" FN,
      "t.yaml:3:46: audience: an empty string" },
};

START_TEST(test_config)
{
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    int rc = fg_registry_conf_load_string(&conf, "t.yaml", ".", cases[_i].yaml, &err);
    if (!cases[_i].error) {
        ck_assert_msg(rc == 0, "case %d should load, got: %s", _i, err.msg);
        fg_conf_free(&conf);
    } else {
        ck_assert_msg(rc == -FG_ECONFIG, "case %d should fail (rc %d)", _i, rc);
        ck_assert_msg(strstr(err.msg, cases[_i].error), "case %d: expected '%s' in '%s'", _i, cases[_i].error,
                      err.msg);
    }
}
END_TEST

START_TEST(test_config_resolved)
{
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    struct fg_route_table t;
    const struct fg_conf_authorizer *a;

    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", "gateway:\n  authorizers:\n"
                  "    users: {type: jwt, issuer: https://i, audience: [api, web], jwks: https://i/jwks}\n"
                  "    custom: {type: request, function: F, identity_source: [$request.header.X, $request.querystring.q],"
                  " enable_simple_responses: true}\n" FN
                  "    events:\n      - http: {path: /a, authorizer: {name: users, scopes: [s1, s2]}}\n"
                  "      - http: {path: /b, authorizer: custom}\n      - http: /c\n", &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(conf.n_authorizers, 2);
    a = fg_conf_authorizer(&conf, "users");
    ck_assert_int_eq(a->type, FG_AUTHORIZER_JWT);
    ck_assert(a->jwks_is_url);
    ck_assert_uint_eq(a->audience.n, 2);
    ck_assert_str_eq(a->identity[0].name, "Authorization");     /* AWS's default */
    a = fg_conf_authorizer(&conf, "custom");
    ck_assert_int_eq(a->type, FG_AUTHORIZER_REQUEST);
    ck_assert_int_eq(a->ttl_s, 300);
    ck_assert(a->simple_responses);
    ck_assert_int_eq(a->identity[1].where, FG_IDENTITY_QUERY);
    ck_assert_str_eq(a->identity[1].name, "q");
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    ck_assert_uint_eq(t.n_routes, 3);
    ck_assert_ptr_eq(t.routes[0].auth->authorizer, fg_conf_authorizer(&conf, "users"));
    ck_assert_uint_eq(t.routes[0].auth->scopes.n, 2);
    ck_assert_str_eq(t.routes[0].auth->scopes.items[1], "s2");
    ck_assert_ptr_eq(t.routes[1].auth->authorizer, a);
    ck_assert_ptr_null(t.routes[2].auth);
    fg_route_table_close(&t);
    fg_conf_free(&conf);
}
END_TEST

/* requestContext.authorizer in the 2.0 event (triggers/apigw.c), only when the route has one. */
START_TEST(test_event_authorizer)
{
    struct fg_config conf;
    struct fg_err err = { 0, "" };
    struct fg_route_table t;
    struct fg_route_match m;
    struct fg_buf out;
    json_t *ev;
    struct fg_http_request req = {
        .method = "GET", .raw_path = "/a", .raw_query = "", .protocol = "HTTP/1.1", .source_ip = "127.0.0.1",
        .time_ms = 1, .request_id = "r", .account_id = "000000000000",
        .authorizer_v2 = "{\"jwt\":{\"claims\":{\"sub\":\"alice\"},\"scopes\":null}}",
        .authorizer_v1 = "{\"claims\":{\"sub\":\"alice\"},\"scopes\":null}",
    };

    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", FN "    events:\n      - http: GET /a\n", &err), 0);
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    ck_assert_int_eq(fg_route_find(&t, "GET", "/a", &m), FG_ROUTE_FOUND);
    fg_buf_init(&out, 1 << 20);
    ck_assert_int_eq(fg_apigw_event(&req, &m, &out), 0);
    ev = json_loads(out.data, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(
        json_object_get(ev, "requestContext"), "authorizer"), "jwt"), "claims"), "sub")), "alice");
    json_decref(ev);
    req.authorizer_v2 = NULL;
    fg_buf_reset(&out);
    ck_assert_int_eq(fg_apigw_event(&req, &m, &out), 0);
    ev = json_loads(out.data, 0, NULL);
    ck_assert_ptr_null(json_object_get(json_object_get(ev, "requestContext"), "authorizer"));
    json_decref(ev);
    fg_buf_free(&out);
    fg_route_table_close(&t);
    fg_conf_free(&conf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("authorizer");
    TCase *tc = tcase_create("authorizer");
    tcase_add_test(tc, test_cache);
    tcase_add_loop_test(tc, test_config, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_config_resolved);
    tcase_add_test(tc, test_event_authorizer);
    return fg_unit_run(s, tc);
}
