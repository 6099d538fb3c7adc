/* SPDX-License-Identifier: MIT */
/* test_http_route.c - triggers/http_route.h: templates, precedence, 404 vs 405. */
#include <check.h>
#include <string.h>

#include "config/config.h"
#include "triggers/registry.h"
#include "triggers/http_route.h"
#include "unit.h"

static const char *route_yaml =
    "functions:\n"
    "  Exact:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
    "      - http: GET /users/me\n      - http: GET /\n"
    "  Param:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
    "      - http: GET /users/{id}\n      - http: GET /users/{id}/posts/{post}\n"
    "  Any:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
    "      - http: ANY /users/{id}\n      - http: ANY /files/{path+}\n"
    "  Post:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
    "      - http: POST /orders\n"
    "  Greedy:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
    "      - http: GET /files/static/{rest+}\n";

struct route_case {
    const char *method, *path;
    enum fg_route_result result;
    const char *function;
    const char *route_key;
    const char *param_name, *param_value;
};

static const struct route_case route_cases[] = {
    { "GET", "/users/me", FG_ROUTE_FOUND, "Exact", "GET /users/me", NULL, NULL },
    { "GET", "/users/42", FG_ROUTE_FOUND, "Param", "GET /users/{id}", "id", "42" },
    { "GET", "/users/42/", FG_ROUTE_FOUND, "Param", "GET /users/{id}", "id", "42" },
    { "DELETE", "/users/42", FG_ROUTE_FOUND, "Any", "ANY /users/{id}", "id", "42" },
    { "GET", "/users/7/posts/9", FG_ROUTE_FOUND, "Param", "GET /users/{id}/posts/{post}", "post", "9" },
    { "GET", "/files/a/b/c.txt", FG_ROUTE_FOUND, "Any", "ANY /files/{path+}", "path", "a/b/c.txt" },
    { "GET", "/files/static/x/y", FG_ROUTE_FOUND, "Greedy", "GET /files/static/{rest+}", "rest", "x/y" },
    { "PUT", "/files/static/x", FG_ROUTE_FOUND, "Any", "ANY /files/{path+}", "path", "static/x" },
    { "GET", "/files", FG_ROUTE_NOT_FOUND, NULL, NULL, NULL, NULL },
    { "GET", "/", FG_ROUTE_FOUND, "Exact", "GET /", NULL, NULL },
    { "GET", "/orders", FG_ROUTE_METHOD_NOT_ALLOWED, NULL, NULL, NULL, NULL },
    { "POST", "/orders", FG_ROUTE_FOUND, "Post", "POST /orders", NULL, NULL },
    { "GET", "/nothing/here", FG_ROUTE_NOT_FOUND, NULL, NULL, NULL, NULL },
    { "GET", "/users", FG_ROUTE_NOT_FOUND, NULL, NULL, NULL, NULL },
    { "GET", "/users//posts", FG_ROUTE_NOT_FOUND, NULL, NULL, NULL, NULL },
    { "GET", "/users/a%20b", FG_ROUTE_FOUND, "Param", "GET /users/{id}", "id", "a%20b" },
};

START_TEST(test_route_table)
{
    const struct route_case *c = &route_cases[_i];
    struct fg_config conf;
    struct fg_route_table t;
    struct fg_route_match m;
    struct fg_err err;
    enum fg_route_result r;

    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", ".", route_yaml, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    r = fg_route_find(&t, c->method, c->path, &m);
    ck_assert_msg(r == c->result, "case %d %s %s: result %d, want %d", _i, c->method, c->path, r, c->result);
    if (r == FG_ROUTE_FOUND) {
        ck_assert_str_eq(m.route->function, c->function);
        ck_assert_str_eq(m.route->route_key, c->route_key);
        if (c->param_name) {
            int seen = 0;
            for (size_t i = 0; i < m.n_params; i++) {
                if (m.params[i].name_len == strlen(c->param_name) &&
                    !memcmp(m.params[i].name, c->param_name, m.params[i].name_len)) {
                    ck_assert_int_eq(m.params[i].value_len, strlen(c->param_value));
                    ck_assert(!memcmp(m.params[i].value, c->param_value, m.params[i].value_len));
                    seen = 1;
                }
            }
            ck_assert_msg(seen, "case %d: no parameter %s", _i, c->param_name);
        }
    }
    fg_route_table_close(&t);
    fg_conf_free(&conf);
}
END_TEST

START_TEST(test_route_default)
{
    const char *yaml = "functions:\n  D:\n    runtime: python3\n    handler: a.b\n    code: .\n    events:\n"
                       "      - http: $default\n      - http: GET /x\n";
    struct fg_config conf;
    struct fg_route_table t;
    struct fg_route_match m;
    struct fg_err err;

    ck_assert_int_eq(fg_registry_conf_load_string(&conf, "t.yaml", ".", yaml, &err), 0);
    ck_assert_int_eq(fg_route_table_init(&t, &conf, &err), 0);
    ck_assert_int_eq(fg_route_find(&t, "PATCH", "/any/thing", &m), FG_ROUTE_FOUND);
    ck_assert_str_eq(m.route->route_key, "$default");
    ck_assert_int_eq(fg_route_find(&t, "GET", "/x", &m), FG_ROUTE_FOUND);
    ck_assert_str_eq(m.route->route_key, "GET /x");
    fg_route_table_close(&t);
    fg_conf_free(&conf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_route");
    TCase *tc = tcase_create("http_route");

    tcase_add_loop_test(tc, test_route_table, 0, (int)(sizeof(route_cases) / sizeof(route_cases[0])));
    tcase_add_test(tc, test_route_default);
    return fg_unit_run(s, tc);
}
