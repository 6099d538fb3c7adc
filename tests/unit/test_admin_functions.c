/* SPDX-License-Identifier: MIT */
/* test_admin_functions.c - gateway/admin_functions.h: which environment names are masked,
 * and the console's function objects built from a configuration (no adapter running):
 * every member, the triggers one per event in file order then the URL, each key's file
 * position or null, the masked environment, the role. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/admin_functions.h"
#include "triggers/registry.h"
#include "unit.h"

START_TEST(test_secret_names)
{
    static const struct {
        const char *name;
        bool secret;
    } rows[] = {
        { "DB_PASSWORD", true }, { "db_passwd", true }, { "API_KEY", true }, { "apikey", true },
        { "GITHUB_TOKEN", true }, { "ClientSecret", true }, { "AWS_CREDENTIALS", true },
        { "PRIVATE_PEM", true }, { "MONKEY", true /* contains KEY: masked, the rule is by substring */ },
        { "GREETING", false }, { "TABLE_NAME", false }, { "PASS", false }, { "", false }, { "TOKE", false },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        ck_assert_msg(fg_admin_fn_secret(rows[i].name) == rows[i].secret, "%s", rows[i].name);
}
END_TEST

#define CONF                                                                                 \
    "region: eu-west-3\naccount_id: '123456789012'\n"                                      \
    "functions:\n"                                                                         \
    "  Api:\n"                                   /* line 4 */                              \
    "    runtime: python3\n"                     /* 5 */                                   \
    "    handler: app.handler\n"                 /* 6 */                                   \
    "    code: .\n"                              /* 7 */                                   \
    "    memory: 256\n"                          /* 8 */                                   \
    "    timeout: 10\n"                          /* 9 */                                   \
    "    concurrency: 4\n"                       /* 10 */                                  \
    "    url: {auth_type: AWS_IAM}\n"            /* 11 */                                  \
    "    environment: {GREETING: hi, DB_PASSWORD: hunter2, api_key: abc}\n" /* 12 */       \
    "    role: {statements: [{effect: Deny, action: [s3:GetObject, s3:PutObject], resource: '*'}]}\n" \
    "    destinations: {on_success: Plain}\n"    /* 14 */                                  \
    "    events:\n"                                                                        \
    "      - http: GET /hello\n"                                                           \
    "      - http: ANY $default\n"                                                         \
    "      - schedule: {expression: rate(1 hour), name: hourly, timezone: Europe/Paris}\n" \
    "  Plain:\n"                                                                           \
    "    runtime: nodejs\n"                                                                \
    "    handler: index.handler\n"                                                         \
    "    code: .\n"

static json_t *build(const struct fg_config *conf, const char *name, bool detail)
{
    const struct fg_admin_fn_view v = { conf, NULL, 0, 8080 };
    const struct fg_admin_fn_live live = { 2, 3 };
    struct fg_buf out;
    json_error_t jerr;
    json_t *j;

    fg_buf_init(&out, 1 << 20);
    ck_assert_int_eq(detail ? fg_admin_fn_detail(&v, fg_conf_function(conf, name), &live, &out)
                            : fg_admin_fn_summary(&v, fg_conf_function(conf, name), &live, &out), 0);
    j = json_loadb(out.data, out.len, 0, &jerr);
    ck_assert_msg(j, "%s: %.*s", jerr.text, (int)out.len, out.data);
    fg_buf_free(&out);
    return j;
}

START_TEST(test_summary)
{
    struct fg_config conf;
    struct fg_err err;
    json_t *j, *t;
    char *text;

    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp", CONF, &err) == 0, "%s", err.msg);
    j = build(&conf, "Api", false);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "Api");
    ck_assert_str_eq(json_string_value(json_object_get(j, "runtime")), "python3");
    ck_assert_str_eq(json_string_value(json_object_get(j, "handler")), "app.handler");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "memoryMb")), 256);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "timeoutS")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "ephemeralStorageMb")), 512);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "reservedConcurrency")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "concurrent")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "workers")), 3);
    ck_assert(!json_object_get(j, "config") && !json_object_get(j, "environment"));
    t = json_object_get(j, "triggers");
    ck_assert_int_eq(json_array_size(t), 4);
    text = json_dumps(json_array_get(t, 0), JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(text, "{\"method\":\"GET\",\"path\":\"/hello\",\"routeKey\":\"GET /hello\",\"type\":\"http\"}");
    free(text);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 1), "routeKey")), "$default");
    /* No schedule adapter runs: no next fire to tell. */
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 2), "timezone")), "Europe/Paris");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 2), "name")), "hourly");
    ck_assert(json_is_null(json_object_get(json_array_get(t, 2), "nextFire")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 3), "type")), "url");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 3), "url")),
                     "http://Api.lambda-url.localhost:8080/");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 3), "authType")), "AWS_IAM");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(t, 3), "invokeMode")), "BUFFERED");
    json_decref(j);

    j = build(&conf, "Plain", false);
    ck_assert_str_eq(json_string_value(json_object_get(j, "runtime")), "nodejs");
    ck_assert(json_is_null(json_object_get(j, "reservedConcurrency")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "triggers")), 0);
    json_decref(j);
    fg_conf_free(&conf);
}
END_TEST

/* The "config" entry of key. */
static json_t *entry(json_t *j, const char *key)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "config"), i, e)
        if (!strcmp(json_string_value(json_object_get(e, "key")), key))
            return e;
    ck_abort_msg("no config entry %s", key);
    return NULL;
}

START_TEST(test_detail)
{
    static const struct {
        const char *key, *value, *pos;    /* value as compact JSON; pos NULL: null */
    } rows[] = {
        { "memory", "256", "t.yaml:8:5" }, { "timeout", "10", "t.yaml:9:5" },
        { "ephemeral_storage", "512", NULL }, { "runtime", "\"python3\"", "t.yaml:5:5" },
        { "handler", "\"app.handler\"", "t.yaml:6:5" }, { "code", "\"/tmp\"", "t.yaml:7:5" },
        { "network", "\"host\"", NULL }, { "concurrency", "4", "t.yaml:10:5" }, { "rate", "null", NULL },
        { "retries", "{\"maximumRetryAttempts\":2,\"maximumEventAgeInSeconds\":21600}", NULL },
        { "on_success", "\"Plain\"", "t.yaml:14:20" }, { "on_failure", "\"dlq\"", NULL },
        { "snapstart", "false", NULL }, { "url", "\"http://Api.lambda-url.localhost:8080/\"", "t.yaml:11:5" },
    };
    struct fg_config conf;
    struct fg_err err;
    json_t *j, *env, *role, *st;

    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp", CONF, &err) == 0, "%s", err.msg);
    j = build(&conf, "Api", true);
    ck_assert_int_eq(json_array_size(json_object_get(j, "config")), sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *e = entry(j, rows[i].key);
        char *v = json_dumps(json_object_get(e, "value"), JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        ck_assert_msg(!strcmp(v, rows[i].value), "%s: %s", rows[i].key, v);
        free(v);
        if (rows[i].pos)
            ck_assert_msg(json_is_string(json_object_get(e, "pos")) &&
                          !strcmp(json_string_value(json_object_get(e, "pos")), rows[i].pos),
                          "%s: pos %s", rows[i].key, json_string_value(json_object_get(e, "pos")));
        else
            ck_assert_msg(json_is_null(json_object_get(e, "pos")), "%s: pos not null", rows[i].key);
    }
    env = json_object_get(j, "environment");
    ck_assert_int_eq(json_object_size(env), 3);
    ck_assert_str_eq(json_string_value(json_object_get(env, "GREETING")), "hi");
    ck_assert_str_eq(json_string_value(json_object_get(env, "DB_PASSWORD")), "****");
    ck_assert_str_eq(json_string_value(json_object_get(env, "api_key")), "****");
    role = json_object_get(j, "role");
    ck_assert_str_eq(json_string_value(json_object_get(role, "name")), "Api-role");
    ck_assert_int_eq(json_array_size(json_object_get(role, "statements")), 1);
    st = json_array_get(json_object_get(role, "statements"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(st, "effect")), "Deny");
    ck_assert_int_eq(json_array_size(json_object_get(st, "action")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(st, "action"), 1)), "s3:PutObject");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(st, "resource"), 0)), "*");
    json_decref(j);

    /* The basic role: no statements. */
    j = build(&conf, "Plain", true);
    ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "role"), "statements")), 0);
    ck_assert_int_eq(json_object_size(json_object_get(j, "environment")), 0);
    json_decref(j);
    fg_conf_free(&conf);
}
END_TEST

/* Every adapter's console slot, as the list shows its events (none running). */
START_TEST(test_sources)
{
    static const char *const want[] = {
        "{\"type\":\"fs\",\"path\":\"/tmp\",\"bucket\":\"tmp\"}",
        "{\"type\":\"s3\",\"bucket\":\"up\",\"events\":[\"s3:ObjectRemoved:*\"]}",
        "{\"type\":\"queue\",\"stream\":\"jobs\",\"group\":\"g1\"}",
        "{\"type\":\"topic\",\"channel\":\"news\"}",
        "{\"type\":\"topic\",\"channel\":\"alert*\"}",
        "{\"type\":\"stream\",\"topic\":\"clicks\"}",
        ("{\"type\":\"schedule\",\"name\":\"S-schedule-1\",\"expression\":\"rate(5 minutes)\",\"timezone\":\"UTC\","
         "\"nextFire\":null}"),
    };
    struct fg_config conf;
    struct fg_err err;
    json_t *j, *t;
    size_t i;

    ck_assert_msg(fg_registry_conf_load_string(&conf, "t.yaml", "/tmp",
                                               "s3: {listen: 127.0.0.1:0, root: /tmp}\nfunctions:\n"
                                               "  S:\n    runtime: python3\n    handler: app.h\n    code: .\n"
                                               "    events:\n"
                                               "      - fs: /tmp\n"
                                               "      - s3: {bucket: up, events: [removed]}\n"
                                               "      - queue: {redis: redis://127.0.0.1:1, stream: jobs, group: g1}\n"
                                               "      - topic: {redis: redis://127.0.0.1:1, channel: news}\n"
                                               "      - topic: {redis: redis://127.0.0.1:1, pattern: 'alert*'}\n"
                                               "      - stream: {kafka: 127.0.0.1:1, topic: clicks}\n"
                                               "      - schedule: rate(5 minutes)\n",
                                               &err) == 0, "%s", err.msg);
    j = build(&conf, "S", false);
    t = json_object_get(j, "triggers");
    ck_assert_int_eq(json_array_size(t), sizeof(want) / sizeof(want[0]));
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char *text = json_dumps(json_array_get(t, i), JSON_COMPACT | JSON_PRESERVE_ORDER);
        ck_assert_str_eq(text, want[i]);
        free(text);
    }
    json_decref(j);
    fg_conf_free(&conf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admin_functions");
    TCase *tc = tcase_create("admin_functions");
    tcase_add_test(tc, test_secret_names);
    tcase_add_test(tc, test_summary);
    tcase_add_test(tc, test_detail);
    tcase_add_test(tc, test_sources);
    return fg_unit_run(s, tc);
}
